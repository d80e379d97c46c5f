"""Totals rows of a spreadsheet (合计, 小计, 平均 …): told apart from projects.

A row is a totals row when

* its name or id cell, or its first non-empty text cell (the 序号 column often holds
  it), says so: after removing spaces, punctuation and a bracketed note ("合 计",
  "总计:", "合计（万元）", "Total"), it is one of 合计 小计 总计 共计 累计 汇总 总和
  平均 均值 (a leading qualifier such as 本页 全年 一季度 allowed when the text ends
  with the word, up to 12 characters; a text starting with 合计 小计 总计 共计 汇总 is one
  unless it goes on into a firm's or project's name, 汇总物流设备有限公司 or
  总计量检测有限公司), or total / subtotal / sum / average / mean,
  unless the row also has a project id (not itself such a word) and a company or an
  industry code, as a project has and a totals row does not (B5, 汇总表说明, 戊公司,
  C3985 is a project); or
* its figures are the column sums, exactly (in Decimal, in canonical units), of the
  data rows since the last totals row or of all data rows so far (subtotals, then a
  grand total): at least two rows summed, every figure the row gives equals its sum,
  and at least 2 of them are not zero if the row has neither name nor id, 3 if it
  has one. Only additive quantities count (money, area, energy, electricity, mass,
  people); shares and ratios are not summed.

A coincidence that a real project's figures equal the sums of two or more rows above
in three columns at once is what this accepts as the risk; such a row is reported as
skipped with its reason, so it is seen, never silently screened or lost.

The fields are the project contract's (`screening.io.columns`) unless a table of
another kind says which of its fields hold what (`Roles`) and each field's kind, as
the yearly evaluation's firm tables do; a reader that has read a row's figures
itself passes them (`skip_figures`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import (
    Context,
    Decimal,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from itertools import accumulate, repeat
from operator import add, eq, is_, itemgetter
from typing import Any, NamedTuple, cast

from screening.io.columns import FIELD_KINDS, HeaderMap
from screening.io.tables import float_text, number_text, read_floats
from screening.model.units import UNIT_FACTORS, UnitError, bare_digits, parse_amount

_WORDS = "合计|小计|总计|共计|累计|汇总|总和|平均值|平均|均值"
_EXACT_WORD = re.compile(
    rf"(?:{_WORDS}|total|subtotal|grandtotal|sum|average|mean)(?:数|值|金额)?"
)
_ENDS_WITH_WORD = re.compile(rf".{{0,10}}(?:{_WORDS})(?:数|值|金额)?")
# a label that starts with the word and goes on (汇总表说明, 合计 本页) — unless it goes
# on into the name of a firm or a project (汇总物流设备有限公司, 总计量检测有限公司)
_STARTS_WITH_WORD = re.compile(r"(?:合计|小计|总计|共计|汇总).{0,10}")
_AN_ENTITY = re.compile(
    r".*(?:公司|厂|集团|合作社|商行|店|事务所|院|所|中心|项目|工程|基地)"
)
# every word above holds one of these (or is Latin): a quick test first
_MAYBE = re.compile(r"[计汇和均計匯]|total|sum|average|mean|ｔ|ｓ|ａ|ｍ", re.I)
# what _MAYBE finds, as plain substrings of casefolded text (a char matches one of
# these letters ignoring case exactly when it casefolds to it): searched at once
_MAYBE_PARTS = (
    *("计", "汇", "和", "均", "計", "匯", "total", "sum", "average", "mean"),
    *("ｔ", "ｓ", "ａ", "ｍ"),
)
_NOTE = re.compile(r"[(（【\[][^)）】\]]*[)）】\]]")
_NOISE = re.compile(r"[\s:：,，.。、;；\-—_*#/]+")
# what offices type in a cell for "none" (a company cell of a totals row, say)
_PLACEHOLDERS = {"", "无", "n/a", "na", "N/A", "NA", "null", "none", "—", "－"}
_ADDITIVE = {"money", "area", "energy", "electricity", "mass", "count"}
_SUMS = Context(prec=60, traps=[Inexact, InvalidOperation, Overflow])
_ZERO = Decimal(0)
_NAN = Decimal("NaN")  # equal to nothing, compared quietly
_ONE = Decimal(1)


class Roles(NamedTuple):
    """Which fields of a table name its rows, and what its rows are."""

    labels: tuple[str, ...]  # the name and id fields: a label is looked for there first
    ids: tuple[str, ...]  # an id, with a mark, makes a labelled row an entry still
    marks: tuple[str, ...]  # a company or an industry code
    noun: tuple[str, str]  # what a row that is no totals row is: (项目, a project)


PROJECT_ROLES = Roles(
    ("name", "id"), ("id",), ("company", "industry"), ("项目", "a project")
)


def totals_label(text: str) -> bool:
    """Whether a cell's text names a totals row (合计, 小 计, 总计:, Total …)."""
    if len(text) > 40 or not _MAYBE.search(text):
        return False
    folded = _NOISE.sub("", _NOTE.sub("", unicodedata.normalize("NFKC", text))).lower()
    if not folded or any(char.isdigit() for char in folded):
        return False
    return bool(
        _EXACT_WORD.fullmatch(folded)
        or (len(folded) <= 12 and _ENDS_WITH_WORD.fullmatch(folded))
        or (
            len(folded) <= 12
            and _STARTS_WITH_WORD.fullmatch(folded) is not None
            and _AN_ENTITY.fullmatch(folded) is None
        )
    )


class Totals:
    """Tells a table's totals rows from its projects, row by row, in order."""

    def __init__(
        self,
        header: HeaderMap,
        kinds: Mapping[str, str] = FIELD_KINDS,
        roles: Roles = PROJECT_ROLES,
    ) -> None:
        self._labels = [c.index for c in header.columns if c.field in roles.labels]
        self._names = self._labels
        self._ids = [c.index for c in header.columns if c.field in roles.ids]
        # a project's marks beside its id: a totals row rarely names a company or an
        # industry code (subtotals by industry keep theirs in the label, C26 小计)
        self._marks = [c.index for c in header.columns if c.field in roles.marks]
        self._noun = roles.noun
        # (column index, header, field path, kind, factor of its unit)
        self._figures: list[tuple[int, str, tuple[str, ...], str, Decimal]] = []
        self._fields: list[str] = []
        for column in header.columns:
            kind = kinds.get(column.field, "")
            if kind in _ADDITIVE:
                factors = UNIT_FACTORS[kind]
                factor = factors.get(column.unit or "", Decimal(1))
                path = tuple(column.field.split("."))
                self._figures.append((column.index, column.header, path, kind, factor))
                self._fields.append(column.field)
        # sums of the rows since the last totals row, and of the rows before them
        self._block = [_ZERO] * len(self._figures)
        self._block_rows = 0
        self._closed = [_ZERO] * len(self._figures)
        self._closed_rows = 0
        self._summing = len(self._figures) >= 2
        # each figure column's readings (its cell → Decimal): figures repeat down a
        # column, and a column of unique figures does not push another's out
        self._known: list[dict[Any, Decimal]] = [{} for _ in self._figures]

    @property
    def figure_fields(self) -> tuple[str, ...]:
        """The field of each figure column summed, in the order `skip_figures` takes."""
        return tuple(self._fields)

    def labelled(self, cells: Sequence[object]) -> str | None:
        """The skip reason when a cell labels the row as totals, else None.

        A row with a project id and a company or an industry code is a project
        whatever its name says (B5, 汇总表说明, 戊公司, C3985): no label skips it.
        """
        label = self._label(cells)
        if label is None or self._a_project(cells):
            return None
        return _labelled(label, self._noun)

    def labelled_rows(self, rows: Sequence[Sequence[object]]) -> list[str | None]:
        """`labelled` of each row (a search over the chunk's texts first)."""
        return self._labels_of(rows)

    def _label(self, cells: Sequence[object]) -> str | None:
        for index in self._labels:
            text = cells[index] if index < len(cells) else None
            if isinstance(text, str) and totals_label(text):
                return text
        for index, value in enumerate(cells):
            if value is None or value == "":
                continue
            if index not in self._labels and type(value) is str and totals_label(value):
                return value
            break
        return None

    def _a_project(self, cells: Sequence[object]) -> bool:
        """Whether the row has an id (not itself a totals label, as 序号 合计 is) and
        a company or an industry code."""
        width = len(cells)

        def given(index: int) -> bool:
            value = cells[index] if index < width else None
            if isinstance(value, str):
                text = _NOISE.sub("", value)
                return bool(text) and text not in _PLACEHOLDERS
            return value is not None

        def an_id(index: int) -> bool:
            value = cells[index] if index < width else None
            return given(index) and not (isinstance(value, str) and totals_label(value))

        return any(map(an_id, self._ids)) and any(map(given, self._marks))

    def skip(self, cells: Sequence[object], data: dict[str, Any]) -> str | None:
        """Why this data row is not a project, or None (then it counts towards sums)."""
        return self._skip(cells, data, self.labelled(cells))

    def skip_figures(
        self, cells: Sequence[object], figures: Sequence[Decimal | None]
    ) -> str | None:
        """`skip` of a data row whose figures the caller read: one per `figure_fields`,
        exact, in its kind's canonical unit (万元, 亩 …), None where the cell is empty."""
        label = self.labelled(cells)
        if label is not None:
            self._reset()
            return label
        return self.summed(figures, self.named(cells))

    def named(self, cells: Sequence[object]) -> bool:
        """Whether the row gives a name or an id (then 3 sums are needed, not 2)."""
        return any(
            index < len(cells) and cells[index] not in (None, "")
            for index in self._names
        )

    def summed(self, figures: Sequence[Decimal | None], named: bool) -> str | None:
        """The skip reason when these figures of a row with no label are the sums of
        the rows above; else None, and they are added to the sums."""
        if not self._summing:
            return None
        needed = 3 if named else 2
        block, closed = self._block, self._closed
        try:
            matched = _matches(figures, block, self._block_rows, needed)
            rows = self._block_rows
            if not matched and self._closed_rows:
                # all rows so far: the rows before this block and the block
                rows = self._closed_rows + self._block_rows
                matched = _matches(figures, _Sums(closed, block), rows, needed)
            if matched:
                headers = "、".join(self._figures[i][1] for i in matched[:3])
                self._reset()
                zh, en = self._noun
                return (
                    f"{headers} 等于上方 {rows} 行之和，视为合计行，不是{zh} / "
                    f"{headers} equal the sums of the {rows} rows above: "
                    f"a totals row, not {en}"
                )
            add = _SUMS.add
            for i, figure in enumerate(figures):
                if figure is not None:
                    block[i] = add(block[i], figure)
        except ArithmeticError:
            self._summing = False
        self._block_rows += 1
        return None

    def add(self, sums: Sequence[Decimal], rows: int) -> None:
        """Count `rows` data rows known to be no totals rows, by their figures' sums
        (as `summed` would add them one by one): a chunk summed elsewhere."""
        if not self._summing or not rows:
            return
        try:
            self._block = [
                _SUMS.add(a, b) for a, b in zip(self._block, sums, strict=True)
            ]
        except ArithmeticError:
            self._summing = False
        self._block_rows += rows

    def close(self) -> None:
        """A labelled totals row the caller found (`labelled`): its block ends there."""
        self._reset()

    def skips(
        self, rows: Sequence[tuple[Sequence[object], dict[str, Any]]]
    ) -> list[str | None]:
        """`skip` of each of these data rows, in order: the same answers, a chunk at once.

        The rows that are not labelled and whose figures equal no sum in any column
        cannot be totals: their figures are summed a column at a time; only the others
        go through `skip`'s own steps.
        """
        labels = self._labels_of([cells for cells, _ in rows])
        reasons: list[str | None] = [None] * len(rows)
        start = 0
        while start < len(rows):
            stop = self._plain_until(rows, labels, start) if self._summing else start
            if stop < 0:  # a sum past exact arithmetic: row by row, as `skip` finds it
                stop = start
                for at in range(start, len(rows)):
                    reasons[at] = self._skip(*rows[at], labels[at])
                break
            if stop < len(rows):
                reasons[stop] = self._skip(*rows[stop], labels[stop])
            start = stop + 1
        return reasons

    def _labels_of(self, rows: Sequence[Sequence[object]]) -> list[str | None]:
        """`labelled` of each row; one search first over the texts it would look at."""
        texts: list[str] = []
        wide = bool(rows) and min(map(len, rows)) > max(self._labels, default=0)
        if wide:  # a column at a time: the label columns, then each row's first cell
            # (each column once: the first cell is often the id's, a label column)
            for index in dict.fromkeys((*self._labels, 0)):
                column = list(map(itemgetter(index), rows))
                if index == 0 and (None in column or "" in column):
                    wide = False  # rows whose first cell is empty: row by row
                    break
                if _STR.issuperset(map(type, column)):
                    texts += column
                else:
                    texts += [value for value in column if type(value) is str]
        if not wide:
            texts.clear()
            for cells in rows:
                width = len(cells)
                for index in self._labels:
                    value = cells[index] if index < width else None
                    if type(value) is str:
                        texts.append(value)
                for value in cells:
                    if value is None or value == "":
                        continue
                    if type(value) is str:
                        texts.append(value)
                    break
        folded = "\x00".join(texts).casefold()
        if not any(part in folded for part in _MAYBE_PARTS):
            return [None] * len(rows)
        return [self.labelled(cells) for cells in rows]

    def _plain_until(
        self,
        rows: Sequence[tuple[Sequence[object], dict[str, Any]]],
        labels: Sequence[str | None],
        start: int,
    ) -> int:
        """Sum the rows from `start` that cannot be totals; the first that may be (or
        len(rows)); -1 when a sum is past exact arithmetic (nothing summed then)."""
        limit = next(
            (at for at in range(start, len(rows)) if labels[at] is not None), len(rows)
        )
        columns: list[list[Decimal | None]] = []
        cells_of = list(map(itemgetter(0), rows[start:limit]))  # once, for each column
        narrowest = min(map(len, cells_of), default=0)
        for spec, known in zip(self._figures, self._known, strict=True):
            if len(cells_of) > limit - start:  # a figure before could not be read
                cells_of = cells_of[: limit - start]
            column, failed = _figure_column(
                rows, start, cells_of, narrowest, spec, known
            )
            limit = min(limit, failed)
            columns.append(column)
        count = limit - start
        if not count:
            return start
        try:
            runnings: list[list[Decimal]] = []
            plain = count  # the first row whose figure equals its column's sum
            # `+` in the context of exact sums: it signals as `_SUMS.add` does, at
            # less than half the cost a figure
            with localcontext(_SUMS):
                for i, column in enumerate(columns):
                    given = column[:count]
                    part: list[Decimal] = (
                        [_ZERO if value is None else value for value in given]
                        if any(map(is_, given, repeat(None)))
                        else cast(list[Decimal], given)
                    )
                    # an absent or zero figure is no sign of a totals row
                    probe = part if all(part) else [f if f else _NAN for f in part]
                    running = list(accumulate(part, add, initial=self._block[i]))
                    runnings.append(running)
                    equal = list(map(eq, probe, running))
                    if True in equal:
                        plain = min(plain, equal.index(True))
                    if self._closed_rows:
                        first = self._closed[i] + self._block[i]
                        every = accumulate(part, add, initial=first)
                        equal = list(map(eq, probe, every))
                        if True in equal:
                            plain = min(plain, equal.index(True))
        except ArithmeticError:
            return -1
        # the sums up to the row that may be totals
        self._block = [running[plain] for running in runnings]
        self._block_rows += plain
        return start + plain

    def _skip(
        self, cells: Sequence[object], data: dict[str, Any], reason: str | None
    ) -> str | None:
        if reason is not None:
            self._reset()
            return reason
        if not self._summing:
            return None
        figures = self._figures_of(cells, data)
        if figures is None:  # a figure past exact sums: no more sums for this table
            self._summing = False
            return None
        return self.summed(figures, self.named(cells))

    def _reset(self) -> None:
        try:
            pairs = zip(self._closed, self._block, strict=True)
            self._closed = [_SUMS.add(a, b) for a, b in pairs]
        except ArithmeticError:
            self._summing = False
        self._closed_rows += self._block_rows
        self._block = [_ZERO] * len(self._figures)
        self._block_rows = 0

    def _figures_of(
        self, cells: Sequence[object], data: dict[str, Any]
    ) -> list[Decimal | None] | None:
        figures: list[Decimal | None] = []
        append = figures.append
        width = len(cells)
        for (index, _, path, kind, factor), known in zip(
            self._figures, self._known, strict=True
        ):
            raw = cells[index] if index < width else None
            if raw is None or raw == "":
                append(None)
                continue
            try:
                number = _figure(raw, known)
                if number is None:  # as read: a unit of its own, separators, full width
                    node: Any = data
                    for key in path:
                        node = node.get(key) if isinstance(node, dict) else None
                    append(None if node is None else parse_amount(str(node), kind))
                    continue
                append(number if factor == _ONE else _SUMS.multiply(number, factor))
            except (UnitError, ArithmeticError):
                return None
        return figures


def _figure_column(
    rows: Sequence[tuple[Sequence[object], dict[str, Any]]],
    start: int,
    cells_of: list[Sequence[object]],
    narrowest: int,
    spec: tuple[int, str, tuple[str, ...], str, Decimal],
    known: dict[Any, Decimal],
) -> tuple[list[Decimal | None], int]:
    """One column's figures of the rows from `start` (their cells: `cells_of`, the
    shortest `narrowest` long), as `_figures_of` reads them, and the row where one
    cannot be read (the end of `cells_of` if none)."""
    index, _, path, kind, factor = spec
    limit = start + len(cells_of)
    if cells_of and narrowest > index:
        raws: list[Any] = list(map(itemgetter(index), cells_of))
    else:
        raws = [cells[index] if index < len(cells) else None for cells in cells_of]
    figures: list[Decimal | None]
    if _PLAIN_TYPES.issuperset(map(type, raws)):
        # the figures already known looked up at once (an int equals only the whole
        # float it reads as; a bool, equal to 1 or 0, is not a figure: not here)
        figures = list(map(known.get, raws))
        if any(map(is_, figures, repeat(None))) and not _new_floats(
            raws, figures, known
        ):
            for at, figure in enumerate(figures):
                if figure is None:
                    figures[at] = _figure(raws[at], known)
    else:
        figures = [_figure(raw, known) for raw in raws]
    # `is`, not `in`: Decimal == None asks numbers.Rational, slowly
    if factor != _ONE or any(map(is_, figures, repeat(None))):
        for at, raw in enumerate(raws):
            figure = figures[at]
            try:
                if figure is None:
                    if raw is None or raw == "":
                        continue
                    node: Any = rows[start + at][1]
                    for key in path:
                        node = node.get(key) if isinstance(node, dict) else None
                    figures[at] = (
                        None if node is None else parse_amount(str(node), kind)
                    )
                elif factor != _ONE:
                    figures[at] = _SUMS.multiply(figure, factor)
            except (UnitError, ArithmeticError):
                return figures[:at], start + at
    return figures, limit


def _new_floats(
    raws: list[Any], figures: list[Decimal | None], known: dict[Any, Decimal]
) -> bool:
    """Fill in `figures` where None (not in `known`) when every raw cell is a float
    whose text `read_floats` reads, all at once, as `_figure` reads each; whether
    it did."""
    if not _FLOAT.issuperset(map(type, raws)):
        return False
    read = read_floats(raws, figures, known, _KEPT, Decimal)
    if read is None:
        return False
    figures[:] = read
    return True


def _figure(raw: Any, known: dict[Any, Decimal]) -> Decimal | None:
    """A plain figure as typed (4500, 41000.5, "52000"), or None: read it as text.

    Floats and ints are kept in `known` (a column's: figures repeat down it).
    """
    kind = type(raw)
    if kind is str:
        if bare_digits(raw):
            return Decimal(raw)
        return None
    if kind is not float and kind is not int:
        return None
    number = known.get(raw)
    if number is None:
        if kind is float:
            if not math.isfinite(raw):
                return None
            number = Decimal(float_text(raw))
        else:
            number = Decimal(number_text(raw))
        if len(known) >= _KEPT:
            known.clear()
        known[raw] = number
    return number


_KEPT = 4096  # readings kept per column (cleared when full)
_PLAIN_TYPES = frozenset({float, int, str, type(None)})
_STR = frozenset({str})
_FLOAT = frozenset({float})


def _labelled(text: str, noun: tuple[str, str]) -> str:
    shown = text.strip()
    return f"合计行（{shown}），不是{noun[0]} / a totals row ({shown}), not {noun[1]}"


class _Sums:
    """Two lists of sums added item by item, only for the items looked at."""

    def __init__(self, first: list[Decimal], second: list[Decimal]) -> None:
        self._first, self._second = first, second

    def __getitem__(self, index: int) -> Decimal:
        return _SUMS.add(self._first[index], self._second[index])


def _matches(
    figures: Sequence[Decimal | None], sums: Any, rows: int, needed: int
) -> list[int]:
    """The columns whose figure equals its sum, if every figure does and enough do."""
    if rows < 2:
        return []
    matched = []
    for i, figure in enumerate(figures):
        if figure is None:
            continue
        if figure != sums[i]:
            return []
        if figure != _ZERO:
            matched.append(i)
    return matched if len(matched) >= needed else []
