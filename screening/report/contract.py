"""The JSON contract: one decision → a dict with keys in documented order, stable bytes."""

from __future__ import annotations

import json
from typing import Any

from screening.findings import Decision
from screening.model.effective import RuleSet
from screening.report.explain import finding_message, number, remedy_text, round_score, summary_lines


def to_contract(decision: Decision, ruleset: RuleSet, lang: str = "zh") -> dict[str, Any]:
    """The documented JSON shape of one decision (see README, "JSON output")."""
    by_id = {rule.id: rule for rule in ruleset.rules}
    findings = []
    for finding in decision.findings:
        rule = by_id[finding.rule]
        findings.append({
            "rule": finding.rule,
            "group": finding.group,
            "kind": finding.kind.value,
            "status": finding.status.value,
            "actual": number(finding.actual),
            "threshold": number(finding.threshold),
            "unit": finding.unit or None,
            "points": number(finding.points),
            "max_points": number(finding.max_points),
            "message": finding_message(finding, ruleset, lang),
            "basis": rule.spec.basis,
            "remedy": remedy_text(finding, ruleset, lang),
        })
    summary = summary_lines(decision, ruleset, lang)
    return {
        "project": {"id": decision.project_id, "name": decision.project_name},
        "ruleset": {"id": decision.ruleset_id, "version": decision.ruleset_version, "sha256": decision.ruleset_sha256},
        "as_of": decision.as_of.isoformat() if decision.as_of else None,
        "decision": decision.outcome.value,
        "score": number(round_score(decision.score), 2),
        "vetoed_by": list(decision.vetoed_by),
        "missing": list(decision.missing),
        "findings": findings,
        "summary": "\n".join(summary) if summary else None,
    }


def render_json(contracts: list[dict[str, Any]] | dict[str, Any]) -> str:
    """Stable JSON text: UTF-8 Chinese kept readable, two-space indent, trailing newline."""
    return json.dumps(contracts, ensure_ascii=False, indent=2) + "\n"
