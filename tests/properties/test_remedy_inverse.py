"""The compiled remedy solver gives exactly what solving the tree recursively gives.

`Recursive` is the straightforward algorithm the solver was compiled from: walk down the
expression towards the field, evaluating the other side of each operation and undoing
it in Fraction arithmetic. It lives here only as the reference.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from screening.expr import nodes as n
from screening.expr.evaluate import Ctx, Missing, Undefined, compile_expr, to_fraction
from screening.findings import RemedyOption, remedy_option
from screening.remedy import Solver

FIELDS = (
    "investment.fixed_assets",
    "investment.total",
    "land.area_mu",
    "land.plot_ratio",
    "output.annual_tax",
    "output.employees",
)
UNITS = {"investment.fixed_assets": "万元", "land.area_mu": "亩"}
FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}


def build(node: n.Node) -> Any:
    return compile_expr(node, {}, {})


def value(node: n.Node, ctx: Ctx) -> Any:
    return to_fraction(build(node)(ctx))


class Recursive:
    """The reference: recursive inversion with Fraction arithmetic, nothing compiled."""

    def __init__(self, metric_nodes: dict[str, n.Node], units: dict[str, str]) -> None:
        self.metric_nodes = metric_nodes
        self.units = units

    def options(
        self, node: n.Node, relation: str, target: Fraction, env: Ctx
    ) -> tuple[RemedyOption, ...]:
        out = []
        for field in self.fields(node):
            try:
                solved = self.solve(node, target, field, env, 1)
            except (Missing, Undefined, ZeroDivisionError):
                continue
            if solved is None or solved[0] < 0:
                continue
            value, direction = solved
            needed = relation if direction > 0 else FLIP[relation]
            out.append(remedy_option(field, needed, value, self.units.get(field, "")))
        return tuple(out)

    def fields(self, node: n.Node) -> list[str]:
        counts: dict[str, int] = {}

        def walk(current: n.Node) -> None:
            if isinstance(current, n.Name):
                if current.name in self.metric_nodes:
                    walk(self.metric_nodes[current.name])
                elif "." in current.name:
                    counts[current.name] = counts.get(current.name, 0) + 1
            for child in n.children(current):
                walk(child)

        walk(node)
        return sorted(f for f, count in counts.items() if count == 1)

    def contains(self, node: n.Node, field: str) -> bool:
        if isinstance(node, n.Name):
            inner = self.metric_nodes.get(node.name)
            return node.name == field or (
                inner is not None and self.contains(inner, field)
            )
        return any(self.contains(child, field) for child in n.children(node))

    def solve(
        self, node: n.Node, target: Fraction, field: str, env: Ctx, direction: int
    ) -> tuple[Fraction, int] | None:
        if isinstance(node, n.Name):
            if node.name == field:
                return target, direction
            inner = self.metric_nodes.get(node.name)
            return (
                None
                if inner is None
                else self.solve(inner, target, field, env, direction)
            )
        if isinstance(node, n.Unary) and node.op == "-":
            return self.solve(node.operand, -target, field, env, -direction)
        if not isinstance(node, n.Arith):
            return None
        in_left = self.contains(node.left, field)
        inner = node.left if in_left else node.right
        other = value(node.right if in_left else node.left, env)
        if node.op == "+":
            return self.solve(inner, target - other, field, env, direction)
        if node.op == "-":
            if in_left:
                return self.solve(inner, target + other, field, env, direction)
            return self.solve(inner, other - target, field, env, -direction)
        if other == 0:
            return None
        sign = 1 if other > 0 else -1
        if node.op == "*":
            return self.solve(inner, target / other, field, env, direction * sign)
        if in_left:
            return self.solve(inner, target * other, field, env, direction * sign)
        if target == 0:
            return None
        return self.solve(inner, other / target, field, env, -direction * sign)


# mostly positive, as project figures are; zero and negatives too
numbers = st.one_of(
    st.fractions(min_value=0, max_value=500, max_denominator=40),
    st.sampled_from([Fraction(0), Fraction(-2)]),
    st.fractions(min_value=-500, max_value=500, max_denominator=40),
)


@st.composite
def leaves(draw: st.DrawFn, metrics: tuple[str, ...]) -> n.Node:
    kind = draw(
        st.sampled_from(["field", "field", "number"] + ["metric"] * bool(metrics))
    )
    if kind == "number":
        return n.Number(value=draw(numbers))
    return n.Name(name=draw(st.sampled_from(FIELDS if kind == "field" else metrics)))


@st.composite
def operands(draw: st.DrawFn, metrics: tuple[str, ...]) -> n.Node:
    if draw(st.booleans()):
        return draw(leaves(metrics))
    op = draw(st.sampled_from("+-*/"))
    return n.Arith(op=op, left=draw(leaves(metrics)), right=draw(leaves(metrics)))


@st.composite
def expressions(draw: st.DrawFn, metrics: tuple[str, ...], depth: int = 4) -> n.Node:
    """Operations wrapped one by one around a field or metric, as a rule's expression is
    around the input it is solved for: + - * / with an operand on either side, unary
    minus, and a call (which cannot be inverted). Operands hold numbers (zero and
    negatives too), fields (maybe the same one: not solvable then) and metrics."""
    node = draw(leaves(metrics).filter(lambda leaf: not isinstance(leaf, n.Number)))
    for _ in range(draw(st.integers(0, depth))):
        op = draw(st.sampled_from(["+", "-", "*", "/", "/", "-x", "-x", "min"]))
        if op == "-x":
            node = n.Unary(op="-", operand=node)
            continue
        other = draw(operands(metrics))
        left, right = (node, other) if draw(st.booleans()) else (other, node)
        node = (
            n.Call(func="min", args=(left, right))
            if op == "min"
            else n.Arith(op=op, left=left, right=right)
        )
    return node


# an absent input (Missing), or a number as an Ctx holds it: a Decimal read from a
# project (mostly) or a Fraction; zero and negatives included. Never a bare int: the
# ratio of an int is fine too, but no project gives one (inputs are Decimals).
decimals = st.decimals(
    min_value=0, max_value=100_000, places=4, allow_nan=False, allow_infinity=False
)
field_values = st.one_of(
    decimals,
    decimals,
    decimals,
    st.none(),
    st.just(Decimal(0)),
    st.fractions(-100, 1000, max_denominator=12),
    st.decimals(min_value=-1000, max_value=0, places=2),
)
scenarios = st.tuples(
    st.fixed_dictionaries({field: field_values for field in FIELDS}),
    st.sampled_from([">=", ">", "<=", "<"]),
    st.one_of(
        numbers, st.fractions(min_value=-10_000, max_value=10_000, max_denominator=7)
    ),
)


@st.composite
def problems(
    draw: st.DrawFn,
) -> tuple[dict[str, n.Node], n.Node, list[tuple[dict[str, Any], str, Fraction]]]:
    metric_nodes = {"first": draw(expressions((), depth=2))}
    metric_nodes["second"] = draw(expressions(("first",), depth=2))
    node = draw(expressions(("first", "second")))
    return metric_nodes, node, draw(st.lists(scenarios, min_size=1, max_size=4))


def _env(values: dict[str, Any], metric_nodes: dict[str, n.Node]) -> Ctx:
    present = {name: value for name, value in values.items() if value is not None}
    return Ctx(present, {name: build(node) for name, node in metric_nodes.items()})


@given(problems())
def test_compiled_solver_matches_recursive_solving(problem: tuple) -> None:
    metric_nodes, node, runs = problem
    solver, reference = (
        Solver(metric_nodes, build, UNITS),
        Recursive(metric_nodes, UNITS),
    )
    for (
        values,
        relation,
        target,
    ) in runs:  # one solver throughout: its compiled form is reused
        expected = reference.options(node, relation, target, _env(values, metric_nodes))
        got = solver.options(node, relation, target, _env(values, metric_nodes))
        assert got == expected
        # exact ints, the value in lowest terms (as the reference's Fraction gives it)
        assert all(type(o[2]) is int and type(o[3]) is int and o[3] > 0 for o in got)
