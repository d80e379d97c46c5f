"""One input holding the same project twice — once with an id, once without (found by
company + project name) — makes one lead, as two inputs one after the other do: rows
are matched against the leads made earlier in the same import, `batch --register` and
web upload (they share `register.bulk`), not only against those stored before."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.register import Register
from screening.register.store import Filters
from tests.register.test_store import cli

HEADER = "项目编号,项目名称,企业名称,行业代码,总投资(万元),用地面积(亩)\n"


def _rows(tmp_path: Path, name: str, *ids_and_totals: tuple[str, int]) -> Path:
    source = tmp_path / name
    source.write_text(
        HEADER
        + "".join(
            f"{pid},测试项目乙,测试公司乙,C2613,{total},20\n"
            for pid, total in ids_and_totals
        ),
        encoding="utf-8",
    )
    return source


def _import(db_url: str, source: Path) -> None:
    cli("register", "import", str(source), "--rules", "national", "--db", db_url)


def _leads(db_url: str) -> list[tuple[str, str | None, object]]:
    with Register.open(db_url) as register:
        _total, rows = register.leads(Filters(), None)
    return [(r["key"], r["project_id"], r["investment_total"]) for r in rows]


@pytest.mark.parametrize(
    "rows",
    [
        (("D-2", 8000), ("", 9000)),  # the tester's file: id first
        (("", 8000), ("D-2", 9000)),  # the id comes second: the lead takes it
        (("", 8000), ("D-2", 8500), ("", 9000)),  # then without it again
    ],
    ids=["id-first", "id-second", "id-between"],
)
def test_one_file_with_the_same_project_twice_makes_one_lead(
    db_url: str, tmp_path: Path, rows: tuple[tuple[str, int], ...]
) -> None:
    _import(db_url, _rows(tmp_path, "d3.csv", *rows))
    [(key, project_id, total)] = _leads(db_url)
    assert project_id == "D-2" and total == 9000  # the values of its last row
    with Register.open(db_url) as register:
        lead = register.lead("D-2")
        assert lead["key"] == key and len(lead["screenings"]) == len(rows)


def test_the_same_rows_in_one_file_or_two_make_the_same_lead(
    db_url: str, tmp_path: Path
) -> None:
    _import(db_url, _rows(tmp_path, "a.csv", ("D-2", 8000)))
    _import(db_url, _rows(tmp_path, "b.csv", ("", 9000)))
    assert _leads(db_url) == [("D-2", "D-2", 9000)]


def test_a_row_without_an_id_leaves_the_lead_its_id(
    db_url: str, tmp_path: Path
) -> None:
    """Found by company + name, a row without an id does not take the lead's id away
    (which left it free for another id to take: D-2 became D-3)."""
    _import(db_url, _rows(tmp_path, "a.csv", ("D-2", 8000)))
    _import(db_url, _rows(tmp_path, "b.csv", ("", 9000)))
    _import(db_url, _rows(tmp_path, "c.csv", ("D-3", 7000)))
    assert sorted(_leads(db_url)) == [("D-2", "D-2", 9000), ("D-3", "D-3", 7000)]


def test_two_ids_under_one_name_stay_two_leads_in_one_file(
    db_url: str, tmp_path: Path
) -> None:
    """A row with an id takes a lead by company + name only from a lead without one."""
    _import(db_url, _rows(tmp_path, "a.csv", ("", 8000), ("D-2", 8500), ("D-3", 9000)))
    leads = sorted(_leads(db_url), key=lambda lead: str(lead[1]))
    assert [(pid, total) for _key, pid, total in leads] == [
        ("D-2", 8500),
        ("D-3", 9000),
    ]


def test_batch_register_matches_within_its_input_too(
    db_url: str, tmp_path: Path
) -> None:
    source = _rows(tmp_path, "d3.csv", ("D-2", 8000), ("", 9000))
    out = tmp_path / "out.jsonl"
    cli(
        "batch", str(source), "--rules", "national", "-o", str(out),
        "--jobs", "1", "--register", db_url,
    )  # fmt: skip
    assert _leads(db_url) == [("D-2", "D-2", 9000)]


@pytest.mark.parametrize("batch_rows", ["", "1"], ids=["one-transaction", "a-row-each"])
@pytest.mark.parametrize("command", ["import", "batch"])
@pytest.mark.parametrize(
    "rows",
    [
        (("D-2", 8000), ("", 9000), ("D-2", 8000)),  # the lead again by company + name
        (("D-2", 8000), ("D-2", 9000), ("D-2", 8000)),  # by its id
    ],
    ids=["A-B-A", "A-A2-A"],
)
def test_the_last_row_of_a_file_is_its_leads_current_screening(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rows: tuple[tuple[str, int], ...],
    command: str,
    batch_rows: str,
) -> None:
    """A row screening again what an earlier row of the file did (the same figures) is
    its lead's latest: its screening is current, not the middle row's (it was, when
    the rows were stored in one transaction)."""
    monkeypatch.setenv("SCREENING_REGISTER_BATCH", batch_rows)
    source = _rows(tmp_path, "aba.csv", *rows)
    if command == "import":
        _import(db_url, source)
    else:
        out = str(tmp_path / "out.jsonl")
        cli(
            "batch", str(source), "--rules", "national", "-o", out, "--register", db_url
        )
    assert _leads(db_url) == [("D-2", "D-2", 8000)]
    with Register.open(db_url) as register:
        lead = register.lead("D-2")
    [current] = [s for s in lead["screenings"] if s["current"]]
    assert current["values"]["investment.total"] == 8000
    assert len(lead["screenings"]) == 2  # the third row screened the first's again
