"""A promise restating an earlier one (`register promise LEAD --total 5000万` after a
fuller promise) is the earlier promise with the given figures changed: its dates and
other figures are kept, so the lead stays in the 开工率 / 投产率 cohorts it promised; the
command says what changed, what was repeated and what was kept; the history keeps both
promises. Before, the restatement replaced the promise and dropped its dates (投产率
jumped from 50 % to 100 %)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from screening.register import Register
from screening.register.db import RegisterError
from tests.register.test_store import AS_OF, cli


def _signed_lead(db_url: str) -> None:
    cli(
        "register", "add", "cases/beihai/bh01-iron-phosphate-pass.yaml",
        "--as-of", AS_OF, "--db", db_url,
    )  # fmt: skip
    for stage, on in (
        ("签约", "2024-11-01"),
        ("供地", "2024-12-01"),
        ("开工", "2025-02-01"),
    ):
        cli("register", "stage", "bh-001", stage, "--date", on, "--db", db_url)
    cli(
        "register", "promise", "bh-001", "--total", "5000万", "--fixed-assets", "4000万",
        "--land", "15", "--start-by", "2025-03-01", "--production-by", "2025-10-31",
        "--db", db_url,
    )  # fmt: skip


def _rates(db_url: str) -> dict[str, object]:
    report = json.loads(
        cli("register", "kpi", "--year", "2025", "--format", "json", "--db", db_url)
    )
    (row,) = report["parks"]
    return {k: row[k] for k in ("promised_start", "promised_production", "投产率")}


def test_restating_the_total_keeps_the_dates_and_the_other_figures(db_url: str) -> None:
    _signed_lead(db_url)
    before = _rates(db_url)
    assert before == {"promised_start": 1, "promised_production": 1, "投产率": 0}
    said = cli("register", "promise", "bh-001", "--total", "5000万", "--db", db_url)
    assert _rates(db_url) == before  # still promised to produce by 2025-10-31, and not
    assert "与上次相同：总投资 5000万元 / unchanged: total investment" in said
    kept = next(line for line in said.splitlines() if "沿用上次承诺" in line)
    for shown in (
        "固定资产投资 4000万元",
        "用地 15亩",
        "承诺开工日期 2025-03-01",
        "承诺投产日期 2025-10-31",
    ):
        assert shown in kept
    assert "kept from the earlier promise: fixed assets, land" in kept
    with Register.open(db_url) as register:
        first, second = register.lead("bh-001")["promises"]
    assert first["production_by"] == second["production_by"] == dt.date(2025, 10, 31)
    assert second["fixed_assets"] == 4000 and second["land_mu"] == 15


def test_a_changed_figure_is_named_with_its_earlier_value(db_url: str) -> None:
    _signed_lead(db_url)
    said = cli(
        "register", "promise", "bh-001", "--total", "6000万", "--tax", "300万",
        "--production-by", "2026-03-31", "--db", db_url,
    )  # fmt: skip
    changed = next(line for line in said.splitlines() if "改为" in line)
    assert "总投资 5000万元 → 6000万元" in changed
    assert "达产年税收 300万元（新增）" in changed
    assert "承诺投产日期 2025-10-31 → 2026-03-31" in changed
    assert "changed: total investment, annual tax, production by" in changed
    with Register.open(db_url) as register:
        lead = register.lead("bh-001")
        first, second = lead["promises"]
    assert first["total_investment"] == 5000 and first["annual_tax"] is None  # history
    assert second["total_investment"] == 6000 and second["annual_tax"] == 300
    assert second["start_by"] == dt.date(2025, 3, 1)
    assert _rates(db_url)["promised_production"] == 0  # now promised for 2026


def test_a_new_production_date_before_the_kept_start_is_refused(db_url: str) -> None:
    _signed_lead(db_url)
    with Register.open(db_url) as register:
        with pytest.raises(RegisterError) as refused:
            register.record_promise(
                "bh-001", {"total_investment": Decimal(5000)}, "测试员",
                production_by=dt.date(2025, 1, 31),
            )  # fmt: skip
        assert len(register.lead("bh-001")["promises"]) == 1
    message = refused.value.diagnostics[0].message
    assert "承诺开工日期沿用上次承诺" in message and "2025-03-01" in message


def test_a_first_promise_says_only_that_it_was_recorded(db_url: str) -> None:
    cli(
        "register", "add", "cases/beihai/bh01-iron-phosphate-pass.yaml",
        "--as-of", AS_OF, "--db", db_url,
    )  # fmt: skip
    said = cli("register", "promise", "bh-001", "--total", "1亿", "--db", db_url)
    assert said.strip() == "bh-001: 承诺已记录 / promise recorded"
