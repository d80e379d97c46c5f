"""A column's cells at once → the values `firms.converter` gives each, and the refused.

Converting a million rows cell by cell costs a Python call per cell; most columns of
a 亩均 sheet are uniform (every cell a plain number, a 是/否, an ISO date, a valid
credit code), and such a column is converted here by a few C-level passes over the
whole column (`map(Decimal, cells)`, one regular expression over the joined codes).
Whenever a column is not uniform in that way, it is converted cell by cell with the
column's own converter, so the values are always exactly the converter's: the bulk
paths only take columns where every step the converter would take succeeds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from screening.evaluation.fields import INTENSITY, FirmField
from screening.evaluation.firms import (
    _CODE_CHARS,
    _EXACT,
    _SCALE_CELLS,
    _YES_NO_CELLS,
    EMPTY,
    LARGEST,
    SMALLEST,
    CellError,
)
from screening.model.units import UNIT_FACTORS

Read = Callable[[Any], Any]  # one cell → its value (None: empty); CellError if refused

_CODES = re.compile(r"[0-9A-HJ-NPQRTUWXY]*")
# A code's characters as base-34 digits of their values (0–30). The check sum is
# Σ value_j × 3^j mod 31 (the weights of GB 32100-2015 are 3^j mod 31), and
# 34 ≡ 3 (mod 31): so it is int(the first 17 digits reversed, 34) mod 31.
_BASE34 = str.maketrans(
    {c: "0123456789abcdefghijklmnopqrstu"[i] for i, c in enumerate(_CODE_CHARS)}
)


def read_column(
    cells: Sequence[Any], field: FirmField, unit: str | None, read: Read
) -> tuple[list[Any], list[int]]:
    """The value of each cell (None for an empty one) and the positions `read` refuses.

    `read` is `firms.converter(field, unit)`; a refused cell's value is None.
    """
    bulk = _BULK.get(_kind(field, unit))
    if bulk is not None and cells:
        values = bulk(cells, field, unit)
        if values is not None:
            return values, []
    return _each(cells, read)


def _each(cells: Sequence[Any], read: Read) -> tuple[list[Any], list[int]]:
    out: list[Any] = []
    refused: list[int] = []
    append = out.append
    for i, cell in enumerate(cells):
        if cell is None or cell == "":  # empty: not converted (as firms._firm)
            append(None)
            continue
        try:
            append(read(cell))
        except CellError:
            append(None)
            refused.append(i)
    return out, refused


def _kind(field: FirmField, unit: str | None) -> str:
    if field.name == "credit_code":
        return "code"
    if field.is_amount:
        return "amount" if field.kind != INTENSITY else "other"
    return field.kind


def _amounts(cells: Sequence[Any], field: FirmField, unit: str | None) -> Any:
    factor = UNIT_FACTORS[field.kind].get(unit.lower()) if unit else None
    if unit and factor is None:
        return None
    kinds = set(map(type, cells))
    if kinds == {str}:
        if "_" in "".join(cells):  # Decimal reads 1_000; the converter does not
            return None
        try:
            numbers = list(map(Decimal, cells))
        except InvalidOperation:
            return None
    elif kinds <= {int, float}:
        numbers = [Decimal(repr(v)) if type(v) is float else Decimal(v) for v in cells]
    else:
        return None
    if not all(map(Decimal.is_finite, numbers)):
        return None
    if factor is not None:
        try:
            numbers = [_EXACT.multiply(number, factor) for number in numbers]
        except ArithmeticError:
            return None
    least = min(numbers)
    if field.minimum == "positive" and least <= 0:
        return None
    if field.minimum == "non_negative" and least < 0:
        return None
    # beyond what a cell holds (firms.in_range): the column cell by cell, which words it
    if least < -LARGEST or max(numbers) > LARGEST:
        return None
    if least < SMALLEST and any(x and -SMALLEST < x < SMALLEST for x in numbers):
        return None
    return numbers


def _texts(cells: Sequence[Any], field: FirmField, unit: str | None) -> Any:
    if set(map(type, cells)) != {str} or "\ufffd" in "".join(cells):
        return None
    stripped = [cell.strip() for cell in cells]
    return [None if text.lower() in EMPTY else text for text in stripped]


def _lookup(table: dict[str, Any]) -> Any:
    def lookup(cells: Sequence[Any], field: FirmField, unit: str | None) -> Any:
        if set(map(type, cells)) != {str}:
            return None
        values = list(map(table.get, cells))
        return None if None in values else values

    return lookup


def _dates(cells: Sequence[Any], field: FirmField, unit: str | None) -> Any:
    if set(map(type, cells)) != {str} or set(map(len, cells)) != {10}:
        return None
    try:
        return list(map(dt.date.fromisoformat, cells))
    except ValueError:
        return None


def _codes(cells: Sequence[Any], field: FirmField, unit: str | None) -> Any:
    if set(map(type, cells)) != {str} or set(map(len, cells)) != {18}:
        return None
    joined = "".join(cells)
    if _CODES.fullmatch(joined) is None:
        return None
    checks = "".join(
        [_CODE_CHARS[-int(c.translate(_BASE34)[16::-1], 34) % 31] for c in cells]
    )
    return list(cells) if checks == joined[17::18] else None


def _integers(cells: Sequence[Any], field: FirmField, unit: str | None) -> Any:
    kinds = set(map(type, cells))
    if kinds == {int}:
        return list(cells)
    if kinds == {str}:
        joined = "".join(cells)
        if joined.isascii() and joined.isdigit():
            return list(map(int, cells))
    return None


_BULK = {
    "amount": _amounts,
    "text": _texts,
    "bool": _lookup(_YES_NO_CELLS),
    "scale": _lookup(_SCALE_CELLS),
    "date": _dates,
    "code": _codes,
    "integer": _integers,
}
