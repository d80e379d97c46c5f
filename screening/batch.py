"""Screen a stream of rows in parallel processes, in input order, losing none.

durable-rules holds the GIL and has no locks, so parallelism means processes: each
worker loads the rule set once and screens chunks of rows. At most a few chunks are
in flight at once, so memory stays flat however long the input is. Every row ends
as one result, one error or one skip: rows in = screened + invalid + skipped.

No single row can stop a batch: whatever goes wrong while reading, screening or
rendering one row (a refused value, an overflow, a recursion limit, an engine error,
anything unexpected) makes that row invalid with a short reason; a row that kills its
worker process outright is found by screening the chunks then in flight row by row in
a fresh pool, and is reported invalid too. Workers exit with the batch: they ignore
Ctrl-C (the batch stops them) and die with their parent even when it is killed.

With a spool (`run_batch(spool=…)`), workers write each chunk's contract lines to a
part-file named after the batch's process (`writers.temp_file`), and only a short
record of the chunk comes back through the pipe; the parent appends each part-file to
its output in input order. Part-files are used again by later chunks (there are as
many as chunks in flight) and deleted when the run ends. A chunk whose worker died is
redone row by row with its lines sent back, its part-file never read.

A JSONL input can come as blocks of lines (`RowStream.blocks`): the reader only finds
line ends, each block is a chunk of its own, and whoever screens it splits, decodes
and numbers its lines (`readers.block_rows`), so the parent does nothing per line. The
parent counts a block's rows when its results come back, and checks that the lines
split are the lines it counted; a block whose worker died is split by the parent and
screened row by row, as any other chunk.

A worker process deflates its chunk's XLSX rows itself, a piece a sheet
(`report.xlsx.deflated_rows`): what comes back through the pipe is a twentieth of the
rows' XML, and the parent appends the pieces to the sheets without touching a row. A
dead worker's pieces never arrive; its chunks are redone row by row, as for the lines.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import gc
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import ValidationError

from screening.errors import EngineError, ScreeningError
from screening.io.readers import LineBlock, Row, block_rows, parse_text
from screening.io.writers import temp_file
from screening.model.project import Project
from screening.report.contract import contract_bytes
from screening.workers import Workers, WorkerSpec, spawning, stop

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

    from screening.report.xlsx import DeflatedRows

# rows per task: enough to amortise pickling, few enough to keep in order cheaply
CHUNK = 200
REASON_CHARS = 300  # a reason may quote the value it refuses: never a 50 MB one
_CRASHED = "筛查进程处理此行时意外退出 / the screening process died on this row"


class Screened(NamedTuple):
    """One screened row: its decision and what the requested outputs need of it.

    Workers send it back as a plain tuple (a tenth of the pickling cost of a record).
    """

    number: int
    decision: str
    line: (
        bytes | None
    )  # UTF-8 JSON-contract line with its newline, when an output needs it
    # with --register: what the register stores of the row (register.records.Record)
    record: Any = None


class SheetRows(NamedTuple):
    """A chunk's XLSX rows, in input order: the summary rows and the finding rows of
    its screened rows, each a list of rows without their opening tags, or (from a
    worker process) those rows deflated, a piece a sheet (`report.xlsx.DeflatedRows`).
    One pair a chunk, not rows carried by each result: fewer, larger objects to pickle
    and to hand to the workbook (`XlsxWorkbook.add_rows` takes either form)."""

    summary: list[bytes] | DeflatedRows
    findings: list[bytes] | DeflatedRows


@dataclass(frozen=True)
class Invalid:
    """One row that was not screened, with where and why: invalid, or skipped (not a
    project, such as a totals row)."""

    source: str
    number: int
    # the field refused (a dotted path), or the fields a refused figure is computed
    # from, joined by FIELD_SEP; the report names their columns (batch_output)
    field: str | None
    reason: str
    kind: str = "invalid"  # or "skipped"


FIELD_SEP = ";"  # between the fields of an Invalid (no field path holds it)


@dataclass
class BatchCounts:
    """Counts that reconcile: rows = screened + invalid + skipped."""

    rows: int = 0
    screened: int = 0
    invalid: int = 0
    skipped: int = 0
    decisions: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, int]:
        """The counts by name, decisions included."""
        return {
            "rows": self.rows,
            "screened": self.screened,
            "invalid": self.invalid,
            "skipped": self.skipped,
            **{d: self.decisions.get(d, 0) for d in ("pass", "review", "reject")},
        }


# --- the worker side -----------------------------------------------------------------

_screener: Any = None
_lang = "zh"
_columns: dict[str, str] | None = None
_line = True
_sheet_rows: Any = None  # report.xlsx_rows.DecisionRows when an XLSX is written
# report.xlsx.deflated_rows in a worker process: the XLSX rows go back deflated
_deflated: Any = None
# with --register: the register's FindingCodec; each result carries its record
_register: Any = None


def start_worker(
    ruleset_ref: str,
    as_of: dt.date | None,
    lang: str,
    columns: dict[str, str] | None = None,
    own_process: bool = False,
    parts: tuple[str, ...] = ("line",),
    register: bool = False,
) -> None:
    """Set this process up to screen chunks (`_screen_chunk`): a worker process
    (`workers.Workers`: `own_process`), or the caller's own with one job."""
    global _screener, _lang, _columns, _line, _sheet_rows, _register, _deflated
    from screening.loader import load_ruleset
    from screening.screener import Screener

    _screener = Screener(load_ruleset(ruleset_ref, as_of=as_of))
    # the register keeps each row's contract hash: the line is made whatever the outputs
    _lang, _columns, _line = lang, columns, "line" in parts or register
    _register = None
    if register:
        from screening.register.records import FindingCodec

        _register = FindingCodec()
    _sheet_rows = _deflated = None
    if "xlsx" in parts:
        from screening.report.xlsx import deflated_rows
        from screening.report.xlsx_rows import DecisionRows

        _sheet_rows = DecisionRows(_screener.ruleset, lang)
        # in the caller's process the workbook deflates the rows as one stream
        _deflated = deflated_rows if own_process else None
    if own_process:  # never in the caller's: the collector's settings are process-wide
        # Screening allocates many short-lived objects and keeps bounded memos; the rule
        # set, modules and memos need no scanning for cycles on every few hundred
        # allocations (a young collection once 50,000 more objects are alive than were).
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)


# A row to screen (its project mapping, or a JSONL line the worker parses), one the
# reader already refused or skipped, or a block of JSONL lines the worker splits
RowTask = tuple[str, int, dict[str, Any] | str] | Invalid
Task = RowTask | LineBlock
# a Screened as a plain tuple (number, decision, line, record), or why not
Done = tuple[int, str, bytes | None, Any] | Invalid
# what a worker returns for a chunk: each row's result, the chunk's XLSX rows (as a
# plain tuple, SheetRows) when an XLSX is written, and how many bytes of lines it
# wrote to the chunk's part-file (None: the lines, if any, are in the results), and
# how many lines it split the chunk's blocks into (`LineBlock.lines`, blank included)
# (the rows as lists in the caller's process, deflated in a worker's: SheetRows)
Chunk = tuple[list[Done], tuple[Any, Any] | None, int | None, int]


def _failure(exc: BaseException) -> str:
    """What went wrong with one row, in words for its user (no internals)."""
    if isinstance(exc, RecursionError):
        return "数据嵌套过深 / the row is nested too deeply"
    if isinstance(exc, (OverflowError, decimal.Overflow)):
        return "数值超出可计算的范围 / a figure out of the range that can be computed"
    if isinstance(exc, MemoryError):
        return "此行过大，无法筛查 / the row is too large to screen"
    if isinstance(exc, UnicodeError):
        return "含无法编码的字符 / text with characters that cannot be encoded"
    if isinstance(exc, EngineError):
        return "推理引擎未能筛查此行 / the inference engine failed on this row"
    return "此行无法筛查（内部错误）/ this row could not be screened (internal error)"


def _short(reason: str) -> str:
    return reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…"


def _refusal(source: str, number: int, exc: BaseException) -> Invalid:
    if (
        isinstance(exc, ScreeningError)
        and not isinstance(exc, EngineError)
        and exc.diagnostics
    ):
        diagnostic = exc.diagnostics[0]
        return Invalid(source, number, diagnostic.field, _short(diagnostic.message))
    # not at start-up: needs Jinja2
    from screening.report.sheetml import Unrepresentable

    if isinstance(exc, Unrepresentable):  # a value no XLSX cell can hold
        from screening.report.xlsx_rows import RefusedFinding

        # a finding's figure: named by the inputs it is computed from
        fields = exc.fields if isinstance(exc, RefusedFinding) else ()
        return Invalid(source, number, FIELD_SEP.join(fields) or None, _short(str(exc)))
    return Invalid(source, number, None, _failure(exc))


def _screen_chunk(rows: list[Task], part: str | None = None) -> Chunk:
    """Screen a chunk stage by stage (read every row, screen all, render all).

    Each stage's code and memos stay warm in the processor's caches, which interleaving
    the stages row by row loses. Order is kept; a row that fails a stage stays an
    Invalid (and has no XLSX rows). With `part`, the screened rows' lines are written
    to that file (in order) instead of being returned. Blocks of lines are split here.
    """
    tasks, lines = _unblocked(rows)
    read: list[tuple[str, int, Any] | Invalid] = []
    for row in tasks:
        if isinstance(row, Invalid):  # passed through, to come back in its place
            read.append(row)
            continue
        try:
            read.append(_read(*row))
        except Exception as exc:  # noqa: BLE001 - one row's failure is that row's
            read.append(_refusal(row[0], row[1], exc))
    screen_values, screen = _screener.screen_values, _screener.screen
    judged: list[tuple[str, int, Any, Any] | Invalid] = []  # (…, decision, values)
    for item in read:
        if isinstance(item, Invalid):
            judged.append(item)
            continue
        source, number, values = item
        try:
            if _register is not None and type(values) is not dict:
                values = _flat_values(values)  # the register stores flat values
            judged.append(
                (
                    source,
                    number,
                    screen_values(values) if type(values) is dict else screen(values),
                    values,
                )
            )
        except Exception as exc:  # noqa: BLE001
            judged.append(_refusal(source, number, exc))
    ruleset, lang, want_line, sheet_rows = _screener.ruleset, _lang, _line, _sheet_rows
    out: list[Done] = []
    summaries: list[bytes] = []
    findings: list[bytes] = []
    for entry in judged:
        if isinstance(entry, Invalid):
            out.append(entry)
            continue
        source, number, decision, values = entry
        try:
            # every requested rendering succeeds, or the row is refused in every output
            line = contract_bytes(decision, ruleset, lang) if want_line else None
            rendered = (
                sheet_rows.render_bodies(decision) if sheet_rows is not None else None
            )
            record = (
                _record(source, number, values, decision, line)  # type: ignore[arg-type]
                if _register is not None
                else None
            )
        except Exception as exc:  # noqa: BLE001
            out.append(_refusal(source, number, exc))
            continue
        if rendered is not None:
            summaries.append(rendered[0])
            findings += rendered[1]
        out.append((number, decision.outcome.value, line, record))
    sheet: tuple[list[bytes], list[bytes]] | tuple[DeflatedRows, DeflatedRows] | None
    sheet = None
    if sheet_rows is not None:
        deflated = _deflated
        sheet = (
            (summaries, findings)
            if deflated is None
            else (deflated(summaries), deflated(findings))
        )
    if part is not None and want_line:
        written = _spool(out, part)
        if written is not None:
            return [_unlined(item) for item in out], sheet, written, lines
    return out, sheet, None, lines


def _unblocked(rows: list[Task]) -> tuple[list[RowTask], int]:
    """The tasks with each block of lines split into its rows' tasks (in its place),
    and how many lines the blocks held (blank ones included)."""
    if not any(type(row) is LineBlock for row in rows):
        return rows, 0  # type: ignore[return-value]  # (none is a block)
    tasks: list[RowTask] = []
    lines = 0
    for row in rows:
        if isinstance(row, LineBlock):
            split, count = block_rows(row)
            tasks += map(_task, split)
            lines += count
        else:
            tasks.append(row)
    return tasks, lines


def _task(row: Row) -> RowTask:
    """What a worker is given of a row read: its data or text, or why it is not one."""
    if row.text is not None and row.skip is None:
        return (row.source, row.number, row.text)
    if row.skip is not None or row.error is not None or row.data is None:
        # travels with its chunk: errors return in input order whatever --jobs
        return _refused(row)
    return (row.source, row.number, row.data)


def _spool(out: list[Done], part: str) -> int | None:
    """Write the screened rows' lines at the start of `part`, in order; how many bytes,
    or None when the part-file cannot be written (the lines then go back through the
    pipe, and the parent says which output cannot be written if it cannot either).

    Not truncated: what lies beyond the bytes written is an earlier chunk's, never read.
    Writing over pages the file already has costs a tenth of writing a new file.
    """
    data = b"".join([item[2] for item in out if type(item) is tuple])  # type: ignore[misc]
    try:
        with open(part, "r+b") as handle:
            handle.write(data)
    except OSError:
        return None
    return len(data)


def _unlined(item: Done) -> Done:
    return (item[0], item[1], None, item[3]) if type(item) is tuple else item


def _flat_values(project: Project) -> dict[str, Any]:
    """A validated project's flat values, as `Screener.screen` makes them."""
    from screening.inputs import convert_inputs
    from screening.model.project import flatten

    return convert_inputs(flatten(project), _screener.ruleset.inputs)


def _record(
    source: str, number: int, values: dict[str, Any], decision: Any, line: bytes
) -> tuple[Any, ...]:
    """What the register stores of a screened row, as a plain tuple (cheaper to pickle)."""
    from screening.register import records  # imported once, by start_worker

    made_up = records.row_id(source, number)
    return tuple(records.record_of(values, decision, line, _register, made_up))


def _read(
    source: str, number: int, data: dict[str, Any] | str
) -> tuple[str, int, Any] | Invalid:
    """A row's validated Project, or why not (the model words every refusal)."""
    if type(data) is str:  # a JSONL line: parsed here, in parallel, not by the reader
        parsed, refused = parse_text(source, number, data, _columns)
        if parsed is None:
            reason = _short(refused.reason) if refused else "空行 / empty row"
            return Invalid(source, number, refused.column if refused else None, reason)
        data = parsed
    try:
        return source, number, Project.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(
            str(p) for p in error["loc"] if not str(p).startswith("function-")
        )
        return Invalid(source, number, where or None, _short(_reason(error)))


def _refused(row: Row) -> Invalid:
    """A row the reader could not read (or skipped), as an Invalid."""
    if row.skip is not None:
        return Invalid(row.source, row.number, None, _short(row.skip), "skipped")
    error = row.error
    return Invalid(
        row.source,
        row.number,
        error.column if error else None,
        _short(error.reason) if error else "空行 / empty row",
    )


def _reason(error: ErrorDetails) -> str:
    from screening.model.diagnose import (
        describe,
    )  # the same wording as for project files

    return describe(error)


# --- the parent side -----------------------------------------------------------------


def run_batch(
    rows: Iterable[Row | LineBlock],
    ruleset_ref: str,
    as_of: dt.date | None,
    jobs: int,
    on_result: Callable[[Screened], None],
    on_invalid: Callable[[Invalid], None],
    lang: str = "zh",
    on_progress: Callable[[int], None] | None = None,
    columns: dict[str, str] | None = None,
    parts: tuple[str, ...] = ("line",),
    register: bool = False,
    on_sheet_rows: Callable[[SheetRows], None] | None = None,
    spool: Path | None = None,
    on_part: Callable[[Path, int], None] | None = None,
    workers: Workers | None = None,
) -> BatchCounts:
    """Screen every row, calling back in input order; returns the reconciled counts.

    `columns` is the header map the rows were read with (JSONL rows read deferred are
    parsed by the workers, and blocks of their lines split by them: `RowStream.blocks`);
    `parts` what each screened row is rendered as (see `workers.PARTS`).
    Skipped rows come to `on_invalid` too, with kind "skipped". With `register`, each
    Screened carries its register record. With "xlsx" in `parts`, `on_sheet_rows` is
    given each chunk's XLSX rows once its rows' results have been given.

    With `spool` and `on_part` (and "line" in `parts`, and more than one job), workers
    write their chunks' lines to part-files beside `spool`: the Screened of those rows
    carry no line, and `on_part(path, length)` is given each chunk's part-file once its
    rows' results have been given (it appends the file's first `length` bytes). A
    part-file is used again for a later chunk (one for each chunk in flight, at most)
    and every one is deleted when the run ends, however it ends.

    `workers`, started before the rows were open (`Workers.start`), are the run's
    first pool if they were set up as this run sets its own (see `WorkerSpec.same_as`);
    they are stopped otherwise.
    """
    counts = BatchCounts()
    spooling = spool is not None and on_part is not None and "line" in parts
    made: list[Path] = []  # every part-file of this run: deleted at its end
    free: list[Path] = []  # those no chunk in flight is using

    def release(part: Path | None) -> None:
        if part is not None:
            free.append(part)

    def consume(
        chunk: Chunk, part: Path | None = None, tasks: list[Task] | None = None
    ) -> None:
        try:
            if tasks is not None:
                _blocks_read(tasks, chunk, counts)
            take(chunk, part)
        finally:
            release(part)

    def take(chunk: Chunk, part: Path | None) -> None:
        results, sheet_rows, written, _ = chunk
        decisions = counts.decisions
        for item in results:
            if type(item) is tuple:
                screened = Screened(*item)
                counts.screened += 1
                decisions[screened.decision] += 1
                on_result(screened)
            else:
                if item.kind == "skipped":  # type: ignore[union-attr]
                    counts.skipped += 1
                else:
                    counts.invalid += 1
                on_invalid(item)  # type: ignore[arg-type]
        if written is not None and part is not None and on_part is not None:
            on_part(part, written)
        if sheet_rows is not None and on_sheet_rows is not None:
            on_sheet_rows(SheetRows(*sheet_rows))
        if on_progress is not None:
            on_progress(counts.screened + counts.invalid + counts.skipped)

    def chunks() -> Iterator[list[Task]]:
        chunk: list[Task] = []
        source, number = "", 0
        iterator = iter(rows)
        new_row = Row
        while True:
            try:
                row = next(iterator)
            except StopIteration:
                break
            except ScreeningError:
                raise
            except Exception as exc:  # noqa: BLE001 - a reader that failed cannot go on
                raise ScreeningError(
                    f"{source or '输入'}: 读到第 {number} 行之后无法继续读取 / "
                    f"reading stopped after row {number} ({_failure(exc)})"
                ) from None
            if type(row) is not new_row:  # a block of lines: a chunk of its own
                assert type(row) is LineBlock
                source, number = row.source, row.first + row.lines - 1
                if chunk:
                    yield chunk
                    chunk = []
                yield [row]
                continue
            source, number = row.source, row.number
            counts.rows += 1
            chunk.append(_task(row))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    spec = WorkerSpec(ruleset_ref, as_of, lang, columns, parts, register)
    if workers is not None and (jobs <= 1 or not workers.spec.same_as(spec)):
        workers.stop()  # started for another run: never used for this one
        workers = None
    if jobs <= 1:
        start_worker(ruleset_ref, as_of, lang, columns, parts=parts, register=register)
        for chunk in chunks():
            consume(_screen_chunk(chunk), tasks=chunk)
        return counts

    def start() -> ProcessPoolExecutor:
        nonlocal workers
        started, workers = workers or Workers.start(jobs, spec), None  # the given once
        return started.ready()

    def isolate(pool: ProcessPoolExecutor, chunk: list[Task]) -> ProcessPoolExecutor:
        # row by row in a pool that works: a row that kills its worker is that row's
        # (a block's lines split here, as its worker would have split them)
        tasks = _unblocked(chunk)[0]
        if tasks is not chunk:  # the rows of its blocks are counted now
            counts.rows += len(tasks) - sum(type(t) is not LineBlock for t in chunk)
        for task in tasks:
            if isinstance(task, Invalid):
                consume(([task], None, None, 0))
                continue
            try:
                with spawning():
                    single = pool.submit(_screen_chunk, [task])
                consume(single.result())
            except BrokenProcessPool:
                stop(pool)
                consume(([Invalid(task[0], task[1], None, _CRASHED)], None, None, 0))
                pool = start()
        return pool

    pool = start()
    pending: deque[tuple[list[Task], Future[Chunk], Path | None]] = deque()

    def drain(pool: ProcessPoolExecutor) -> ProcessPoolExecutor:
        chunk, future, part = pending.popleft()
        try:
            result = future.result()
        except (
            BrokenProcessPool
        ):  # one of the chunks in flight killed a worker: find the row
            stop(pool)
            # its workers are gone: what they wrote of the chunks in flight is never
            # read, and those part-files are free for chunks to come
            release(part)
            suspects = [chunk]
            for other, _, other_part in pending:
                suspects.append(other)
                release(other_part)
            pending.clear()
            pool = start()
            for suspect in suspects:
                pool = isolate(pool, suspect)
            return pool
        consume(result, part, chunk)
        return pool

    def submit(chunk: list[Task]) -> None:
        part = None
        if spooling and free:
            part = free.pop()
        elif spooling:
            assert spool is not None
            part = temp_file(spool, "part")  # named after this process: remove_stale
            made.append(part)
        with spawning():
            future = pool.submit(
                _screen_chunk, chunk, None if part is None else str(part)
            )
        pending.append((chunk, future, part))

    try:
        for chunk in chunks():
            submit(chunk)
            while (
                len(pending) >= 4 * jobs
            ):  # bounded: the input is read only as fast as it is screened
                pool = drain(pool)
        while pending:
            pool = drain(pool)
    except BaseException:
        stop(pool)  # first: no worker writes a part-file once they are deleted
        raise
    else:
        pool.shutdown()
    finally:
        for part in made:
            with contextlib.suppress(OSError):
                part.unlink(missing_ok=True)
    return counts


def _blocks_read(tasks: list[Task], chunk: Chunk, counts: BatchCounts) -> None:
    """Count the rows of a chunk's blocks of lines, split by whoever screened them;
    an error if they were split into other lines than the reader counted."""
    blocks = [task for task in tasks if isinstance(task, LineBlock)]
    if not blocks:
        return
    lines = sum(block.lines for block in blocks)
    if chunk[3] != lines:  # never expected: rows would be lost or made up
        raise ScreeningError(
            f"{blocks[0].source}: 行数不符：读到 {lines} 行，筛查时分出 "
            f"{chunk[3]} 行 / {lines} lines read, {chunk[3]} split"
        )
    counts.rows += len(chunk[0]) - (len(tasks) - len(blocks))
