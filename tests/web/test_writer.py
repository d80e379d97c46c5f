"""The web app's register writer: requests waiting on an event loop and on threads
each get their own lead once its transaction is committed, a failed transaction
fails only its own requests, and the writer goes on."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest

from screening.cases import load_case
from screening.register.store import Register
from screening.web.service import Screened, ScreeningService
from screening.web.writer import StoreRefused, StoreWriter
from tests.web.conftest import ROOT

CASE = ROOT / "cases/beihai/bh01-iron-phosphate-pass.yaml"
BEIHAI = "parks/beihai-tieshangang-2023"


def _screened(service: ScreeningService, project_id: str | None) -> Screened:
    project = load_case(CASE).project.model_dump(mode="json", exclude_none=True)
    project["id"] = project_id
    if project_id is None:
        del project["id"], project["company"]  # nothing to tell it from others by
    return service.screen(project, BEIHAI, dt.date(2025, 6, 30))


def _run(coroutine: Any) -> Any:
    """`asyncio.run` on a thread of its own (the browser tests leave a loop running
    on the main thread, where asyncio.run refuses)."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # raised again on the caller's thread
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    if "error" in out:
        raise out["error"]
    return out["value"]


@pytest.fixture
def writer(tmp_path: Path) -> Any:
    register = Register.open(str(tmp_path / "register.db"), create=True)
    made = StoreWriter(register)
    yield made
    made.close()
    register.close()


def test_requests_on_a_loop_and_on_threads_each_get_their_own_lead(
    writer: StoreWriter, tmp_path: Path
) -> None:
    service = ScreeningService(tmp_path / "rules")
    on_loop = [_screened(service, f"LOOP-{i:03d}") for i in range(40)]
    on_threads = [_screened(service, f"THREAD-{i:03d}") for i in range(10)]
    answers: dict[str, str] = {}

    def page(screened: Screened) -> None:
        answers[str(screened.values["id"])] = writer.store(screened, "zhang", "zh")

    async def api() -> list[str]:
        return list(
            await asyncio.gather(*(writer.stored(s, "zhang", "zh") for s in on_loop))
        )

    threads = [threading.Thread(target=page, args=(s,)) for s in on_threads]
    for thread in threads:
        thread.start()
    leads = _run(api())
    for thread in threads:
        thread.join(60)
    assert leads == [f"LOOP-{i:03d}" for i in range(40)]
    assert answers == {f"THREAD-{i:03d}": f"THREAD-{i:03d}" for i in range(10)}
    for key in (*leads, *answers):
        (stored,) = writer.register.lead(key)["screenings"]
        assert stored["decision"] == "pass"
    with pytest.raises(StoreRefused):
        _run(writer.stored(_screened(service, None), "zhang", "zh"))


def test_a_failed_transaction_fails_its_requests_and_the_writer_goes_on(
    writer: StoreWriter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = ScreeningService(tmp_path / "rules")
    real = writer.register.store
    calls = []

    def once_broken(run: Any, items: Any) -> Any:
        calls.append(len(items))
        if len(calls) == 1:
            raise RuntimeError("disk full")
        return real(run, items)

    monkeypatch.setattr(writer.register, "store", once_broken)

    async def first() -> None:
        await writer.stored(_screened(service, "BROKEN-1"), "zhang", "zh")

    with pytest.raises(RuntimeError, match="disk full"):
        _run(first())
    lead = _run(writer.stored(_screened(service, "AFTER-1"), "zhang", "zh"))
    assert lead == "AFTER-1" and writer.register.lead("AFTER-1")["screenings"]
    assert len(calls) == 2


def test_a_request_whose_client_went_away_does_not_stop_the_writer(
    writer: StoreWriter, tmp_path: Path
) -> None:
    service = ScreeningService(tmp_path / "rules")

    async def cancelled_then_another() -> str:
        waiting = asyncio.ensure_future(
            writer.stored(_screened(service, "GONE-1"), "zhang", "zh")
        )
        await asyncio.sleep(0)
        waiting.cancel()
        return await writer.stored(_screened(service, "NEXT-1"), "zhang", "zh")

    assert _run(cancelled_then_another()) == "NEXT-1"
    # the cancelled request's row is stored all the same (it was handed over)
    assert writer.register.lead("GONE-1")["screenings"]


def test_two_workers_writers_take_turns_by_their_lock_file(tmp_path: Path) -> None:
    """Two workers' writers on one SQLite file, sharing a lock file: every request of
    both stored, none refused as "database is locked"."""
    db = str(tmp_path / "register.db")
    turns = tmp_path / "register-writer.lock"
    registers = [Register.open(db, create=True) for _ in range(2)]
    writers = [StoreWriter(register, turns) for register in registers]
    service = ScreeningService(tmp_path / "rules")
    screened = [
        [_screened(service, f"W{w}-{i:03d}") for i in range(60)] for w in (0, 1)
    ]

    async def at_once() -> list[Any]:
        return list(
            await asyncio.gather(
                *(
                    writer.stored(s, "zhang", "zh")
                    for pair in zip(*screened, strict=True)
                    for writer, s in zip(writers, pair, strict=True)
                )
            )
        )

    leads = _run(at_once())
    assert sorted(leads) == sorted(f"W{w}-{i:03d}" for w in (0, 1) for i in range(60))
    assert turns.exists()
    for writer in writers:
        writer.close()
    with registers[0].read() as conn:
        from sqlalchemy import func, select

        from screening.register.schema import screenings

        assert (
            conn.execute(select(func.count()).select_from(screenings)).scalar() == 120
        )
    for register in registers:
        register.close()


def test_a_loop_s_requests_of_one_turn_go_into_one_transaction(
    writer: StoreWriter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests screened in the same turn of their event loop are handed to the
    writer together: one transaction for all of them, each its own lead back."""
    service = ScreeningService(tmp_path / "rules")
    real = writer.register.store
    calls: list[int] = []

    def counted(run: Any, items: Any) -> Any:
        calls.append(len(items))
        return real(run, items)

    monkeypatch.setattr(writer.register, "store", counted)
    together = [_screened(service, f"TURN-{i:03d}") for i in range(30)]
    apart = [_screened(service, f"APART-{i}") for i in range(3)]

    async def requests() -> list[str]:
        leads = list(
            await asyncio.gather(*(writer.stored(s, "zhang", "zh") for s in together))
        )
        for screened in apart:  # one after another: a turn (and a transaction) each
            leads.append(await writer.stored(screened, "zhang", "zh"))
        return leads

    leads = _run(requests())
    assert leads == [f"TURN-{i:03d}" for i in range(30)] + [
        f"APART-{i}" for i in range(3)
    ]
    assert calls == [30, 1, 1, 1]
