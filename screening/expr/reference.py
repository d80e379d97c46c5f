"""The reference evaluation: expression trees walked node by node in plain Fractions.

Slow and obviously correct, with no compilation, no engine and nothing remembered:
`Screener(reference=True)` judges every rule with it, and property tests hold the
compiled screener to its answers. It shares only the built-ins' declarations
(`screening.expr.builtins`) with the compiled form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from screening.expr import nodes as n
from screening.expr.evaluate import ZERO_DIVISOR, Missing, Undefined, zero_inputs


class Reference:
    """Evaluates one rule set's expressions against one project's values."""

    def __init__(
        self,
        values: Mapping[str, Any],
        metrics: Mapping[str, n.Node],
        constants: Mapping[str, Any],
        tables: Mapping[str, Any],
    ) -> None:
        self.values = values
        self.metrics = metrics
        self.constants = constants
        self.tables = dict(tables)

    def check(self, node: n.Node) -> None:
        """Evaluate every part of `node`, both sides of every `and` and `or`: Missing or
        Undefined if any part has no value (a rule is judged as a whole or not at all)."""
        if isinstance(node, n.Logic):
            for item in node.items:
                self.check(item)
            return
        if isinstance(node, n.Unary) and node.op == "not":
            self.check(node.operand)
            return
        self.evaluate(node)

    def evaluate(self, node: n.Node) -> Any:
        """`node`'s value: numbers as Fractions; Missing or Undefined when it has none."""
        if isinstance(node, n.Number):
            return node.value
        if isinstance(node, (n.Text, n.Boolean)):
            return node.value
        if isinstance(node, n.ListOf):
            return frozenset(self.evaluate(item) for item in node.items)
        if isinstance(node, n.Name):
            return self._name(node.name)
        if isinstance(node, n.Unary):
            value = self.evaluate(node.operand)
            return (not value) if node.op == "not" else -value
        if isinstance(node, n.Arith):
            left, right = self.evaluate(node.left), self.evaluate(node.right)
            if node.op == "+":
                return left + right
            if node.op == "-":
                return left - right
            if node.op == "*":
                return left * right
            if right == 0:
                raise Undefined(
                    ZERO_DIVISOR, divisor=zero_inputs(node.right, self._name)
                )
            return left / right
        if isinstance(node, n.Compare):
            left, right = self.evaluate(node.left), self.evaluate(node.right)
            return _COMPARE[node.op](left, right)
        if isinstance(node, n.Logic):
            if node.op == "and":
                return all(self.evaluate(item) for item in node.items)
            return any(self.evaluate(item) for item in node.items)
        if isinstance(node, n.Call):
            from screening.expr.builtins import FUNCTIONS

            return FUNCTIONS[node.func].reference(node, self.evaluate, self.tables)
        raise TypeError(f"unknown node {node!r}")

    def _name(self, name: str) -> Any:
        if name in self.constants:
            value = self.constants[name]
            if value is None:
                raise Missing(frozenset((name,)))
            return _exact(value)
        if name in self.values:
            return _exact(self.values[name])
        if name in self.metrics:
            return self.evaluate(self.metrics[name])
        raise Missing(frozenset((name,)))


def _exact(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(_exact(item) for item in value)
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return Fraction(value)
    return value


def exact_tables(tables: Mapping[str, Any]) -> dict[str, Any]:
    """Tables with their numeric cells as Fractions, as `Reference` reads them."""

    def cells(values: Any) -> Any:
        if isinstance(values, dict):
            return {key: cells(value) for key, value in values.items()}
        return _exact(values)

    return {
        name: {"values": cells(t["values"]), "default": _exact(t["default"])}
        for name, t in tables.items()
    }


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}
