"""One project's rows of the batch workbook as SpreadsheetML, from its decision or its
JSON-contract result.

`result_rows` renders a contract result; `DecisionRows` renders decisions of one rule
set in one language, byte for byte the same, in a batch's worker processes, from cells
a rule's findings share rendered once (`_RuleCells`) and frames compiled per rule
(`_Frame`). Rules and fields are named by their titles (`report.labels`), as the HTML
report names them; a finding no cell can hold is refused with `RefusedFinding`, which
names its rule by title and the input fields its figure came from. The workbook that
holds the rows is `report.xlsx`; the cells are `report.sheetml`'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from fractions import Fraction
from operator import itemgetter
from string import Formatter
from typing import Any, NamedTuple

from screening.compile import COMPUTED, reported_threshold, rule_op
from screening.findings import Decision, Finding, Status
from screening.io.writers import FAILING_KINDS, failed_findings, is_failure
from screening.model.effective import RuleSet
from screening.model.project import FIELDS
from screening.report.contract import finding_fields
from screening.report.explain import (
    TITLED_PARAMS,
    Prose,
    explainer,
    inapplicable_probe,
    like_probe,
    number,
    percent,
    reason_values,
    show,
    shown_score,
    unit_label,
)
from screening.report.figures import (
    apart,
    figure,
    figure_apart,
    near_texts,
    same_figure,
    score_json,
)
from screening.report.html import enum_label, finding_status, label
from screening.report.labels import Labels, figure_fields
from screening.report.sheetml import (
    DECISION_STYLE,
    EMPTY,
    EXCEL_CHARS,
    EXCEL_LARGEST,
    FINDINGS,
    MAX_FAILED,
    NUMBER_END,
    NUMBER_OPENING,
    PLAIN,
    ROW_OPENING,
    SPACES,
    STATUS_STYLE,
    SUMMARY,
    TEXT_END,
    TEXT_OPENINGS,
    WRAP,
    Styled,
    Unrepresentable,
    cell_xml,
    cells_xml,
    number_or_text,
    row_body,
    row_xml,
    text_cell,
    trimmed,
)


class RefusedFinding(Unrepresentable):
    """A finding's value that no cell can hold: the message names its rule by title;
    `fields` are the input fields its figure is computed from (`figure_fields`)."""

    def __init__(self, message: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (str(self), self.fields)


# ---- rows from a contract result -----------------------------------------------------


def _summary_values(
    project: Mapping[str, Any],
    decision: str | None,
    score: Any,
    vetoed_by: Iterable[str],
    failed: list[str],
    missing: Iterable[str],
    summary: str | None,
    lang: str,
) -> list[Any]:
    """The summary row's values; `vetoed_by` and `missing` are titles, `failed` the
    failed findings' words."""
    if len(failed) > MAX_FAILED:
        failed = [*failed[:MAX_FAILED], f"… (+{len(failed) - MAX_FAILED})"]
    style = DECISION_STYLE.get(str(decision), PLAIN)
    sep = label("list_sep", lang)
    return [
        project.get("id"),
        project.get("name"),
        project.get("company"),
        Styled(enum_label("decision", decision, lang), style),
        score,
        sep.join(vetoed_by or ()) or None,
        Styled("\n".join(failed) or None, WRAP),
        sep.join(missing or ()) or None,
        Styled(summary, WRAP),
    ]


def main_reason(title: str, message: str | None, colon: str) -> str:
    """A failed finding as the summary lists it: its message, which names its rule by
    title first as the templates' do (投资强度：249 万元/亩，…); a rule's own message,
    which need not, is put after its title (地块规定行业…：2023GC07007 地块限…). A
    message that opens with the title is left as it is (so is one whose title, with
    no rule set at hand, is read from its own first clause: `labels.rule_title`)."""
    if not message:
        return title
    return message if message.startswith(title) else title + colon + message


def _finding_tail(finding: Mapping[str, Any], lang: str, title: str) -> list[Any]:
    """A finding's cells after the project's id and name: its rule by `title`, then
    by id (for whoever edits the rule set), its group's and kind's labels, …"""
    # A bonus not earned or a derived "no" is no shortcoming: left uncoloured.
    status = finding.get("status")
    soft = status == "fail" and not is_failure(finding)
    style = PLAIN if soft else STATUS_STYLE.get(str(status), PLAIN)
    return [
        title,
        finding.get("rule"),
        enum_label("group", finding.get("group"), lang),
        enum_label("kind", finding.get("kind"), lang),
        Styled(finding_status(finding, lang), style),
        number_or_text(finding.get("actual"), lang),
        number_or_text(finding.get("threshold"), lang),
        unit_label(finding.get("unit"), lang) or None,
        finding.get("points"),
        finding.get("max_points"),
        finding.get("message"),
        finding.get("basis"),
        finding.get("remedy"),
    ]


def _unit_cell(unit: str | None, lang: str) -> bytes:
    """A finding's unit cell, in `lang` (万元/亩, ×10k CNY/mu) as its message says it."""
    return cell_xml(unit_label(unit, lang) or None)


def _finding_cells(
    result: Mapping[str, Any], finding: Mapping[str, Any], lang: str, labels: Labels
) -> bytes:
    rule = str(finding.get("rule"))
    try:
        tail = _finding_tail(finding, lang, labels.rule(result, rule))
        return cells_xml(tail, FINDINGS, 2, lang=lang)
    except Unrepresentable as exc:
        raise RefusedFinding(
            f"{labels.rule(result, rule)} {exc}", labels.figure_fields(result, rule)
        ) from None


class Rendered(NamedTuple):
    """One project's rows as SpreadsheetML."""

    summary: bytes
    findings: tuple[bytes, ...]


def result_rows(
    result: Mapping[str, Any], lang: str = "zh", labels: Labels | None = None
) -> Rendered:
    """A JSON-contract result's rows (the workbook of `write_xlsx`), its rules and
    fields named by `labels` (in `lang`; without, titles from the findings' words)."""
    if labels is None:
        labels = Labels((), lang)
    project = result.get("project") or {}
    colon = label("colon", lang)
    failed = [
        main_reason(labels.rule(result, f["rule"]), f.get("message"), colon)
        for f in failed_findings(result)
    ]
    summary = row_xml(
        _summary_values(
            project,
            result.get("decision"),
            result.get("score"),
            [labels.rule(result, r) for r in result.get("vetoed_by") or ()],
            failed,
            [labels.field(result, f) for f in result.get("missing") or ()],
            result.get("summary"),
            lang,
        ),
        SUMMARY,
        lang,
    )
    head = ROW_OPENING
    head += cells_xml(
        [project.get("id"), project.get("name")], FINDINGS, ends=False, lang=lang
    )
    findings = tuple(
        head + _finding_cells(result, f, lang, labels) + b"</row>"
        for f in result.get("findings") or ()
    )
    return Rendered(summary, findings)


# ---- rows from a decision, in a batch worker -----------------------------------------

_FAILING_ORDER = {kind: i for i, kind in enumerate(FAILING_KINDS)}
_UNSEEN = object()  # what a memo holds before its first value
_PASSED, _FAILED = Status.PASS, Status.FAIL
_EXACT_INT = 10**15  # an int within it is written as its digits (see _figure_at)
_MESSAGES_KEPT = 256  # message cells a rule keeps (a memo, bounded)
# a character that may need work in a text (NEEDS_WORK says whether it does), with
# "_x" found by `in`: one character class, scanned several times as fast as
# NEEDS_WORK's alternatives, and no false alarm for the "_" of an identifier
_MAY_NEED_WORK = re.compile(
    r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]"
).search


def _text_at(text: Any, style: int = PLAIN) -> bytes:
    """`cell_xml` of a text with `style` (plain or wrapped), escaping only when it must."""
    if text is None:
        return EMPTY
    if type(text) is not str or not text:
        return cell_xml(text if style == PLAIN else Styled(text, style))
    if (
        _MAY_NEED_WORK(text) is not None
        or "_x" in text
        or len(text) > EXCEL_CHARS
        or text[0] in SPACES
        or text[-1] in SPACES
    ):
        return text_cell(text, style)
    return TEXT_OPENINGS[style] + text.encode() + TEXT_END


def _figure_at(value: Any, lang: str | None) -> bytes:
    """A figure's cell: `cell_xml` of `number(value)`, through `number_or_text` in
    `lang` (None: not)."""
    value = number(value)
    kind = type(value)
    if (kind is int or kind is float) and -EXCEL_LARGEST <= value <= EXCEL_LARGEST:
        return NUMBER_OPENING + repr(value).encode() + NUMBER_END
    if lang is not None:
        value = number_or_text(value, lang)
    return cell_xml(value)


# what stands for a reason's parameter while its words are compiled: text that a
# cell carries as it is (private-use characters), told apart by its number
_MARK = "\ue000%d\ue001"


class _Frame(NamedTuple):
    """A rule's finding row after the project's id and name, for one status and
    presence of figures, compiled once around what varies from finding to finding: the
    actual figure (its cell, and its text in the message), the threshold's cells when
    they are computed for each project, the points' cell, the remedy. For the findings
    that hold the rule's own figures (`_RuleCells.framed`)."""

    head: bytes  # rule (title and id), group, kind and status
    threshold: bytes | None  # threshold and unit (None: computed for each project)
    top: bytes  # the most points, and the message's opening (a constant one whole)
    message: str | None  # the message, when constant
    words: tuple[str, ...] | None  # else: its words around the actual figure as shown
    encoded: tuple[bytes, ...]  # those words encoded (none for a constant message)
    close: bytes  # the message's end and the basis
    end: bytes  # the same when no remedy follows, with the row's end
    # the row when nothing varies: no figure, points or remedy, and the rule's own
    # threshold, or none where it is computed
    whole: bytes | None


def _split_at(format_: str, name: str) -> tuple[str, ...] | None:
    """A compiled template's words around its field `name`: `format_.format_map({name:
    x}) == x.join(words)` for every text x; None unless each of its fields is a bare
    `{name}`."""
    words, literal = [], ""
    for text, field, spec, conversion in Formatter().parse(format_):
        literal += text
        if field is None:
            continue
        if field != name or spec or conversion:
            return None
        words.append(literal)
        literal = ""
    words.append(literal)
    return tuple(words)


def _frame(cells: _RuleCells, passed: bool, sentence: Any, lang: str) -> _Frame | None:
    """The frame of a rule's findings whose message is `sentence` (see `_Frame`), or
    None where the words need work for each finding: escaping, spaces that end them,
    or figures other than the actual one."""
    message = format_ = words = None
    if type(sentence) is str:
        message = sentence
    elif sentence is not None and sentence.constant is not None:
        message = sentence.constant
    elif sentence is not None and tuple(sentence.needs) == ("actual",):
        words = _split_at(sentence.format, "actual")
        format_ = None if words is None else sentence.format
    checked = message if message is not None else format_
    if (
        not checked
        or _MAY_NEED_WORK(checked) is not None
        or "_x" in checked
        or len(checked) > EXCEL_CHARS // 2
        or checked[0] in SPACES + "{"
        or checked[-1] in SPACES + "}"
    ):
        return None
    head = cells.passed if passed else cells.failed
    threshold = (
        _figure_at(cells.threshold, lang) + _unit_cell(cells.unit, lang)
        if cells.fixed_threshold
        else None
    )
    top = _figure_at(cells.max_points, None)
    if message is not None:
        opening, close = TEXT_OPENINGS[PLAIN] + message.encode() + TEXT_END, b""
    else:
        opening, close = TEXT_OPENINGS[PLAIN], TEXT_END
    basis = cells.basis
    end = close + (b"" if basis == EMPTY else basis) + b"</row>"
    whole = None
    if message is not None:  # its threshold the rule's, or none when it is computed
        bare = EMPTY + _unit_cell(cells.unit, lang) if threshold is None else threshold
        whole = head + EMPTY + bare + EMPTY + top + opening + end
    return _Frame(
        head,
        threshold,
        top + opening,
        message,
        words,
        () if words is None else tuple(word.encode() for word in words),
        close + basis,
        end,
        whole,
    )


class _ReasonWords(NamedTuple):
    """A rule's not-applicable row for one reason and parameter names, compiled."""

    template: str  # the message, to fill with the parameters' values
    around: tuple[str, ...] | None  # its words around a single parameter (else None)
    before: bytes  # the row up to the message's cell
    after: bytes  # and after it


class _RuleCells:
    """What one rule's findings share: the cells of rule, group, kind and status by
    status, the basis; the threshold and unit, and the most points, as last rendered
    (a rule's own, the same object finding after finding), each kept as one tuple with
    what it was rendered from, replaced whole: never a cell paired with another's
    figure. And the rule's sentences by status and presence of figures, as the
    explainer compiles them (`Explainer.sentence_of`), with what a finding must hold
    for its message to be one of them: the rule's group, kind, unit, operator, most
    points and fixed threshold; and its frames (`_Frame`), which write such a
    finding's row in one join (`framed`)."""

    __slots__ = (
        "kind",
        "heads",
        "passed",
        "failed",
        "basis",
        "fixed",
        "top",
        "messages",
        "group",
        "unit",
        "op",
        "threshold",
        "fixed_threshold",
        "max_points",
        "sentences",
        "share",
        "near",
        "frames",
        "passed_frames",
        "failed_frames",
        "probe",
        "probe_row",
        "reasons",
        "lang",
    )

    def __init__(
        self, rule: Any, heads: dict[Status, bytes], basis: bytes, explain: Any
    ) -> None:
        self.kind, self.heads, self.basis = rule.kind, heads, basis
        self.lang = explain.lang
        self.passed, self.failed = heads[Status.PASS], heads[Status.FAIL]
        # (threshold, unit, their cells) and (most points, its cell), as last rendered
        self.fixed: tuple[Any, Any, bytes] = (_UNSEEN, _UNSEEN, b"")
        self.top: tuple[Any, bytes] = (_UNSEEN, b"")
        # message cells by message: a rule's sentences repeat where figures do
        self.messages: dict[str, bytes] = {}
        self.group, self.unit, self.op = (
            rule.spec.group,
            rule.unit or None,
            rule_op(rule),
        )
        self.threshold = reported_threshold(rule, explain.ruleset)
        self.fixed_threshold = self.threshold is not COMPUTED
        top = getattr(rule.spec, "max_points", None)
        self.max_points: Any = None if top is None else Fraction(top)
        # by (passed, figures): a constant text, a compiled sentence, or None (the
        # explainer writes each finding's)
        self.sentences = {
            (status is _PASSED, figures): explain.sentence_of(rule.id, status, figures)
            for status in (_PASSED, _FAILED)
            for figures in (False, True)
        }
        self.share = rule.id in explain.percent  # its actual figure read as a percent
        # what an actual reads as when it rounds onto the fixed threshold: only then
        # is it kept apart from it (`figure_apart`), one set lookup otherwise
        self.near = (
            near_texts(self.threshold, self.share)
            if self.fixed_threshold
            else frozenset()
        )
        # a finding not applicable for the rule's `applies_if` holds nothing of the
        # project's: its row is written once (by DecisionRows), and a finding that
        # differs from it only in its reason (未配置, a key not in a table) is that row
        # with the reason's words, compiled once per reason and parameter names
        self.probe = inapplicable_probe(rule)
        self.probe_row: tuple[bytes, str] | None = None
        self.reasons: dict[tuple[str, tuple[str, ...]], _ReasonWords | None]
        self.reasons = {}
        self.frames = {
            (passed, figures): _frame(self, passed, sentence, explain.lang)
            for (passed, figures), sentence in self.sentences.items()
        }
        # the same, by presence of figures (False, True), for each status
        self.passed_frames = [self.frames[True, False], self.frames[True, True]]
        self.failed_frames = [self.frames[False, False], self.frames[False, True]]

    def remember(self, threshold: Any, unit: str | None, lang: str) -> bytes:
        """The threshold and unit cells of a finding, kept for the next."""
        cells = _figure_at(threshold, lang) + _unit_cell(unit, lang)
        self.fixed = (threshold, unit, cells)
        return cells

    def remember_top(self, top: Any) -> bytes:
        """The most points' cell of a finding, kept for the next."""
        cell = _figure_at(top, None)
        self.top = (top, cell)
        return cell

    def message(self, message: str) -> bytes:
        """The message cell of a finding, kept for the findings that say the same."""
        messages = self.messages
        if len(messages) >= _MESSAGES_KEPT:
            messages.clear()
        cell = messages[message] = _text_at(message)
        return cell

    def holds_top(self, top: Any) -> bool:
        """Whether `top` is the rule's own most points (the same figure); once it is,
        that object is compared by identity from then on."""
        if top is self.max_points:
            return True
        if not same_figure(top, self.max_points):
            return False
        self.max_points = top
        return True

    def fits(self, finding: Finding) -> bool:
        """Whether one of the rule's sentences is `finding`'s message: not when the
        explainer must write it (another group, kind, unit, operator, threshold or most
        points than the rule's, missing data, a reason, branches; as `contract_bytes`
        tells)."""
        return self.holds(
            finding.group,
            finding.unit,
            finding.op,
            finding.missing,
            finding.reason,
            finding.branches,
            finding.max_points,
            finding.threshold,
        )

    def holds(
        self,
        group: str,
        unit: str | None,
        op: str | None,
        missing: tuple[str, ...],
        reason: str | None,
        branches: tuple[Any, ...],
        top: Any,
        threshold: Any,
    ) -> bool:
        """`fits`, from the finding's fields (`framed` has them unpacked already)."""
        if (
            group != self.group
            or (unit or None) != self.unit
            or op != self.op
            or missing
            or reason is not None
            or branches
        ):
            return False
        if top is not self.max_points and not self.holds_top(top):
            return False
        if self.fixed_threshold and threshold is not self.threshold:
            if threshold is None or not same_figure(threshold, self.threshold):
                return False
            self.threshold = threshold  # the same: by identity from now on
        return True

    def sentence(self, finding: Finding) -> Any:
        """The rule's sentence that is `finding`'s message, or None when the explainer
        must write it (see `fits`)."""
        if not self.fits(finding):
            return None
        return self.sentences[finding.status is _PASSED, finding.actual is not None]

    def framed(
        self,
        finding: Finding,
        remedy: str | None,
        answers: Mapping[bool, Any],
        head: bytes,
    ) -> tuple[bytes, str | None] | None:
        """The finding's cells after the project's id and name, with the row's end,
        from the rule's frame, and its message when it failed (None when it passed:
        nothing reads it); None when the finding does not fit a frame (`fits`) or
        holds a figure the frame does not write (a float or a text, a figure that
        may be beyond what Excel holds). `remedy`: the finding's, as the explainer
        writes it; `answers`: a yes or no figure's cell and how a sentence shows it;
        `head`: the project's cells, which open the row."""
        (
            _,
            group,
            kind,
            status,
            actual,
            threshold,
            op,
            unit,
            points,
            top,
            missing,
            reason,
            _,
            _,
            branches,
        ) = finding
        if status is _PASSED:
            frame = self.passed_frames[actual is not None]
        elif status is _FAILED:
            frame = self.failed_frames[actual is not None]
        else:
            return None
        if (
            frame is None
            or kind != self.kind
            or not self.holds(
                group, unit, op, missing, reason, branches, top, threshold
            )
        ):
            return None
        frame_threshold = frame.threshold
        if actual is None:
            whole = frame.whole
            if (
                whole is not None
                and points is None
                and remedy is None
                and (frame_threshold is not None or threshold is None)
            ):
                return head + whole, frame.message
            number, shown, answer = b"", "", EMPTY
            json_text = None
        else:
            texts = figure(actual, self.share)
            if texts is None:
                if type(actual) is not bool:  # a float, a text: rare
                    return None
                # a derived fact's yes or no, as _figure_at and _Sentence show it
                answer, shown = answers[actual]
                number, json_text = b"", None
            else:
                json_text, shown = texts
                if threshold is not None and (
                    not self.fixed_threshold
                    or json_text in self.near
                    or shown in self.near
                ):  # it may round onto the threshold: kept apart from it
                    json_text, shown = figure_apart(actual, threshold, self.share)
                if len(json_text) > 15 or "e" in json_text:
                    return None  # may be beyond what Excel holds
                number, answer = json_text.encode(), b""
        if frame_threshold is None:
            unit = unit or None
            kept = self.fixed
            frame_threshold = (
                kept[2]
                if threshold is kept[0] and unit == kept[1]
                else self.remember(threshold, unit, self.lang)
            )
        if points is None:
            points_cell = EMPTY
        elif type(points) is int and -_EXACT_INT < points < _EXACT_INT:
            points_cell = b"<c><v>%d</v></c>" % points
        else:
            points_cell = _figure_at(points, None)
        message = frame.message
        if message is None:
            # the figure's JSON text is mostly the one shown (not a share's)
            said = (number if shown is json_text else shown.encode()).join(
                frame.encoded
            )
            if status is _FAILED:
                message = shown.join(frame.words)  # type: ignore[arg-type]
        else:
            said = b""
        row = b"".join(
            (
                head,
                frame.head,
                NUMBER_OPENING if number else answer,
                number,
                NUMBER_END if number else b"",
                frame_threshold,
                points_cell,
                frame.top,
                said,
                frame.end if remedy is None else frame.close + _text_at(remedy),
                b"" if remedy is None else b"</row>",
            )
        )
        return row, message


class DecisionRows:
    """Renders decisions of one rule set in one language as rows, byte for byte as
    `result_rows` renders their contract results. The cells a rule's findings share
    are rendered once (rule, group, kind and status; basis) or when they change
    (threshold and unit, most points); a finding's own cells (figures, message,
    remedy) each time, its message from the rule's compiled sentence where the finding
    holds the rule's own figures (as the JSON line writes it)."""

    def __init__(self, ruleset: RuleSet, lang: str = "zh") -> None:
        self.lang = "en" if lang == "en" else "zh"
        self.explain = explainer(ruleset, self.lang)
        # remedies and summaries from words compiled once, as the JSON line writes them
        self.prose = Prose(self.explain)
        self._rules: dict[str, _RuleCells] = {}
        for rule in ruleset.rules:
            heads = {}
            for status in Status:
                fields = {
                    "rule": rule.id,
                    "group": rule.spec.group,
                    "kind": rule.kind,
                    "status": status.value,
                }
                heads[status] = cells_xml(
                    _finding_tail(fields, self.lang, self.explain.titles[rule.id])[:5],
                    FINDINGS,
                    2,
                    ends=False,
                    lang=self.lang,
                )
            basis = cell_xml(rule.spec.basis)
            cells = self._rules[rule.id] = _RuleCells(rule, heads, basis, self.explain)
            try:
                cells.probe_row = self._general(cells.probe, cells, None)
            except Exception:  # words that do not format: written per finding
                cells.probe_row = None
        # a yes or no figure's cell and how a sentence shows it
        self._answers = {
            answer: (_figure_at(answer, self.lang), show(answer, self.lang))
            for answer in (True, False)
        }
        self._decisions = {
            decision: cell_xml(
                Styled(enum_label("decision", decision, self.lang), style),
            )
            for decision, style in DECISION_STYLE.items()
        }
        # the summary names rules and fields by title, resolved once for the rule set
        self._titles = self.explain.titles
        self._field_titles = {
            path: self.explain.field_title(path) for path in (*FIELDS, *ruleset.inputs)
        }
        self._sep = label("list_sep", self.lang)
        self._colon = label("colon", self.lang)

    def _named(self, decision: Decision) -> tuple[list[str], list[str]]:
        """The titles of the decision's vetoing rules and of the fields it lacks."""
        titles, fields = self._titles, self._field_titles
        return (
            [titles.get(rule) or rule for rule in decision.vetoed_by],
            [
                fields.get(path) or self.explain.field_title(path)
                for path in decision.missing
            ],
        )

    def _message(self, finding: Finding, cells: _RuleCells | None) -> tuple[str, Any]:
        """`explain.message(finding)`, from the rule's compiled sentence where it can,
        and the actual figure's cell when the sentence showed it (else None)."""
        if cells is not None and finding.kind == cells.kind:
            status = finding.status
            sentence = (
                cells.sentence(finding)
                if status is _PASSED or status is _FAILED
                else None
            )
            if type(sentence) is str:
                return sentence, None
            if sentence is not None:
                if sentence.constant is not None:
                    return sentence.constant, None
                # what _Sentence.fill does once the finding fits, the actual figure's
                # texts made once for its cell and its sentence
                actual_cell = None
                values = {}
                for name in sentence.needs:
                    if name == "actual":
                        actual = finding.actual
                        shown = sentence.shown
                        texts = figure_apart(
                            actual, finding.threshold, shown is percent
                        )
                        if texts is None:
                            values[name] = shown(actual, self.lang)
                            continue
                        values[name] = texts[1]
                        if len(texts[0]) < 16 and "e" not in texts[0]:
                            actual_cell = (
                                NUMBER_OPENING + texts[0].encode() + NUMBER_END
                            )
                    elif name == "threshold":
                        values[name] = self.explain.threshold_text(
                            finding.threshold, finding.op, sentence.shown
                        )
                    else:
                        points = finding.points
                        values[name] = "" if points is None else show(points)
                return sentence.format.format_map(values), actual_cell
        return self.explain.message(finding), None

    def _unframed(
        self, finding: Finding, cells: _RuleCells | None, remedy: Any
    ) -> tuple[bytes, str]:
        """A finding's cells after the project's id and name, with the row's end, and
        its message (`remedy`: the finding's, as the explainer writes it), for a finding
        that does not fit its rule's frame (see `_RuleCells.framed`)."""
        if cells is None or finding.kind != cells.kind:  # not one of this rule set's
            message = self.explain.message(finding)
            return self._whole(finding, message, remedy), message
        like = None if remedy is not None else like_probe(finding, cells.probe)
        if like and cells.probe_row is not None:
            return cells.probe_row
        reason = finding.reason
        if like is not None and reason is not None:  # the probe but for its reason
            made = self._reasoned(cells, reason, finding.reason_params)
            if made is not None:
                return made
        return self._general(finding, cells, remedy)

    def _reasoned(
        self, cells: _RuleCells, reason: str, params: tuple[tuple[str, Any], ...]
    ) -> tuple[bytes, str] | None:
        """`_general` of the rule's probe not applicable for `reason` with `params`,
        its message its words joined around a single parameter, else one format call;
        None where the words are not a plain fill of text parameters."""
        if len(params) == 1:  # the usual: `reason_values`, for one parameter
            name, value = params[0]
            if type(value) is not str:
                return None
            if name in TITLED_PARAMS:  # by its title, as the explainer words it
                value = self.explain.field_title(value)
            key: tuple[str, tuple[str, ...]] = (reason, (name,))
            values = None
        else:
            values = reason_values(params, self.explain.field_title)
            if values is None:
                return None
            key = (reason, tuple(values))
        words = cells.reasons[key] if key in cells.reasons else self._words(cells, *key)
        if words is None:
            return None
        template, around, before, after = words
        if values is None and around is not None:
            message = value.join(around)
        else:
            message = template.format_map(values or {name: value})
        if not message:  # an empty cell would end the row sooner
            return None
        try:
            return before + _text_at(message) + after, message
        except Unrepresentable:  # refused by _general, naming the column
            return None

    def _words(
        self, cells: _RuleCells, reason: str, names: tuple[str, ...]
    ) -> _ReasonWords | None:
        """Compiled once per reason and parameter names: the message's template (see
        `Prose.reason_words`), its words around a single parameter, and the row around
        its cell, cut from the row `_general` writes with marks for the parameters."""
        words: _ReasonWords | None = None
        try:
            template = self.prose.reason_words(cells.probe, reason, names)
            if template is not None:
                marks = {name: _MARK % index for index, name in enumerate(names)}
                marked = cells.probe._replace(
                    reason=reason, reason_params=tuple(marks.items())
                )
                row, message = self._general(marked, cells, None)
                cell = _text_at(message)
                if message == template.format_map(marks) and row.count(cell) == 1:
                    before, after = row.split(cell)
                    around = _split_at(template, names[0]) if len(names) == 1 else None
                    words = _ReasonWords(template, around, before, after)
        except Exception:  # words that do not format: written per finding, as they fail
            words = None
        cells.reasons[(reason, names)] = words
        return words

    def _general(
        self, finding: Finding, cells: _RuleCells, remedy: Any
    ) -> tuple[bytes, str]:
        """`_unframed` of any finding of one of the rule set's rules."""
        message, actual_cell = self._message(finding, cells)
        status = finding.status  # compared by identity: an Enum hashes in Python
        head = (
            cells.passed
            if status is _PASSED
            else cells.failed
            if status is _FAILED
            else cells.heads.get(status)
        )
        if head is None:
            return self._whole(finding, message, remedy), message
        lang = self.lang
        try:
            threshold, unit = finding.threshold, finding.unit or None
            kept = cells.fixed
            fixed = (
                kept[2]
                if threshold is kept[0] and unit == kept[1]
                else cells.remember(threshold, unit, lang)
            )
            top, kept_top = finding.max_points, cells.top
            top_cell = kept_top[1] if top is kept_top[0] else cells.remember_top(top)
            actual, points = finding.actual, finding.points
            if actual_cell is None:
                actual_cell = (
                    EMPTY
                    if actual is None
                    else _figure_at(apart(actual, threshold), lang)
                )
            row = b"".join(
                (
                    head,
                    actual_cell,
                    fixed,
                    EMPTY if points is None else _figure_at(points, None),
                    top_cell,
                    cells.messages.get(message) or cells.message(message),
                    cells.basis,
                )
            )
            if remedy is not None:
                return row + _text_at(remedy) + b"</row>", message
            if row.endswith(EMPTY):  # no basis: the row ends sooner
                row = trimmed(row)
            return row + b"</row>", message
        except Unrepresentable:
            # refused again by the general path, which words it naming the column
            return self._whole(finding, message, remedy), message

    def _whole(self, finding: Finding, message: str, remedy: Any) -> bytes:
        """A finding's cells rendered from its contract fields, one by one."""
        fields = finding_fields(finding, self.explain, message, remedy)
        try:
            title = self.explain.titles[finding.rule]
            tail = _finding_tail(fields, self.lang, title)
            return cells_xml(tail, FINDINGS, 2, lang=self.lang) + b"</row>"
        except Unrepresentable as exc:
            rule = self.explain.rules.get(finding.rule)
            raise RefusedFinding(
                f"{self._titles.get(finding.rule) or finding.rule} {exc}",
                () if rule is None else figure_fields(rule, self.explain.ruleset),
            ) from None

    def render(self, decision: Decision) -> Rendered:
        """The decision's summary row and finding rows; `Unrepresentable` if a cell
        cannot hold one of its values."""
        summary, findings = self.render_bodies(decision)
        return Rendered(
            ROW_OPENING + summary, tuple([ROW_OPENING + row for row in findings])
        )

    def render_bodies(self, decision: Decision) -> tuple[bytes, list[bytes]]:
        """`render`'s rows without their opening tag (as `XlsxWorkbook.add_rows` and
        `deflated_rows` take them)."""
        remedy_of, rules, answers = self.prose.remedy, self._rules, self._answers
        unframed = self._unframed
        remedies: dict[str, str | None] = {}
        failed: list[tuple[int, str]] = []
        rows: list[bytes] = []
        message: str | None  # a failed finding's, for the summary
        refused: Unrepresentable | None = None
        head = None
        try:
            # the project's id and name, which open each of its finding rows and its
            # summary row
            head = _text_at(decision.project_id) + _text_at(decision.project_name)
            for finding in decision.findings:
                remedy = None
                if finding.remedy is not None:  # the summary reads them by rule
                    remedy = remedies[finding.rule] = remedy_of(finding)
                cells = rules.get(finding.rule)
                made = (
                    None
                    if cells is None
                    else cells.framed(finding, remedy, answers, head)
                )
                if made is None:
                    written, message = unframed(finding, cells, remedy)
                    rows.append(head + written)
                else:
                    written, message = made
                    rows.append(written)
                if finding.status is _FAILED and finding.kind in _FAILING_ORDER:
                    failed.append(
                        (
                            _FAILING_ORDER[finding.kind],
                            main_reason(
                                self._titles.get(finding.rule) or finding.rule,
                                message,
                                self._colon,
                            ),
                        )
                    )
        except Unrepresentable as exc:
            refused = exc
        failed.sort(key=itemgetter(0))  # stable: in the rule set's order within a kind
        # the summary first: a value no cell holds is refused naming its column there
        summary = self._summary(decision, [m for _, m in failed], remedies, head)
        if refused is not None:
            raise refused
        return summary, rows

    def _summary(
        self,
        decision: Decision,
        failed: list[str],
        remedies: dict[str, str | None],
        head: bytes | None,
    ) -> bytes:
        """The decision's row of the summary sheet without its opening tag (`failed`:
        its failed rules' words; `remedies`: its findings' by rule; `head`: the cells
        of its id and name, None when they were refused)."""
        summary = self.prose.summary(decision, remedies)
        to_pass = "\n".join(summary) if summary else None
        decision_cell = self._decisions.get(decision.outcome.value)
        score_text = score_json(
            decision.score, decision.pass_mark, decision.review_band
        )  # number(shown_score(…), 2)
        if decision_cell is None or len(score_text) > 15 or "e" in score_text:
            score = number(
                shown_score(decision.score, decision.pass_mark, decision.review_band), 2
            )
            return self._whole_summary(decision, score, failed, to_pass)
        score_cell = (
            EMPTY
            if score_text == "null"
            else NUMBER_OPENING + score_text.encode() + NUMBER_END
        )
        shown = failed
        if len(shown) > MAX_FAILED:
            shown = [*shown[:MAX_FAILED], f"… (+{len(shown) - MAX_FAILED})"]
        vetoes, missing = self._named(decision)
        try:
            if head is None:
                head = _text_at(decision.project_id) + _text_at(decision.project_name)
            cells = b"".join(
                (
                    head,
                    _text_at(decision.project_company),
                    decision_cell,
                    score_cell,
                    _text_at(self._sep.join(vetoes) or None),
                    _text_at("\n".join(shown) or None, WRAP),
                    _text_at(self._sep.join(missing) or None),
                    _text_at(to_pass, WRAP),
                )
            )
            return trimmed(cells) + b"</row>"
        except Unrepresentable:
            # refused again by the general path, which words it naming the column
            score = number(
                shown_score(decision.score, decision.pass_mark, decision.review_band), 2
            )
            return self._whole_summary(decision, score, failed, to_pass)

    def _whole_summary(
        self, decision: Decision, score: Any, failed: list[str], to_pass: str | None
    ) -> bytes:
        """The summary row (without its opening tag) from its values, one by one."""
        project = {
            "id": decision.project_id,
            "name": decision.project_name,
            "company": decision.project_company,
        }
        vetoes, missing = self._named(decision)
        values = _summary_values(
            project,
            decision.outcome.value,
            score,
            vetoes,
            failed,
            missing,
            to_pass,
            self.lang,
        )
        return row_body(values, SUMMARY, self.lang)
