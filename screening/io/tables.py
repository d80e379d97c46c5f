"""Tabular files (CSV, TSV, XLSX) → a located header and numbered rows of cells.

Generic: the caller says which header texts it knows (`match`); this module knows no
project field. It detects a CSV's encoding, skips title and blank rows above the
header, joins a two-row header (a merged group cell over its sub-headers) and yields
`(row_number, cells)` with the row number as the user sees it (the first line is 1).
Cells are as the file holds them: text, int, float, bool, date/datetime, None; a
number formatted as a percentage comes as its text ("15%"). Rows are streamed.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
import zipfile
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from types import TracebackType
from typing import Any

from screening.errors import ScreeningError, SourceSpan

# Rows searched for the header: title rows, blank rows, two-row headers.
HEADER_SCAN = 50
# A header row must recognise this many columns (a title row rarely does).
MIN_KNOWN = 2
_CHUNK = 1 << 16  # bytes per read while checking the encoding

DELIMITERS = {".csv": ",", ".tsv": "\t"}
WORKBOOKS = {".xlsx", ".xlsm"}

Match = Callable[[str], Hashable | None]
"""One header text → what the caller reads into that column, or None if unknown."""


class InputError(ScreeningError):
    """An input file (or a column-map file) cannot be read as a whole."""

    code = "INP"


class HeaderNotFound(InputError):
    """No row among the first `HEADER_SCAN` recognises `MIN_KNOWN` columns."""


@dataclass(frozen=True)
class HeaderLocation:
    """Where the header sits (0-based first row, 1 or 2 rows) and its labels."""

    first: int
    height: int
    labels: tuple[str, ...]


Cells = list[Any]


class Table(Iterator[tuple[int, Cells]]):
    """The rows below a table's header, numbered as the user sees them."""

    def __init__(
        self,
        source: str,
        rows: Iterator[tuple[int, Cells]],
        *,
        format: str,
        header: HeaderLocation,
        encoding: str | None = None,
        close: Callable[[], None] | None = None,
    ) -> None:
        self.source = source
        self.format = format
        self.header = header
        self.encoding = encoding
        self._rows = rows
        self._close = close

    @property
    def header_rows(self) -> tuple[int, ...]:
        """The header's row numbers as the user sees them (1-based)."""
        first = self.header.first + 1
        return tuple(range(first, first + self.header.height))

    def __next__(self) -> tuple[int, Cells]:
        try:
            return next(self._rows)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Release the file (also done when the rows run out)."""
        if self._close is not None:
            close, self._close = self._close, None
            close()

    def __enter__(self) -> Table:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_table(
    path: Path | str,
    match: Match,
    *,
    sheet: str | None = None,
    min_known: int = MIN_KNOWN,
) -> Table:
    """Open a CSV/TSV/XLSX file, find its header with `match`, stream the rows below."""
    p = Path(path)
    if not p.is_file():
        raise InputError("找不到输入文件 / input not found", SourceSpan(str(p)))
    suffix = p.suffix.lower()
    if suffix in DELIMITERS:
        encoding = detect_encoding(p)
        # errors="replace": a stray byte spoils one row (its cells show U+FFFD), not
        # the file.
        handle = p.open(encoding=encoding, errors="replace", newline="")
        reader = csv.reader(handle, delimiter=DELIMITERS[suffix])
        records = _guarded(p, reader)
        return _table(p, records, match, min_known, "csv", handle.close, encoding)
    if suffix in WORKBOOKS:
        records, close = _workbook_records(p, sheet)
        return _table(p, records, match, min_known, "xlsx", close)
    if suffix == ".xls":
        raise InputError(
            "不支持旧版 .xls，请另存为 .xlsx / save the workbook as .xlsx",
            SourceSpan(str(p)),
        )
    raise InputError(
        f"不支持的表格格式 {suffix or '（无扩展名）'}（可用：.csv .tsv .xlsx）/ "
        "unsupported table format",
        SourceSpan(str(p)),
    )


def _table(
    path: Path,
    records: Iterator[Cells],
    match: Match,
    min_known: int,
    format: str,
    close: Callable[[], None],
    encoding: str | None = None,
) -> Table:
    """Find the header among the first records, then stream the rows below it."""
    try:
        first = list(islice(records, HEADER_SCAN))
        header = locate_header(first, match, min_known=min_known)
        if header is None:
            raise HeaderNotFound(
                f"前 {HEADER_SCAN} 行中没有表头（至少需要 {min_known} 个可识别的列名）"
                f"/ no header row with at least {min_known} known columns",
                SourceSpan(str(path)),
            )
    except BaseException:
        close()
        raise
    skip = header.first + header.height
    numbered = enumerate(chain(first[skip:], records), skip + 1)
    return Table(
        str(path),
        numbered,
        format=format,
        header=header,
        encoding=encoding,
        close=close,
    )


# ---- the header ----------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as header text: stripped, "" for an empty cell."""
    return "" if value is None else str(value).strip()


def _known(labels: Sequence[str], match: Match) -> int:
    """How many different things the labels name."""
    return len({key for key in map(match, labels) if key is not None})


def _has_number(row: Sequence[object]) -> bool:
    # Data rows almost always hold a number; a sub-header row never does.
    for value in row:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d[\d,.]*\s*%?\s*", value):
            return True
    return False


def stack_header(
    parent: Sequence[object], child: Sequence[object], match: Match
) -> list[str]:
    """Labels of a two-row header: 投资 merged over 总投资 | 固定资产投资."""
    labels: list[str] = []
    group = ""
    for index in range(max(len(parent), len(child))):
        top = cell_text(parent[index]) if index < len(parent) else ""
        below = cell_text(child[index]) if index < len(child) else ""
        # A merged group cell keeps its text in its first column only: carry it right.
        group = top or group
        if not below:
            labels.append(top)  # a header merged down over both rows
            continue
        # The child alone when it maps (用地 over 容积率), the two joined when only
        # they do (用地 over 面积(亩)).
        joined = group + below
        if group and match(below) is None and match(joined) is not None:
            labels.append(joined)
        else:
            labels.append(below)
    return labels


def locate_header(
    rows: Sequence[Sequence[object]], match: Match, *, min_known: int = MIN_KNOWN
) -> HeaderLocation | None:
    """The header among the first rows, or None: the first row naming ≥ `min_known`.

    It is joined with the row above or below when that is the other half of a
    two-row header (the pair then names more columns).
    """
    for index, row in enumerate(rows):
        single = [cell_text(value) for value in row]
        if _known(single, match) < min_known:
            continue
        options = [HeaderLocation(index, 1, tuple(single))]
        if index > 0 and any(cell_text(v) for v in rows[index - 1]):
            labels = stack_header(rows[index - 1], row, match)
            options.append(HeaderLocation(index - 1, 2, tuple(labels)))
        if index + 1 < len(rows) and not _has_number(rows[index + 1]):
            labels = stack_header(row, rows[index + 1], match)
            options.append(HeaderLocation(index, 2, tuple(labels)))
        # max keeps the first of equals: one row unless two rows name more columns
        return max(options, key=lambda option: _known(option.labels, match))
    return None


# ---- CSV -----------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """utf-8-sig / utf-16 by BOM, utf-8 when every byte is UTF-8, else gb18030."""
    with path.open("rb") as handle:
        start = handle.read(4)
        if start.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"  # Excel's "Unicode text" export
        handle.seek(0)
        # The whole file is checked (in chunks, not held): a GBK export can begin with
        # ASCII-only lines that are also valid UTF-8.
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"  # a superset of GBK and GB2312
    return "utf-8"


def _guarded(path: Path, reader: Any) -> Iterator[Cells]:
    """csv records; a quoting failure becomes an InputError at its line."""
    try:
        yield from reader
    except csv.Error as exc:
        raise InputError(
            f"CSV 格式错误 / malformed CSV: {exc}",
            SourceSpan(str(path), reader.line_num),
        ) from None


# ---- XLSX ----------------------------------------------------------------------------


def number_text(value: int | float | Decimal) -> str:
    """A number as the user typed it: whole floats without ".0", others shortest."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)  # the shortest text that round-trips: what the user typed
    return str(value)


def _cell_value(cell: Any) -> object:
    value = cell.value
    # A cell shown as 15% holds 0.15: say so, or a header "(%)" would make it 0.15%.
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if is_number and "%" in (getattr(cell, "number_format", None) or ""):
        if isinstance(value, float) and not math.isfinite(value):
            return value  # no percentage: the reader refuses it for its column
        percent = (Decimal(number_text(value)) * 100).normalize()
        return f"{percent:f}%"
    return value


def _workbook_records(
    path: Path, sheet: str | None
) -> tuple[Iterator[Cells], Callable[[], None]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise InputError(
            f"无法打开工作簿 / cannot open workbook: {exc}", SourceSpan(str(path))
        ) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            names = "、".join(book.sheetnames)
            raise InputError(
                f"没有工作表「{sheet}」（现有：{names}）/ no such sheet",
                SourceSpan(str(path)),
            )
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        # exporters often write a wrong <dimension>: read every row
        ws.reset_dimensions()
    except BaseException:
        book.close()
        raise
    records = ([_cell_value(c) for c in row] for row in ws.iter_rows())
    return records, book.close
