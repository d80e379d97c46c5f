"""Tabular files (CSV, TSV, XLSX) → a located header and numbered rows of cells.

Generic: the caller says which header texts it knows (`match`); this module knows no
project field. It detects a CSV's encoding, skips title and blank rows above the
header, joins a two-row header (a merged group cell over its sub-headers) and yields
`(row_number, cells)` with the row number as the user sees it (the first line is 1).
Cells are as the file holds them: text, int, float, bool, date/datetime, None or "" for
an empty cell; a number formatted as a percentage comes as its text ("15%"), a cell
past `Limits.max_cell_chars` as `Overlong`, an XLSX formula saved without its result as
`UncomputedFormula` (when asked). Rows are streamed, within `Limits`: a
file past them is refused with an `InputError` before its rows are read where the
format allows (XLSX, see `screening.io.workbook`), a cell past them spoils its row only.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from screening.errors import ScreeningError, SourceSpan
from screening.io import excel

# Rows searched for the header: title rows, blank rows, two-row headers.
HEADER_SCAN = 50
# A header row must recognise this many columns (a title row rarely does).
MIN_KNOWN = 2
_CHUNK = 1 << 16  # bytes per read while checking the encoding

DELIMITERS = {".csv": ",", ".tsv": "\t"}
WORKBOOKS = {".xlsx", ".xlsm"}

Match = Callable[[str], Hashable | None]
"""One header text → what the caller reads into that column, or None if unknown."""


@dataclass(frozen=True)
class Limits:
    """What one input may hold; past a bound the cell, the row or the file is refused.

    The defaults are Excel's own limits where Excel has one. A caller with a larger
    file that is legitimate passes its own, e.g. `Limits(max_rows=5_000_000)`.
    """

    max_rows: int = excel.ROWS  # rows of a sheet or CSV, header included
    max_columns: int = excel.COLUMNS
    max_cell_chars: int = excel.CELL_CHARS  # a longer cell spoils its row only
    # CSV and JSONL: one line, or one CSV record over several lines. 2 Mi characters
    # hold 64 cells at Excel's cell limit; a longer line spoils its row only and is
    # skipped without being held.
    max_line_chars: int = 1 << 21
    # XLSX: one row's XML, or one shared string. Either reader holds a row at once;
    # 64 MiB is over a hundred cells at Excel's cell limit, so a 50 MB cell spoils
    # its row only, while a 1 GiB one refuses the file.
    max_row_bytes: int = 64 << 20
    # XLSX: all parts, decompressed. Excel's 1,048,576 rows at 60 columns of figures
    # and short texts are about 2 GB of sheet XML (measured: 20 columns, 0.67 GB);
    # verifying that much takes seconds.
    max_unzipped_bytes: int = 2 << 30
    # XLSX: decompressed ÷ compressed of a part over 10 MiB. Sheets of real data
    # compress 7–20 times (measured); blank rows repeated byte for byte compress
    # 500 times, and the 1 GiB-from-4 MB bomb 256 times.
    max_ratio: int = 100
    max_depth: int = 64  # JSONL: nesting of objects and arrays (a project uses 3)


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Overlong:
    """A cell past `limit` characters, its text dropped (`chars`: how many at least).

    With `line`, the cell's CSV line (or record) passed `Limits.max_line_chars`, and
    was cut in this cell.
    """

    chars: int
    limit: int
    line: bool = False


@dataclass(frozen=True)
class UncomputedFormula:
    """An XLSX cell holding a formula saved without its result (`ref`: its place, D5).

    Programs that write workbooks without computing them (openpyxl, scripts) leave
    the result out: the cell has no value to read, which is not an empty cell.
    """

    ref: str

    def __str__(self) -> str:
        return ""  # as a header's text: the cell has no value to show

    @property
    def reason(self) -> str:
        """Why its row is not read, in both languages (batch and evaluate say it alike)."""
        return (
            f"单元格 {self.ref} 是公式但没有计算结果：请在 Excel 中打开并保存后再导入 / "
            f"cell {self.ref} holds a formula without a computed value: open and save "
            "the file in Excel, then import it again"
        )


class InputError(ScreeningError):
    """An input file (or a column-map file) cannot be read as a whole."""

    code = "INP"


class HeaderNotFound(InputError):
    """No row among the first `HEADER_SCAN` recognises `MIN_KNOWN` columns (in any
    sheet of a workbook, `sheets`, when none was named)."""

    sheets: tuple[str, ...] = ()


@dataclass(frozen=True)
class HeaderLocation:
    """Where the header sits (0-based first row, 1 or 2 rows) and its labels."""

    first: int
    height: int
    labels: tuple[str, ...]


Cells = list[Any]


T = TypeVar("T")
C = TypeVar("C", bound="ClosingRows[Any]")


class ClosingRows(Iterator[T]):
    """Rows read from a file that is released when they run out or fail, or on `close`
    (also as a context manager)."""

    def __init__(self, rows: Iterator[T], close: Callable[[], None] | None) -> None:
        self._rows = rows
        self._close = close

    def __next__(self) -> T:
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

    def __enter__(self: C) -> C:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Table(ClosingRows[tuple[int, Cells]]):
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
        super().__init__(rows, close)
        self.source = source
        self.format = format
        self.header = header
        self.encoding = encoding
        # the sheet read when it is not the first (whose first rows name no columns)
        self.sheet: str | None = None

    @property
    def header_rows(self) -> tuple[int, ...]:
        """The header's row numbers as the user sees them (1-based)."""
        first = self.header.first + 1
        return tuple(range(first, first + self.header.height))

    def unguarded(self) -> Iterator[tuple[int, Cells]]:
        """The same rows, for a caller that closes the table itself when they fail
        (one call a row fewer)."""
        return self._rows


def open_table(
    path: Path | str,
    match: Match,
    *,
    sheet: str | None = None,
    min_known: int = MIN_KNOWN,
    limits: Limits = DEFAULT_LIMITS,
    mark_uncomputed: bool = False,
) -> Table:
    """Open a CSV/TSV/XLSX file, find its header with `match`, stream the rows below.

    With `mark_uncomputed`, an XLSX formula saved without its result comes as
    `UncomputedFormula`; else as an empty cell, for a caller that does not read it.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("找不到输入文件 / input not found", SourceSpan(str(p)))
    suffix = p.suffix.lower()
    if suffix in DELIMITERS:
        encoding, lines = _survey(p)
        delimiter = DELIMITERS[suffix]
        if lines > limits.max_rows:  # lines ≥ records: count the records to be sure
            _check_rows(p, encoding, delimiter, limits)
        # errors="replace": a stray byte spoils one row (its cells show U+FFFD), not
        # the file.
        handle = p.open(encoding=encoding, errors="replace", newline="")
        records = _csv_records(p, handle, delimiter, limits)
        return _table(p, records, match, min_known, "csv", handle.close, encoding)
    if suffix in WORKBOOKS:
        from screening.io.workbook import read_workbook, sheet_names

        records, close = read_workbook(p, sheet, limits, mark_uncomputed)
        try:
            return _table(p, records, match, min_known, "xlsx", close)
        except HeaderNotFound as exc:
            if sheet is not None:
                raise
            # a workbook that opens with 填表说明 or a cover sheet: the first sheet
            # whose first rows name the columns, as a reader would look for it
            names = sheet_names(p)
            for name in names[1:]:
                records, close = read_workbook(p, name, limits, mark_uncomputed)
                try:
                    table = _table(p, records, match, min_known, "xlsx", close)
                except HeaderNotFound:
                    continue
                table.sheet = name
                return table
            exc.sheets = tuple(names)
            raise
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
    return _survey(path)[0]


def _survey(path: Path) -> tuple[str, int]:
    """(encoding, line breaks): one pass over the bytes, in chunks, not held."""
    breaks = 0
    with path.open("rb") as handle:
        start = handle.read(4)
        if start.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"  # Excel's "Unicode text" export
        else:
            encoding = "utf-8"
        handle.seek(0)
        # The whole file is checked: a GBK export can begin with ASCII-only lines
        # that are also valid UTF-8.
        decoder = codecs.getincrementaldecoder("utf-8")()
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            breaks += max(chunk.count(b"\n"), chunk.count(b"\r"))
            if encoding == "utf-8":
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    encoding = "gb18030"  # a superset of GBK and GB2312
        if encoding == "utf-8":
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                encoding = "gb18030"
    return encoding, breaks


# Stands where an over-long line was cut: csv puts it in the cell that held the cut.
_CUT = "\x00screening:cut\x00"


class _RecordTooLong(Exception):
    """A CSV record over several lines passed `Limits.max_line_chars`."""


class _Lines(Iterator[str]):
    """A text file's lines for csv.reader, none held past `limit` characters.

    A longer line is cut there and the rest skipped (read in pieces, never held); the
    cut is marked with `_CUT`, and a quote is added when the skipped part held an odd
    number, so that csv's quoting state after the line is as the whole line leaves it.
    """

    def __init__(self, handle: Any, limit: int) -> None:
        self.handle = handle
        self.limit = limit
        self.record_chars = 0  # since `start_record`
        self.record_lines = 0
        self.first_line = ""

    def start_record(self) -> None:
        """Called before each record: its size is counted from here."""
        self.record_chars = self.record_lines = 0

    def __next__(self) -> str:
        line: str = self.handle.readline(self.limit + 1)
        if not line:
            raise StopIteration
        if len(line) > self.limit and not line.endswith(("\n", "\r")):
            quotes = line.count('"', self.limit)
            while True:
                more = self.handle.readline(_CHUNK)
                quotes += more.count('"')
                if not more or more.endswith(("\n", "\r")):
                    break
            line = line[: self.limit] + _CUT + '"' * (quotes % 2) + "\n"
        elif self.record_lines and self.record_chars + len(line) > self.limit:
            raise _RecordTooLong
        if not self.record_lines:
            self.first_line = line
        self.record_lines += 1
        self.record_chars += len(line)
        return line


def _csv_records(
    path: Path, handle: Any, delimiter: str, limits: Limits
) -> Iterator[Cells]:
    """csv records within `limits`; an over-long cell or line becomes `Overlong`."""
    lines = _Lines(handle, limits.max_line_chars)
    # csv's own bound on a field (process-wide, 128 KiB by default) would refuse the
    # whole file at the first long cell: ours, per line, comes first
    if csv.field_size_limit() < limits.max_line_chars + len(_CUT) + 2:
        csv.field_size_limit(limits.max_line_chars + len(_CUT) + 2)
    reader = csv.reader(lines, delimiter=delimiter)
    count = 0
    while True:
        lines.start_record()
        try:
            cells: Cells = next(reader)
        except StopIteration:
            return
        except _RecordTooLong:
            # a quoted field left open runs on: the field it opened is over-long
            cells = _cells_of(lines.first_line, delimiter)
            cells[-1] = Overlong(lines.record_chars, limits.max_line_chars, line=True)
        except csv.Error as exc:
            raise InputError(
                f"CSV 格式错误 / malformed CSV: {exc}",
                SourceSpan(str(path), reader.line_num),
            ) from None
        else:
            if lines.record_chars > limits.max_cell_chars:
                cells = [_bounded(cell, limits) for cell in cells]
        count += 1
        if count > limits.max_rows:
            raise _too_many_rows(path, limits)
        yield cells


def _bounded(cell: str, limits: Limits) -> str | Overlong:
    if _CUT in cell:
        return Overlong(len(cell), limits.max_line_chars, line=True)
    if len(cell) > limits.max_cell_chars:
        return Overlong(len(cell), limits.max_cell_chars)
    return cell


def _cells_of(line: str, delimiter: str) -> Cells:
    """The cells a line begins with, its last one left open (a quote not closed)."""
    try:
        return next(csv.reader([line.rstrip("\r\n") + '"'], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return [""]


def rows_bound(limits: Limits) -> tuple[str, str]:
    """Which row limit an input passed, in Chinese and English: Excel's own (the
    default, which a command's `--max-rows` raises) or the one set for this reading
    (an upload's, say), which is not Excel's; a `max_rows` not Excel's is never
    called Excel's."""
    if limits.max_rows == DEFAULT_LIMITS.max_rows:
        return (
            "Excel 的上限；batch 与 register import 可用 --max-rows 调高",
            "Excel's limit; batch and register import take --max-rows to raise it",
        )
    return "本次读取的上限", "the limit set for this reading"


def _too_many_rows(path: Path, limits: Limits) -> InputError:
    zh, en = rows_bound(limits)
    return InputError(
        f"超过 {limits.max_rows:,} 行（{zh}），请拆分文件 / more than "
        f"{limits.max_rows:,} rows ({en}): split the file",
        SourceSpan(str(path)),
    )


def _check_rows(path: Path, encoding: str, delimiter: str, limits: Limits) -> None:
    """Refuse a CSV of more than `limits.max_rows` records before reading its rows."""
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        for _ in _csv_records(path, handle, delimiter, limits):
            pass


# ---- numbers -------------------------------------------------------------------------


def float_text(value: float) -> str:
    """`number_text` of a finite float, its common cases (the shortest text, a whole
    float's without ".0", -0.0's as 0) without its general steps: the readers ask it
    of every new figure."""
    text = repr(value)
    if len(text) > 16 or "e" in text:
        return number_text(value)
    if text[-2:] == ".0":
        return text[:-2] if text != "-0.0" else "0"
    return text


def float_texts(values: Sequence[float]) -> list[str] | None:
    """`float_text` of each of these floats, made at once, or None when one of them
    needs more than the shortest text (not finite, an exponent, 16 characters or
    more): then each is read on its own. Unique figures (a column of investments)
    are read so, a `repr` each rather than a call."""
    texts = list(map(repr, values))
    joined = "\x00".join(texts) + "\x00"
    # "e" for an exponent, "n" for nan and inf
    if "e" in joined or "n" in joined or max(map(len, texts), default=0) > 15:
        return None
    if ".0\x00" in joined:  # whole floats, shown without ".0"
        texts = [
            (text[:-2] if text != "-0.0" else "0") if text[-2:] == ".0" else text
            for text in texts
        ]
    return texts


def read_floats(
    floats: Sequence[float],
    found: list[Any],
    known: dict[Any, Any],
    limit: int,
    reading: Callable[[str], Any],
) -> list[Any] | None:
    """`found` (each float's reading from `known`, None where not known yet) with its
    gaps filled at once: `reading` of each new float's `float_text` (`float_texts`),
    remembered in `known` (cleared first when it would pass `limit`); None when one of
    them needs `float_text`'s general steps, to be read on its own."""
    misses = [value for value, got in zip(floats, found, strict=True) if got is None]
    texts = float_texts(misses)
    if texts is None:
        return None
    readings = list(map(reading, texts))
    if len(known) + len(misses) > limit:
        known.clear()
    known.update(zip(misses, readings, strict=True))
    if len(misses) == len(found):
        return readings
    fresh = iter(readings)
    return [next(fresh) if got is None else got for got in found]


def number_text(value: int | float | Decimal) -> str:
    """A number as the user typed it: whole floats without ".0", others shortest.

    Excel keeps 15 significant digits, so a float with more is shown with 15, as
    Excel shows it (more are a binary artefact of a formula: 4500.000000000001), and
    so is a whole number past 15 digits, which a sheet can only hold as such a float.
    """
    if isinstance(value, int):
        if -(10**15) < value < 10**15 or abs(value) >= 10**300:
            return str(value)
        value = float(value)
    if isinstance(value, float):
        if value.is_integer() and -1e15 < value < 1e15:
            return str(int(value))
        text = repr(value)  # the shortest text that round-trips
        # 16 characters or fewer hold at most 15 digits (a whole float is above)
        if len(text) > 16:
            digits = text.lstrip("-0.").split("e")[0].replace(".", "")
            if len(digits) > 15:
                text = f"{value:.15g}"
        if "e" in text and value.is_integer():
            text = format(Decimal(text), "f")  # 1e+15 as 1000000000000000
        return text
    return str(value)
