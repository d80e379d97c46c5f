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
from typing import Any

from screening.errors import ScreeningError
from screening.io.readers import Row

CHUNK = 200  # rows per task: large enough to amortise pickling, small enough to stay in order cheaply


@dataclass(frozen=True)
class Screened:
    """One screened row: the JSON-contract line and what the summary needs."""

    number: int
    line: bytes  # UTF-8 with its newline: encoded by the worker, so the parent only writes
    decision: str


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


def _start_worker(ruleset_ref: str, as_of: dt.date | None, lang: str, own_process: bool = False) -> None:
    global _screener, _lang
    from screening.loader import load_ruleset
    from screening.screen import Screener

    _screener = Screener(load_ruleset(ruleset_ref, as_of=as_of))
    _lang = lang
    if own_process:  # never in the caller's process: the collector's settings are process-wide
        # Screening allocates many short-lived objects and keeps bounded memos; the rule set,
        # modules and memos need no scanning for cycles on every few hundred allocations.
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, 20, 20)


Task = tuple[str, int, dict[str, Any]] | Invalid  # a row to screen, or one the reader already refused


def _screen_chunk(rows: list[Task]) -> list[Screened | Invalid]:
    from pydantic import ValidationError

    from screening.model.project import Project
    from screening.report.contract import contract_line
    from screening.row_values import plain_values

    out: list[Screened | Invalid] = []
    for row in rows:
        if isinstance(row, Invalid):  # passed through, to come back in its place
            out.append(row)
            continue
        source, number, data = row
        # the model's values without pydantic; None: the model reads the row and words any error
        values = plain_values(data, _screener.ruleset.inputs)
        try:
            project = Project.model_validate(data) if values is None else None
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"] if not str(p).startswith("function-"))
            out.append(Invalid(source, number, where or None, _reason(error)))
            continue
        try:
            decision = _screener.screen(project) if project is not None else _screener.screen_values(values)
            line = contract_line(decision, _screener.ruleset, _lang)
        except ScreeningError as exc:
            out.append(Invalid(source, number, exc.diagnostics[0].field, exc.diagnostics[0].message))
            continue
        out.append(Screened(number, (line + "\n").encode(), decision.outcome.value))
    return out


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
) -> BatchCounts:
    """Screen every row, calling back in input order; returns the reconciled counts."""
    counts = BatchCounts()

    def consume(results: list[Screened | Invalid]) -> None:
        for item in results:
            if isinstance(item, Screened):
                counts.screened += 1
                counts.decisions[item.decision] += 1
                on_result(item)
            else:
                counts.invalid += 1
                on_invalid(item)
        if on_progress is not None:
            on_progress(counts.screened + counts.invalid)

    def chunks() -> Iterator[list[Task]]:
        chunk: list[Task] = []
        for row in rows:
            counts.rows += 1
            if row.error is not None or row.data is None:
                # travels with its chunk, so errors come back in input order whatever --jobs is
                chunk.append(Invalid(row.source, row.number, row.error.column if row.error else None,
                                     row.error.reason if row.error else "空行 / empty row"))
            else:
                chunk.append((row.source, row.number, row.data))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    if jobs <= 1:
        _start_worker(ruleset_ref, as_of, lang)
        for chunk in chunks():
            consume(_screen_chunk(chunk))
        return counts
    context = multiprocessing.get_context("spawn")  # no fork of a process holding the engine
    # An executor, not multiprocessing.Pool: when a worker dies (a crash in the C core, a
    # failed start) the pool breaks and says so, where a Pool would wait forever.
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                             initargs=(ruleset_ref, as_of, lang, True)) as pool:
        pending: deque[Future[list[Screened | Invalid]]] = deque()
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
