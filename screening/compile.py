"""`RuleSet` → the durable-rules rulesets and the plan of plain steps the screener follows.

Pure: no engine import. The division of labour, for speed and exactness:
* Python computes, before the assert, what durable-rules cannot do exactly or
  cheaply: arithmetic (exact integer ratios), lookups, and which rules have all their
  inputs. A numeric comparison reaches the engine as the sign of (left − right), decided
  by cross-multiplying integers, so 不低于 decides at equality exactly as on paper. A
  rule missing an input is reported `missing` by Python whatever the engine does.
* durable-rules matches, per rule, the side its kind names (the failing side of a
  check, the true side of a derivation or a bonus, the not-applicable side of an
  `applies_if`) against the fact; a ready check whose failing side did not fire
  passes, so a typical project fires few actions.
* Derived facts chain by strata: rules that read a derived fact are matched against
  the next fact, once the derivation is known.
* Each stratum's engine rules are split into chunks, each its own durable-rules ruleset
  inside the engine's limits (matches per assert, properties per fact, rules per
  ruleset), so a rule set of any size that validates screens every candidate.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Context, Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from screening.errors import RuleSetError
from screening.expr import nodes as n
from screening.expr.builtins import FUNCTIONS
from screening.expr.evaluate import Ctx, Evaluator, compile_expr, constant
from screening.findings import Points
from screening.kinds import RuleKind, get
from screening.model.effective import EffectiveRule, RuleSet
from screening.model.project import FIELDS

# durable-rules 2.0.28's limits, measured (tests/engine/test_limits.py): an assert handles
# at most 64 matches (a fixed stack in the C core: error 303 past it), a fact holds at most
# 255 properties (error 302), and loading a ruleset of some 500 rules that share a first
# test never returns. A chunk stays well inside all three.
MAX_CHUNK_RULES = 60
MAX_CHUNK_PROPERTIES = (
    240  # fact keys a chunk's rules read, besides `sid` and the stratum tag `t`
)
# Beyond this a rule set is larger than the design was measured for (validate says so).
MAX_ENGINE_RULES = 4000


# The plans are named tuples, not frozen dataclasses: declaring a dataclass compiles its
# methods from source, which cost every `screening screen` some 7 ms for these six.


class Atom(NamedTuple):
    """A comparison Python decides and puts in the fact: a sign (-1/0/1) or a truth value."""

    key: str
    kind: str  # "sign" | "bool"
    evaluate: Evaluator
    reads: tuple[
        str, ...
    ] = ()  # the project fields and derived names it depends on (metrics expanded)
    # a sign of an input against a constant a Decimal writes exactly: (the input, the
    # constant), for the screener to compare a Decimal input inline; else None
    against: tuple[str, Decimal | int] | None = None


class Part(NamedTuple):
    """A compiled boolean expression: its Python atoms and the names it reads natively."""

    atoms: tuple[Atom, ...]
    native: tuple[str, ...]  # field paths / derived names the engine matches directly
    native_keys: tuple[str, ...]  # their fact keys
    inputs: tuple[str, ...]  # project fields it depends on (through derivations too)
    fields: tuple[str, ...]  # the project fields it reads itself (metrics expanded)
    derived: tuple[str, ...]  # the derived facts it reads
    # the part's lookups: when an input is missing, a lookup with no value for this
    # project (a "/" cell) still makes the rule not applicable rather than missing
    lookups: tuple[Evaluator, ...] = ()
    # each coalesce(…) it reads: per argument, the fields it needs (none: a literal or
    # a parameter with a value; NEVER: a parameter without one); and the fields read
    # only inside one, which are missing only when no argument of theirs is present
    fallbacks: tuple[tuple[tuple[str, ...], ...], ...] = ()
    coalesced: frozenset[str] = frozenset()


COMPUTED = object()  # a reported threshold that is evaluated per project (a table cell)
NEVER = (
    "\x00never"  # a coalesce argument that is never present (a value-less parameter)
)


class BranchPlan(NamedTuple):
    """One branch of a `require_any` rule, judged in Python to say which branch passed
    and what each would take (the engine matches the rule's failing side: none holds)."""

    name: str
    node: n.Node  # the branch's requirement
    test: Evaluator  # its truth
    part: Part  # what it reads, for missing data
    actual: Evaluator | None  # left side of its comparison, as for a rule's own
    threshold: Evaluator | None
    threshold_constant: Any
    op: str | None
    unit: str | None


class RulePlan(NamedTuple):
    """How one rule is screened: its kind, its parts and the values it reports."""

    index: int  # type: ignore[assignment]  # the rule's place (shadows tuple.index)
    rule: EffectiveRule
    kind: RuleKind
    stratum: int
    condition: Part | None
    applies: Part | None
    value: Evaluator | None  # a graded rule's value
    value_part: Part | None  # what the value reads, for missing data
    actual: Evaluator | None  # left side of a top-level comparison (or between's value)
    threshold: (
        Evaluator | None
    )  # right side (or between's bounds, as a pair of evaluators)
    threshold_constant: Any  # the threshold when it is a constant, else COMPUTED
    actual_field: (
        str | None
    )  # the actual is this input as given: shown without arithmetic
    op: str | None
    inputs: tuple[str, ...]
    max_points: Points | None = None
    bands: tuple[tuple[Fraction | None, Fraction | None, Points], ...] | None = None
    linear: tuple[tuple[Fraction, Points], ...] | None = None
    # a table or parameter the rule needs is empty: 未配置, never judged
    unconfigured: str | None = None
    unconfigured_reason: str = "table_not_configured"  # or parameter_not_configured
    branches: tuple[BranchPlan, ...] = ()  # require_any
    # the project fields behind each metric the rule reads, for naming the inputs of a
    # divisor that is 0 (kinds.base.zero_divisor)
    metric_fields: tuple[tuple[str, tuple[str, ...]], ...] = ()


class Chunk(NamedTuple):
    """Some of one stratum's engine rules, loaded as one durable-rules ruleset."""

    name: str
    stratum: int
    definition: dict[str, dict[str, Any]]
    natives: tuple[
        tuple[str, str, bool], ...
    ]  # (name, fact key, whether a derived fact)
    atoms: tuple[Atom, ...]


class Compiled(NamedTuple):
    """A compiled rule set: the engine's chunks and the per-rule plans."""

    name: str
    ruleset: RuleSet
    plans: list[RulePlan]
    strata: int
    chunks: list[list[Chunk]]  # per stratum
    metrics: dict[str, Evaluator]
    derive_rule: dict[str, int]  # derived name → plan index
    build: Callable[[n.Node], Evaluator] | None = (
        None  # for remedies: compile a sub-expression
    )

    def ctx(self, values: dict[str, Any]) -> Ctx:
        """An evaluation context for one project's values."""
        return Ctx(values, self.metrics)

    def absent(self, part: Part, values: Any, derived: Any) -> frozenset[str]:
        """What a part lacks to be judged: the fields it reads that are absent, and for each
        derived fact it reads that is unknown, the fields its derivation lacks — or,
        when it has them all, those that are 0 (a zero divisor left it uncomputed)."""
        absent = {
            name
            for name in part.fields
            if name not in values and name not in part.coalesced
        }
        for arguments in part.fallbacks:  # missing when no argument is present
            if not any(all(f in values for f in needs) for needs in arguments):
                absent |= {
                    f
                    for needs in arguments
                    for f in needs
                    if f != NEVER and f not in values
                }
        for name in part.derived:
            if derived.get(name) is None:
                inputs = self.plans[self.derive_rule[name]].inputs
                absent |= (
                    {field for field in inputs if field not in values}
                    or {field for field in inputs if _is_zero(values.get(field))}
                    or {name}
                )
        return frozenset(absent)

    @property
    def engine_rules(self) -> int:
        return sum(len(chunk.definition) for chunks in self.chunks for chunk in chunks)


def _is_zero(value: Any) -> bool:
    return type(value) is not bool and isinstance(value, (int, Decimal)) and value == 0


def compile_ruleset(rs: RuleSet) -> Compiled:
    """Compile an effective rule set; engine ruleset names derive from its content hash."""
    constants = {name: param.value for name, param in rs.parameters.items()}
    tables = {
        name: {"values": _cells(t.values), "default": constant(t.default)}
        for name, t in rs.tables.items()
    }

    def build(node: n.Node) -> Evaluator:
        return compile_expr(node, tables, constants)

    metrics = {name: build(node) for name, node in rs.metric_nodes.items()}
    derived = {r.spec.sets: r for r in rs.rules if r.kind == "derive"}
    builder = _Builder(build, set(FIELDS) | set(rs.inputs), derived, rs)
    strata = builder.strata()
    levels = 1 + max(strata.values(), default=0)
    plans: list[RulePlan] = []
    engine_rules: list[dict[str, tuple[dict[str, Any], Part | None, Part | None]]] = [
        {} for _ in range(levels)
    ]
    for index, rule in enumerate(rs.rules):
        plan = builder.plan(index, rule, strata[rule.id])
        plans.append(plan)
        if plan.unconfigured is not None:
            continue  # 未配置: never judged, so nothing to match and no atoms to compute
        tag = {"t": f"s{plan.stratum}"}
        rules = engine_rules[plan.stratum]
        if rule.applies_if is not None:
            not_applicable = builder.condition(rule.applies_if, negate=True)
            rules[f"r{index}_na"] = (_rule(tag, not_applicable), plan.applies, None)
        side = plan.kind.engine_side(rule.spec)
        if side is not None and rule.condition is not None:
            name, negate = side
            applicable = (
                builder.condition(rule.applies_if, negate=False)
                if rule.applies_if
                else None
            )
            matched = builder.condition(rule.condition, negate=negate)
            rules[f"r{index}_{name}"] = (
                _rule(tag, matched, applicable),
                plan.condition,
                plan.applies,
            )
    if sum(map(len, engine_rules)) > MAX_ENGINE_RULES:
        raise RuleSetError(
            f"规则集编译后有 {sum(map(len, engine_rules))} 条引擎规则，超过已测试的上限 {MAX_ENGINE_RULES} / "
            "too many engine rules for the tested design"
        )
    base = f"screening_{rs.sha256[:16]}"
    chunks = [
        _chunks(base, level, engine_rules[level], builder, plans)
        for level in range(levels)
    ]
    return Compiled(
        name=base,
        ruleset=rs,
        plans=plans,
        strata=levels,
        chunks=chunks,
        metrics=metrics,
        derive_rule={
            r.spec.sets: i for i, r in enumerate(rs.rules) if r.kind == "derive"
        },
        build=build,
    )


def _chunks(
    base: str,
    level: int,
    rules: dict[str, tuple[dict[str, Any], Part | None, Part | None]],
    builder: _Builder,
    plans: list[RulePlan],
) -> list[Chunk]:
    """A stratum's engine rules packed in order into chunks inside the engine's limits."""
    out: list[Chunk] = []
    current: dict[str, dict[str, Any]] = {}
    natives: dict[str, None] = {}
    atoms: dict[str, Atom] = {}

    def close() -> None:
        if current:
            out.append(
                Chunk(
                    f"{base}_s{level}_c{len(out)}",
                    level,
                    dict(current),
                    tuple(
                        (name, builder.key_of(name), name in builder.derived)
                        for name in natives
                    ),
                    tuple(atoms.values()),
                )
            )
        current.clear()
        natives.clear()
        atoms.clear()

    for key, (definition, *parts) in rules.items():
        reads_natives = {
            name: None for part in parts if part is not None for name in part.native
        }
        reads_atoms = {
            atom.key: atom for part in parts if part is not None for atom in part.atoms
        }
        properties = len(set(natives) | set(reads_natives)) + len(
            set(atoms) | set(reads_atoms)
        )
        if current and (
            len(current) >= MAX_CHUNK_RULES or properties > MAX_CHUNK_PROPERTIES
        ):
            close()
        if len(reads_natives) + len(reads_atoms) > MAX_CHUNK_PROPERTIES:
            rule = plans[int(key[1:].split("_")[0])].rule
            raise RuleSetError(
                f"规则 {rule.id} 的条件含 {len(reads_natives) + len(reads_atoms)} 项比较与字段，超过推理引擎一次匹配的上限 "
                f"{MAX_CHUNK_PROPERTIES}；请拆分为几条规则 / the rule's condition has more comparisons and fields "
                "than the engine matches at once: split it",
                rule.source,
            )
        current[key] = definition
        natives.update(reads_natives)
        atoms.update(reads_atoms)
    close()
    return out


def constant_of(node: n.Node, rs: RuleSet) -> Any:
    """A reported threshold known at compile time (a literal or a parameter), or COMPUTED."""
    if isinstance(node, n.Number):
        return node.value
    if (
        isinstance(node, n.Name)
        and node.name in rs.parameters
        and node.name not in rs.metric_nodes
    ):
        value = rs.parameter(node.name)
        return (
            COMPUTED if value is None or isinstance(value, (bool, str, list)) else value
        )
    return COMPUTED


def comparison_op(node: n.Node | None, negated: bool) -> str | None:
    """The requirement a comparison (or `between`) reports: its operator, negated for a
    `fail_if`; None when the node is no top-level comparison."""
    if isinstance(node, n.Compare) and node.op in _SIGN_TEST:
        return _NEGATED_OP[node.op] if negated else node.op
    if isinstance(node, n.Call) and node.func == "between":
        return "between"
    return None


def rule_op(rule: EffectiveRule) -> str | None:
    """The requirement a check reports (`>=`, `between` …; for `fail_if` its negation), or
    None when its condition is no top-level comparison or its kind reports none."""
    if not get(rule.kind).compares or rule.branches:
        return None
    return comparison_op(
        rule.condition, negated=getattr(rule.spec, "fail_if", None) is not None
    )


def reported_constant(node: n.Node | None, op: str | None, rs: RuleSet) -> Any:
    """The threshold a comparison reports when it is the same for every project, else COMPUTED."""
    if op == "between":
        bounds = (constant_of(node.args[1], rs), constant_of(node.args[2], rs))  # type: ignore[union-attr]
        return COMPUTED if COMPUTED in bounds else bounds
    if op is not None:
        return constant_of(node.right, rs)  # type: ignore[union-attr]
    return COMPUTED


def reported_threshold(rule: EffectiveRule, rs: RuleSet) -> Any:
    """The threshold a check reports when it is the same for every project, else COMPUTED."""
    return reported_constant(rule.condition, rule_op(rule), rs)


def _cells(values: Any) -> Any:
    if isinstance(values, dict):
        return {key: _cells(value) for key, value in values.items()}
    return constant(values)


def _rule(
    tag: dict[str, str], side: dict[str, Any], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    terms = [tag, side] + ([extra] if extra else [])
    return {"all": [{"m": {"$and": terms}}]}


def points(value: Any) -> Points:
    """A number of points: a whole number as an int (most are: sums and comparisons of
    ints cost a fraction of Fractions'), else exactly as a Fraction."""
    exact = Fraction(value)
    return exact.numerator if exact.denominator == 1 else exact


def _exact(value: Any) -> Fraction | None:
    return None if value is None else Fraction(value)


_NEGATED_OP = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_SIGN_TEST = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


class _Builder:
    """Translates expressions to engine conditions, collecting Python atoms per rule."""

    def __init__(
        self,
        build: Callable[[n.Node], Evaluator],
        field_names: set[str],
        derived: dict[str, EffectiveRule],
        rs: RuleSet,
    ) -> None:
        self.build = build
        self.field_names = field_names
        self.derived = derived
        self.rs = rs
        self.field_keys: dict[str, str] = {}
        self.derived_keys: dict[str, str] = {}
        self.atoms: dict[tuple[str, n.Node], Atom] = {}
        self._collect: list[Atom] | None = None
        self._native: list[str] | None = None

    # -- strata -----------------------------------------------------------------
    def strata(self) -> dict[str, int]:
        """Rule id → stratum: 0, or one more than the derivations it reads."""
        memo: dict[str, int] = {}
        visiting: set[str] = set()

        def level(rule: EffectiveRule) -> int:
            if rule.id in memo:
                return memo[rule.id]
            if rule.id in visiting:
                raise RuleSetError(
                    f"派生规则 {rule.id} 循环依赖 / derivations depend on each other in a cycle",
                    rule.source,
                )
            visiting.add(rule.id)
            depth = 0
            for name in self._names(rule):
                source = self.derived.get(name)
                if source is not None:
                    depth = max(depth, level(source) + 1)
            visiting.discard(rule.id)
            memo[rule.id] = depth
            return depth

        return {rule.id: level(rule) for rule in self.rs.rules}

    def _names(self, rule: EffectiveRule) -> set[str]:
        found: set[str] = set()
        for node in (rule.condition, rule.value, rule.applies_if):
            if node is not None:
                found |= self.expand(n.names(node))
        return found

    def expand(self, names: set[str]) -> set[str]:
        """Names, with metrics replaced by what they read (transitively)."""
        out: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name in out:
                continue
            out.add(name)
            node = self.rs.metric_nodes.get(name)
            if node is not None:
                stack.extend(n.names(node))
        return out

    def inputs(
        self, node: n.Node | None, seen: frozenset[str] = frozenset()
    ) -> tuple[str, ...]:
        """The project fields an expression depends on, through metrics and derivations."""
        if node is None:
            return ()
        fields: set[str] = set()
        for name in self.expand(n.names(node)):
            if name in self.field_names:
                fields.add(name)
            elif name in self.derived and name not in seen:
                fields.update(self.inputs(self.derived[name].condition, seen | {name}))
        return tuple(sorted(fields))

    # -- plans ------------------------------------------------------------------
    def _reported(
        self, top: n.Node | None, op: str | None
    ) -> tuple[Evaluator | None, Evaluator | None, list[n.Node]]:
        """The actual and threshold a comparison (or `between`) reports, and what the actual reads."""
        if op == "between":
            low, high = self.build(top.args[1]), self.build(top.args[2])  # type: ignore[union-attr]
            return self.build(top.args[0]), _pair(low, high), [top.args[0]]  # type: ignore[union-attr]
        if op is not None:
            return self.build(top.left), self.build(top.right), [top.left]  # type: ignore[union-attr]
        return None, None, []

    def branch(self, name: str, node: n.Node, unit: str | None) -> BranchPlan:
        """The plan of one `require_any` branch."""
        op = comparison_op(node, negated=False)
        actual, threshold, _ = self._reported(node, op)
        constant = reported_constant(node, op, self.rs)
        return BranchPlan(
            name,
            node,
            self.build(node),
            self.reading(node),
            actual,
            threshold,
            constant,
            op,
            unit,
        )

    def plan(self, index: int, rule: EffectiveRule, stratum: int) -> RulePlan:
        top = rule.condition
        kind = get(rule.kind)
        op = rule_op(rule)
        actual, threshold, reported = self._reported(top, op)
        threshold_constant = reported_threshold(rule, self.rs)
        branches: tuple[BranchPlan, ...] = ()
        if kind.compares and rule.branches:
            names = [branch.name for branch in rule.spec.require_any]
            branches = tuple(
                self.branch(name, node, unit)
                for name, (node, unit) in zip(names, rule.branches, strict=True)
            )
        value = self.build(rule.value) if rule.value is not None else None
        if value is not None and actual is None:
            actual = value
            reported = [rule.value]  # type: ignore[list-item]
        condition = self.part(rule.condition) if rule.condition is not None else None
        applies = self.part(rule.applies_if) if rule.applies_if is not None else None
        value_part = self.reading(rule.value) if rule.value is not None else None
        inputs = tuple(
            sorted(
                set(self.inputs(rule.condition))
                | set(self.inputs(rule.value))
                | set(self.inputs(rule.applies_if))
            )
        )
        spec_rule = rule.spec
        bands = linear = max_points = None
        if kind.scored or kind.bonus:
            max_points = points(spec_rule.max_points)
            if spec_rule.bands is not None:
                bands = tuple(
                    (_exact(b.min), _exact(b.max), points(b.points))
                    for b in spec_rule.bands
                )
            if spec_rule.linear is not None:
                linear = tuple(
                    (Fraction(p.at), points(p.points)) for p in spec_rule.linear
                )
        actual_field = None
        if (
            len(reported) == 1
            and isinstance(reported[0], n.Name)
            and reported[0].name in self.field_names
        ):
            actual_field = reported[0].name
        unconfigured, reason = self._unconfigured(rule)
        read: set[str] = set()
        for node in (rule.condition, rule.value, rule.applies_if):
            if node is not None:
                read |= self.expand(n.names(node))
        metric_fields = tuple(
            (name, self.inputs(self.rs.metric_nodes[name]))
            for name in sorted(read)
            if name in self.rs.metric_nodes
        )
        return RulePlan(
            index,
            rule,
            kind,
            stratum,
            condition,
            applies,
            value,
            value_part,
            actual,
            threshold,
            threshold_constant,
            actual_field,
            op,
            inputs,
            max_points,
            bands,
            linear,
            unconfigured,
            reason,
            branches,
            metric_fields,
        )

    def _unconfigured(self, rule: EffectiveRule) -> tuple[str | None, str]:
        """The first empty table or value-less parameter the rule reads (未配置)."""
        for node in (rule.condition, rule.value, rule.applies_if):
            if node is None:
                continue
            for name in sorted(self.expand(n.names(node))):
                table = self.rs.tables.get(name)
                if table is not None and not table.values and table.default is None:
                    return name, "table_not_configured"
            # inside a coalesce(…), a value-less parameter is a fallback not taken
            for name in sorted(n.names_read(node, self.rs.metric_nodes, "coalesce")):
                param = self.rs.parameters.get(name)
                if param is not None and param.value is None:
                    return name, "parameter_not_configured"
        return None, "table_not_configured"

    def reading(self, node: n.Node) -> Part:
        """What an expression evaluated in Python reads (a graded value): no atoms."""
        fields, derived = self.reads(node)
        return Part(
            (),
            (),
            (),
            self.inputs(node),
            fields,
            derived,
            self.lookups(node),
            *self.fallbacks(node, fields),
        )

    def fallbacks(
        self, node: n.Node, fields: tuple[str, ...]
    ) -> tuple[tuple[tuple[tuple[str, ...], ...], ...], frozenset[str]]:
        """The coalesce(…) calls an expression reads (metrics expanded), each argument
        by the fields it needs, and the fields read only inside them (`Part`)."""
        groups = []
        for call in n.calls(node, "coalesce", self.rs.metric_nodes):
            arguments: list[tuple[str, ...]] = []
            for arg in call.args:
                if isinstance(arg, n.Name) and arg.name in self.rs.parameters:
                    unset = self.rs.parameter(arg.name) is None
                    arguments.append((NEVER,) if unset else ())
                else:
                    arguments.append(self.reads(arg)[0])
            groups.append(tuple(arguments))
        if not groups:
            return (), frozenset()
        outside = self.expand(n.names_read(node, self.rs.metric_nodes, "coalesce"))
        return tuple(groups), frozenset(f for f in fields if f not in outside)

    def part(self, node: n.Node) -> Part:
        self._collect, self._native = [], []
        self.condition(node, negate=False)
        self.condition(node, negate=True)  # both sides share atoms; collect them all
        atoms = tuple({a.key: a for a in self._collect}.values())
        native = tuple(dict.fromkeys(self._native))
        self._collect = self._native = None
        keys = tuple(self.key_of(name) for name in native)
        fields, derived = self.reads(node)
        return Part(
            atoms,
            native,
            keys,
            self.inputs(node),
            fields,
            derived,
            self.lookups(node),
            *self.fallbacks(node, fields),
        )

    def reads(self, node: n.Node) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The project fields and the derived facts an expression reads itself."""
        names = self.expand(n.names(node))
        return (
            tuple(sorted(name for name in names if name in self.field_names)),
            tuple(sorted(name for name in names if name in self.derived)),
        )

    def lookups(self, node: n.Node) -> tuple[Evaluator, ...]:
        """Closures for every lookup() in the expression, metrics expanded, in written order."""
        return tuple(
            self.build(call) for call in n.calls(node, "lookup", self.rs.metric_nodes)
        )

    # -- conditions -------------------------------------------------------------
    def condition(self, node: n.Node, negate: bool) -> dict[str, Any]:
        """The engine condition for `node` (or its negation), negations pushed to atoms."""
        if isinstance(node, n.Logic):
            op = node.op
            if negate:
                op = "or" if op == "and" else "and"
            return {f"${op}": [self.condition(item, negate) for item in node.items]}
        if isinstance(node, n.Unary) and node.op == "not":
            return self.condition(node.operand, not negate)
        if isinstance(node, n.Name) and self.is_native(node.name):
            return {self.key(node.name): not negate}
        if isinstance(node, n.Compare):
            return self._compare(node, negate)
        if isinstance(node, n.Call):
            native = FUNCTIONS[node.func].engine
            matched = native(node, self, negate) if native is not None else None
            if matched is not None:
                return matched
        return {self._atom("bool", node).key: not negate}

    def _compare(self, node: n.Compare, negate: bool) -> dict[str, Any]:
        op = node.op
        left, right = node.left, node.right
        constant_nodes = (n.Text, n.Boolean)
        if (
            op in ("in", "not in")
            and isinstance(left, n.Name)
            and self.is_native(left.name)
            and isinstance(right, n.ListOf)
            and all(isinstance(i, constant_nodes) for i in right.items)
        ):
            inside = (op == "in") != negate
            key = self.key(left.name)
            if inside:
                return {"$or": [{key: item.value} for item in right.items]}  # type: ignore[attr-defined]
            return {"$and": [{"$neq": {key: item.value}} for item in right.items]}  # type: ignore[attr-defined]
        if (
            op in ("==", "!=")
            and isinstance(left, n.Name)
            and self.is_native(left.name)
            and isinstance(right, constant_nodes)
        ):
            equal = (op == "==") != negate
            key = self.key(left.name)
            return {key: right.value} if equal else {"$neq": {key: right.value}}
        if op in _SIGN_TEST or (op in ("==", "!=") and self._is_numeric(node)):
            atom = self._atom("sign", n.Compare(node.offset, "<=>", left, right))
            if negate:
                op = _NEGATED_OP[op]
            if op == "==":
                return {atom.key: 0}
            if op == "!=":
                return {"$neq": {atom.key: 0}}
            return {_SIGN_TEST[op]: {atom.key: 0}}
        return {self._atom("bool", node).key: not negate}

    def _input_name(self, node: n.Node) -> str | None:
        """The project field `node` reads as it is, when it is only that."""
        if (
            isinstance(node, n.Name)
            and node.name in self.field_names
            and node.name not in self.rs.metric_nodes
            and node.name not in self.rs.parameters
        ):
            return node.name
        return None

    def _is_numeric(self, node: n.Compare) -> bool:
        for side in (node.left, node.right):
            if isinstance(side, n.Number):
                return True
            if isinstance(side, (n.Text, n.Boolean)):
                return False
        return not isinstance(node.left, n.Name) or self._numeric_name(node.left.name)

    def _numeric_name(self, name: str) -> bool:
        field_spec = FIELDS.get(name)
        if field_spec is not None:
            return field_spec.type == "number"
        declared = self.rs.inputs.get(name)
        if declared is not None:
            return declared.type == "number"
        value = self.rs.parameter(name)
        return name in self.rs.metric_nodes or isinstance(
            value, (int, Decimal, Fraction)
        )

    def is_native(self, name: str) -> bool:
        """Whether the engine holds `name` in the fact as it is (a derived fact, text, a flag)."""
        if name in self.derived:
            return True
        if name in self.field_names:
            field_spec = FIELDS.get(name)
            declared = self.rs.inputs.get(name)
            kind = (
                field_spec.type
                if field_spec
                else (declared.type if declared else "text")
            )
            return kind in ("bool", "text", "choice")
        return False

    def key(self, name: str) -> str:
        """The fact key of a native name, noted as read by the part being built."""
        if self._native is not None:
            self._native.append(name)
        return self.key_of(name)

    def key_of(self, name: str) -> str:
        if name in self.derived:
            return self.derived_keys.setdefault(name, f"d{len(self.derived_keys)}")
        return self.field_keys.setdefault(name, f"f{len(self.field_keys)}")

    def _atom(self, kind: str, node: n.Node) -> Atom:
        found = self.atoms.get((kind, node))
        if found is None:
            against: tuple[str, Decimal | int] | None = None
            if (
                kind == "sign"
            ):  # node is Compare("<=>", left, right): the sign of left − right
                bound = constant_of(node.right, self.rs)  # type: ignore[attr-defined]
                field_name = self._input_name(node.left)  # type: ignore[attr-defined]
                written = None if bound is COMPUTED else _decimal(bound)
                if field_name is not None and written is not None:
                    against = (field_name, written)
                evaluate = (
                    _sign(self.build(node.left), self.build(node.right))  # type: ignore[attr-defined]
                    if bound is COMPUTED
                    else _sign_against(
                        self.build(node.left),  # type: ignore[attr-defined]
                        constant(bound),
                        bound,
                        self._input_name(node.left),  # type: ignore[attr-defined]
                    )
                )
            else:
                evaluate = self.build(node)
            reads = tuple(
                sorted(
                    name
                    for name in self.expand(n.names(node))
                    if name in self.field_names or name in self.derived
                )
            )
            found = Atom(f"x{len(self.atoms)}", kind, evaluate, reads, against)
            self.atoms[(kind, node)] = found
        if self._collect is not None:
            self._collect.append(found)
        return found


def _pair(low: Evaluator, high: Evaluator) -> Evaluator:
    return lambda ctx: (low(ctx), high(ctx))


def _sign_against(
    left: Evaluator, bound: tuple[int, int], written: Any, field_name: str | None
) -> Evaluator:
    """The sign of left − a constant; `written` is the constant as the rule set gives it.

    An input compared with a constant a Decimal writes exactly (250, 35%, not 1/3) is
    compared as given when it is a Decimal: Decimal comparison is exact, and the input
    need not be read as a ratio."""
    c, d = bound

    def sign(ctx: Ctx) -> int:
        a, b = left(ctx)
        x, y = a * d, c * b  # both denominators are positive
        order: int = (x > y) - (x < y)
        return order

    decimal = _decimal(written)
    if field_name is None or decimal is None:
        return sign

    def input_sign(ctx: Ctx) -> int:
        value = ctx.values.get(field_name)
        if type(value) is Decimal:
            order: int = (value > decimal) - (value < decimal)
            return order
        return sign(ctx)  # absent (Missing) or not a Decimal: as any number

    return input_sign


_WIDE = Context(prec=200)


def _decimal(value: Any) -> Decimal | int | None:
    """A constant as a Decimal (or int) equal to it exactly, or None (1/3 has none)."""
    if type(value) is Decimal or type(value) is int:
        return value
    if type(value) is Fraction:
        decimal = _WIDE.divide(Decimal(value.numerator), Decimal(value.denominator))
        if Fraction(decimal) == value:
            return decimal
    return None


def _sign(left: Evaluator, right: Evaluator) -> Evaluator:
    def sign(ctx: Ctx) -> int:
        (a, b), (c, d) = left(ctx), right(ctx)
        x, y = a * d, c * b  # both denominators are positive
        order: int = (x > y) - (x < y)
        return order

    return sign
