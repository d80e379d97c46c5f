"""Pass 1 over a large spreadsheet in worker processes: rows → batches of measured firms.

Converting and measuring rows is most of pass 1, and is independent from row to
row. The parent cuts a plain CSV into blocks of lines (`csvblocks`: the workers
decode and split them) or reads rows with the table reader and sends chunks
(marshalled: plain lists pickle slowly) to `jobs` processes that each hold the
scheme; each comes back as a marshalled `Batch`, in input order, so counts,
duplicates (judged by the parent) and the spill are the same as in one process.
Small inputs never start a pool. If a worker dies, the run stops with an error and writes nothing.
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
from screening.evaluation.csvblocks import (
    Block,
    PlainCsv,
    block_rows,
    blocks,
    plain_csv,
)
from screening.evaluation.firms import FirmTable, converter

CHUNK = 4_000  # rows per batch read by the table reader
SERIAL_ROWS = 20_000  # inputs up to this many rows are measured in the parent
AHEAD = 3  # chunks in flight per worker: read only as fast as they are measured

Rows = Sequence[tuple[int, Sequence[Any]]]
Work = Block | list[tuple[int, Sequence[Any]]]  # a plain CSV block, or rows read


def batches(table: FirmTable, plan: Plan, jobs: int) -> Iterator[Batch]:
    """Every row's outcome as batches, in input order; in `jobs` processes when large."""
    source = table.table.source
    columns = table_columns(table)
    plain = plain_csv(table)
    split = (plain.encoding, plain.delimiter) if plain is not None else None
    work = _work_items(table, plain)
    seen = 0
    for item in work:
        yield _measure(plan, source, columns, split, item)
        seen += item.lines if isinstance(item, Block) else len(item)
        if seen >= SERIAL_ROWS:
            break
    else:
        return
    if jobs <= 1:
        for item in work:
            yield _measure(plan, source, columns, split, item)
        return
    header = [(c.index, c.header, c.name, c.unit) for c in columns]
    context = multiprocessing.get_context("spawn")  # no fork of a process mid-read
    with ProcessPoolExecutor(
        jobs,
        mp_context=context,
        initializer=_start,
        initargs=(plan.scheme.path, header, plan.year, split),
    ) as pool:
        pending: deque[Future[bytes]] = deque()
        try:
            for item in work:
                pending.append(pool.submit(_work, source, _pack(item)))
                while len(pending) >= AHEAD * jobs:
                    yield Batch.unwire(pending.popleft().result())
            while pending:
                yield Batch.unwire(pending.popleft().result())
        except BrokenProcessPool as exc:
            raise ScreeningError(
                f"评价工作进程意外退出，未写出任何结果 / a worker process died; nothing was written ({exc})"
            ) from None


def _work_items(table: FirmTable, plain: PlainCsv | None) -> Iterator[Work]:
    """Plain blocks while the CSV is plain, then chunks of rows from the reader."""
    rows: Iterator[tuple[int, Sequence[Any]]] = table.table.rows
    if plain is not None:
        stopped = yield from blocks(plain)
        if stopped is None:
            return
        # the rest from the reader, which has read only the lines above the data
        rows = islice(rows, stopped - plain.first, None)
    yield from iter(lambda: list(islice(rows, CHUNK)), [])


def _measure(
    plan: Plan,
    source: str,
    columns: Sequence[Column],
    split: tuple[str, str] | None,
    item: Work,
) -> Batch:
    if isinstance(item, Block):
        assert split is not None
        return plan.measure(source, block_rows(item, *split), columns)
    return plan.measure(source, item, columns)


def _pack(item: Work) -> bytes:
    if isinstance(item, Block):
        return b"b" + marshal.dumps((item.first, item.lines, item.data))
    # marshal is several times faster than pickle on rows of strings; a workbook's
    # dates (and an over-long cell) are not marshallable
    try:
        return b"m" + marshal.dumps(item)  # ValueError for anything else
    except ValueError:
        return b"p" + pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)


def _unpack(data: bytes) -> Work:
    body = data[1:]
    if data[:1] == b"b":
        return Block(*marshal.loads(body))
    # pickle: from our parent
    rows: Rows = marshal.loads(body) if data[:1] == b"m" else pickle.loads(body)  # noqa: S301
    return list(rows)


# --- the worker side -------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _start(
    scheme_path: str,
    header: list[tuple[int, str, str, str | None]],
    year: int,
    split: tuple[str, str] | None,
) -> None:
    from screening.evaluation.loader import load_scheme

    scheme = load_scheme(scheme_path)
    fields = scheme.fields
    columns = [
        Column(i, text, name, fields[name], unit, converter(fields[name], unit))
        for i, text, name, unit in header
    ]
    _worker.update(plan=Plan(scheme, year), columns=columns, split=split)


def _work(source: str, item: bytes) -> bytes:
    plan: Plan = _worker["plan"]
    columns, split = _worker["columns"], _worker["split"]
    return _measure(plan, source, columns, split, _unpack(item)).wire()
