"""Pure functions: a failed threshold → the input values that would flip it.

For `investment.fixed_assets / land.area_mu >= 250` failing at 200, the answers are
"固定资产投资不低于 X" or "用地面积不超过 Y": each input is solved for exactly by
inverting the arithmetic, holding the others at the project's values.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from screening.expr import nodes as n
from screening.expr.evaluate import Env, Evaluator, Missing, Undefined
from screening.findings import RemedyOption

_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}
_ROUNDS_UP = {">=": True, ">": True, "<=": False, "<": False}

# One undone operation: (env, target, direction) → (field value, direction), or None when
# there is none. `direction` carries the sign of d(outer)/d(this node) down the chain;
# coming back it says whether the outer value rises (+1) or falls (-1) as the field grows.
_Step = Callable[[Env, Fraction, int], "tuple[Fraction, int] | None"]


class Solver:
    """Inverts expressions over one rule set's metrics; each inversion compiled once."""

    def __init__(self, metric_nodes: dict[str, n.Node], build: Callable[[n.Node], Evaluator],
                 units: dict[str, str]) -> None:
        self.metric_nodes = metric_nodes
        self.build = build
        self.units = units
        # id(node) → the node and, per field solvable for, (field, unit, inverse); holding
        # the node keeps its id from being reused by another expression
        self._plans: dict[int, tuple[n.Node, tuple[tuple[str, str, _Step], ...]]] = {}

    def options(self, node: n.Node, relation: str, target: Fraction, env: Env) -> tuple[RemedyOption, ...]:
        """For `node relation target` to hold: one option per input that can be solved for."""
        entry = self._plans.get(id(node))
        if entry is None:
            entry = self._plans[id(node)] = (node, self._plan(node))
        out = []
        for field, unit, invert in entry[1]:
            try:
                solved = invert(env, target, 1)
            except (Missing, Undefined, ZeroDivisionError):
                continue
            if solved is None:
                continue
            value, direction = solved
            if value < 0:
                continue
            # increasing the field raises the value: keep the relation's sense; else flip it
            needed = relation if direction > 0 else _FLIP[relation]
            out.append(RemedyOption(field, needed, _round(value, needed), unit))
        return tuple(out)

    def _plan(self, node: n.Node) -> tuple[tuple[str, str, _Step], ...]:
        return tuple((field, self.units.get(field, ""), self._inverse(node, field)) for field in self._fields(node))

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
        """The steps solving `node = target` for `field`, outermost operation undone first.

        Which side holds the field, and the evaluator of the other side, are settled here;
        at run time each step only evaluates its other side and does the arithmetic.
        """
        if isinstance(node, n.Name):
            if node.name == field:
                return _reached
            inner = self.metric_nodes.get(node.name)
            return _unsolvable if inner is None else self._inverse(inner, field)
        if isinstance(node, n.Unary) and node.op == "-":
            return _negated(self._inverse(node.operand, field))
        if not isinstance(node, n.Arith):
            return _unsolvable
        in_left = self._contains(node.left, field)
        inner = self._inverse(node.left if in_left else node.right, field)
        other = self.build(node.right if in_left else node.left)
        return _UNDO[node.op, in_left](inner, other)


# Each step below solves `x op other = target` (or `other op x`) for x, the side holding
# the field, and hands x on to the step undoing x's own operation.

def _reached(env: Env, target: Fraction, direction: int) -> tuple[Fraction, int]:
    return target, direction


def _unsolvable(env: Env, target: Fraction, direction: int) -> None:
    return None


def _negated(inner: _Step) -> _Step:  # -x
    return lambda env, target, direction: inner(env, -target, -direction)


def _added(inner: _Step, other: Evaluator) -> _Step:  # x + other or other + x
    return lambda env, target, direction: inner(env, target - other(env), direction)


def _minuend(inner: _Step, other: Evaluator) -> _Step:  # x - other
    return lambda env, target, direction: inner(env, target + other(env), direction)


def _subtrahend(inner: _Step, other: Evaluator) -> _Step:  # other - x
    return lambda env, target, direction: inner(env, other(env) - target, -direction)


def _factor(inner: _Step, other: Evaluator) -> _Step:  # x * other or other * x
    def step(env: Env, target: Fraction, direction: int) -> tuple[Fraction, int] | None:
        value = other(env)
        if value == 0:
            return None
        return inner(env, target / value, direction if value > 0 else -direction)

    return step


def _dividend(inner: _Step, other: Evaluator) -> _Step:  # x / other
    def step(env: Env, target: Fraction, direction: int) -> tuple[Fraction, int] | None:
        value = other(env)
        if value == 0:
            return None
        return inner(env, target * value, direction if value > 0 else -direction)

    return step


def _divisor(inner: _Step, other: Evaluator) -> _Step:  # other / x
    def step(env: Env, target: Fraction, direction: int) -> tuple[Fraction, int] | None:
        value = other(env)
        if value == 0 or target == 0:  # other / x = 0 has no solution
            return None
        # other / x falls as x grows (x > 0) when other > 0
        return inner(env, value / target, -direction if value > 0 else direction)

    return step


_UNDO: dict[tuple[str, bool], Callable[[_Step, Evaluator], _Step]] = {
    ("+", True): _added, ("+", False): _added,
    ("-", True): _minuend, ("-", False): _subtrahend,
    ("*", True): _factor, ("*", False): _factor,
    ("/", True): _dividend, ("/", False): _divisor,
}


def _round(value: Fraction, relation: str) -> Fraction:
    """Round to 2 decimals in the safe direction, so meeting the shown figure suffices."""
    # floor/ceil of value * 100 in integers: Fraction arithmetic would cost several times more
    if _ROUNDS_UP[relation]:
        return Fraction(-((-100 * value.numerator) // value.denominator), 100)
    return Fraction((100 * value.numerator) // value.denominator, 100)


def next_band(
    bands: tuple[tuple[Fraction | None, Fraction | None, Fraction], ...] | None,
    linear: tuple[tuple[Fraction, Fraction], ...] | None,
    value: Fraction,
    points: Fraction,
) -> tuple[Fraction, Fraction] | None:
    """The nearest value that earns more points than `points`, with the points it earns."""
    if bands is not None:
        above = [(low, p) for low, _, p in bands if p > points and low is not None and low > value]
        if above:
            return min(above)
        # bands where less is better (energy per output, say): reach below a band's max
        below = [(high, p) for _, high, p in bands if p > points and high is not None and high <= value]
        if not below:
            return None
        high, better = max(below)
        return (high - Fraction(1, 100), better)
    top_at, top_points = max(linear or (), key=lambda pair: pair[1])
    return (top_at, top_points) if top_points > points else None
