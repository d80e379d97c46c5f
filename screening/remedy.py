"""Pure functions: a failed threshold → the input values that would flip it.

For `investment.fixed_assets / land.area_mu >= 250` failing at 200, the answers are
"固定资产投资不低于 X" or "用地面积不超过 Y": each input is solved for exactly by
inverting the arithmetic, holding the others at the project's values.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from math import gcd

from screening.expr import nodes as n
from screening.expr.evaluate import Ctx, Evaluator, Missing, Undefined
from screening.findings import Points, RemedyOption
from screening.score import Bands, Grading, Linear, points_ratio

_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}

# One undone operation: (ctx, num, den, direction) → (num, den, direction) of the
# field's value, or None when there is none. The target travels as the exact rational
# num / den, den > 0 and not necessarily reduced: integer products are several times
# cheaper than Fraction arithmetic and the value is the same. `direction` carries the
# sign of d(outer)/d(this node) down the chain; coming back it says whether the outer
# value rises (+1) or falls (-1) as the field grows.
_Solved = tuple[int, int, int] | None
_Step = Callable[[Ctx, int, int, int], _Solved]
# The value of the side not holding the field as (numerator, denominator), den > 0.
_Ratio = Callable[[Ctx], tuple[int, int]]


class Solver:
    """Inverts expressions over one rule set's metrics; each inversion compiled once."""

    def __init__(
        self,
        metric_nodes: dict[str, n.Node],
        build: Callable[[n.Node], Evaluator],
        units: dict[str, str],
    ) -> None:
        self.metric_nodes = metric_nodes
        self.build = build
        self.units = units
        # id(node) → the node and, per field solvable for, (field, unit, inverse);
        # holding the node keeps its id from being reused by another expression
        self._plans: dict[int, tuple[n.Node, tuple[tuple[str, str, _Step], ...]]] = {}

    def options(
        self, node: n.Node, relation: str, target: Fraction, ctx: Ctx
    ) -> tuple[RemedyOption, ...]:
        """For `node relation target` to hold: one option per input that can be solved for."""
        return self.inverse(node, relation)(ctx, target)

    def fixed(
        self, node: n.Node, relation: str, target: Fraction
    ) -> tuple[RemedyOption, ...] | None:
        """The options for `node relation target` when they read nothing of the project:
        `node` is an input as given, so its one option is the target itself (negative:
        none). None for any other expression."""
        if (
            not isinstance(node, n.Name)
            or node.name in self.metric_nodes
            or "." not in node.name  # a parameter, a derived fact: nothing to solve for
        ):
            return None
        return self.inverse(node, relation)(_NO_PROJECT, target)

    def inverse(
        self, node: n.Node, relation: str
    ) -> Callable[[Ctx, Fraction], tuple[RemedyOption, ...]]:
        """The options for `node relation target` as a function of a project and a target,
        its inversion steps compiled once per expression."""
        entry = self._plans.get(id(node))
        if entry is None:
            entry = self._plans[id(node)] = (node, self._plan(node))
        # increasing the field raises the value: keep the relation's sense; else flip it
        senses = {1: relation, -1: _FLIP[relation]}
        plan = entry[1]

        def options(ctx: Ctx, target: Fraction) -> tuple[RemedyOption, ...]:
            num, den = target.as_integer_ratio()
            out = []
            for field, unit, invert in plan:
                try:
                    solved = invert(ctx, num, den, 1)
                except (Missing, Undefined, ZeroDivisionError):
                    continue
                if solved is None:
                    continue
                value_num, value_den, direction = solved
                if value_num < 0:  # a negative figure is no remedy
                    continue
                # exact, in lowest terms (den > 0 here): a renderer rounds it in the unit
                # it shows it in (a share as a percentage, people as a whole number), in
                # the direction `needed` keeps met
                divisor = gcd(value_num, value_den)
                if divisor != 1:
                    value_num //= divisor
                    value_den //= divisor
                out.append((field, senses[direction], value_num, value_den, unit))
            return tuple(out)

        return options

    def _plan(self, node: n.Node) -> tuple[tuple[str, str, _Step], ...]:
        return tuple(
            (field, self.units.get(field, ""), self._inverse(node, field))
            for field in self._fields(node)
        )

    def _fields(self, node: n.Node) -> list[str]:
        """Fields that occur exactly once in the expression (metrics expanded), sorted."""
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

    def _contains(self, node: n.Node, field: str) -> bool:
        if isinstance(node, n.Name):
            if node.name == field:
                return True
            inner = self.metric_nodes.get(node.name)
            return inner is not None and self._contains(inner, field)
        return any(self._contains(child, field) for child in n.children(node))

    def _inverse(self, node: n.Node, field: str) -> _Step:
        """The steps solving `node = target` for `field`, outermost operation first.

        Which side holds the field, and the evaluator of the other side, are settled
        here; at run time each step only evaluates its other side and does arithmetic.
        """
        if isinstance(node, n.Name):
            if node.name == field:
                return _reached
            metric = self.metric_nodes.get(node.name)
            return _unsolvable if metric is None else self._inverse(metric, field)
        if isinstance(node, n.Unary) and node.op == "-":
            return _negated(self._inverse(node.operand, field))
        if not isinstance(node, n.Arith):
            return _unsolvable
        in_left = self._contains(node.left, field)
        inner = self._inverse(node.left if in_left else node.right, field)
        other = self._ratio(node.right if in_left else node.left)
        return _UNDO[node.op, in_left](inner, other)

    def _ratio(self, node: n.Node) -> _Ratio:
        return self.build(node)  # compiled evaluators give numbers as ratios


# A context with no values: an input as given is solved for without reading any.
_NO_PROJECT = Ctx({}, {})

# Each step below solves `x op other = num / den` (or `other op x`) for x, the side
# holding the field, with other = a / b, and hands x on to the step undoing x's own
# operation.


def _reached(ctx: Ctx, num: int, den: int, direction: int) -> tuple[int, int, int]:
    return num, den, direction


def _unsolvable(ctx: Ctx, num: int, den: int, direction: int) -> None:
    return None


def _negated(inner: _Step) -> _Step:  # -x
    return lambda ctx, num, den, direction: inner(ctx, -num, den, -direction)


def _added(inner: _Step, other: _Ratio) -> _Step:  # x + other or other + x
    def step(ctx: Ctx, num: int, den: int, direction: int) -> _Solved:
        a, b = other(ctx)
        return inner(ctx, num * b - a * den, den * b, direction)

    return step


def _minuend(inner: _Step, other: _Ratio) -> _Step:  # x - other
    def step(ctx: Ctx, num: int, den: int, direction: int) -> _Solved:
        a, b = other(ctx)
        return inner(ctx, num * b + a * den, den * b, direction)

    return step


def _subtrahend(inner: _Step, other: _Ratio) -> _Step:  # other - x
    def step(ctx: Ctx, num: int, den: int, direction: int) -> _Solved:
        a, b = other(ctx)
        return inner(ctx, a * den - num * b, den * b, -direction)

    return step


def _factor(inner: _Step, other: _Ratio) -> _Step:  # x * other or other * x
    def step(ctx: Ctx, num: int, den: int, direction: int) -> _Solved:
        a, b = other(ctx)
        if a > 0:
            return inner(ctx, num * b, den * a, direction)
        if a < 0:  # the sign moves to the numerator, keeping den > 0
            return inner(ctx, -num * b, -den * a, -direction)
        return None

    return step


def _dividend(inner: _Step, other: _Ratio) -> _Step:  # x / other
    def step(ctx: Ctx, num: int, den: int, direction: int) -> _Solved:
        a, b = other(ctx)
        if a == 0:
            return None
        return inner(ctx, num * a, den * b, direction if a > 0 else -direction)

    return step


def _divisor(inner: _Step, other: _Ratio) -> _Step:  # other / x
    def step(ctx: Ctx, num: int, den: int, direction: int) -> _Solved:
        a, b = other(ctx)
        if a == 0 or num == 0:  # other / x = 0 has no solution
            return None
        # other / x falls as x grows (x > 0) when other > 0
        turn = -direction if a > 0 else direction
        if num > 0:
            return inner(ctx, a * den, b * num, turn)
        return inner(ctx, -a * den, -b * num, turn)

    return step


_UNDO: dict[tuple[str, bool], Callable[[_Step, _Ratio], _Step]] = {
    ("+", True): _added,
    ("+", False): _added,
    ("-", True): _minuend,
    ("-", False): _subtrahend,
    ("*", True): _factor,
    ("*", False): _factor,
    ("/", True): _dividend,
    ("/", False): _divisor,
}


def next_band(
    bands: Bands | None, linear: Linear | None, value: Fraction, points: Points
) -> tuple[Fraction, Points] | None:
    """The nearest value that earns more points than `points`, with the points it earns
    (see `Grading.next_band`)."""
    found = Grading(bands, linear).next_band(
        value.numerator, value.denominator, points_ratio(points)
    )
    return None if found is None else found[:2]
