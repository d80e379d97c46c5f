"""Checking a case's expectations against a decision: the differences, one per line.

Shared by `screening test` and the data-driven test suite, so both judge alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from screening.cases import Case
from screening.findings import Decision


@dataclass(frozen=True)
class Mismatch:
    """One expectation the decision did not meet."""

    what: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.what}: expected {self.expected}, got {self.actual}"


def check_case(case: Case, decision: Decision) -> list[Mismatch]:
    """Every way `decision` differs from what `case` expects (empty when it meets them)."""
    expect = case.expect
    if expect is None:
        return []
    out: list[Mismatch] = []
    if decision.outcome.value != expect.decision:
        out.append(Mismatch("decision", expect.decision, decision.outcome.value))
    if expect.score is not None:
        score = decision.score
        low, high = expect.score.min, expect.score.max
        if (
            score is None
            or (low is not None and score < Fraction(low))
            or (high is not None and score > Fraction(high))
        ):
            shown = "none" if score is None else f"{float(score):g}"
            out.append(
                Mismatch(
                    "score",
                    f"[{low if low is not None else '…'}, {high if high is not None else '…'}]",
                    shown,
                )
            )
    statuses = {f.rule: f.status.value for f in decision.findings}
    for rule_id, status in expect.findings.items():
        got = statuses.get(rule_id, "absent (no such rule in force)")
        if got != status:
            out.append(Mismatch(f"finding {rule_id}", status, got))
    return out
