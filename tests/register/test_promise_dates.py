"""A promise whose production date comes before its start date (a typo in the year
would feed the 投产率 cohort of the wrong year) is refused naming both dates, and
nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest

from screening.register import Register
from screening.register.db import RegisterError
from tests.register.test_store import AS_OF, cli, count


def _lead(db_url: str) -> None:
    cli(
        "register", "add", "cases/beihai/bh01-iron-phosphate-pass.yaml",
        "--as-of", AS_OF, "--db", db_url,
    )  # fmt: skip


def test_production_before_start_is_refused_naming_both_dates(db_url: str) -> None:
    _lead(db_url)
    said = cli(
        "register", "promise", "bh-001", "--start-by", "2026-01-01",
        "--production-by", "2025-01-01", "--db", db_url, code=2,
    )  # fmt: skip
    assert "2025-01-01" in said and "2026-01-01" in said
    assert "承诺投产日期" in said and "承诺开工日期" in said
    assert "production" in said and len(said.strip().splitlines()) == 1
    assert count(db_url, "promises") == 0


def test_the_refusal_names_the_production_date_field(db_url: str) -> None:
    _lead(db_url)
    with Register.open(db_url) as register, pytest.raises(RegisterError) as refused:
        register.record_promise(
            "bh-001",
            {},
            "测试员",
            start_by=dt.date(2026, 1, 1),
            production_by=dt.date(2025, 12, 31),
        )
    assert refused.value.diagnostics[0].field == "production_by"


def test_production_on_the_start_day_or_later_is_taken(db_url: str) -> None:
    _lead(db_url)
    for production in ("2026-01-01", "2027-06-30"):
        cli(
            "register", "promise", "bh-001", "--start-by", "2026-01-01",
            "--production-by", production, "--db", db_url,
        )  # fmt: skip
    assert count(db_url, "promises") == 2
