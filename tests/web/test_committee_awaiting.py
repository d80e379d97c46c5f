"""The committee's view of the 项目库 and its meetings: the pipeline (and the API's
list) filters the leads awaiting the committee — whose current screening it has not
decided on; a meeting offers those first and the leads it has decided on apart, with
the decision and its meeting's date; a second decision at one meeting says it corrects
the first (kept in the history); dates and notes the register refuses are refused on
the page and in the API naming the field; English amount filters read in yuan."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from tests.web.conftest import Web
from tests.web.test_pages import FORM, post_form, screen_form

NOTE_LIMIT = 2000  # the register's limit on notes (store.NOTE_LIMIT), in characters

OTHER = {**FORM, "id": "bh-008", "name": "年产5万吨磷酸铁项目"}
REVISED = {**FORM, "investment.fixed_assets": "2.8亿元"}  # bh-007 screened anew
TODAY = dt.date.today()


def _meeting(web: Web, keys: str, on: dt.date = TODAY, title: str = "联席会议") -> str:
    member = web.client("committee")
    made = post_form(member, "/meetings", {"title": title, "meeting_on": str(on)})
    assert made.status_code == 303, made.text
    meeting = str(made.headers["location"].split("?")[0])
    if keys:
        assert post_form(member, f"{meeting}/items", {"keys": keys}).status_code == 303
    return meeting


def _decide(web: Web, meeting: str, key: str, decision: str, note: str = "") -> Any:
    return post_form(
        web.client("committee"),
        f"{meeting}/decisions",
        {"lead": key, "decision": decision, "note": note},
    )


def _listed(page: str) -> set[str]:
    return set(re.findall(r'<td class="mono"><a href="[^"]*/leads/([^"]+)">', page))


def test_the_pipeline_and_the_api_list_the_leads_awaiting_the_committee(
    web: Web,
) -> None:
    for form in (FORM, OTHER):
        assert screen_form(web, form).status_code == 303
    member = web.client("committee")
    assert 'value="未决定"' in member.get("/pipeline").text
    assert _listed(member.get("/pipeline?committee=未决定").text) == {
        "bh-007",
        "bh-008",
    }
    meeting = _meeting(web, "bh-007")
    assert _decide(web, meeting, "bh-007", "暂缓").status_code == 303
    awaiting = member.get("/pipeline?committee=未决定")
    assert awaiting.status_code == 200 and _listed(awaiting.text) == {"bh-008"}
    api = web.client(None).get(
        "/api/v1/leads", params={"committee": "未决定"}, headers=web.api("committee")
    )
    assert api.status_code == 200, api.text
    assert [lead["key"] for lead in api.json()["leads"]] == ["bh-008"]
    # screened anew since the committee saw it: it awaits the committee again, its
    # 暂缓 marked as taken on an earlier screening
    assert screen_form(web, REVISED).status_code == 303
    again = member.get("/pipeline?committee=未决定").text
    assert _listed(again) == {"bh-007", "bh-008"}
    assert "（前次筛查；当前筛查未决定）" in again
    assert _listed(member.get("/pipeline?committee=暂缓").text) == {"bh-007"}


def test_a_meeting_offers_undecided_leads_first_and_decided_ones_with_their_decision(
    sqlite_web: Web,
) -> None:
    web = sqlite_web
    for form in (FORM, OTHER):
        assert screen_form(web, form).status_code == 303
    first = _meeting(web, "bh-007", title="第1次联席会议")
    assert _decide(web, first, "bh-007", "暂缓").status_code == 303
    page = web.client("committee").get(_meeting(web, "", title="第2次联席会议")).text
    waiting = page.split('<table class="waiting">')[1].split("</table>")[0]
    decided = page.split('<table class="decided">')[1].split("</table>")[0]
    assert 'value="bh-008"' in waiting and "bh-007" not in waiting
    # the deferred lead may come back: offered, with its decision and meeting date
    assert 'value="bh-007"' in decided and "bh-008" not in decided
    assert f"暂缓</strong>（会议日期 {TODAY}）" in decided
    assert page.index('value="bh-008"') < page.index('value="bh-007"')


def test_a_second_decision_at_a_meeting_says_what_it_corrected(
    sqlite_web: Web,
) -> None:
    web = sqlite_web
    assert screen_form(web, FORM).status_code == 303
    meeting = _meeting(web, "bh-007")
    member = web.client("committee")
    assert _decide(web, meeting, "bh-007", "暂缓", "待补充能评").status_code == 303
    assert "已更正" not in member.get(meeting).text
    assert ">更正</button>" in member.get(meeting).text  # the form says it corrects
    assert _decide(web, meeting, "bh-007", "不同意").status_code == 303
    page = member.get(meeting).text
    assert "已更正本次会议的决定：原为 暂缓 · 待补充能评" in page
    lead = web.app.state.register.lead("bh-007")
    assert [c["decision"] for c in lead["committee_decisions"]] == ["暂缓", "不同意"]
    assert lead["committee"] == "不同意"
    member.get("/lang?to=en")
    english = member.get(meeting).text
    assert "Corrected this meeting&#39;s decision: it was deferred" in english


def test_the_api_answers_with_the_decision_it_replaced(sqlite_web: Web) -> None:
    web = sqlite_web
    assert screen_form(web, FORM).status_code == 303
    api = web.client(None)

    def decide(decision: str) -> dict[str, Any]:
        answer = api.post(
            "/api/v1/leads/bh-007/committee",
            json={"decision": decision, "meeting_on": str(TODAY), "note": decision},
            headers=web.api("committee"),
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    assert decide("暂缓")["replaced"] is None
    replaced = decide("同意")["replaced"]
    assert (replaced["decision"], replaced["note"]) == ("暂缓", "暂缓")
    assert replaced["meeting_on"] == str(TODAY) and replaced["actor"]
    history = web.app.state.register.lead("bh-007")["committee_decisions"]
    assert [c["decision"] for c in history] == ["暂缓", "同意"]


def test_meeting_dates_before_2000_or_before_the_lead_are_refused(
    sqlite_web: Web,
) -> None:
    web = sqlite_web
    assert screen_form(web, FORM).status_code == 303
    member = web.client("committee")
    typo = post_form(member, "/meetings", {"title": "会议", "meeting_on": "0001-01-01"})
    assert typo.status_code == 422 and "2000-01-01" in typo.text
    early = _meeting(web, "bh-007", on=TODAY - dt.timedelta(days=10))
    page = member.get(early).text
    assert "晚于本次会议日期，不能记录本次会议的决定" in page
    assert (
        'action="/meetings/' not in page.split("晚于本次会议日期")[1].split("</tr>")[0]
    )
    refused = _decide(web, early, "bh-007", "同意")
    assert refused.status_code == 422
    assert "本次会议日期" in refused.text and "登记日期" in refused.text
    assert f'href="{early}"' in refused.text  # back to the meeting
    assert web.app.state.register.lead("bh-007")["committee_decisions"] == []
    api = web.client(None)
    for day in ("1999-12-31", str(TODAY - dt.timedelta(days=10))):
        answer = api.post(
            "/api/v1/leads/bh-007/committee",
            json={"decision": "同意", "meeting_on": day},
            headers=web.api("committee"),
        )
        assert answer.status_code == 422, answer.text
        assert [e["field"] for e in answer.json()["errors"]] == ["meeting_on"]
    member.get("/lang?to=en")
    shown = html.unescape(re.sub(r"<[^>]*>", " ", member.get(early).text))
    assert "after this meeting's date" in shown and "洽谈" not in shown


def test_notes_are_limited_in_the_forms_and_by_the_register(sqlite_web: Web) -> None:
    web = sqlite_web
    assert screen_form(web, FORM).status_code == 303
    meeting = _meeting(web, "bh-007")
    member = web.client("committee")
    assert (
        f'name="note" type="text" maxlength="{NOTE_LIMIT}"' in member.get(meeting).text
    )
    long = "意" * (NOTE_LIMIT + 1)
    refused = _decide(web, meeting, "bh-007", "暂缓", long)
    assert refused.status_code == 422
    assert "意见不能超过 2000 个字符（所填 2001 个）" in refused.text
    assert web.app.state.register.lead("bh-007")["committee_decisions"] == []
    assert _decide(web, meeting, "bh-007", "暂缓", long[:-1]).status_code == 303
    officer = web.client("officer")
    lead_page = officer.get("/leads/bh-007").text
    assert (
        lead_page.count(f'maxlength="{NOTE_LIMIT}"') >= 4
    )  # stage ×2, promise, actual
    stage = post_form(
        officer,
        "/leads/bh-007/stage",
        {"stage": "签约", "on": str(TODAY), "note": long},
        "/leads/bh-007",
    )
    assert stage.status_code == 422
    beside = stage.text.split('id="es-note"')[1].split("</span>")[0]
    assert "不能超过 2000 个字符" in beside  # beside the note field
    assert web.app.state.register.lead("bh-007")["stage"] == "洽谈"


def test_english_amount_filters_read_in_yuan(sqlite_web: Web) -> None:
    member = sqlite_web.client("committee")
    chinese = member.get("/pipeline").text
    assert "≥ 3000万</option>" in chinese and "≥ 1亿</option>" in chinese
    english = member.get("/pipeline?lang=en").text
    for shown in ("≥ 30 million yuan", "≥ 50 million yuan", "≥ 100 million yuan"):
        assert f"{shown}</option>" in english
    assert "万</option>" not in english and "亿</option>" not in english
