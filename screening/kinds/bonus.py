"""bonus (加分): points on top of the score, for a condition (`when` + `points`) or a graded value."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import model_validator

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
from screening.kinds.score import graded, graded_sentence
from screening.model.ruleset import GradedRule

if TYPE_CHECKING:
    from screening.compile import RulePlan


class BonusRule(GradedRule):
    kind: Literal["bonus"]
    when: str | None = None
    points: Decimal | None = None

    @model_validator(mode="after")
    def _shape(self) -> BonusRule:
        if self.when is not None:
            if self.points is None or self.value or self.bands or self.linear:
                raise ValueError(
                    "when 形式的加分规则需要 points，且不能有 value/bands/linear / "
                    "a 'when' bonus takes points only"
                )
        else:
            self.check_grading()
        return self

    @property
    def max_points(self) -> Decimal:
        return self.points if self.points is not None else super().max_points


class Bonus(RuleKind):
    name = "bonus"
    shape = BonusRule
    bonus = True

    def engine_side(self, spec: Any) -> tuple[str, bool] | None:
        # bonuses are the exception, so the awarded side fires (fewer actions)
        return ("true", False) if spec.when is not None else None

    def judge(self, plan: RulePlan, judge: Judge) -> Step:
        if plan.value is not None:
            return graded(plan, judge)
        problem = judge.problem(plan, "condition")
        holds = judge.holds(plan, "true")
        top = plan.max_points
        awarded = Finding(*head(plan), Status.PASS, points=top, max_points=top)
        not_awarded = Finding(*head(plan), Status.FAIL, points=0, max_points=top)

        def bonus(run: Any) -> Finding:
            unready_because = problem(run)
            if unready_because is not None:
                return unready(plan, unready_because)
            return awarded if holds(run) else not_awarded

        return bonus

    def sentence(self, finding: Finding, words: Words) -> str:
        if finding.actual is not None or finding.status not in (
            Status.PASS,
            Status.FAIL,
        ):
            return graded_sentence(finding, words)
        shared = shared_sentence(finding, words)
        if shared is not None:
            return shared
        return words.say(finding, f"finding.bonus_{finding.status.value}")


KIND = Bonus()
