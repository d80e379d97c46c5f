"""Moving a lead back to 洽谈 (with an override) keeps the day it was registered: it
stays in the figures of the periods it was in the register (it moved to that move's
day and dropped out of them). Only an earlier 洽谈 date moves registration back."""

from __future__ import annotations

import datetime as dt

from screening.register import Register
from screening.register.kpi import ALL, compute_kpis, period_of
from tests.register.test_store import AS_OF, cli

D = dt.date
ACTOR = "测试员"


def _lead(db_url: str) -> None:
    cli(
        "register", "add", "cases/beihai/bh01-iron-phosphate-pass.yaml",
        "--as-of", AS_OF, "--db", db_url,
    )  # fmt: skip


def _q1_leads(register: Register) -> int:
    period = period_of(None, "2025Q1", None, None, None, dt.date.today())
    parks = compute_kpis(register, period)["parks"]
    return sum(int(p["leads"]) for p in parks if p["park"] != ALL)


def test_going_back_to_negotiation_keeps_the_registration_day(db_url: str) -> None:
    _lead(db_url)
    with Register.open(db_url) as register:
        register.record_stage("bh-001", "签约", D(2025, 2, 1), ACTOR)
        assert register.lead("bh-001")["registered_on"] == D(2025, 2, 1)
        assert _q1_leads(register) == 1
        register.record_stage(
            "bh-001", "洽谈", D(2025, 12, 1), ACTOR, override=True, note="退回洽谈"
        )
        lead = register.lead("bh-001")
        assert lead["registered_on"] == D(2025, 2, 1)  # was 2025-12-01
        assert (lead["stage"], lead["stage_on"]) == ("洽谈", D(2025, 12, 1))
        assert _q1_leads(register) == 1  # was 0: it no longer existed in Q1


def test_an_earlier_negotiation_date_moves_registration_back(db_url: str) -> None:
    _lead(db_url)
    with Register.open(db_url) as register:
        register.record_stage("bh-001", "洽谈", D(2025, 1, 15), ACTOR)
        assert register.lead("bh-001")["registered_on"] == D(2025, 1, 15)
        register.record_stage(
            "bh-001", "签约", D(2025, 3, 1), ACTOR
        )  # later than registration: it stays
        register.record_stage(
            "bh-001", "洽谈", D(2024, 12, 1), ACTOR, override=True, note="更早已洽谈"
        )
        assert register.lead("bh-001")["registered_on"] == D(2024, 12, 1)
