"""The one place evaluation opens a spreadsheet: header columns and raw rows.

Built on the generic bounded table reader `screening.io.tables` (CSV/TSV/XLSX,
encoding detection, title rows and two-row headers, streamed rows, Excel's bounds:
a zip bomb or a file past them refused before its rows are read, an over-long cell
spoiling its row only), with the firm vocabulary the caller gives. It adds what
the evaluation needs on top: each header's unit and the warning for a column that
maps to nothing. It knows nothing about firms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screening.errors import Diagnostic, SourceSpan
from screening.io.tables import open_table as _open

# Headers with no figures, so common that warning about them is noise.
SILENT = {"序号", "备注", "说明", "no", "no.", "remark", "remarks"}

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
    """An opened table: its mapped columns and warnings, and its rows below the header."""

    source: str
    columns: tuple[HeaderColumn, ...]
    rows: Iterator[tuple[int, Sequence[Any]]]  # (row number as the user sees it, cells)
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
    """Open CSV/TSV/XLSX, locate its header with `vocabulary`, map its columns."""
    p = Path(path)

    def match(text: str) -> str | None:
        found = vocabulary(text)
        return None if found is None else found[0]

    table = _open(p, match, sheet=sheet, mark_uncomputed=True)
    header_row = table.header_rows[-1]
    columns: list[HeaderColumn] = []
    warnings: list[Diagnostic] = []
    taken: set[str] = set()
    for index, text in enumerate(table.header.labels):
        if not text or text.strip().lower() in SILENT:
            continue
        found = vocabulary(text)
        if found is None or found[0] in taken:
            reason = (
                "未识别的列名，已忽略 / unknown header, ignored"
                if found is None
                else f"与前面的列同为 {found[0]}，已忽略 / a second column for "
                f"{found[0]}, ignored"
            )
            span = SourceSpan(str(p), header_row, index + 1)
            warnings.append(Diagnostic("COL", reason, span, text, "warning"))
            continue
        taken.add(found[0])
        columns.append(HeaderColumn(index, text, found[0], found[1]))
    return Table(table.source, tuple(columns), table, warnings, table.close)
