"""The JSON API (SQLite and PostgreSQL): the contract byte for byte as the CLI writes
it, errors with field paths in the CLI's words, batches submitted and polled, leads,
stages, committee decisions, KPIs and rule sets."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from screening.cases import load_case
from tests.web.conftest import ROOT, Web, wait_job

CASE = ROOT / "cases/beihai/bh01-iron-phosphate-pass.yaml"
BEIHAI = "parks/beihai-tieshangang-2023"


def _body(**extra: object) -> dict[str, object]:
    project = load_case(CASE).project.model_dump(mode="json", exclude_none=True)
    return {"project": project, "ruleset": BEIHAI, "as_of": "2025-06-30", **extra}


def test_a_screening_is_the_cli_s_json_byte_for_byte_and_is_stored(
    web: Web, tmp_path: Path
) -> None:
    response = web.client(None).post(
        "/api/v1/screenings", json=_body(), headers=web.api("officer")
    )
    assert response.status_code == 200
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / CASE.name).write_bytes(CASE.read_bytes())
    subprocess.run(
        [
            sys.executable,
            "-m",
            "screening",
            "batch",
            str(folder),
            "--rules",
            BEIHAI,
            "--as-of",
            "2025-06-30",
            "-o",
            str(tmp_path / "out.jsonl"),
            "--jobs",
            "1",
        ],
        capture_output=True,
        cwd=ROOT,
        check=True,
    )
    # the bytes `screening batch -o results.jsonl` writes for the same project
    assert response.content == (tmp_path / "out.jsonl").read_bytes()
    assert response.headers["x-lead"] == "bh-001"
    lead = web.app.state.register.lead("bh-001")
    (screening,) = lead["screenings"]
    line, same = web.app.state.register.reproduce(screening["id"])
    assert (
        same and line == response.content
    )  # the stored screening gives these bytes again
    again = web.client(None).get(
        f"/api/v1/screenings/{screening['id']}", headers=web.api("committee")
    )
    assert again.status_code == 200 and again.json() == json.loads(response.content)
    english = web.client(None).get(
        f"/api/v1/screenings/{screening['id']}",
        params={"lang": "en"},
        headers=web.api("policy"),
    )
    assert english.json()["decision"] == "pass" and english.json() != again.json()


def test_screening_without_storing_stores_nothing(web: Web) -> None:
    response = web.client(None).post(
        "/api/v1/screenings", json=_body(store=False), headers=web.api("officer")
    )
    assert response.status_code == 200 and "x-lead" not in response.headers
    assert web.app.state.register.leads()[0] == 0


def test_errors_name_the_field_in_the_cli_s_words(web: Web) -> None:
    body = _body()
    body["project"]["investment"]["total"] = "很多"  # type: ignore[index]
    body["project"]["land"]["plot_ratio"] = -1  # type: ignore[index]
    response = web.client(None).post(
        "/api/v1/screenings", json=body, headers=web.api("officer")
    )
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "无法识别的数值" in errors["project.investment.total"]
    assert "不小于 0" in errors["project.land.plot_ratio"]
    unknown = web.client(None).post(
        "/api/v1/screenings",
        json={**_body(), "ruleset": "parks/nowhere"},
        headers=web.api("officer"),
    )
    assert (
        unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "ruleset"
    )
    path = web.client(None).post(
        "/api/v1/screenings",
        json={**_body(), "ruleset": str(ROOT / "rules/national.yaml")},
        headers=web.api("officer"),
    )
    assert path.status_code == 422  # a file path is never taken from a request
    extra = web.client(None).post(
        "/api/v1/screenings", json={**_body(), "rules": "x"}, headers=web.api("officer")
    )
    assert extra.status_code == 422 and extra.json()["errors"][0]["field"] == "rules"
    broken = web.client(None).post(
        "/api/v1/screenings",
        content=b"{not json",
        headers={**web.api("officer"), "Content-Type": "application/json"},
    )
    assert broken.status_code == 400 and "errors" in broken.json()  # as documented


def test_leads_stages_and_committee_decisions(web: Web) -> None:
    api = web.client(None)
    assert (
        api.post(
            "/api/v1/screenings", json=_body(), headers=web.api("officer")
        ).status_code
        == 200
    )
    listed = api.get(
        "/api/v1/leads", params={"decision": "pass"}, headers=web.api("committee")
    ).json()
    assert listed["total"] == 1 and listed["leads"][0]["key"] == "bh-001"
    assert listed["leads"][0]["investment_total"] == 32000
    today = dt.date.today().isoformat()
    moved = api.post(
        "/api/v1/leads/bh-001/stages",
        json={"stage": "签约", "on": today},
        headers=web.api("officer"),
    )
    assert moved.status_code == 201 and moved.json()["stage"] == "签约"
    back = api.post(
        "/api/v1/leads/bh-001/stages",
        json={"stage": "洽谈", "on": today},
        headers=web.api("officer"),
    )
    assert back.status_code == 422 and back.json()["errors"][0]["message"]
    missing = api.post(
        "/api/v1/leads/nope/stages",
        json={"stage": "签约", "on": today},
        headers=web.api("officer"),
    )
    assert missing.status_code == 404
    member = api.post(
        "/api/v1/leads/bh-001/committee",
        json={"decision": "同意", "meeting_on": today, "note": "同意引进"},
        headers=web.api("committee"),
    )
    assert member.status_code == 201
    detail = api.get("/api/v1/leads/bh-001", headers=web.api("policy")).json()
    assert detail["committee"] == "同意" and detail["stages"][0]["stage"] == "签约"
    assert "findings" not in detail["screenings"][0]
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    late = api.post(
        "/api/v1/leads/bh-001/committee",
        json={"decision": "暂缓", "meeting_on": future},
        headers=web.api("committee"),
    )
    assert late.status_code == 422
    assert [e["action"] for e in web.app.state.accounts.audit_entries()[1]][:2] == [
        "committee",
        "stage",
    ]


def test_kpis_and_rule_sets(web: Web) -> None:
    api = web.client(None)
    kpis = api.get("/api/v1/kpis", params={"year": 2025}, headers=web.api("committee"))
    assert kpis.status_code == 200 and kpis.json()["period"]["start"] == "2025-01-01"
    assert (
        api.get(
            "/api/v1/kpis",
            params={"year": 2025, "month": "2025-03"},
            headers=web.api("committee"),
        ).status_code
        == 422
    )
    listed = api.get("/api/v1/rulesets", headers=web.api("officer")).json()
    assert {"national", BEIHAI} <= {r["ref"] for r in listed}
    shown = api.get(
        "/api/v1/ruleset", params={"ref": BEIHAI}, headers=web.api("officer")
    ).json()
    assert shown["id"] == BEIHAI and shown["rules"][0]["defined_at"]


def test_a_batch_is_submitted_polled_and_reported(web: Web) -> None:
    csv = (
        "项目编号,项目名称,企业名称,行业代码,总投资(亿元),用地面积(亩)\n"
        "A-1,甲项目,甲公司,C2613,3.2,100\nA-2,乙项目,乙公司,C3841,abc,50\n"
    )
    submitted = web.client(None).post(
        "/api/v1/batches",
        headers=web.api("officer"),
        files={"file": ("fair.csv", io.BytesIO(csv.encode("gbk")), "text/csv")},
        data={"ruleset": "national", "as_of": "2025-06-30"},
    )
    assert submitted.status_code == 202, submitted.text
    key = submitted.json()["key"]
    wait_job(web, key)
    status = (
        web.client(None)
        .get(f"/api/v1/batches/{key}", headers=web.api("committee"))
        .json()
    )
    assert status["status"] == "done" and status["counts"]["rows"] == 2
    assert status["counts"]["screened"] == 1 and status["counts"]["invalid"] == 1
    report = web.client(None).get(
        status["reports"]["report.xlsx"], headers=web.api("committee")
    )
    assert report.status_code == 200 and report.content[:2] == b"PK"
    assert (
        web.app.state.register.lead("A-1")["screenings"][0]["source"]["kind"]
        == "upload"
    )
    gone = web.client(None).get("/api/v1/batches/nope", headers=web.api("committee"))
    assert gone.status_code == 404


def test_the_openapi_document_describes_every_route(web: Web) -> None:
    doc = web.client(None).get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    assert (
        "/api/v1/screenings" in paths and "/leads/new" not in paths
    )  # pages are not API
    for path, methods in paths.items():
        for method, op in methods.items():
            assert op.get("description") or op.get("summary"), (method, path)
            if path != "/api/v1/health":
                assert "401" in op["responses"], (method, path)
    assert Path(ROOT / "screening/web/api.py").exists()


def test_a_screening_waiting_for_the_engine_does_not_stop_the_server(
    sqlite_web: Web,
) -> None:
    """While a page holds the engine (a draft's trial rescreen), a screening waits for
    it in a thread: the worker's other requests are still answered meanwhile."""
    from anyio.from_thread import start_blocking_portal
    from fastapi.testclient import TestClient

    from screening.web.service import ENGINE_LOCK

    # one event loop for every request, as a worker has (a client not entered runs
    # each request on a loop of its own)
    with start_blocking_portal() as loop:
        client = TestClient(sqlite_web.app)
        client.portal = loop
        _while_the_engine_is_held(sqlite_web, client, ENGINE_LOCK)


def _while_the_engine_is_held(web: Web, client: Any, lock: Any) -> None:
    """A screening sent while `lock` is held, then another request."""
    officer = web.api("officer")
    assert client.post("/api/v1/screenings", json=_body(), headers=officer).is_success
    answers: dict[str, int] = {}

    def screen() -> None:
        body = _body()
        body["project"]["id"] = "bh-001-again"  # type: ignore[index]
        response = client.post("/api/v1/screenings", json=body, headers=officer)
        answers["screening"] = response.status_code

    def health() -> None:
        answers["health"] = client.get("/api/v1/health").status_code

    with lock:  # as a page does
        waiting = threading.Thread(target=screen, daemon=True)
        waiting.start()
        waiting.join(1.0)
        assert "screening" not in answers  # it waits for the engine ...
        other = threading.Thread(target=health, daemon=True)
        other.start()
        other.join(60)  # ... and the server answers others meanwhile
        assert answers.get("health") == 200
    waiting.join(60)
    assert answers["screening"] == 200
    assert web.app.state.register.lead("bh-001-again") is not None


def test_an_unknown_query_parameter_is_refused_not_ignored(web: Web) -> None:
    api = web.client(None)
    misspelt = api.get("/api/v1/leads?min_investment=1亿", headers=web.api("officer"))
    assert misspelt.status_code == 422
    assert misspelt.json()["errors"][0]["field"] == "min_investment"
    known = api.get("/api/v1/leads?band=1亿&limit=5", headers=web.api("officer"))
    assert known.status_code == 200


def test_a_refusal_is_404_only_for_what_does_not_exist(web: Web) -> None:
    import pytest

    from screening.register.db import RegisterError
    from screening.web.api import status_of

    api = web.client(None)
    stored = api.post("/api/v1/screenings", json=_body(), headers=web.api("officer"))
    assert stored.status_code == 200
    missing = api.get("/api/v1/leads/NO-SUCH", headers=web.api("officer"))
    assert missing.status_code == 404
    # no figure given is a bad request (its words begin 没有, as a missing lead's do)
    with pytest.raises(RegisterError) as refused:
        web.app.state.register.record_actual("bh-001", dt.date.today(), {}, "test")
    assert status_of(refused.value) == 422
