"""Promises and actuals from the project register (项目库), as `PromiseRecord`s.

Each lead with a promise gives one record: its latest promise (total and fixed
assets, land, output and tax at full production, start and production dates),
the fixed-asset investment in place from its latest report giving it, the output
and the tax it reported for the evaluated year (each from the latest report of the
year giving it), and the dates it reached 开工 and 投产. The
firm is named by the company's credit code when the register knows it, else by
the company's name (the evaluation then matches it by name). Reads only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from screening.evaluation.promises import PromiseRecord


def promise_records_from_register(
    db_ref: str | None, year: int
) -> Iterator[PromiseRecord]:
    """Every lead with a promise, as a record (see the module docstring)."""
    from sqlalchemy import func, select

    from screening.register.schema import actuals, companies, leads, promises
    from screening.register.store import Register

    latest_promise = select(func.max(promises.c.id)).group_by(promises.c.lead_id)
    with Register.open(db_ref) as register, register.read() as conn:
        rows = conn.execute(
            select(
                promises,
                leads.c.key,
                leads.c.started_on,
                leads.c.producing_on,
                companies.c.name,
                companies.c.credit_code,
                leads.c.name.label("lead_name"),
            )  # fmt: skip
            .join(leads, leads.c.id == promises.c.lead_id)
            .outerjoin(companies, companies.c.id == leads.c.company_id)
            .where(promises.c.id.in_(latest_promise))
            .order_by(leads.c.key)
        ).all()
        reports = conn.execute(
            select(actuals).order_by(
                actuals.c.lead_id, actuals.c.reported_on, actuals.c.id
            )
        ).all()
    in_place: dict[int, Any] = {}  # lead → latest fixed assets in place
    # lead → the evaluated year's output and tax, each from the latest report of the
    # year giving it (a later report of only 就业 leaves the year's tax as reported)
    output: dict[int, Any] = {}
    tax: dict[int, Any] = {}
    for report in reports:
        if report.fixed_assets_invested is not None:
            in_place[report.lead_id] = report.fixed_assets_invested
        if report.year == year:
            if report.annual_output is not None:
                output[report.lead_id] = report.annual_output
            if report.annual_tax is not None:
                tax[report.lead_id] = report.annual_tax
    for row in rows:
        yield PromiseRecord(
            firm_id=row.credit_code or row.name or row.key,
            name=row.name or row.lead_name or "",
            land_mu=row.land_mu,
            promised_fixed_assets=row.fixed_assets,
            fixed_assets=in_place.get(row.lead_id),
            promised_revenue=row.annual_output,
            promised_tax=row.annual_tax,
            revenue=output.get(row.lead_id),
            tax=tax.get(row.lead_id),
            promised_start=row.start_by,
            actual_start=row.started_on,
            promised_production=row.production_by,
            actual_production=row.producing_on,
            source=f"register:{row.key}",
        )


def promises_from_register(db_ref: str | None, year: int) -> dict[str, PromiseRecord]:
    """The records by firm; a firm's second lead is kept under `firm#lead` (not lost)."""
    out: dict[str, PromiseRecord] = {}
    for record in promise_records_from_register(db_ref, year):
        key = record.firm_id
        if key in out:
            key = f"{key}#{record.source.removeprefix('register:')}"
        out[key] = record
    return out
