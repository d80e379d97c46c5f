"""Pass 1 over a large spreadsheet in worker processes: rows → batches of measured firms.

Reading rows is cheap; converting and measuring them is most of pass 1, and is
independent from row to row. The parent reads rows and sends chunks (marshalled:
plain lists pickle slowly) to `jobs` processes that each hold the scheme; each
chunk comes back as a marshalled `Batch`, in input order, so counts, duplicates
(judged by the parent) and the spill are the same as in one process. Small inputs
never start a pool. If a worker dies, the run stops with an error and writes nothing.
"""

from __future__ import annotations

import marshal
import multiprocessing
import pickle
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any

from screening.errors import ScreeningError
from screening.evaluation.batch import Batch, Column, Plan, table_columns
from screening.evaluation.firms import FirmTable, converter

CHUNK = 4_000  # rows per batch
SERIAL_ROWS = 20_000  # inputs up to this many rows are measured in the parent
AHEAD = 3  # chunks in flight per worker: read only as fast as they are measured

Rows = Sequence[tuple[int, Sequence[Any]]]


def batches(table: FirmTable, plan: Plan, jobs: int) -> Iterator[Batch]:
    """Every row's outcome as batches, in input order; in `jobs` processes when large."""
    source = table.table.source
    raw = table.table.rows
    columns = table_columns(table)
    first = list(islice(raw, SERIAL_ROWS))
    for start in range(0, len(first), CHUNK):
        yield plan.measure(source, first[start : start + CHUNK], columns)
    if len(first) < SERIAL_ROWS:
        return
    if jobs <= 1:
        for chunk in iter(lambda: list(islice(raw, CHUNK)), []):
            yield plan.measure(source, chunk, columns)
        return
    header = [(c.index, c.header, c.name, c.unit) for c in columns]
    context = multiprocessing.get_context("spawn")  # no fork of a process mid-read
    with ProcessPoolExecutor(
        jobs,
        mp_context=context,
        initializer=_start,
        initargs=(plan.scheme.path, header, plan.year),
    ) as pool:
        pending: deque[Future[bytes]] = deque()
        try:
            for chunk in iter(lambda: list(islice(raw, CHUNK)), []):
                pending.append(pool.submit(_work, source, _pack(chunk)))
                while len(pending) >= AHEAD * jobs:
                    yield Batch.unwire(pending.popleft().result())
            while pending:
                yield Batch.unwire(pending.popleft().result())
        except BrokenProcessPool as exc:
            raise ScreeningError(
                f"评价工作进程意外退出，未写出任何结果 / a worker process died; nothing was written ({exc})"
            ) from None


def _pack(chunk: Rows) -> bytes:
    # marshal is several times faster than pickle on rows of strings; a workbook's
    # dates (and an over-long cell) are not marshallable
    try:
        return b"m" + marshal.dumps(chunk)
    except ValueError:
        return b"p" + pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)


def _unpack(data: bytes) -> Rows:
    body = data[1:]
    return marshal.loads(body) if data[:1] == b"m" else pickle.loads(body)  # noqa: S301 (from our parent)


# --- the worker side -------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _start(
    scheme_path: str, header: list[tuple[int, str, str, str | None]], year: int
) -> None:
    from screening.evaluation.loader import load_scheme

    scheme = load_scheme(scheme_path)
    fields = scheme.fields
    columns = [
        Column(i, text, name, fields[name], unit, converter(fields[name], unit))
        for i, text, name, unit in header
    ]
    _worker.update(plan=Plan(scheme, year), columns=columns)


def _work(source: str, rows: bytes) -> bytes:
    return _worker["plan"].measure(source, _unpack(rows), _worker["columns"]).wire()
