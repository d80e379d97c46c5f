"""The one place evaluation opens a spreadsheet: raw cells and the header row.

An adapter over `screening.io.readers` until the generic bounded table reader
(`screening/io/tables.py`, branch in10-input) lands; switching to it changes this
module only. It streams (memory does not grow with the rows), detects a CSV's
encoding (UTF-8, UTF-16, GBK/GB18030), refuses a workbook whose parts would
inflate beyond reason (a zip bomb) and finds the header among the first rows
with a vocabulary the caller gives. It knows nothing about firms.
"""

from __future__ import annotations

import csv
import math
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from typing import Any

from screening.errors import Diagnostic, SourceSpan
from screening.io.columns import InputError
from screening.io.readers import HEADER_SCAN, detect_encoding

# A workbook is a zip: refuse one whose parts inflate past these before parsing it.
MAX_UNCOMPRESSED = 4 << 30  # bytes, all parts together
MAX_RATIO = 200  # uncompressed ÷ compressed, for any part larger than RATIO_FLOOR
RATIO_FLOOR = 64 << 20
MIN_KNOWN = 2  # a header row maps at least this many columns

# header text → (field, unit to append to plain numbers) or None when unknown
Vocabulary = Callable[[str], "tuple[str, str | None] | None"]


@dataclass(frozen=True)
class HeaderColumn:
    """One mapped column: 0-based index, header as written, field, unit of plain numbers."""

    index: int
    header: str
    field: str
    unit: str | None = None


@dataclass
class Table:
    """An opened table: where its header was, what it maps, and its data rows."""

    source: str
    format: str
    encoding: str | None
    header_row: int  # as the user sees it (1-based)
    columns: tuple[HeaderColumn, ...]
    rows: Iterator[tuple[int, Sequence[Any]]]  # (row number, cells) below the header
    warnings: list[Diagnostic] = field(default_factory=list)
    _close: Callable[[], None] | None = None

    def close(self) -> None:
        """Release the file."""
        if self._close is not None:
            close, self._close = self._close, None
            close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_table(
    path: Path | str, vocabulary: Vocabulary, sheet: str | None = None
) -> Table:
    """Open CSV/TSV/XLSX and locate its header with `vocabulary`."""
    p = Path(path)
    if not p.is_file():
        raise InputError("找不到输入文件 / input not found", SourceSpan(str(p)))
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv"):
        encoding = detect_encoding(p)
        handle = p.open(encoding=encoding, errors="replace", newline="")
        reader = csv.reader(handle, delimiter="\t" if suffix == ".tsv" else ",")
        return _located(
            p, "csv", encoding, _csv_records(p, reader), vocabulary, handle.close
        )
    if suffix in (".xlsx", ".xlsm"):
        records, close = _xlsx_records(p, sheet)
        return _located(p, "xlsx", None, records, vocabulary, close)
    if suffix == ".xls":
        raise InputError(
            "不支持旧版 .xls，请另存为 .xlsx / save the workbook as .xlsx",
            SourceSpan(str(p)),
        )
    raise InputError(
        f"不支持的输入格式 {suffix or '（无扩展名）'}（可用：.csv .tsv .xlsx）/ "
        "unsupported input format",
        SourceSpan(str(p)),
    )


def _map(
    cells: Sequence[Any], vocabulary: Vocabulary
) -> tuple[list[HeaderColumn], list[tuple[int, str]]]:
    columns: list[HeaderColumn] = []
    unknown: list[tuple[int, str]] = []
    taken: set[str] = set()
    for index, cell in enumerate(cells):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        found = vocabulary(text)
        if found is None or found[0] in taken:
            unknown.append((index, text))
            continue
        taken.add(found[0])
        columns.append(HeaderColumn(index, text, found[0], found[1]))
    return columns, unknown


def _located(
    path: Path,
    format: str,
    encoding: str | None,
    records: Iterator[Sequence[Any]],
    vocabulary: Vocabulary,
    close: Callable[[], None],
) -> Table:
    try:
        first = list(islice(records, HEADER_SCAN))
        for index, cells in enumerate(first):
            columns, unknown = _map(cells, vocabulary)
            if len(columns) >= MIN_KNOWN:
                break
        else:
            raise InputError(
                f"前 {HEADER_SCAN} 行中没有表头（至少需要 {MIN_KNOWN} 个可识别的列名，"
                "如 企业名称、用地面积(亩)）/ no header row with known columns",
                SourceSpan(str(path)),
            )
    except BaseException:
        close()
        raise
    header_row = index + 1
    warnings = [
        Diagnostic(
            "COL",
            "未识别的列名，已忽略 / unknown or repeated header, ignored",
            SourceSpan(str(path), header_row, column + 1),
            text,
            "warning",
        )
        for column, text in unknown
    ]
    rows = enumerate(chain(first[index + 1 :], records), header_row + 1)
    return Table(
        str(path), format, encoding, header_row, tuple(columns), rows, warnings, close
    )


def _csv_records(path: Path, reader: Any) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as exc:
        raise InputError(
            f"CSV 格式错误 / malformed CSV: {exc}",
            SourceSpan(str(path), reader.line_num),
        ) from None


def check_zip(path: Path) -> None:
    """Refuse a workbook whose parts would inflate beyond reason (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(
            f"无法打开工作簿 / cannot open workbook: {exc}", SourceSpan(str(path))
        ) from None
    total = sum(part.file_size for part in parts)
    if total > MAX_UNCOMPRESSED:
        raise InputError(
            f"工作簿解压后过大（{total} 字节），拒绝读取 / workbook inflates too far",
            SourceSpan(str(path)),
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise InputError(
                f"工作簿部件 {part.filename} 压缩比异常（{ratio:.0f}:1），疑似压缩炸弹 / "
                "a part inflates suspiciously (zip bomb?)",
                SourceSpan(str(path)),
            )


def _cell(cell: Any) -> Any:
    value = cell.value
    # a cell shown as 15% holds 0.15: say so, or a header "(%)" would read it as 0.15%
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if is_number and "%" in (getattr(cell, "number_format", None) or ""):
        if isinstance(value, float) and not math.isfinite(value):
            return value
        return f"{(Decimal(repr(value)) * 100).normalize():f}%"
    return value


def _xlsx_records(
    path: Path, sheet: str | None
) -> tuple[Iterator[list[Any]], Callable[[], None]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    check_zip(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise InputError(
            f"无法打开工作簿 / cannot open workbook: {exc}", SourceSpan(str(path))
        ) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(
                f"没有工作表「{sheet}」（现有：{'、'.join(book.sheetnames)}）/ no such sheet",
                SourceSpan(str(path)),
            )
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        ws.reset_dimensions()  # exporters often write a wrong <dimension>
    except BaseException:
        book.close()
        raise
    return ([_cell(c) for c in row] for row in ws.iter_rows()), book.close
