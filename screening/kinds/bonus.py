"""bonus (加分): points on top of the score, for a condition (`when` + `points`) or a graded value."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import model_validator

from screening.findings import Finding, Status
from screening.kinds.base import Judge, RuleKind, Words, shared_sentence, unready
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

    def judge(self, plan: RulePlan, judge: Judge) -> Finding:
        if plan.value is not None:
            return graded(plan, judge)
        problem = judge.problem(plan, "condition")
        if problem is not None:
            return unready(plan, problem)
        rule = plan.rule
        awarded = judge.holds(plan, "true")
        return Finding(
            rule.id,
            rule.spec.group,
            plan.kind.name,
            Status.PASS if awarded else Status.FAIL,
            points=plan.max_points if awarded else 0,
            max_points=plan.max_points,
        )

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
