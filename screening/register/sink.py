"""Storing a batch as it is screened: screened rows are buffered and written a few
thousand per transaction, so a killed run leaves whole screenings only and a rerun
stores just what is missing.

The transactions run on a writer thread: the batch's main loop goes on handing out
and collecting work while a transaction is written (the database driver does its work
without holding the GIL), instead of leaving the workers idle meanwhile. At most two
batches wait for the writer, so memory stays bounded; a failed write stops the run at
the next row.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from screening.model.effective import RuleSet
from screening.register.db import RegisterError, actor_name, shown_url
from screening.register.records import Record
from screening.register.store import BATCH_ROWS, Pending, Register, Run, StoreCounts


def input_sha256(path: str | Path) -> str:
    """sha256 of an input file, or of a folder's files (relative names and contents)."""
    p = Path(path)
    digest = hashlib.sha256()
    if p.is_dir():
        for item in sorted(f for f in p.rglob("*") if f.is_file()):
            digest.update(item.relative_to(p).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(item.read_bytes()).digest())
        return digest.hexdigest()
    with p.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def batch_size() -> int:
    """Rows per transaction: BATCH_ROWS, or $SCREENING_REGISTER_BATCH (at least 1)."""
    raw = os.environ.get("SCREENING_REGISTER_BATCH")
    if not raw:
        return BATCH_ROWS
    try:
        return max(1, int(raw))
    except ValueError:
        raise RegisterError(
            f"SCREENING_REGISTER_BATCH 应为行数：{raw!r} / expected a number of rows"
        ) from None


class FolderFiles:
    """The file of each row the batch calls back, when the input is a folder.

    A folder's rows are its files, one each: the reader names each row's file and the
    batch calls back in input order, a row at a time, so the files noted as the rows
    are read (`rows`) are those of the rows called back (`next`). Any other input: None.
    """

    def __init__(self, stream_format: str | None) -> None:
        self._files: deque[str] | None = deque() if stream_format == "folder" else None

    def rows(self, blocks: Iterable[Any]) -> Iterator[Any]:
        """The stream's rows (or blocks), noting the file of each."""
        files = self._files
        for row in blocks:
            if files is not None:
                files.append(Path(row.source).name)
            yield row

    def next(self, source: str | None = None) -> str | None:
        """The file of the row called back (its name in the folder), or None; `source`,
        an invalid row's, is checked against it."""
        if self._files is None:
            return None
        file = self._files.popleft()
        assert source is None or file == Path(source).name, (file, source)
        return file


REPEATS_TRACKED = 100_000  # projects whose first row is remembered (a few MB)
REPEATS_SHOWN = 20


class Repeat(NamedTuple):
    """A row holding the project an earlier row of the same input held."""

    row: int
    first: int
    project_id: str | None
    name: str | None
    company: str | None

    def line(self) -> str:
        """The warning in Chinese and English."""
        named = "，".join(
            text for text in (self.project_id, self.company, self.name) if text
        )
        return (
            f"与第 {self.first} 行是同一项目（{named}），项目库只存一个项目，按本行更新 / "
            f"the same project as row {self.first}: the register keeps one lead, "
            "with this row's figures"
        )


class RegisterSink:
    """Takes each screened row of a run (`add`) and stores them in transactions."""

    def __init__(
        self,
        register: Register,
        run: Run,
        batch_rows: int | None = None,
        source: str | None = None,
    ) -> None:
        self.register = register
        self.run = run
        self.source = source  # the input, as its rows are cited
        self.batch_rows = batch_rows or batch_size()
        self.counts = StoreCounts()
        self._pending: list[Pending] = []
        self._queue: queue.Queue[list[Pending] | None] = queue.Queue(maxsize=2)
        self._writer: threading.Thread | None = None
        self._error: BaseException | None = None
        # the first row of each project of this input (by its id, else its company and
        # name), for the first REPEATS_TRACKED projects: memory stays bounded
        self._first_rows: dict[int, int] = {}
        self.repeats: list[Repeat] = []  # the first REPEATS_SHOWN
        self.repeat_count = 0

    def add(self, screened: Any, file: str | None = None) -> None:
        """One screened row: a `batch.Screened` carrying its register record, and the
        file it came from when the input is a folder."""
        # the record travels from the worker as a plain tuple (cheaper to pickle)
        record = Record._make(screened.record)
        self._pending.append(
            Pending(screened.number, screened.decision, record, file=file)
        )
        self._note_repeat(screened.number, record)
        if len(self._pending) >= self.batch_rows:
            self.flush()

    def _note_repeat(self, row: int, record: Record) -> None:
        """Note a row whose project an earlier row of this input already held: the
        register keeps one lead, with the later row's figures (whoever filled the
        sheet may not know the project is in it twice)."""
        project_id, name, company = record.ident[:3]
        if project_id is not None:
            key = hash(("id", project_id))
        elif record.identity is not None:
            key = hash(("name", record.identity))
        else:
            return  # neither id nor name: a lead of its own row
        first = self._first_rows.get(key)
        if first is None:
            if len(self._first_rows) < REPEATS_TRACKED:
                self._first_rows[key] = row
            return
        self.repeat_count += 1
        if len(self.repeats) < REPEATS_SHOWN:
            self.repeats.append(Repeat(row, first, project_id, name, company))

    def repeat_lines(self) -> list[str]:
        """A warning for each row that repeats an earlier row's project (the first
        REPEATS_SHOWN), then how many more did."""
        where = f"{self.source}:" if self.source else ""
        lines = [f"{where}{r.row}: {r.line()}" for r in self.repeats]
        more = self.repeat_count - len(self.repeats)
        if more:
            lines.append(
                f"另有 {more} 行与前面的行是同一项目 / {more} more rows repeat a project"
            )
        return lines

    def flush(self) -> None:
        """Hand what is buffered to the writer: one transaction."""
        self._raise()
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        if self._writer is None:
            self._writer = threading.Thread(
                target=self._write, name="register-writer", daemon=True
            )
            self._writer.start()
        self._queue.put(pending)

    def _write(self) -> None:
        while True:
            pending = self._queue.get()
            if pending is None:
                return
            if self._error is not None:
                continue  # a write failed: the rest is not written (the run stops)
            try:
                self.counts.add(self.register.store(self.run, pending))
            except BaseException as exc:  # handed to the main thread by _raise
                self._error = exc

    def _raise(self) -> None:
        if self._error is not None:  # it stays set: nothing more is written
            raise self._error

    def stop(self) -> None:
        """Wait for the writer to write what it holds, and end it."""
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join()
            self._writer = None

    def finish(self, rows: int, invalid: int) -> None:
        """Store the rest, wait for the writer and record the run's counts."""
        self.flush()
        self.stop()
        self._raise()
        self.register.finish_run(self.run, rows, self.counts, invalid)

    def close(self) -> None:
        """Stop the writer (what it holds is written, nothing more) and release the register."""
        self._pending = []
        self.stop()
        self.register.close()

    def summary_line(self) -> str:
        """The counts, after a line for each lead a row gave another name or company
        and for each row that repeats an earlier row's project."""
        c = self.counts
        where = f"{self.source}:" if self.source else ""
        warnings = [f"{where}{r.row}: " + r.line() + "\n" for r in c.renamed]
        warnings += [line + "\n" for line in self.repeat_lines()]
        return "".join(warnings) + (
            f"项目库 {shown_url(self.register.url)}：新存 {c.stored} 次筛查（新项目 {c.new_leads}，"
            f"更新 {c.updated_leads}），已有 {c.duplicates} / register: {c.stored} screenings stored, "
            f"{c.duplicates} already there"
        )


def open_sink(
    db_ref: str | None,
    ruleset: RuleSet,
    rules_ref: str,
    lang: str,
    input_path: str,
    kind: str = "batch",
    actor: str | None = None,
) -> RegisterSink:
    """Open (creating if new) the register and start a run that stores into it."""
    register = Register.open(db_ref, create=True)
    run = register.start_run(
        kind,
        ruleset,
        rules_ref,
        lang,
        actor_name(actor),
        input_path=str(input_path),
        input_sha256=input_sha256(input_path),
    )
    return RegisterSink(register, run, source=str(input_path))
