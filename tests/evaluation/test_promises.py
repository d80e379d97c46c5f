"""Promises held against actuals: gaps as figures and shares, tolerances, dates, the interface."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from screening.evaluation.loader import load_scheme
from screening.evaluation.promises import (
    PromiseRecord,
    Tolerance,
    action_for,
    check_promises,
    promise_records,
)

END = dt.date(2025, 12, 31)


def _items(
    record: PromiseRecord, tolerance: Tolerance | None = None
) -> dict[str, tuple]:
    check = check_promises(record, None, END, tolerance or Tolerance())
    return {
        i.key: (i.promised, i.actual, i.gap, i.share, i.status) for i in check.items
    }


def test_intensity_is_fixed_assets_in_place_per_mu_against_the_promise() -> None:
    record = PromiseRecord(
        "x",
        land_mu=Decimal(10),
        promised_fixed_assets=Decimal(3000),
        fixed_assets=Decimal(2000),
    )
    assert _items(record) == {
        "investment_intensity": (
            Fraction(300),
            Fraction(200),
            Fraction(-100),
            Fraction(-1, 3),
            "short",
        )
    }


def test_a_shortfall_exactly_at_the_tolerance_is_accepted() -> None:
    record = PromiseRecord(
        "x", land_mu=Decimal(10), promised_tax_per_mu=Decimal(20), tax=Decimal(180)
    )
    assert (
        _items(record, Tolerance(Fraction(1, 10)))["tax_per_mu"][-1] == "met"
    )  # exactly −10 %
    record = PromiseRecord(
        "x", land_mu=Decimal(10), promised_tax_per_mu=Decimal(20), tax=Decimal("179.99")
    )
    assert _items(record, Tolerance(Fraction(1, 10)))["tax_per_mu"][-1] == "short"


def test_dates_late_overdue_and_not_yet_due() -> None:
    record = PromiseRecord(
        "x", promised_start=dt.date(2024, 3, 1), actual_start=dt.date(2024, 3, 25),
        promised_production=dt.date(2025, 6, 30),
    )  # fmt: skip
    items = _items(record, Tolerance(days=30))
    assert items["start"] == (
        dt.date(2024, 3, 1),
        dt.date(2024, 3, 25),
        24,
        None,
        "met",
    )
    assert items["production"] == (dt.date(2025, 6, 30), None, 184, None, "short")
    future = PromiseRecord("x", promised_production=dt.date(2026, 6, 30))
    assert _items(future)["production"][-1] == "not_due"


def test_an_unknown_actual_is_not_a_shortfall() -> None:
    record = PromiseRecord(
        "x", land_mu=Decimal(10), promised_investment_intensity=Decimal(250)
    )
    assert _items(record)["investment_intensity"] == (
        Fraction(250),
        None,
        None,
        None,
        "unknown",
    )


def test_the_register_feeds_records_through_the_same_interface() -> None:
    rows = [{"credit_code": "91320800000000050E", "name": "未落地", "land_mu": Decimal(20),
             "promised_fixed_assets": Decimal(5000), "fixed_assets": Decimal(1000), "stage": "开工"}]  # fmt: skip
    [record] = list(promise_records(rows, source="register"))
    assert (record.firm_id, record.source) == ("91320800000000050E", "register")
    action = action_for(
        load_scheme("huaian-2024"), None, check_promises(record, None, END, Tolerance())
    )
    assert action is not None and action.reasons == ("investment_intensity",)
    assert [m.title.zh for m in action.measures][0].startswith("约谈企业")
