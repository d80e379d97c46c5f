"""A batch of results → an XLSX workbook a committee can filter and print. Layout only.

Sheets 汇总 (one row per project, decisions coloured), 明细 (project × finding), 错误
(invalid and skipped rows) and 规则集 (what was applied, when, with which counts). A
sheet that reaches Excel's row limit continues on "明细 (2)".

Written for speed and flat memory: a batch's worker processes render each decision's
rows as SpreadsheetML (`DecisionRows`) and deflate each chunk's rows of a sheet as one
piece (`deflated_rows`); the parent only appends the pieces, in input order, to one
temporary file per sheet (`XlsxWorkbook`); the package is assembled at the end and
renamed into place. Rows and cells carry no reference (their `r` is optional in
ECMA-376 §18.3.1.73 and §18.3.1.4): a row is the one after the row before it, a cell
the column after the cell before it (an empty cell between two others is written as
`<c/>`), so a worker needs no row number and the parent never touches a row.
openpyxl, calamine, LibreOffice and screening's own reader read them so
(tests/report/test_xlsx.py); Excel, which cannot run here, is reported to. A library
writer (openpyxl, XlsxWriter) works in one process, a cell at a time, some ten times
too slowly for a batch (README, "Excel at full speed"). Strings are inline strings,
never formulas, so a cell typed as "=HYPERLINK(…)" stays text. A value no cell can
hold (a figure beyond Excel's range, a text longer than 32,767 characters) is refused
with `Unrepresentable`, so the batch refuses that row in every output. Nothing here
screens.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from fractions import Fraction
from operator import itemgetter
from pathlib import Path
from string import Formatter
from typing import Any, NamedTuple

from screening.compile import COMPUTED, reported_threshold, rule_op
from screening.findings import Decision, Finding, Status
from screening.io.writers import (
    FAILING_KINDS,
    StagedFile,
    failed_findings,
    is_failure,
    temp_file,
)
from screening.io.ziparchive import (
    DeflatedMember,
    Packed,
    Piece,
    deflate_piece,
    inflate_piece,
    pack,
    write_zip,
)
from screening.model.effective import RuleSet
from screening.report.explain import (
    Prose,
    explainer,
    inapplicable_probe,
    like_probe,
    number,
    percent,
    reason_values,
    round_score,
    show,
)
from screening.report.figures import figure, same_figure, score_json
from screening.report.html import (
    DECISIONS,
    enum_label,
    finding_status,
    label,
    value_text,
)

MAX_ROWS = 1_048_576  # Excel's rows per sheet, header included
MAX_FAILED = 5  # failed rules listed in a summary cell; the findings sheet has them all
EXCEL_CHARS = 32_767  # characters an Excel cell holds
EXCEL_LARGEST = 9.99999999999999e307  # the largest number Excel accepts


class Unrepresentable(ValueError):
    """A value that an XLSX cell cannot hold; the message says which and why."""


SUMMARY = (
    ("id", 16),
    ("name", 36),
    ("company", 28),
    ("decision", 8),
    ("score", 8),
    ("vetoed_by", 24),
    ("main_failed", 48),
    ("missing", 28),
    ("to_pass", 56),
)
FINDINGS = (
    ("id", 16),
    ("name", 30),
    ("rule", 28),
    ("group", 14),
    ("kind", 10),
    ("status", 9),
    ("actual", 12),
    ("threshold", 12),
    ("unit", 10),
    ("points", 8),
    ("max_points", 8),
    ("message", 50),
    ("basis", 40),
    ("remedy", 50),
)
ERRORS = (("source", 36), ("row", 8), ("column", 24), ("reason", 70), ("error_kind", 8))
RULESET = (("item", 18), ("value", 70))

# labels only the workbook needs; the others are the HTML report's (html.label)
_LABELS = {
    "zh": {
        "error_kind": "情况",
        "invalid_kind": "无效",
        "skipped_kind": "跳过",
        "skipped": "跳过行",
        "ruleset_path": "规则集文件",
    },
    "en": {
        "error_kind": "Kind",
        "invalid_kind": "invalid",
        "skipped_kind": "skipped",
        "skipped": "Skipped rows",
        "ruleset_path": "Rule set file",
    },
}


def _label(key: str, lang: str) -> str:
    return _LABELS[lang].get(key) or label(key, lang)


# ---- cells ---------------------------------------------------------------------------

# cell styles, by their index in styles.xml's cellXfs
_PLAIN, _HEADER, _WRAP, _PASS, _REVIEW, _REJECT = range(6)
_DECISION_STYLE = {"pass": _PASS, "review": _REVIEW, "reject": _REJECT}
_STATUS_STYLE = {"pass": _PASS, "fail": _REJECT, "missing": _REVIEW}


class Styled(NamedTuple):
    """A value written with a cell style other than the plain one."""

    value: Any
    style: int


def _column(index: int) -> bytes:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters.encode()


_REFS = [_column(i) for i in range(1, 27)]
# Cells carry no reference (SpreadsheetML's `r` is optional: each cell is the column
# after the one before it): a cell left empty between two others is an empty `<c/>`,
# empty cells that end a row are left out. Rows carry no number either.
_EMPTY = b"<c/>"
# what opens a text cell, up to its text, by style
_TEXT_OPENINGS = [
    b'<c t="inlineStr"' + (b' s="%d"' % style if style else b"") + b"><is><t>"
    for style in range(6)
]
_TEXT_END = b"</t></is></c>"
_NUMBER_OPENING = b"<c><v>"
_NUMBER_END = b"</v></c>"
_XML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
# Characters XML 1.0 cannot carry (control characters make Excel refuse the whole
# file): dropped. An "_xHHHH_" in the text, which Excel would decode as an escape: its
# "_" escaped, so Excel shows the text as typed (XlsxWriter does the same).
_SPECIAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


def _special(match: re.Match[str]) -> str:
    return "_x005F_" if match.group() == "_" else ""


# anything _text_cell must change; most texts have none of it
_NEEDS_WORK = re.compile(
    r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]|_x[0-9A-Fa-f]{4}_"
).search
_SPACES = " \t\n\r\u3000"


def _text_cell(text: str, style: int) -> bytes:
    if len(text) > EXCEL_CHARS:
        raise Unrepresentable(
            f"文本长 {len(text):,} 字符，超过 Excel 单元格上限 {EXCEL_CHARS:,} / "
            f"a text of {len(text):,} characters: more than an Excel cell holds"
        )
    escaped = text
    if _NEEDS_WORK(text) is not None:
        for plain, entity in _XML_ESCAPES:
            if plain in escaped:
                escaped = escaped.replace(plain, entity)
        escaped = _SPECIAL.sub(_special, escaped)
    try:
        body = escaped.encode()
    except UnicodeEncodeError:
        raise Unrepresentable(
            "含无法编码的字符 / text with characters that cannot be encoded"
        ) from None
    opening = _TEXT_OPENINGS[style]
    if text[0] in _SPACES or text[-1] in _SPACES:
        opening = opening[:-1] + b' xml:space="preserve">'
    return opening + body + _TEXT_END


def _number_cell(value: int | float, style: int) -> bytes:
    if not -EXCEL_LARGEST <= value <= EXCEL_LARGEST:
        raise Unrepresentable(
            "数值超出 Excel 单元格可表示的范围（绝对值不超过 9.99999999999999E+307）/ "
            "a figure beyond what an Excel cell can hold"
        )
    text = float.__repr__(value) if type(value) is float else int.__repr__(value)
    styled = b' s="%d"' % style if style else b""
    return b"<c" + styled + b"><v>" + text.encode() + _NUMBER_END


def _cell(value: Any) -> bytes:
    if type(value) is str:  # the most common: no style
        return _text_cell(value, _PLAIN) if value else _EMPTY
    style = _PLAIN
    if type(value) is Styled:
        value, style = value
    if value is None or value == "":
        return _EMPTY
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number_cell(value, style)
    return _text_cell(str(value), style)


def _trimmed(cells: bytes) -> bytes:
    """Cells that end a row without their trailing empty ones."""
    while cells.endswith(_EMPTY):
        cells = cells[: -len(_EMPTY)]
    return cells


def _cells(
    values: Sequence[Any],
    columns: tuple[tuple[str, int], ...],
    first: int = 0,
    ends: bool = True,
) -> bytes:
    """The cells of `values` from column `first` (0 for A); `ends`: they end the row."""
    try:
        cells = b"".join([_cell(v) for v in values])
    except Unrepresentable as exc:  # say which column: found again, on this rare path
        for i, value in enumerate(values):
            try:
                _cell(value)
            except Unrepresentable:
                raise Unrepresentable(
                    f"{label(columns[first + i][0])}: {exc}"
                ) from None
        raise
    return _trimmed(cells) if ends else cells


_ROW_OPENING = b"<row>"


def _body(values: Sequence[Any], columns: tuple[tuple[str, int], ...]) -> bytes:
    """A row without its opening tag."""
    return _cells(values, columns) + b"</row>"


def _row(values: Sequence[Any], columns: tuple[tuple[str, int], ...]) -> bytes:
    return _ROW_OPENING + _body(values, columns)


def _number_or_text(value: Any, lang: str) -> Any:
    # Numbers stay numbers so the sheet sorts and filters; lists and booleans: text.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return value_text(value, lang) or None


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
    if len(failed) > MAX_FAILED:
        failed = [*failed[:MAX_FAILED], f"… (+{len(failed) - MAX_FAILED})"]
    style = _DECISION_STYLE.get(str(decision), _PLAIN)
    return [
        project.get("id"),
        project.get("name"),
        project.get("company"),
        Styled(enum_label("decision", decision, lang), style),
        score,
        ", ".join(vetoed_by or ()) or None,
        Styled("\n".join(failed) or None, _WRAP),
        ", ".join(missing or ()) or None,
        Styled(summary, _WRAP),
    ]


def _finding_tail(finding: Mapping[str, Any], lang: str) -> list[Any]:
    """A finding's cells after the project's id and name."""
    # A bonus not earned or a derived "no" is no shortcoming: left uncoloured.
    status = finding.get("status")
    soft = status == "fail" and not is_failure(finding)
    style = _PLAIN if soft else _STATUS_STYLE.get(str(status), _PLAIN)
    return [
        finding.get("rule"),
        finding.get("group"),
        enum_label("kind", finding.get("kind"), lang),
        Styled(finding_status(finding, lang), style),
        _number_or_text(finding.get("actual"), lang),
        _number_or_text(finding.get("threshold"), lang),
        finding.get("unit"),
        finding.get("points"),
        finding.get("max_points"),
        finding.get("message"),
        finding.get("basis"),
        finding.get("remedy"),
    ]


def _finding_cells(finding: Mapping[str, Any], lang: str) -> bytes:
    try:
        return _cells(_finding_tail(finding, lang), FINDINGS, 2)
    except Unrepresentable as exc:
        raise Unrepresentable(f"{finding.get('rule')} {exc}") from None


class Rendered(NamedTuple):
    """One project's rows as SpreadsheetML."""

    summary: bytes
    findings: tuple[bytes, ...]


def result_rows(result: Mapping[str, Any], lang: str = "zh") -> Rendered:
    """A JSON-contract result's rows (the workbook of `write_xlsx`)."""
    project = result.get("project") or {}
    failed = [f.get("message") or f["rule"] for f in failed_findings(result)]
    summary = _row(
        _summary_values(
            project,
            result.get("decision"),
            result.get("score"),
            result.get("vetoed_by") or (),
            failed,
            result.get("missing") or (),
            result.get("summary"),
            lang,
        ),
        SUMMARY,
    )
    head = _ROW_OPENING
    head += _cells([project.get("id"), project.get("name")], FINDINGS, ends=False)
    findings = tuple(
        head + _finding_cells(f, lang) + b"</row>" for f in result.get("findings") or ()
    )
    return Rendered(summary, findings)


# ---- rows from a decision, in a batch worker -----------------------------------------

_UNSAID = object()  # a message or remedy not given: the explainer writes it


def finding_fields(
    finding: Finding, explain: Any, message: Any = _UNSAID, remedy: Any = _UNSAID
) -> dict[str, Any]:
    """A finding's JSON-contract fields (report/contract.py writes the same); its
    `message` and `remedy` as given, else as the explainer writes them."""
    return {
        "rule": finding.rule,
        "group": finding.group,
        "kind": finding.kind,
        "status": finding.status.value,
        "actual": number(finding.actual),
        "threshold": number(finding.threshold),
        "unit": finding.unit or None,
        "points": number(finding.points),
        "max_points": number(finding.max_points),
        "message": explain.message(finding) if message is _UNSAID else message,
        "basis": explain.rules[finding.rule].spec.basis,
        "remedy": explain.remedy(finding) if remedy is _UNSAID else remedy,
    }


_FAILING_ORDER = {kind: i for i, kind in enumerate(FAILING_KINDS)}
_UNSEEN = object()  # what a memo holds before its first value
_PASSED, _FAILED = Status.PASS, Status.FAIL
_EXACT_INT = 10**15  # an int within it is written as its digits (see _figure_at)
_MESSAGES_KEPT = 256  # message cells a rule keeps (a memo, bounded)
# a character that may need work in a text (_NEEDS_WORK says whether it does), with
# "_x" found by `in`: one character class, scanned several times as fast as
# _NEEDS_WORK's alternatives, and no false alarm for the "_" of an identifier
_MAY_NEED_WORK = re.compile(
    r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]"
).search


def _text_at(text: Any, style: int = _PLAIN) -> bytes:
    """`_cell` of a text with `style` (plain or wrapped), escaping only when it must."""
    if text is None:
        return _EMPTY
    if type(text) is not str or not text:
        return _cell(text if style == _PLAIN else Styled(text, style))
    if (
        _MAY_NEED_WORK(text) is not None
        or "_x" in text
        or len(text) > EXCEL_CHARS
        or text[0] in _SPACES
        or text[-1] in _SPACES
    ):
        return _text_cell(text, style)
    return _TEXT_OPENINGS[style] + text.encode() + _TEXT_END


def _figure_at(value: Any, lang: str | None) -> bytes:
    """A figure's cell: `_cell` of `number(value)`, through `_number_or_text` in
    `lang` (None: not)."""
    value = number(value)
    kind = type(value)
    if (kind is int or kind is float) and -EXCEL_LARGEST <= value <= EXCEL_LARGEST:
        return _NUMBER_OPENING + repr(value).encode() + _NUMBER_END
    if lang is not None:
        value = _number_or_text(value, lang)
    return _cell(value)


# what stands for a reason's parameter while its words are compiled: text that a
# cell carries as it is (private-use characters), told apart by its number
_MARK = "\ue000%d\ue001"


class _Frame(NamedTuple):
    """A rule's finding row after the project's id and name, for one status and
    presence of figures, compiled once around what varies from finding to finding: the
    actual figure (its cell, and its text in the message), the threshold's cells when
    they are computed for each project, the points' cell, the remedy. For the findings
    that hold the rule's own figures (`_RuleCells.framed`)."""

    head: bytes  # rule, group, kind and status
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
        or checked[0] in _SPACES + "{"
        or checked[-1] in _SPACES + "}"
    ):
        return None
    head = cells.passed if passed else cells.failed
    threshold = (
        _figure_at(cells.threshold, lang) + _cell(cells.unit)
        if cells.fixed_threshold
        else None
    )
    top = _figure_at(cells.max_points, None)
    if message is not None:
        opening, close = _TEXT_OPENINGS[_PLAIN] + message.encode() + _TEXT_END, b""
    else:
        opening, close = _TEXT_OPENINGS[_PLAIN], _TEXT_END
    basis = cells.basis
    end = close + (b"" if basis == _EMPTY else basis) + b"</row>"
    whole = None
    if message is not None:  # its threshold the rule's, or none when it is computed
        bare = _EMPTY + _cell(cells.unit) if threshold is None else threshold
        whole = head + _EMPTY + bare + _EMPTY + top + opening + end
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
        cells = _figure_at(threshold, lang) + _cell(unit)
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
            number, shown, answer = b"", "", _EMPTY
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
            points_cell = _EMPTY
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
                _NUMBER_OPENING if number else answer,
                number,
                _NUMBER_END if number else b"",
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
                heads[status] = _cells(
                    _finding_tail(fields, self.lang)[:4], FINDINGS, 2, ends=False
                )
            basis = _cell(rule.spec.basis)
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
            decision: _cell(
                Styled(enum_label("decision", decision, self.lang), style),
            )
            for decision, style in _DECISION_STYLE.items()
        }

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
                        texts = figure(actual, shown is percent)
                        if texts is None:
                            values[name] = shown(actual, self.lang)
                            continue
                        values[name] = texts[1]
                        if len(texts[0]) < 16 and "e" not in texts[0]:
                            actual_cell = (
                                _NUMBER_OPENING + texts[0].encode() + _NUMBER_END
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
            key: tuple[str, tuple[str, ...]] = (reason, (name,))
            values = None
        else:
            values = reason_values(params)
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
            message = template.format_map(values or dict(params))
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
                actual_cell = _EMPTY if actual is None else _figure_at(actual, lang)
            row = b"".join(
                (
                    head,
                    actual_cell,
                    fixed,
                    _EMPTY if points is None else _figure_at(points, None),
                    top_cell,
                    cells.messages.get(message) or cells.message(message),
                    cells.basis,
                )
            )
            if remedy is not None:
                return row + _text_at(remedy) + b"</row>", message
            if row.endswith(_EMPTY):  # no basis: the row ends sooner
                row = _trimmed(row)
            return row + b"</row>", message
        except Unrepresentable:
            # refused again by the general path, which words it naming the column
            return self._whole(finding, message, remedy), message

    def _whole(self, finding: Finding, message: str, remedy: Any) -> bytes:
        """A finding's cells rendered from its contract fields, one by one."""
        fields = finding_fields(finding, self.explain, message, remedy)
        try:
            return _cells(_finding_tail(fields, self.lang), FINDINGS, 2) + b"</row>"
        except Unrepresentable as exc:
            raise Unrepresentable(f"{finding.rule} {exc}") from None

    def render(self, decision: Decision) -> Rendered:
        """The decision's summary row and finding rows; `Unrepresentable` if a cell
        cannot hold one of its values."""
        summary, findings = self.render_bodies(decision)
        return Rendered(
            _ROW_OPENING + summary, tuple([_ROW_OPENING + row for row in findings])
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
                        (_FAILING_ORDER[finding.kind], message or finding.rule)
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
        score_text = score_json(decision.score)  # number(round_score(score), 2)
        if decision_cell is None or len(score_text) > 15 or "e" in score_text:
            score = number(round_score(decision.score), 2)
            return self._whole_summary(decision, score, failed, to_pass)
        score_cell = (
            _EMPTY
            if score_text == "null"
            else _NUMBER_OPENING + score_text.encode() + _NUMBER_END
        )
        shown = failed
        if len(shown) > MAX_FAILED:
            shown = [*shown[:MAX_FAILED], f"… (+{len(shown) - MAX_FAILED})"]
        try:
            if head is None:
                head = _text_at(decision.project_id) + _text_at(decision.project_name)
            cells = b"".join(
                (
                    head,
                    _text_at(decision.project_company),
                    decision_cell,
                    score_cell,
                    _text_at(", ".join(decision.vetoed_by) or None),
                    _text_at("\n".join(shown) or None, _WRAP),
                    _text_at(", ".join(decision.missing) or None),
                    _text_at(to_pass, _WRAP),
                )
            )
            return _trimmed(cells) + b"</row>"
        except Unrepresentable:
            # refused again by the general path, which words it naming the column
            score = number(round_score(decision.score), 2)
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
        values = _summary_values(
            project,
            decision.outcome.value,
            score,
            decision.vetoed_by,
            failed,
            decision.missing,
            to_pass,
            self.lang,
        )
        return _body(values, SUMMARY)


# ---- the package ---------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_FONT = '<sz val="11"/>{}<name val="Calibri"/><family val="2"/>'
_STYLES = (
    _XML
    + f'<styleSheet xmlns="{_MAIN}">'
    + '<fonts count="5">'
    + f"<font>{_FONT.format('')}</font>"
    + f"<font><b/>{_FONT.format('')}</font>"
    + "".join(
        "<font><b/>" + _FONT.format(f'<color rgb="FF{c}"/>') + "</font>"
        for c in ("006100", "9C5700", "9C0006")
    )
    + "</fonts>"
    + '<fills count="6"><fill><patternFill patternType="none"/></fill>'
    + '<fill><patternFill patternType="gray125"/></fill>'
    + "".join(
        f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/>'
        '<bgColor indexed="64"/></patternFill></fill>'
        for c in ("DCE6F1", "C6EFCE", "FFEB9C", "FFC7CE")
    )
    + "</fills>"
    + '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
    + "</border></borders>"
    + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    + "</cellStyleXfs>"
    + '<cellXfs count="6">'
    + '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    + '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" '
    + 'applyFill="1"/>'
    + '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" '
    + 'applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
    + "".join(
        f'<xf numFmtId="0" fontId="{font}" fillId="{fill}" borderId="0" xfId="0" '
        'applyFont="1" applyFill="1"/>'
        for font, fill in ((2, 3), (3, 4), (4, 5))
    )
    + "</cellXfs>"
    + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    + "</cellStyles></styleSheet>"
)


def _escape(text: str) -> str:
    for plain, entity in (*_XML_ESCAPES, ('"', "&quot;")):
        text = text.replace(plain, entity)
    return text


class DeflatedRows(NamedTuple):
    """Rows of one sheet (`<row>…</row>` each), deflated as one piece, and how many."""

    piece: Piece
    rows: int


# rows joined at a time: ~180 KB of a findings sheet, which the compressor takes
# in the processor's caches (one join of a whole chunk's 3 MB took three times as long)
_GROUP = 256


def _grouped(bodies: Sequence[bytes]) -> Iterator[bytes]:
    """Rows given without their opening tag, as XML, a few hundred rows at a time."""
    for at in range(0, len(bodies), _GROUP):
        yield _ROW_OPENING + _ROW_OPENING.join(bodies[at : at + _GROUP])


def deflated_rows(bodies: Sequence[bytes]) -> DeflatedRows:
    """Rows given without their opening tag (`DecisionRows.render_bodies`), deflated
    as one piece a sheet can take after anything (`XlsxWorkbook.add_rows`): a batch
    worker's chunk, which then crosses the pipe at a twentieth of its size."""
    return DeflatedRows(deflate_piece(_grouped(bodies)), len(bodies))


class _Part(NamedTuple):
    title: str
    member: DeflatedMember


class _Sheet:
    """One sheet, in parts of at most MAX_ROWS rows, each deflated into a temp file."""

    def __init__(
        self,
        book: XlsxWorkbook,
        title: str,
        columns: tuple[tuple[str, int], ...],
        filtered: bool = True,
    ) -> None:
        self.book, self.title, self.columns, self.filtered = (
            book,
            title,
            columns,
            filtered,
        )
        self.parts: list[_Part] = []
        self.finished: list[tuple[str, Packed, int]] = []
        self.rows = 0
        self._open()

    def _open(self) -> None:
        title = (
            self.title if not self.parts else f"{self.title} ({len(self.parts) + 1})"
        )
        member = DeflatedMember("", self.book.temp(f"sheet{len(self.parts) + 1}"))
        self.parts.append(_Part(title[:31], member))
        widths = "".join(
            f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>'
            for i, (_, width) in enumerate(self.columns, 1)
        )
        member.write(
            (
                f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_RELS}"><sheetViews>'
                '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
                f'activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/><cols>{widths}</cols>'
                "<sheetData>"
            ).encode()
        )
        header = [
            Styled(_label(key, self.book.lang), _HEADER) for key, _ in self.columns
        ]
        self.rows = 0
        self.add(_row(header, self.columns))

    def add(self, rendered: bytes) -> None:
        if self.rows >= MAX_ROWS:
            self._close()
            self._open()
        self.rows += 1
        self.parts[-1].member.write(rendered)

    def add_all(self, rendered: Sequence[bytes]) -> None:
        """`add` each row: written in one go while the part has room."""
        if self.rows + len(rendered) > MAX_ROWS:
            for row in rendered:
                self.add(row)
            return
        self.rows += len(rendered)
        self.parts[-1].member.write(b"".join(rendered))

    def add_bodies(self, bodies: Sequence[bytes] | DeflatedRows) -> None:
        """`add` rows given without their opening tag, or deflated (`deflated_rows`)."""
        if isinstance(bodies, DeflatedRows):
            self._add_deflated(bodies)
            return
        if self.rows + len(bodies) > MAX_ROWS:
            for body in bodies:
                self.add(_ROW_OPENING + body)
            return
        self.rows += len(bodies)
        write = self.parts[-1].member.write
        for xml in _grouped(bodies):
            write(xml)

    def _add_deflated(self, deflated: DeflatedRows) -> None:
        if self.rows + deflated.rows > MAX_ROWS:
            # a piece cannot be cut where the part ends: its rows, one by one (once
            # every MAX_ROWS rows at most)
            xml = inflate_piece(deflated.piece)
            rows = xml.split(b"</row>")  # no text holds it: "<" is always escaped
            self.add_all([row + b"</row>" for row in rows[:-1]])
            return
        self.rows += deflated.rows
        self.parts[-1].member.write_piece(deflated.piece)

    def _close(self) -> None:
        title, member = self.parts[-1]
        last = _REFS[len(self.columns) - 1].decode()
        tail = "</sheetData>"
        if self.filtered:
            tail += f'<autoFilter ref="A1:{last}{self.rows}"/>'
        tail += (
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
            'header="0.3" footer="0.3"/></worksheet>'
        )
        member.write(tail.encode())
        self.finished.append((title, member.finish(), self.rows))

    def finish(self) -> None:
        self._close()

    def discard(self) -> None:
        for _, member in self.parts:
            member.discard()


class XlsxWorkbook:
    """A workbook filled row by row and written atomically at `path` by `close`.

    Temporary files (one per sheet part) are made by `temp_file` beside the output;
    `discard` removes them and leaves whatever was at `path` untouched.
    """

    def __init__(self, path: Path | str, lang: str = "zh") -> None:
        self.path = Path(path)
        self.lang = "en" if lang == "en" else "zh"
        self.decisions: Counter[str] = Counter()
        self._error_rows: dict[str, set[tuple[Any, Any]]] = {
            "invalid": set(),
            "skipped": set(),
        }
        self._temps: list[Path] = []
        self.sheets: list[_Sheet] = []
        try:
            self.summary = self._sheet("summary_sheet", SUMMARY)
            self.findings = self._sheet("findings_sheet", FINDINGS)
            self.errors = self._sheet("errors_sheet", ERRORS)
        except BaseException:
            self.discard()
            raise

    def temp(self, purpose: str) -> Path:
        """A new temporary file beside the output (removed by close or discard)."""
        path = temp_file(self.path, f"xlsx-{purpose}")
        self._temps.append(path)
        return path

    def _sheet(
        self, key: str, columns: tuple[tuple[str, int], ...], filtered: bool = True
    ) -> _Sheet:
        sheet = _Sheet(self, _label(key, self.lang), columns, filtered)
        self.sheets.append(sheet)
        return sheet

    def add(self, decision: str, rendered: Rendered) -> None:
        """Append one project: its summary row and its finding rows."""
        self.decisions[decision] += 1
        self.summary.add(rendered.summary)
        self.findings.add_all(rendered.findings)

    def add_rows(
        self,
        summary: Sequence[bytes] | DeflatedRows,
        findings: Sequence[bytes] | DeflatedRows,
    ) -> None:
        """Append projects' summary rows and finding rows, rendered without their
        opening tags (`DecisionRows.render_bodies`), or those deflated
        (`deflated_rows`), and counted (in `decisions`) elsewhere: a batch worker's
        chunk."""
        self.summary.add_bodies(summary)
        self.findings.add_bodies(findings)

    def add_error(self, error: Mapping[str, Any]) -> None:
        """Append one invalid or skipped row (`kind` says which; invalid by default)."""
        kind = "skipped" if error.get("kind") == "skipped" else "invalid"
        self._error_rows[kind].add((error.get("source"), error.get("row")))
        values = [
            error.get("source"),
            error.get("row"),
            error.get("column"),
            error.get("reason"),
            _label(f"{kind}_kind", self.lang),
        ]
        try:
            self.errors.add(_row(values, ERRORS))
        except Unrepresentable:  # a reason quoting a huge cell: shortened, never lost
            values[2:4] = [str(v or "")[:EXCEL_CHARS] for v in values[2:4]]
            self.errors.add(_row(values, ERRORS))

    def counts(self, given: Mapping[str, int] | None = None) -> dict[str, int]:
        """rows = screened + invalid + skipped; counts in `given` win."""
        screened = sum(self.decisions.values())
        invalid = len(self._error_rows["invalid"])
        skipped = len(self._error_rows["skipped"])
        counts = {
            "rows": screened + invalid + skipped,
            "screened": screened,
            "invalid": invalid,
            "skipped": skipped,
            **{d: self.decisions.get(d, 0) for d in DECISIONS},
        }
        counts.update(given or {})
        return counts

    def finish(self, meta: Mapping[str, Any]) -> StagedFile:
        """Finish every sheet and write the workbook beside `path`, uncommitted."""
        staged = None
        try:
            ruleset = self._sheet("ruleset_sheet", RULESET, filtered=False)
            for row in _ruleset_rows(meta, self.counts(meta.get("counts")), self.lang):
                ruleset.add(_row(row, RULESET))
            for sheet in self.sheets:
                sheet.finish()
            staged = StagedFile(self.path, "wb")
            write_zip(staged.handle, self._members())
            return staged.finish()
        except BaseException:
            if staged is not None:
                staged.discard()
            raise
        finally:
            self.discard()

    def close(self, meta: Mapping[str, Any]) -> None:
        """Finish every sheet and write the workbook atomically at `path`."""
        staged = self.finish(meta)
        try:
            staged.commit()
        except BaseException:
            staged.discard()
            raise

    def discard(self) -> None:
        """Remove the temporary files; `path` keeps what it had."""
        for sheet in self.sheets:
            sheet.discard()
        for path in self._temps:
            path.unlink(missing_ok=True)

    def _members(self) -> list[Packed]:
        parts: list[tuple[str, Packed]] = []
        filters: list[tuple[int, int, int]] = []  # sheet index, columns, rows
        for sheet in self.sheets:
            for title, packed, rows in sheet.finished:
                if sheet.filtered:
                    filters.append((len(parts), len(sheet.columns), rows))
                parts.append((title, packed))
        names = [title for title, _ in parts]
        sheets = "".join(
            f'<sheet name="{_escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, name in enumerate(names, 1)
        )
        defined = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" '
            f'hidden="1">{_escape(_quoted(names[index]))}!$A$1:$'
            f"{_REFS[columns - 1].decode()}${rows}</definedName>"
            for index, columns, rows in filters
        )
        workbook = (
            f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}"><workbookPr/>'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheets}</sheets>"
            + (f"<definedNames>{defined}</definedNames>" if defined else "")
            + "</workbook>"
        )
        sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        types = (
            f"{_XML}<Types "
            'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            f'ContentType="{sheet_type}.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            f'ContentType="{sheet_type}.styles+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                f'ContentType="{sheet_type}.worksheet+xml"/>'
                for i in range(1, len(parts) + 1)
            )
            + "</Types>"
        )
        relation = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        package_rels = (
            f"{_XML}<Relationships "
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{relation}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        )
        book_rels = (
            f"{_XML}<Relationships "
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{relation}/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(parts) + 1)
            )
            + f'<Relationship Id="rId{len(parts) + 1}" Type="{relation}/styles" '
            'Target="styles.xml"/></Relationships>'
        )
        members = [
            pack("[Content_Types].xml", types.encode()),
            pack("_rels/.rels", package_rels.encode()),
            pack("xl/workbook.xml", workbook.encode()),
            pack("xl/_rels/workbook.xml.rels", book_rels.encode()),
            pack("xl/styles.xml", _STYLES.encode()),
        ]
        members += [
            replace(packed, name=f"xl/worksheets/sheet{i}.xml")
            for i, (_, packed) in enumerate(parts, 1)
        ]
        return members


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _ruleset_rows(
    meta: Mapping[str, Any], counts: Mapping[str, int], lang: str
) -> list[list[Any]]:
    ruleset = meta.get("ruleset") or {}
    rows: list[list[Any]] = [
        [label("ruleset_id", lang), ruleset.get("id")],
        [label("version", lang), ruleset.get("version")],
        [label("sha256", lang), ruleset.get("sha256")],
    ]
    if ruleset.get(
        "path"
    ):  # loaded from a file: its id alone would claim a shipped one
        rows.append([_label("ruleset_path", lang), ruleset["path"]])
    rows += [
        [label("as_of", lang), meta.get("as_of")],
        [label("generated", lang), meta.get("generated")],
        [label("input", lang), meta.get("input")],
        [label("rows", lang), counts.get("rows")],
        [label("screened", lang), counts.get("screened")],
        [label("invalid", lang), counts.get("invalid")],
        [_label("skipped", lang), counts.get("skipped")],
    ]
    rows += [[enum_label("decision", d, lang), counts.get(d)] for d in DECISIONS]
    return rows


def write_xlsx(
    path: Path | str,
    results: Iterable[Mapping[str, Any]],
    errors: Iterable[Mapping[str, Any]],
    meta: Mapping[str, Any],
    lang: str = "zh",
) -> None:
    """Stream contract results and errors into an XLSX workbook written atomically.

    Counts in `meta["counts"]` win; those missing are counted from the streams. A
    result a cell cannot hold raises `Unrepresentable` (a batch refuses such a row
    before any output sees it).
    """
    book = XlsxWorkbook(path, lang)
    try:
        for result in results:
            book.add(str(result.get("decision")), result_rows(result, book.lang))
        for error in errors:
            book.add_error(error)
    except BaseException:
        book.discard()
        raise
    book.close(meta)
