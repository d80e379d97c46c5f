"""A committee decision entered late for an earlier meeting is recorded in the history,
and the decision of the latest meeting stays the lead's current one (`list
--committee`, `show`, the export and the API read it)."""

from __future__ import annotations

import datetime as dt

from screening.register import Register
from screening.register.store import Filters
from tests.register.test_store import AS_OF, cli


def _lead(db_url: str) -> None:
    cli(
        "register", "add", "cases/beihai/bh01-iron-phosphate-pass.yaml",
        "--as-of", AS_OF, "--db", db_url,
    )  # fmt: skip
    # in negotiation before the meetings (a meeting before that is refused)
    cli("register", "stage", "bh-001", "洽谈", "--date", "2025-09-01", "--db", db_url)


def _decide(db_url: str, decision: str, day: str) -> str:
    return cli(
        "register", "committee", "bh-001", decision, "--meeting-date", day,
        "--db", db_url,
    )  # fmt: skip


def _current(db_url: str) -> tuple[str, dt.date]:
    with Register.open(db_url) as register:
        lead = register.lead("bh-001")
    return lead["committee"], lead["committee_on"]


def test_a_decision_for_an_earlier_meeting_does_not_replace_the_latest(
    db_url: str,
) -> None:
    _lead(db_url)
    _decide(db_url, "不同意", "2025-11-21")
    said = _decide(db_url, "暂缓", "2025-10-01")  # back-filling an earlier meeting
    assert _current(db_url) == ("不同意", dt.date(2025, 11, 21))
    assert "暂缓（2025-10-01）" in said
    assert "当前决定仍为 不同意（2025-11-21" in said  # it says which stays current
    with Register.open(db_url) as register:
        history = register.lead("bh-001")["committee_decisions"]
        assert [(c["decision"], c["meeting_on"]) for c in history] == [
            ("不同意", dt.date(2025, 11, 21)),
            ("暂缓", dt.date(2025, 10, 1)),
        ]
        assert register.leads(Filters(committee="不同意"))[0] == 1
        assert register.leads(Filters(committee="暂缓"))[0] == 0


def test_a_later_meeting_or_the_same_day_again_is_current(db_url: str) -> None:
    _lead(db_url)
    _decide(db_url, "暂缓", "2025-10-01")
    _decide(db_url, "不同意", "2025-11-21")
    assert _current(db_url) == ("不同意", dt.date(2025, 11, 21))
    said = _decide(db_url, "同意", "2025-11-21")  # the same meeting, corrected
    assert _current(db_url) == ("同意", dt.date(2025, 11, 21))
    assert "当前" not in said
