"""A batch of results → an XLSX workbook a committee can filter and print. Layout only.

Written with openpyxl's write-only mode, so memory stays flat however many projects
stream through: sheets 汇总 (one row per project), 明细 (project × finding), 错误
(invalid rows) and 规则集 (what was applied, when, with which counts). A sheet that
reaches Excel's row limit continues on "明细 (2)". Nothing here screens.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from screening.io.writers import atomic_open, failed_findings, is_failure
from screening.report.html import (
    DECISIONS,
    batch_counts,
    enum_label,
    finding_status,
    invalid_rows,
    label,
    value_text,
)

MAX_ROWS = 1_048_576  # Excel's rows per sheet, header included
MAX_FAILED = 5  # failed rules listed in a summary cell; the findings sheet has them all

# Excel's own Good / Neutral / Bad cell styles.
_COLOURS = {
    name: (PatternFill("solid", fgColor=fill), Font(color=font, bold=True))
    for name, fill, font in (
        ("pass", "C6EFCE", "006100"),
        ("review", "FFEB9C", "9C5700"),
        ("reject", "FFC7CE", "9C0006"),
    )
}
_STATUS_COLOURS = {"pass": "pass", "fail": "reject", "missing": "review"}
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")

SUMMARY = (
    ("id", 16),
    ("name", 36),
    ("company", 28),
    ("decision", 8),
    ("score", 8),
    ("vetoed_by", 24),
    ("main_failed", 48),
    ("missing", 28),
    ("to_pass", 56),
)
FINDINGS = (
    ("id", 16),
    ("name", 30),
    ("rule", 28),
    ("group", 14),
    ("kind", 10),
    ("status", 9),
    ("actual", 12),
    ("threshold", 12),
    ("unit", 10),
    ("points", 8),
    ("max_points", 8),
    ("message", 50),
    ("basis", 40),
    ("remedy", 50),
)
ERRORS = (("source", 36), ("row", 8), ("column", 24), ("reason", 70))
RULESET = (("item", 18), ("value", 70))
SHEETS = (
    ("summary_sheet", SUMMARY),
    ("findings_sheet", FINDINGS),
    ("errors_sheet", ERRORS),
    ("ruleset_sheet", RULESET),
)


class _Sheet:
    """A write-only sheet: frozen, filtered header; continues past the row limit."""

    def __init__(
        self,
        book: Workbook,
        title: str,
        columns: tuple[tuple[str, int], ...],
        lang: str,
        filtered: bool = True,
    ) -> None:
        self.book, self.title, self.columns, self.lang = book, title, columns, lang
        self.filtered = filtered
        self.parts: list[WriteOnlyWorksheet] = []
        self.rows = 0
        self._open()

    def _open(self) -> None:
        name = self.title if not self.parts else f"{self.title} ({len(self.parts) + 1})"
        ws = self.book.create_sheet(name[:31])
        for index, (_, width) in enumerate(self.columns, 1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        header = []
        for key, _ in self.columns:
            cell = WriteOnlyCell(ws, value=label(key, self.lang))
            cell.font, cell.fill = _BOLD, _HEADER_FILL
            header.append(cell)
        ws.append(header)
        self.parts.append(ws)
        self.rows = 1

    def append(self, values: list[Any]) -> None:
        if self.rows >= MAX_ROWS:
            self.close()
            self._open()
        ws = self.parts[-1]
        ws.append([_cell(ws, v) for v in values])
        self.rows += 1

    def close(self) -> None:
        """Finish the current part: its filter covers the rows written."""
        if self.filtered:
            last = get_column_letter(len(self.columns))
            self.parts[-1].auto_filter.ref = f"A1:{last}{self.rows}"


@dataclass(frozen=True)
class _Styled:
    """A value to write with a decision/status colour or wrapped text."""

    value: Any
    colour: str | None = None
    wrap: bool = False


def _clean(value: Any) -> Any:
    # Control characters make Excel refuse the whole file.
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _cell(ws: WriteOnlyWorksheet, value: Any) -> Any:
    styled = value if isinstance(value, _Styled) else _Styled(value)
    text = _clean(styled.value)
    # A project name typed as "=…" must stay text, not become a live formula.
    is_formula_like = isinstance(text, str) and text.startswith("=")
    if styled.colour is None and not styled.wrap and not is_formula_like:
        return text
    cell = WriteOnlyCell(ws, value=text)
    if is_formula_like:
        cell.data_type = "s"
    if styled.colour is not None:
        cell.fill, cell.font = _COLOURS[styled.colour]
    if styled.wrap:
        cell.alignment = _WRAP
    return cell


def _number_or_text(value: Any, lang: str) -> Any:
    # Numbers stay numbers so the sheet sorts and filters; lists and booleans: text.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return value_text(value, lang) or None


def _summary_row(result: Mapping[str, Any], lang: str) -> list[Any]:
    project = result.get("project") or {}
    decision = result.get("decision")
    failed = [f.get("message") or f["rule"] for f in failed_findings(result)]
    if len(failed) > MAX_FAILED:
        failed = [*failed[:MAX_FAILED], f"… (+{len(failed) - MAX_FAILED})"]
    return [
        project.get("id"),
        project.get("name"),
        project.get("company"),
        _Styled(
            enum_label("decision", decision, lang),
            decision if decision in _COLOURS else None,
        ),
        result.get("score"),
        ", ".join(result.get("vetoed_by") or ()) or None,
        _Styled("\n".join(failed) or None, wrap=True),
        ", ".join(result.get("missing") or ()) or None,
        _Styled(result.get("summary"), wrap=True),
    ]


def _status_colour(finding: Mapping[str, Any]) -> str | None:
    # A bonus not earned or a derived "no" is no shortcoming: left uncoloured.
    if finding.get("status") == "fail" and not is_failure(finding):
        return None
    return _STATUS_COLOURS.get(str(finding.get("status")))


def _finding_row(
    project: Mapping[str, Any], finding: Mapping[str, Any], lang: str
) -> list[Any]:
    return [
        project.get("id"),
        project.get("name"),
        finding.get("rule"),
        finding.get("group"),
        enum_label("kind", finding.get("kind"), lang),
        _Styled(finding_status(finding, lang), _status_colour(finding)),
        _number_or_text(finding.get("actual"), lang),
        _number_or_text(finding.get("threshold"), lang),
        finding.get("unit"),
        finding.get("points"),
        finding.get("max_points"),
        finding.get("message"),
        finding.get("basis"),
        finding.get("remedy"),
    ]


def _ruleset_rows(
    meta: Mapping[str, Any], counts: Mapping[str, int], lang: str
) -> list[list[Any]]:
    ruleset = meta.get("ruleset") or {}
    rows: list[list[Any]] = [
        [label("ruleset_id", lang), ruleset.get("id")],
        [label("version", lang), ruleset.get("version")],
        [label("sha256", lang), ruleset.get("sha256")],
        [label("as_of", lang), meta.get("as_of")],
        [label("generated", lang), meta.get("generated")],
        [label("input", lang), meta.get("input")],
        [label("rows", lang), counts.get("rows")],
        [label("screened", lang), counts.get("screened")],
        [label("invalid", lang), counts.get("invalid")],
    ]
    rows += [[enum_label("decision", d, lang), counts.get(d)] for d in DECISIONS]
    return rows


def _appended(
    sheet: _Sheet, errors: Iterable[Mapping[str, Any]]
) -> Iterable[Mapping[str, Any]]:
    for error in errors:
        sheet.append(
            [
                error.get("source"),
                error.get("row"),
                error.get("column"),
                error.get("reason"),
            ]
        )
        yield error


def _in_order(book: Workbook, sheets: list[_Sheet]) -> None:
    # Overflow parts are created late; put each next to its first part.
    order = [ws for sheet in sheets for ws in sheet.parts]
    for target, ws in enumerate(order):
        book.move_sheet(ws.title, offset=target - book.sheetnames.index(ws.title))


def _fill(
    sheets: list[_Sheet],
    results: Iterable[Mapping[str, Any]],
    errors: Iterable[Mapping[str, Any]],
    meta: Mapping[str, Any],
    lang: str,
) -> None:
    summary, findings, problems, ruleset = sheets
    decisions: Counter[str] = Counter()
    for result in results:
        decisions[str(result.get("decision"))] += 1
        summary.append(_summary_row(result, lang))
        project = result.get("project") or {}
        for finding in result.get("findings") or ():
            findings.append(_finding_row(project, finding, lang))
    invalid = invalid_rows(_appended(problems, errors))
    counts = {**batch_counts(decisions, invalid), **(meta.get("counts") or {})}
    for row in _ruleset_rows(meta, counts, lang):
        ruleset.append(row)
    for sheet in sheets:
        sheet.close()


def _discard(sheets: list[_Sheet]) -> None:
    # Finish and delete openpyxl's temp files now: left to the garbage collector they
    # stay on disk until exit and complain about closed files.
    for sheet in sheets:
        for ws in sheet.parts:
            with contextlib.suppress(Exception):
                ws.close()
                ws._writer.cleanup()


def write_xlsx(
    path: Path | str,
    results: Iterable[Mapping[str, Any]],
    errors: Iterable[Mapping[str, Any]],
    meta: Mapping[str, Any],
    lang: str = "zh",
) -> None:
    """Stream results and errors into an XLSX workbook written atomically at `path`.

    Counts in `meta["counts"]` win; those missing are counted from the streams.
    """
    lang = "en" if lang == "en" else "zh"
    book = Workbook(write_only=True)
    sheets = [
        _Sheet(book, label(key, lang), columns, lang, filtered=key != "ruleset_sheet")
        for key, columns in SHEETS
    ]
    try:
        _fill(sheets, results, errors, meta, lang)
    except BaseException:
        _discard(sheets)
        raise
    _in_order(book, sheets)
    with atomic_open(path, "wb") as handle:
        book.save(handle)
