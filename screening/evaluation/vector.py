"""A scheme's conditions and indicators over a batch of firms, a column at a time.

The shapes `screening.evaluation.fast` evaluates on integers — a ratio of two
figures, a flag, a figure against a constant, text equality, `and` / `or` / `not`
of these — are evaluated here on whole columns: one list comprehension per
expression instead of a call per firm. Anything else is evaluated firm by firm by
the expression's own compiled function on the same values a row would give
(`Columns.rows`). A condition's column holds True, False or None (undecided: an
input it needs is missing); an indicator's holds its rounded value or None (no
value: a missing input or a zero denominator). Both are what `evaluate.measure`
finds firm by firm; a property test holds them equal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import repeat
from operator import itemgetter
from typing import Any

from screening.evaluation.evaluate import _parts, production_months
from screening.evaluation.fast import _COMPARE, field_ratio, ratio_of, round_ratio
from screening.evaluation.fields import DERIVED
from screening.evaluation.scheme import Expr, IndicatorDef
from screening.expr import nodes as n
from screening.expr.evaluate import Missing, Undefined

ColumnOf = Callable[["Columns"], list[Any]]


class Columns:
    """A batch's values by field name, one list each (None: absent), and their ratios.

    `fields` are the names a row may hold (the table's mapped columns); the derived
    figures (`production_months`, `electricity_10k_kwh`) are computed as
    `evaluate.add_derived` computes them for one row.
    """

    def __init__(
        self,
        values: dict[str, list[Any]],
        fields: Sequence[str],
        size: int,
        year: int,
        source: tuple[Columns, Sequence[int]] | None = None,
    ) -> None:
        self.size = size
        self.year = year
        self.fields = fields
        self._values = values
        self._source = source
        self._ratios: dict[str, list[Any]] = {}
        self._rows: list[dict[str, Any]] | None = None

    def values(self, name: str) -> list[Any]:
        """The column of `name` (None where a firm has no value)."""
        found = self._values.get(name)
        if found is None:
            if self._source is not None:
                columns, positions = self._source
                found = list(map(columns.values(name).__getitem__, positions))
            else:
                found = self._derived(name)
            self._values[name] = found
        return found

    def _derived(self, name: str) -> list[Any]:
        if name == "production_months" and "production_start" in self.fields:
            year = self.year
            return [
                production_months(d, year) if type(d) is dt.date else None
                for d in self.values("production_start")
            ]
        if name == "electricity_10k_kwh" and "electricity_kwh" in self.fields:
            return [
                v.scaleb(-4) if type(v) is Decimal else None
                for v in self.values("electricity_kwh")
            ]
        return [None] * self.size

    def ratios(self, name: str) -> list[Any]:
        """The column of `name` as exact integer ratios (numerator, denominator)."""
        found = self._ratios.get(name)
        if found is None:
            column = self.values(name)
            kinds = set(map(type, column))
            if kinds == {Decimal}:
                found = list(map(Decimal.as_integer_ratio, column))
            elif kinds == {int}:
                found = list(zip(column, repeat(1)))
            else:
                found = [None if v is None else ratio_of(v) for v in column]
            self._ratios[name] = found
        return found

    def rows(self) -> list[dict[str, Any]]:
        """Each firm's values as `evaluate.measure` gets them, derived added."""
        if self._rows is None:
            names = [*self.fields, *DERIVED]
            columns = [self.values(name) for name in names]
            self._rows = [
                {k: v for k, v in zip(names, row, strict=True) if v is not None}
                for row in zip(*columns, strict=True)
            ]
        return self._rows

    def take(self, positions: Sequence[int]) -> Columns:
        """The same columns for the firms at `positions` only (gathered when read)."""
        return Columns({}, self.fields, len(positions), self.year, (self, positions))


# --- conditions ---------------------------------------------------------------------


def condition_column(expr: Expr) -> ColumnOf:
    """True / False / None (undecided) per firm for a condition."""
    fast = _condition(expr.node)
    if fast is not None:
        return fast
    test = expr.test
    assert test is not None

    def general(columns: Columns) -> list[Any]:
        out: list[bool | None] = []
        for values in columns.rows():
            try:
                out.append(bool(test(values)))
            except (Missing, Undefined):
                out.append(None)
        return out

    return general


def _condition(node: n.Node) -> ColumnOf | None:
    if isinstance(node, n.Name):
        name = node.name
        return lambda c: [None if v is None else bool(v) for v in c.values(name)]
    if (
        isinstance(node, n.Compare)
        and isinstance(node.left, n.Name)
        and node.op in _COMPARE
    ):
        name, compare, right = node.left.name, _COMPARE[node.op], node.right
        if isinstance(right, n.Number):
            cn, cd = right.value.numerator, right.value.denominator
            return lambda c: [
                None if r is None else compare(r[0] * cd, cn * r[1])
                for r in c.ratios(name)
            ]
        if isinstance(right, (n.Text, n.Boolean)):
            constant = right.value
            return lambda c: [
                None if v is None else compare(v, constant) for v in c.values(name)
            ]
        return None
    if isinstance(node, n.Unary) and node.op == "not":
        inner = _condition(node.operand)
        if inner is None:
            return None
        return lambda c: [None if x is None else not x for x in inner(c)]
    if isinstance(node, n.Logic):
        items = [_condition(item) for item in node.items]
        if any(item is None for item in items):
            return None
        combine = _all if node.op == "and" else _any
        return lambda c: list(
            map(combine, zip(*(item(c) for item in items), strict=True))  # type: ignore[misc]
        )
    return None


def _all(held: tuple[Any, ...]) -> Any:
    # as all() over the items in order: the first undecided or false one decides
    for x in held:
        if x is None:
            return None
        if not x:
            return False
    return True


def _any(held: tuple[Any, ...]) -> Any:
    for x in held:
        if x is None:
            return None
        if x:
            return True
    return False


# --- indicators ---------------------------------------------------------------------


def indicator_column(ind: IndicatorDef) -> ColumnOf:
    """Per firm: the indicator's value rounded to its decimals — k of k / 10^decimals,
    or (numerator, denominator) in lowest terms without decimals — or None."""
    node, decimals = ind.expr.node, ind.decimals
    names = field_ratio(node)
    if names is not None:
        top, bottom = names
        if decimals is None:
            return lambda c: [
                None
                if a is None or b is None or b[0] == 0
                else round_ratio(a[0] * b[1], a[1] * b[0], None)
                for a, b in zip(c.ratios(top), c.ratios(bottom), strict=True)
            ]
        twice = 2 * 10**decimals

        def rounded(c: Columns) -> list[Any]:
            tops, bottoms = c.ratios(top), c.ratios(bottom)
            if (
                None not in tops
                and None not in bottoms
                and min(map(itemgetter(0), tops), default=0) >= 0
                and min(map(itemgetter(0), bottoms), default=1) > 0
            ):  # the commonest column: `_rounded` inline, every value ≥ 0 over > 0
                return [
                    (an * bd * twice + ad * bn) // (2 * ad * bn)
                    for (an, ad), (bn, bd) in zip(tops, bottoms, strict=True)
                ]
            return [
                None if a is None or b is None or b[0] == 0 else _rounded(a, b, twice)
                for a, b in zip(tops, bottoms, strict=True)
            ]

        return rounded
    value_of = ind.value_of
    assert value_of is not None

    def general(columns: Columns) -> list[Any]:
        out: list[Any] = []
        for values in columns.rows():
            try:
                value = value_of(values)
            except (Missing, Undefined):
                out.append(None)
                continue
            out.append(value[0] if decimals is not None else value)
        return out

    return general


def _rounded(a: tuple[int, int], b: tuple[int, int], twice: int) -> int:
    # k of (a ÷ b) rounded half away from zero to k / 10^p, twice = 2 × 10^p
    num, den = a[0] * b[1], a[1] * b[0]
    if den < 0:
        num, den = -num, -den
    if num >= 0:
        return (num * twice + den) // (2 * den)
    return -((-num * twice + den) // (2 * den))


def parts_column(ind: IndicatorDef) -> Callable[[Columns, list[Any]], list[Any]]:
    """Per firm with a value: its numerator's and denominator's ratios (an aggregate's
    Σ numerator ÷ Σ denominator), as `evaluate.measure` gives them; None without."""
    node = ind.expr.node
    names = field_ratio(node)
    if names is not None:
        top, bottom = names
        return lambda c, values: [
            None if v is None else (a, b)
            for v, a, b in zip(values, c.ratios(top), c.ratios(bottom), strict=True)
        ]
    return lambda c, values: [
        None if v is None else _parts(ind, row)
        for v, row in zip(values, c.rows(), strict=True)
    ]
