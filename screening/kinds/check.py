"""Behaviour the three check kinds (veto, gate, review) share: a condition that must hold."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from screening.findings import Finding, Remedy, Status
from screening.kinds.base import Effect, Judge, RuleKind, Words, shared_sentence, unready

if TYPE_CHECKING:
    from screening.compile import RulePlan


class CheckKind(RuleKind):
    """`require` (must hold) or `fail_if` (fails when true); the engine matches the failing side."""

    effect = Effect.REJECT
    missing_blocks = True
    compares = True

    def engine_side(self, spec: Any) -> tuple[str, bool]:
        return "fail", spec.require is not None  # a requirement fails where it does not hold

    def judge(self, plan: RulePlan, judge: Judge) -> Finding:
        problem = judge.problem(plan, "condition")
        if problem is not None:
            return unready(plan, problem)
        rule = plan.rule
        actual, threshold = judge.reported(plan)
        if judge.holds(plan, "fail"):
            return Finding(rule.id, rule.spec.group, plan.kind.name, Status.FAIL, actual, threshold, plan.op, rule.unit,
                           remedy=self.remedy(plan, judge, actual, threshold))
        return Finding(rule.id, rule.spec.group, plan.kind.name, Status.PASS, actual, threshold, plan.op, rule.unit)

    def remedy(self, plan: RulePlan, judge: Judge, actual: Any, threshold: Any) -> Remedy:
        """What would flip a failure: the inputs' values that meet a threshold, else the condition."""
        condition = plan.rule.condition
        if plan.op in (">=", ">", "<=", "<") and _numeric(actual) and _numeric(threshold):
            target = threshold if type(threshold) is Fraction else Fraction(threshold)
            return Remedy("numeric", judge.options(condition.left, plan.op, target), target)  # type: ignore[union-attr]
        if plan.op == "between" and _numeric(actual):
            low, high = (Fraction(bound) for bound in threshold)
            relation, bound = (">=", low) if actual < low else ("<=", high)
            return Remedy("numeric", judge.options(condition.args[0], relation, bound), bound)  # type: ignore[union-attr]
        return Remedy("condition")

    def sentence(self, finding: Finding, words: Words) -> str:
        shared = shared_sentence(finding, words)
        if shared is not None:
            return shared
        custom = words.custom(finding)
        if custom is not None:
            return custom
        if finding.op is not None and finding.actual is not None:
            return self.comparison(finding, words)
        return words.text(f"finding.{finding.status.value}", title=words.title(finding.rule))

    def comparison(self, finding: Finding, words: Words) -> str:
        """A comparison's sentence: the actual figure against the requirement."""
        return words.say(finding, f"finding.numeric_{finding.status.value}")


def _numeric(value: Any) -> bool:
    return isinstance(value, (Decimal, Fraction)) or (type(value) is int)
