"""Batch inputs (CSV, XLSX, JSONL, a folder of project files) → numbered rows.

Every reader streams: memory does not grow with the number of rows. A row is a nested
project mapping with canonical keys, the reason it could not be read (its row number,
column and why), or why it is not a project (a totals row: `screening.io.totals`); a
bad row never stops the others. Tables are opened through `screening.io.tables`,
within `Limits`. Values are only made readable here (units appended, 是/否 →
true/false); the project model validates them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from itertools import islice, repeat
from operator import contains, is_, itemgetter, setitem
from pathlib import Path
from typing import Any, NamedTuple, cast

from screening.cases import CASE_KEYS
from screening.errors import Diagnostic, SourceSpan, YamlError
from screening.findings import new_record
from screening.io.columns import (
    FIELD_KINDS,
    UNKNOWN_HEADER,
    Column,
    HeaderIssue,
    HeaderMap,
    header_matcher,
    map_headers,
    match_header,
)
from screening.io.tables import (
    DEFAULT_LIMITS,
    DELIMITERS,
    HEADER_SCAN,
    WORKBOOKS,
    Cells,
    ClosingRows,
    HeaderNotFound,
    InputError,
    Limits,
    Overlong,
    UncomputedFormula,
    float_text,
    number_text,
    open_table,
    read_floats,
)
from screening.io.totals import Totals
from screening.model.project import CHOICE_ALIASES, NO, YES
from screening.model.units import (
    PLAIN_NUMBER,
    UNIT_FACTORS,
    UnitError,
    bare_digits,
    date_message,
    parse_amount,
    ungrouped,
)
from screening.source import load_yaml_file

LINES = {".jsonl", ".ndjson"}
PROJECT_FILES = {".yaml", ".yml", ".json"}

# Top-level keys of the project contract: JSONL objects keep them as they are.
_TOP = {path.split(".", 1)[0] for path in FIELD_KINDS} | {"extra"}


@dataclass(frozen=True)
class RowError:
    """Why a row was not read: the column (header text) and the reason."""

    column: str | None
    reason: str


class Row(NamedTuple):
    """One input row: where it came from, its project mapping, or why it is invalid.

    A named tuple: a reader makes one for every row, `_data_row` and `_text_row` with
    every field in order and no keyword defaults filled.
    """

    source: str
    # As the user sees it: spreadsheet row (header = 1), JSONL line, file index.
    number: int
    data: dict[str, Any] | None
    error: RowError | None = None
    # a JSONL line read with `deferred=True`, parsed by whoever screens it (`parse_deferred`):
    # a batch's worker processes parse in parallel what the reading process would parse alone
    text: str | None = None
    # not a project (a totals row such as 合计): why, as the user is told; never screened
    skip: str | None = None


def _data_row(source: str, number: int, data: dict[str, Any]) -> Row:
    """`Row(source, number, data)`: a table's reader makes one for every row."""
    return new_record(Row, (source, number, data, None, None, None))


class RowStream(ClosingRows[Row]):
    """The rows of one input, and what opening it learnt: encoding, header, warnings."""

    def __init__(
        self,
        source: str,
        rows: Iterator[Row],
        *,
        format: str,
        encoding: str | None = None,
        header: HeaderMap | None = None,
        header_rows: tuple[int, ...] = (),
        warnings: tuple[Diagnostic, ...] = (),
        on_close: Callable[[], None] | None = None,
        blocks: Callable[[], Generator[Row | LineBlock, None, None]] | None = None,
    ) -> None:
        super().__init__(rows, on_close)
        self.source = source
        self.format = format
        self.encoding = encoding
        self.header = header
        self.header_rows = header_rows
        self.warnings = warnings
        self._blocks = blocks

    def blocks(self) -> Iterator[Row | LineBlock]:
        """The rows to come, those of a JSONL input read deferred as `LineBlock`s (the
        lines unsplit, cut at line ends: `block_rows` splits them where they are
        parsed); any other input's as rows. Instead of iterating the stream itself."""
        if self._blocks is None:
            yield from self
            return
        items, self._blocks = self._blocks(), None
        closing = self._close

        def close() -> None:
            items.close()
            if closing is not None:
                closing()

        self._close = close
        try:
            yield from items
        finally:
            self.close()


def read_rows(
    path: Path | str,
    columns: dict[str, str] | None = None,
    *,
    sheet: str | None = None,
    deferred: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> RowStream:
    """Open a batch input and stream its rows; `columns` adds header → field maps.

    With `deferred`, JSONL lines come unparsed (`Row.text`); see `parse_deferred`.
    `limits` bounds what the input may hold (`screening.io.tables.Limits`).
    """
    p = Path(path)
    if p.is_dir():
        return _read_folder(p)
    if not p.is_file():
        raise InputError("找不到输入文件 / input not found", SourceSpan(str(p)))
    suffix = p.suffix.lower()
    if suffix in LINES:
        return _read_jsonl(p, columns, deferred, limits)
    if suffix in DELIMITERS or suffix in WORKBOOKS or suffix == ".xls":
        return _read_table(p, columns, sheet, limits)
    raise InputError(
        f"不支持的输入格式 {suffix or '（无扩展名）'}"
        "（可用：.csv .tsv .xlsx .jsonl 或文件夹）/ "
        "unsupported input format",
        SourceSpan(str(p)),
    )


# ---- cells → values ------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read for its column."""


_ABSENT = object()
# Placeholders offices type for "no value"; they mean absent, never zero.
_EMPTY = {"", "-", "--", "—", "——", "－", "/", "n/a", "na", "#n/a", "null", "none"}
# the model's words, plus the tick and cross marks spreadsheets use
_TRUE = YES | {"√", "✓", "✔"}
_FALSE = NO | {"×", "✗", "✘"}
# the model's names for each choice, plus the short and long forms found in spreadsheets
_CHOICES = {
    "catalogue": {
        **CHOICE_ALIASES["catalogue"],
        "鼓励": "encouraged",
        "允许": "permitted",
        "限制": "restricted",
        "淘汰": "eliminated",
        **{
            value: value
            for value in ("encouraged", "permitted", "restricted", "eliminated")
        },
    },
    "eia": {
        **CHOICE_ALIASES["eia"],
        "环境影响报告书": "report",
        "环境影响报告表": "report_table",
        "环境影响登记表": "registration",
        "reporttable": "report_table",
        **{value: value for value in ("report", "report_table", "registration")},
    },
}
_CHOICE_HINT = {
    "catalogue": "鼓励类/允许类/限制类/淘汰类",
    "eia": "报告书/报告表/登记表",
}
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}


def _number_text(value: int | float | Decimal) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise CellError("数值不是有限数 / number is not finite")
    return number_text(value)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return _number_text(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return _date_text(value)
    return str(value).strip()


def _date_text(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()  # a date, as Excel stores one
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return value.isoformat()


def _amount(value: object, kind: str, unit: str | None) -> str:
    if isinstance(value, bool):
        raise CellError("应为数值，不是是/否 / expected a number, not yes/no")
    if isinstance(value, (dt.date, dt.time)):
        shown = _date_text(value) if isinstance(value, dt.date) else str(value)
        raise CellError(date_message(shown))
    if type(value) is float or type(value) is int:
        text = _number_text(value)  # digits only: valid whatever the unit
        if len(text) < 16 and "e" not in text:
            return f"{text}{unit}" if unit else text
    else:
        text = _text(value)
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text)  # full-width digits, ．, ％
        if len(text) < 16 and bare_digits(text):
            return f"{text}{unit}" if unit else text
    if unit and PLAIN_NUMBER.fullmatch(text):
        text = f"{text}{unit}"
    try:
        parse_amount(text, kind)
    except UnitError as exc:
        raise CellError(str(exc)) from None
    return text


def _integer(value: object) -> int:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if math.isfinite(value) and value == int(value):
            return int(value)
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        match = re.fullmatch(r"第?(\d+|[一二三四五六七])[类等]?", text)
        if match:
            digit = match.group(1)
            return int(digit) if digit.isdigit() else _CHINESE_DIGITS[digit]
    raise CellError(
        f"应为整数（如 2 或 二类）/ expected a whole number, got {_text(value)!r}"
    )


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"应为 是/否 / expected yes or no, got {_text(value)!r}")


def _choice(value: object, kind: str) -> str:
    text = _text(value)
    found = _CHOICES[kind].get(text)
    if found is None:
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()
        found = _CHOICES[kind].get(text)
    if found is None:
        raise CellError(
            f"无法识别「{_text(value)}」（应为 {_CHOICE_HINT[kind]}）/ "
            "not one of the accepted values"
        )
    return found


def _extra(value: object) -> object:
    # Types of extra.* inputs are declared by the rule set, unknown here: only plain
    # numbers are made numbers, so `extra.rating >= 80` compares numbers.
    if isinstance(value, (bool, int, Decimal)):
        return value
    if isinstance(value, float):
        return Decimal(_number_text(value))
    text = _text(value)
    if PLAIN_NUMBER.fullmatch(text):
        try:
            return Decimal(ungrouped(text))
        except (ArithmeticError, UnitError):  # kept as typed: its declared type's
            return text  # reading refuses it, or a text compares as text
    return text


Convert = Callable[[object], object]


def _converter(field: str, unit: str | None) -> Convert:
    """How a column's present cells are read: chosen once per column, not per cell."""
    kind = FIELD_KINDS.get(field, "extra")
    if kind in UNIT_FACTORS:
        return lambda value: _amount(value, kind, unit)
    if kind == "integer":
        return _integer
    if kind == "bool":
        return _flag
    if kind in _CHOICES:
        return lambda value: _choice(value, kind)
    if kind == "extra":
        return _extra_in(unit) if unit else _extra
    return _text


def _extra_in(unit: str) -> Convert:
    """An extra.* column headed with a unit (建筑密度(%)): its plain numbers carry the
    unit, which the rule set's declared input reads (45 → "45%" → 0.45)."""

    def read(value: object) -> object:
        found = _extra(value)
        if isinstance(found, (int, Decimal)) and not isinstance(found, bool):
            return f"{found}{unit}"
        return found

    return read


def _overlong(value: Overlong) -> CellError:
    if value.line:
        return CellError(
            f"所在行超过 {value.limit:,} 个字符，在此列截断，未读取 / "
            f"the line is longer than {value.limit:,} characters (cut in this "
            "column), not read"
        )
    return CellError(
        f"单元格超过 {value.limit:,} 个字符，无法读取 / "
        f"cell longer than {value.limit:,} characters"
    )


def _uncomputed(value: UncomputedFormula) -> CellError:
    return CellError(value.reason)


def _present(value: object) -> bool:
    """False for an empty cell or a placeholder for "no value" (absent, never zero)."""
    if value is None:
        return False
    if type(value) is str:
        # placeholders are short: only those are compared, after folding
        return not (len(value) <= 6 and value.strip().lower() in _EMPTY)
    return True


def _read_cell(value: object, convert: Convert) -> object:
    if type(value) is Overlong:
        raise _overlong(value)
    if type(value) is UncomputedFormula:
        raise _uncomputed(value)
    if not _present(value):
        return _ABSENT
    if type(value) is str and "\ufffd" in value:
        # Bytes the file's encoding could not decode (read with errors="replace"):
        # this row's text is damaged, the other rows are not.
        raise CellError(
            "含无法解码的字节，请检查文件编码 / undecodable bytes in this cell"
        )
    return convert(value)


def convert_cell(value: object, column: Column) -> object:
    """One cell as the project model reads it; `_ABSENT` for an empty cell."""
    return _read_cell(value, _converter(column.field, column.unit))


ReadAll = Callable[[Sequence[object]], list[object]]
"""A column's cells → what `Convert` gives for each, in one call."""


class _Column(NamedTuple):
    """A mapped column as its rows are read (a tuple: unpacked once per chunk)."""

    place: int  # 0-based, in the row (`index` would shadow tuple.index)
    header: str
    read: Convert  # a cell → its value, `_ABSENT`, or the `CellError` it raises
    failures: list[CellError]  # what `read` returned as errors since last cleared
    parents: tuple[str, ...]
    leaf: str
    read_all: ReadAll  # `read` of each cell of a chunk's column, as a list


def _column(column: Column) -> _Column:
    *parents, leaf = column.field.split(".")
    failures: list[CellError] = []
    read, read_all = _column_reader(column.field, column.unit, failures)
    return _Column(
        column.index, column.header, read, failures, tuple(parents), leaf, read_all
    )


# The cell types whose equal values read alike in a column's `known` results (its
# keys are floats and texts: an int equals only the whole float it reads as; a bool
# equals 1 or 0 and a Decimal 3.0 equals 3.0, but neither reads as that float does).
_PLAIN_TYPES = frozenset({float, int, str, type(None)})


def _known_first(read: Convert, known: dict[Any, Any]) -> ReadAll:
    """`read` of each cell, looked up in `known` (cell → `read`'s answer) at C speed
    where the cells' types allow it, `read` itself only for the others."""

    def read_all(cells: Sequence[object]) -> list[object]:
        if not _PLAIN_TYPES.issuperset(map(type, cells)):
            return list(map(read, cells))
        part: list[object] = list(map(known.get, cells))
        if any(map(is_, part, repeat(None))):  # `read` never answers None
            for at, value in enumerate(part):
                if value is None:
                    part[at] = read(cells[at])
        return part

    return read_all


def _amounts(read: Convert, known: dict[Any, Any], suffix: str) -> ReadAll:
    """`_known_first` for a figure column: its floats not known yet (unique figures
    are the common column) read at once (`read_floats`), each as `read` reads it."""
    one_by_one = _known_first(read, known)
    suffixed: Callable[[str], str] = (lambda text: text + suffix) if suffix else str

    def read_all(cells: Sequence[object]) -> list[object]:
        if not _FLOAT.issuperset(map(type, cells)):
            return one_by_one(cells)
        part: list[object] = list(map(known.get, cells))
        if not any(map(is_, part, repeat(None))):
            return part
        floats = cast(Sequence[float], cells)
        read = read_floats(floats, part, known, _KNOWN, suffixed)
        return one_by_one(cells) if read is None else read

    return read_all


def _column_reader(
    field: str, unit: str | None, failures: list[CellError]
) -> tuple[Convert, ReadAll]:
    """How one column's cells are read: the common cells directly, any other through
    `_read_cell`, whose `CellError` is returned (and noted in `failures`), not raised;
    and how a chunk's column is read at once (the same answers, in a list).

    It gives exactly what `convert_cell` gives for every cell (tests hold it to that);
    chosen once per column, it reads a whole column in one call.
    """
    kind = FIELD_KINDS.get(field, "extra")
    convert = _converter(field, unit)

    def general(value: object) -> object:
        try:
            return _read_cell(value, convert)
        except CellError as exc:
            failures.append(exc)
            return exc

    if kind in UNIT_FACTORS:
        suffix = unit or ""
        percent = kind == "fraction"
        # figures (and percentages) → their reading: they repeat down a column
        known: dict[float | str, str] = {}

        def amount(value: Any) -> object:
            kind_of = type(value)
            if kind_of is float:
                text = known.get(value)
                if text is None:
                    if not math.isfinite(value):
                        return general(value)
                    text = float_text(value)
                    if len(text) >= 16 or "e" in text:
                        return general(value)
                    if len(known) >= _KNOWN:
                        known.clear()
                    text = known[value] = text + suffix
                return text
            if kind_of is str:
                if not value:
                    return _ABSENT
                if len(value) < 16:
                    if bare_digits(value):
                        return value + suffix
                    if percent and value[-1] == "%" and bare_digits(value[:-1]):
                        # a share shown as a percentage (a workbook's "15%"): these
                        # repeat down a column, as figures do, unlike typed texts
                        if len(known) >= _KNOWN:
                            known.clear()
                        known[value] = value
                        return value
            elif kind_of is int:
                if -(10**15) < value < 10**15:
                    return f"{value}{suffix}"
            elif value is None:
                return _ABSENT
            return general(value)

        return amount, _amounts(amount, known, suffix)
    if kind in _CHOICES:
        choices = _CHOICES[kind]

        def choice(value: Any) -> object:
            if type(value) is str:
                found = choices.get(value)
                if found is not None:
                    return found
            elif value is None:
                return _ABSENT
            return general(value)

        return choice, _known_first(choice, choices)
    if kind == "bool":

        def flag(value: Any) -> object:
            kind_of = type(value)
            if kind_of is str:
                found = _FLAGS.get(value)
                if found is not None:
                    return found
            elif kind_of is bool:
                return value
            elif value is None:
                return _ABSENT
            return general(value)

        return flag, _known_first(flag, _FLAGS)
    if kind == "integer":

        def integer(value: Any) -> object:
            if type(value) is int:
                return value
            if value is None:
                return _ABSENT
            return general(value)

        return integer, _each(integer)
    if kind == "extra":

        def extra(value: object) -> object:
            return _ABSENT if value is None else general(value)

        return extra, _each(extra)

    def text(value: Any) -> object:
        if type(value) is str:
            stripped = value.strip()
            # placeholders are short: only those are compared, after folding
            short = len(stripped) <= 4
            if "\ufffd" not in stripped and not (short and stripped.lower() in _EMPTY):
                return stripped
        elif value is None:
            return _ABSENT
        return general(value)

    def text_all(cells: Sequence[object]) -> list[object]:
        # all texts, none damaged and none a placeholder: each one stripped, as
        # `text` gives it (else cell by cell)
        if _STR.issuperset(map(type, cells)):
            texts = cast(Sequence[str], cells)
            if "\ufffd" not in "".join(texts):
                stripped = list(map(str.strip, texts))
                # placeholders are short: longer texts need no folding to tell
                if min(map(len, stripped), default=0) > _LONGEST_EMPTY or (
                    _EMPTY.isdisjoint(map(str.lower, stripped))
                ):
                    return list[object](stripped)
        return list(map(text, cells))

    return text, text_all


def _each(read: Convert) -> ReadAll:
    """`read` of each cell, in a list."""
    return lambda cells: list(map(read, cells))


_STR = frozenset({str})
_FLOAT = frozenset({float})
_LONGEST_EMPTY = max(map(len, _EMPTY))
_KNOWN = 4096  # readings kept per column (cleared when full)
_FLAGS = {word: True for word in _TRUE} | {word: False for word in _FALSE}
# rows read column by column at a time: long enough that a column is one `map`
_CHUNK_ROWS = 256


def _by_column(
    rows: Sequence[Cells], columns: Sequence[_Column]
) -> list[Sequence[object]]:
    """The mapped cells of `rows`, one sequence per column (None past a short row)."""
    indexes = [column.place for column in columns]
    if len(indexes) > 1 and min(map(len, rows)) > max(indexes):
        if max(map(len, rows)) <= 2 * len(indexes):
            # few columns left unmapped: the whole rows turned over at once (zip
            # stops at the shortest row, which holds every mapped column)
            turned = list(zip(*rows, strict=False))
            return [turned[i] for i in indexes]
        return list(zip(*map(itemgetter(*indexes), rows), strict=True))
    return [[cells[i] if i < len(cells) else None for cells in rows] for i in indexes]


@dataclass(frozen=True)
class _Group:
    """Columns that fill one mapping of a row: its keys, each a column or a subgroup.

    Keys come in the order of each one's first column; every row's mapping is filled
    key by key, a column at a time, leaving out the absent keys.
    """

    keys: tuple[str, ...]
    members: tuple[int | _Group, ...]  # a column's place in the columns, or a group

    @classmethod
    def of(cls, columns: Sequence[_Column], depth: int = 0) -> _Group:
        """The group of `columns` (all sharing their first `depth` parents)."""
        keys: list[str] = []
        parts: dict[str, list[int]] = {}
        for at, column in enumerate(columns):
            path = (*column.parents, column.leaf)
            key = path[depth]
            if key not in parts:
                keys.append(key)
                parts[key] = []
            parts[key].append(at)
        members: list[int | _Group] = []
        for key in keys:
            places = parts[key]
            if len(columns[places[0]].parents) == depth:
                members.append(places[0])  # a leaf: one column per field
            else:
                inner = cls.of([columns[at] for at in places], depth + 1)
                members.append(_Group(inner.keys, _shift(inner.members, places)))
        return cls(tuple(keys), tuple(members))

    def build(self, values: Sequence[list[object]], count: int) -> list[dict[str, Any]]:
        """Each row's mapping for this group, without its absent keys (maybe empty)."""
        # key by key into every row's mapping (in the keys' order): faster than a
        # `dict(zip(keys, values))` a row, which builds a zip and a tuple for each
        rows: list[dict[str, Any]] = [{} for _ in range(count)]
        for key, member in zip(self.keys, self.members, strict=True):
            if isinstance(member, int):
                part = values[member]
                if any(map(is_, part, repeat(_ABSENT))):
                    for row, value in zip(rows, part, strict=True):
                        if value is not _ABSENT:
                            row[key] = value
                else:  # the column given in every row: set in one C-level pass
                    _consume(map(setitem, rows, repeat(key), part))
            else:
                mappings = member.build(values, count)
                if all(mappings):
                    _consume(map(setitem, rows, repeat(key), mappings))
                else:
                    for row, mapping in zip(rows, mappings, strict=True):
                        if mapping:
                            row[key] = mapping
        return rows


# runs an iterator to its end, keeping nothing (the itertools recipe `consume`)
_consume: Callable[[Iterable[object]], None] = deque[object](maxlen=0).extend


def _shift(
    members: tuple[int | _Group, ...], places: list[int]
) -> tuple[int | _Group, ...]:
    """A subgroup's members renumbered from its own columns to all the columns."""
    return tuple(
        places[member]
        if isinstance(member, int)
        else _Group(member.keys, _shift(member.members, places))
        for member in members
    )


def _projects(
    rows: Sequence[Cells], columns: Sequence[_Column], group: _Group
) -> list[tuple[dict[str, Any] | None, RowError | None]]:
    """Each row's project mapping or its first unreadable cell; ({}, None) if blank.

    Read a column at a time (`group` lays the columns out as a project mapping).
    """
    return _paired(*_read_chunk(rows, columns, group))


def _paired(
    datas: list[dict[str, Any]], failed: dict[int, RowError]
) -> list[tuple[dict[str, Any] | None, RowError | None]]:
    """`_read_chunk`'s two parts as one pair a row: its mapping, or its error."""
    if not failed:
        return [(data, None) for data in datas]
    return [
        (None, failed[at]) if at in failed else (data, None)
        for at, data in enumerate(datas)
    ]


def _read_chunk(
    rows: Sequence[Cells], columns: Sequence[_Column], group: _Group
) -> tuple[list[dict[str, Any]], dict[int, RowError]]:
    """`_projects` as two parts: each row's mapping (whatever a failed row's is, it
    is not used), and the first unreadable cell of each failed row, by its place."""
    if not columns:
        return [{} for _ in rows], {}
    failed: dict[int, RowError] = {}
    values: list[list[object]] = []
    for column, cells in zip(columns, _by_column(rows, columns), strict=True):
        failures = column.failures
        part = column.read_all(cells)
        if failures:
            for at, value in enumerate(part):
                if isinstance(value, CellError):
                    # the first unreadable cell of a row is the one reported
                    failed.setdefault(at, RowError(column.header, str(value)))
            failures.clear()
        values.append(part)
    return group.build(values, len(rows)), failed


def _put(data: dict[str, Any], path: str, value: object) -> None:
    *parents, leaf = path.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def _chunks(
    numbered: Iterable[tuple[int, Cells]],
) -> Iterator[tuple[list[tuple[int, Cells]], Exception | None]]:
    """The rows in chunks of `_CHUNK_ROWS`; a failure reading one comes after the rows
    read before it, so they are still screened."""
    rows = iter(numbered)
    while True:
        chunk: list[tuple[int, Cells]] = []
        try:
            # extend keeps what it took before a failure
            chunk.extend(islice(rows, _CHUNK_ROWS))
        except Exception as exc:
            yield chunk, exc
            return
        if not chunk:
            return
        yield chunk, None


def _rows_of_table(
    source: Path, numbered: Iterable[tuple[int, Cells]], header: HeaderMap
) -> Iterator[Row]:
    columns = tuple(_column(column) for column in header.columns)
    group = _Group.of(columns)
    totals = Totals(header)
    name, stem = str(source), source.stem
    for chunk, failure in _chunks(numbered):
        cells_of = list(map(itemgetter(1), chunk))
        datas, failed = _read_chunk(cells_of, columns, group)
        if not failed and all(datas):
            # the common chunk: every row read, none blank; if no totals row either,
            # the rows are made at once
            reasons = totals.skips(list(zip(cells_of, datas, strict=True)))
            if not any(reasons):
                if not all(map(contains, datas, repeat("id"))):
                    for (number, _), mapping in zip(chunk, datas, strict=True):
                        if "id" not in mapping:
                            mapping["id"] = f"{stem}-row{number}"
                numbers = map(itemgetter(0), chunk)
                yield from map(_data_row, repeat(name), numbers, datas)
                if failure is not None:
                    raise failure
                continue
        else:
            # the data rows' totals answers first (the others leave the sums alone)
            reasons = totals.skips(
                [
                    (cells, data)
                    for at, (cells, data) in enumerate(
                        zip(cells_of, datas, strict=True)
                    )
                    if at not in failed and data
                ]
            )
        projects = _paired(datas, failed)
        totals_of = iter(reasons)
        for (number, cells), (data, error) in zip(chunk, projects, strict=True):
            if error is not None:
                reason = totals.labelled(cells)
                if reason is not None:  # a totals row with a figure unread: skipped
                    yield Row(name, number, None, skip=reason)
                else:
                    yield Row(name, number, None, error)
            elif data:  # a row without any mapped value is blank: skipped, counted
                reason = next(totals_of)
                if reason is not None:
                    yield Row(name, number, None, skip=reason)
                    continue
                if "id" not in data:  # (the text made only when it is needed)
                    data["id"] = f"{stem}-row{number}"
                yield _data_row(name, number, data)
        if failure is not None:
            raise failure


# Unknown headers past this many are summed up in one warning (a sheet may have
# thousands of columns the rules do not read).
_UNKNOWN_SHOWN = 5


def _sheet_read(source: str, sheet: str) -> Diagnostic:
    """The note that a workbook was read from a sheet other than its first."""
    return Diagnostic(
        "COL",
        f"第一张工作表中没有表头，已读取工作表「{sheet}」/ the first sheet has no "
        f"header: read sheet {sheet}",
        SourceSpan(source),
        None,
        "warning",
    )


def _header_warnings(
    source: str, line: int, issues: Sequence[HeaderIssue]
) -> tuple[Diagnostic, ...]:
    """One warning per header issue, the unknown headers summed up when many."""
    unknown = [issue for issue in issues if issue.reason == UNKNOWN_HEADER]
    many = len(unknown) > _UNKNOWN_SHOWN
    shown = [i for i in issues if not (many and i.reason == UNKNOWN_HEADER)]
    warnings = [
        Diagnostic(
            "COL",
            issue.reason,
            SourceSpan(source, line, issue.index + 1),
            issue.header,
            "warning",
        )
        for issue in shown
    ]
    if many:
        names = "、".join(issue.header for issue in unknown[:_UNKNOWN_SHOWN])
        first = unknown[0]
        warnings.insert(
            0,
            Diagnostic(
                "COL",
                f"{len(unknown):,} 列未识别，已忽略（如 {names} 等）/ {len(unknown):,} "
                "unknown headers ignored (the first shown)",
                SourceSpan(source, line, first.index + 1),
                names,
                "warning",
            ),
        )
    return tuple(warnings)


def _read_table(
    path: Path, columns: dict[str, str] | None, sheet: str | None, limits: Limits
) -> RowStream:
    """A CSV/TSV/XLSX file through `screening.io.tables`, mapped to project fields."""
    try:
        table = open_table(
            path,
            header_matcher(columns),
            sheet=sheet,
            limits=limits,
            mark_uncomputed=True,
        )
    except HeaderNotFound as exc:
        where = (
            f"工作表 {'、'.join(exc.sheets)} 的" if exc.sheets else "",
            f" in sheets {', '.join(exc.sheets)}" if exc.sheets else "",
        )
        raise InputError(
            f"{where[0]}前 {HEADER_SCAN} 行中没有表头（至少需要 2 个可识别的列名，"
            "如 项目名称、总投资(万元)；其他列名可用 --columns 映射）/ "
            f"no header row with at least 2 known columns{where[1]}",
            SourceSpan(str(path)),
        ) from None
    header = map_headers(table.header.labels, columns)
    numbers = table.header_rows
    warnings = _header_warnings(str(path), numbers[-1], header.issues)
    if table.sheet is not None:  # the first sheet names no columns: said, not silent
        warnings = (_sheet_read(str(path), table.sheet), *warnings)
    return RowStream(
        str(path),
        # the stream closes the table when a row fails, as the table itself would
        _rows_of_table(path, table.unguarded(), header),
        format=table.format,
        encoding=table.encoding,
        header=header,
        header_rows=numbers,
        warnings=warnings,
        on_close=table.close,
    )


# ---- JSONL ---------------------------------------------------------------------------


def _not_finite(name: str) -> object:
    raise ValueError(f"{name} 不是有限数 / not a finite number")


# one decoder for every line (json.loads with options builds a new one per call)
_JSON = json.JSONDecoder(parse_float=Decimal, parse_constant=_not_finite)


def _from_object(
    obj: dict[str, Any], columns: dict[str, str] | None
) -> tuple[dict[str, Any] | None, RowError | None]:
    """A JSON object as a project: contract keys kept, spreadsheet-style keys mapped."""
    if _TOP.issuperset(
        obj
    ):  # the contract's own shape (as JSONL exports mostly are): as it is
        return obj, None
    data: dict[str, Any] = {}
    for key, value in obj.items():
        if key in _TOP:
            data[key] = value
            continue
        found = match_header(key, columns)
        if found.field is None:
            data[key] = value  # the project model reports the unknown key
            continue
        try:
            converted = convert_cell(value, Column(0, key, found.field, found.unit))
        except CellError as exc:
            return None, RowError(key, str(exc))
        if converted is not _ABSENT:
            _put(data, found.field, converted)
    return data, None


def _read_jsonl(
    path: Path, columns: dict[str, str] | None, deferred: bool, limits: Limits
) -> RowStream:
    handle = path.open(encoding="utf-8-sig", errors="replace")
    source, stem = str(path), path.stem

    def rows() -> Iterator[Row]:
        yield from _line_rows(handle, source, stem, 1, limits, not deferred, columns)

    return RowStream(
        source,
        rows(),
        format="jsonl",
        encoding="utf-8",
        on_close=handle.close,
        blocks=partial(_jsonl_blocks, path, limits) if deferred else None,
    )


@dataclass(frozen=True)
class LineBlock:
    """Whole lines of a JSONL input, as its bytes cut at line ends.

    The reading process only finds line ends and counts them (C-level byte searches);
    whoever screens the lines splits and decodes them (`block_rows`), so a batch's
    workers do in parallel what the reader would do alone, line by line.
    """

    source: str
    first: int  # the number of its first line
    lines: int  # how many lines it holds, blank ones included
    data: bytes
    limit: int  # `Limits.max_line_chars`: a longer line is refused, as read_rows does


# bytes a block of lines is cut from: about 160 lines of a lead; a line longer than
# this ends the blocks (the rest is read line by line, as without blocks)
LINE_BLOCK = 1 << 17
_BOM = b"\xef\xbb\xbf"


def _jsonl_blocks(path: Path, limits: Limits) -> Generator[Row | LineBlock, None, None]:
    """A JSONL input's lines as `LineBlock`s, numbered as `read_rows` numbers them.

    A block holds plain lines only: ended by LF or CRLF, none longer than a block.
    From a lone CR (a line end to text mode) or a line longer than a block on, the
    rest of the file is read line by line as `read_rows(deferred=True)` reads it.
    """
    source, stem = str(path), path.stem
    with path.open("rb") as handle:
        carry = handle.read(len(_BOM))
        if carry == _BOM:  # utf-8-sig: the mark at the very start is not text
            carry = b""
        number = 1
        while True:
            more = handle.read(LINE_BLOCK)
            data = carry + more if carry else more
            if not data:
                return
            cut = data.rfind(b"\n") + 1 if more else len(data)
            if cut == 0 or data.count(b"\r", 0, cut) != data.count(b"\r\n", 0, cut):
                handle.seek(handle.tell() - len(data))
                text = io.TextIOWrapper(handle, encoding="utf-8", errors="replace")
                yield from _line_rows(text, source, stem, number, limits, False, None)
                return
            block, carry = (data[:cut], data[cut:]) if cut < len(data) else (data, b"")
            lines = block.count(b"\n") + (block[-1] != 10)  # 10: a last line's end
            yield LineBlock(source, number, lines, block, limits.max_line_chars)
            number += lines


def block_rows(block: LineBlock) -> tuple[list[Row], int]:
    """A block's rows as `read_rows(deferred=True)` gives them (blank lines none), and
    how many lines it split the block into (blank ones included)."""
    # errors="replace", as the reader decodes: a line end is never inside a character,
    # so each line decodes as it does alone
    parts = block.data.decode("utf-8", "replace").split("\n")
    if len(parts) > block.lines:
        parts.pop()  # after the last line end
    source, limit = block.source, block.limit
    rows: list[Row] = []
    for number, line in enumerate(parts, block.first):
        if line[-1:] == "\r":  # a CRLF's (a block has no other CR at a line's end)
            line = line[:-1]
        if len(line) > limit:
            rows.append(Row(source, number, None, RowError(None, _too_long(limit))))
        elif line.strip():
            rows.append(_text_row(source, number, line))
    return rows, len(parts)


def _text_row(source: str, number: int, text: str) -> Row:
    """`Row(source, number, None, text=text)`: a block's every line is one."""
    return new_record(Row, (source, number, None, None, text, None))


def _too_long(limit: int) -> str:
    return (
        f"行超过 {limit:,} 个字符，未读取 / line longer than {limit:,} characters, "
        "not read"
    )


def _line_rows(
    handle: Any,
    source: str,
    stem: str,
    first: int,
    limits: Limits,
    parse: bool,
    columns: dict[str, str] | None,
) -> Iterator[Row]:
    """The rows of a text handle's lines, the first numbered `first`: each line parsed
    with the header map `columns` when `parse`, else unparsed (`Row.text`)."""
    for number, line in enumerate(_bounded_lines(handle, limits), first):
        if line is None:
            reason = _too_long(limits.max_line_chars)
            yield Row(source, number, None, RowError(None, reason))
        elif line.strip():
            if parse:
                yield _jsonl_row(source, stem, number, line.rstrip("\r\n"), columns)
            else:
                yield Row(source, number, None, text=line.rstrip("\r\n"))


def _bounded_lines(handle: Any, limits: Limits) -> Iterator[str | None]:
    """The file's lines; None for one past `limits.max_line_chars` (skipped unheld)."""
    limit = limits.max_line_chars
    while True:  # readline with a bound: a line is never held past the limit
        line = handle.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith("\n"):
            while line and not line.endswith("\n"):
                line = handle.readline(1 << 16)
            yield None
        else:
            yield line


def parse_deferred(row: Row, columns: dict[str, str] | None) -> Row:
    """A row read with `deferred=True`, parsed as `read_rows` would have parsed it."""
    if row.text is None:
        return row
    return Row(
        row.source, row.number, *parse_text(row.source, row.number, row.text, columns)
    )


def parse_text(
    source: str, number: int, text: str, columns: dict[str, str] | None
) -> tuple[dict[str, Any] | None, RowError | None]:
    """`parse_deferred` of the row (source, number, text), as its data and error: for
    whoever parses many, without making a row of each."""
    data, error = _parse_line(text, columns)
    if data is not None:
        stem = _stems.get(source)
        if stem is None:
            stem = _stems[source] = Path(source).stem
        data.setdefault("id", f"{stem}-row{number}")
    return data, error


_stems: dict[str, str] = {}  # a batch has one source: its stem names rows without an id


def _jsonl_row(
    source: str, stem: str, number: int, line: str, columns: dict[str, str] | None
) -> Row:
    data, error = _parse_line(line, columns)
    if data is not None:
        data.setdefault("id", f"{stem}-row{number}")
    return Row(source, number, data, error)


_DEPTH = DEFAULT_LIMITS.max_depth


def _depth(obj: object) -> int:
    """How deep objects and arrays nest (without recursion: it may be deep)."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        elif not isinstance(node, list):
            continue
        deepest = max(deepest, depth)
        stack.extend((item, depth + 1) for item in node)
    return deepest


def _parse_line(
    line: str, columns: dict[str, str] | None
) -> tuple[dict[str, Any] | None, RowError | None]:
    if "\ufffd" in line:
        return None, RowError(
            None, "含无法按 UTF-8 解码的字节 / bytes that are not UTF-8"
        )
    try:
        obj = _JSON.decode(line)
        if line.count("{") + line.count("[") > _DEPTH and _depth(obj) > _DEPTH:
            raise RecursionError
    except RecursionError:  # the decoder's own guard, or ours
        return None, RowError(
            None, f"JSON 嵌套超过 {_DEPTH} 层 / nested deeper than {_DEPTH} levels"
        )
    except json.JSONDecodeError as exc:
        reason = f"JSON 语法错误 / JSON syntax error: {exc.msg} (列 {exc.colno})"
        return None, RowError(None, reason)
    except ValueError as exc:  # NaN, Infinity
        return None, RowError(None, str(exc))
    if not isinstance(obj, dict):
        return None, RowError(
            None, "每行应为一个 JSON 对象 / each line must be a JSON object"
        )
    return _from_object(obj, columns)


# ---- folder of project files ---------------------------------------------------------


_TABLES = {*DELIMITERS, *WORKBOOKS, ".xls", *LINES}  # inputs of their own


def _read_folder(folder: Path) -> RowStream:
    # Sorted by name so the order (and output order) is the same on every machine;
    # hidden files are editor leftovers. A folder holds project files, one project
    # each, at its top level: subfolders and tables in it are not read, and said so.
    files: list[Path] = []
    subfolders = tables = others = 0
    for p in folder.iterdir():
        if p.name.startswith("."):
            continue
        if p.is_dir():
            subfolders += 1
        elif not p.is_file():
            others += 1
        elif p.suffix.lower() in PROJECT_FILES:
            files.append(p)
        elif p.suffix.lower() in _TABLES:
            tables += 1
        else:
            others += 1
    files.sort(key=lambda p: p.name)
    rows = map(_project_file, files)
    warnings = _unread(str(folder), subfolders, tables, others)
    return RowStream(str(folder), rows, format="folder", warnings=warnings)


def _unread(
    folder: str, subfolders: int, tables: int, others: int
) -> tuple[Diagnostic, ...]:
    """The warning that some of a folder's entries were not read, and why."""
    count = subfolders + tables + others
    if not count:
        return ()
    zh = [
        f"{n} 个{what}"
        for n, what in (
            (subfolders, "子文件夹（不逐层读取）"),
            (tables, "表格（CSV/XLSX/JSONL 请单独给出）"),
            (others, "其他文件"),
        )
        if n
    ]
    en = [
        f"{n} {what}"
        for n, what in (
            (subfolders, "subfolder(s), not read recursively"),
            (tables, "table(s): give a CSV, XLSX or JSONL as the input itself"),
            (others, "other file(s)"),
        )
        if n
    ]
    return (
        Diagnostic(
            "INP",
            f"文件夹中 {count} 项未读取：{'、'.join(zh)}；只读 .yaml .yml .json 项目文件 / "
            f"{count} entries of the folder not read ({'; '.join(en)}); "
            "only .yaml, .yml and .json project files are",
            SourceSpan(folder),
            None,
            "warning",
        ),
    )


def _project_file(path: Path) -> Row:
    """One project file as a row numbered by its line: 1 (the project is the whole
    file) or, when it is refused, the line of the value refused."""
    source = str(path)
    try:
        loaded = load_yaml_file(path)
    except YamlError as exc:
        span = exc.span
        line = span.line if span and span.line else 1
        return Row(source, line, None, RowError(None, exc.diagnostics[0].message))
    data = loaded.data
    if not isinstance(data, dict):
        return Row(
            source,
            loaded.span().line or 1,
            None,
            RowError(
                None, "项目文件应为映射（键: 值）/ a project file must be a mapping"
            ),
        )
    data = {
        k: v for k, v in data.items() if k not in CASE_KEYS
    }  # a case file screens as its project
    data.setdefault("id", path.stem)
    refused = _refused_at(loaded, data)
    if refused is not None:
        line, error = refused
        return Row(source, line, None, error)
    return Row(source, 1, data)


def _refused_at(loaded: Any, data: dict[str, Any]) -> tuple[int, RowError] | None:
    """Where and why the project model refuses a file's project, or None.

    The model validates it again where it is screened; here only to say at which
    line of the file the value it refuses is (a file is small, and one a project).
    """
    from pydantic import ValidationError

    from screening.model.diagnose import describe
    from screening.model.project import Project

    try:
        Project.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
        where = ".".join(map(str, loc)) or None
        line = loaded.span(loc).line or 1
        return line, RowError(where, describe(error))
    return None
