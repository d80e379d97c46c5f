"""The app under a path prefix (`screening serve --root-path /screening`): every route
answers below it, whether the proxy keeps the prefix or strips it, and every path
the app hands out — links, forms, scripts, redirects, cookies, report links in the
API — carries it."""

from __future__ import annotations

import io
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from screening.web.prefix import normal_prefix
from tests.web.conftest import (
    NAMES,
    ROLES,
    Web,
    cli,
    csrf_of,
    make_web,
    sign_in,
    start_server,
    stop_server,
    wait_job,
)
from tests.web.test_api import _body

PREFIX = "/screening"
# every path a page hands the browser: links, forms, scripts, styles, htmx requests
PATHS = re.compile(r'\b(?:href|action|src|hx-get|hx-post)="(/[^"]*)"')


@pytest.fixture
def prefixed(tmp_path: Path) -> Iterator[Web]:
    made = make_web(
        str(tmp_path / "r.db"), tmp_path / "data", pdf_browser=None, root_path=PREFIX
    )
    yield made
    made.app.state.writer.close()
    made.app.state.register.close()


def signed_in(web: Web, role: str) -> Any:
    """A client signed in through the prefixed login page, as a browser would."""
    client = TestClient(web.app, follow_redirects=False)
    response = sign_in(client, NAMES[role], root=PREFIX, next="/pipeline")
    assert response.headers["location"] == f"{PREFIX}/pipeline"
    cookies = response.headers.get_list("set-cookie")
    assert any(
        c.startswith("screening_session=") and f"Path={PREFIX}/;" in c for c in cookies
    )
    return client


def unprefixed(html: str) -> list[str]:
    return [p for p in PATHS.findall(html) if not p.startswith(f"{PREFIX}/")]


def test_a_prefix_is_checked() -> None:
    assert normal_prefix("") == "" and normal_prefix("/screening/") == PREFIX
    assert normal_prefix("/a/b-c.d") == "/a/b-c.d"
    for bad in ("screening", "/a b", "/<script>", "//host", "/a?b"):
        with pytest.raises(ValueError):
            normal_prefix(bad)
    done = cli("serve", "--root-path", "/a b", "--port", "1")
    assert done.returncode == 2 and "--root-path" in done.stderr


def test_every_page_of_every_role_links_below_the_prefix(prefixed: Web) -> None:
    from screening.web.views import MENU

    for role in ROLES:
        client = signed_in(prefixed, role)
        home = client.get(f"{PREFIX}/")
        assert home.status_code == 303
        assert home.headers["location"] == PREFIX + MENU[role][0][0]
        for path, _, _ in MENU[role]:
            page = client.get(PREFIX + path)
            assert page.status_code == 200, (role, path)
            assert PATHS.findall(page.text), (role, path)
            assert unprefixed(page.text) == [], (role, path)
            assert f"next={path}" in page.text  # the language link: no prefix twice
            assert 'class="on"' in page.text  # the menu knows the page it is on
        client.close()


def test_a_proxy_that_strips_the_prefix_reaches_the_same_pages(prefixed: Web) -> None:
    client = TestClient(prefixed.app, follow_redirects=False)
    kept = client.get(f"{PREFIX}/login")
    stripped = client.get("/login")
    assert kept.status_code == stripped.status_code == 200
    assert unprefixed(stripped.text) == [] and PATHS.findall(stripped.text)
    assert client.get("/static/web.css").status_code == 200
    assert client.get(f"{PREFIX}/static/web.css").status_code == 200
    # a page for the signed-in only sends a stranger to the prefixed login page
    refused = client.get("/pipeline?stage=signed")
    assert refused.status_code == 303
    assert (
        refused.headers["location"] == f"{PREFIX}/login?next=/pipeline%3Fstage%3Dsigned"
    )


def test_the_api_answers_below_the_prefix(prefixed: Web) -> None:
    client = TestClient(prefixed.app)
    headers = {**prefixed.api("officer"), "Content-Type": "application/json"}
    body = _body()
    answered = client.post(f"{PREFIX}/api/v1/screenings", headers=headers, json=body)
    assert answered.status_code == 200, answered.text[:300]
    assert answered.json()["decision"]
    assert client.get(f"{PREFIX}/api/v1/openapi.json").json()["servers"] == [
        {"url": PREFIX}
    ]
    assert f"'{PREFIX}/api/v1/openapi.json'" in client.get(f"{PREFIX}/api/docs").text
    refused = client.get(f"{PREFIX}/api/v1/leads")
    assert refused.status_code == 401 and refused.json()["errors"]  # JSON, not a page


def test_an_upload_below_the_prefix_has_the_upload_bound(tmp_path: Path) -> None:
    web = make_web(
        str(tmp_path / "r.db"),
        tmp_path / "data",
        pdf_browser=None,
        root_path=PREFIX,
        max_json_bytes=2_000,  # the upload is larger: only the upload bound admits it
    )
    client = signed_in(web, "officer")
    rows = "项目编号,项目名称,行业代码\n" + "".join(
        f"P{i},项目{i},C2613\n" for i in range(200)
    )
    assert len(rows.encode("gbk")) > 2_000
    token = csrf_of(client.get(f"{PREFIX}/batches").text)
    response = client.post(
        f"{PREFIX}/batches",
        files={"file": ("leads.csv", io.BytesIO(rows.encode("gbk")), "text/csv")},
        data={"csrf": token, "ruleset": "national", "as_of": "2025-06-30"},
    )
    assert response.status_code == 303, response.text[:300]
    location = response.headers["location"]
    assert location.startswith(f"{PREFIX}/batches/")
    key = location.rsplit("/", 1)[1]
    assert wait_job(web, key)["status"] == "done"
    status = client.get(location).text
    assert f'href="{PREFIX}/batches/{key}/report.xlsx"' in status
    assert unprefixed(status) == []
    pipeline = client.get(f"{PREFIX}/pipeline").text
    lead = re.search(rf'href="({PREFIX}/leads/P[^"]+)"', pipeline)
    assert lead, "no lead on the pipeline page"
    page = client.get(lead.group(1))
    assert page.status_code == 200 and unprefixed(page.text) == []
    assert f'action="{PREFIX}/leads/' in page.text  # its stage and promise forms
    api = TestClient(web.app).get(
        f"{PREFIX}/api/v1/batches/{key}", headers=web.api("officer")
    )
    reports = api.json()["reports"]
    assert (
        reports["report.xlsx"] == f"{PREFIX}/api/v1/batches/{key}/reports/report.xlsx"
    )
    assert (
        TestClient(web.app)
        .get(reports["report.xlsx"], headers=web.api("officer"))
        .content[:2]
        == b"PK"
    )
    client.close()
    web.app.state.writer.close()
    web.app.state.register.close()


def test_screening_serve_with_a_root_path(tmp_path: Path) -> None:
    """The real server (uvicorn): both a kept and a stripped prefix answer, with
    prefixed links."""
    process, url = start_server(
        str(tmp_path / "r.db"),
        tmp_path / "data",
        tmp_path / "serve.log",
        options=("--root-path", f"{PREFIX}/"),
    )
    try:
        for path in (f"{PREFIX}/login", "/login"):
            with urllib.request.urlopen(url + path, timeout=10) as response:
                assert response.status == 200
                html = response.read().decode()
            assert PATHS.findall(html) and unprefixed(html) == [], path
        with urllib.request.urlopen(f"{url}{PREFIX}/static/web.css", timeout=10) as r:
            assert r.status == 200
    finally:
        stop_server(process)
    assert f"{PREFIX}/" in (tmp_path / "serve.log").read_text()  # the address shown
