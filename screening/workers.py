"""A batch's worker processes: started, checked and stopped.

A worker imports the screening code and loads and compiles the run's rule set before
it screens its first chunk: about half a second of CPU, as long as the parent's own
start (its imports, the rule set, the outputs). `screening batch` therefore starts its
workers as soon as its options are read and its outputs locked (`Workers.start`), and
hands them to `run_batch`, so that both starts share the machine's cores instead of
following one another. This module imports nothing of the screening code itself: a
parent that imports it has paid for nothing yet.

Workers exit with the batch: they ignore Ctrl-C (the batch stops them) and die with
their parent even when it is killed outright.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

from screening.errors import ScreeningError

# what a worker renders for each screened row: its JSON-contract line, its XLSX rows
PARTS = ("line", "xlsx")


def parts_for(kinds: Iterable[str]) -> tuple[str, ...]:
    """What each row is rendered as for outputs of these kinds (jsonl, csv, html,
    xlsx): the line feeds every output but the workbook, which has rows of its own."""
    kinds = set(kinds)
    line = ("line",) if kinds & {"jsonl", "csv", "html"} else ()
    return line + (("xlsx",) if "xlsx" in kinds else ())


class WorkerSpec(NamedTuple):
    """What every worker of a run is set up with."""

    ruleset_ref: str
    as_of: dt.date | None
    lang: str
    # the header map the rows were read with, or the file it is read from (each
    # worker reads it itself, so that a batch can start its workers before it has)
    columns: dict[str, str] | str | None
    parts: tuple[str, ...]
    register: bool

    def same_as(self, other: WorkerSpec) -> bool:
        """Whether workers set up with `self` screen as ones set up with `other`."""
        return self._replace(columns=None) == other._replace(
            columns=None
        ) and _column_map(self.columns) == _column_map(other.columns)


def _column_map(columns: dict[str, str] | str | None) -> dict[str, str] | None:
    if isinstance(columns, str):
        from screening.io.columns import load_column_map

        return load_column_map(columns)
    return columns


# bytes of input a worker's chunk of rows is at least (200 rows of a zipped workbook;
# a CSV or JSONL takes several times as many)
_CHUNK_BYTES = 8 << 10


def useful_workers(path: Path, jobs: int) -> int:
    """How many workers an input can keep busy at its start, at most `jobs`: one a
    chunk of rows its size may hold (a folder: `jobs`). A one-row file on a machine of
    64 cores starts one worker now, not 64; more start as chunks wait (the executor
    starts one for a task that finds none idle)."""
    try:
        if path.is_dir():
            return jobs
        return max(1, min(jobs, path.stat().st_size // _CHUNK_BYTES + 1))
    except OSError:
        return jobs


class Workers:
    """A pool of `jobs` worker processes set up with one spec, `now` of them started
    at once."""

    def __init__(self, jobs: int, spec: WorkerSpec, now: int | None = None) -> None:
        self.spec = spec
        # An executor, not multiprocessing.Pool: when a worker dies (a crash in the C
        # core, a failed start) the pool breaks and says so; a Pool would wait forever.
        self.pool = ProcessPoolExecutor(
            jobs,
            # no fork: the parent may hold threads, connections or the engine
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_begin,
            initargs=(spec, os.getpid()),
        )
        # an executor starts a process for each task submitted while none is idle:
        # one task each starts them all now, rather than one now and one at the first
        # chunk (the second's start would then follow the first's)
        with spawning():
            self._pings: list[Future[bool]] = [
                self.pool.submit(_ping) for _ in range(min(jobs, now or jobs))
            ]

    @classmethod
    def start(cls, jobs: int, spec: WorkerSpec, now: int | None = None) -> Workers:
        """A pool of `jobs` workers, `now` of them (all by default) started now;
        `ready()` waits for those."""
        return cls(jobs, spec, now)

    def ready(self) -> ProcessPoolExecutor:
        """The pool, once every worker has started (ScreeningError if one could not)."""
        try:
            for ping in self._pings:
                ping.result()
        except BrokenProcessPool:
            self.stop()
            raise ScreeningError(
                "筛查工作进程未能启动，未写出任何结果 / "
                "a worker process died at start; nothing was written"
            ) from None
        except BaseException:
            self.stop()
            raise
        return self.pool

    def stop(self) -> None:
        """Stop the workers now (see `stop`)."""
        stop(self.pool)

    def __enter__(self) -> Workers:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()  # a pool the batch has shut down already stops at once


def stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: queued work cancelled, workers terminated and waited for."""
    processes = list(
        (getattr(pool, "_processes", None) or {}).values()
    )  # no public way in 3.11
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)


@contextlib.contextmanager
def spawning() -> Iterator[None]:
    """Block SIGINT while a pool may start a worker: the worker inherits the mask, so a
    Ctrl-C while it imports is held until it has chosen to ignore it."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _ping() -> bool:
    return True


# --- in the worker -------------------------------------------------------------------


def _begin(spec: WorkerSpec, parent: int) -> None:
    """A worker's start: bound to its parent's life, then set up to screen."""
    _die_with(parent)
    # Ctrl-C reaches the whole process group: the batch stops its workers itself.
    # Started with SIGINT blocked (see spawning), so none arrived before this.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    from screening.batch import start_worker

    try:
        start_worker(
            spec.ruleset_ref,
            spec.as_of,
            spec.lang,
            _column_map(spec.columns),
            own_process=True,
            parts=spec.parts,
            register=spec.register,
        )
    except ScreeningError:
        # A rule set or header map refused: the batch reads the same files and says
        # what is wrong with them (`ready` says a worker died, should it not). The
        # executor would log the error with its trace on the batch's console.
        os._exit(1)


def _die_with(parent: int) -> None:
    """Exit when the batch's process does, even if it is killed outright (SIGKILL).

    Linux signals a child whose parent dies (prctl PR_SET_PDEATHSIG); elsewhere a thread
    watches the parent's pid. Either way the check after it covers a parent that died
    before the worker got this far.
    """
    armed = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            armed = False
    if not armed:

        def watch() -> None:
            while os.getppid() == parent:
                threading.Event().wait(1.0)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:
        os._exit(1)
