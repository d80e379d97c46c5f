"""Screen projects against one rule set: prepare each stratum's facts, match them, judge.

Python prepares each stratum's facts (exact arithmetic, which inputs are missing),
durable-rules matches the sides the rules' kinds name, and each rule's kind turns what
fired into its finding. `Screener(ruleset, reference=True)` judges the same rules by
walking their expressions in plain Fractions instead — no compilation, no engine —
for tests to hold the compiled path to. Nothing here renders prose.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from screening.compile import (
    COMPUTED,
    BranchPlan,
    Chunk,
    Compiled,
    Part,
    RulePlan,
    compile_ruleset,
)
from screening.decision import Decider
from screening.engine import Engine, Fired, default_engine, field, text_field
from screening.expr import nodes as n
from screening.expr.evaluate import (
    ZERO_DIVISOR,
    Ctx,
    Evaluator,
    Missing,
    Undefined,
    to_fraction,
)
from screening.expr.reference import Reference, exact_tables
from screening.findings import Decision, RemedyOption
from screening.inputs import convert_inputs
from screening.kinds import Judge
from screening.model.effective import RuleSet
from screening.model.project import FIELDS, Project, flatten
from screening.remedy import Solver

Problem = Missing | Undefined


class Screener:
    """A compiled rule set bound to an engine; `screen` is called once per project.

    Each rule's kind turns its plan into a step once, here: the findings of a project
    are its rules' steps run on that project's facts and firings."""

    def __init__(
        self, ruleset: RuleSet, engine: Engine | None = None, reference: bool = False
    ) -> None:
        self.ruleset = ruleset
        self.reference = reference
        self.compiled: Compiled = compile_ruleset(ruleset)
        compiled = self.compiled
        self.decider = Decider(ruleset, [plan.kind for plan in compiled.plans])
        units = {path: f.unit for path, f in FIELDS.items()}
        units.update({path: i.unit or "" for path, i in ruleset.inputs.items()})
        self.solver = Solver(ruleset.metric_nodes, compiled.build, units)  # type: ignore[arg-type]
        judge: _CompiledJudge | _ReferenceJudge
        if reference:
            self._reference = _ReferenceSetup(ruleset, compiled)
            judge = _ReferenceJudge()
        else:
            self.engine = engine or default_engine()
            for chunks in compiled.chunks:
                for chunk in chunks:
                    self.engine.register(chunk)
            self._strata = [_Stratum(chunks) for chunks in compiled.chunks]
            judge = _CompiledJudge(compiled, self.solver)
        # per stratum: the derivations judged in it, whose values later strata read
        self._derivations: list[list[tuple[str, Callable[[Any], bool | None]]]] = [
            [] for _ in range(compiled.strata)
        ]
        for plan in compiled.plans:
            if plan.kind.name == "derive":
                self._derivations[plan.stratum].append(
                    (plan.rule.spec.sets, _derivation(plan, judge))
                )
        self._steps = [plan.kind.finding(plan, judge) for plan in compiled.plans]

    def screen(self, project: Project) -> Decision:
        """The decision for one validated project (its extra fields checked against `inputs:`)."""
        return self.screen_values(convert_inputs(flatten(project), self.ruleset.inputs))

    def screen_values(self, values: dict[str, Any]) -> Decision:
        """The decision for a project's flat values (as `flatten` and `convert_inputs` give them)."""
        if self.reference:
            return self._screen_reference(values)
        run = _Run(values, self.compiled.metrics)
        derived = run.derived
        match = self.engine.match
        for level, stratum in enumerate(self._strata):
            if level:
                for name, derivation in self._derivations[level - 1]:
                    value = derivation(run)
                    if value is not None:
                        derived[name] = value
            run.fired |= stratum.match(match, run)
        return self.decider.decide(values, tuple([step(run) for step in self._steps]))

    def _screen_reference(self, values: dict[str, Any]) -> Decision:
        known = dict(values)
        run = _ReferenceRun(self, self._reference, known)
        for derivations in self._derivations:
            for name, derivation in derivations:
                value = derivation(run)
                if value is not None:
                    known[name] = value
        return self.decider.decide(values, [step(run) for step in self._steps])


def _derivation(plan: RulePlan, judge: Judge) -> Callable[[Any], bool | None]:
    """A derivation's value for later strata: None when its inputs are missing or a zero
    divisor leaves it uncomputed (as its own finding says: missing data, so a rule
    reading it is missing too, never failed or passed), False when it does not apply or
    cannot be judged (未配置, a "/" cell)."""
    if plan.unconfigured is not None:
        return lambda run: False
    problem = judge.problem(plan, "condition")
    true = judge.holds(plan, "true")
    if plan.applies is None:
        applies_problem = inapplicable = None
    else:
        applies_problem = judge.problem(plan, "applies")
        inapplicable = judge.holds(plan, "na")

    def derivation(run: Any) -> bool | None:
        if applies_problem is not None and inapplicable is not None:
            unready_because = applies_problem(run)
            if unready_because is not None:
                return _unknown(unready_because)
            if inapplicable(run):
                return False
        unready_because = problem(run)
        if unready_because is not None:
            return _unknown(unready_because)
        return bool(true(run))

    return derivation


def _unknown(problem: Missing | Undefined) -> bool | None:
    """A derived fact its derivation could not judge: missing (None) for missing data
    and a zero divisor, False for the rule set's own gaps (未配置)."""
    if isinstance(problem, Undefined) and problem.code != ZERO_DIVISOR:
        return False
    return None


class _Stratum:
    """One stratum's fact fields, each made once per project, and its chunks' keys."""

    def __init__(self, chunks: list[Chunk]) -> None:
        natives: dict[str, tuple[str, bool, Callable[[str], str]]] = {}
        atoms: dict[str, Any] = {}
        for chunk in chunks:
            for name, key, is_derived in chunk.natives:
                natives.setdefault(key, (name, is_derived, text_field(key)))
            for atom in chunk.atoms:
                values = (-1, 0, 1) if atom.kind == "sign" else (True, False)
                against: tuple[Any, Any] = atom.against or (None, None)
                atoms.setdefault(
                    atom.key,
                    (
                        *against,
                        atom.evaluate,
                        {value: field(atom.key, value) for value in values},
                    ),
                )
        self.natives = [
            (
                key,
                name,
                is_derived,
                text,
                {flag: field(key, flag) for flag in (True, False)},
            )
            for key, (name, is_derived, text) in natives.items()
        ]
        self.atoms = [(key, *atom) for key, atom in atoms.items()]
        self.chunks = [
            (
                chunk,
                tuple(
                    [key for _, key, _ in chunk.natives] + [a.key for a in chunk.atoms]
                ),
            )
            for chunk in chunks
        ]

    def match(
        self, match: Callable[[Chunk, str], Fired], run: _Run
    ) -> set[tuple[int, str]] | Fired:
        """What the engine fires for this stratum's facts; what could not be put in a
        fact goes to the run's `failed`."""
        texts = self.fill(run, run.derived, run.failed)
        if len(self.chunks) == 1:  # the fields are in the chunk's order already
            return match(self.chunks[0][0], ", ".join(texts.values()))
        fired: set[tuple[int, str]] = set()
        for chunk, keys in self.chunks:
            fired |= match(
                chunk, ", ".join([texts[key] for key in keys if key in texts])
            )
        return fired

    def fill(
        self, ctx: Ctx, derived: dict[str, bool], failed: dict[str, Problem]
    ) -> dict[str, str]:
        """The text of every field this stratum's facts hold; what could not be filled goes to `failed`."""
        values = ctx.values
        texts: dict[str, str] = {}
        for key, name, is_derived, text, flags in self.natives:
            value = derived.get(name) if is_derived else values.get(name)
            if value is None:
                failed[key] = Missing(frozenset((name,)))
            elif type(value) is bool:
                texts[key] = flags[value]
            elif type(value) is str:
                texts[key] = text(value)
            else:  # refused with a reason: nothing but text and flags is matched natively
                texts[key] = field(key, value)
        for key, name, bound, evaluate, fields in self.atoms:
            if (
                name is not None
            ):  # an input against a constant: a Decimal compared inline
                value = values.get(name)
                if type(value) is Decimal:
                    texts[key] = fields[(value > bound) - (value < bound)]
                    continue
            try:
                texts[key] = fields[evaluate(ctx)]
            except (Missing, Undefined) as exc:
                failed[key] = exc
        return texts


class _Run(Ctx):
    """One project's run through the compiled screener: its values (the evaluators'
    context), what the engine fired, the fact keys that could not be filled (and why),
    the derived facts so far."""

    __slots__ = ("fired", "failed", "derived")

    def __init__(self, values: dict[str, Any], metrics: dict[str, Evaluator]) -> None:
        super().__init__(values, metrics)
        self.fired: set[tuple[int, str]] = set()
        self.failed: dict[str, Problem] = {}  # fact key → why it could not be filled
        self.derived: dict[str, bool] = {}


def _never(run: Any) -> None:
    return None


def _unshown(run: Any) -> tuple[None, None]:
    return None, None


class _CompiledJudge:
    """Answers the kinds' questions with steps over the engine's firings and the compiled
    evaluators, settling at build time what a rule reads and shows."""

    def __init__(self, compiled: Compiled, solver: Solver) -> None:
        self.compiled = compiled
        self.solver = solver

    def problem(
        self, plan: RulePlan, part_name: str
    ) -> Callable[[_Run], Problem | None]:
        part = plan.applies if part_name == "applies" else plan.condition
        assert part is not None
        keys = part.native_keys + tuple(atom.key for atom in part.atoms)
        if not keys:
            return _never
        reads = frozenset(keys)
        unready = self._unready

        def problem(run: _Run) -> Problem | None:
            failed = run.failed
            if not failed or reads.isdisjoint(failed):
                return None
            return unready(part, [failed[key] for key in keys if key in failed], run)

        return problem

    def _unready(self, part: Part, problems: list[Problem], run: _Run) -> Problem:
        absent = self.compiled.absent(part, run.values, run.derived)
        return _unready(part, run, problems, absent)

    def holds(self, plan: RulePlan, side: str) -> Callable[[_Run], bool]:
        fired = (plan.index, side)
        return lambda run: fired in run.fired

    def reported(self, plan: RulePlan) -> Callable[[_Run], tuple[Any, Any]]:
        if plan.actual is None:
            return _unshown
        return _shown(
            plan.actual,
            plan.threshold,
            plan.threshold_constant,
            plan.op,
            plan.actual_field,
        )

    def branch(
        self, branch: BranchPlan
    ) -> Callable[[_Run], tuple[bool | Problem, Any, Any]]:
        test, part, unready = branch.test, branch.part, self._unready
        shown = (
            None
            if branch.actual is None
            else _shown(
                branch.actual,
                branch.threshold,
                branch.threshold_constant,
                branch.op,
                None,
            )
        )

        def judged(run: _Run) -> tuple[bool | Problem, Any, Any]:
            try:
                holds = test(run)
            except (Missing, Undefined) as exc:
                return unready(part, [exc], run), None, None
            if shown is None:
                return bool(holds), None, None
            return (bool(holds), *shown(run))

        return judged

    def value(self, plan: RulePlan) -> Callable[[_Run], tuple[int, int]]:
        value, part, unready = plan.value, plan.value_part, self._unready
        assert value is not None and part is not None

        def graded(run: _Run) -> tuple[int, int]:
            try:
                ratio: tuple[int, int] = value(run)
            except (Missing, Undefined) as exc:
                raise unready(part, [exc], run) from None
            return ratio

        return graded

    def options(
        self, node: n.Node, relation: str
    ) -> Callable[[_Run, Fraction], tuple[RemedyOption, ...]]:
        return self.solver.inverse(node, relation)

    def fixed_options(
        self, node: n.Node, relation: str, target: Fraction
    ) -> tuple[RemedyOption, ...] | None:
        return self.solver.fixed(node, relation, target)


def _shown(
    actual: Any,
    threshold: Any,
    constant: Any,
    op: str | None,
    field_name: str | None,
) -> Callable[[_Run], tuple[Any, Any]]:
    """The exact actual and threshold a comparison shows: an input as given, else its
    value as a Fraction; a constant threshold as written, else evaluated."""
    if constant is not COMPUTED:
        if field_name is not None:
            return lambda run: (run.values[field_name], constant)

        def against_constant(run: _Run) -> tuple[Any, Any]:
            try:
                return to_fraction(actual(run)), constant
            except (Missing, Undefined):
                return None, None

        return against_constant
    between = op == "between"

    def computed(run: _Run) -> tuple[Any, Any]:
        ctx = run
        try:
            shown = ctx.values[field_name] if field_name else to_fraction(actual(ctx))
            bound = threshold(ctx)
            bound = tuple(map(to_fraction, bound)) if between else to_fraction(bound)
        except (Missing, Undefined):
            return None, None
        return shown, bound

    return computed


def _unready(
    part: Part, ctx: Ctx, problems: list[Problem], absent: frozenset[str]
) -> Problem:
    """Why a part cannot be judged, in this order: a lookup with no value for this project
    (its keys present) makes it not applicable; else absent inputs are missing; else the
    first problem met (a zero divisor, an unset parameter)."""
    for lookup in part.lookups:
        try:
            lookup(ctx)
        except Undefined as exc:
            return exc
        except Missing:
            continue
    if absent:
        return Missing(absent)
    for problem in problems:
        if isinstance(problem, Undefined):
            return problem
    names: frozenset[str] = frozenset().union(
        *(p.names for p in problems if isinstance(p, Missing))
    )
    return Missing(names)


class _ReferenceSetup:
    """What the reference judge needs of a rule set: its tables and parameters as Fractions."""

    def __init__(self, ruleset: RuleSet, compiled: Compiled) -> None:
        self.metrics = ruleset.metric_nodes
        self.constants = {
            name: param.value for name, param in ruleset.parameters.items()
        }
        self.tables = exact_tables(
            {
                name: {"values": t.values, "default": t.default}
                for name, t in ruleset.tables.items()
            }
        )
        self.compiled = compiled


class _ReferenceJudge:
    """Answers the kinds' questions with steps that evaluate each rule's expressions in
    plain Fractions, per project (its `_ReferenceRun`)."""

    def problem(
        self, plan: RulePlan, part: str
    ) -> Callable[[_ReferenceRun], Problem | None]:
        return lambda run: run.problem(plan, part)

    def holds(self, plan: RulePlan, side: str) -> Callable[[_ReferenceRun], bool]:
        return lambda run: run.holds(plan, side)

    def reported(self, plan: RulePlan) -> Callable[[_ReferenceRun], tuple[Any, Any]]:
        return lambda run: run.reported(plan)

    def value(self, plan: RulePlan) -> Callable[[_ReferenceRun], tuple[int, int]]:
        return lambda run: run.value(plan).as_integer_ratio()

    def options(
        self, node: n.Node, relation: str
    ) -> Callable[[_ReferenceRun, Fraction], tuple[RemedyOption, ...]]:
        return lambda run, target: run.options(node, relation, target)

    def fixed_options(
        self, node: n.Node, relation: str, target: Fraction
    ) -> tuple[RemedyOption, ...] | None:
        return None  # worked out per project, for the compiled screener to be held to

    def branch(
        self, branch: BranchPlan
    ) -> Callable[[_ReferenceRun], tuple[bool | Problem, Any, Any]]:
        return lambda run: run.branch(branch)


class _ReferenceRun:
    """One project's run through the reference screener: its rules' expressions walked
    in plain Fractions, nothing compiled, no engine."""

    def __init__(
        self, screener: Screener, setup: _ReferenceSetup, known: dict[str, Any]
    ) -> None:
        self.screener = screener
        self.known = known  # the project's values and the derived facts known so far
        self.reference = Reference(known, setup.metrics, setup.constants, setup.tables)

    def _node(self, plan: RulePlan, part_name: str) -> n.Node:
        node = plan.rule.applies_if if part_name == "applies" else plan.rule.condition
        assert node is not None
        return node

    def problem(self, plan: RulePlan, part_name: str) -> Problem | None:
        part = plan.applies if part_name == "applies" else plan.condition
        return self._problem(self._node(plan, part_name), part)  # type: ignore[arg-type]

    def _problem(self, node: n.Node, part: Part) -> Problem | None:
        for call in n.calls(node, "lookup", self.reference.metrics):
            try:
                self.reference.evaluate(call)
            except Undefined as exc:
                return exc
            except Missing:
                continue
        absent = self.screener.compiled.absent(part, self.known, self.known)
        if absent:
            return Missing(absent)
        try:
            self.reference.check(node)
        except (Missing, Undefined) as exc:
            return exc
        return None

    def branch(self, branch: BranchPlan) -> tuple[bool | Problem, Any, Any]:
        problem = self._problem(branch.node, branch.part)
        if problem is not None:
            return problem, None, None
        holds = bool(self.reference.evaluate(branch.node))
        return (holds, *self._shown(branch.node, branch.op))

    def holds(self, plan: RulePlan, side: str) -> bool:
        if side == "na":
            return not self.reference.evaluate(self._node(plan, "applies"))
        truth = bool(self.reference.evaluate(self._node(plan, "condition")))
        if (
            side == "fail" and plan.rule.spec.fail_if is None
        ):  # require, require_any: fail unless it holds
            return not truth
        return truth

    def reported(self, plan: RulePlan) -> tuple[Any, Any]:
        if plan.op is None and plan.rule.value is not None:
            try:
                return self.reference.evaluate(plan.rule.value), None
            except (Missing, Undefined):
                return None, None
        return self._shown(plan.rule.condition, plan.op)

    def _shown(self, node: n.Node | None, op: str | None) -> tuple[Any, Any]:
        evaluate = self.reference.evaluate
        try:
            if op == "between":
                value, low, high = node.args  # type: ignore[union-attr]
                return evaluate(value), (evaluate(low), evaluate(high))
            if op is not None:
                return evaluate(node.left), evaluate(node.right)  # type: ignore[union-attr]
        except (Missing, Undefined):
            pass
        return None, None

    def value(self, plan: RulePlan) -> Fraction:
        node = plan.rule.value
        assert node is not None
        for call in n.calls(node, "lookup", self.reference.metrics):
            try:
                self.reference.evaluate(call)
            except Undefined:
                raise
            except Missing:
                continue
        absent = self.screener.compiled.absent(plan.value_part, self.known, self.known)  # type: ignore[arg-type]
        if absent:
            raise Missing(absent)
        return self.reference.evaluate(node)  # type: ignore[no-any-return]

    def options(
        self, node: n.Node, relation: str, target: Fraction
    ) -> tuple[RemedyOption, ...]:
        ctx = self.screener.compiled.ctx(self.known)
        return self.screener.solver.options(node, relation, target, ctx)


__all__ = ["Fired", "Screener"]
