"""How the JSON API refuses what it cannot take: a body it cannot read (not JSON,
nested too deeply, not sent as JSON) is a documented 400 or 415 on every route and
both paths of the hot route; a text too long says its limit without repeating the
value; the register's refusals name the JSON field in the API's own words (never a
CLI flag); the access check comes before anything the request sent is looked at."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest

from tests.web.conftest import Web
from tests.web.test_api import _body
from tests.web.test_direct import route_only

TODAY = dt.date.today().isoformat()
FUTURE = (dt.date.today() + dt.timedelta(days=3)).isoformat()
DEEP = ('{"project":{"extra":{"a":' + "[" * 2000 + "]" * 2000 + "}}}").encode()


@pytest.fixture
def stored(sqlite_web: Web) -> Web:
    """The app with one lead, bh-001, at 洽谈."""
    response = sqlite_web.client(None).post(
        "/api/v1/screenings", json=_body(), headers=sqlite_web.api("officer")
    )
    assert response.status_code == 200 and response.headers["x-lead"] == "bh-001"
    return sqlite_web


def _json_routes(web: Web) -> list[tuple[str, dict[str, str]]]:
    """Every route that reads a JSON body, with a token of a role it allows."""
    return [
        ("/api/v1/screenings", web.api("officer")),
        ("/api/v1/leads/bh-001/stages", web.api("officer")),
        ("/api/v1/leads/bh-001/committee", web.api("committee")),
    ]


def _post(web: Web, url: str, body: bytes, headers: dict[str, str]) -> Any:
    return web.client(None).post(url, content=body, headers=headers)


def _only_error(response: Any) -> dict[str, Any]:
    (error,) = response.json()["errors"]
    return error  # type: ignore[no-any-return]


def _documented(web: Web, url: str, status: int) -> bool:
    paths = web.client(None).get("/api/v1/openapi.json").json()["paths"]
    path = url.replace("bh-001", "{key}")
    return str(status) in paths[path]["post"]["responses"]


# --- a body that cannot be read -------------------------------------------------------


def test_a_deeply_nested_body_is_a_400_naming_the_body_on_every_route(
    stored: Web,
) -> None:
    for url, token in _json_routes(stored):
        for content_type in ("application/json", "application/json; charset=utf-8"):
            headers = {**token, "Content-Type": content_type}
            response = _post(stored, url, DEEP, headers)
            assert response.status_code == 400, (url, content_type, response.text)
            error = _only_error(response)
            assert error["field"] is None
            assert "请求内容嵌套过深" in error["message"], error
            assert "the body is nested too deeply" in error["message"], error
        assert _documented(stored, url, 400)


def test_the_hot_route_s_direct_path_answers_a_deep_body_as_the_route_does(
    stored: Web,
) -> None:
    headers = {**stored.api("officer"), "Content-Type": "application/json"}
    direct = _post(stored, "/api/v1/screenings", DEEP, headers)
    with route_only(stored.app):
        routed = _post(stored, "/api/v1/screenings", DEEP, headers)
    assert direct.status_code == routed.status_code == 400
    assert direct.content == routed.content


def test_malformed_json_is_the_documented_400_with_its_position_in_the_message(
    stored: Web,
) -> None:
    for url, token in _json_routes(stored):
        headers = {**token, "Content-Type": "application/json"}
        broken = _post(stored, url, b"{bad json", headers)
        assert broken.status_code == 400, (url, broken.text)
        error = _only_error(broken)
        assert error["field"] is None  # a position is not a field path
        assert "不是有效的 JSON（第 1 行第 2 列）" in error["message"], error
        assert "not valid JSON at line 1, column 2" in error["message"], error
        later = _post(stored, url, b'{"project":{"id":"x"},\n,}', headers)
        assert later.status_code == 400
        assert "第 2 行第 1 列" in _only_error(later)["message"]
        assert _documented(stored, url, 400)


@pytest.mark.parametrize(
    "content_type",
    [None, "application/x-www-form-urlencoded", "text/plain"],
    ids=["none", "form", "text"],
)
def test_a_body_not_sent_as_json_says_to_send_its_content_type(
    stored: Web, content_type: str | None
) -> None:
    for url, token in _json_routes(stored):
        headers = dict(token)
        if content_type:
            headers["Content-Type"] = content_type
        response = _post(stored, url, b'{"project":{"id":"x"}}', headers)
        assert response.status_code == 415, (url, response.text)
        error = _only_error(response)
        assert "Content-Type: application/json" in error["message"], error
        assert "b'" not in error["message"]  # never Python's bytes repr
        assert _documented(stored, url, 415)


def test_an_empty_body_says_it_is_empty_not_that_a_key_called_body_is_missing(
    stored: Web,
) -> None:
    for url, token in _json_routes(stored):
        headers = {**token, "Content-Type": "application/json"}
        response = _post(stored, url, b"", headers)
        assert response.status_code == 422, (url, response.text)
        error = _only_error(response)
        assert error["field"] is None
        assert "请求内容为空" in error["message"], error
        assert "'body'" not in error["message"]


# --- texts too long -------------------------------------------------------------------


def test_a_too_long_text_says_its_limit_and_does_not_repeat_the_value(
    stored: Web,
) -> None:
    body = _body()
    body["project"]["name"] = "x" * 501  # type: ignore[index]
    response = stored.client(None).post(
        "/api/v1/screenings", json=body, headers=stored.api("officer")
    )
    assert response.status_code == 422
    error = _only_error(response)
    assert error["field"] == "project.name"
    assert "不超过 500 个字符" in error["message"], error
    assert "at most 500 characters" in error["message"], error
    assert "x" * 20 not in error["message"]
    note = stored.client(None).post(
        "/api/v1/leads/bh-001/stages",
        json={"stage": "签约", "on": TODAY, "note": "n" * 2001},
        headers=stored.api("officer"),
    )
    assert note.status_code == 422
    error = _only_error(note)
    assert error["field"] == "note" and "at most 2000 characters" in error["message"]
    assert "n" * 20 not in error["message"]


def test_a_long_value_of_the_wrong_type_is_shown_cut_short(stored: Web) -> None:
    response = stored.client(None).post(
        "/api/v1/leads/bh-001/stages",
        json={"stage": "签约", "on": TODAY, "reason": ["r" * 5000]},
        headers=stored.api("officer"),
    )
    assert response.status_code == 422
    error = _only_error(response)
    assert error["field"] == "reason" and "expected text" in error["message"]
    assert len(error["message"]) < 200 and "…" in error["message"], error


# --- the register's refusals, in the API's words --------------------------------------


def _stage(web: Web, **body: Any) -> Any:
    return web.client(None).post(
        "/api/v1/leads/bh-001/stages", json=body, headers=web.api("officer")
    )


def _no_cli_words(message: str) -> bool:
    return "--" not in message and "screening register" not in message


def test_stage_refusals_name_the_field_they_concern(stored: Web) -> None:
    cases = [
        ({"stage": "签约", "on": FUTURE}, "on", "in the future"),
        ({"stage": "终止", "on": TODAY}, "reason", "needs a reason"),
        (
            {"stage": "签约", "on": TODAY, "override": True},
            "note",
            '"override": true needs a note',
        ),
        ({"stage": "供地", "on": TODAY}, "override", '"override": true with a note'),
    ]
    for body, field, words in cases:
        response = _stage(stored, **body)
        assert response.status_code == 422, body
        error = _only_error(response)
        assert error["field"] == field, (body, error)
        assert words in error["message"] and _no_cli_words(error["message"]), error
    # the out-of-order refusal still says what is out of order
    skipped = _only_error(_stage(stored, stage="供地", on=TODAY))["message"]
    assert "跳过了 签约" in skipped
    assert _stage(stored, stage="签约", on=TODAY).status_code == 201


def test_committee_and_lookup_refusals_name_their_field(stored: Web) -> None:
    api = stored.client(None)
    late = api.post(
        "/api/v1/leads/bh-001/committee",
        json={"decision": "同意", "meeting_on": FUTURE},
        headers=stored.api("committee"),
    )
    assert late.status_code == 422 and _only_error(late)["field"] == "meeting_on"
    missing = api.get("/api/v1/leads/nope", headers=stored.api("officer"))
    assert missing.status_code == 404
    error = _only_error(missing)
    assert error["field"] == "key" and _no_cli_words(error["message"]), error
    assert "GET /api/v1/leads" in error["message"]
    nowhere = api.post(
        "/api/v1/leads/nope/stages",
        json={"stage": "签约", "on": TODAY},
        headers=stored.api("officer"),
    )
    assert nowhere.status_code == 404 and _only_error(nowhere)["field"] == "key"


def test_approving_a_vetoed_lead_is_refused_naming_the_decision(
    sqlite_web: Web,
) -> None:
    body = _body(ruleset="national")
    body["project"]["environment"] = {"in_red_line": True}  # type: ignore[index]
    api = sqlite_web.client(None)
    screened = api.post(
        "/api/v1/screenings", json=body, headers=sqlite_web.api("officer")
    )
    assert screened.status_code == 200 and screened.json()["vetoed_by"]
    approved = api.post(
        f"/api/v1/leads/{screened.headers['x-lead']}/committee",
        json={"decision": "同意", "meeting_on": TODAY},
        headers=sqlite_web.api("committee"),
    )
    assert approved.status_code == 422
    error = _only_error(approved)
    assert error["field"] == "decision" and "cannot be approved" in error["message"]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"year": 2026, "quarter": "2026Q1"}, {"year", "quarter"}),
        ({"month": "2026-03", "from": "2026-01-01"}, {"month", "from"}),
        ({"month": "2026-13"}, {"month"}),
        ({"from": "2026-12-01", "to": "2026-01-01"}, {"to"}),
    ],
)
def test_a_kpi_period_refusal_names_its_query_parameters(
    sqlite_web: Web, query: dict[str, Any], fields: set[str]
) -> None:
    response = sqlite_web.client(None).get(
        "/api/v1/kpis", params=query, headers=sqlite_web.api("committee")
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {e["field"] for e in errors} == fields, errors
    assert all(_no_cli_words(e["message"]) for e in errors), errors


def test_an_unknown_rule_set_is_blamed_on_the_ref_parameter(sqlite_web: Web) -> None:
    response = sqlite_web.client(None).get(
        "/api/v1/ruleset", params={"ref": "nope"}, headers=sqlite_web.api("officer")
    )
    assert response.status_code == 422
    error = _only_error(response)
    assert error["field"] == "ref" and "nope" in error["message"]


# --- batches --------------------------------------------------------------------------

CSV = "项目编号,项目名称,企业名称,行业代码,总投资(万元),用地面积(亩)\nB-1,甲,甲公司,C2613,8000,20\n"


def _upload(web: Web, **data: str) -> Any:
    return web.client(None).post(
        "/api/v1/batches",
        headers=web.api("officer"),
        files={"file": ("b.csv", io.BytesIO(CSV.encode()), "text/csv")},
        data=data,
    )


def test_a_batch_without_a_rule_set_takes_the_documented_default(
    sqlite_web: Web,
) -> None:
    doc = sqlite_web.client(None).get("/api/v1/openapi.json").json()
    form = doc["components"]["schemas"]["Body_submit_batch_api_v1_batches_post"]
    documented = form["properties"]["ruleset"]["default"]
    assert "ruleset" not in form.get("required", [])
    response = _upload(sqlite_web, as_of="2025-06-30")
    assert response.status_code == 202, response.text
    assert response.json()["ruleset"] == documented == "national"


def test_an_unknown_form_field_is_refused_naming_it(sqlite_web: Web) -> None:
    response = _upload(sqlite_web, ruleset="national", foo="bar")
    assert response.status_code == 422
    error = _only_error(response)
    assert error["field"] == "foo" and "unknown key" in error["message"]
    assert sqlite_web.app.state.jobs.list() == []  # nothing queued


# --- the access check first -----------------------------------------------------------


def test_without_a_token_an_unknown_query_parameter_is_a_401(sqlite_web: Web) -> None:
    api = sqlite_web.client(None)
    assert api.get("/api/v1/leads", params={"foo": 1}).status_code == 401
    wrong_role = api.get(
        "/api/v1/leads", params={"foo": 1}, headers=sqlite_web.api("admin")
    )
    assert wrong_role.status_code == 403
    allowed = api.get(
        "/api/v1/leads", params={"foo": 1}, headers=sqlite_web.api("officer")
    )
    assert allowed.status_code == 422 and _only_error(allowed)["field"] == "foo"


def test_without_a_token_an_unreadable_body_is_a_401(stored: Web) -> None:
    for url, _allowed in _json_routes(stored):
        for body in (b"{bad json", DEEP):
            nobody = _post(stored, url, body, {"Content-Type": "application/json"})
            assert nobody.status_code == 401, (url, nobody.text)
            other = {**stored.api("policy"), "Content-Type": "application/json"}
            refused = _post(stored, url, body, other)  # a role the route refuses
            assert refused.status_code == 403, (url, refused.text)


# --- stage names as the CLI takes them ------------------------------------------------


def test_english_stage_names_are_taken_as_the_cli_takes_them(stored: Web) -> None:
    api = stored.client(None)
    moved = _stage(stored, stage="signed", on=TODAY)
    assert moved.status_code == 201 and moved.json()["stage"] == "签约"
    headers = stored.api("committee")
    english = api.get("/api/v1/leads", params={"stage": "Signed"}, headers=headers)
    chinese = api.get("/api/v1/leads", params={"stage": "签约"}, headers=headers)
    assert english.status_code == 200 and english.json()["total"] == 1
    assert english.json() == chinese.json()
    unknown = api.get("/api/v1/leads", params={"stage": "signd"}, headers=headers)
    assert unknown.status_code == 422
    error = _only_error(unknown)
    assert error["field"] == "stage"
    assert "签约" in error["message"] and "signed" in error["message"], error
    refused = _stage(stored, stage="signd", on=TODAY)
    assert refused.status_code == 422
    error = _only_error(refused)
    assert error["field"] == "stage" and "in production" in error["message"], error


def test_the_openapi_document_lists_the_stage_names_a_move_takes(
    sqlite_web: Web,
) -> None:
    doc = sqlite_web.client(None).get("/api/v1/openapi.json").json()
    stage = doc["components"]["schemas"]["StageRequest"]["properties"]["stage"]
    assert {"签约", "signed", "终止", "terminated"} <= set(stage["enum"])
