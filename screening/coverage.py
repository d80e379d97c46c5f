"""Which rules the cases exercise: per rule, how many findings of each status."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from screening.findings import Decision, Kind
from screening.model.effective import RuleSet

STATUSES = ("pass", "fail", "missing", "not_applicable")


@dataclass
class Coverage:
    """Status counts per rule of one effective rule set."""

    ruleset: RuleSet
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    cases: int = 0

    def add(self, decision: Decision) -> None:
        self.cases += 1
        for finding in decision.findings:
            self.counts.setdefault(finding.rule, Counter())[finding.status.value] += 1

    def rows(self) -> list[tuple[str, str, dict[str, int]]]:
        """(rule id, kind, {status: count}) in rule-set order."""
        return [(r.id, r.kind, {s: self.counts.get(r.id, Counter())[s] for s in STATUSES}) for r in self.ruleset.rules]

    def uncovered(self) -> list[tuple[str, list[str]]]:
        """Rules whose pass or fail side no case exercises, with the sides missing."""
        out = []
        for rule_id, kind, counts in self.rows():
            if kind == Kind.SCORE.value:
                needed = ["pass", "fail"]  # some points, and none
            else:
                needed = ["pass", "fail"]
            gaps = [s for s in needed if counts[s] == 0]
            if gaps:
                out.append((rule_id, gaps))
        return out
