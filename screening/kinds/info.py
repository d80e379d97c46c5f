"""info (信息): a fact shown to the committee (环评报告书, 免于单独节能审查) that changes no
decision, no score and no list of fields to obtain."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

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
from screening.model.ruleset import BaseRule, LocalText

if TYPE_CHECKING:
    from screening.compile import RulePlan


class InfoRule(BaseRule):
    """A fact shown to the committee that changes no decision and no score: `message`
    when `when` holds, `otherwise` when it does not."""

    kind: Literal["info"]
    when: str
    otherwise: LocalText | None = None


class Info(RuleKind):
    name = "info"
    shape = InfoRule
    lists_missing = False  # it informs: missing data for it asks nothing of the project

    def engine_side(self, spec: Any) -> tuple[str, bool]:
        return "true", False

    def judge(self, plan: RulePlan, judge: Judge) -> Step:
        problem = judge.problem(plan, "condition")
        holds = judge.holds(plan, "true")
        # pass: the fact holds (its message shows); fail: it does not
        passed = Finding(*head(plan), Status.PASS)
        failed = Finding(*head(plan), Status.FAIL)

        def informed(run: Any) -> Finding:
            unready_because = problem(run)
            if unready_because is not None:
                return unready(plan, unready_because)
            return passed if holds(run) else failed

        return informed

    def sentence(self, finding: Finding, words: Words) -> str:
        shared = shared_sentence(finding, words)
        if shared is not None:
            return shared
        holds = finding.status is Status.PASS
        return words.own(finding, holds) or words.text(
            f"finding.info_{finding.status.value}", title=words.title(finding.rule)
        )


KIND = Info()
