"""Behaviour the three check kinds (veto, gate, review) share: a condition that must hold."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from screening.expr.evaluate import Missing, Undefined
from screening.findings import BranchFinding, Finding, Remedy, Status
from screening.kinds.base import (
    Effect,
    Judge,
    RuleKind,
    Words,
    shared_sentence,
    unready,
)

if TYPE_CHECKING:
    from screening.compile import RulePlan


class CheckKind(RuleKind):
    """`require` (must hold) or `fail_if` (fails when true); the engine matches the failing side."""

    effect = Effect.REJECT
    missing_blocks = True
    compares = True

    def engine_side(self, spec: Any) -> tuple[str, bool]:
        return (
            "fail",
            spec.fail_if is None,
        )  # require and require_any fail where they do not hold

    def judge(self, plan: RulePlan, judge: Judge) -> Finding:
        if plan.branches:
            return self._any(plan, judge)
        problem = judge.problem(plan, "condition")
        if problem is not None:
            return unready(plan, problem)
        rule = plan.rule
        actual, threshold = judge.reported(plan)
        if judge.holds(plan, "fail"):
            return Finding(
                rule.id,
                rule.spec.group,
                plan.kind.name,
                Status.FAIL,
                actual,
                threshold,
                plan.op,
                rule.unit,
                remedy=self.remedy(plan, judge, actual, threshold),
            )
        return Finding(
            rule.id,
            rule.spec.group,
            plan.kind.name,
            Status.PASS,
            actual,
            threshold,
            plan.op,
            rule.unit,
        )

    def remedy(
        self, plan: RulePlan, judge: Judge, actual: Any, threshold: Any
    ) -> Remedy:
        """What would flip a failure: the inputs' values that meet a threshold, else the condition."""
        return requirement_remedy(
            plan.rule.condition, plan.op, judge, actual, threshold
        )

    def _any(self, plan: RulePlan, judge: Judge) -> Finding:
        """A `require_any` rule: met when one branch is (the others' data then does not
        matter); otherwise missing while a branch lacks data, failed when every judged
        one fails. Which branch passed, and what each failed one would take, travel in
        `branches`."""
        rule = plan.rule
        veto = self.effect is Effect.VETO
        results = []
        for branch in plan.branches:
            holds, actual, threshold = judge.branch(branch)
            if isinstance(holds, Undefined):
                results.append(BranchFinding(branch.name, Status.NOT_APPLICABLE))
            elif isinstance(holds, Missing):
                results.append(
                    BranchFinding(
                        branch.name, Status.MISSING, missing=tuple(sorted(holds.names))
                    )
                )
            elif holds:
                results.append(
                    BranchFinding(
                        branch.name,
                        Status.PASS,
                        actual,
                        threshold,
                        branch.op,
                        branch.unit,
                    )
                )
            else:
                remedy = (
                    None
                    if veto
                    else requirement_remedy(
                        branch.node, branch.op, judge, actual, threshold
                    )
                )
                results.append(
                    BranchFinding(
                        branch.name,
                        Status.FAIL,
                        actual,
                        threshold,
                        branch.op,
                        branch.unit,
                        remedy=remedy,
                    )
                )
        head = (rule.id, rule.spec.group, plan.kind.name)
        branches = tuple(results)
        passed = next((r for r in branches if r.status is Status.PASS), None)
        if (
            judge.problem(plan, "condition") is None
        ):  # every branch judged: the engine decides
            passed = None if judge.holds(plan, "fail") else passed or branches[0]
        if passed is not None:
            return Finding(
                *head,
                Status.PASS,
                passed.actual,
                passed.threshold,
                passed.op,
                passed.unit,
                branches=branches,
            )
        missing_fields = tuple(sorted({name for r in branches for name in r.missing}))
        if missing_fields:
            return Finding(
                *head, Status.MISSING, missing=missing_fields, branches=branches
            )
        if any(r.status is Status.FAIL for r in branches):
            return Finding(
                *head,
                Status.FAIL,
                remedy=Remedy("veto" if veto else "any"),
                branches=branches,
            )
        return Finding(
            *head, Status.NOT_APPLICABLE, reason="no_branch_applies", branches=branches
        )

    def sentence(self, finding: Finding, words: Words) -> str:
        if finding.branches:
            return words.any_sentence(finding)
        shared = shared_sentence(finding, words)
        if shared is not None:
            return shared
        custom = words.custom(finding)
        if custom is not None:
            return custom
        if finding.op is not None and finding.actual is not None:
            return self.comparison(finding, words)
        return words.text(
            f"finding.{finding.status.value}", title=words.title(finding.rule)
        )

    def comparison(self, finding: Finding, words: Words) -> str:
        """A comparison's sentence: the actual figure against the requirement."""
        return words.say(finding, f"finding.numeric_{finding.status.value}")


def requirement_remedy(
    top: Any, op: str | None, judge: Judge, actual: Any, threshold: Any
) -> Remedy:
    """What would meet a failed requirement `top`: input values for a comparison, else
    the condition itself."""
    if op in (">=", ">", "<=", "<") and _numeric(actual) and _numeric(threshold):
        target = threshold if type(threshold) is Fraction else Fraction(threshold)
        return Remedy("numeric", judge.options(top.left, op, target), target)
    if op == "between" and _numeric(actual):
        low, high = (Fraction(bound) for bound in threshold)
        relation, bound = (">=", low) if actual < low else ("<=", high)
        return Remedy("numeric", judge.options(top.args[0], relation, bound), bound)
    return Remedy("condition")


def _numeric(value: Any) -> bool:
    return isinstance(value, (Decimal, Fraction)) or (type(value) is int)
