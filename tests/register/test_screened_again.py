"""Screening a lead's earlier values again under the same rule set makes that (stored
once) screening current again, for every reader: the lead and its screenings, the
lead's decision (list, KPIs, export), rescreen and `register show`; storing the same
input again changes no lead."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from screening.cases import load_case
from screening.register import Register
from screening.register.rescreen import rescreen
from screening.register.store import Filters
from tests.register.conftest import beihai_rows, write_jsonl
from tests.register.test_store import AS_OF, BEIHAI, cli


def _passing() -> dict[str, Any]:
    case = load_case(Path("cases/beihai/bh01-iron-phosphate-pass.yaml"))
    return case.project.model_dump(mode="json", exclude_none=True)


def _import(db_url: str, path: Path) -> str:
    return cli("register", "import", str(path), "--rules", BEIHAI, "--as-of", AS_OF,
               "--db", db_url, "--jobs", "1")  # fmt: skip


def test_the_values_screened_last_are_current(db_url: str, tmp_path: Path) -> None:
    a = [_passing()]
    b = [_passing()]
    b[0]["investment"]["fixed_assets"] = "1"  # far below the intensity threshold
    a_file = write_jsonl(tmp_path / "a.jsonl", a)
    for path in (a_file, write_jsonl(tmp_path / "b.jsonl", b), a_file):
        _import(db_url, path)
    key = str(a[0]["id"])
    with Register.open(db_url) as register:
        lead = register.lead(key)
        first, second = lead["screenings"]  # A is stored once
        assert first["decision"] != second["decision"]
        assert (first["current"], second["current"]) == (True, False)
        assert (lead["decision"], lead["score"]) == (first["decision"], first["score"])
        # a rescreen screens the current values
        trial = rescreen(
            register, "national", dt.date(2025, 6, 30), Filters(), "zh", "测试员"
        )
        assert trial.counts.stored == 1
        (tried,) = [s for s in register.lead(key)["screenings"] if not s["adopted"]]
        assert tried["values"] == first["values"]
        assert not tried["current"]  # a trial
    shown = cli("register", "show", key, "--db", db_url)
    assert f"#{first['id']} " in shown and "（当前）" in shown
    assert shown.count("（当前）") == 1
    assert shown.index("（当前）") < shown.index(f"#{second['id']} ")


def test_the_same_input_again_changes_no_lead(db_url: str, tmp_path: Path) -> None:
    rows = beihai_rows(3)
    source = write_jsonl(tmp_path / "a.jsonl", rows)
    _import(db_url, source)
    with Register.open(db_url) as register:
        before = register.leads(limit=None)[1]
    _import(db_url, source)
    with Register.open(db_url) as register:
        assert register.leads(limit=None)[1] == before  # updated_at untouched too


def test_new_values_after_a_repeat_are_current(db_url: str, tmp_path: Path) -> None:
    # A, B, A again, then C: the repeat's mark gives way to the newer screening
    a, b, c = [_passing()], [_passing()], [_passing()]
    b[0]["investment"]["fixed_assets"] = "1"
    c[0]["investment"]["fixed_assets"] = "2"
    a_file = write_jsonl(tmp_path / "a.jsonl", a)
    for path in (
        a_file,
        write_jsonl(tmp_path / "b.jsonl", b),
        a_file,
        write_jsonl(tmp_path / "c.jsonl", c),
    ):
        _import(db_url, path)
    with Register.open(db_url) as register:
        lead = register.lead(str(a[0]["id"]))
        assert [s["current"] for s in lead["screenings"]] == [False, False, True]
        assert lead["screenings"][2]["values"] != lead["screenings"][0]["values"]
        assert lead["decision"] == lead["screenings"][2]["decision"]
