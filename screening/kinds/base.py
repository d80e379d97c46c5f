"""What every rule kind declares, and the judging steps all kinds share.

A kind is one object (`RuleKind`) holding its YAML shape, which side of its condition
durable-rules matches, how a project's finding is made, how the finding reads, and
what a failure does to the decision. The screener, the reference screener, the
decision and the renderers ask the kind; none of them switches on kind names.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from screening.expr.evaluate import ZERO_DIVISOR, Missing, Undefined
from screening.findings import Finding, RemedyOption, Status

if TYPE_CHECKING:
    from pydantic import BaseModel

    from screening.compile import BranchPlan, RulePlan
    from screening.expr import nodes as n


class Effect(str, Enum):
    """What a failed rule of a kind does to the decision."""

    VETO = "veto"  # rejected, and no change of figures can fix it
    REJECT = "reject"  # rejected
    REVIEW = "review"  # sent to review
    NONE = (
        "none"  # nothing by failing (scores count points; derivations and facts inform)
    )


# One rule's finding for one project, from that project's run (whatever the judge's
# steps read: the compiled screener's facts and firings, or the reference's values).
Step = Callable[[Any], Finding]
Problem = Missing | Undefined


class Judge(Protocol):
    """What a kind may ask about a rule, asked once when a screener is built: each answer
    is a step the screener runs per project (on that project's `run`). The compiled
    screener settles at build time all it can (the fact keys a part reads, constant
    thresholds, a remedy's inverse steps); the reference screener walks the rule's
    expressions per project."""

    def problem(self, plan: RulePlan, part: str) -> Callable[[Any], Problem | None]:
        """Why the rule's `applies` or `condition` part cannot be judged, or None."""

    def holds(self, plan: RulePlan, side: str) -> Callable[[Any], bool]:
        """Whether the rule's engine side (`fail`, `true`, `na`) matched."""

    def reported(self, plan: RulePlan) -> Callable[[Any], tuple[Any, Any]]:
        """The exact actual and threshold values a check shows (None, None if not a comparison)."""

    def value(self, plan: RulePlan) -> Callable[[Any], tuple[int, int]]:
        """A graded rule's value, exactly, as (numerator, denominator > 0), not
        necessarily in lowest terms; the step raises Missing or Undefined."""

    def options(
        self, node: n.Node, relation: str
    ) -> Callable[[Any, Fraction], tuple[RemedyOption, ...]]:
        """The inputs' values that would make `node relation target` hold, for a target."""

    def fixed_options(
        self, node: n.Node, relation: str, target: Fraction
    ) -> tuple[RemedyOption, ...] | None:
        """The options for `node relation target` when they are the same for every
        project (`node` an input as given), made once; None when they are not, or when
        the judge works them out per project."""

    def branch(
        self, branch: BranchPlan
    ) -> Callable[[Any], tuple[bool | Problem, Any, Any]]:
        """A `require_any` branch: whether it holds (or why it cannot be judged), and the
        actual and threshold it shows."""


class Words(Protocol):
    """What a kind's sentence may use: the renderer's templates, titles and figures."""

    def text(self, key: str, /, **params: Any) -> str:
        """The message template at `key` in the renderer's language, filled with `params`."""

    def title(self, rule_id: str) -> str:
        """A rule's title."""

    def fields(self, paths: tuple[str, ...]) -> str:
        """Field titles joined as a list."""

    def say(self, finding: Finding, key: str, /, **extra: str) -> str:
        """The template at `key` filled with the finding's figures (title, actual, unit,
        threshold, op, points, max_points) and `extra`, which must depend on the rule only."""

    def custom(self, finding: Finding) -> str | None:
        """The rule's own message for a failure, filled with its figures; None when it has none."""

    def own(self, finding: Finding, holds: bool) -> str | None:
        """An info rule's own words for the fact holding or not; None when it has none."""

    def any_sentence(self, finding: Finding) -> str:
        """A require_any rule's sentence: the branch that passed, or every branch's figures."""


class RuleKind:
    """One kind of rule. Subclasses set the class attributes and override what differs."""

    name: ClassVar[str]
    shape: ClassVar[
        type[BaseModel]
    ]  # the YAML shape, a pydantic model with `kind: Literal[name]`
    effect: ClassVar[Effect] = Effect.NONE
    # whether missing data for a rule of this kind sends the project to review
    missing_blocks: ClassVar[bool] = False
    # whether the fields it lacks are listed in the decision's `missing`
    lists_missing: ClassVar[bool] = True
    # whether its points make up the 0–100 score (score rules), or come on top of it (bonuses)
    scored: ClassVar[bool] = False
    bonus: ClassVar[bool] = False
    # whether a top-level comparison in its condition is reported as actual against threshold
    compares: ClassVar[bool] = False
    # its own message templates by language (its name under `kind`, a status's label
    # under `status_by_kind`, …), for a kind added without editing messages/*.yaml; the
    # YAML files' templates win where both have one
    messages: ClassVar[dict[str, dict[str, Any]]] = {}

    def engine_side(self, spec: Any) -> tuple[str, bool] | None:
        """The side of the rule's condition durable-rules matches, as (name, negate), or None
        when the engine matches nothing for it (a graded value is arithmetic, done in Python)."""
        return None

    def finding(self, plan: RulePlan, judge: Judge) -> Step:
        """The step making the rule's finding for one project: what every kind shares
        (未配置, `applies_if`), then the kind's own `judge` step."""
        if plan.unconfigured is not None:
            what = (
                "table"
                if plan.unconfigured_reason == "table_not_configured"
                else "parameter"
            )
            unconfigured = not_applicable(
                plan, Undefined(plan.unconfigured_reason, **{what: plan.unconfigured})
            )
            return lambda run: unconfigured
        judged = self.judge(plan, judge)
        if plan.applies is None:
            return judged
        problem = judge.problem(plan, "applies")
        inapplicable = judge.holds(plan, "na")
        not_applying = _inapplicable(plan, "applies_if")

        def applying(run: Any) -> Finding:
            unready_because = problem(run)
            if unready_because is not None:
                return unready(plan, unready_because)
            if inapplicable(run):
                return not_applying
            return judged(run)

        return applying

    def judge(self, plan: RulePlan, judge: Judge) -> Step:
        """The step making the finding once the rule applies (kinds override this).

        Findings are immutable: one that is the same for every project (a flag's pass
        or fail, say) is made here once and returned by the step."""
        raise NotImplementedError

    def sentence(self, finding: Finding, words: Words) -> str:
        """The finding in prose."""
        raise NotImplementedError


def head(plan: RulePlan) -> tuple[str, str, str]:
    """The first three fields of every finding of a rule: its id, group and kind."""
    return plan.rule.id, plan.rule.spec.group, plan.kind.name


def _zero(plan: RulePlan) -> int | None:
    return 0 if plan.max_points is not None else None


def not_applicable(plan: RulePlan, undefined: Undefined) -> Finding:
    """Not applicable for a reason with parameters (未配置, a "/" cell, a zero divisor)."""
    return _inapplicable(plan, undefined.code, tuple(sorted(undefined.params.items())))


def _inapplicable(
    plan: RulePlan, reason: str, params: tuple[tuple[str, Any], ...] = ()
) -> Finding:
    return Finding(
        *head(plan),
        Status.NOT_APPLICABLE,
        unit=plan.rule.unit,
        points=_zero(plan),
        max_points=plan.max_points,
        reason=reason,
        reason_params=params,
    )


def missing(plan: RulePlan, problem: Missing) -> Finding:
    """Missing data: the fields to obtain."""
    return _missing(plan, tuple(sorted(problem.names)))


def _missing(
    plan: RulePlan,
    fields: tuple[str, ...],
    reason: str | None = None,
    params: tuple[tuple[str, Any], ...] = (),
) -> Finding:
    return Finding(
        *head(plan),
        Status.MISSING,
        unit=plan.rule.unit,
        points=_zero(plan),
        max_points=plan.max_points,
        missing=fields,
        reason=reason,
        reason_params=params,
    )


def unready(plan: RulePlan, problem: Missing | Undefined) -> Finding:
    """The finding of a rule whose part could not be judged: missing data is missing, and
    so is a figure a zero divisor leaves uncomputed (see `zero_divisor`); the rule set's
    own gaps (未配置, a key not in a table) are not applicable."""
    if isinstance(problem, Undefined):
        if problem.code == ZERO_DIVISOR:
            return zero_divisor(plan, problem)
        return not_applicable(plan, problem)
    return missing(plan, problem)


def zero_divisor(plan: RulePlan, undefined: Undefined) -> Finding:
    """A rule whose figure divides by an input that is 0 (用地面积 0 for 投资强度): it cannot
    be computed, so it is missing data for the rule, naming the zero inputs, never not
    applicable — a gate that cannot be computed never counts as met, and a 0 typed for
    "not yet known" goes to review. A rule that does not apply to such a project says so
    itself (`applies_if`)."""
    divisor = zero_fields(plan, undefined)
    if not divisor:  # the rule set's own figure is 0 (a parameter): nothing to obtain
        return not_applicable(plan, undefined)
    return _missing(plan, divisor, ZERO_DIVISOR, (("divisor", divisor),))


def zero_fields(plan: RulePlan, undefined: Undefined) -> tuple[str, ...]:
    """The project fields behind a zero divisor's names (a metric's fields, a field
    itself), sorted; none when it reads only the rule set's parameters."""
    metrics = dict(plan.metric_fields)
    fields: set[str] = set()
    for name in undefined.params.get("divisor", ()):
        if name in plan.inputs:
            fields.add(name)
        else:
            fields.update(metrics.get(name, ()))
    return tuple(sorted(fields))


def shared_sentence(finding: Finding, words: Words) -> str | None:
    """The sentences every kind shares (missing data, not applicable), or None."""
    if finding.status is Status.MISSING:
        if finding.reason == ZERO_DIVISOR:
            return words.text(
                "finding.zero_divisor",
                title=words.title(finding.rule),
                divisor=words.fields(finding.missing),
            )
        return words.text(
            "finding.missing",
            title=words.title(finding.rule),
            fields=words.fields(finding.missing),
        )
    if finding.status is Status.NOT_APPLICABLE:
        params = dict(finding.reason_params)
        if "divisor" in params:  # the inputs that are zero, by title
            params["divisor"] = words.fields(params["divisor"])
        for named in ("parameter", "table"):  # 未配置: the item to fill, by its title
            if isinstance(params.get(named), str):
                params[named] = words.fields((params[named],))
        return words.text(
            f"finding.{finding.reason}", title=words.title(finding.rule), **params
        )
    return None
