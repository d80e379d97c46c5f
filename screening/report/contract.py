"""The JSON contract: one decision → a dict with keys in documented order, stable bytes.

`to_contract` gives the dict; `contract_bytes` writes the same JSON line directly in
UTF-8: each finding is one `%` fill of its rule's frame, the finding's JSON encoded
once per rule, status and presence of figures around the holes that vary (the
figures, the sentence's own figures, the remedy), so that a batch line costs a few
small conversions per finding and no encoding of the whole line.
"""

from __future__ import annotations

import json
from fractions import Fraction
from operator import itemgetter
from string import Formatter
from typing import Any

from screening.compile import COMPUTED, reported_threshold, rule_op
from screening.findings import Decision, Finding, Outcome, Status
from screening.model.effective import RuleSet
from screening.report.explain import (
    Explainer,
    Prose,
    explainer,
    inapplicable_probe,
    json_string,
    like_probe,
    number,
    percent,
    reason_values,
    show,
    shown_score,
)
from screening.report.figures import (
    apart,
    figure,
    figure_apart,
    near_texts,
    number_json,
    same_figure,
    score_json,
)

_encode = json.JSONEncoder(
    ensure_ascii=False
).encode  # = json.dumps(…, ensure_ascii=False), one encoder


def to_contract(
    decision: Decision, ruleset: RuleSet, lang: str = "zh"
) -> dict[str, Any]:
    """The documented JSON shape of one decision (see README, "JSON output")."""
    explain = explainer(ruleset, lang)
    findings = [finding_fields(finding, explain) for finding in decision.findings]
    return {
        **_head(decision, ruleset.path),
        "findings": findings,
        "summary": _summary(decision, explain),
    }


def contract_line(decision: Decision, ruleset: RuleSet, lang: str = "zh") -> str:
    """`json.dumps(to_contract(…), ensure_ascii=False)`, byte for byte, built faster."""
    return contract_bytes(decision, ruleset, lang)[:-1].decode()


def contract_bytes(decision: Decision, ruleset: RuleSet, lang: str = "zh") -> bytes:
    """`contract_line(…)` in UTF-8 with its newline, as a batch writes it."""
    return _writer(ruleset, lang).line(decision)


# a frame's holes, by what fills them: the finding's figures as JSON numbers, its
# sentence's own figures as shown, its whole message, its remedy, its status
_ACTUAL, _THRESHOLD, _POINTS, _TOP, _SAY_ACTUAL, _SAY_THRESHOLD, _SAY_POINTS = range(7)
_MESSAGE, _REMEDY = 7, 8
_STATUS = -1  # the general frame's first hole
_SAYS = {"actual": _SAY_ACTUAL, "threshold": _SAY_THRESHOLD, "points": _SAY_POINTS}
_NULL = b"null"
_HOLE = b"\x00"  # never in JSON text (escaped as \u0000): where a message goes


def _inner(text: str) -> bytes:
    """`text` as it reads inside a JSON string, in UTF-8."""
    return json_string(text)[1:-1].encode()


class _Frame:
    """One rule's finding JSON in UTF-8 with `%s` holes, for one status and presence of
    figures, with the sentence the rule's kind writes for them (see
    `Explainer.sentence_of`): a constant, a template of the finding's own figures
    escaped into the frame, or written whole for each finding.

    `write(finding)` fills it in one `%` call. It returns None for a finding the frame
    was not made for (another group, kind or unit, missing data or a reason, branches,
    or words that would read otherwise), which the rule's general frame then writes.
    """

    def __init__(
        self,
        rule: Any,
        status: Status,
        figures: bool,
        explain: Explainer,
        ruleset: RuleSet,
        prose: Prose,
    ) -> None:
        self.explain, self.prose = explain, prose
        self.group, self.kind, self.unit = rule.spec.group, rule.kind, rule.unit or None
        self.op = rule_op(rule)
        self.threshold = reported_threshold(rule, ruleset)
        self.fixed_threshold = self.threshold is not COMPUTED
        # a threshold computed for each project is written from the finding; this text
        # is then only ever compared by identity (a finding's None threshold is _NULL)
        self.threshold_json = (
            number_json(self.threshold).encode() if self.fixed_threshold else _NULL
        )
        top = getattr(rule.spec, "max_points", None)
        self.top: Any = None if top is None else Fraction(top)
        self.top_json = number_json(self.top).encode()
        self.percent = rule.id in explain.percent
        # what an actual reads as when it rounds onto the fixed threshold: only then
        # is it kept apart from it (`figure_apart`), one set lookup otherwise
        self.near = (
            near_texts(self.threshold, self.percent)
            if self.fixed_threshold
            else frozenset()
        )
        self.lang = explain.lang
        self.yes_no = {
            value: _inner(show(value, explain.lang)) for value in (True, False)
        }
        pieces: list[bytes | int] = [
            *_head_pieces(rule),
            f'"{status.value}"'.encode(),
            *_figure_pieces(rule, _ACTUAL if figures else _NULL),
        ]
        sentence = explain.sentence_of(rule.id, status, figures)
        # words told from a probe holding the rule's operator, unit, most points and
        # fixed threshold: they are the finding's only when it holds these too
        self.probed = sentence is not None
        if isinstance(sentence, str):
            pieces.append(_inner(sentence))
        elif sentence is not None and sentence.constant is not None:
            pieces.append(_inner(sentence.constant))
        elif sentence is not None and _plain(sentence.format):
            for literal, name, _, _ in Formatter().parse(sentence.format):
                pieces.append(_inner(literal))
                if name is not None:
                    pieces.append(_SAYS[name])
        else:
            pieces.append(_MESSAGE)
        pieces += _tail_pieces(rule)
        self.template, holes = _template(pieces)
        self.pick = itemgetter(*holes)
        # the frame with the rule's own threshold and most points written in, for the
        # findings that hold them: filled from (actual, points, the sentence's actual
        # and points, remedy) in that order, a hole it lacks read as nothing (`%.0s`)
        own_pieces = [
            self.threshold_json
            if piece == _THRESHOLD
            else self.top_json
            if piece == _TOP
            else piece
            for piece in pieces
        ]
        self.own = _in_order(own_pieces, _OWN_HOLES)
        # where the words show them otherwise (twice, or points before actual): picked
        own, own_holes = _template(own_pieces)
        fits = self.own is None and set(own_holes) <= set(_OWN_HOLES)
        self.picked: bytes | None = own if fits else None
        self.own_pick = itemgetter(
            *([_OWN_HOLES.index(h) for h in own_holes] if fits else [0, 0])
        )
        self.says_threshold = _SAY_THRESHOLD in holes
        self.says_message = _MESSAGE in holes
        self.holds_threshold = self.probed and self.fixed_threshold
        # the whole finding when it has no figure, points or remedy of its own
        self.constant: bytes | None = (
            None
            if figures or self.says_threshold or self.says_message
            else self.template
            % self.pick(
                (_NULL, self.threshold_json, _NULL, self.top_json)
                + (b"",) * 4
                + (_NULL,)
            )
        )

    def write(self, finding: Finding, remedies: dict[str, str | None]) -> bytes | None:
        """The finding's JSON, or None when this frame was not made for it."""
        (
            rule,
            group,
            kind,
            _,
            actual,
            threshold,
            op,
            unit,
            points,
            top,
            missing,
            reason,
            _,
            remedy,
            branches,
        ) = finding
        if (
            group != self.group
            or kind != self.kind
            or (unit or None) != self.unit
            or missing
            or reason is not None
            or branches
            or (self.probed and op != self.op)
        ):
            return None
        known = self.threshold
        if threshold is known:
            threshold_json = self.threshold_json
        elif threshold is None:
            if self.holds_threshold:
                return None  # the words hold the rule's own threshold
            threshold_json = _NULL
        elif self.fixed_threshold and same_figure(threshold, known):
            self.threshold = (
                threshold  # the same figure: compared by identity from now on
            )
            threshold_json = self.threshold_json
        elif self.holds_threshold:
            return None
        else:
            threshold_json = number_json(threshold).encode()
        if top is self.top:
            top_json = self.top_json
        elif same_figure(top, self.top):
            self.top = top  # the same figure: compared by identity from now on
            top_json = self.top_json
        elif self.probed:
            return None  # the words hold the rule's own most points
        else:
            top_json = number_json(top).encode()
        own = threshold_json is self.threshold_json and top_json is self.top_json
        if actual is None:
            if points is None and remedy is None and own and self.constant is not None:
                return self.constant
            actual_json, say_actual = _NULL, b""
        elif actual is True or actual is False:  # a derived fact's yes or no
            actual_json, say_actual = _BOOLEAN[actual], self.yes_no[actual]
        else:
            texts = figure(actual, self.percent)
            if texts is None:
                actual_json, say_actual = _figure(actual, self.percent, self.lang)
            else:
                json_text, shown = texts
                if threshold is not None and (
                    threshold_json is not self.threshold_json
                    or json_text in self.near
                    or shown in self.near
                ):  # it may round onto the threshold: kept apart from it
                    json_text, shown = figure_apart(actual, threshold, self.percent)
                actual_json = json_text.encode()
                say_actual = actual_json if shown is json_text else shown.encode()
        if points is None:
            points_json, say_points = _NULL, b""
        elif type(points) is int:
            points_json = say_points = str(points).encode()
        else:
            points_json, say_points = _figure(points, False, self.lang)
        if remedy is None:
            remedy_json = _NULL
        else:  # `_remedy(…)`, inline: a failed finding of a ratio has one
            said = remedies[rule] = self.prose.remedy(finding)
            remedy_json = _NULL if said is None else json_string(said).encode()
        if own:
            written = self.own
            if written is not None:
                return written % (
                    actual_json,
                    points_json,
                    say_actual,
                    say_points,
                    remedy_json,
                )
            written = self.picked
            if written is not None:
                return written % self.own_pick(  # type: ignore[no-any-return]
                    (actual_json, points_json, say_actual, say_points, remedy_json)
                )
        explain = self.explain
        say_threshold = (
            _inner(
                explain.threshold_text(threshold, op, percent if self.percent else show)
            )
            if self.says_threshold
            else b""
        )
        message = _inner(explain.message(finding)) if self.says_message else b""
        return self.template % self.pick(  # type: ignore[no-any-return]
            (
                actual_json,
                threshold_json,
                points_json,
                top_json,
                say_actual,
                say_threshold,
                say_points,
                message,
                remedy_json,
            )
        )


_UNSEEN: Any = object()  # a reason and names not compiled yet
_OWN_HOLES = (_ACTUAL, _POINTS, _SAY_ACTUAL, _SAY_POINTS, _REMEDY)


class _General:
    """A rule's finding JSON for any status, its message written for each finding: missing
    data, not applicable, either-or branches, a finding its status frame does not fit."""

    def __init__(
        self, rule: Any, explain: Explainer, ruleset: RuleSet, prose: Prose
    ) -> None:
        self.explain, self.prose = explain, prose
        self.group, self.kind, self.unit = rule.spec.group, rule.kind, rule.unit or None
        self.threshold = reported_threshold(rule, ruleset)
        self.threshold_json = (
            _NULL
            if self.threshold is COMPUTED
            else number_json(self.threshold).encode()
        )
        top = getattr(rule.spec, "max_points", None)
        self.top: Any = None if top is None else Fraction(top)
        self.top_json = number_json(self.top).encode()
        self.template, _ = _template(
            [
                *_head_pieces(rule),
                _STATUS,
                *_figure_pieces(rule, _ACTUAL),
                _MESSAGE,
                *_tail_pieces(rule),
            ]
        )
        # a finding not applicable for the rule's `applies_if` (the most frequent kind of
        # general finding) holds nothing of the project's: written once from a probe, it
        # is that finding's JSON whenever a finding equals the probe
        self.inapplicable = inapplicable_probe(rule)
        self.inapplicable_json: bytes | None = None
        try:
            self.inapplicable_json = self.write(self.inapplicable, {})
        except Exception:  # words that do not format: written per finding, as they fail
            self.inapplicable_json = None
        # the rule's findings not applicable for another reason (未配置, a key not in
        # a table): per reason and names of its parameters, the JSON around the message
        # and the message's template with the rule's title filled in (see `_reasoned`)
        self.reasons: dict[tuple[str, tuple[str, ...]], tuple[str, bytes, bytes] | None]
        self.reasons = {}

    def write(self, finding: Finding, remedies: dict[str, str | None]) -> bytes | None:
        """The finding's JSON, or None for another group, kind or unit than the rule's."""
        like = like_probe(finding, self.inapplicable)
        if like and self.inapplicable_json is not None:
            return self.inapplicable_json
        reason = finding.reason
        if like is not None and reason is not None:  # the probe but for its reason
            written = self._reasoned(reason, finding.reason_params)
            if written is not None:
                return written
        if (
            finding.group != self.group
            or finding.kind != self.kind
            or (finding.unit or None) != self.unit
        ):
            return None
        threshold, top = finding.threshold, finding.max_points
        actual, points, status = finding.actual, finding.points, finding.status
        explain = self.explain
        return self.template % (
            _NOT_APPLICABLE
            if status is Status.NOT_APPLICABLE
            else _MISSING
            if status is Status.MISSING
            else _STATUSES[status],
            _NULL if actual is None else number_json(apart(actual, threshold)).encode(),
            _NULL
            if threshold is None
            else self.threshold_json
            if threshold is self.threshold or same_figure(threshold, self.threshold)
            else number_json(threshold).encode(),
            _NULL
            if points is None
            else str(points).encode()
            if type(points) is int
            else number_json(points).encode(),
            self.top_json
            if top is self.top or same_figure(top, self.top)
            else number_json(top).encode(),
            _inner(explain.message(finding)),
            _NULL if finding.remedy is None else _remedy(finding, self.prose, remedies),
        )

    def _reasoned(
        self, reason: str, params: tuple[tuple[str, Any], ...]
    ) -> bytes | None:
        """The JSON of the rule's probe not applicable for `reason` with `params`, its
        message one format call; None where the words are not a plain fill of text
        parameters."""
        values = reason_values(params, self.explain.field_title)
        if values is None:
            return None
        key = (reason, tuple(values))
        words: tuple[str, bytes, bytes] | None = self.reasons.get(key, _UNSEEN)
        if words is _UNSEEN:
            words = self._words(*key)
        if words is None:
            return None
        template, before, after = words
        return before + _inner(template.format_map(values)) + after

    def _words(
        self, reason: str, names: tuple[str, ...]
    ) -> tuple[str, bytes, bytes] | None:
        """Compiled once per reason and parameter names: the message template (see
        `Prose.reason_words`) and the JSON around it."""
        words: tuple[str, bytes, bytes] | None = None
        try:
            template = self.prose.reason_words(self.inapplicable, reason, names)
            if template is not None:
                before, after = (
                    self.template
                    % (
                        _NOT_APPLICABLE,
                        _NULL,
                        _NULL,
                        number_json(self.inapplicable.points).encode(),
                        self.top_json,
                        _HOLE,
                        _NULL,
                    )
                ).split(_HOLE)
                words = template, before, after
        except Exception:  # JSON that is not one message's: written per finding
            words = None
        self.reasons[(reason, names)] = words
        return words


def _head_pieces(rule: Any) -> list[bytes | int]:
    return [
        f'{{"rule": {json_string(rule.id)}, "group": {json_string(rule.spec.group)}, '
        f'"kind": {json_string(rule.kind)}, "status": '.encode()
    ]


def _figure_pieces(rule: Any, actual: bytes | int) -> list[bytes | int]:
    return [
        b', "actual": ',
        actual,
        b', "threshold": ',
        _THRESHOLD,
        f', "unit": {_encode(rule.unit or None)}, "points": '.encode(),
        _POINTS,
        b', "max_points": ',
        _TOP,
        b', "message": "',
    ]


def _tail_pieces(rule: Any) -> list[bytes | int]:
    return [
        f'", "basis": {_encode(rule.spec.basis)}, "remedy": '.encode(),
        _REMEDY,
        b"}",
    ]


def _template(pieces: list[bytes | int]) -> tuple[bytes, list[int]]:
    """Constant pieces and holes → a `%` template and its holes in order."""
    template = b"".join(
        b"%s" if isinstance(piece, int) else piece.replace(b"%", b"%%")
        for piece in pieces
    )
    return template, [piece for piece in pieces if isinstance(piece, int)]


def _in_order(pieces: list[bytes | int], holes: tuple[int, ...]) -> bytes | None:
    """A `%` template taking one value for each of `holes`, in that order: the pieces'
    holes met in that order at most once each, a hole not met consuming its value as
    nothing (`%.0s`); None when the pieces hold another hole or meet them otherwise."""
    out: list[bytes] = []
    at = 0  # the next of `holes` to fill
    for piece in pieces:
        if isinstance(piece, bytes):
            out.append(piece.replace(b"%", b"%%"))
            continue
        if piece not in holes[at:]:
            return None
        skipped = holes.index(piece) - at
        out.append(b"%.0s" * skipped + b"%s")
        at += skipped + 1
    return b"".join(out) + b"%.0s" * (len(holes) - at)


def _figure(value: Any, share: bool, lang: str) -> tuple[bytes, bytes]:
    """A finding's figure as its JSON number and as its sentence shows it (escaped)."""
    if value is None:
        return _NULL, b""
    if value is True or value is False:  # a derived fact's yes or no
        return _BOOLEAN[value], _inner(show(value, lang))
    texts = figure(value, share)
    if texts is not None:
        json_text, shown = texts
        written = json_text.encode()
        return written, written if shown is json_text else shown.encode()
    return (
        _encode(number(value)).encode(),
        _inner(percent(value, lang) if share else show(value, lang)),
    )


def _remedy(finding: Finding, prose: Prose, remedies: dict[str, str | None]) -> bytes:
    """The finding's remedy as JSON, kept by rule for the summary."""
    text = remedies[finding.rule] = prose.remedy(finding)
    return _NULL if text is None else json_string(text).encode()


def _plain(template: str) -> bool:
    """Whether a compiled sentence's every placeholder is a bare name (no conversion or
    format spec), so its shown figures can be written into the frame escaped."""
    return all(
        name is None or (name in _SAYS and not spec and not conversion)
        for _, name, spec, conversion in Formatter().parse(template)
    )


_STATUSES = {status: f'"{status.value}"'.encode() for status in Status}
_NOT_APPLICABLE, _MISSING = _STATUSES[Status.NOT_APPLICABLE], _STATUSES[Status.MISSING]
_BOOLEAN = {True: b"true", False: b"false"}


class _RuleFrames:
    """A rule's frames: one per status and presence of figures, and its general one."""

    __slots__ = ("passed", "passed_figures", "failed", "failed_figures", "general")

    def __init__(
        self, rule: Any, explain: Explainer, ruleset: RuleSet, prose: Prose
    ) -> None:
        self.passed = _Frame(rule, Status.PASS, False, explain, ruleset, prose)
        self.passed_figures = _Frame(rule, Status.PASS, True, explain, ruleset, prose)
        self.failed = _Frame(rule, Status.FAIL, False, explain, ruleset, prose)
        self.failed_figures = _Frame(rule, Status.FAIL, True, explain, ruleset, prose)
        self.general = _General(rule, explain, ruleset, prose)


class _LineWriter:
    """One rule set's contract lines in one language, from frames encoded once."""

    def __init__(self, ruleset: RuleSet, lang: str) -> None:
        self.explain = explainer(ruleset, lang)
        self.ruleset = ruleset
        ruleset_text = _encode(
            _head_ruleset(ruleset.id, ruleset.version, ruleset.sha256, ruleset.path)
        ).encode()
        as_of_text = _encode(
            ruleset.as_of.isoformat() if ruleset.as_of else None
        ).encode()
        # the line with holes: project id, name and company, decision, score, vetoed_by,
        # missing, findings, summary
        self.template = (
            b'{"project": {"id": %s, "name": %s, "company": %s}, "ruleset": '
            + ruleset_text.replace(b"%", b"%%")
            + b', "as_of": '
            + as_of_text.replace(b"%", b"%%")
            + b', "decision": "%s", "score": %s, "vetoed_by": %s, "missing": %s, '
            b'"findings": [%s], "summary": %s}\n'
        )
        self.prose = prose = Prose(self.explain)
        self.rules = {
            rule.id: _RuleFrames(rule, self.explain, ruleset, prose)
            for rule in ruleset.rules
        }
        self.passed, self.failed = Status.PASS, Status.FAIL

    def line(self, decision: Decision) -> bytes:
        rs = self.ruleset
        if (
            decision.ruleset_id != rs.id
            or decision.ruleset_version != rs.version
            or decision.ruleset_sha256 != rs.sha256
            or decision.as_of != rs.as_of
        ):
            return (
                _encode(to_contract(decision, rs, self.explain.lang)) + "\n"
            ).encode()
        texts = []
        remedies: dict[str, str | None] = {}
        rules = self.rules
        passed, failed = self.passed, self.failed
        for finding in decision.findings:
            frames = rules.get(finding.rule)
            written = None
            if frames is not None:
                status = finding.status
                if status is passed:
                    frame = (
                        frames.passed
                        if finding.actual is None
                        else frames.passed_figures
                    )
                    written = frame.write(finding, remedies)
                elif status is failed:
                    frame = (
                        frames.failed
                        if finding.actual is None
                        else frames.failed_figures
                    )
                    written = frame.write(finding, remedies)
                if written is None:
                    written = frames.general.write(finding, remedies)
            if written is None:  # a finding built elsewhere
                remedy = remedies[finding.rule] = self.prose.remedy(finding)
                written = _encode(
                    finding_fields(finding, self.explain, remedy=remedy)
                ).encode()
            texts.append(written)
        summary = self.prose.summary(decision, remedies)
        project_id, name, company = (
            decision.project_id,
            decision.project_name,
            decision.project_company,
        )
        outcome = decision.outcome
        return self.template % (
            _NULL if project_id is None else json_string(project_id).encode(),
            _NULL if name is None else json_string(name).encode(),
            _NULL if company is None else json_string(company).encode(),
            b"reject"
            if outcome is _REJECT
            else b"review"
            if outcome is _REVIEW
            else outcome.value.encode(),
            score_json(
                decision.score, decision.pass_mark, decision.review_band
            ).encode(),
            _strings(decision.vetoed_by),
            _strings(decision.missing),
            b", ".join(texts),
            json_string("\n".join(summary)).encode() if summary else _NULL,
        )


_REJECT, _REVIEW = Outcome.REJECT, Outcome.REVIEW


_writers: dict[tuple[int, str], _LineWriter] = {}


def _writer(ruleset: RuleSet, lang: str) -> _LineWriter:
    """The line writer for a rule set object and language, built once."""
    key = (id(ruleset), lang)
    found = _writers.get(key)
    if (
        found is None or found.ruleset is not ruleset
    ):  # the writer holds the rule set, so its id stays its own
        if len(_writers) > 32:
            _writers.clear()
        found = _writers[key] = _LineWriter(ruleset, lang)
    return found


def _strings(items: tuple[str, ...]) -> bytes:
    if not items:
        return b"[]"
    return f"[{', '.join(map(json_string, items))}]".encode()


def _text_or_null(text: str | None) -> bytes:
    return _NULL if text is None else json_string(text).encode()


def _head_ruleset(
    rid: str, version: str, sha256: str, path: str | None
) -> dict[str, Any]:
    # `path`: the file the rule set was loaded from when given as a path (None for a
    # shipped id), so a result never passes for the shipped rule set its id names
    return {"id": rid, "version": version, "sha256": sha256, "path": path}


def _head(decision: Decision, path: str | None) -> dict[str, Any]:
    return {
        "project": {
            "id": decision.project_id,
            "name": decision.project_name,
            "company": decision.project_company,
        },
        "ruleset": _head_ruleset(
            decision.ruleset_id, decision.ruleset_version, decision.ruleset_sha256, path
        ),
        "as_of": decision.as_of.isoformat() if decision.as_of else None,
        "decision": decision.outcome.value,
        "score": number(
            shown_score(decision.score, decision.pass_mark, decision.review_band), 2
        ),
        "vetoed_by": list(decision.vetoed_by),
        "missing": list(decision.missing),
    }


def _summary(decision: Decision, explain: Explainer) -> str | None:
    summary = explain.summary(decision)
    return "\n".join(summary) if summary else None


def finding_fields(
    finding: Finding,
    explain: Explainer,
    message: Any = COMPUTED,
    remedy: Any = COMPUTED,
) -> dict[str, Any]:
    """A finding's contract fields in their documented order; its `message` and
    `remedy` as given (the XLSX rows pass theirs), else as the explainer writes them."""
    return {
        "rule": finding.rule,
        "group": finding.group,
        "kind": finding.kind,
        "status": finding.status.value,
        "actual": number(apart(finding.actual, finding.threshold)),
        "threshold": number(finding.threshold),
        "unit": finding.unit or None,
        "points": number(finding.points),
        "max_points": number(finding.max_points),
        "message": explain.message(finding) if message is COMPUTED else message,
        "basis": explain.rules[finding.rule].spec.basis,
        "remedy": explain.remedy(finding) if remedy is COMPUTED else remedy,
    }


def render_json(contracts: list[dict[str, Any]] | dict[str, Any]) -> str:
    """Stable JSON text: UTF-8 Chinese kept readable, two-space indent, trailing newline."""
    return json.dumps(contracts, ensure_ascii=False, indent=2) + "\n"
