"""开工率 and 投产率 count the leads the period holds, as the stage table does: a lead
signed after the period (promising a start date inside it) is not in its denominator.
Before, TSG-L7, signed 2026-01-15 with --start-by 2025-12-01, made 2025's 开工率 50.0%
（1/2） while the stage table counted one lead. The English headers say what is counted:
started / producing by the period's end, not "on time"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from screening.cli import main

LEADS = (
    "项目编号,项目名称,企业名称,园区,行业代码,总投资(万元),固定资产投资(万元),用地面积(亩)\n"
    "TSG-L3,新材料项目,丙公司,铁山港工业区,C2651,10000,8000,25\n"
    "TSG-L7,汽配项目,庚公司,铁山港工业区,C3670,12000,9000,30\n"
    "TSG-L9,仓储项目,辛公司,铁山港工业区,C3670,6000,5000,20\n"
)


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"SCREENING_USER": "测试员"})


def _ok(*args: str) -> str:
    result = _run(*args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture
def register(db_url: str, tmp_path: Path) -> str:
    leads = tmp_path / "leads.csv"
    leads.write_text(LEADS, encoding="utf-8")
    db = ("--db", db_url)
    _ok("register", "import", str(leads), "--rules", "national", *db)
    for stage, on in (
        ("签约", "2025-04-01"),
        ("供地", "2025-05-01"),
        ("开工", "2025-08-01"),
    ):
        _ok("register", "stage", "TSG-L3", stage, "--date", on, *db)
    _ok(
        "register",
        "promise",
        "TSG-L3",
        "--total",
        "1亿",
        "--start-by",
        "2025-07-31",
        *db,
    )
    # signed after 2025, promising a start and a production inside it
    _ok("register", "stage", "TSG-L7", "签约", "--date", "2026-01-15", *db)
    _ok("register", "promise", "TSG-L7", "--total", "1.2亿", "--start-by", "2025-12-01",
        "--production-by", "2025-12-20", *db)  # fmt: skip
    # no signing recorded, in the register since 2025: its promise counts
    _ok("register", "stage", "TSG-L9", "洽谈", "--date", "2025-03-01", *db)
    _ok("register", "promise", "TSG-L9", "--production-by", "2025-11-30", *db)
    return db_url


def _row(db_url: str, *period: str) -> dict[str, object]:
    report = json.loads(
        _ok("register", "kpi", *period, "--format", "json", "--db", db_url)
    )
    (row,) = report["parks"]
    return row


def test_a_lead_signed_after_the_period_is_not_in_its_rates(register: str) -> None:
    row = _row(register, "--year", "2025")
    assert row["leads"] == 2  # the stage table: TSG-L3 and TSG-L9
    assert (row["promised_start"], row["promised_start_met"], row["开工率"]) == (
        1,
        1,
        100,
    )
    assert (row["promised_production"], row["promised_production_met"]) == (1, 0)
    whole = _row(register, "--from", "2025-01-01", "--to", "2026-06-30")
    assert (whole["promised_start"], whole["promised_start_met"]) == (2, 1)
    assert whole["promised_production"] == 2


def test_the_english_headers_say_started_and_producing_by_the_end(
    register: str, tmp_path: Path
) -> None:
    text = _ok("register", "kpi", "--year", "2025", "--lang", "en", "--db", register)
    assert "on time" not in text
    assert "due to start → started by the end" in text
    assert "due to produce → producing by the end" in text
    out = tmp_path / "kpi.xlsx"
    _ok(
        "register",
        "kpi",
        "--year",
        "2025",
        "--lang",
        "en",
        "-o",
        str(out),
        "--db",
        register,
    )
    from openpyxl import load_workbook

    header = [
        cell.value
        for cell in next(load_workbook(out).active.iter_rows(min_row=2, max_row=2))
    ]
    assert "started by the end" in header and "producing by the end" in header
    assert not any("on time" in str(h) for h in header)
