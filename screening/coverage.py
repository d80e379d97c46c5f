"""Which rules the cases exercise: per rule, how many findings of each status.

A rule is identified by the file that defines it and its id, so a national rule
inherited by a park counts the national cases and the park's alike. Rules that
read an unconfigured table can never pass or fail; they are listed apart.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from screening.findings import UNCONFIGURED, Decision
from screening.model.effective import RuleSet

STATUSES = ("pass", "fail", "missing", "not_applicable")
NEEDED = ("pass", "fail")


@dataclass
class Coverage:
    """Status counts per rule, across every rule set the cases were screened with."""

    rulesets: dict[str, RuleSet] = field(default_factory=dict)
    counts: dict[tuple[str, str], Counter[str]] = field(
        default_factory=dict
    )  # (origin, rule id) → statuses
    cases: Counter[str] = field(default_factory=Counter)  # rule set id → cases screened
    unconfigured: set[tuple[str, str]] = field(default_factory=set)
    # rule set id → every rule seen in it, in order: cases on different as-of days see
    # different versions (the 2008 and the 2023 land rules); each rule is listed once
    seen: dict[str, dict[tuple[str, str], str]] = field(default_factory=dict)

    def add(self, ruleset: RuleSet, decision: Decision) -> None:
        self.rulesets.setdefault(ruleset.id, ruleset)
        self.cases[ruleset.id] += 1
        rules = self.seen.setdefault(ruleset.id, {})
        for rule in ruleset.rules:
            rules.setdefault((rule.origin, rule.id), rule.kind)
        origin = {rule.id: rule.origin for rule in ruleset.rules}
        for finding in decision.findings:
            key = (origin[finding.rule], finding.rule)
            self.counts.setdefault(key, Counter())[finding.status.value] += 1
            if finding.reason in UNCONFIGURED:
                self.unconfigured.add(key)

    def rows(self, ruleset: RuleSet) -> list[tuple[str, str, dict[str, int]]]:
        """(rule id, kind, {status: count over all cases}) in the rule set's order, for
        every version of it the cases were screened with."""
        rules = self.seen.get(ruleset.id)
        if rules is None:
            rules = {(r.origin, r.id): r.kind for r in ruleset.rules}
        rows = []
        for (origin, rule_id), kind in rules.items():
            counts = self.counts.get((origin, rule_id), Counter())
            rows.append((rule_id, kind, {s: counts[s] for s in STATUSES}))
        return rows

    def uncovered(self) -> list[tuple[str, str, list[str]]]:
        """(defining rule set, rule id, sides no case exercises), configured rules only."""
        out = []
        for (origin, rule_id), counts in sorted(self.counts.items()):
            gaps = [s for s in NEEDED if counts[s] == 0]
            if gaps and (origin, rule_id) not in self.unconfigured:
                out.append((origin, rule_id, gaps))
        return out
