"""Screen a stream of rows in parallel processes, in input order, losing none.

durable-rules holds the GIL and has no locks, so parallelism means processes: each
worker loads the rule set once and screens chunks of rows. At most a few chunks are
in flight at once, so memory stays flat however long the input is. Every row ends
as one result or one error: rows in = screened + invalid.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic import ValidationError

from screening.errors import ScreeningError
from screening.io.readers import Row, parse_deferred
from screening.model.project import Project
from screening.report.contract import contract_bytes
from screening.row_values import plain_values

CHUNK = 200  # rows per task: large enough to amortise pickling, small enough to stay in order cheaply


class Screened(NamedTuple):
    """One screened row: the JSON-contract line and what the summary needs.

    Workers send it back as a plain tuple (a tenth of the pickling cost of a record).
    """

    number: int
    line: bytes  # UTF-8 with its newline: encoded by the worker, so the parent only writes
    decision: str
    record: Any = None  # with --register: what the register stores (register.records.Record)


@dataclass(frozen=True)
class Invalid:
    """One row that could not be screened, with where and why."""

    source: str
    number: int
    field: str | None
    reason: str


@dataclass
class BatchCounts:
    """Counts that reconcile: rows = screened + invalid."""

    rows: int = 0
    screened: int = 0
    invalid: int = 0
    decisions: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, int]:
        return {"rows": self.rows, "screened": self.screened, "invalid": self.invalid,
                **{d: self.decisions.get(d, 0) for d in ("pass", "review", "reject")}}


# --- the worker side -------------------------------------------------------------------

_screener: Any = None
_lang = "zh"
_columns: dict[str, str] | None = None
_register: Any = None  # with --register: the register's FindingCodec; each result carries its record


def _start_worker(ruleset_ref: str, as_of: dt.date | None, lang: str, columns: dict[str, str] | None = None,
                  own_process: bool = False, register: bool = False) -> None:
    global _screener, _lang, _columns, _register
    from screening.loader import load_ruleset
    from screening.screen import Screener

    _screener = Screener(load_ruleset(ruleset_ref, as_of=as_of))
    _lang, _columns = lang, columns
    _register = None
    if register:
        from screening.register.records import FindingCodec

        _register = FindingCodec()
    if own_process:  # never in the caller's process: the collector's settings are process-wide
        # Screening allocates many short-lived objects and keeps bounded memos; the rule set,
        # modules and memos need no scanning for cycles on every few hundred allocations
        # (a young collection once 50,000 more objects are alive than were).
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)


# A row to screen (its project mapping, or a JSONL line the worker parses), or one the
# reader already refused
Task = tuple[str, int, dict[str, Any] | str] | Invalid
Done = tuple[int, bytes, str] | Invalid  # a Screened as a plain tuple, or why the row was not screened


def _screen_chunk(rows: list[Task]) -> list[Done]:
    """Screen a chunk stage by stage (read every row, screen every row, write every line):
    each stage's code and memos stay warm in the processor's caches, which interleaving
    the stages row by row loses. Order is kept; a row that fails a stage stays an Invalid."""
    read = [row if isinstance(row, Invalid) else _read(*row) for row in rows]
    screen_values, screen = _screener.screen_values, _screener.screen
    judged: list[tuple[str, int, Any] | Invalid] = []
    for item in read:
        if isinstance(item, Invalid):  # passed through, to come back in its place
            judged.append(item)
            continue
        source, number, values = item
        try:
            if _register is not None and type(values) is not dict:  # the register stores flat values
                values = _flat_values(values)
            judged.append((source, number, screen_values(values) if type(values) is dict else screen(values), values))
        except ScreeningError as exc:
            judged.append(Invalid(source, number, exc.diagnostics[0].field, exc.diagnostics[0].message))
    ruleset, lang = _screener.ruleset, _lang
    out: list[Done] = []
    for item in judged:
        if isinstance(item, Invalid):
            out.append(item)
            continue
        source, number, decision, values = item
        try:
            line = contract_bytes(decision, ruleset, lang)
        except ScreeningError as exc:
            out.append(Invalid(source, number, exc.diagnostics[0].field, exc.diagnostics[0].message))
            continue
        if _register is not None:
            out.append((number, line, decision.outcome.value, _record(source, number, values, decision, line)))
        else:
            out.append((number, line, decision.outcome.value))
    return out


def _flat_values(project: Project) -> dict[str, Any]:
    """A validated project's flat values, as `Screener.screen` makes them."""
    from screening.inputs import convert_inputs
    from screening.model.project import flatten

    return convert_inputs(flatten(project), _screener.ruleset.inputs)


def _record(source: str, number: int, values: dict[str, Any], decision: Any, line: bytes) -> Any:
    from screening.register.records import record_of, row_id

    # a plain tuple pickles faster
    return tuple(record_of(values, decision, line, _register, row_id(source, number)))


def _read(source: str, number: int, data: dict[str, Any] | str) -> tuple[str, int, Any] | Invalid:
    """A row's flat values (or, when the fast path declines, its validated Project), or why not."""
    if type(data) is str:  # a JSONL line: parsed here, in parallel, rather than by the reader
        parsed = parse_deferred(Row(source, number, None, text=data), _columns)
        if parsed.data is None:
            return _refused(parsed)
        data = parsed.data
    # the model's values without pydantic; None: the model reads the row and words any error
    values = plain_values(data, _screener.ruleset.inputs)
    if values is not None:
        return source, number, values
    try:
        return source, number, Project.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"] if not str(p).startswith("function-"))
        return Invalid(source, number, where or None, _reason(error))


def _refused(row: Row) -> Invalid:
    """A row the reader could not read, as an Invalid."""
    error = row.error
    return Invalid(row.source, row.number, error.column if error else None, error.reason if error else "空行 / empty row")


def _reason(error: dict[str, Any]) -> str:
    from screening.model.diagnose import describe  # the same wording as for project files

    return describe(error)


# --- the parent side -------------------------------------------------------------------


def run_batch(
    rows: Iterable[Row],
    ruleset_ref: str,
    as_of: dt.date | None,
    jobs: int,
    on_result: Callable[[Screened], None],
    on_invalid: Callable[[Invalid], None],
    lang: str = "zh",
    on_progress: Callable[[int], None] | None = None,
    columns: dict[str, str] | None = None,
    register: bool = False,
) -> BatchCounts:
    """Screen every row, calling back in input order; returns the reconciled counts.

    `columns` is the header map the rows were read with (JSONL rows read deferred are
    parsed by the workers). With `register`, each Screened carries its register record.
    """
    counts = BatchCounts()

    def consume(results: list[Done]) -> None:
        decisions = counts.decisions
        for item in results:
            if type(item) is tuple:
                screened = Screened(*item)
                counts.screened += 1
                decisions[screened.decision] += 1
                on_result(screened)
            else:
                counts.invalid += 1
                on_invalid(item)  # type: ignore[arg-type]
        if on_progress is not None:
            on_progress(counts.screened + counts.invalid)

    def chunks() -> Iterator[list[Task]]:
        chunk: list[Task] = []
        for row in rows:
            counts.rows += 1
            if row.text is not None:
                chunk.append((row.source, row.number, row.text))
            elif row.error is not None or row.data is None:
                # travels with its chunk, so errors come back in input order whatever --jobs is
                chunk.append(_refused(row))
            else:
                chunk.append((row.source, row.number, row.data))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    if jobs <= 1:
        _start_worker(ruleset_ref, as_of, lang, columns, register=register)
        for chunk in chunks():
            consume(_screen_chunk(chunk))
        return counts
    context = multiprocessing.get_context("spawn")  # no fork of a process holding the engine
    # An executor, not multiprocessing.Pool: when a worker dies (a crash in the C core, a
    # failed start) the pool breaks and says so, where a Pool would wait forever.
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                             initargs=(ruleset_ref, as_of, lang, columns, True, register)) as pool:
        pending: deque[Future[list[Done]]] = deque()
        try:
            for chunk in chunks():
                pending.append(pool.submit(_screen_chunk, chunk))
                while len(pending) >= 4 * jobs:  # bounded: the input is read only as fast as it is screened
                    consume(pending.popleft().result())
            while pending:
                consume(pending.popleft().result())
        except BrokenProcessPool as exc:
            raise ScreeningError(
                f"筛查工作进程意外退出，未写出任何结果 / a worker process died; nothing was written ({exc})"
            ) from None
    return counts
