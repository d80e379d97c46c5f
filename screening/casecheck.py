"""Checking a case's expectations against a decision: the differences, one per line.

Shared by `screening test` and the data-driven test suite, so both judge alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from screening.cases import Case
from screening.findings import Decision

ABSENT = "absent (no such rule in force)"  # a finding of a rule the set does not have
_NO_SCORE = "none"


@dataclass(frozen=True)
class Mismatch:
    """One expectation the decision did not meet (`kind`: decision, score or finding;
    a finding's `rule` is its rule's id)."""

    what: str
    expected: str
    actual: str
    kind: str = ""
    rule: str = ""

    def __str__(self) -> str:
        return f"{self.what}: expected {self.expected}, got {self.actual}"

    def shown(self, lang: str, titles: Mapping[str, str] | None = None) -> str:
        """The difference in `lang`: Chinese with the decisions' and statuses' Chinese
        names and a rule by its title (`titles`: rule id → title), 结论：应为 通过，实为
        否决; English as `screening test` prints it (`str`)."""
        from screening.messages import text

        if lang != "zh" or self.kind not in ("decision", "score", "finding"):
            return str(self)

        def named(group: str, value: str) -> str:
            if value == ABSENT:
                return text("case.absent", lang)
            if value == _NO_SCORE and group == "score":
                return text("case.no_score", lang)
            try:
                return text(f"{group}.{value}", lang)
            except KeyError:
                return value

        if self.kind == "score":
            expected, actual = self.expected, named("score", self.actual)
            return text("case.score", lang, expected=expected, actual=actual)
        group = "decision" if self.kind == "decision" else "status"
        expected, actual = named(group, self.expected), named(group, self.actual)
        if self.kind == "decision":
            return text("case.decision", lang, expected=expected, actual=actual)
        title = (titles or {}).get(self.rule) or self.rule
        return text("case.finding", lang, title=title, expected=expected, actual=actual)


def check_case(case: Case, decision: Decision) -> list[Mismatch]:
    """Every way `decision` differs from what `case` expects (empty when it meets them)."""
    expect = case.expect
    if expect is None:
        return []
    out: list[Mismatch] = []
    if decision.outcome.value != expect.decision:
        out.append(
            Mismatch("decision", expect.decision, decision.outcome.value, "decision")
        )
    if expect.score is not None:
        score = decision.score
        low, high = expect.score.min, expect.score.max
        if (
            score is None
            or (low is not None and score < Fraction(low))
            or (high is not None and score > Fraction(high))
        ):
            shown = _NO_SCORE if score is None else f"{float(score):g}"
            out.append(
                Mismatch(
                    "score",
                    f"[{low if low is not None else '…'}, {high if high is not None else '…'}]",
                    shown,
                    "score",
                )
            )
    statuses = {f.rule: f.status.value for f in decision.findings}
    for rule_id, status in expect.findings.items():
        got = statuses.get(rule_id, ABSENT)
        if got != status:
            out.append(Mismatch(f"finding {rule_id}", status, got, "finding", rule_id))
    return out
