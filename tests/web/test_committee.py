"""Committee meetings: each shows only the decisions taken at it, and a refused 同意
names the veto by its title."""

from __future__ import annotations

import datetime as dt
import re

from tests.web.conftest import Web
from tests.web.test_pages import FORM, _vetoed, post_form, screen_form


def _meeting(web: Web, title: str, keys: str) -> str:
    member = web.client("committee")
    made = post_form(
        member, "/meetings", {"title": title, "meeting_on": str(dt.date.today())}
    )
    assert made.status_code == 303
    meeting = str(made.headers["location"].split("?")[0])
    assert post_form(member, f"{meeting}/items", {"keys": keys}).status_code == 303
    return meeting


def test_a_meeting_shows_only_its_own_decisions(web: Web) -> None:
    assert screen_form(web, FORM).status_code == 303
    member = web.client("committee")
    first = _meeting(web, "第1次联席会议", "bh-007")
    decided = {"lead": "bh-007", "decision": "暂缓", "note": "请园区核实用地指标"}
    assert post_form(member, f"{first}/decisions", decided).status_code == 303
    second = _meeting(web, "第2次联席会议（同日）", "bh-007")
    assert "请园区核实用地指标" in member.get(first).text
    page = member.get(second).text
    assert "请园区核实用地指标" not in page, (
        "the first meeting's decision shown in the second"
    )
    assert "请园区核实用地指标" not in member.get(f"{second}/print").text
    lead = web.app.state.register.lead("bh-007")
    assert [c["meeting_id"] for c in lead["committee_decisions"]] == [
        int(first.rsplit("/", 1)[1])
    ]


def test_approving_a_vetoed_lead_is_refused_by_the_veto_s_title(web: Web) -> None:
    _vetoed(web)
    key = web.app.state.register.leads()[1][0]["key"]
    meeting = _meeting(web, "第3次联席会议", key)
    forced = post_form(
        web.client("committee"),
        f"{meeting}/decisions",
        {"lead": key, "decision": "同意"},
    )
    assert forced.status_code == 422
    assert "生态保护红线" in forced.text and "environment.red_line" not in forced.text


def test_an_english_meeting_page_shows_decisions_in_english(web: Web) -> None:
    assert screen_form(web, FORM).status_code == 303
    member = web.client("committee")
    meeting = _meeting(web, "第4次联席会议", "bh-007")
    decided = {"lead": "bh-007", "decision": "暂缓", "note": "待补充"}
    assert post_form(member, f"{meeting}/decisions", decided).status_code == 303
    member.get("/lang?to=en")
    for path in (meeting, f"{meeting}/print"):
        shown = re.sub(r"<[^>]*>", " ", member.get(path).text)  # text, not values
        assert "暂缓" not in shown and "洽谈" not in shown, path
