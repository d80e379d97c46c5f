"""A batch of results → an XLSX workbook a committee can filter and print. Layout only.

Sheets 汇总 (one row per project, decisions coloured), 明细 (project × finding), 错误
(invalid and skipped rows) and 规则集 (what was applied, when, with which counts). A
sheet that reaches Excel's row limit continues on "明细 (2)".

Written for speed and flat memory: a batch's worker processes render each decision's
rows as SpreadsheetML (`report.xlsx_rows.DecisionRows`, its cells `report.sheetml`'s)
and deflate each chunk's rows of a sheet as one piece (`deflated_rows`); the parent
only appends the pieces, in input order, to one temporary file per sheet
(`XlsxWorkbook`); the package is assembled at the end and renamed into place. Rows
and cells carry no reference (their `r` is optional in ECMA-376 §18.3.1.73 and
§18.3.1.4): a row is the one after the row before it, a cell
the column after the cell before it (an empty cell between two others is written as
`<c/>`), so a worker needs no row number and the parent never touches a row.
openpyxl, calamine, LibreOffice and screening's own reader read them so
(tests/report/test_xlsx.py); Excel, which cannot run here, is reported to. A library
writer (openpyxl, XlsxWriter) works in one process, a cell at a time, some ten times
too slowly for a batch (README, "Excel at full speed"). Strings are inline strings,
never formulas, so a cell typed as "=HYPERLINK(…)" stays text. A value no cell can
hold (a figure beyond Excel's range, a text longer than 32,767 characters) is refused
with `Unrepresentable`, so the batch refuses that row in every output. Nothing here
screens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

from screening.io.writers import StagedFile, temp_file
from screening.io.ziparchive import (
    DeflatedMember,
    Packed,
    Piece,
    deflate_piece,
    inflate_piece,
    pack,
    write_zip,
)
from screening.model.effective import RuleSet
from screening.report.html import DECISIONS, enum_label, ignored_reason, label
from screening.report.labels import Labels
from screening.report.sheetml import (
    COLUMN_REFS,
    ERRORS,
    EXCEL_CHARS,
    FINDINGS,
    HEADER,
    MAX_ROWS,
    ROW_OPENING,
    RULESET,
    SUMMARY,
    XML_ESCAPES,
    Styled,
    Unrepresentable,
    row_xml,
    sheet_label,
)
from screening.report.xlsx_rows import Rendered, result_rows

# ---- the package ---------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_FONT = '<sz val="11"/>{}<name val="Calibri"/><family val="2"/>'
_STYLES = (
    _XML
    + f'<styleSheet xmlns="{_MAIN}">'
    + '<fonts count="5">'
    + f"<font>{_FONT.format('')}</font>"
    + f"<font><b/>{_FONT.format('')}</font>"
    + "".join(
        "<font><b/>" + _FONT.format(f'<color rgb="FF{c}"/>') + "</font>"
        for c in ("006100", "9C5700", "9C0006")
    )
    + "</fonts>"
    + '<fills count="6"><fill><patternFill patternType="none"/></fill>'
    + '<fill><patternFill patternType="gray125"/></fill>'
    + "".join(
        f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/>'
        '<bgColor indexed="64"/></patternFill></fill>'
        for c in ("DCE6F1", "C6EFCE", "FFEB9C", "FFC7CE")
    )
    + "</fills>"
    + '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
    + "</border></borders>"
    + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    + "</cellStyleXfs>"
    + '<cellXfs count="6">'
    + '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    + '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" '
    + 'applyFill="1"/>'
    + '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" '
    + 'applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
    + "".join(
        f'<xf numFmtId="0" fontId="{font}" fillId="{fill}" borderId="0" xfId="0" '
        'applyFont="1" applyFill="1"/>'
        for font, fill in ((2, 3), (3, 4), (4, 5))
    )
    + "</cellXfs>"
    + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    + "</cellStyles></styleSheet>"
)


def _escape(text: str) -> str:
    for plain, entity in (*XML_ESCAPES, ('"', "&quot;")):
        text = text.replace(plain, entity)
    return text


class DeflatedRows(NamedTuple):
    """Rows of one sheet (`<row>…</row>` each), deflated as one piece, and how many."""

    piece: Piece
    rows: int


# rows joined at a time: ~180 KB of a findings sheet, which the compressor takes
# in the processor's caches (one join of a whole chunk's 3 MB took three times as long)
_GROUP = 256


def _grouped(bodies: Sequence[bytes]) -> Iterator[bytes]:
    """Rows given without their opening tag, as XML, a few hundred rows at a time."""
    for at in range(0, len(bodies), _GROUP):
        yield ROW_OPENING + ROW_OPENING.join(bodies[at : at + _GROUP])


def deflated_rows(bodies: Sequence[bytes]) -> DeflatedRows:
    """Rows given without their opening tag (`DecisionRows.render_bodies`), deflated
    as one piece a sheet can take after anything (`XlsxWorkbook.add_rows`): a batch
    worker's chunk, which then crosses the pipe at a twentieth of its size."""
    return DeflatedRows(deflate_piece(_grouped(bodies)), len(bodies))


class _Part(NamedTuple):
    title: str
    member: DeflatedMember


class _Sheet:
    """One sheet, in parts of at most MAX_ROWS rows, each deflated into a temp file."""

    def __init__(
        self,
        book: XlsxWorkbook,
        title: str,
        columns: tuple[tuple[str, int], ...],
        filtered: bool = True,
    ) -> None:
        self.book, self.title, self.columns, self.filtered = (
            book,
            title,
            columns,
            filtered,
        )
        self.parts: list[_Part] = []
        self.finished: list[tuple[str, Packed, int]] = []
        self.rows = 0
        self._open()

    def _open(self) -> None:
        title = (
            self.title if not self.parts else f"{self.title} ({len(self.parts) + 1})"
        )
        member = DeflatedMember("", self.book.temp(f"sheet{len(self.parts) + 1}"))
        self.parts.append(_Part(title[:31], member))
        widths = "".join(
            f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>'
            for i, (_, width) in enumerate(self.columns, 1)
        )
        member.write(
            (
                f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_RELS}"><sheetViews>'
                '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
                f'activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/><cols>{widths}</cols>'
                "<sheetData>"
            ).encode()
        )
        header = [
            Styled(sheet_label(key, self.book.lang), HEADER) for key, _ in self.columns
        ]
        self.rows = 0
        self.add(row_xml(header, self.columns, self.book.lang))

    def add(self, rendered: bytes) -> None:
        if self.rows >= MAX_ROWS:
            self._close()
            self._open()
        self.rows += 1
        self.parts[-1].member.write(rendered)

    def add_all(self, rendered: Sequence[bytes]) -> None:
        """`add` each row: written in one go while the part has room."""
        if self.rows + len(rendered) > MAX_ROWS:
            for row in rendered:
                self.add(row)
            return
        self.rows += len(rendered)
        self.parts[-1].member.write(b"".join(rendered))

    def add_bodies(self, bodies: Sequence[bytes] | DeflatedRows) -> None:
        """`add` rows given without their opening tag, or deflated (`deflated_rows`)."""
        if isinstance(bodies, DeflatedRows):
            self._add_deflated(bodies)
            return
        if self.rows + len(bodies) > MAX_ROWS:
            for body in bodies:
                self.add(ROW_OPENING + body)
            return
        self.rows += len(bodies)
        write = self.parts[-1].member.write
        for xml in _grouped(bodies):
            write(xml)

    def _add_deflated(self, deflated: DeflatedRows) -> None:
        if self.rows + deflated.rows > MAX_ROWS:
            # a piece cannot be cut where the part ends: its rows, one by one (once
            # every MAX_ROWS rows at most)
            xml = inflate_piece(deflated.piece)
            rows = xml.split(b"</row>")  # no text holds it: "<" is always escaped
            self.add_all([row + b"</row>" for row in rows[:-1]])
            return
        self.rows += deflated.rows
        self.parts[-1].member.write_piece(deflated.piece)

    def _close(self) -> None:
        title, member = self.parts[-1]
        last = COLUMN_REFS[len(self.columns) - 1].decode()
        tail = "</sheetData>"
        if self.filtered:
            tail += f'<autoFilter ref="A1:{last}{self.rows}"/>'
        tail += (
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
            'header="0.3" footer="0.3"/></worksheet>'
        )
        member.write(tail.encode())
        self.finished.append((title, member.finish(), self.rows))

    def finish(self) -> None:
        self._close()

    def discard(self) -> None:
        for _, member in self.parts:
            member.discard()


class XlsxWorkbook:
    """A workbook filled row by row and written atomically at `path` by `close`.

    Temporary files (one per sheet part) are made by `temp_file` beside the output;
    `discard` removes them and leaves whatever was at `path` untouched.
    """

    def __init__(self, path: Path | str, lang: str = "zh") -> None:
        self.path = Path(path)
        self.lang = "en" if lang == "en" else "zh"
        self.decisions: Counter[str] = Counter()
        self._error_rows: dict[str, set[tuple[Any, Any]]] = {
            "invalid": set(),
            "skipped": set(),
        }
        self._temps: list[Path] = []
        self.sheets: list[_Sheet] = []
        try:
            self.summary = self._sheet("summary_sheet", SUMMARY)
            self.findings = self._sheet("findings_sheet", FINDINGS)
            self.errors = self._sheet("errors_sheet", ERRORS)
        except BaseException:
            self.discard()
            raise

    def temp(self, purpose: str) -> Path:
        """A new temporary file beside the output (removed by close or discard)."""
        path = temp_file(self.path, f"xlsx-{purpose}")
        self._temps.append(path)
        return path

    def _sheet(
        self, key: str, columns: tuple[tuple[str, int], ...], filtered: bool = True
    ) -> _Sheet:
        sheet = _Sheet(self, sheet_label(key, self.lang), columns, filtered)
        self.sheets.append(sheet)
        return sheet

    def add(self, decision: str, rendered: Rendered) -> None:
        """Append one project: its summary row and its finding rows."""
        self.decisions[decision] += 1
        self.summary.add(rendered.summary)
        self.findings.add_all(rendered.findings)

    def add_rows(
        self,
        summary: Sequence[bytes] | DeflatedRows,
        findings: Sequence[bytes] | DeflatedRows,
    ) -> None:
        """Append projects' summary rows and finding rows, rendered without their
        opening tags (`DecisionRows.render_bodies`), or those deflated
        (`deflated_rows`), and counted (in `decisions`) elsewhere: a batch worker's
        chunk."""
        self.summary.add_bodies(summary)
        self.findings.add_bodies(findings)

    def add_error(self, error: Mapping[str, Any]) -> None:
        """Append one invalid or skipped row (`kind` says which; invalid by default)."""
        kind = "skipped" if error.get("kind") == "skipped" else "invalid"
        self._error_rows[kind].add((error.get("source"), error.get("row")))
        values = [
            error.get("source"),
            error.get("row"),
            error.get("column"),
            error.get("reason"),
            sheet_label(f"{kind}_kind", self.lang),
        ]
        try:
            self.errors.add(row_xml(values, ERRORS, self.lang))
        except Unrepresentable:  # a reason quoting a huge cell: shortened, never lost
            values[2:4] = [str(v or "")[:EXCEL_CHARS] for v in values[2:4]]
            self.errors.add(row_xml(values, ERRORS, self.lang))

    def counts(self, given: Mapping[str, int] | None = None) -> dict[str, int]:
        """rows = screened + invalid + skipped; counts in `given` win."""
        screened = sum(self.decisions.values())
        invalid = len(self._error_rows["invalid"])
        skipped = len(self._error_rows["skipped"])
        counts = {
            "rows": screened + invalid + skipped,
            "screened": screened,
            "invalid": invalid,
            "skipped": skipped,
            **{d: self.decisions.get(d, 0) for d in DECISIONS},
        }
        counts.update(given or {})
        return counts

    def finish(self, meta: Mapping[str, Any]) -> StagedFile:
        """Finish every sheet and write the workbook beside `path`, uncommitted."""
        staged = None
        try:
            ruleset = self._sheet("ruleset_sheet", RULESET, filtered=False)
            for row in _ruleset_rows(meta, self.counts(meta.get("counts")), self.lang):
                ruleset.add(row_xml(row, RULESET, self.lang))
            for row in _ignored_rows(meta, self.lang):
                ruleset.add(row_xml(row, RULESET, self.lang))
            for sheet in self.sheets:
                sheet.finish()
            staged = StagedFile(self.path, "wb")
            write_zip(staged.handle, self._members())
            return staged.finish()
        except BaseException:
            if staged is not None:
                staged.discard()
            raise
        finally:
            self.discard()

    def close(self, meta: Mapping[str, Any]) -> None:
        """Finish every sheet and write the workbook atomically at `path`."""
        staged = self.finish(meta)
        try:
            staged.commit()
        except BaseException:
            staged.discard()
            raise

    def discard(self) -> None:
        """Remove the temporary files; `path` keeps what it had."""
        for sheet in self.sheets:
            sheet.discard()
        for path in self._temps:
            path.unlink(missing_ok=True)

    def _members(self) -> list[Packed]:
        parts: list[tuple[str, Packed]] = []
        filters: list[tuple[int, int, int]] = []  # sheet index, columns, rows
        for sheet in self.sheets:
            for title, packed, rows in sheet.finished:
                if sheet.filtered:
                    filters.append((len(parts), len(sheet.columns), rows))
                parts.append((title, packed))
        names = [title for title, _ in parts]
        sheets = "".join(
            f'<sheet name="{_escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, name in enumerate(names, 1)
        )
        defined = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" '
            f'hidden="1">{_escape(_quoted(names[index]))}!$A$1:$'
            f"{COLUMN_REFS[columns - 1].decode()}${rows}</definedName>"
            for index, columns, rows in filters
        )
        workbook = (
            f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}"><workbookPr/>'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f"<sheets>{sheets}</sheets>"
            + (f"<definedNames>{defined}</definedNames>" if defined else "")
            + "</workbook>"
        )
        sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        types = (
            f"{_XML}<Types "
            'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            f'ContentType="{sheet_type}.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            f'ContentType="{sheet_type}.styles+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                f'ContentType="{sheet_type}.worksheet+xml"/>'
                for i in range(1, len(parts) + 1)
            )
            + "</Types>"
        )
        relation = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        package_rels = (
            f"{_XML}<Relationships "
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{relation}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        )
        book_rels = (
            f"{_XML}<Relationships "
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{relation}/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(parts) + 1)
            )
            + f'<Relationship Id="rId{len(parts) + 1}" Type="{relation}/styles" '
            'Target="styles.xml"/></Relationships>'
        )
        members = [
            pack("[Content_Types].xml", types.encode()),
            pack("_rels/.rels", package_rels.encode()),
            pack("xl/workbook.xml", workbook.encode()),
            pack("xl/_rels/workbook.xml.rels", book_rels.encode()),
            pack("xl/styles.xml", _STYLES.encode()),
        ]
        members += [
            replace(packed, name=f"xl/worksheets/sheet{i}.xml")
            for i, (_, packed) in enumerate(parts, 1)
        ]
        return members


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _ruleset_rows(
    meta: Mapping[str, Any], counts: Mapping[str, int], lang: str
) -> list[list[Any]]:
    ruleset = meta.get("ruleset") or {}
    rows: list[list[Any]] = [
        [label("ruleset_id", lang), ruleset.get("id")],
        [label("version", lang), ruleset.get("version")],
        [label("sha256", lang), ruleset.get("sha256")],
    ]
    if ruleset.get(
        "path"
    ):  # loaded from a file: its id alone would claim a shipped one
        rows.append([sheet_label("ruleset_path", lang), ruleset["path"]])
    rows += [
        [label("as_of", lang), meta.get("as_of")],
        [label("generated", lang), meta.get("generated")],
        [label("input", lang), meta.get("input")],
        [label("rows", lang), counts.get("rows")],
        [label("screened", lang), counts.get("screened")],
        [label("invalid", lang), counts.get("invalid")],
        [sheet_label("skipped", lang), counts.get("skipped")],
    ]
    rows += [[enum_label("decision", d, lang), counts.get(d)] for d in DECISIONS]
    return rows


HEADER_SHOWN = 200  # characters of an ignored column's header the 规则集 sheet shows


def _ignored_rows(meta: Mapping[str, Any], lang: str) -> list[list[Any]]:
    """The input's columns read into nothing, after the counts: a report must say
    that their figures were not used."""
    count = meta.get("ignored_count") or 0
    if not count:
        return []
    rows: list[list[Any]] = [[label("ignored_title", lang), count]]
    for i in meta.get("ignored_columns") or ():
        # shortened, and a character no cell can encode (a lone surrogate) shown as ?
        header = str(i["header"])[:HEADER_SHOWN].encode(errors="replace").decode()
        where = (
            f"第 {i['column']} 列「{header}」"
            if lang == "zh"
            else f"column {i['column']} “{header}”"
        )
        rows.append([where, ignored_reason(i["reason"], lang)])
    if count > len(meta.get("ignored_columns") or ()):
        rows.append(["", label("ignored_shown", lang) % len(meta["ignored_columns"])])
    return rows


def write_xlsx(
    path: Path | str,
    results: Iterable[Mapping[str, Any]],
    errors: Iterable[Mapping[str, Any]],
    meta: Mapping[str, Any],
    lang: str = "zh",
    rulesets: Iterable[RuleSet | None] = (),
) -> None:
    """Stream contract results and errors into an XLSX workbook written atomically.

    Rule and field titles come from `rulesets`, the rule sets applied, when given.
    Counts in `meta["counts"]` win; those missing are counted from the streams. A
    result a cell cannot hold raises `Unrepresentable` (a batch refuses such a row
    before any output sees it).
    """
    book = XlsxWorkbook(path, lang)
    labels = Labels(rulesets, book.lang)
    try:
        for result in results:
            rendered = result_rows(result, book.lang, labels)
            book.add(str(result.get("decision")), rendered)
        for error in errors:
            book.add_error(error)
    except BaseException:
        book.discard()
        raise
    book.close(meta)
