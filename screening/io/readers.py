"""Batch inputs (CSV, XLSX, JSONL, a folder of project files) → numbered rows.

Every reader streams: memory does not grow with the number of rows. A row is a nested
project mapping with canonical keys, or the reason it could not be read (its row
number, column and why); a bad row never stops the others. Values are only made
readable here (units appended, 是/否 → true/false); the project model validates them.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from screening.cases import CASE_KEYS
from screening.errors import Diagnostic, SourceSpan, YamlError
from screening.io.columns import (
    FIELD_KINDS,
    Column,
    HeaderMap,
    header_matcher,
    map_headers,
    match_header,
)
from screening.io.tables import (
    DELIMITERS,
    HEADER_SCAN,
    WORKBOOKS,
    HeaderNotFound,
    InputError,
    number_text,
    open_table,
)
from screening.model.project import CHOICE_ALIASES, NO, YES
from screening.model.units import UNIT_FACTORS, UnitError, parse_amount
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


@dataclass(frozen=True)
class Row:
    """One input row: where it came from, its project mapping, or why it is invalid."""

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


class RowStream(Iterator[Row]):
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
    ) -> None:
        self.source = source
        self.format = format
        self.encoding = encoding
        self.header = header
        self.header_rows = header_rows
        self.warnings = warnings
        self._rows = rows
        self._on_close = on_close

    def __next__(self) -> Row:
        try:
            return next(self._rows)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Release the file (also done when the rows run out)."""
        if self._on_close is not None:
            on_close, self._on_close = self._on_close, None
            on_close()

    def __enter__(self) -> RowStream:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_rows(
    path: Path | str,
    columns: dict[str, str] | None = None,
    *,
    sheet: str | None = None,
    deferred: bool = False,
) -> RowStream:
    """Open a batch input and stream its rows; `columns` adds header → field maps.

    With `deferred`, JSONL lines come unparsed (`Row.text`); see `parse_deferred`.
    """
    p = Path(path)
    if p.is_dir():
        return _read_folder(p)
    if not p.is_file():
        raise InputError("找不到输入文件 / input not found", SourceSpan(str(p)))
    suffix = p.suffix.lower()
    if suffix in LINES:
        return _read_jsonl(p, columns, deferred)
    if suffix in DELIMITERS or suffix in WORKBOOKS or suffix == ".xls":
        return _read_table(p, columns, sheet)
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
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d,，]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
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
        **{value: value for value in ("encouraged", "permitted", "restricted", "eliminated")},
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
        return value.isoformat()
    return str(value).strip()


def _amount(value: object, kind: str, unit: str | None) -> str:
    if isinstance(value, bool):
        raise CellError("应为数值，不是是/否 / expected a number, not yes/no")
    text = unicodedata.normalize("NFKC", _text(value))  # full-width digits, ％
    if unit and _PLAIN_NUMBER.fullmatch(text):
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
    text = unicodedata.normalize("NFKC", _text(value)).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"应为 是/否 / expected yes or no, got {_text(value)!r}")


def _choice(value: object, kind: str) -> str:
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", _text(value))).lower()
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
    if re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", text):
        return Decimal(text)
    return text


def convert_cell(value: object, column: Column) -> object:
    """One cell as the project model reads it; `_ABSENT` for an empty cell."""
    if value is None or (isinstance(value, str) and value.strip().lower() in _EMPTY):
        return _ABSENT
    if isinstance(value, str) and "\ufffd" in value:
        # Bytes the file's encoding could not decode (read with errors="replace"):
        # this row's text is damaged, the other rows are not.
        raise CellError(
            "含无法解码的字节，请检查文件编码 / undecodable bytes in this cell"
        )
    kind = FIELD_KINDS.get(column.field, "extra")
    if kind in UNIT_FACTORS:
        return _amount(value, kind, column.unit)
    if kind == "integer":
        return _integer(value)
    if kind == "bool":
        return _flag(value)
    if kind in _CHOICES:
        return _choice(value, kind)
    if kind == "extra":
        return _extra(value)
    return _text(value)


def _put(data: dict[str, Any], path: str, value: object) -> None:
    *parents, leaf = path.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def _project(
    cells: Sequence[object], header: HeaderMap
) -> tuple[dict[str, Any] | None, RowError | None]:
    """A row's project mapping or its first unreadable cell; ({}, None) if blank."""
    data: dict[str, Any] = {}
    for column in header.columns:
        raw = cells[column.index] if column.index < len(cells) else None
        try:
            value = convert_cell(raw, column)
        except CellError as exc:
            return None, RowError(column.header, str(exc))
        if value is not _ABSENT:
            _put(data, column.field, value)
    return data, None


def _rows_of_table(
    source: Path, numbered: Iterable[tuple[int, Sequence[object]]], header: HeaderMap
) -> Iterator[Row]:
    for number, cells in numbered:
        data, error = _project(cells, header)
        if error is not None:
            yield Row(str(source), number, None, error)
        elif data:  # a row without any mapped value is blank: skipped, still counted
            data.setdefault("id", f"{source.stem}-row{number}")
            yield Row(str(source), number, data)


def _read_table(
    path: Path, columns: dict[str, str] | None, sheet: str | None
) -> RowStream:
    """A CSV/TSV/XLSX file through `screening.io.tables`, mapped to project fields."""
    try:
        table = open_table(path, header_matcher(columns), sheet=sheet)
    except HeaderNotFound:
        raise InputError(
            f"前 {HEADER_SCAN} 行中没有表头（至少需要 2 个可识别的列名，"
            "如 项目名称、总投资(万元)；其他列名可用 --columns 映射）/ "
            "no header row with at least 2 known columns",
            SourceSpan(str(path)),
        ) from None
    header = map_headers(table.header.labels, columns)
    numbers = table.header_rows
    warnings = tuple(
        Diagnostic(
            "COL",
            issue.reason,
            SourceSpan(str(path), numbers[-1], issue.index + 1),
            issue.header,
            "warning",
        )
        for issue in header.issues
    )
    return RowStream(
        str(path),
        _rows_of_table(path, table, header),
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
    if _TOP.issuperset(obj):  # the contract's own shape (as JSONL exports mostly are): as it is
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


def _read_jsonl(path: Path, columns: dict[str, str] | None, deferred: bool = False) -> RowStream:
    handle = path.open(encoding="utf-8-sig", errors="replace")
    source, stem = str(path), path.stem

    def rows() -> Iterator[Row]:
        for number, line in enumerate(handle, 1):
            if line.strip():
                if deferred:
                    yield Row(source, number, None, text=line.rstrip("\r\n"))
                else:
                    yield _jsonl_row(source, stem, number, line.rstrip("\r\n"), columns)

    return RowStream(source, rows(), format="jsonl", encoding="utf-8", on_close=handle.close)


def parse_deferred(row: Row, columns: dict[str, str] | None) -> Row:
    """A row read with `deferred=True`, parsed as `read_rows` would have parsed it."""
    if row.text is None:
        return row
    stem = _stems.get(row.source)
    if stem is None:
        stem = _stems[row.source] = Path(row.source).stem
    return _jsonl_row(row.source, stem, row.number, row.text, columns)


_stems: dict[str, str] = {}  # a batch has one source: its stem names rows without an id


def _jsonl_row(
    source: str, stem: str, number: int, line: str, columns: dict[str, str] | None
) -> Row:
    data, error = _parse_line(line, columns)
    if data is not None:
        data.setdefault("id", f"{stem}-row{number}")
    return Row(source, number, data, error)


def _parse_line(
    line: str, columns: dict[str, str] | None
) -> tuple[dict[str, Any] | None, RowError | None]:
    if "\ufffd" in line:
        return None, RowError(
            None, "含无法按 UTF-8 解码的字节 / bytes that are not UTF-8"
        )
    try:
        obj = _JSON.decode(line)
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


def _read_folder(folder: Path) -> RowStream:
    # Sorted by name so the order (and output order) is the same on every machine;
    # hidden files are editor leftovers.
    files = sorted(
        (
            p
            for p in folder.iterdir()
            if p.is_file()
            and p.suffix.lower() in PROJECT_FILES
            and not p.name.startswith(".")
        ),
        key=lambda p: p.name,
    )
    rows = (_project_file(p, number) for number, p in enumerate(files, 1))
    return RowStream(str(folder), rows, format="folder")


def _project_file(path: Path, number: int) -> Row:
    try:
        data = load_yaml_file(path).data
    except YamlError as exc:
        span = exc.span
        where = (
            f"{span.line}:{span.column}: " if span and span.line and span.column else ""
        )
        return Row(
            str(path), number, None, RowError(None, where + exc.diagnostics[0].message)
        )
    if not isinstance(data, dict):
        return Row(
            str(path),
            number,
            None,
            RowError(
                None, "项目文件应为映射（键: 值）/ a project file must be a mapping"
            ),
        )
    data = {k: v for k, v in data.items() if k not in CASE_KEYS}  # a case file screens as its project
    data.setdefault("id", path.stem)
    return Row(str(path), number, data)
