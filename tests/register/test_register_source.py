"""`evaluate --from-register` takes each yearly figure (output, tax) from the latest
report of the evaluated year that gives it: a later report of the same year giving only
就业 keeps the year's tax and output. Before, only the year's latest report was read, so
such a report erased them (亩均税收 and 产出强度 became 无实际数据 and were not flagged)."""

from __future__ import annotations

from decimal import Decimal

from screening.evaluation.register_source import promise_records_from_register
from tests.register.test_store import AS_OF, cli


def test_each_yearly_figure_comes_from_the_latest_report_giving_it(db_url: str) -> None:
    db = ("--db", db_url)
    cli(
        "register",
        "add",
        "cases/beihai/bh01-iron-phosphate-pass.yaml",
        "--as-of",
        AS_OF,
        *db,
    )
    cli("register", "stage", "bh-001", "签约", "--date", "2025-06-01", *db)
    cli("register", "promise", "bh-001", "--fixed-assets", "5000万", "--land", "12",
        "--tax", "120万", "--output", "3000万", *db)  # fmt: skip
    cli("register", "actual", "bh-001", "--date", "2025-03-01", "--year", "2024",
        "--tax", "7", "--output", "70", *db)  # fmt: skip
    cli("register", "actual", "bh-001", "--date", "2026-01-20", "--year", "2025",
        "--tax", "50", "--output", "1000", "--fixed-assets", "3000", *db)  # fmt: skip
    cli("register", "actual", "bh-001", "--date", "2026-02-01", "--year", "2025",
        "--employees", "80", *db)  # fmt: skip
    (record,) = promise_records_from_register(db_url, 2025)
    assert (record.tax, record.revenue) == (Decimal(50), Decimal(1000))
    assert record.fixed_assets == Decimal(3000)
    # a later report of the year giving the tax again corrects it; the output stays
    cli("register", "actual", "bh-001", "--date", "2026-02-10", "--year", "2025",
        "--tax", "55", *db)  # fmt: skip
    (record,) = promise_records_from_register(db_url, 2025)
    assert (record.tax, record.revenue) == (Decimal(55), Decimal(1000))
    (earlier,) = promise_records_from_register(db_url, 2024)  # each year its own
    assert (earlier.tax, earlier.revenue) == (Decimal(7), Decimal(70))
    (none,) = promise_records_from_register(db_url, 2023)
    assert (none.tax, none.revenue) == (None, None)
