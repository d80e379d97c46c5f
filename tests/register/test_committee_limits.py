"""What `register committee` (and the other commands taking a note) refuse and say:
a meeting date before 2000-01-01 or before the lead was registered, a note longer than
2,000 characters (each naming the option typed); a second decision for the same
meeting corrects the first, which the command says and the history keeps; `list
--committee 未决定` lists the leads whose current screening awaits the committee."""

from __future__ import annotations

import datetime as dt
import json

from screening.register import Register
from tests.register.test_store import AS_OF, cli

NOTE_LIMIT = 2000  # the register's limit on notes (store.NOTE_LIMIT), in characters

CASE = "cases/beihai/bh01-iron-phosphate-pass.yaml"


def _lead(db_url: str, since: str | None = "2025-09-01") -> None:
    cli("register", "add", CASE, "--as-of", AS_OF, "--db", db_url)
    if since:  # in negotiation since then
        cli("register", "stage", "bh-001", "洽谈", "--date", since, "--db", db_url)


def _decide(db_url: str, decision: str, day: str, *more: str, code: int = 0) -> str:
    return cli(
        "register", "committee", "bh-001", decision, "--meeting-date", day,
        *more, "--db", db_url, code=code,
    )  # fmt: skip


def _decisions(db_url: str) -> list[tuple[str, dt.date, str | None]]:
    with Register.open(db_url) as register:
        history = register.lead("bh-001")["committee_decisions"]
    return [(c["decision"], c["meeting_on"], c["note"]) for c in history]


def test_a_meeting_before_2000_or_before_the_lead_is_refused(db_url: str) -> None:
    _lead(db_url)
    for day in ("0001-01-01", "1999-12-31"):
        said = _decide(db_url, "暂缓", day, code=2)
        assert "--meeting-date: 会议日期" in said and "2000-01-01" in said, said
        assert "(meeting_on)" not in said  # the option, not the register's field
    said = _decide(db_url, "暂缓", "2025-08-31", code=2)  # the day before 洽谈
    assert "--meeting-date: 会议日期 2025-08-31 早于项目 bh-001 的登记日期" in said
    assert "2025-09-01" in said and "record the stage 洽谈" in said
    assert _decisions(db_url) == []
    _decide(db_url, "暂缓", "2025-09-01")  # the day it was registered (洽谈 from)
    assert [d[:2] for d in _decisions(db_url)] == [("暂缓", dt.date(2025, 9, 1))]


def test_a_lead_entered_today_takes_today_s_meeting(db_url: str) -> None:
    _lead(db_url, since=None)
    _decide(db_url, "同意", dt.date.today().isoformat())
    assert _decisions(db_url)[0][0] == "同意"


def test_notes_are_at_most_2000_characters_in_every_command(db_url: str) -> None:
    _lead(db_url)
    long, fits = "意" * (NOTE_LIMIT + 1), "意" * NOTE_LIMIT
    said = _decide(db_url, "暂缓", "2025-10-01", "--note", long, code=2)
    assert "--note: 说明不能超过 2000 个字符（所填 2001 个）" in said, said
    assert _decisions(db_url) == []
    for args, option in (
        (("stage", "bh-001", "签约", "--date", "2025-10-02", "--note", long), "--note"),
        (("stage", "bh-001", "终止", "--reason", long), "--reason"),
        (("promise", "bh-001", "--total", "3亿", "--note", long), "--note"),
        (("actual", "bh-001", "--invested", "1亿", "--note", long), "--note"),
    ):
        said = cli("register", *args, "--db", db_url, code=2)
        assert f"{option}: " in said and "不能超过 2000 个字符" in said, (args, said)
    with Register.open(db_url) as register:
        lead = register.lead("bh-001")
    assert lead["stage"] == "洽谈" and not lead["promises"] and not lead["actuals"]
    _decide(db_url, "暂缓", "2025-10-01", "--note", fits)
    assert _decisions(db_url)[0][2] == fits


def test_a_second_decision_at_the_same_meeting_says_it_corrects_the_first(
    db_url: str,
) -> None:
    _lead(db_url)
    first = _decide(db_url, "暂缓", "2025-10-01", "--note", "补充能评")
    assert "更正" not in first
    said = _decide(db_url, "同意", "2025-10-01")
    assert "已更正本次会议的决定：原为 暂缓" in said, said
    assert "corrected this meeting's decision: it was 暂缓" in said
    assert _decisions(db_url) == [  # the first is kept in the history
        ("暂缓", dt.date(2025, 10, 1), "补充能评"),
        ("同意", dt.date(2025, 10, 1), None),
    ]
    assert "更正" not in _decide(db_url, "同意", "2025-11-01")  # another meeting


def test_list_committee_undecided(db_url: str) -> None:
    _lead(db_url)
    cli("register", "add", "cases/beihai/bh02-electronic-chemicals-lower-bounds.yaml", "--as-of", AS_OF, "--db", db_url)  # fmt: skip

    def listed(value: str) -> list[str]:
        out = cli(
            "register", "list", "--committee", value, "--format", "json",
            "--db", db_url,
        )  # fmt: skip
        return sorted(lead["key"] for lead in json.loads(out)["leads"])

    everyone = listed("未决定")
    assert "bh-001" in everyone and len(everyone) == 2
    _decide(db_url, "暂缓", "2025-10-01")
    assert listed("未决定") == listed("undecided") == sorted(set(everyone) - {"bh-001"})
    assert listed("暂缓") == ["bh-001"]
