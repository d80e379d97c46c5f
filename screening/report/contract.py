"""The JSON contract: one decision → a dict with keys in documented order, stable bytes."""

from __future__ import annotations

import json
from typing import Any

from screening.findings import Decision, Finding
from screening.model.effective import RuleSet
from screening.report.explain import (
    HOLE,
    MEMO_LIMIT,
    RULE_MEMO_LIMIT,
    Explainer,
    explainer,
    json_string,
    number,
    round_score,
)

_encode = json.JSONEncoder(ensure_ascii=False).encode  # = json.dumps(…, ensure_ascii=False), one encoder


def to_contract(decision: Decision, ruleset: RuleSet, lang: str = "zh") -> dict[str, Any]:
    """The documented JSON shape of one decision (see README, "JSON output")."""
    explain = explainer(ruleset, lang)
    cache = explain.rendered
    findings = []
    for finding in decision.findings:
        rendered = cache.get(finding)  # equal findings render alike: most repeat across a batch
        if rendered is None:
            if len(cache) > MEMO_LIMIT:
                cache.clear()
            rendered = cache[finding] = _finding(finding, explain)
        findings.append(rendered)
    head = _head(decision, ruleset.path)
    return {**head, "findings": findings, "summary": _summary(decision, explain)}


def contract_line(decision: Decision, ruleset: RuleSet, lang: str = "zh") -> str:
    """`json.dumps(to_contract(…), ensure_ascii=False)`, byte for byte, built faster."""
    return contract_bytes(decision, ruleset, lang)[:-1].decode()


def contract_bytes(decision: Decision, ruleset: RuleSet, lang: str = "zh") -> bytes:
    """`contract_line(…)` in UTF-8 with its newline, as a batch writes it.

    Each finding's JSON text is memoised in UTF-8 (most findings repeat across a batch,
    and the screener hands back the very same Finding object for a repeat, so an
    identity check finds it), and the line is joined from those bytes with json's own
    separators: the long parts of a line are never encoded again.
    """
    explain = explainer(ruleset, lang)
    encoded = explain.encoded  # one memo per rule, by position: findings follow the rule set's order
    findings = decision.findings
    while len(encoded) < len(findings):
        encoded.append({})
    texts = []
    for finding, memo in zip(findings, encoded):
        hit = memo.get(id(finding))
        if hit is None or hit[0] is not finding:
            if len(memo) >= RULE_MEMO_LIMIT:
                memo.clear()
            hit = memo[id(finding)] = (finding, _finding_text(finding, explain).encode())
            # the entry keeps the finding alive, so its id stays its own
        texts.append(hit[1])
    head = _head_text(decision, explain).encode()
    summary = _text_or_null(_summary(decision, explain)).encode()
    return b"".join((head, b', "findings": [', b", ".join(texts), b'], "summary": ', summary, b"}\n"))


def _head_text(decision: Decision, explain: Explainer) -> str:
    """`_encode(_head(decision))` without its closing brace, the rule set and date encoded once."""
    path = explain.ruleset.path
    key = (
        decision.ruleset_id,
        decision.ruleset_version,
        decision.ruleset_sha256,
        path,
        decision.as_of,
    )
    middle = explain.encoded_heads.get(key)
    if middle is None:
        head = _head(decision, path)
        middle = explain.encoded_heads[key] = (
            f', "ruleset": {_encode(head["ruleset"])}, "as_of": {_encode(head["as_of"])}, "decision": ')
    return (f'{{"project": {{"id": {_text_or_null(decision.project_id)}, "name": {_text_or_null(decision.project_name)}, "company": {_text_or_null(decision.project_company)}}}'
            f'{middle}"{decision.outcome.value}", "score": {_number_text(number(round_score(decision.score), 2))}, '
            f'"vetoed_by": {_strings(decision.vetoed_by)}, "missing": {_strings(decision.missing)}')


def _strings(items: tuple[str, ...]) -> str:
    return f'[{", ".join(map(json_string, items))}]'


def _head(decision: Decision, path: str | None) -> dict[str, Any]:
    # `path`: the file the rule set was loaded from when given as a path (None for a
    # shipped id), so a result never passes for the shipped rule set its id names
    return {
        "project": {"id": decision.project_id, "name": decision.project_name, "company": decision.project_company},
        "ruleset": {
            "id": decision.ruleset_id,
            "version": decision.ruleset_version,
            "sha256": decision.ruleset_sha256,
            "path": path,
        },
        "as_of": decision.as_of.isoformat() if decision.as_of else None,
        "decision": decision.outcome.value,
        "score": number(round_score(decision.score), 2),
        "vetoed_by": list(decision.vetoed_by),
        "missing": list(decision.missing),
    }


def _summary(decision: Decision, explain: Explainer) -> str | None:
    summary = explain.summary(decision)
    return "\n".join(summary) if summary else None


def _finding_text(finding: Finding, explain: Explainer) -> str:
    """`_encode(_finding(finding, explain))`, from a frame memoised for all but the actual
    value, message and remedy: what a ratio rule's findings differ in, candidate to candidate."""
    threshold = finding.threshold
    key = (finding.rule, finding.status, type(threshold), threshold, finding.unit, finding.points, finding.max_points)
    frame = explain.frames.get(key)
    if frame is None:
        if len(explain.frames) > MEMO_LIMIT:
            explain.frames.clear()
        fields = _finding(finding, explain)
        fields["actual"] = fields["message"] = fields["remedy"] = HOLE
        # the key covers what a numeric sentence depends on but its actual value: kept with it
        frame = explain.frames[key] = (_encode(fields).split(_encode(HOLE)), explain.numeric_sentence(finding))
    parts, sentence = frame
    if len(parts) != 4:  # the hole character in a rule's own text: encode this one whole
        return _encode(_finding(finding, explain))
    return "".join((parts[0], _number_text(number(finding.actual)), parts[1], explain.message_json(finding, sentence),
                    parts[2], _text_or_null(explain.remedy(finding)), parts[3]))


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
        "kind": finding.kind.value,
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
