"""`RuleSet` → a durable-rules JSON ruleset plus the plan the engine follows.

Pure: no engine import. The division of labour, for speed and exactness:
* Python computes, before the assert, what durable-rules cannot do exactly or
  cheaply: arithmetic (exact rationals), lookups, and which rules have all their
  inputs. A numeric comparison reaches the engine as the sign of (left − right),
  so 不低于 decides at equality exactly as on paper. A rule missing an input is
  reported `missing` by Python whatever the engine does with the partial fact.
* durable-rules matches the compiled *failing side* of every check (plus the
  not-applicable side of rules with `applies_if`, the true side of derivations
  and the awarded side of bonuses)
  against the fact. A pass is inferred for ready rules whose failing side did not
  fire, so a typical project fires few actions.
* Derived facts chain by strata: rules that read a derived fact are matched
  against the next fact asserted into the same session, once the derivation is known.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from screening.errors import RuleSetError
from screening.expr import nodes as n
from screening.expr.evaluate import (
    Env,
    Evaluator,
    Undefined,
    compile_expr,
    to_decimal,
    to_exact,
    zero_inputs,
)
from screening.findings import Kind
from screening.model.effective import EffectiveRule, RuleSet
from screening.model.ruleset import BonusRule, ScoreRule
from screening.model.project import FIELDS

# durable-rules fails to load rulesets of roughly 480+ rules (jruizgit/rules#312).
MAX_ENGINE_RULES = 400


@dataclass(frozen=True)
class Atom:
    """A comparison Python evaluates and puts in the fact: a sign (-1/0/1) or a bool.

    `fast` computes it in Decimal inside `EXACT` and raises Inexact when it cannot
    be exact; `fn` computes it in exact rationals, always.
    """

    key: str
    kind: str  # "sign" | "bool"
    fn: Evaluator
    fast: Evaluator
    reads: tuple[str, ...] = ()  # the project fields and derived names it depends on (metrics expanded)


@dataclass(frozen=True)
class Part:
    """A compiled boolean expression: its Python atoms and the names it reads natively."""

    atoms: tuple[Atom, ...]
    native: tuple[str, ...]  # field paths / derived names the engine matches directly
    inputs: tuple[str, ...]  # project fields it depends on, for "fields to obtain"
    # the part's lookups: when an input is missing, a lookup with no value for this
    # project (a "/" cell) still makes the rule not applicable rather than missing
    lookups: tuple[Evaluator, ...] = ()


@dataclass(frozen=True)
class BranchPlan:
    """One branch of a `require_any` rule: judged in Python, to say which branch passed
    and what each would take. The engine matches the rule's failing side (no branch
    holds)."""

    name: str
    node: n.Node  # the branch's requirement
    test: Evaluator  # its truth, in exact rationals
    fast_test: Evaluator  # the same in Decimal (run inside EXACT; Inexact → `test`)
    actual: Evaluator | None  # left side of its comparison, as for a rule's own
    threshold: Evaluator | None
    op: str | None
    unit: str | None
    inputs: tuple[str, ...]
    lookups: tuple[Evaluator, ...]
    fast_actual: Evaluator | None = None
    fast_threshold: Evaluator | None = None


@dataclass(frozen=True)
class RulePlan:
    """How one rule is screened: its parts and the values it reports."""

    index: int
    rule: EffectiveRule
    stratum: int
    condition: Part | None
    applies: Part | None
    value: Evaluator | None  # score/bonus value
    actual: Evaluator | None  # left side of a top-level comparison
    threshold: Evaluator | None  # right side (or (lo, hi) for between)
    op: str | None
    inputs: tuple[str, ...]
    kind: Kind = Kind.GATE
    max_points: Fraction | None = None
    bands: tuple[tuple[Fraction | None, Fraction | None, Fraction], ...] | None = None
    linear: tuple[tuple[Fraction, Fraction], ...] | None = None
    # a table or parameter the rule needs is empty: 未配置, never judged
    unconfigured: str | None = None
    value_lookups: tuple[Evaluator, ...] = ()
    # the Decimal forms (run inside EXACT; Inexact → use the rational form above)
    fast_value: Evaluator | None = None
    fast_actual: Evaluator | None = None
    fast_threshold: Evaluator | None = None
    # the actual and threshold shown involve no arithmetic (a field against a constant or a
    # table cell): nothing in them can round, so they are read without a rounding context
    reported_plainly: bool = False
    unconfigured_reason: str = "table_not_configured"  # or parameter_not_configured
    branches: tuple[BranchPlan, ...] = ()  # require_any


@dataclass
class Compiled:
    """A compiled rule set: the engine definition and the per-rule plans."""

    name: str
    ruleset: RuleSet
    definition: dict[str, dict[str, Any]]
    plans: list[RulePlan]
    strata: int
    field_keys: dict[str, str]
    derived_keys: dict[str, str]
    metrics: dict[str, Evaluator]
    decimal_metrics: dict[str, Evaluator]
    derive_rule: dict[str, int] = field(default_factory=dict)  # derived name → plan index
    stratum_atoms: list[tuple[Atom, ...]] = field(default_factory=list)  # each evaluated once per fact
    stratum_natives: list[tuple[str, ...]] = field(default_factory=list)
    build: Callable[[n.Node], Evaluator] | None = None  # for remedies: compile a sub-expression

    def env(self, values: dict[str, Any]) -> Env:
        """An evaluation environment for one project's values."""
        return Env(dict(values), self.metrics, self.decimal_metrics)


def _constants(rs: RuleSet) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, param in rs.parameters.items():
        value = param.value
        if isinstance(value, list):
            out[name] = frozenset(to_exact(v) for v in value)
        else:
            out[name] = to_exact(value)
    return out


def _parts(plans: list[RulePlan], level: int) -> list[Part]:
    return [part for plan in plans if plan.stratum == level and plan.unconfigured is None
            for part in (plan.applies, plan.condition) if part]


def _stratum_atoms(plans: list[RulePlan], level: int) -> tuple[Atom, ...]:
    return tuple({atom.key: atom for part in _parts(plans, level) for atom in part.atoms}.values())


def _stratum_natives(plans: list[RulePlan], level: int) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for part in _parts(plans, level) for name in part.native))


def _cells(values: Any, convert: Callable[[Any], Any]) -> Any:
    if isinstance(values, dict):
        return {key: _cells(value, convert) for key, value in values.items()}
    return convert(values)


def compile_ruleset(rs: RuleSet) -> Compiled:
    """Compile an effective rule set; the engine name is derived from its content hash."""
    constants = _constants(rs)
    tables = {name: {"values": _cells(t.values, to_exact), "default": to_exact(t.default)} for name, t in rs.tables.items()}
    decimal_constants = {k: (frozenset(map(to_decimal, v)) if isinstance(v, frozenset) else to_decimal(v))
                         for k, v in constants.items()}
    decimal_tables = {name: {"values": _cells(t.values, to_decimal), "default": to_decimal(t.default)}
                      for name, t in rs.tables.items()}

    def build(node: n.Node) -> Evaluator:
        return compile_expr(node, tables, constants)

    def build_decimal(node: n.Node) -> Evaluator:
        return compile_expr(node, decimal_tables, decimal_constants, decimal=True)

    metrics = {name: build(node) for name, node in rs.metric_nodes.items()}
    decimal_metrics = {name: build_decimal(node) for name, node in rs.metric_nodes.items()}
    derived = {r.spec.sets: r for r in rs.rules if r.kind == "derive"}  # type: ignore[union-attr]
    field_names = set(FIELDS) | set(rs.inputs)
    builder = _Builder(build, build_decimal, field_names, derived, rs)
    strata = builder.strata()
    plans: list[RulePlan] = []
    definition: dict[str, dict[str, Any]] = {}
    for index, rule in enumerate(rs.rules):
        plan = builder.plan(index, rule, strata[rule.id])
        plans.append(plan)
        if plan.unconfigured is not None:
            continue  # 未配置: never judged, so nothing to match and no atoms to compute
        tag = {"t": f"s{plan.stratum}"}
        if plan.applies is not None:
            not_applicable = builder.condition(rule.applies_if, negate=True)  # type: ignore[arg-type]
            definition[f"r{index}_na"] = _rule(tag, not_applicable)
        applicable = builder.condition(rule.applies_if, negate=False) if rule.applies_if else None
        if rule.kind in ("veto", "gate", "review"):
            # require and require_any fail on their negation, fail_if on itself
            negate = rule.spec.fail_if is None  # type: ignore[union-attr]
            side = builder.condition(rule.condition, negate=negate)  # type: ignore[arg-type]
            definition[f"r{index}_fail"] = _rule(tag, side, applicable)
        elif rule.kind == "bonus" and rule.condition is not None:
            # bonuses are the exception, so the awarded side fires (fewer actions)
            side = builder.condition(rule.condition, negate=False)
            definition[f"r{index}_true"] = _rule(tag, side, applicable)
        elif rule.kind in ("derive", "info"):
            side = builder.condition(rule.condition, negate=False)  # type: ignore[arg-type]
            definition[f"r{index}_true"] = _rule(tag, side, applicable)
    if len(definition) > MAX_ENGINE_RULES:
        raise RuleSetError(
            f"规则集编译后有 {len(definition)} 条引擎规则，超过上限 {MAX_ENGINE_RULES}；"
            "请用查找表代替逐条规则 / too many engine rules; use lookup tables"
        )
    name = f"screening_{rs.sha256[:16]}"
    levels = range(1 + max(strata.values(), default=0))
    return Compiled(
        name=name, ruleset=rs, definition=definition, plans=plans,
        strata=len(levels), field_keys=builder.field_keys,
        derived_keys=builder.derived_keys, metrics=metrics, decimal_metrics=decimal_metrics,
        derive_rule={r.spec.sets: i for i, r in enumerate(rs.rules) if r.kind == "derive"},  # type: ignore[union-attr]
        build=build,
        stratum_atoms=[_stratum_atoms(plans, level) for level in levels],
        stratum_natives=[_stratum_natives(plans, level) for level in levels],
    )


def _rule(tag: dict[str, str], side: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    terms = [tag, side] + ([extra] if extra else [])
    return {"all": [{"m": {"$and": terms}}]}


def _exact(value: Decimal | None) -> Fraction | None:
    return None if value is None else Fraction(value)


_NEGATED_OP = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_SIGN_TEST = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


class _Builder:
    """Translates expressions to engine conditions, collecting Python atoms per rule."""

    def __init__(self, build: Callable[[n.Node], Evaluator], build_decimal: Callable[[n.Node], Evaluator],
                 field_names: set[str], derived: dict[str, EffectiveRule], rs: RuleSet) -> None:
        self.build = build
        self.build_decimal = build_decimal
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
                    f"派生规则 {rule.id} 循环依赖 / derivations depend on each other in a cycle", rule.source
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
                found |= self._expand(n.names(node))
        return found

    def _expand(self, names: set[str]) -> set[str]:
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

    def inputs(self, node: n.Node | None, seen: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """The project fields an expression depends on, through metrics and derivations."""
        if node is None:
            return ()
        fields: set[str] = set()
        for name in self._expand(n.names(node)):
            if name in self.field_names:
                fields.add(name)
            elif name in self.derived and name not in seen:
                fields.update(self.inputs(self.derived[name].condition, seen | {name}))
        return tuple(sorted(fields))

    # -- plans ------------------------------------------------------------------
    def _shown(
        self, top: n.Node | None, negated: bool
    ) -> tuple[Any, Any, str | None, Any, Any]:
        """A check's reported actual and threshold (rational and Decimal forms) and its
        operator, when the condition is one comparison or `between`; else all None."""
        if isinstance(top, n.Compare) and top.op in _SIGN_TEST:
            op = (
                _NEGATED_OP[top.op] if negated else top.op
            )  # report the requirement, not the failure
            return (
                self.build(top.left),
                self.build(top.right),
                op,
                self.build_decimal(top.left),
                self.build_decimal(top.right),
            )
        if isinstance(top, n.Call) and top.func == "between":
            return (
                self.build(top.args[0]),
                _pair(self.build(top.args[1]), self.build(top.args[2])),
                "between",
                self.build_decimal(top.args[0]),
                _pair(self.build_decimal(top.args[1]), self.build_decimal(top.args[2])),
            )
        return None, None, None, None, None

    def branch(self, name: str, node: n.Node, unit: str | None) -> BranchPlan:
        """The plan of one `require_any` branch."""
        actual, threshold, op, fast_actual, fast_threshold = self._shown(
            node, negated=False
        )
        return BranchPlan(
            name,
            node,
            self.build(node),
            self.build_decimal(node),
            actual,
            threshold,
            op,
            unit,
            self.inputs(node),
            self.lookups(node),
            fast_actual,
            fast_threshold,
        )

    def plan(self, index: int, rule: EffectiveRule, stratum: int) -> RulePlan:
        actual = threshold = fast_actual = fast_threshold = None
        op = None
        top = rule.condition
        branches: tuple[BranchPlan, ...] = ()
        if rule.kind in ("veto", "gate", "review") and rule.branches:
            names = [branch.name for branch in rule.spec.require_any]  # type: ignore[union-attr]
            branches = tuple(
                self.branch(name, node, unit)
                for name, (node, unit) in zip(names, rule.branches, strict=True)
            )
        elif rule.kind in ("veto", "gate", "review"):
            actual, threshold, op, fast_actual, fast_threshold = self._shown(
                top, negated=rule.spec.fail_if is not None)  # type: ignore[union-attr]
        value = self.build(rule.value) if rule.value is not None else None
        fast_value = self.build_decimal(rule.value) if rule.value is not None else None
        if value is not None and actual is None:
            actual, fast_actual = value, fast_value
        condition = self.part(rule.condition) if rule.condition is not None else None
        applies = self.part(rule.applies_if) if rule.applies_if is not None else None
        inputs = tuple(sorted(set(self.inputs(rule.condition)) | set(self.inputs(rule.value)) | set(self.inputs(rule.applies_if))))
        spec_rule = rule.spec
        bands = linear = max_points = None
        if isinstance(spec_rule, (ScoreRule, BonusRule)):
            max_points = Fraction(spec_rule.max_points)
            if spec_rule.bands is not None:
                bands = tuple((_exact(b.min), _exact(b.max), Fraction(b.points)) for b in spec_rule.bands)
            if spec_rule.linear is not None:
                linear = tuple((Fraction(p.at), Fraction(p.points)) for p in spec_rule.linear)
        reported = [top.left, top.right] if op in _SIGN_TEST else (  # type: ignore[union-attr]
            list(top.args) if op == "between" else [])  # type: ignore[union-attr]
        unconfigured, reason = self._unconfigured(rule)
        arithmetic = any(self._arithmetic(node) for node in reported)
        plainly = bool(reported) and not arithmetic
        return RulePlan(
            index, rule, stratum, condition, applies, value, actual, threshold, op,
            inputs, Kind(rule.kind), max_points, bands, linear, unconfigured,
            self.lookups(rule.value), fast_value, fast_actual, fast_threshold, plainly,
            reason, branches,
        )

    def _arithmetic(self, node: n.Node) -> bool:
        """Whether the expression, metrics expanded, does any arithmetic."""
        return any(isinstance(current, n.Arith) for current in self._nodes(node))

    def _nodes(self, node: n.Node | None) -> Iterator[n.Node]:
        """Every node of the expression, metrics expanded."""
        stack = [node] if node is not None else []
        while stack:
            current = stack.pop()
            yield current
            if isinstance(current, n.Name) and current.name in self.rs.metric_nodes:
                stack.append(self.rs.metric_nodes[current.name])
            stack.extend(n.children(current))

    def _unconfigured(self, rule: EffectiveRule) -> tuple[str | None, str]:
        """The first empty table or value-less parameter the rule reads (未配置)."""
        for node in (rule.condition, rule.value, rule.applies_if):
            if node is None:
                continue
            for name in sorted(self._expand(n.names(node))):
                table = self.rs.tables.get(name)
                if table is not None and not table.values and table.default is None:
                    return name, "table_not_configured"
            for name in sorted(self._uncoalesced(node)):
                param = self.rs.parameters.get(name)
                if param is not None and param.value is None:
                    return name, "parameter_not_configured"
        return None, "table_not_configured"

    def _uncoalesced(self, node: n.Node) -> set[str]:
        """Names read outside any `coalesce(…)`, metrics expanded.

        Inside one, a parameter without a value is a fallback not taken, not a figure
        left to be filled."""
        found: set[str] = set()
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, n.Call) and current.func == "coalesce":
                continue
            if isinstance(current, n.Name):
                found.add(current.name)
                metric = self.rs.metric_nodes.get(current.name)
                if metric is not None:
                    stack.append(metric)
            stack.extend(n.children(current))
        return found

    def part(self, node: n.Node) -> Part:
        self._collect, self._native = [], []
        self.condition(node, negate=False)
        self.condition(node, negate=True)  # both sides share atoms; collect them all
        atoms = tuple({a.key: a for a in self._collect}.values())
        native = tuple(dict.fromkeys(self._native))
        self._collect = self._native = None
        return Part(atoms, native, self.inputs(node), self.lookups(node))

    def _ratio(self, node: n.Node) -> tuple[n.Node, n.Node]:
        """`node` as numerator and denominator with no division left (metrics expanded)."""
        if isinstance(node, n.Name) and node.name in self.rs.metric_nodes:
            return self._ratio(self.rs.metric_nodes[node.name])
        if isinstance(node, n.Unary) and node.op == "-":
            top, bottom = self._ratio(node.operand)
            return n.Unary(0, "-", top), bottom
        if isinstance(node, n.Arith):
            (a, b), (c, d) = self._ratio(node.left), self._ratio(node.right)
            if node.op == "/":
                return _times(a, d), _times(b, c)
            if node.op == "*":
                return _times(a, c), _times(b, d)
            return n.Arith(0, node.op, _times(a, d), _times(c, b)), _times(b, d)
        return node, _ONE

    def _cross_sign(self, left: n.Node, right: n.Node) -> Evaluator:
        """sign(left − right) in Decimal with every division cross-multiplied away:
        a/b ≥ c/d is decided as a·d ≥ c·b (signs of b and d accounted for), so no
        quotient is ever rounded. Runs inside EXACT, where a product too long raises Inexact."""
        (a, b), (c, d) = self._ratio(left), self._ratio(right)
        top_left, top_right = self.build_decimal(a), self.build_decimal(c)
        if b is _ONE and d is _ONE:
            return _sign(top_left, top_right)
        bottom_left, bottom_right = self.build_decimal(b), self.build_decimal(d)

        def sign(env: Env) -> int:
            p, q = top_left(env), top_right(env)  # numerators first: a missing input wins, as in the rational form
            b_value, d_value = bottom_left(env), bottom_right(env)
            if b_value == 0 or d_value == 0:
                zero = zero_inputs(b, env) if b_value == 0 else ()
                zero += zero_inputs(d, env) if d_value == 0 else ()
                raise Undefined("division_by_zero", divisor=tuple(sorted(set(zero))))
            x, y = p * d_value, q * b_value
            result = (x > y) - (x < y)
            return result if (b_value > 0) == (d_value > 0) else -result

        return sign

    def lookups(self, node: n.Node | None) -> tuple[Evaluator, ...]:
        """Closures for every lookup() in the expression, metrics expanded."""
        return tuple(self.build(current) for current in self._nodes(node)
                     if isinstance(current, n.Call) and current.func == "lookup")

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
        if isinstance(node, n.Name) and self._is_native(node.name):
            return {self._key(node.name): not negate}
        if isinstance(node, n.Compare):
            return self._compare(node, negate)
        if isinstance(node, n.Call) and node.func == "between":
            value, low, high = node.args
            parts = [n.Compare(node.offset, ">=", value, low), n.Compare(node.offset, "<=", value, high)]
            return self.condition(n.Logic(node.offset, "and", tuple(parts)), negate)
        if isinstance(node, n.Call) and node.func == "startswith" and not negate:
            target = node.args[0]
            if isinstance(target, n.Name) and self._is_native(target.name):
                prefixes = "|".join(re.escape(a.value) for a in node.args[1:])  # type: ignore[attr-defined]
                return {"$mt": {self._key(target.name): f"({prefixes})[0-9A-Za-z]*"}}
        return {self._atom("bool", node).key: not negate}

    def _compare(self, node: n.Compare, negate: bool) -> dict[str, Any]:
        op = node.op
        left, right = node.left, node.right
        constant = (n.Text, n.Boolean)
        if op in ("in", "not in") and isinstance(left, n.Name) and self._is_native(left.name) and isinstance(right, n.ListOf) \
                and all(isinstance(i, constant) for i in right.items):
            inside = (op == "in") != negate
            key = self._key(left.name)
            if inside:
                return {"$or": [{key: item.value} for item in right.items]}  # type: ignore[attr-defined]
            return {"$and": [{"$neq": {key: item.value}} for item in right.items]}  # type: ignore[attr-defined]
        if op in ("==", "!=") and isinstance(left, n.Name) and self._is_native(left.name) and isinstance(right, constant):
            equal = (op == "==") != negate
            key = self._key(left.name)
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
        return name in self.rs.metric_nodes or (isinstance(value, (int, Decimal)) and not isinstance(value, bool))

    def _is_native(self, name: str) -> bool:
        if name in self.derived:
            return True
        if name in self.field_names:
            field_spec = FIELDS.get(name)
            declared = self.rs.inputs.get(name)
            kind = field_spec.type if field_spec else (declared.type if declared else "text")
            return kind in ("bool", "text", "choice")
        return False

    def _key(self, name: str) -> str:
        if self._native is not None:
            self._native.append(name)
        if name in self.derived:
            return self.derived_keys.setdefault(name, f"d{len(self.derived_keys)}")
        return self.field_keys.setdefault(name, f"f{len(self.field_keys)}")

    def _atom(self, kind: str, node: n.Node) -> Atom:
        found = self.atoms.get((kind, node))
        if found is None:
            if kind == "sign":  # node is Compare("<=>", left, right): the sign of left − right
                fn = _sign(self.build(node.left), self.build(node.right))  # type: ignore[attr-defined]
                fast = self._cross_sign(node.left, node.right)  # type: ignore[attr-defined]
            else:
                fn, fast = self.build(node), self.build_decimal(node)
            reads = tuple(sorted(name for name in self._expand(n.names(node))
                                 if name in self.field_names or name in self.derived))
            found = Atom(f"x{len(self.atoms)}", kind, fn, fast, reads)
            self.atoms[(kind, node)] = found
        if self._collect is not None:
            self._collect.append(found)
        return found


_ONE = n.Number(0, Fraction(1))


def _times(a: n.Node, b: n.Node) -> n.Node:
    if a is _ONE:
        return b
    if b is _ONE:
        return a
    return n.Arith(0, "*", a, b)


def _pair(low: Evaluator, high: Evaluator) -> Evaluator:
    return lambda env: (low(env), high(env))


def _sign(left: Evaluator, right: Evaluator) -> Evaluator:
    def sign(env: Env) -> int:
        a, b = left(env), right(env)
        return (a > b) - (a < b)

    return sign
