"""Integer fast paths for the expression shapes schemes use, with the general path behind.

A million firms need each indicator and condition in a microsecond or two; the
general evaluator (`screening.expr.evaluate`, exact `Fraction`s) takes tens. The
shapes that cover the schemes — a ratio of two figures (`tax / land_mu`), a flag
(`utility`), a figure against a constant (`production_months < 24`, `land_mu < 3`),
text equality (`scale == "规上"`), and `and` / `or` / `not` of these — are
evaluated here on the integers of each figure's exact ratio. Anything else goes
to the general evaluator. Both give the same values and raise the same `Missing`
and `Undefined` (a property test compares them); nothing here calls `eval`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from screening.expr import nodes as n
from screening.expr.evaluate import Ctx, Missing, Undefined, to_fraction

Values = Mapping[str, Any]
Ratio = tuple[int, int]  # numerator, positive denominator
_NO_METRICS: dict[str, Any] = {}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def ratio_of(value: Any) -> Ratio:
    """A figure (Decimal or int) as its exact integer ratio."""
    if type(value) is Decimal:
        return value.as_integer_ratio()
    if type(value) is int:
        return value, 1
    fraction = Fraction(value)
    return fraction.numerator, fraction.denominator


def round_ratio(num: int, den: int, decimals: int | None) -> Ratio:
    """num/den rounded half away from zero to `decimals` places, as (k, 10^decimals).

    With no decimals: the ratio in lowest terms. The denominator is positive.
    """
    if den < 0:
        num, den = -num, -den
    if decimals is None:
        g = math.gcd(num, den)
        return num // g, den // g
    scale = 10**decimals
    k = (abs(num) * scale * 2 + den) // (2 * den)
    return (k if num >= 0 else -k), scale


def field_ratio(node: n.Node) -> tuple[str, str] | None:
    """The two names of an indicator that is one name divided by another (亩均税收 =
    tax / area), the commonest shape and the one the fast paths special-case; else None."""
    if (
        isinstance(node, n.Arith)
        and node.op == "/"
        and isinstance(node.left, n.Name)
        and isinstance(node.right, n.Name)
    ):
        return node.left.name, node.right.name
    return None


def value_function(
    node: n.Node, general: Callable[[Ctx], Any], decimals: int | None
) -> Callable[[Values], Ratio]:
    """A function from a firm's values to an indicator's (rounded) value as a ratio.

    Raises Missing / Undefined exactly as the general evaluator does.
    """
    names = field_ratio(node)
    if names is not None:
        top, bottom = names
        top_missing, bottom_missing = frozenset((top,)), frozenset((bottom,))

        def divide(values: Values) -> Ratio:
            a = values.get(top)
            if a is None:
                raise Missing(top_missing)
            b = values.get(bottom)
            if b is None:
                raise Missing(bottom_missing)
            an, ad = ratio_of(a)
            bn, bd = ratio_of(b)
            if bn == 0:
                raise Undefined("division_by_zero")
            return round_ratio(an * bd, ad * bn, decimals)

        return divide

    def evaluate(values: Values) -> Ratio:
        value = to_fraction(general(Ctx(values, _NO_METRICS)))
        return round_ratio(value.numerator, value.denominator, decimals)

    return evaluate


def condition_function(
    node: n.Node, general: Callable[[Ctx], Any]
) -> Callable[[Values], bool]:
    """A function from a firm's values to a condition's truth; Missing as the general one."""
    fast = _condition(node)
    if fast is not None:
        return fast

    def evaluate(values: Values) -> bool:
        return bool(general(Ctx(values, _NO_METRICS)))

    return evaluate


def _condition(node: n.Node) -> Callable[[Values], Any] | None:
    if isinstance(node, n.Name):
        name, missing = node.name, frozenset((node.name,))

        def flag(values: Values) -> Any:
            value = values.get(name)
            if value is None:
                raise Missing(missing)
            return value

        return flag
    if (
        isinstance(node, n.Compare)
        and isinstance(node.left, n.Name)
        and node.op in _COMPARE
    ):
        name, missing, compare = (
            node.left.name,
            frozenset((node.left.name,)),
            _COMPARE[node.op],
        )
        right = node.right
        if isinstance(right, n.Number):
            cn, cd = right.value.numerator, right.value.denominator

            def against(values: Values) -> bool:
                value = values.get(name)
                if value is None:
                    raise Missing(missing)
                vn, vd = ratio_of(value)
                return compare(vn * cd, cn * vd)

            return against
        if isinstance(right, (n.Text, n.Boolean)):
            constant = right.value

            def equals(values: Values) -> bool:
                value = values.get(name)
                if value is None:
                    raise Missing(missing)
                return compare(value, constant)

            return equals
        return None
    if isinstance(node, n.Unary) and node.op == "not":
        inner = _condition(node.operand)
        return None if inner is None else (lambda values: not inner(values))
    if isinstance(node, n.Logic):
        items = [_condition(item) for item in node.items]
        if any(item is None for item in items):
            return None
        if node.op == "and":
            return lambda values: all(item(values) for item in items)  # type: ignore[misc]
        return lambda values: any(item(values) for item in items)  # type: ignore[misc]
    return None
