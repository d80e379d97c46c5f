"""score (评分): a value graded into points by bands or linear interpolation; points add to the score."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import model_validator

from screening.expr.evaluate import Missing, Undefined, exact
from screening.findings import Finding, Remedy, Status, new_record
from screening.kinds.base import (
    Judge,
    RuleKind,
    Step,
    Words,
    head,
    shared_sentence,
    unready,
)
from screening.model.ruleset import GradedRule
from screening.score import Grading, gain, points_ratio

if TYPE_CHECKING:
    from screening.compile import RulePlan


class ScoreRule(GradedRule):
    kind: Literal["score"]

    @model_validator(mode="after")
    def _graded(self) -> ScoreRule:
        self.check_grading()
        return self


def graded(plan: RulePlan, judge: Judge) -> Step:
    """A graded value's finding: its points, and the nearest band that would earn more."""
    rule = plan.rule
    value_of = judge.value(plan)
    grading = Grading(plan.bands, plan.linear)
    top = plan.max_points
    assert top is not None and rule.value is not None
    top_num, top_den = points_ratio(top)
    raise_to, lower_to = (judge.options(rule.value, r) for r in (">=", "<="))
    (rule_id, group, kind), unit = head(plan), rule.unit
    pass_, fail = Status.PASS, Status.FAIL

    def graded_step(run: Any) -> Finding:
        try:
            num, den = value_of(run)
        except (Missing, Undefined) as problem:
            return unready(plan, problem)
        points = grading.points(num, den)
        earned = (points, 1) if type(points) is int else points.as_integer_ratio()
        remedy = None
        if earned[0] * top_den < top_num * earned[1]:  # below the maximum
            step = grading.next_band(num, den, earned)
            if step is not None:
                target, better, up = step
                remedy = new_record(
                    Remedy,
                    (
                        "score",
                        (raise_to if up else lower_to)(run, target),
                        target,
                        gain(better, points),
                    ),
                )
        # every field of Finding, in order (see findings.new_record)
        return new_record(
            Finding,
            (
                rule_id,
                group,
                kind,
                pass_ if earned[0] > 0 else fail,
                exact(num, den),
                None,
                None,
                unit,
                points,
                top,
                (),
                None,
                (),
                remedy,
                (),
            ),
        )

    return graded_step


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

    def judge(self, plan: RulePlan, judge: Judge) -> Step:
        return graded(plan, judge)

    def sentence(self, finding: Finding, words: Words) -> str:
        return graded_sentence(finding, words)


KIND = Score()
