"""Pass 1 over a large spreadsheet in worker processes: cells → measured firms.

Reading cells is cheap; converting them and measuring a firm is most of pass 1,
and is independent from firm to firm. The parent reads rows and sends chunks to
`jobs` processes that each hold the scheme; outcomes come back in input order,
so counts, duplicates (judged by the parent) and the spill are the same as in
one process. Small inputs never start a pool. If a worker dies, the run stops
with an error and writes nothing.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any

from screening.errors import ScreeningError
from screening.evaluation.evaluate import measure
from screening.evaluation.firms import FirmRow, FirmTable, _firm, converter
from screening.evaluation.scheme import Scheme

CHUNK = 2_000  # rows per task
SERIAL_ROWS = 20_000  # inputs up to this many rows are measured in the parent

Outcome = tuple[Any, ...]  # see screening.evaluation.run.Outcome
Columns = list[tuple[int, str, str, Any]]


def outcome_of_row(row: FirmRow, scheme: Scheme, year: int) -> Outcome:
    """What pass 1 makes of one read row: skipped, bad, or a measured firm."""
    if row.skipped is not None:
        return ("skip", row.source, row.number, None, row.skipped)
    if row.values is None:
        return ("bad", row.source, row.number, row.column, row.reason or "")
    stated = row.values.get("year")
    if stated is not None and stated != year:
        reason = f"年度 {stated} 与评价年度 {year} 不符 / the row is for another year"
        return ("bad", row.source, row.number, "年度", reason)
    column = "统一社会信用代码" if "credit_code" in row.values else "企业名称"
    firm = measure(scheme, 0, row.number, row.values, year)
    return ("firm", row.source, row.number, column, tuple(firm))


def _outcomes(
    source: str,
    rows: Sequence[tuple[int, Sequence[Any]]],
    columns: Columns,
    scheme: Scheme,
    year: int,
) -> list[Outcome]:
    out = []
    for number, cells in rows:
        row = _firm(source, number, cells, columns)
        if row.values != {}:  # a blank row
            out.append(outcome_of_row(row, scheme, year))
    return out


def _columns(table: FirmTable, scheme: Scheme) -> Columns:
    fields = table.fields
    return [
        (c.index, c.header, c.field, converter(fields[c.field], c.unit))
        for c in table.columns
    ]


# --- the worker side -------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _start(
    scheme_path: str, header: list[tuple[int, str, str, str | None]], year: int
) -> None:
    from screening.evaluation.loader import load_scheme

    scheme = load_scheme(scheme_path)
    columns = [
        (i, text, name, converter(scheme.fields[name], unit))
        for i, text, name, unit in header
    ]
    _worker.update(scheme=scheme, columns=columns, year=year)


def _work(source: str, rows: list[tuple[int, list[Any]]]) -> list[Outcome]:
    return _outcomes(
        source, rows, _worker["columns"], _worker["scheme"], _worker["year"]
    )


# --- the parent side -------------------------------------------------------------------


def outcomes(
    table: FirmTable, scheme: Scheme, year: int, jobs: int
) -> Iterator[Outcome]:
    """Every row's outcome, in input order; in `jobs` processes when the input is large."""
    source = table.table.source
    raw = table.table.rows
    columns = _columns(table, scheme)
    first = list(islice(raw, SERIAL_ROWS))
    yield from _outcomes(source, first, columns, scheme, year)
    if jobs <= 1:
        for chunk in iter(lambda: list(islice(raw, CHUNK)), []):
            yield from _outcomes(source, chunk, columns, scheme, year)
        return
    header = [(c.index, c.header, c.field, c.unit) for c in table.columns]
    context = multiprocessing.get_context("spawn")  # no fork of a process mid-read
    with ProcessPoolExecutor(
        jobs,
        mp_context=context,
        initializer=_start,
        initargs=(scheme.path, header, year),
    ) as pool:
        pending: deque[Future[list[Outcome]]] = deque()
        try:
            for chunk in iter(
                lambda: [(n, list(c)) for n, c in islice(raw, CHUNK)], []
            ):
                pending.append(pool.submit(_work, source, chunk))
                while (
                    len(pending) >= 3 * jobs
                ):  # bounded: read only as fast as measured
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        except BrokenProcessPool as exc:
            raise ScreeningError(
                f"评价工作进程意外退出，未写出任何结果 / a worker process died; nothing was written ({exc})"
            ) from None
