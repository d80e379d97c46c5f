"""The API's answer to a committee decision names the screening the committee saw
and says, with `current` as a lead's screenings do, whether the decision is now the
lead's: one entered late for an earlier meeting is history only (as `register
committee` says). The OpenAPI document describes both fields."""

from __future__ import annotations

import datetime as dt

from tests.web.conftest import Web
from tests.web.test_api import _body


def test_the_committee_answer_says_whether_it_is_current(web: Web) -> None:
    api = web.client(None)
    screened = api.post("/api/v1/screenings", json=_body(), headers=web.api("officer"))
    assert screened.status_code == 200
    today = dt.date.today()
    # in negotiation since a month ago: an earlier meeting's decision may be entered
    moved = api.post(
        "/api/v1/leads/bh-001/stages",
        json={"stage": "洽谈", "on": (today - dt.timedelta(days=30)).isoformat()},
        headers=web.api("officer"),
    )
    assert moved.status_code == 201, moved.text
    detail = api.get("/api/v1/leads/bh-001", headers=web.api("committee")).json()
    [seen] = [s["id"] for s in detail["screenings"] if s["current"]]

    def decide(decision: str, day: dt.date) -> dict[str, object]:
        answer = api.post(
            "/api/v1/leads/bh-001/committee",
            json={"decision": decision, "meeting_on": day.isoformat()},
            headers=web.api("committee"),
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    first = decide("暂缓", today)
    assert (first["screening_id"], first["current"]) == (seen, True)
    late = decide("同意", today - dt.timedelta(days=7))  # an earlier meeting's
    assert (late["screening_id"], late["current"]) == (seen, False)
    lead = api.get("/api/v1/leads/bh-001", headers=web.api("committee")).json()
    assert lead["committee"] == "暂缓"


def test_the_openapi_document_describes_current(web: Web) -> None:
    schemas = web.client(None).get("/api/v1/openapi.json").json()["components"]
    done = schemas["schemas"]["CommitteeDone"]
    assert {"screening_id", "current"} <= set(done["required"])
    assert "description" in done["properties"]["current"]
    summary = schemas["schemas"]["ScreeningSummary"]["properties"]["current"]
    assert summary["type"] == "boolean"
