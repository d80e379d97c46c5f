"""A plain CSV's data rows as blocks of bytes cut at line ends, split by whoever measures them.

Reading a million CSV rows one record at a time (`screening.io.tables`) costs the
process that reads them several microseconds a row, and that process is the one
every worker waits for. Most CSVs a 亩均办 exports are *plain*: no quote
character, lines ended by LF or CRLF, none near the cell limit. In a plain stretch
every line is one record and its cells are the line split at the delimiter —
exactly what `csv.reader` gives — so the parent only cuts the file into blocks
at line ends (C-level byte searches) and numbers their first row; each block is
decoded and split where it is measured (`block_rows`).

Where a block is not plain (a quote, a lone CR, a long line, bytes its encoding
cannot decode strictly) the blocks stop and the rest of the file is read by the
table reader as before, from that row on: every rule of `batch` reading (bounds,
over-long cells, malformed CSV, the row limit) stays the reader's. The header,
the encoding and the row numbers are the reader's too.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from screening.evaluation.firms import FirmTable
from screening.io import tables as io_tables

BLOCK = 1 << 20  # bytes per block (about 8,000 rows of a 亩均 sheet)
_HEAD = 1 << 20  # the lines above the data are looked for in the file's first bytes
# A line of at most this many bytes holds at most this many characters: no cell of
# it can pass the reader's cell limit, nor the line its line limit.
_PLAIN_LINE = io_tables.DEFAULT_LIMITS.max_cell_chars
# Encodings whose every byte below 0x30 is that character alone (never part of a
# multi-byte sequence): a line end, quote or delimiter found in the bytes is one.
_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "gb18030": "gb18030"}
_STRICT = {"gb18030"}  # decoded strictly when cut: `replace` may span a line end


@dataclass(frozen=True)
class PlainCsv:
    """Where a CSV's data rows begin: byte offset, row number, encoding, delimiter."""

    path: Path
    start: int
    first: int  # the row number of the line at `start`, as the reader numbers it
    encoding: str  # as each block is decoded
    delimiter: str


@dataclass(frozen=True)
class Block:
    """Consecutive plain lines of the file, the first numbered `first`."""

    first: int
    lines: int
    data: bytes


def plain_csv(table: FirmTable) -> PlainCsv | None:
    """The data rows' start when the table is a CSV whose header lines are plain."""
    rows: Any = table.table.rows
    if not isinstance(rows, io_tables.Table) or rows.format != "csv":
        return None
    path = Path(table.table.source)
    delimiter = io_tables.DELIMITERS.get(path.suffix.lower())
    encoding = _ENCODINGS.get(rows.encoding or "")
    if delimiter is None or encoding is None:
        return None
    skip = rows.header.first + rows.header.height  # records above the data
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
    start = 3 if rows.encoding == "utf-8-sig" else 0
    at = start
    for _ in range(skip):
        end = head.find(b"\n", at)
        if end < 0:
            return None  # the header is not within them: read as before
        at = end + 1
    if _plain_lines(head[start:at], encoding) < at - start:
        return None
    return PlainCsv(path, at, skip + 1, encoding, delimiter)


def blocks(csv: PlainCsv) -> Generator[Block, None, int | None]:
    """The plain blocks from the data's start; returns the row number where they
    stopped (the rest is not plain), or None at the end of the file."""
    number, carry = csv.first, b""
    limit = io_tables.DEFAULT_LIMITS.max_rows
    with csv.path.open("rb") as handle:
        handle.seek(csv.start)
        while True:
            more = handle.read(BLOCK)
            data = carry + more
            if not data:
                return None
            cut = data.rfind(b"\n") + 1 if more else len(data)
            if cut == 0:
                return number  # a line longer than a block: not plain
            data, carry = data[:cut], data[cut:]
            plain = _plain_lines(data, csv.encoding)
            if plain:
                lines = data.count(b"\n", 0, plain) + (data[plain - 1] != 10)
                if number + lines - 1 > limit:  # as the reader counts: every record
                    raise io_tables._too_many_rows(csv.path, io_tables.DEFAULT_LIMITS)
                yield Block(number, lines, data[:plain] if plain < cut else data)
                number += lines
            if plain < cut:
                return number


# what makes a line not plain: a quote, or a CR that does not end it
_NOT_PLAIN = re.compile(rb'"|\r(?!\n)')


def _plain_lines(data: bytes, encoding: str) -> int:
    """How many bytes of whole plain lines `data` (cut at a line end) begins with."""
    end = len(data)
    if b'"' in data or data.count(b"\r") != data.count(b"\r\n"):  # C-speed scans
        found = _NOT_PLAIN.search(data)
        if found is not None:
            end = data.rfind(b"\n", 0, found.start()) + 1
            if end == 0:
                return 0
    head = data[:end] if end < len(data) else data
    if not _short_lines(head):
        return 0
    if encoding in _STRICT:
        try:
            head.decode(encoding)
        except UnicodeDecodeError:
            return 0
    return end


_WINDOW = (_PLAIN_LINE + 1) // 2


def _short_lines(data: bytes) -> bool:
    """Whether no line of `data` is longer than `_PLAIN_LINE` bytes."""
    # a longer line holds a whole aligned window of _WINDOW bytes without a line end:
    # when every window has one, no line is that long (else, measure every line)
    for start in range(0, len(data) - _WINDOW + 1, _WINDOW):
        if data.find(b"\n", start, start + _WINDOW) < 0:
            return max(map(len, data.split(b"\n"))) <= _PLAIN_LINE
    return True


def block_rows(
    block: Block, encoding: str, delimiter: str
) -> list[tuple[int, list[str]]]:
    """A block's rows as the reader gives them: (row number, cells); [] for a blank line."""
    # errors="replace", as the reader decodes (a stray UTF-8 byte spoils its cell)
    text = block.data.decode(encoding, "replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # every CR of a plain block is in a CRLF
    lines = text.split("\n")
    if len(lines) > block.lines:
        lines.pop()  # after the last line end
    cells = [line.split(delimiter) for line in lines]
    if "" in lines:  # a blank line is a record without cells, as csv reads it
        for i, line in enumerate(lines):
            if not line:
                cells[i] = []
    return list(zip(range(block.first, block.first + len(cells)), cells, strict=True))
