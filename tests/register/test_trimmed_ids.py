"""A project id is stripped on the way into the register, whatever brought it (an
import, a batch, the web and the API share `records.record_of`): `"api-1 "` is the
lead `api-1`, and an id of only spaces is no id (the lead is found by company + name,
or by where the row came from). Looking a lead up strips the id typed too."""

from __future__ import annotations

from pathlib import Path

from screening.register import Register
from screening.register.store import Filters
from tests.register.conftest import beihai_rows, write_jsonl
from tests.register.test_store import AS_OF, BEIHAI, cli


def _import(db_url: str, source: Path) -> None:
    cli(
        "register", "import", str(source), "--rules", BEIHAI, "--as-of", AS_OF,
        "--db", db_url, "--jobs", "1",
    )  # fmt: skip


def _keys(db_url: str) -> list[str]:
    with Register.open(db_url) as register:
        return sorted(r["key"] for r in register.leads(Filters(), None)[1])


def test_an_id_with_spaces_around_it_is_the_same_lead(
    db_url: str, tmp_path: Path
) -> None:
    rows = beihai_rows(2)
    rows[0]["id"] = "api-1"
    rows[1] = {**rows[0], "id": " api-1 ", "output": {"employees": "401"}}
    _import(db_url, write_jsonl(tmp_path / "a.jsonl", rows))
    assert _keys(db_url) == ["api-1"]
    with Register.open(db_url) as register:
        lead = register.lead("api-1")
        assert lead["project_id"] == "api-1" and len(lead["screenings"]) == 2
    assert cli("register", "show", " api-1 ", "--db", db_url).startswith("api-1 ")


def test_an_id_of_only_spaces_is_no_id(db_url: str, tmp_path: Path) -> None:
    rows = beihai_rows(2)
    rows[0]["id"] = "   "  # found by its company and name
    rows[1]["id"] = "\t"
    del rows[1]["company"]  # neither: the lead of this input's row
    _import(db_url, write_jsonl(tmp_path / "a.jsonl", rows))
    keys = _keys(db_url)
    assert len(keys) == 2 and all(key.strip() == key and key for key in keys)
    assert {key[0] for key in keys} == {"L", "R"}
    with Register.open(db_url) as register:
        assert {register.lead(key)["project_id"] for key in keys} == {None}
