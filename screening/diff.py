"""Impact of a rule change: the rule-level diff and what it does to screened projects."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from screening.findings import Decision
from screening.model.effective import RuleSet

_RULE_FIELDS = (
    "kind",
    "group",
    "require",
    "fail_if",
    "require_any",
    "when",
    "value",
    "applies_if",
    "bands",
    "linear",
    "points",
    "sets",
    "effective",
    "basis",
    "title",
    "message",
    "otherwise",
)


@dataclass(frozen=True)
class Change:
    """One difference between two rule sets: what, where, before and after."""

    what: str  # rule | parameter | table | metric | weights
    name: str
    change: str  # added | removed | changed
    before: Any = None
    after: Any = None
    detail: str = ""


@dataclass
class Impact:
    """What changing OLD into NEW does to a set of projects."""

    changes: list[Change]
    projects: int = 0
    decision_changes: list[tuple[str, str, str, Any, Any]] = field(
        default_factory=list
    )  # id, old, new, old score, new score
    score_deltas: list[tuple[str, Fraction]] = field(default_factory=list)
    rule_changes: Counter[str] = field(
        default_factory=Counter
    )  # rule id → projects whose status changed
    transitions: Counter[str] = field(default_factory=Counter)  # "pass→reject" → count

    @property
    def unchanged(self) -> bool:
        return (
            not self.changes
            and not self.decision_changes
            and not self.rule_changes
            and not self.score_deltas
        )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):  # a table cell: a number, as the YAML wrote it
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def rule_changes(old: RuleSet, new: RuleSet) -> list[Change]:
    """Rules, parameters, tables, metrics and weights added, removed or changed."""
    out: list[Change] = []
    old_rules = {r.id: r.spec for r in old.rules}
    new_rules = {r.id: r.spec for r in new.rules}
    for rid in old_rules.keys() - new_rules.keys():
        out.append(Change("rule", rid, "removed", _plain(old_rules[rid])))
    for rid in new_rules.keys() - old_rules.keys():
        out.append(Change("rule", rid, "added", after=_plain(new_rules[rid])))
    for rid in old_rules.keys() & new_rules.keys():
        for key in _RULE_FIELDS:
            before, after = (
                _plain(getattr(old_rules[rid], key, None)),
                _plain(getattr(new_rules[rid], key, None)),
            )
            if before != after:
                out.append(Change("rule", rid, "changed", before, after, key))
    for what, a, b in (
        ("parameter", old.parameters, new.parameters),
        ("metric", old.metrics, new.metrics),
    ):
        for name in sorted(a.keys() | b.keys()):
            before, after = _plain(a.get(name)), _plain(b.get(name))
            if before != after:
                change = (
                    "added"
                    if name not in a
                    else "removed"
                    if name not in b
                    else "changed"
                )
                out.append(Change(what, name, change, before, after))
    for name in sorted(old.tables.keys() | new.tables.keys()):
        before = old.tables[name].values if name in old.tables else None
        after = new.tables[name].values if name in new.tables else None
        if before is None or after is None:
            out.append(Change("table", name, "added" if before is None else "removed"))
            continue
        for cell in sorted(_flat(before).keys() | _flat(after).keys()):
            was, now = _flat(before).get(cell), _flat(after).get(cell)
            if was != now:
                out.append(
                    Change("table", name, "changed", _plain(was), _plain(now), cell)
                )
    if old.weights != new.weights:
        out.append(
            Change(
                "weights",
                "weights",
                "changed",
                _plain(old.weights),
                _plain(new.weights),
            )
        )
    return sorted(out, key=lambda c: (c.what, c.name, c.detail))


def _flat(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        path = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(_flat(value, path))
        else:
            out[path] = value
    return out


def compare(
    changes: list[Change], pairs: list[tuple[str, Decision, Decision]]
) -> Impact:
    """The impact over projects screened under both rule sets (id, old decision, new decision)."""
    impact = Impact(changes, projects=len(pairs))
    for pid, before, after in pairs:
        if before.outcome != after.outcome:
            impact.decision_changes.append(
                (
                    pid,
                    before.outcome.value,
                    after.outcome.value,
                    before.score,
                    after.score,
                )
            )
            impact.transitions[f"{before.outcome.value}→{after.outcome.value}"] += 1
        if (
            before.score is not None
            and after.score is not None
            and before.score != after.score
        ):
            impact.score_deltas.append((pid, after.score - before.score))
        old_status = {f.rule: f.status for f in before.findings}
        for finding in after.findings:
            if old_status.get(finding.rule) not in (None, finding.status):
                impact.rule_changes[finding.rule] += 1
    return impact
