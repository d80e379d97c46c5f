"""A run's leads (`Filters(run=…)`, the web pipeline's batch filter): those whose
screening it stored and those whose screening it found stored already; migration 0006
fills them for earlier runs from the screenings they stored."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from screening.register import Register
from screening.register import db as regdb
from screening.register.schema import run_leads, runs
from screening.register.store import Filters
from tests.register.conftest import beihai_rows, write_jsonl
from tests.register.test_migrations import downgrade
from tests.register.test_store import AS_OF, BEIHAI, cli


def _import(db_url: str, source: Path) -> int:
    cli("register", "import", str(source), "--rules", BEIHAI, "--as-of", AS_OF,
        "--db", db_url, "--jobs", "1")  # fmt: skip
    with Register.open(db_url) as register, register.read() as conn:
        return int(conn.execute(select(runs.c.id).order_by(runs.c.id.desc())).scalar())


def _keys(db_url: str, run: int) -> set[str]:
    with Register.open(db_url) as register:
        total, rows = register.leads(Filters(run=run), limit=None)
    assert total == len(rows)
    return {row["key"] for row in rows}


def test_a_run_lists_the_leads_it_stored_and_those_it_found_stored(
    db_url: str, tmp_path: Path
) -> None:
    rows = beihai_rows(6)
    first = _import(db_url, write_jsonl(tmp_path / "a.jsonl", rows[:4]))
    # the same four again, and two new ones
    second = _import(db_url, write_jsonl(tmp_path / "b.jsonl", rows))
    keys = {str(r["id"]) for r in rows}
    assert _keys(db_url, first) == set(sorted(keys)[:4])
    assert _keys(db_url, second) == keys
    assert _keys(db_url, second + 1) == set()


def test_the_upgrade_fills_the_runs_leads_from_their_screenings(
    db_url: str, tmp_path: Path
) -> None:
    rows = beihai_rows(5)
    first = _import(db_url, write_jsonl(tmp_path / "a.jsonl", rows[:3]))
    second = _import(db_url, write_jsonl(tmp_path / "b.jsonl", rows))
    url = regdb.resolve_url(db_url)
    engine = regdb.make_engine(url)
    downgrade(engine, url, "0005")
    regdb.upgrade(engine, url)
    engine.dispose()
    keys = sorted(str(r["id"]) for r in rows)
    assert _keys(db_url, first) == set(keys[:3])
    # the second run stored only the two new leads' screenings: the three it found
    # stored already were not on record before 0006
    assert _keys(db_url, second) == set(keys[3:])
    with Register.open(db_url) as register, register.read() as conn:
        assert len(conn.execute(select(run_leads)).fetchall()) == 5
