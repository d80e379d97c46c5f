"""The JSON contract: one decision → a dict with keys in documented order, stable bytes.

`to_contract` gives the dict; `contract_bytes` writes the same JSON line directly, each
finding from its rule's pre-encoded parts around the values that vary (status, figures,
message, remedy), so that a batch line costs a few string joins per finding.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from screening.compile import COMPUTED, reported_threshold
from screening.findings import Decision, Finding, Status
from screening.model.effective import RuleSet
from screening.report.explain import (
    Explainer,
    explainer,
    json_string,
    number,
    round_score,
)

_encode = json.JSONEncoder(
    ensure_ascii=False
).encode  # = json.dumps(…, ensure_ascii=False), one encoder


def to_contract(
    decision: Decision, ruleset: RuleSet, lang: str = "zh"
) -> dict[str, Any]:
    """The documented JSON shape of one decision (see README, "JSON output")."""
    explain = explainer(ruleset, lang)
    findings = [_finding(finding, explain) for finding in decision.findings]
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
    return _writer(ruleset, lang).line(decision).encode()


class _Frame:
    """A finding's JSON for one rule, status and presence of figures, encoded around its
    holes: the figures, the sentence's own figures and the remedy."""

    __slots__ = (
        "head",
        "middle",
        "sentence",
        "message",
        "tail",
        "threshold",
        "threshold_text",
        "top",
        "top_text",
    )

    def __init__(
        self,
        rule: Any,
        status: Status,
        figures: bool,
        explain: Explainer,
        ruleset: RuleSet,
    ) -> None:
        self.head = (
            f'{{"rule": {json_string(rule.id)}, "group": {json_string(rule.spec.group)}, '
            f'"kind": {json_string(rule.kind)}, "status": "{status.value}", "actual": '
        )
        self.middle = f', "unit": {_encode(rule.unit or None)}, "points": '
        sentence = explain.sentence_of(rule.id, status, figures)
        self.sentence = sentence if not isinstance(sentence, str) else None
        # the message, JSON-escaped: a constant, or a format template of the sentence's figures
        self.message = (
            json_string(sentence if isinstance(sentence, str) else sentence.format)[
                1:-1
            ]
            if sentence is not None
            else None
        )
        if self.sentence is not None and self.sentence.constant is not None:
            self.message, self.sentence = (
                json_string(self.sentence.constant)[1:-1],
                None,
            )
        self.tail = f'", "basis": {_encode(rule.spec.basis)}, "remedy": '
        self.threshold = reported_threshold(rule, ruleset)
        self.threshold_text = (
            "" if self.threshold is COMPUTED else _number_text(number(self.threshold))
        )
        top = getattr(rule.spec, "max_points", None)
        self.top = None if top is None else Fraction(top)
        self.top_text = _number_text(number(self.top))

    def fits(self, finding: Finding) -> bool:
        """Whether the finding is one this frame was made for (else it is written whole)."""
        if (
            self.message is None
            or finding.branches
            or finding.reason is not None
            or finding.missing
        ):
            return False
        return self.sentence is None or self.sentence.fits(finding)

    def text(self, finding: Finding, remedy: str | None) -> str:
        found = finding.threshold
        threshold = self.threshold_text
        if self.threshold is COMPUTED or (
            found is not self.threshold and found != self.threshold
        ):
            threshold = _number_text(number(found))
        top = (
            self.top_text
            if finding.max_points == self.top
            else _number_text(number(finding.max_points))
        )
        sentence = self.sentence
        message = (
            self.message
            if sentence is None
            else self.message.format_map(sentence.values(finding))  # type: ignore[union-attr]
        )
        return (
            f'{self.head}{_number_text(number(finding.actual))}, "threshold": {threshold}{self.middle}'
            f'{_number_text(number(finding.points))}, "max_points": {top}, "message": "{message}'
            f"{self.tail}{_text_or_null(remedy)}}}"
        )


class _LineWriter:
    """One rule set's contract lines in one language, from frames encoded once."""

    def __init__(self, ruleset: RuleSet, lang: str) -> None:
        self.explain = explainer(ruleset, lang)
        self.ruleset = ruleset
        self.ruleset_text = _encode(
            _head_ruleset(ruleset.id, ruleset.version, ruleset.sha256, ruleset.path)
        )
        self.as_of_text = _encode(ruleset.as_of.isoformat() if ruleset.as_of else None)
        # per rule, status (pass or fail) and whether the finding has figures: its frame
        self.frames = {
            (rule.id, status, figures): _Frame(
                rule, status, figures, self.explain, ruleset
            )
            for rule in ruleset.rules
            for status in (Status.PASS, Status.FAIL)
            for figures in (True, False)
        }

    def line(self, decision: Decision) -> str:
        rs = self.ruleset
        if (decision.ruleset_id, decision.ruleset_version, decision.ruleset_sha256) != (
            rs.id,
            rs.version,
            rs.sha256,
        ) or decision.as_of != rs.as_of:
            return _encode(to_contract(decision, rs, self.explain.lang)) + "\n"
        explain = self.explain
        texts = []
        remedies: dict[str, str | None] = {}
        frames = self.frames
        for finding in decision.findings:
            remedy = remedies[finding.rule] = explain.remedy(finding)
            frame = frames.get(
                (finding.rule, finding.status, finding.actual is not None)
            )
            if frame is not None and frame.fits(finding):
                texts.append(frame.text(finding, remedy))
            else:  # missing data, not applicable, either-or, a finding built elsewhere
                texts.append(_encode(_finding(finding, explain)))
        summary = explain.summary(decision, remedies)
        return (
            f'{{"project": {{"id": {_text_or_null(decision.project_id)}, '
            f'"name": {_text_or_null(decision.project_name)}, "company": {_text_or_null(decision.project_company)}}}, '
            f'"ruleset": {self.ruleset_text}, "as_of": {self.as_of_text}, "decision": "{decision.outcome.value}", '
            f'"score": {_number_text(number(round_score(decision.score), 2))}, '
            f'"vetoed_by": {_strings(decision.vetoed_by)}, "missing": {_strings(decision.missing)}, '
            f'"findings": [{", ".join(texts)}], "summary": {_text_or_null(chr(10).join(summary) if summary else None)}}}\n'
        )


_STATUS = {
    status: status.value for status in Status
}  # an Enum's .value is a descriptor call


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


def _strings(items: tuple[str, ...]) -> str:
    return f"[{', '.join(map(json_string, items))}]"


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
        "score": number(round_score(decision.score), 2),
        "vetoed_by": list(decision.vetoed_by),
        "missing": list(decision.missing),
    }


def _summary(decision: Decision, explain: Explainer) -> str | None:
    summary = explain.summary(decision)
    return "\n".join(summary) if summary else None


def _text_or_null(text: str | None) -> str:
    return "null" if text is None else json_string(text)


def _number_text(value: Any) -> str:
    """`_encode(value)` for what `number` returns, without building an encoder for a scalar."""
    kind = type(value)
    if kind is float:
        return float.__repr__(value)  # what json writes for a finite float
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    return _encode(value)  # booleans, lists (a between's two bounds)


def _finding(finding: Finding, explain: Explainer) -> dict[str, Any]:
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
        "message": explain.message(finding),
        "basis": explain.rules[finding.rule].spec.basis,
        "remedy": explain.remedy(finding),
    }


def render_json(contracts: list[dict[str, Any]] | dict[str, Any]) -> str:
    """Stable JSON text: UTF-8 Chinese kept readable, two-space indent, trailing newline."""
    return json.dumps(contracts, ensure_ascii=False, indent=2) + "\n"
