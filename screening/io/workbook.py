"""XLSX workbooks → rows of cells; refused before parsing when past their bounds.

A workbook is a zip of XML parts. Before any XML parser sees a part, its declared size
and compression ratio are checked (`Limits.max_unzipped_bytes`, `Limits.max_ratio`);
then the chosen sheet is inflated once, in chunks, by this module: that pass verifies
the declared size (a part that inflates past it is refused) and counts rows and columns
with byte searches, so a sheet past Excel's limits is refused in seconds, in memory that
does not grow with the file. The values are then read by python-calamine when the sheet
is small enough to hold (it loads a whole sheet at once: `CALAMINE_CELLS`), else
streamed by openpyxl's read-only reader. calamine reports no number formats and gives
error cells as "", so the same pass finds percent-formatted and error cells. Neither
reader tells a formula saved without its result (by a program that computes none)
from an empty cell: the pass finds those too, for both, and they come as
`UncomputedFormula`.
"""

from __future__ import annotations

import math
import re
import struct
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import compress, repeat
from operator import eq, itemgetter
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

from screening.errors import SourceSpan
from screening.io.tables import (
    Cells,
    InputError,
    Limits,
    Overlong,
    UncomputedFormula,
    number_text,
    rows_bound,
)
from screening.io.ziparchive import INFLATE_ERRORS, crc32, raw_inflater

# calamine holds a sheet as a dense grid (rows × columns of 32-byte cells, strings
# apart): measured 1.5 GB for 1,000,000 rows × 20 columns. Up to this many cells (about
# 300 MB) it reads the sheet; a larger one is streamed by openpyxl in flat memory.
CALAMINE_CELLS = 4_000_000
CALAMINE_BYTES = 256 << 20  # sheet XML, the same bound on what calamine holds

_CHUNK = 1 << 20  # bytes inflated at a time
_SMALL_PART = 64 << 20  # workbook.xml, relationships, styles: parsed whole
_RATIO_FROM = 10 << 20  # smaller parts may compress well harmlessly
_MIB = 1 << 20
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and any password-protected workbook
_PERCENT_FORMATS = {9, 10}  # built-in 0% and 0.00%


class _Refused(Exception):
    """A part that cannot be inflated as its archive declares it."""


def read_workbook(
    path: Path, sheet: str | None, limits: Limits, mark_uncomputed: bool = False
) -> tuple[Iterator[Cells], Callable[[], None]]:
    """The rows of one sheet (the first unless `sheet` names one), and its closer.

    With `mark_uncomputed`, a formula saved without its result comes as
    `UncomputedFormula`, else as an empty cell (for a caller that reads it so).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {info.filename: info for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise _error(path, _unopenable(path, exc)) from None
    try:
        _check_archive(path, infos, limits)
        book = _Book.read(path, infos)
        name, part = book.sheet(path, sheet)
        scan = _scan_sheet(path, infos[part], book, limits)
        if not mark_uncomputed:
            scan.uncomputed.clear()
            scan.has_uncomputed = False
    except _Refused as exc:
        raise _error(path, f"无法打开工作簿 / cannot open workbook: {exc}") from None
    if scan.fits_calamine():
        rows, close = _calamine_rows(path, name, scan, limits)
    else:
        rows, close = _openpyxl_rows(path, name, infos[part], scan, limits)
    ranges = merged_ranges(scan.merged)
    if ranges:
        rows = _fill_merged(rows, ranges, scan.last_column)
    return rows, close


def sheet_names(path: Path) -> list[str]:
    """The workbook's sheets by name, in its order."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {info.filename: info for info in archive.infolist()}
        return list(_Book.read(path, infos).sheets)
    except (zipfile.BadZipFile, OSError, _Refused) as exc:
        raise _error(path, f"无法打开工作簿 / cannot open workbook: {exc}") from None


def _error(path: Path, message: str) -> InputError:
    return InputError(message, SourceSpan(str(path)))


def _unopenable(path: Path, exc: Exception) -> str:
    try:
        with path.open("rb") as handle:
            start = handle.read(len(_OLE))
    except OSError:
        start = b""
    if start == _OLE:
        return (
            "工作簿已加密或为旧版 .xls，请去掉密码并另存为 .xlsx / "
            "the workbook is encrypted or an old .xls: "
            "save it as .xlsx without a password"
        )
    return f"无法打开工作簿 / cannot open workbook: {exc}"


# ---- the archive ---------------------------------------------------------------------


def _check_archive(
    path: Path, infos: dict[str, zipfile.ZipInfo], limits: Limits
) -> None:
    """Declared sizes and ratios, before anything is inflated."""
    total = 0
    for info in infos.values():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FROM and ratio > limits.max_ratio:
            raise _error(
                path,
                f"工作簿部件 {info.filename} 解压后 {info.file_size // _MIB} MiB，"
                f"是压缩后的 {ratio:.0f} 倍（上限 {limits.max_ratio} 倍），"
                f"疑为压缩炸弹，已拒绝 / part {info.filename} expands "
                f"{ratio:.0f} times (limit {limits.max_ratio}): refused as a zip bomb",
            )
    if total > limits.max_unzipped_bytes:
        raise _error(
            path,
            f"工作簿解压后 {total // _MIB} MiB，超过上限 "
            f"{limits.max_unzipped_bytes // _MIB} MiB / the workbook unzips to "
            f"{total // _MIB} MiB, over the limit of "
            f"{limits.max_unzipped_bytes // _MIB} MiB",
        )


def _inflate(path: Path, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's bytes in chunks; refused if they differ from what the archive says."""
    if info.flag_bits & 0x1:
        raise _Refused(f"{info.filename} 已加密 / is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _Refused(f"{info.filename}: 不支持的压缩方式 / unsupported compression")
    with path.open("rb") as handle:
        handle.seek(info.header_offset)
        local = handle.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise _Refused(f"{info.filename}: 压缩包已损坏 / damaged archive")
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        handle.seek(info.header_offset + 30 + name_length + extra_length)
        inflater = (
            raw_inflater() if info.compress_type == zipfile.ZIP_DEFLATED else None
        )
        left, produced, crc = info.compress_size, 0, 0
        while True:
            if inflater is not None and inflater.unconsumed_tail:
                data = inflater.unconsumed_tail
            else:
                if left <= 0:
                    break
                data = handle.read(min(_CHUNK, left))
                left -= len(data)
                if not data:
                    break
            try:
                piece = data if inflater is None else inflater.decompress(data, _CHUNK)
            except INFLATE_ERRORS:
                raise _Refused(
                    f"{info.filename}: 压缩数据已损坏 / damaged data"
                ) from None
            produced += len(piece)
            if produced > info.file_size:
                raise _Refused(
                    f"{info.filename} 解压后超过其声明的大小 / "
                    "inflates past its declared size"
                )
            crc = crc32(piece, crc)
            if piece:
                yield piece
            if inflater is not None and inflater.eof:
                break
    if (
        produced != info.file_size
        or crc != info.CRC
        or (inflater is not None and not inflater.eof)
    ):
        raise _Refused(f"{info.filename}: 压缩包已损坏 / damaged archive")


def _small_part(path: Path, info: zipfile.ZipInfo) -> ElementTree.Element:
    if info.file_size > _SMALL_PART:
        raise _Refused(f"{info.filename} 过大 / too large")
    try:
        return ElementTree.fromstring(b"".join(_inflate(path, info)))
    except ElementTree.ParseError as exc:
        raise _Refused(f"{info.filename}: {exc}") from None


@dataclass(frozen=True)
class _Book:
    """What the workbook part says: sheets by name, percent styles, shared strings."""

    sheets: dict[str, str]  # name → part path, in workbook order
    percent_styles: frozenset[int]
    shared_strings: str | None

    @classmethod
    def read(cls, path: Path, infos: dict[str, zipfile.ZipInfo]) -> _Book:
        workbook = _target(path, infos, "_rels/.rels", f"{_DOC}/officeDocument", "")
        if workbook is None and "xl/workbook.xml" in infos:
            workbook = "xl/workbook.xml"  # a writer that left out the package's .rels
        if workbook is None or workbook not in infos:
            raise _Refused("没有工作簿部件 / no workbook part")
        folder = PurePosixPath(workbook).parent
        rels_path = str(folder / "_rels" / (PurePosixPath(workbook).name + ".rels"))
        rels = _relations(path, infos, rels_path, str(folder))
        root = _small_part(path, infos[workbook])
        sheets: dict[str, str] = {}
        for node in root.iter(f"{{{_MAIN}}}sheet"):
            kind, part = rels.get(node.get(f"{{{_DOC}}}id", ""), ("", ""))
            if kind == f"{_DOC}/worksheet" and part in infos:
                sheets[node.get("name", "")] = part
        styles = next((p for k, p in rels.values() if k == f"{_DOC}/styles"), None)
        strings = next(
            (p for k, p in rels.values() if k == f"{_DOC}/sharedStrings"), None
        )
        percent = _percent_styles(path, infos[styles]) if styles in infos else set()
        return cls(sheets, frozenset(percent), strings if strings in infos else None)

    def sheet(self, path: Path, name: str | None) -> tuple[str, str]:
        """(name, part) of the named sheet, or of the first one."""
        if name is None:
            if not self.sheets:
                raise _Refused("没有工作表 / no worksheet")
            name = next(iter(self.sheets))
        elif name not in self.sheets:
            raise _error(
                path,
                f"没有工作表「{name}」（现有：{'、'.join(self.sheets)}）"
                "/ no such sheet",
            )
        return name, self.sheets[name]


def _relations(
    path: Path, infos: dict[str, zipfile.ZipInfo], rels: str, folder: str
) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, part path) of one .rels part."""
    if rels not in infos:
        return {}
    found: dict[str, tuple[str, str]] = {}
    for node in _small_part(path, infos[rels]).iter(f"{{{_REL}}}Relationship"):
        target = node.get("Target", "")
        if node.get("TargetMode") == "External":
            continue
        if target.startswith("/"):
            part = target.lstrip("/")
        else:
            part = str(PurePosixPath(folder) / target) if folder else target
        found[node.get("Id", "")] = (node.get("Type", ""), _normal(part))
    return found


def _normal(part: str) -> str:
    parts: list[str] = []
    for piece in part.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _target(
    path: Path, infos: dict[str, zipfile.ZipInfo], rels: str, kind: str, folder: str
) -> str | None:
    return next(
        (p for k, p in _relations(path, infos, rels, folder).values() if k == kind),
        None,
    )


def _percent_styles(path: Path, info: zipfile.ZipInfo) -> set[int]:
    """Indexes of the cell styles whose number format shows a percentage."""
    root = _small_part(path, info)
    codes = {
        _number(node.get("numFmtId")): node.get("formatCode", "")
        for node in root.iter(f"{{{_MAIN}}}numFmt")
    }
    cell_xfs = root.find(f"{{{_MAIN}}}cellXfs")
    percent: set[int] = set()
    for index, xf in enumerate(() if cell_xfs is None else cell_xfs):
        number = _number(xf.get("numFmtId"))
        # as openpyxl's reader decides (the other path): a "%" in the format code
        if number in _PERCENT_FORMATS or "%" in codes.get(number, ""):
            percent.add(index)
    return percent


def _number(text: str | None) -> int:
    """An attribute's number, or -1 (no format) when it is missing or not a number."""
    try:
        return int(text or "")
    except ValueError:
        return -1


# ---- the sheet pass ------------------------------------------------------------------

_ROOT = re.compile(rb"<(\w+:)?worksheet\b")
_LEADING_NUMBER = re.compile(rb' r="(\d{1,7})"')
_CELL_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})(\d{1,7})"')
_REF = re.compile(rb'\sr="([A-Z]{1,3})(\d{1,7})"')
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def column_number(letters: bytes) -> int:
    """A column's 1-based number from its letters (A → 1, XFD → 16384)."""
    number = _COLUMNS.get(letters)
    if number is None:
        number = 0
        for char in letters:
            number = number * 26 + char - 64
        if len(_COLUMNS) < 20_000:
            _COLUMNS[letters] = number
    return number


_COLUMNS: dict[bytes, int] = {}


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = _LETTERS[rest] + letters
    return letters


def _not_after(text: str, alphabet: str) -> str:
    """A regex for the non-empty strings over `alphabet` that do not sort after `text`:
    shorter, or the same length and not greater (column letters and row numbers sort so).

    Written as tersely as it can be (each class merged, no empty repeat): the sheet
    pass tries it at every reference, where each alternative tried costs.
    """

    def chars(low: str, high: str) -> str:
        return re.escape(low) if low == high else f"[{low}-{high}]"

    def times(count: int) -> str:
        whole = chars(alphabet[0], alphabet[-1])
        return "" if not count else whole if count == 1 else f"{whole}{{{count}}}"

    options: list[str] = []
    for at, char in enumerate(text):
        rest = len(text) - at - 1
        # the last character may equal text's; an earlier one must be lower
        high = char if not rest else alphabet[alphabet.index(char) - 1]
        if rest and char == alphabet[0]:
            continue  # nothing is lower
        options.append(f"{re.escape(text[:at])}{chars(alphabet[0], high)}{times(rest)}")
    if len(text) > 1:  # shorter: after the same length's, which are longer
        whole = chars(alphabet[0], alphabet[-1])
        shorter = len(text) - 1
        options.append(whole if shorter == 1 else f"{whole}{{1,{shorter}}}")
    return "|".join(options)


def _beyond(last_column: int, last_row: int) -> re.Pattern[bytes]:
    """A reference other than letters up to `last_column` then digits up to `last_row`.

    One lookahead at each ` r="` (the search skips to them): a row or cell placed
    beyond the extent measured, or a reference spelt otherwise, matches.
    """
    columns = _not_after(_column_letters(last_column), _LETTERS) if last_column else ""
    rows = _not_after(str(last_row), "0123456789") if last_row else "(?!)"
    cells = f"(?:{columns})?" if columns else ""
    return re.compile(f' r="(?!{cells}(?:{rows})")'.encode())


@dataclass
class _Scan:
    """What one pass over a sheet's XML found."""

    limits: Limits
    percent_styles: frozenset[int]
    rows: int = 0
    last_row: int = 0
    last_column: int = 0
    positional: bool = False  # a reference not read exactly: only openpyxl
    widest_row: int = 0  # bytes of the largest row
    widest_string: int = 0  # bytes of the largest shared string
    xml_bytes: int = 0
    # row → its percent-formatted columns, bit n for 0-based column n
    percent: dict[int, int] = field(default_factory=dict)
    percent_patterns: dict[int, re.Pattern[bytes]] = field(default_factory=dict)
    percent_bits: dict[bytes, int] = field(default_factory=dict)  # by letters
    errors: dict[int, dict[int, str]] = field(default_factory=dict)
    # row → its formulas saved without a result, bit n for 0-based column n
    uncomputed: dict[int, int] = field(default_factory=dict)
    has_uncomputed: bool = False  # kept when the marks are not
    prefix: bytes = b""  # the sheet's namespace prefix (x: in <x:row>)
    merged: bytes = b""  # the sheet's <mergeCells> element, after <sheetData>

    def fits_calamine(self) -> bool:
        """Whether calamine can hold the sheet within `CALAMINE_CELLS`."""
        cells = self.last_row * self.last_column
        return (
            not self.positional
            and cells <= CALAMINE_CELLS
            and self.xml_bytes <= CALAMINE_BYTES
        )

    def long_cells_possible(self) -> bool:
        """Whether any cell can be longer than the limit (no row or string is)."""
        longest = max(self.widest_row, self.widest_string)
        return longest > self.limits.max_cell_chars


def _scan_sheet(
    path: Path, info: zipfile.ZipInfo, book: _Book, limits: Limits
) -> _Scan:
    scan = _Scan(limits, book.percent_styles, xml_bytes=info.file_size)
    carry = b""
    merged: bytes | None = b""  # what to look at for the merged ranges, None: done
    row_open = b"<row"
    end_tag = b"</sheetData>"
    started = done = False
    for chunk in _inflate(path, info):
        if done:
            # inflated to the end all the same: that verifies the part; the merged
            # ranges, which follow the rows, are kept on the way
            if merged is not None:
                merged = _merged_part(scan, merged + chunk)
            continue
        buffer = carry + chunk
        if not started:
            root = _ROOT.search(buffer)
            if root is None:
                carry = buffer[-256:]
                continue
            prefix = root.group(1) or b""
            row_open, end_tag = b"<" + prefix + b"row", b"</" + prefix + b"sheetData>"
            scan.prefix = prefix
            started = True
        end = buffer.find(end_tag)
        if end >= 0:
            _rows(path, scan, buffer[:end], row_open)
            done = True
            merged = _merged_part(scan, buffer[end:])
            continue
        cut = buffer.rfind(row_open)
        if cut <= 0:
            carry = buffer
        else:
            _rows(path, scan, buffer[:cut], row_open)
            carry = buffer[cut:]
        if len(carry) > limits.max_row_bytes:
            raise _error(path, _row_too_large(scan.rows + 1, limits))
    if book.shared_strings is not None:
        scan.widest_string = _widest_string(path, book.shared_strings, limits)
    return scan


_MERGED_END = re.compile(rb"</(?:\w+:)?mergeCells>|<(?:\w+:)?mergeCells\s*/>")
_MERGED_START = re.compile(rb"<(?:\w+:)?mergeCells\b")
_MERGED_REF = re.compile(
    rb'<(?:\w+:)?mergeCell\s[^>]*?\bref="\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)"'
)


def _merged_part(scan: _Scan, tail: bytes) -> bytes | None:
    """Keep the sheet's merged ranges from XML after </sheetData> (`tail` holds it
    from there, or from what an earlier call kept): what to keep looking at, or None
    once the <mergeCells> element is whole in `scan.merged` (or the sheet is done)."""
    if not scan.merged:
        start = _MERGED_START.search(tail)
        if start is None:
            return tail[-64:]  # the start may be cut at the chunk's end
        tail = tail[start.start() :]
    else:
        tail = scan.merged + tail
    end = _MERGED_END.search(tail)
    if end is None:
        scan.merged = tail
        return b""
    scan.merged = tail[: end.end()]
    return None


def merged_ranges(element: bytes) -> list[tuple[int, int, int, int]]:
    """(first row, first column, last row, last column), 1-based, of each range of
    more than one cell that a <mergeCells> element names."""
    ranges = []
    for match in _MERGED_REF.finditer(element):
        c1, r1 = column_number(match.group(1)), int(match.group(2))
        c2, r2 = column_number(match.group(3)), int(match.group(4))
        r1, r2 = min(r1, r2), max(r1, r2)
        c1, c2 = min(c1, c2), max(c1, c2)
        if (r1, c1) != (r2, c2):
            ranges.append((r1, c1, r2, c2))
    return sorted(ranges)


def _fill_merged(
    rows: Iterator[Cells], ranges: list[tuple[int, int, int, int]], last_column: int
) -> Iterator[Cells]:
    """The rows with every cell of a merged range given the value of its first (top
    left) cell, as Excel shows it: 规上 merged over A2:A4 is 规上 in rows 2, 3 and 4.
    A range is filled no further right than the sheet's last column."""
    pending = iter(ranges)
    upcoming = next(pending, None)
    active: list[tuple[int, int, int, object]] = []  # last row, columns, value
    for number, cells in enumerate(rows, 1):
        while upcoming is not None and upcoming[0] <= number:
            r1, c1, r2, c2 = upcoming
            upcoming = next(pending, None)
            if r1 < number:
                continue  # its first row was never read
            value = cells[c1 - 1] if c1 <= len(cells) else None
            if value is None or value == "":
                continue  # nothing to carry
            active.append((r2, c1, min(c2, max(last_column, c1)), value))
        if active:
            active = [entry for entry in active if entry[0] >= number]
            for _, c1, c2, value in active:
                if len(cells) < c2:
                    cells.extend([None] * (c2 - len(cells)))
                for column in range(c1 - 1, c2):
                    cells[column] = value
        yield cells
    if isinstance(rows, Generator):
        rows.close()


def _row_too_large(number: int, limits: Limits) -> str:
    return (
        f"第 {number} 行的数据超过 {limits.max_row_bytes // _MIB} MiB，无法读取 / "
        f"row {number} holds more than {limits.max_row_bytes // _MIB} MiB"
    )


def _rows(path: Path, scan: _Scan, region: bytes, row_open: bytes) -> None:
    """Count and measure the complete rows in `region` (it ends where a row starts)."""
    limits = scan.limits
    pieces = region.split(row_open)[1:]
    if not pieces:
        return
    cell_open = row_open[:-3] + b"c"
    spaced, bare = cell_open + b" ", cell_open + b">"
    # Each row and cell has one reference, spelt r="…" right after its name (as every
    # spreadsheet program writes them); anything else is read by openpyxl, which
    # places cells as the file says, while this pass could not measure them.
    first = region.find(row_open)
    references = region.count(b' r="', first)
    named_cells = region.count(cell_open + b' r="', first)
    if region.count(cell_open, first) == named_cells:
        # each "<c" starts a cell named first (the common sheet): none is bare
        spaced_cells, bare_cells = named_cells, 0
    else:
        spaced_cells = region.count(spaced, first)
        bare_cells = region.count(bare, first)
    named_rows = region.count(row_open + b' r="', first)
    named = spaced_cells + bare_cells + len(pieces)  # one reference each
    if references != named or named_rows != len(pieces):
        scan.positional = True
    scan.rows += len(pieces)
    last = _LEADING_NUMBER.match(pieces[-1])
    scan.last_row = max(scan.last_row, int(last.group(1)) if last else 0)
    if scan.positional:
        scan.last_row = max(scan.last_row, scan.rows)
    if scan.last_row > limits.max_rows or scan.rows > limits.max_rows:
        raise _too_many_rows(path, limits)
    widest = max(map(len, pieces))
    if widest > limits.max_row_bytes:
        raise _error(path, _row_too_large(scan.rows, limits))
    scan.widest_row = max(scan.widest_row, widest)
    # Every row and cell named with its reference first (no bare <c>): the last cell
    # of the last row gives the extent if no reference passes it, which one search
    # over the references shows, rather than a look at every row's last cell.
    measured = (
        not scan.positional
        and not bare_cells
        and named_cells == spaced_cells
        and _measured_at_once(path, scan, region, pieces[-1], spaced)
    )
    if not measured:
        _last_columns(path, scan, pieces, spaced, bare)
        # a row or cell placed beyond the extent just measured (rows come in order,
        # cells too), or a reference with other characters: calamine would hold its
        # grid up to there
        beyond = _beyond(scan.last_column, scan.last_row)
        if scan.fits_calamine() and beyond.search(region):
            scan.positional = True
    prefix = scan.prefix
    if not scan.fits_calamine():
        # openpyxl will read the sheet and see formats and errors itself: the marks,
        # which grow with the rows, are not kept; uncomputed formulas, which it
        # cannot see, are found again beside it when the sheet has any
        scan.percent.clear()
        scan.errors.clear()
        scan.uncomputed.clear()
        if not scan.has_uncomputed:
            found = next(_uncomputed_cells(region, prefix, first), None)
            scan.has_uncomputed = found is not None
        return
    _mark_uncomputed(scan.uncomputed, region, prefix, first)
    scan.has_uncomputed = scan.has_uncomputed or bool(scan.uncomputed)
    if scan.percent_styles:
        _mark_percent(scan, region, cell_open)
    for row, column, cell in _error_cells(region, cell_open):
        value = re.search(rb"<(?:\w+:)?v>([^<]*)<", cell)
        if value is not None:
            text = value.group(1).decode("utf-8", "replace")
            scan.errors.setdefault(row, {})[column] = text


def _measured_at_once(
    path: Path, scan: _Scan, region: bytes, last_piece: bytes, spaced: bytes
) -> bool:
    """Whether the last row's last cell is the region's extent (then noted in `scan`)."""
    at = last_piece.rfind(spaced)
    ref = _CELL_REF.match(last_piece, at) if at >= 0 else None
    column = max(scan.last_column, column_number(ref.group(1)) if ref else 0)
    if _beyond(column, scan.last_row).search(region):
        return False
    _note_column(path, scan, column)
    return True


def _last_columns(
    path: Path, scan: _Scan, pieces: list[bytes], spaced: bytes, bare: bytes
) -> None:
    """The extent from every row's last cell (cells come in column order)."""
    for piece in pieces:
        at = piece.rfind(spaced)
        if at < 0:
            continue
        ref = _CELL_REF.match(piece, at)
        if ref is None or piece.rfind(bare) > at:
            scan.positional = True
            column = piece.count(spaced) + piece.count(bare)
        else:
            column = column_number(ref.group(1))
        if column > scan.last_column:
            _note_column(path, scan, column)


def _note_column(path: Path, scan: _Scan, column: int) -> None:
    scan.last_column = max(scan.last_column, column)
    if column > scan.limits.max_columns:
        raise _error(
            path,
            f"工作表超过 {scan.limits.max_columns:,} 列（Excel 的上限）/ the sheet "
            f"has more than {scan.limits.max_columns:,} columns (Excel's limit)",
        )


def _too_many_rows(path: Path, limits: Limits) -> InputError:
    zh, en = rows_bound(limits)
    return _error(
        path,
        f"工作表超过 {limits.max_rows:,} 行（{zh}）/ the sheet has more "
        f"than {limits.max_rows:,} rows ({en})",
    )


def _mark_percent(scan: _Scan, region: bytes, cell_open: bytes) -> None:
    """Note the cells of `region` styled with a percent format."""
    attributes = {style: b' s="%d"' % style for style in sorted(scan.percent_styles)}
    # (column letters, row number) of each cell
    found: list[tuple[bytes, bytes]] = []
    for style, attribute in attributes.items():
        pieces = region.split(attribute)
        if len(pieces) == 1:
            continue
        # The reference right before each style attribute: the bytes before each
        # one, as far back as a reference reaches, searched at once (NUL, which no
        # XML holds, parts them), rather than the region, where references abound.
        pattern = scan.percent_patterns.get(style)
        if pattern is None:
            pattern = scan.percent_patterns[style] = re.compile(
                re.escape(cell_open) + rb' r="([A-Z]{1,3})(\d{1,7})"\x00'
            )
        reach = len(cell_open) + 16
        tails = b"\x00".join([piece[-reach:] for piece in pieces[:-1]]) + b"\x00"
        cells = pattern.findall(tails)
        if len(cells) != len(pieces) - 1 or tails.count(0) != len(cells):
            # attributes in another order (or a row styled so): cell by cell
            cells = list(_cells_with(region, attribute, cell_open))
        found += cells
    if not found:
        return
    marks, bits = scan.percent, scan.percent_bits
    every = list(map(itemgetter(0), found))  # each cell's letters
    columns = set(every)  # a sheet has few percent columns
    for letters in columns:
        if letters not in bits:
            bits[letters] = 1 << (column_number(letters) - 1)
    rows = list(map(int, map(itemgetter(1), found)))
    # the common sheet: each percent column styled in the same rows, rows new to the
    # marks (a region holds rows of its own): one mask for all of them, set at once
    first, *others = (
        set(compress(rows, map(eq, every, repeat(letters)))) for letters in columns
    )
    if all(part == first for part in others) and marks.keys().isdisjoint(first):
        marks.update(dict.fromkeys(first, sum(bits[letters] for letters in columns)))
        return
    for row, letters in zip(rows, every, strict=True):
        marks[row] = marks.get(row, 0) | bits[letters]


def _cells_with(
    region: bytes, attribute: bytes, cell_open: bytes
) -> Iterator[tuple[bytes, bytes]]:
    """(letters, row number) of each cell whose start tag holds `attribute`."""
    at = region.find(attribute)
    while at >= 0:
        start = region.rfind(b"<", 0, at)
        if region.startswith(cell_open + b" ", start):
            ref = _REF.search(region, start, region.find(b">", at) + 1)
            if ref is not None:
                yield ref.group(1), ref.group(2)
        at = region.find(attribute, at + 1)


def _error_cells(region: bytes, cell_open: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(row, 0-based column, the cell's XML) of each cell typed as an error."""
    close = b"</" + cell_open[1:] + b">"
    at = region.find(b' t="e"')
    while at >= 0:
        start = region.rfind(b"<", 0, at)
        if region.startswith(cell_open + b" ", start):
            tag_end = region.find(b">", at) + 1
            ref = _REF.search(region, start, tag_end)
            end = region.find(close, tag_end)
            if ref is not None and end >= 0 and region[tag_end - 2 : tag_end] != b"/>":
                yield (
                    int(ref.group(2)),
                    column_number(ref.group(1)) - 1,
                    region[tag_end:end],
                )
        at = region.find(b' t="e"', at + 1)


_UNCOMPUTED: dict[bytes, re.Pattern[bytes]] = {}  # by the sheet's namespace prefix


def _uncomputed_pattern(prefix: bytes) -> re.Pattern[bytes]:
    """A formula element with no result after it, up to its cell's end: no <v>, or an
    empty one (group 1)."""
    pattern = _UNCOMPUTED.get(prefix)
    if pattern is None:
        x = re.escape(prefix)
        pattern = _UNCOMPUTED[prefix] = re.compile(
            rb"<%sf\b[^>]*?(?:/>|>[^<]*</%sf>)\s*" % (x, x)
            + rb"(?:(<%sv\s*/>|<%sv></%sv>)\s*)?</%sc>" % (x, x, x, x)
        )
    return pattern


def _uncomputed_cells(
    region: bytes, prefix: bytes, first: int
) -> Iterator[tuple[int, int]]:
    """(row, 0-based column) of each cell of `region`, from `first`, holding a formula
    saved without its result.

    An empty result typed as text (t="str") is a formula giving "": an empty cell,
    not one left uncomputed. A cell without a reference cannot be placed: it is left
    to read as empty.
    """
    cell_open = b"<%sc " % prefix
    for found in _uncomputed_pattern(prefix).finditer(region, first):
        start = region.rfind(cell_open, first, found.start())
        if start < 0:
            continue
        tag = region[start : region.find(b">", start) + 1]
        ref = _REF.search(tag)
        if ref is None or (found.group(1) is not None and b' t="str"' in tag):
            continue
        yield int(ref.group(2)), column_number(ref.group(1)) - 1


def _mark_uncomputed(
    marks: dict[int, int], region: bytes, prefix: bytes, first: int
) -> None:
    """Note in `marks` (row → bit of each 0-based column) the uncomputed formulas."""
    for row, column in _uncomputed_cells(region, prefix, first):
        marks[row] = marks.get(row, 0) | 1 << column


def _uncomputed_rows(
    path: Path, info: zipfile.ZipInfo, prefix: bytes
) -> Generator[tuple[int, int], None, None]:
    """(row, bit of each 0-based column) of the rows holding uncomputed formulas, in
    the sheet's order: a second pass, made beside openpyxl, for a sheet whose marks
    are not held (they grow with the rows). The first pass verified the part."""
    row_open, end_tag = b"<%srow" % prefix, b"</%ssheetData>" % prefix
    carry = b""
    for chunk in _inflate(path, info):
        buffer = carry + chunk
        end = buffer.find(end_tag)
        cut = end if end >= 0 else buffer.rfind(row_open)
        first = buffer.find(row_open, 0, cut) if cut > 0 else -1
        if first >= 0:
            marks: dict[int, int] = {}
            _mark_uncomputed(marks, buffer[:cut], prefix, first)
            yield from marks.items()
        if end >= 0:
            return
        carry = buffer[cut:] if cut > 0 else buffer


def _widest_string(path: Path, part: str, limits: Limits) -> int:
    """Bytes of the largest shared string (an upper bound); the part is verified."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(part)
    widest = since = 0
    opening = b"<si>"
    for number, chunk in enumerate(_inflate(path, info)):
        if number == 0 and b"<x:sst" in chunk[:512]:
            opening = b"<x:si>"
        pieces = chunk.split(opening)
        since += len(pieces[0])
        if len(pieces) > 1:
            widest = max(widest, since, *map(len, pieces[1:-1]))
            since = len(pieces[-1])
        if since > limits.max_row_bytes:
            raise _error(
                path,
                f"共享字符串中有一项超过 {limits.max_row_bytes // _MIB} MiB，"
                "无法读取 / "
                f"a shared string holds more than {limits.max_row_bytes // _MIB} MiB",
            )
    return max(widest, since)


# ---- reading the values --------------------------------------------------------------


def _percent_text(value: object) -> object:
    # A cell shown as 15% holds 0.15: say so, or a header "(%)" would make it 0.15%.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = _percents.get(value)
        if text is None:
            if isinstance(value, float) and not math.isfinite(value):
                return value  # no percentage: the reader refuses it for its column
            percent = (Decimal(number_text(value)) * 100).normalize()
            text = f"{percent:f}%"
            if len(_percents) < 4096:  # shares repeat down a column
                _percents[value] = text
        return text
    return value


_percents: dict[float | int, str] = {}


def _bounded(cells: Cells, limit: int) -> Cells:
    """The cells with any text past `limit` characters replaced by `Overlong`."""
    for index, value in enumerate(cells):
        if type(value) is str and len(value) > limit:
            cells[index] = Overlong(len(value), limit)
    return cells


def _calamine_rows(
    path: Path, name: str, scan: _Scan, limits: Limits
) -> tuple[Iterator[Cells], Callable[[], None]]:
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_name(name)
    except Exception as exc:  # calamine's errors share no base class but Exception
        raise _error(path, f"无法打开工作簿 / cannot open workbook: {exc}") from None
    start = sheet.start
    pad = [None] * (start[1] if start else 0)
    check_lengths = scan.long_cells_possible()
    percent, errors, uncomputed = scan.percent, scan.errors, scan.uncomputed
    masks: dict[int, list[int]] = {}

    def rows() -> Iterator[Cells]:
        number = 0
        # calamine's iter_rows starts at row 1 but at the first used column
        for number, values in enumerate(sheet.iter_rows(), 1):
            cells: Cells = pad + values if pad else values
            if percent and number in percent:
                mask = percent[number]
                columns = masks.get(mask)
                if columns is None:  # rows mostly share their percent columns
                    columns = masks[mask] = [
                        c for c in range(mask.bit_length()) if mask >> c & 1
                    ]
                width = len(cells)
                for column in columns:
                    if column < width:
                        value = cells[column]
                        # a share already shown (they repeat), else worked out
                        text = _percents.get(value) if type(value) is float else None
                        cells[column] = _percent_text(value) if text is None else text
            if errors and number in errors:
                for column, text in errors[number].items():
                    if column < len(cells):
                        cells[column] = text
            if uncomputed and number in uncomputed:
                _place_uncomputed(cells, number, uncomputed[number])
            yield _bounded(cells, limits.max_cell_chars) if check_lengths else cells
        # calamine's grid ends at the last value: rows below it holding formulas only
        for later in sorted(row for row in uncomputed if row > number):
            yield from ([] for _ in range(number + 1, later))
            cells = []
            _place_uncomputed(cells, later, uncomputed[later])
            yield cells
            number = later

    return rows(), book.close


def _place_uncomputed(cells: Cells, number: int, mask: int) -> None:
    """Put `UncomputedFormula` in row `number`'s cells at the columns `mask` marks
    (past the row's end too: calamine leaves these cells out)."""
    for column in range(mask.bit_length()):
        if mask >> column & 1:
            if column >= len(cells):
                cells.extend([None] * (column + 1 - len(cells)))
            cells[column] = UncomputedFormula(f"{_column_letters(column + 1)}{number}")


def _openpyxl_rows(
    path: Path, name: str, part: zipfile.ZipInfo, scan: _Scan, limits: Limits
) -> tuple[Iterator[Cells], Callable[[], None]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise _error(path, f"无法打开工作簿 / cannot open workbook: {exc}") from None
    try:
        ws = book[name]
        # exporters often write a wrong <dimension>: read every row
        ws.reset_dimensions()
    except BaseException:
        book.close()
        raise
    check_lengths = scan.long_cells_possible()
    marks = _uncomputed_rows(path, part, scan.prefix) if scan.has_uncomputed else None

    def rows() -> Iterator[Cells]:
        pending: Iterator[tuple[int, int]] = iter(()) if marks is None else marks
        try:
            mark = next(pending, None)
            for row in ws.iter_rows():
                if len(row) > limits.max_columns:  # cells without a reference, counted
                    raise _error(
                        path,
                        f"工作表超过 {limits.max_columns:,} 列 / the sheet has more "
                        f"than {limits.max_columns:,} columns",
                    )
                cells = [_cell_value(cell) for cell in row]
                if mark is not None and row:
                    number = _row_number(row)
                    while mark is not None and number is not None and mark[0] < number:
                        mark = next(pending, None)
                    if mark is not None and mark[0] == number:
                        _place_uncomputed_openpyxl(row, cells, mark)
                yield _bounded(cells, limits.max_cell_chars) if check_lengths else cells
        except InputError:
            raise
        except Exception as exc:  # openpyxl's parser raises what its XML holds
            raise _error(
                path, f"无法读取工作表 / cannot read the sheet: {exc}"
            ) from None

    def close() -> None:
        if marks is not None:
            marks.close()
        book.close()

    return rows(), close


def _row_number(row: tuple[Any, ...]) -> int | None:
    """An openpyxl row's number, from its first cell read from the sheet."""
    for cell in row:
        number = getattr(cell, "row", None)  # the padding (EMPTY_CELL) has none
        if number is not None:
            return int(number)
    return None


def _place_uncomputed_openpyxl(
    row: tuple[Any, ...], cells: Cells, mark: tuple[int, int]
) -> None:
    """`UncomputedFormula` at the cells `mark` (row, bit of each 0-based column) names;
    openpyxl read them as empty (None)."""
    number, mask = mark
    for at, cell in enumerate(row):
        column = getattr(cell, "column", None)
        if column is not None and mask >> (column - 1) & 1 and cells[at] is None:
            cells[at] = UncomputedFormula(f"{_column_letters(column)}{number}")


def _cell_value(cell: Any) -> object:
    value = cell.value
    if "%" in (getattr(cell, "number_format", None) or ""):
        return _percent_text(value)
    return value
