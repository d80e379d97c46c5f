"""Behaviour the three check kinds (veto, gate, review) share: a condition that must hold."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from screening.expr import nodes as n
from screening.expr.evaluate import ZERO_DIVISOR, Missing, Undefined
from screening.findings import BranchFinding, Finding, Remedy, Status, new_record
from screening.kinds.base import (
    Effect,
    Judge,
    RuleKind,
    Step,
    Words,
    head,
    shared_sentence,
    unready,
    zero_fields,
)
from screening.model.project import INDUSTRY_CODES, section_of

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

    def judge(self, plan: RulePlan, judge: Judge) -> Step:
        if plan.branches:
            return self._any(plan, judge)
        problem = judge.problem(plan, "condition")
        fails = judge.holds(plan, "fail")
        remedy = self.remedy(plan, judge)
        rule_id, group, kind = head(plan)
        op, unit = plan.op, plan.rule.unit
        if op is None:  # no figures to show: the same two findings for every project
            failed = Finding(
                rule_id,
                group,
                kind,
                Status.FAIL,
                unit=unit,
                remedy=remedy(None, None, None),
            )
            passed = Finding(rule_id, group, kind, Status.PASS, unit=unit)

            def flagged(run: Any) -> Finding:
                unready_because = problem(run)
                if unready_because is not None:
                    return unready(plan, unready_because)
                return failed if fails(run) else passed

            return flagged
        reported = judge.reported(plan)
        fail, pass_, new = Status.FAIL, Status.PASS, new_record

        def compared(run: Any) -> Finding:
            unready_because = problem(run)
            if unready_because is not None:
                return unready(plan, unready_because)
            actual, threshold = reported(run)
            if fails(run):
                # every field of Finding, in order (see findings.new_record)
                return new(
                    Finding,
                    (
                        rule_id,
                        group,
                        kind,
                        fail,
                        actual,
                        threshold,
                        op,
                        unit,
                        None,
                        None,
                        (),
                        None,
                        (),
                        remedy(run, actual, threshold),
                        (),
                    ),
                )
            return new(
                Finding,
                (
                    rule_id,
                    group,
                    kind,
                    pass_,
                    actual,
                    threshold,
                    op,
                    unit,
                    None,
                    None,
                    (),
                    None,
                    (),
                    None,
                    (),
                ),
            )

        return compared

    def remedy(self, plan: RulePlan, judge: Judge) -> RemedyStep:
        """What would flip a failure: the inputs' values that meet a threshold, else the condition."""
        return requirement_remedy(
            plan.rule.condition,
            plan.op,
            plan.threshold_constant,
            judge,
            negated=getattr(plan.rule.spec, "fail_if", None) is not None,
        )

    def _any(self, plan: RulePlan, judge: Judge) -> Step:
        """A `require_any` rule: met when one branch is (the others' data then does not
        matter); otherwise missing while a branch lacks data, failed when every judged
        one fails. Which branch passed, and what each failed one would take, travel in
        `branches`."""
        veto = self.effect is Effect.VETO
        steps = [
            (
                branch,
                judge.branch(branch),
                None
                if veto
                else requirement_remedy(
                    branch.node, branch.op, branch.threshold_constant, judge
                ),
            )
            for branch in plan.branches
        ]
        problem = judge.problem(plan, "condition")
        fails = judge.holds(plan, "fail")
        rule_head = head(plan)
        none_met = Remedy("veto" if veto else "any")

        def any_branch(run: Any) -> Finding:
            results = []
            for branch, judged, remedy in steps:
                holds, actual, threshold = judged(run)
                if (
                    isinstance(holds, Undefined)
                    and holds.code == ZERO_DIVISOR
                    and (zero := zero_fields(plan, holds))
                ):
                    # cannot be computed: the zero inputs are missing (see zero_divisor)
                    results.append(
                        BranchFinding(branch.name, Status.MISSING, missing=zero)
                    )
                elif isinstance(holds, Undefined):
                    results.append(BranchFinding(branch.name, Status.NOT_APPLICABLE))
                elif isinstance(holds, Missing):
                    results.append(
                        BranchFinding(
                            branch.name,
                            Status.MISSING,
                            missing=tuple(sorted(holds.names)),
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
                    results.append(
                        BranchFinding(
                            branch.name,
                            Status.FAIL,
                            actual,
                            threshold,
                            branch.op,
                            branch.unit,
                            remedy=None
                            if remedy is None
                            else remedy(run, actual, threshold),
                        )
                    )
            branches = tuple(results)
            passed = next((r for r in branches if r.status is Status.PASS), None)
            if problem(run) is None:  # every branch judged: the engine decides
                passed = None if fails(run) else passed or branches[0]
            if passed is not None:
                return Finding(
                    *rule_head,
                    Status.PASS,
                    passed.actual,
                    passed.threshold,
                    passed.op,
                    passed.unit,
                    branches=branches,
                )
            missing_fields = tuple(
                sorted({name for r in branches for name in r.missing})
            )
            if missing_fields:
                return Finding(
                    *rule_head,
                    Status.MISSING,
                    missing=missing_fields,
                    branches=branches,
                )
            if any(r.status is Status.FAIL for r in branches):
                return Finding(
                    *rule_head, Status.FAIL, remedy=none_met, branches=branches
                )
            return Finding(
                *rule_head,
                Status.NOT_APPLICABLE,
                reason="no_branch_applies",
                branches=branches,
            )

        return any_branch

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


# What would flip one project's failure, from its run and the actual and threshold shown.
RemedyStep = Callable[[Any, Any, Any], Remedy]
_CONDITION = Remedy("condition")
# a `fail_if` met: the remedy is that it no longer holds, never "须满足" the trigger
_CONDITION_NOT = Remedy("condition_not")


def requirement_remedy(
    top: Any, op: str | None, constant: Any, judge: Judge, negated: bool = False
) -> RemedyStep:
    """What would meet a failed requirement `top` (`negated`: a `fail_if`, met where
    `top` does not hold): input values for a comparison, the industries allowed (or
    barred) for a test of the project's industry, else the condition itself.
    `constant` is the threshold when it is the same for every project (else
    COMPUTED): its exact target is then made once."""
    industries = industry_remedy(top, negated)
    if industries is not None:
        return lambda run, actual, threshold: industries
    condition = _CONDITION_NOT if negated else _CONDITION
    if op in (">=", ">", "<=", "<"):
        options = judge.options(top.left, op)
        fixed = Fraction(constant) if _numeric(constant) else None
        # an input as given against a constant (x >= 250): what meets it reads nothing of
        # the project, so the one remedy is made here
        fixed_options = (
            None if fixed is None else judge.fixed_options(top.left, op, fixed)
        )
        fixed_remedy = (
            None if fixed_options is None else Remedy("numeric", fixed_options, fixed)
        )

        def numeric(run: Any, actual: Any, threshold: Any) -> Remedy:
            if not (_numeric(actual) and _numeric(threshold)):
                return condition
            if threshold is constant and fixed is not None:  # the compiled screener's
                if fixed_remedy is not None:
                    return fixed_remedy
                target = fixed
            else:
                target = (
                    threshold if type(threshold) is Fraction else Fraction(threshold)
                )
            return new_record(Remedy, ("numeric", options(run, target), target, None))

        return numeric
    if op == "between":
        above, below = (judge.options(top.args[0], r) for r in (">=", "<="))

        def between(run: Any, actual: Any, threshold: Any) -> Remedy:
            if not _numeric(actual):
                return condition
            low, high = (Fraction(bound) for bound in threshold)
            if actual < low:
                return Remedy("numeric", above(run, low), low)
            return Remedy("numeric", below(run, high), high)

        return between
    return lambda run, actual, threshold: condition


# the parts of the project's industry a rule may test, by the length of their value: a
# 门类 letter, or the digits of a 大类, 中类 or 小类 (see model.project.derive_fields)
_INDUSTRY_PARTS = {
    "industry.section": (1,),
    "industry.division": (2,),
    "industry.group": (3,),
    "industry.code": (1, 3, 4, 5),
}


def industry_remedy(top: Any, negated: bool = False) -> Remedy | None:
    """The remedy of a test of the project's industry against written codes
    (`industry.division == "26"`, `industry.division in ["38", "34"]`, their negations):
    the GB/T 4754-2017 codes it must be in (`industry`) or must not be in
    (`industry_not`), as the code list writes them (C26), in the rule's order; None
    for any other condition, or a code the list does not hold."""
    if not isinstance(top, n.Compare) or not isinstance(top.left, n.Name):
        return None
    lengths = _INDUSTRY_PARTS.get(top.left.name)
    if lengths is None:
        return None
    if top.op in ("==", "!="):
        items: tuple[Any, ...] = (top.right,)
    elif top.op in ("in", "not in") and isinstance(top.right, n.ListOf):
        items = top.right.items
    else:
        return None
    codes: list[str] = []
    for item in items:
        if not isinstance(item, n.Text) or len(item.value) not in lengths:
            return None
        code = _industry_code(item.value)
        if code is None:
            return None
        if code not in codes:
            codes.append(code)
    if not codes:
        return None
    barred = (top.op in ("!=", "not in")) != negated
    return Remedy("industry_not" if barred else "industry", target=tuple(codes))


def _industry_code(value: str) -> str | None:
    # "26" → "C26": the list's codes carry their 门类 letter
    if value.isdigit():
        letter = section_of(int(value[:2]))
        value = f"{letter}{value}" if letter is not None else value
    return value if value in INDUSTRY_CODES else None


def _numeric(value: Any) -> bool:
    kind = type(value)
    return (
        kind is Fraction
        or kind is Decimal
        or kind is int
        or isinstance(value, (Decimal, Fraction))
    )
