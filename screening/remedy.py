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
from screening.model import ruleset as spec

_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}


class Solver:
    """Inverts expressions over one rule set's metrics; sub-expressions compiled once."""

    def __init__(self, metric_nodes: dict[str, n.Node], build: Callable[[n.Node], Evaluator],
                 units: dict[str, str]) -> None:
        self.metric_nodes = metric_nodes
        self.build = build
        self.units = units
        self._compiled: dict[int, Evaluator] = {}

    def _eval(self, node: n.Node, env: Env) -> Any:
        fn = self._compiled.get(id(node))
        if fn is None:
            fn = self._compiled[id(node)] = self.build(node)
        return fn(env)

    def options(self, node: n.Node, relation: str, target: Fraction, env: Env) -> tuple[RemedyOption, ...]:
        """For `node relation target` to hold: one option per input that can be solved for."""
        out = []
        for field in sorted(self._fields(node)):
            try:
                current = env.get(field)
                solved = self._solve(node, target, field, env)
            except (Missing, Undefined, ZeroDivisionError):
                continue
            if solved is None or not isinstance(current, Fraction) or solved < 0:
                continue
            direction = self._direction(node, field, env, current, solved)
            if direction is None:
                continue
            # increasing the field raises the value: keep the relation's sense; else flip it
            needed = relation if direction > 0 else _FLIP[relation]
            out.append(RemedyOption(field, needed, _round(solved, needed), self.units.get(field, "")))
        return tuple(out)

    def _fields(self, node: n.Node) -> set[str]:
        found: set[str] = set()
        counts: dict[str, int] = {}

        def walk(current: n.Node) -> None:
            if isinstance(current, n.Name):
                if current.name in self.metric_nodes:
                    walk(self.metric_nodes[current.name])
                elif "." in current.name:
                    counts[current.name] = counts.get(current.name, 0) + 1
                    found.add(current.name)
            for child in n.children(current):
                walk(child)

        walk(node)
        return {f for f in found if counts[f] == 1}

    def _contains(self, node: n.Node, field: str) -> bool:
        if isinstance(node, n.Name):
            if node.name == field:
                return True
            inner = self.metric_nodes.get(node.name)
            return inner is not None and self._contains(inner, field)
        return any(self._contains(child, field) for child in n.children(node))

    def _solve(self, node: n.Node, target: Fraction, field: str, env: Env) -> Fraction | None:
        if isinstance(node, n.Name):
            if node.name == field:
                return target
            inner = self.metric_nodes.get(node.name)
            return None if inner is None else self._solve(inner, target, field, env)
        if isinstance(node, n.Unary) and node.op == "-":
            return self._solve(node.operand, -target, field, env)
        if not isinstance(node, n.Arith):
            return None
        in_left = self._contains(node.left, field)
        other = self._eval(node.right if in_left else node.left, env)
        if node.op == "+":
            return self._solve(node.left if in_left else node.right, target - other, field, env)
        if node.op == "-":
            if in_left:
                return self._solve(node.left, target + other, field, env)
            return self._solve(node.right, other - target, field, env)
        if node.op == "*":
            if other == 0:
                return None
            return self._solve(node.left if in_left else node.right, target / other, field, env)
        if in_left:  # field / other = target
            return self._solve(node.left, target * other, field, env)
        if target == 0:  # other / field = target
            return None
        return self._solve(node.right, other / target, field, env)

    def _direction(self, node: n.Node, field: str, env: Env, current: Fraction, solved: Fraction) -> int | None:
        """+1 if the value rises with the field near the solution, -1 if it falls."""
        probe = solved + max(abs(solved) / 1000, Fraction(1, 1000))
        values = dict(env.values)
        values[field] = probe
        try:
            at_probe = self._eval(node, Env(values, env.metrics))
            values[field] = solved
            at_solved = self._eval(node, Env(values, env.metrics))
        except (Missing, Undefined, ZeroDivisionError):
            return None
        if at_probe == at_solved:
            return None
        return 1 if at_probe > at_solved else -1


def _round(value: Fraction, relation: str) -> Fraction:
    """Round to 2 decimals in the safe direction, so meeting the shown figure suffices."""
    scaled = value * 100
    if relation in (">=", ">"):
        return Fraction(math.ceil(scaled), 100)
    return Fraction(math.floor(scaled), 100)


def next_band(rule: spec.ScoreRule | spec.BonusRule, value: Fraction, points: Fraction) -> tuple[Fraction, Fraction] | None:
    """The nearest value above `value` that earns more points, with the points it earns."""
    if rule.bands is not None:
        better = [b for b in rule.bands if Fraction(b.points) > points and b.min is not None and Fraction(b.min) > value]
        if not better:
            better_below = [b for b in rule.bands if Fraction(b.points) > points and b.max is not None and Fraction(b.max) <= value]
            if not better_below:
                return None
            band = max(better_below, key=lambda b: Fraction(b.max))  # type: ignore[arg-type]
            return (Fraction(band.max) - Fraction(1, 100), Fraction(band.points))  # type: ignore[arg-type]
        band = min(better, key=lambda b: Fraction(b.min))  # type: ignore[arg-type]
        return (Fraction(band.min), Fraction(band.points))  # type: ignore[arg-type]
    top = max(rule.linear or [], key=lambda p: p.points)
    if Fraction(top.points) > points:
        return (Fraction(top.at), Fraction(top.points))
    return None
