"""A batch run end to end: read rows, screen them, write every output atomically.

Pass one screens the rows; workers render what each output needs (JSON-contract lines,
XLSX rows) and the parent streams it, in input order, into temporary files beside the
outputs. Pass two renders CSV and HTML from the lines. Invalid and skipped rows are
reported in every run: in the companion file `<first output>.errors.csv` (always
written, so it is never a stale one from an earlier run), in the XLSX 错误 sheet and
the HTML report when those are asked for, and the first few on stderr (by the CLI).
The outputs are renamed into place together, only when all of them are complete; a
failed or interrupted run removes its temporary files and leaves the old outputs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from screening.batch import (
    FIELD_SEP,
    BatchCounts,
    Invalid,
    Screened,
    SheetRows,
    run_batch,
)
from screening.errors import ScreeningError
from screening.io.columns import HeaderMap, load_column_map, with_declared
from screening.io.guard import cannot_write, companion_path
from screening.io.readers import read_rows
from screening.io.tables import DEFAULT_LIMITS, Limits
from screening.io.writers import (
    CsvWriter,
    ErrorsCsvWriter,
    StagedFile,
    append_file,
    public_mode,
    temp_file,
)
from screening.model.effective import RuleSet
from screening.workers import Workers, parts_for

_WRITE_BUFFER = 1 << 20
SHOWN_ERRORS = 5  # invalid or skipped rows kept for stderr; the companion file has all
SHOWN_IGNORED = 200  # columns read into nothing, listed by the reports and the web page


class _ErrorLog:
    """Every error record, in a temporary JSONL file: iterable again and again (the HTML
    report goes over it) while memory stays flat however many rows are bad."""

    def __init__(self, beside: Path) -> None:
        self.path = temp_file(beside, "errors")
        self._out: IO[bytes] | None = self.path.open("wb")
        self.count = 0

    def add(self, record: dict[str, Any]) -> None:
        assert self._out is not None
        self._out.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
        self.count += 1

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self._out is not None:
            self._out.flush()
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


class BatchOutputs:
    """The outputs of one batch run and the notes and counts it reports."""

    def __init__(
        self,
        targets: list[tuple[str, Path]],
        ruleset: RuleSet,
        as_of: dt.date,
        input_path: str,
        lang: str,
        html_sections: int,
        register: Any = None,
    ) -> None:
        self.targets = targets
        # with --register, a register.sink.RegisterSink: every screened row is stored
        self.register = register
        self.ruleset = ruleset
        self.as_of = as_of
        self.input_path = input_path
        self.lang = lang
        self.html_sections = html_sections
        self.companion = companion_path(targets[0][1])
        self.shown_errors: list[dict[str, Any]] = []  # the first few, for stderr
        self.error_count = 0
        self.notes: list[str] = []
        # the input's columns read into nothing: column (1-based), header, reason
        self.ignored: list[dict[str, Any]] = []
        self.counts = BatchCounts()

    def paths(self) -> list[Path]:
        """Every file the run writes: the outputs and the companion errors file."""
        return [path for _, path in self.targets] + [self.companion]

    def run(
        self,
        rules_ref: str,
        columns_file: str | None,
        sheet: str | None,
        jobs: int,
        show_progress: bool = False,
        limits: Limits = DEFAULT_LIMITS,
        workers: Workers | None = None,
    ) -> None:
        """Screen the input and write every output (ScreeningError when it cannot);
        `limits` bound what the input may hold; `workers` are started already
        (`run_batch`)."""
        columns = load_column_map(columns_file) if columns_file else None
        # a spreadsheet's columns headed by the rule set's declared inputs' titles are
        # read into them; the workers keep the explicit map (`WorkerSpec.same_as`)
        reading = with_declared(columns, self.ruleset.inputs)
        kinds = {kind for kind, _ in self.targets}
        jsonl = next((path for kind, path in self.targets if kind == "jsonl"), None)
        xlsx = next((path for kind, path in self.targets if kind == "xlsx"), None)
        parts = parts_for(kinds)
        register = self.register
        with contextlib.ExitStack() as cleanup:
            if register is not None:
                cleanup.callback(
                    register.close
                )  # what its writer holds is written, nothing more
            staged: list[StagedFile] = []

            def discard_staged() -> None:
                for s in staged:
                    _quiet(s.discard)

            cleanup.callback(discard_staged)
            line_file: Path | None = None
            lines: IO[bytes] | None = None
            if "line" in parts:
                line_file = _guarded(
                    jsonl or self.targets[0][1],
                    temp_file,
                    jsonl or self.targets[0][1],
                    "results",
                )
                cleanup.callback(_quiet, line_file.unlink, missing_ok=True)
                public_mode(line_file)
                # a contract line (~12 KB) is larger than the default buffer: without a
                # larger one every line would be a write of its own
                lines = line_file.open("wb", buffering=_WRITE_BUFFER)
                cleanup.callback(_quiet, lines.close)
            book = None
            if xlsx is not None:
                from screening.report.xlsx import XlsxWorkbook

                book = _guarded(xlsx, XlsxWorkbook, xlsx, self.lang)
                cleanup.callback(_quiet, book.discard)
            errors_csv = _guarded(self.companion, ErrorsCsvWriter, self.companion)
            cleanup.callback(_quiet, errors_csv.discard)
            log = None
            if "html" in kinds:
                log = _guarded(self.companion, _ErrorLog, self.companion)
                cleanup.callback(_quiet, log.discard)
            with read_rows(
                self.input_path, reading, sheet=sheet, deferred=True, limits=limits
            ) as stream:
                if stream.encoding and stream.format == "csv":
                    self.notes.append(
                        f"{self.input_path}: 编码 / encoding {stream.encoding}"
                    )
                self.notes += [str(w) for w in stream.warnings]
                header = stream.header
                if header is not None:
                    self.ignored = [
                        {"column": i.index + 1, "header": i.header, "reason": i.reason}
                        for i in header.issues
                    ]
                files = None  # with --register: the file of each row of a folder
                blocks = stream.blocks()  # a JSONL input's lines split by the workers
                if register is not None:
                    from screening.register.sink import FolderFiles

                    files = FolderFiles(stream.format)
                    blocks = files.rows(blocks)

                def on_result(item: Screened) -> None:
                    if register is not None:
                        assert files is not None
                        register.add(item, files.next())
                    if lines is not None and item.line is not None:
                        try:
                            lines.write(item.line)
                        except OSError as exc:
                            raise cannot_write(
                                jsonl or self.targets[0][1], exc
                            ) from None
                    if book is not None:
                        book.decisions[item.decision] += 1

                def on_part(part: Path, length: int) -> None:
                    assert lines is not None
                    try:  # a chunk's lines, written by its worker (see run_batch)
                        append_file(lines, part, length)
                    except OSError as exc:
                        raise cannot_write(jsonl or self.targets[0][1], exc) from None

                def on_sheet_rows(rows: SheetRows) -> None:
                    assert book is not None and xlsx is not None
                    try:
                        book.add_rows(rows.summary, rows.findings)
                    except OSError as exc:
                        raise cannot_write(xlsx, exc) from None

                def on_invalid(item: Invalid) -> None:
                    if files is not None:
                        files.next(item.source)
                    record = {
                        "source": item.source,
                        "row": item.number,
                        "column": _columns_of(item.field, header),
                        "reason": item.reason,
                        "kind": item.kind,
                    }
                    self.error_count += 1
                    if len(self.shown_errors) < SHOWN_ERRORS:
                        self.shown_errors.append(record)
                    try:
                        errors_csv.write(record)
                        if book is not None:
                            book.add_error(record)
                        if log is not None:
                            log.add(record)
                    except OSError as exc:
                        raise cannot_write(self.companion, exc) from None

                with _progress(show_progress) as advance:
                    self.counts = run_batch(
                        blocks,
                        rules_ref,
                        self.as_of,
                        jobs,
                        on_result,
                        on_invalid,
                        self.lang,
                        advance,
                        columns,
                        parts,
                        register=register is not None,
                        on_sheet_rows=on_sheet_rows,
                        spool=line_file,
                        on_part=on_part,
                        workers=workers,
                    )
            c = self.counts
            if c.rows != c.screened + c.invalid + c.skipped:
                raise ScreeningError(  # never expected: it would mean a row was lost
                    f"行数不平衡：{c.rows} ≠ {c.screened} + {c.invalid} + "
                    f"{c.skipped} / rows lost"
                )
            if register is not None:  # every screening stored before any output appears
                register.finish(c.rows, c.invalid)
            if lines is not None:
                _guarded(jsonl or self.targets[0][1], lines.close)
            if log is not None:
                log.close()
            meta = self.meta()
            for kind, path in self.targets:
                if kind == "csv":
                    assert line_file is not None
                    staged.append(_guarded(path, self._write_csv, path, line_file))
                elif kind == "html":
                    assert line_file is not None and log is not None
                    staged.append(
                        _guarded(path, self._write_html, path, line_file, log, meta)
                    )
                elif kind == "xlsx":
                    assert book is not None
                    staged.append(_guarded(path, book.finish, meta))
            staged.append(_guarded(self.companion, errors_csv.finish))
            if jsonl is not None:
                assert line_file is not None
                _guarded(jsonl, _sync, line_file)
            # every output is complete on disk: now they appear, together
            for item in staged:
                _guarded(item.target, item.commit)
            staged.clear()
            if jsonl is not None:
                assert line_file is not None
                _guarded(jsonl, os.replace, line_file, jsonl)

    def meta(self) -> dict[str, Any]:
        """The run's description for the reports: rule set, date, input, counts."""
        rs = self.ruleset
        ruleset: dict[str, Any] = {
            "id": rs.id,
            "version": rs.version,
            "sha256": rs.sha256,
        }
        if getattr(rs, "path", None):
            ruleset["path"] = rs.path
        return {
            "ruleset": ruleset,
            "as_of": self.as_of.isoformat(),
            "generated": dt.datetime.now().isoformat(timespec="seconds"),
            "input": str(self.input_path),
            "counts": self.counts.as_dict(),
            # the input's columns read into nothing: a report must say its figures
            # were not used (a misspelt 固定资产投资 reads as missing data)
            "ignored_columns": self.ignored[:SHOWN_IGNORED],
            "ignored_count": len(self.ignored),
        }

    @staticmethod
    def _results(temp: Path) -> Iterator[dict[str, Any]]:
        with temp.open(encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)

    def _write_csv(self, path: Path, lines: Path) -> StagedFile:
        writer = CsvWriter(path)
        try:
            writer.write_all(self._results(lines))
            return writer.finish()
        except BaseException:
            writer.discard()
            raise

    def _write_html(
        self, path: Path, lines: Path, log: _ErrorLog, meta: dict[str, Any]
    ) -> StagedFile:
        from screening.report.html import render_batch_html

        html = render_batch_html(
            self._results(lines),
            log,
            meta,
            self.lang,
            self.html_sections,
            ruleset=self.ruleset,  # rule and field titles, never a message's first words
        )
        staged = StagedFile(path, "w", newline="")
        try:
            staged.handle.write(html)
            staged.finish()
        except BaseException:
            staged.discard()
            raise
        return staged

    def summary_line(self) -> str:
        """The closing line: rows = screened + invalid + skipped, zh then en."""
        c = self.counts
        d = c.decisions
        return (
            f"共 {c.rows} 行：筛查 {c.screened} 行（通过 {d['pass']}，"
            f"复核 {d['review']}，否决 {d['reject']}），"
            f"无效 {c.invalid} 行，跳过 {c.skipped} 行 / "
            f"{c.rows} {'row' if c.rows == 1 else 'rows'}: {c.screened} screened, "
            f"{c.invalid} invalid, "
            f"{c.skipped} skipped"
        )


def _columns_of(fields: str | None, header: HeaderMap | None) -> str | None:
    """An Invalid's field, or fields, as the input heads their columns; its field paths
    where the input has no header or no column of them (a field with no column held
    nothing of a refused figure computed from several)."""
    if header is None or not fields:
        return fields
    columns = [header.column_of(path) for path in fields.split(FIELD_SEP)]
    named = [column.header for column in columns if column is not None]
    return FIELD_SEP.join(named) if named else fields


def _quiet(step: Any, *args: Any, **kwargs: Any) -> None:
    """A clean-up step: its own failure must not hide why the run stopped."""
    with contextlib.suppress(OSError):
        step(*args, **kwargs)


def _sync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _guarded(target: Path, step: Any, *args: Any) -> Any:
    """Run one writing step; an OSError becomes one clear line naming the output."""
    try:
        return step(*args)
    except OSError as exc:
        raise cannot_write(target, exc) from None


class _progress:
    """A rich progress line on a terminal; nothing otherwise."""

    def __init__(self, show: bool) -> None:
        self.show = show
        self.bar: Any = None

    def __enter__(self) -> Any:
        if not self.show:
            return None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bar = Progress(
            TextColumn("筛查 / screening"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
        )
        self.bar.start()
        task = self.bar.add_task("batch", total=None)
        return lambda done: self.bar.update(task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
