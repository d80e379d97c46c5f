"""Sessions, CSRF, login limits, upload bounds and the headers every response
carries."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from screening.web.auth import LOGIN_COOKIE, SESSION_COOKIE
from tests.web.conftest import PASSWORD, Web, csrf_of, make_web, sign_in

OX = "http://schemas.openxmlformats.org"  # the OOXML namespaces' root


def test_a_change_without_the_csrf_token_is_refused(sqlite_web: Web) -> None:
    client = sqlite_web.client("officer")
    token = csrf_of(client.get("/meetings").text)
    body = {"title": "会议", "meeting_on": "2025-01-02"}
    assert client.post("/meetings", data=body).status_code == 403
    assert (
        client.post("/meetings", data={**body, "csrf": "x" + token}).status_code == 403
    )
    wrong_header = client.post("/meetings", data=body, headers={"X-CSRF-Token": "nope"})
    assert wrong_header.status_code == 403 and "CSRF" in wrong_header.text
    assert client.post("/meetings", data={**body, "csrf": token}).status_code == 303
    assert (
        client.post("/meetings", data=body, headers={"X-CSRF-Token": token}).status_code
        == 303
    )


def test_another_session_s_token_does_not_do(sqlite_web: Web) -> None:
    mine = sqlite_web.client("officer")
    other = TestClient(sqlite_web.app, follow_redirects=False)
    sign_in(other, "zhang")
    theirs = csrf_of(other.get("/meetings").text)
    body = {"title": "会议", "meeting_on": "2025-01-02", "csrf": theirs}
    assert mine.post("/meetings", data=body).status_code == 403


def test_the_login_form_has_its_own_csrf_check(sqlite_web: Web) -> None:
    client = sqlite_web.client(None)
    client.get("/login")
    forged = client.post(
        "/login", data={"name": "zhang", "password": PASSWORD, "csrf": "forged"}
    )
    assert forged.status_code == 403 and SESSION_COOKIE not in forged.cookies


def test_session_cookie_flags_and_logout_ends_the_session(sqlite_web: Web) -> None:
    client = TestClient(sqlite_web.app, follow_redirects=False)
    response = sign_in(client, "li")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert (
        "Secure" not in cookie
    )  # plain HTTP here; behind HTTPS (or --secure-cookies) Secure
    stolen = client.cookies.get(SESSION_COOKIE)
    client.post(
        "/logout", headers={"X-CSRF-Token": csrf_of(client.get("/account").text)}
    )
    replay = TestClient(sqlite_web.app, follow_redirects=False)
    replay.cookies.set(SESSION_COOKIE, stolen)
    assert replay.get("/pipeline").status_code == 303  # the session is gone server-side
    forged = TestClient(sqlite_web.app, follow_redirects=False)
    forged.cookies.set(SESSION_COOKIE, stolen[:-3] + "abc")  # a bad signature
    assert forged.get("/pipeline").status_code == 303


def test_secure_cookies_behind_https_or_when_configured(tmp_path: Path) -> None:
    web = make_web(str(tmp_path / "r.db"), tmp_path / "data", secure_cookies=True)
    plain = TestClient(web.app, follow_redirects=False)
    assert "Secure" in plain.get("/login").headers["set-cookie"]  # even on plain HTTP
    web.app.state.register.close()
    other = make_web(str(tmp_path / "r2.db"), tmp_path / "data2")
    https = TestClient(other.app, follow_redirects=False, base_url="https://testserver")
    assert "Secure" in sign_in(https, "li").headers["set-cookie"]
    other.app.state.register.close()


def test_login_attempts_are_limited_by_name(sqlite_web: Web) -> None:
    client = sqlite_web.client(None)
    for _ in range(5):
        page = client.get("/login")
        bad = client.post(
            "/login",
            data={
                "name": "li",
                "password": "wrong password!",
                "csrf": csrf_of(page.text),
            },
        )
        assert bad.status_code == 401 and "用户名或密码不正确" in bad.text
    page = client.get("/login")
    right = client.post(
        "/login", data={"name": "li", "password": PASSWORD, "csrf": csrf_of(page.text)}
    )
    assert (
        right.status_code == 429 and "15 分钟" in right.text
    )  # even the right password now
    assert sqlite_web.app.state.accounts.audit_entries("login_failed")[0] == 5
    # another name from elsewhere is not held up by li's failures... from the same
    # address it counts towards the address's limit (20), not yet reached
    page = client.get("/login")
    other = client.post(
        "/login",
        data={"name": "zhang", "password": PASSWORD, "csrf": csrf_of(page.text)},
    )
    assert other.status_code == 303


def test_a_wrong_name_and_a_wrong_password_read_alike(sqlite_web: Web) -> None:
    client = sqlite_web.client(None)
    texts = []
    for name in ("li", "nobody-here"):
        page = client.get("/login")
        texts.append(
            client.post(
                "/login",
                data={
                    "name": name,
                    "password": "wrong password!",
                    "csrf": csrf_of(page.text),
                },
            ).status_code
        )
    assert texts == [401, 401]


def test_next_never_leaves_the_site(sqlite_web: Web) -> None:
    client = sqlite_web.client(None)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        page = client.get("/login", params={"next": target})
        response = client.post(
            "/login",
            data={
                "name": "wang",
                "password": PASSWORD,
                "csrf": csrf_of(page.text),
                "next": target,
            },
        )
        assert response.headers["location"] == "/"
        assert (
            client.get("/lang", params={"to": "en", "next": target}).headers["location"]
            == "/"
        )
        client.post(
            "/logout", headers={"X-CSRF-Token": csrf_of(client.get("/account").text)}
        )


def test_every_response_carries_the_security_headers(sqlite_web: Web) -> None:
    for path, client in (
        ("/login", sqlite_web.client(None)),
        ("/pipeline", sqlite_web.client("li" and "committee")),
    ):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
    static = sqlite_web.client(None).get("/static/htmx.min.js")
    assert static.status_code == 200 and "cache-control" not in static.headers
    assert (
        static.text.startswith("/*! htmx 2.0.11") and "Zero-Clause BSD" in static.text
    )


def _upload(client: Any, name: str, content: bytes, **data: str) -> Any:
    token = csrf_of(client.get("/account").text)
    return client.post(
        "/batches",
        files={"file": (name, io.BytesIO(content), "application/octet-stream")},
        data={"csrf": token, "ruleset": "national", **data},
    )


def test_an_upload_past_its_size_is_refused_before_it_is_read(tmp_path: Path) -> None:
    web = make_web(
        str(tmp_path / "r.db"),
        tmp_path / "data",
        max_upload_bytes=10_000,
        pdf_browser=None,
    )
    client = web.client("officer")
    big = _upload(client, "big.csv", b"name,company\n" + b"x" * 200_000)
    assert big.status_code == 413 and "上限" in big.text
    api = web.client(None).post(
        "/api/v1/batches",
        headers=web.api("officer"),
        files={"file": ("big.csv", io.BytesIO(b"a" * 200_000), "text/csv")},
    )
    assert api.status_code == 413 and api.json()["errors"][0]["message"]
    # a JSON request past its own bound (1 MiB by default) is refused the same way
    screen = web.client(None).post(
        "/api/v1/screenings",
        headers={**web.api("officer"), "Content-Type": "application/json"},
        content=b'{"project": {"name": "' + b"x" * (2 << 20) + b'"}}',
    )
    assert screen.status_code == 413
    assert list((tmp_path / "data" / "batches").glob("*/input*")) == []  # nothing kept
    web.app.state.register.close()


def test_an_upload_of_another_type_is_refused_and_its_name_never_used(
    sqlite_web: Web,
) -> None:
    client = sqlite_web.client("officer")
    refused = _upload(client, "report.exe", b"MZ")
    assert refused.status_code == 422 and "不支持的文件类型" in refused.text
    sneaky = _upload(
        client, "../../../../tmp/evil.csv", "项目名称,企业名称\n甲,乙\n".encode()
    )
    assert sneaky.status_code == 303
    key = sneaky.headers["location"].rsplit("/", 1)[1]
    folder = sqlite_web.data / "batches" / key
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("input")) == [
        "input.csv"
    ]
    job = sqlite_web.app.state.jobs.get(key)
    assert job is not None and job["filename"] == "evil.csv"  # shown, never a path
    assert not Path("/tmp/evil.csv").exists()


@pytest.mark.parametrize("suffix", [".xlsx"])
def test_a_spreadsheet_bomb_is_refused_by_the_batch_bounds(
    sqlite_web: Web, suffix: str
) -> None:
    """A sheet that inflates a thousandfold is refused (screening.io's bounds), the
    page says why, and nothing is stored."""
    import zipfile

    from tests.web.conftest import wait_job

    buffer = io.BytesIO()
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>0</t></is></c></row>'
        for i in range(1, 2)
    )
    blank = "<row/>" * 3_000_000  # ~18 MB of XML that compresses to a few KB
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{OX}/'
        f'spreadsheetml/2006/main"><sheetData>{rows}{blank}</sheetData></worksheet>'
    )
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    rels = f"{OX}/officeDocument/2006/relationships"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0"?><Types xmlns="{OX}/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            f'ContentType="{sheet_type}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{sheet_type}.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{OX}/package/2006/'
            f'relationships"><Relationship Id="rId1" Type="{rels}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{OX}/spreadsheetml/2006/main" '
            f'xmlns:r="{rels}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{OX}/package/2006/'
            f'relationships"><Relationship Id="rId1" Type="{rels}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    client = sqlite_web.client("officer")
    response = _upload(client, "bomb" + suffix, buffer.getvalue())
    assert response.status_code == 303
    job = wait_job(sqlite_web, response.headers["location"].rsplit("/", 1)[1])
    assert job["status"] == "failed" and (
        "zip bomb" in job["error"] or "炸弹" in job["error"] or "倍" in job["error"]
    ), job["error"]
    assert sqlite_web.app.state.register.leads()[0] == 0
    page = client.get(response.headers["location"]).text
    assert "未能完成" in page


def test_too_many_rows_are_refused(tmp_path: Path) -> None:
    from tests.web.conftest import wait_job

    web = make_web(
        str(tmp_path / "r.db"), tmp_path / "data", max_rows=3, pdf_browser=None
    )
    rows = "项目名称,企业名称,总投资（万元）\n" + "".join(
        f"项目{i},公司{i},{1000 + i}\n" for i in range(5)
    )
    response = _upload(web.client("officer"), "five.csv", rows.encode())
    job = wait_job(web, response.headers["location"].rsplit("/", 1)[1])
    assert (
        job["status"] == "failed" and "超过 3 行（本次读取的上限）" in job["error"]
    ), job["error"]
    assert "Excel" not in job["error"]  # the upload's bound is not Excel's
    assert web.app.state.register.leads()[0] == 0
    web.app.state.register.close()


def test_the_api_needs_a_token(sqlite_web: Web) -> None:
    client = sqlite_web.client(None)
    assert client.get("/api/v1/leads").status_code == 401
    assert (
        client.get(
            "/api/v1/leads", headers={"Authorization": "Bearer nope"}
        ).status_code
        == 401
    )
    assert (
        client.get("/api/v1/leads", headers={"Authorization": "Basic x"}).status_code
        == 401
    )
    assert (
        client.get("/api/v1/leads", headers=sqlite_web.api("committee")).status_code
        == 200
    )
    # a session cookie is not an API credential (no CSRF on token requests)
    browser = sqlite_web.client("committee")
    assert browser.get("/api/v1/leads").status_code == 401
    assert LOGIN_COOKIE  # (the login form's cookie name is a constant of auth)


def test_ids_and_pages_past_sql_s_integers_are_refused_not_errors(
    sqlite_web: Web,
) -> None:
    """Found by schemathesis: an id past BIGINT reached the driver (a 500)."""
    huge = str(2**63)
    api = sqlite_web.client(None)
    answer = api.get(f"/api/v1/screenings/{huge}", headers=sqlite_web.api("committee"))
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"]
    member = sqlite_web.client("committee")
    assert member.get(f"/meetings/{huge}").status_code == 422
    assert member.get(f"/meetings/{huge}/print").status_code == 422
    assert member.get("/pipeline", params={"page": "1" + "0" * 20}).status_code == 200


def test_an_unrouted_api_path_answers_in_the_api_s_error_form(sqlite_web: Web) -> None:
    """Found by schemathesis: a lead key with a newline matched no route, and the 404
    came in the framework's form, not the documented one."""
    api = sqlite_web.client(None)
    answer = api.post(
        "/api/v1/leads/a%0Ab/stages",
        json={"stage": "签约", "on": "2025-01-02"},
        headers=sqlite_web.api("officer"),
    )
    assert answer.status_code == 404 and answer.json()["errors"][0]["message"]
