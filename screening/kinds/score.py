"""score (评分): a value graded into points by bands or linear interpolation; points add to the score."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import model_validator

from screening.expr.evaluate import Missing, Undefined
from screening.findings import Finding, Remedy, Status
from screening.kinds.base import Judge, RuleKind, Words, shared_sentence, unready
from screening.model.ruleset import GradedRule
from screening.remedy import next_band
from screening.score import points_for

if TYPE_CHECKING:
    from screening.compile import RulePlan


class ScoreRule(GradedRule):
    kind: Literal["score"]

    @model_validator(mode="after")
    def _graded(self) -> ScoreRule:
        self.check_grading()
        return self


def graded(plan: RulePlan, judge: Judge) -> Finding:
    """A graded value's finding: its points, and the nearest band that would earn more."""
    rule = plan.rule
    try:
        value = judge.value(plan)
    except (Missing, Undefined) as problem:
        return unready(plan, problem)
    points = points_for(plan.bands, plan.linear, value)
    remedy = None
    if points < plan.max_points:  # type: ignore[operator]
        step = next_band(plan.bands, plan.linear, value, points)
        if step is not None:
            target, better = step
            relation = ">=" if target > value else "<="
            remedy = Remedy(
                "score",
                judge.options(rule.value, relation, target),  # type: ignore[arg-type]
                target,
                better - points,
            )
    return Finding(
        rule.id,
        rule.spec.group,
        plan.kind.name,
        Status.PASS if points > 0 else Status.FAIL,
        value,
        unit=rule.unit,
        points=points,
        max_points=plan.max_points,
        remedy=remedy,
    )


def graded_sentence(finding: Finding, words: Words) -> str:
    """A graded finding's sentence: the value and the points it earned."""
    shared = shared_sentence(finding, words)
    if shared is not None:
        return shared
    return words.custom(finding) or words.say(finding, "finding.score")


class Score(RuleKind):
    name = "score"
    shape = ScoreRule
    scored = True

    def judge(self, plan: RulePlan, judge: Judge) -> Finding:
        return graded(plan, judge)

    def sentence(self, finding: Finding, words: Words) -> str:
        return graded_sentence(finding, words)


KIND = Score()
