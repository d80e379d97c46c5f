"""A batch run end to end: read rows, screen them, write every requested output atomically.

Pass one streams each result, as its JSON-contract line and in input order, into a
temporary file beside the outputs; pass two renders CSV, XLSX and HTML from it. The
outputs appear only when the whole run succeeded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from screening.batch import BatchCounts, Invalid, Screened, run_batch
from screening.errors import ScreeningError
from screening.io.columns import load_column_map
from screening.io.readers import read_rows
from screening.io.writers import CsvWriter, atomic_write
from screening.model.effective import RuleSet

_WRITE_BUFFER = 1 << 20


class BatchOutputs:
    """The outputs of one batch run and the notes and counts it reports."""

    def __init__(self, targets: list[tuple[str, Path]], ruleset: RuleSet, as_of: dt.date, input_path: str,
                 lang: str, html_sections: int, register: Any = None) -> None:
        self.targets = targets
        self.register = register  # a register.sink.RegisterSink with --register: every screened row is stored
        self.ruleset = ruleset
        self.as_of = as_of
        self.input_path = input_path
        self.lang = lang
        self.html_sections = html_sections
        self.errors: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.counts = BatchCounts()

    def run(self, rules_ref: str, columns_file: str | None, sheet: str | None, jobs: int,
            show_progress: bool = False) -> None:
        columns = load_column_map(columns_file) if columns_file else None
        first = self.targets[0][1]
        folder = first.parent if str(first.parent) else Path(".")
        handle, temp_name = tempfile.mkstemp(prefix=".screening-", suffix=".jsonl", dir=folder)
        temp = Path(temp_name)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes it private; the output should not be
        try:
            # a contract line (~12 KB) is larger than the default buffer: without a larger one
            # every line would be a write of its own
            with read_rows(self.input_path, columns, sheet=sheet, deferred=True) as stream, \
                    os.fdopen(handle, "wb", buffering=_WRITE_BUFFER) as out:
                if stream.encoding and stream.format == "csv":
                    self.notes.append(f"{self.input_path}: 编码 / encoding {stream.encoding}")
                self.notes += [str(w) for w in stream.warnings]
                header = stream.header

                register = self.register

                def on_result(item: Screened) -> None:
                    out.write(item.line)
                    if register is not None:
                        register.add(item)

                def on_invalid(item: Invalid) -> None:
                    column = item.field
                    if header is not None and item.field:
                        mapped = header.column_of(item.field)
                        column = mapped.header if mapped is not None else item.field
                    self.errors.append({"source": item.source, "row": item.number, "column": column,
                                        "reason": item.reason})

                with _progress(show_progress) as advance:
                    self.counts = run_batch(stream, rules_ref, self.as_of, jobs, on_result, on_invalid,
                                            self.lang, advance, columns, register=register is not None)
            if self.counts.rows != self.counts.screened + self.counts.invalid:
                raise ScreeningError(  # never expected: it would mean a row was lost
                    f"行数不平衡：{self.counts.rows} ≠ {self.counts.screened} + {self.counts.invalid} / rows lost")
            if self.register is not None:
                self.register.finish(self.counts.rows, self.counts.invalid)
            self._write_outputs(temp)
        finally:
            temp.unlink(missing_ok=True)

    def meta(self) -> dict[str, Any]:
        rs = self.ruleset
        return {"ruleset": {"id": rs.id, "version": rs.version, "sha256": rs.sha256}, "as_of": self.as_of.isoformat(),
                "generated": dt.datetime.now().isoformat(timespec="seconds"), "input": str(self.input_path),
                "counts": self.counts.as_dict()}

    def _results(self, temp: Path) -> Iterator[dict[str, Any]]:
        with temp.open(encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)

    def _write_outputs(self, temp: Path) -> None:
        meta = self.meta()
        jsonl = None
        for kind, path in self.targets:
            if kind == "jsonl":
                jsonl = path
            elif kind == "csv":
                writer = CsvWriter(path)
                try:
                    writer.write_all(self._results(temp))
                except BaseException:
                    writer.discard()
                    raise
                writer.close()
            elif kind == "xlsx":
                from screening.report.xlsx import write_xlsx

                write_xlsx(path, self._results(temp), self.errors, meta, self.lang)
            elif kind == "html":
                from screening.report.html import render_batch_html

                html = render_batch_html(self._results(temp), self.errors, meta, self.lang, self.html_sections)
                atomic_write(path, html)
        if jsonl is not None:
            os.replace(temp, jsonl)  # the temp file is complete and beside it: an atomic rename

    def summary_line(self) -> str:
        c = self.counts
        d = c.decisions
        return (f"共 {c.rows} 行：筛查 {c.screened} 行（通过 {d['pass']}，复核 {d['review']}，否决 {d['reject']}），"
                f"无效 {c.invalid} 行 / {c.rows} rows: {c.screened} screened, {c.invalid} invalid")


class _progress:
    """A rich progress line on a terminal; nothing otherwise."""

    def __init__(self, show: bool) -> None:
        self.show = show
        self.bar: Any = None

    def __enter__(self) -> Any:
        if not self.show:
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("筛查 / screening"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            transient=True)
        self.bar.start()
        task = self.bar.add_task("batch", total=None)
        return lambda done: self.bar.update(task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
