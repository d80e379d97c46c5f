"""Pure functions: a failed threshold → the input values that would flip it.

For `investment.fixed_assets / land.area_mu >= 250` failing at 200, the answers are
"固定资产投资不低于 X" or "用地面积不超过 Y": each input is solved for exactly by
inverting the arithmetic, holding the others at the project's values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from screening.expr import nodes as n
from screening.expr.evaluate import Env, Evaluator, Missing, Undefined
from screening.findings import RemedyOption

_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}


class Solver:
    """Inverts expressions over one rule set's metrics; sub-expressions compiled once."""

    def __init__(self, metric_nodes: dict[str, n.Node], build: Callable[[n.Node], Evaluator],
                 units: dict[str, str]) -> None:
        self.metric_nodes = metric_nodes
        self.build = build
        self.units = units
        self._compiled: dict[int, Evaluator] = {}
        self._field_cache: dict[int, list[str]] = {}
        self._contains_cache: dict[tuple[int, str], bool] = {}

    def _eval(self, node: n.Node, env: Env) -> Any:
        fn = self._compiled.get(id(node))
        if fn is None:
            fn = self._compiled[id(node)] = self.build(node)
        return fn(env)

    def options(self, node: n.Node, relation: str, target: Fraction, env: Env) -> tuple[RemedyOption, ...]:
        """For `node relation target` to hold: one option per input that can be solved for."""
        out = []
        for field in self._fields(node):
            try:
                solved = self._solve(node, target, field, env, 1)
            except (Missing, Undefined, ZeroDivisionError):
                continue
            if solved is None:
                continue
            value, direction = solved
            if value < 0:
                continue
            # increasing the field raises the value: keep the relation's sense; else flip it
            needed = relation if direction > 0 else _FLIP[relation]
            out.append(RemedyOption(field, needed, _round(value, needed), self.units.get(field, "")))
        return tuple(out)

    def _fields(self, node: n.Node) -> list[str]:
        """Fields that occur exactly once in the expression (metrics expanded), sorted."""
        cached = self._field_cache.get(id(node))
        if cached is not None:
            return cached
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
        found = sorted(f for f, count in counts.items() if count == 1)
        self._field_cache[id(node)] = found
        return found

    def _contains(self, node: n.Node, field: str) -> bool:
        key = (id(node), field)
        found = self._contains_cache.get(key)
        if found is None:
            found = self._contains_cache[key] = self._search(node, field)
        return found

    def _search(self, node: n.Node, field: str) -> bool:
        if isinstance(node, n.Name):
            if node.name == field:
                return True
            inner = self.metric_nodes.get(node.name)
            return inner is not None and self._contains(inner, field)
        return any(self._contains(child, field) for child in n.children(node))

    def _solve(self, node: n.Node, target: Fraction, field: str, env: Env,
               direction: int) -> tuple[Fraction, int] | None:
        """The field value giving `target`, and +1/-1 for whether the value rises with the field.

        `direction` carries the sign of d(outer)/d(node) down the inversion.
        """
        if isinstance(node, n.Name):
            if node.name == field:
                return target, direction
            inner = self.metric_nodes.get(node.name)
            return None if inner is None else self._solve(inner, target, field, env, direction)
        if isinstance(node, n.Unary) and node.op == "-":
            return self._solve(node.operand, -target, field, env, -direction)
        if not isinstance(node, n.Arith):
            return None
        in_left = self._contains(node.left, field)
        inner = node.left if in_left else node.right
        other = self._eval(node.right if in_left else node.left, env)
        if node.op == "+":
            return self._solve(inner, target - other, field, env, direction)
        if node.op == "-":
            if in_left:
                return self._solve(inner, target + other, field, env, direction)
            return self._solve(inner, other - target, field, env, -direction)
        if other == 0:
            return None
        sign = 1 if other > 0 else -1
        if node.op == "*":
            return self._solve(inner, target / other, field, env, direction * sign)
        if in_left:  # field / other = target
            return self._solve(inner, target * other, field, env, direction * sign)
        if target == 0:  # other / field = target has no solution
            return None
        # other / x falls as x grows (x > 0) when other > 0
        return self._solve(inner, other / target, field, env, -direction * sign)


def _round(value: Fraction, relation: str) -> Fraction:
    """Round to 2 decimals in the safe direction, so meeting the shown figure suffices."""
    scaled = value * 100
    if relation in (">=", ">"):
        return Fraction(math.ceil(scaled), 100)
    return Fraction(math.floor(scaled), 100)


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
