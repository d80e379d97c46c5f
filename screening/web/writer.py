"""Storing what the web app screens, a few requests at a time (group commit).

Each request hands its screened project to one writer thread per worker and waits
for the transaction that stores it, so a response never says "stored" before the row
is in the register; the rows that arrived meanwhile go into the same transaction. An
API request waits on its event loop (`stored`): the requests one turn of the loop
screens are handed over together, and the writer wakes that loop once per
transaction, not once per row. The runs are the worker's: one per person, rule set
and language, started when first needed and finished when the worker stops (a killed
worker leaves them unfinished, which the register reads as "did not finish").
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeAlias

from screening.register.records import (
    FindingCodec,
    identity_of,
    project_id,
    record_of,
)
from screening.register.store import Pending, Register, Run, StoreCounts
from screening.web.service import Screened

_MAX_GROUP = 500  # rows per transaction (a loop's hand-over is kept whole)
# a waiting request: a page's thread (a Future) or an API request's loop
Waiter: TypeAlias = "Future[str] | asyncio.Future[str]"
Item: TypeAlias = "tuple[Run, Pending, Waiter]"


class StoreRefused(Exception):
    """A project the register cannot tell from others (no id, no company + name)."""


class StoreWriter:
    """One worker's writer thread and runs."""

    def __init__(self, register: Register, turns: Path | None = None) -> None:
        self.register = register
        self._turns = turns  # a lock file the workers' writers take turns by
        # the writer's queue holds lists of items: an event loop's requests are handed
        # over together, once per turn of the loop (`stored`)
        self._queue: queue.Queue[list[Item] | None] = queue.Queue()
        self._held: dict[asyncio.AbstractEventLoop, list[Item]] = {}
        self._runs: dict[tuple[str, str, str, str], Run] = {}
        self._counts: dict[int, StoreCounts] = {}
        self._lock = threading.Lock()
        self._codec = FindingCodec()
        self._thread: threading.Thread | None = None

    def _run(self, screened: Screened, actor: str, lang: str) -> Run:
        key = (actor, screened.ruleset.sha256, lang, screened.rules_ref)
        with self._lock:
            run = self._runs.get(key)
            if run is None:
                run = self.register.start_run(
                    "web", screened.ruleset, screened.rules_ref, lang, actor
                )
                self._runs[key] = run
                self._counts[run.id] = StoreCounts()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._write, name="web-register-writer", daemon=True
                )
                self._thread.start()
        return run

    def store(
        self,
        screened: Screened,
        actor: str,
        lang: str,
        timeout: float = 120.0,
        lead: str | None = None,
    ) -> str:
        """Store one screened project and wait until it is stored; its lead's id.
        With `lead`, it is a screening of that lead whatever its id, company and name
        say (an edit of the lead: a lead without an id renamed)."""
        return self.submit(screened, actor, lang, lead).result(timeout)

    def submit(
        self, screened: Screened, actor: str, lang: str, lead: str | None = None
    ) -> Future[str]:
        """Hand one screened project to the writer: its lead's id, once stored."""
        done: Future[str] = Future()
        self._queue.put([self._item(screened, actor, lang, done, lead)])
        return done

    async def stored(
        self, screened: Screened, actor: str, lang: str, timeout: float = 120.0
    ) -> str:
        """Store one screened project, waiting on the running event loop (which
        serves other requests meanwhile): its lead's id."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[str] = loop.create_future()
        item = self._item(screened, actor, lang, done)
        # held until the requests this turn of the loop runs have screened theirs:
        # then all go to the writer at once (one wake-up, one transaction), not one
        # each for a writer that would store them one or two at a time
        held = self._held.get(loop)
        if held is None:
            held = self._held[loop] = []
            loop.call_soon(self._hand_over, loop)
        held.append(item)
        expiry = loop.call_later(timeout, _expire, done)
        try:
            return await done
        finally:
            expiry.cancel()

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        self._queue.put(self._held.pop(loop))

    def _item(
        self,
        screened: Screened,
        actor: str,
        lang: str,
        done: Waiter,
        lead: str | None = None,
    ) -> Item:
        values = screened.values
        if (
            project_id(values.get("id")) is None
            and identity_of(_text(values.get("company")), _text(values.get("name")))
            is None
        ):
            raise StoreRefused(
                "存入项目库需要项目编号，或企业名称与项目名称 / "
                "to store a project give its id, or its company and name"
            )
        run = self._run(screened, actor, lang)
        with self._lock:  # the codec's memo is not for two threads at once
            record = record_of(values, screened.decision, screened.line, self._codec)
        return (
            run,
            Pending(None, screened.decision.outcome.value, record, lead),
            done,
        )

    def _write(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = first
            while len(group) < _MAX_GROUP:
                try:
                    items = self._queue.get_nowait()
                except queue.Empty:
                    break
                if items is None:
                    self._queue.put(None)  # stop after this group
                    break
                group.extend(items)
            by_run: dict[int, list[Item]] = {}
            for item in group:
                by_run.setdefault(item[0].id, []).append(item)
            settled: list[tuple[Waiter, str | None, BaseException | None]] = []
            try:
                with self._turn():
                    self._store(by_run, settled)
            except BaseException as exc:  # the lock itself failed: nothing stored
                settled = [(done, None, exc) for _, _, done in group]
            _settle(settled)

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """This worker's turn to write, where the workers share a SQLite file.

        SQLite lets one writer in at a time and one that finds the file locked
        sleeps and tries again (1, 2, 5, 10 … 100 ms): two workers' writers spent
        tenths of a second so, with every request of the sleeping worker waiting.
        Waiting on a lock file instead wakes the next writer the moment the other
        commits. Without the file (PostgreSQL; no fcntl) SQLite's own wait remains."""
        try:
            import fcntl

            handle = None if self._turns is None else self._turns.open("a")
        except (ImportError, OSError):  # no lock file here: SQLite's own wait
            handle = None
        if handle is None:
            yield
            return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _store(
        self,
        by_run: dict[int, list[Item]],
        settled: list[tuple[Waiter, str | None, BaseException | None]],
    ) -> None:
        for items in by_run.values():
            run = items[0][0]
            try:
                counts = self.register.store(run, [p for _, p, _ in items])
            except BaseException as exc:  # handed to each waiting request
                settled.extend((done, None, exc) for _, _, done in items)
                continue
            self._counts[run.id].add(counts)
            for (_, _, done), lead in zip(items, counts.leads, strict=True):
                settled.append((done, lead, None))

    def close(self) -> None:
        """Store what is queued, stop the thread and finish this worker's runs."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(60)
            self._thread = None
        for run in self._runs.values():
            counts = self._counts[run.id]
            self.register.finish_run(run, counts.stored + counts.duplicates, counts, 0)
        self._runs.clear()


def _settle(settled: list[tuple[Waiter, str | None, BaseException | None]]) -> None:
    """Each waiter its lead or its error; each event loop woken once for all of its
    own (an asyncio future is settled on its loop's thread only)."""
    loops: dict[asyncio.AbstractEventLoop, list[Any]] = {}
    for done, lead, exc in settled:
        if isinstance(done, asyncio.Future):
            loops.setdefault(done.get_loop(), []).append((done, lead, exc))
        elif exc is not None:
            done.set_exception(exc)
        else:
            done.set_result(lead)  # type: ignore[arg-type]
    for loop, waiting in loops.items():
        # a loop that has closed has nobody waiting any more
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle_on_loop, waiting)


def _settle_on_loop(
    waiting: list[tuple[asyncio.Future[str], str | None, BaseException | None]],
) -> None:
    for done, lead, exc in waiting:
        if done.done():  # the request was cancelled (its client went away)
            continue
        if exc is not None:
            done.set_exception(exc)
        else:
            done.set_result(lead)  # type: ignore[arg-type]


def _expire(done: asyncio.Future[str]) -> None:
    if not done.done():
        done.set_exception(TimeoutError("项目库写入超时 / the register did not answer"))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
