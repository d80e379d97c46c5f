"""Totals rows of a firms table (合计, 小计, or figures that are the column sums above).

The rule is `screening.io.totals`, as `screening batch` applies it, with the firm
fields: a label in the name or credit-code cell (or the first text cell, such as 序号)
makes a totals row unless the row has a credit code and a name or an industry code;
figures that equal the sums of the rows above (money, area, energy, mass, people,
electricity) make one too. A totals row is skipped and counted, with its reason.

A table read in one process asks `Totals.skip_figures` row by row (`FirmTable`). A
table measured a batch at a time, possibly in worker processes, gets the same
answers in two steps: where a batch is measured, `summarise` records the sums of its
rows and the few rows that could be sums whatever came before the batch (the rest
cannot be: see `_could_be_sums`); the parent then folds each batch's summary, in
input order, into the one `Totals` of the table (`Fold`), asking `Totals.summed`
only about those rows. Nothing here reads a file or measures a firm.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow, localcontext
from itertools import repeat
from operator import is_
from typing import Any

from screening.evaluation.fields import FirmField
from screening.io.columns import Column, HeaderMap
from screening.io.totals import Roles, Totals

# The firm fields in the parts io.totals gives them: a firm's name is its company.
FIRM_ROLES = Roles(
    ("name", "credit_code"), ("credit_code",), ("name", "industry"), ("企业", "a firm")
)
_EXACT = Context(prec=60, traps=[Inexact, InvalidOperation, Overflow])  # io.totals'
_ZERO = Decimal(0)

# A batch's summary, as plain lists (marshalled between processes): its segments, in
# order, each the rows between two labelled totals rows that end a block:
#   (closed by a labelled row?, candidates, rows after the last candidate, their sums)
# and each candidate, a row that could be sums:
#   (row number, rows since the previous candidate, their sums, named?, its figures)
# Sums and figures are Decimal texts (exact), one per `Totals.figure_fields`, a
# figure None where the cell is empty; sums None when a candidate follows at once.
Candidate = tuple[int, int, list[str] | None, bool, list[str | None]]
Segment = tuple[bool, list[Candidate], int, list[str] | None]
Summary = list[Segment]


def firm_totals(
    columns: Iterable[tuple[int, str, str, str | None]],
    fields: Mapping[str, FirmField],
) -> Totals:
    """A table's totals-row finder: its mapped (index, header, field, unit) columns."""
    header = HeaderMap(tuple(Column(*column) for column in columns))
    kinds = {name: field.kind for name, field in fields.items()}
    return Totals(header, kinds, FIRM_ROLES)


def summarise(
    totals: Totals,
    fields: Mapping[str, FirmField],
    values: Mapping[str, Sequence[Any]],
    counted: Sequence[int],
    closing: Sequence[int],
    numbers: Sequence[int],
    named: Callable[[int], bool],
) -> Summary | None:
    """A batch's summary for `Fold`; None when the table has no sums to compare.

    `values` holds each field's values of the batch's rows (a column each, canonical
    units); `counted` the rows whose figures count towards sums (read without a bad
    cell, not blank, not labelled), `closing` the labelled rows that end a block,
    both in order; `named(i)` whether row i gives a name or a credit code.
    """
    names = totals.figure_fields
    if len(names) < 2:  # io.totals compares no sums then
        return None
    columns = [values[name] for name in names]
    watched = [fields[name].minimum is not None for name in names]  # never negative
    parts: list[tuple[list[int], bool]] = []
    start = 0
    for end in closing:
        parts.append(([i for i in counted if start <= i < end], True))
        start = end
    parts.append(([i for i in counted if i >= start], False))
    with localcontext(_EXACT):
        try:
            return [
                _segment(columns, watched, rows, closes, numbers, named)
                for rows, closes in parts
            ]
        except ArithmeticError:  # a sum past exact arithmetic: every row, one by one
            return [
                _every(columns, rows, closes, numbers, named) for rows, closes in parts
            ]


def _segment(
    columns: list[Sequence[Any]],
    watched: list[bool],
    rows: list[int],
    closes: bool,
    numbers: Sequence[int],
    named: Callable[[int], bool],
) -> Segment:
    own: list[Sequence[Any]]
    if columns and len(rows) == len(columns[0]):  # every row of the batch counts
        own = columns
    else:
        own = [[column[i] for i in rows] for column in columns]
    candidates: list[Candidate] = []
    previous = 0
    for at in _could_be_sums(own, watched, lambda at: named(rows[at])):
        sums = [str(_total(column[previous:at])) for column in own]
        figures = [_text(column[at]) for column in own]
        row = rows[at]
        candidates.append((numbers[row], at - previous, sums, named(row), figures))
        previous = at + 1
    tail = [str(_total(column[previous:])) for column in own]
    return closes, candidates, len(rows) - previous, tail


def _every(
    columns: list[Sequence[Any]],
    rows: list[int],
    closes: bool,
    numbers: Sequence[int],
    named: Callable[[int], bool],
) -> Segment:
    candidates: list[Candidate] = [
        (numbers[i], 0, None, named(i), [_text(column[i]) for column in columns])
        for i in rows
    ]
    return closes, candidates, 0, None


def _could_be_sums(
    columns: list[Sequence[Any]], watched: list[bool], named: Callable[[int], bool]
) -> list[int]:
    """The rows (of one segment) whose figures could be sums of the rows above.

    Unknown here is what came before the segment, and which of these rows are sums
    (`Fold` decides): the sums a row is compared with hold every row since the last
    row that could be sums, and more. So, in a column that is never negative, its
    figure is at least their sum; and a row fewer than two rows after such a row
    (too few for sums of its own block) could only be a total of all rows so far,
    which holds that row's figure too. A row needs 2 non-zero figures (3 if it gives
    a name or a code), as io.totals asks.
    """
    size = len(columns[0]) if columns else 0
    kept = [c for c, watch in enumerate(watched) if watch]
    if not kept:  # nothing bounds the sums: every row with figures enough
        return [at for at in range(size) if _enough(columns, at, named)]
    # the kept column with the fewest empty cells goes first: most rows stop there
    # (`is`: Decimal == None asks numbers.Rational, slowly)
    lead_at = min(kept, key=lambda c: sum(map(is_, columns[c], repeat(None))))
    lead = columns[lead_at]
    others = [columns[c] for c in kept if c != lead_at]
    out: list[int] = []
    last = -1  # the last row that could be sums
    since = _ZERO  # the lead's sum of the rows after it
    # the others' sums since `last`, of their rows up to `upto` (summed when asked)
    upto, sums = [0] * len(others), [_ZERO] * len(others)
    for at, figure in enumerate(lead):
        floor = since
        near = last >= 0 and at - last < 3
        if near and lead[last] is not None:
            floor += lead[last]
        if figure is not None and figure < floor:
            since += figure
            continue
        possible = _enough(columns, at, named)
        for k, column in enumerate(others) if possible else ():
            value = column[at]
            if value is None:
                continue
            sums[k] += _total(column[max(upto[k], last + 1) : at])
            upto[k] = at
            bound = sums[k] + (column[last] or _ZERO) if near else sums[k]
            if value < bound:
                possible = False
                break
        if possible:
            out.append(at)
            last, since = at, _ZERO
            upto, sums = [at + 1] * len(others), [_ZERO] * len(others)
        elif figure is not None:
            since += figure
    return out


def _enough(
    columns: list[Sequence[Any]], at: int, named: Callable[[int], bool]
) -> bool:
    """Whether row `at` has the non-zero figures sums need (named: asked only then)."""
    nonzero = sum(1 for column in columns if column[at])  # not None, not 0
    return nonzero >= 3 or (nonzero == 2 and not named(at))


def _total(figures: Sequence[Any]) -> Decimal:
    return sum(filter(None, figures), _ZERO)


def _text(figure: Any) -> str | None:
    return None if figure is None else str(figure)


class Fold:
    """Batch summaries, in input order, through one table's `Totals`: which rows are
    sums of the rows above, as `Totals.skip_figures` row by row would find them."""

    def __init__(self, totals: Totals) -> None:
        self.totals = totals

    def skipped(self, summary: Summary) -> dict[int, str]:
        """Row number → why it is a totals row, for this batch's rows that are."""
        totals = self.totals
        out: dict[int, str] = {}
        for closes, candidates, rows, sums in summary:
            for number, before, their_sums, named, figures in candidates:
                if their_sums is not None:
                    totals.add(list(map(Decimal, their_sums)), before)
                read = [None if f is None else Decimal(f) for f in figures]
                reason = totals.summed(read, named)
                if reason is not None:
                    out[number] = reason
            if sums is not None:
                totals.add(list(map(Decimal, sums)), rows)
            if closes:
                totals.close()
        return out
