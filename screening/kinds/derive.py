"""derive (派生): a named fact (e.g. two_high) that rules of later strata read; no effect of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from screening.findings import Finding, Status
from screening.kinds.base import (
    Judge,
    RuleKind,
    Step,
    Words,
    head,
    shared_sentence,
    unready,
)
from screening.model.ruleset import NAME, BaseRule

if TYPE_CHECKING:
    from screening.compile import RulePlan


class DeriveRule(BaseRule):
    kind: Literal["derive"]
    sets: str = Field(pattern=NAME)
    when: str


class Derive(RuleKind):
    name = "derive"
    shape = DeriveRule
    lists_missing = False  # the rules reading the fact list what it lacks

    def engine_side(self, spec: Any) -> tuple[str, bool]:
        return "true", False

    def judge(self, plan: RulePlan, judge: Judge) -> Step:
        problem = judge.problem(plan, "condition")
        true = judge.holds(plan, "true")
        passed = Finding(*head(plan), Status.PASS, actual=True)
        failed = Finding(*head(plan), Status.FAIL, actual=False)

        def derived(run: Any) -> Finding:
            unready_because = problem(run)
            if unready_because is not None:
                return unready(plan, unready_because)
            return passed if true(run) else failed

        return derived

    def sentence(self, finding: Finding, words: Words) -> str:
        shared = shared_sentence(finding, words)
        if shared is not None:
            return shared
        return words.text(
            f"finding.derive_{finding.status.value}", title=words.title(finding.rule)
        )


KIND = Derive()
