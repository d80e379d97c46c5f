"""Who may do what: every route of the app (pages and API, taken from the app itself) is
asked for by nobody and by each role, and the answer is held against the matrix below.

A route the matrix does not name fails the test: a new route needs its rule here (and
an `allow(...)` in the code, or the app does not start).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from screening.web.app import app_routes, rule_of
from tests.web.conftest import NAMES, ROLES, Web, csrf_of, sign_in

OFF, C, P, A = "officer", "committee", "policy", "admin"
READ = {OFF, C, P}
ANY = set(ROLES)
PUBLIC = "public"

# (method, path) → who may use it
MATRIX: dict[tuple[str, str], set[str] | str] = {
    ("GET", "/"): ANY,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): ANY,
    ("GET", "/lang"): PUBLIC,
    ("GET", "/account"): ANY,
    ("POST", "/account/password"): ANY,
    ("GET", "/leads/new"): {OFF},
    ("GET", "/leads/new/fields"): {OFF},
    ("POST", "/leads/new"): {OFF},
    ("GET", "/leads/{key:path}/print"): READ,
    ("GET", "/leads/{key:path}/pdf"): READ,
    ("GET", "/leads/{key:path}"): READ,
    ("POST", "/leads/{key:path}/stage"): {OFF},
    ("POST", "/leads/{key:path}/promise"): {OFF},
    ("POST", "/leads/{key:path}/actual"): {OFF},
    ("GET", "/batches"): READ,
    ("POST", "/batches"): {OFF},
    ("GET", "/batches/{key}"): READ,
    ("GET", "/batches/{key}/progress"): READ,
    ("GET", "/batches/{key}/{name}"): READ,
    ("GET", "/pipeline"): READ,
    ("GET", "/pipeline/export.xlsx"): READ,
    ("GET", "/kpi"): READ,
    ("GET", "/meetings"): READ,
    ("POST", "/meetings"): {OFF, C},
    ("GET", "/meetings/{meeting_id}"): READ,
    ("POST", "/meetings/{meeting_id}/items"): {OFF, C},
    ("POST", "/meetings/{meeting_id}/items/remove"): {OFF, C},
    ("POST", "/meetings/{meeting_id}/decisions"): {C},
    ("GET", "/meetings/{meeting_id}/print"): READ,
    ("GET", "/meetings/{meeting_id}/pdf"): READ,
    ("GET", "/rulesets"): READ,
    ("GET", "/rulesets/show"): READ,
    ("POST", "/rulesets/drafts"): {P},
    ("GET", "/rulesets/drafts/{key}"): {P},
    ("POST", "/rulesets/drafts/{key}/impact"): {P},
    ("POST", "/rulesets/drafts/{key}/adopt"): {P},
    ("GET", "/admin/accounts"): {A},
    ("POST", "/admin/accounts"): {A},
    ("POST", "/admin/accounts/{name}"): {A},
    ("GET", "/admin/tokens"): {A},
    ("POST", "/admin/tokens"): {A},
    ("POST", "/admin/tokens/{token_id}/revoke"): {A},
    ("GET", "/admin/audit"): {A},
    # the JSON API
    ("GET", "/api/v1/health"): PUBLIC,
    ("GET", "/api/v1/whoami"): ANY,
    ("POST", "/api/v1/screenings"): {OFF},
    ("GET", "/api/v1/screenings/{screening_id}"): READ,
    ("POST", "/api/v1/batches"): {OFF},
    ("GET", "/api/v1/batches/{key}"): READ,
    ("GET", "/api/v1/batches/{key}/reports/{name}"): READ,
    ("GET", "/api/v1/leads"): READ,
    ("GET", "/api/v1/leads/{key:path}"): READ,
    ("POST", "/api/v1/leads/{key:path}/stages"): {OFF},
    ("POST", "/api/v1/leads/{key:path}/committee"): {C},
    ("GET", "/api/v1/kpis"): READ,
    ("GET", "/api/v1/rulesets"): READ,
    ("GET", "/api/v1/ruleset"): READ,
    # FastAPI's own: the OpenAPI document and its viewer
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
}
DENIED = "当前角色无权访问"
# path parameters, filled with values that exist where it matters little
VALUES = {"key": "TEST-1", "meeting_id": "1", "screening_id": "1", "token_id": "1",
          "name": "report.xlsx", "key:path": "TEST-1"}  # fmt: skip
ENDS_SESSION = {("POST", "/logout"), ("POST", "/account/password")}


def routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) the app answers (HEAD, OPTIONS and static files aside)."""
    out = []
    for route in app_routes(app.routes):
        if isinstance(route, Mount):
            assert route.path == "/static", f"unexpected mount {route.path}"
            continue
        assert isinstance(route, (APIRoute, Route)), route
        for method in sorted(route.methods or ()):
            if method not in ("HEAD", "OPTIONS"):
                out.append((method, route.path))
    return out


def concrete(path: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: VALUES[m.group(1)], path)


def test_every_route_has_a_rule_in_the_matrix_and_in_the_code(sqlite_web: Web) -> None:
    found = routes(sqlite_web.app)
    assert sorted(set(found) - set(MATRIX)) == [], "routes without a rule in MATRIX"
    assert sorted(set(MATRIX) - set(found)) == [], "rules for routes that do not exist"
    for route in app_routes(sqlite_web.app.routes):
        if isinstance(route, APIRoute):
            declared = rule_of(route)
            assert declared is not None, route.path
            for method in route.methods:
                expected = MATRIX[(method, route.path)]
                assert declared.roles == (None if expected == PUBLIC else expected), (
                    route.path
                )


def _ask(web: Web, role: str | None, method: str, path: str) -> Any:
    url = concrete(path)
    api = path.startswith("/api/")
    if api:
        client = web.client(None)
        return client.request(method, url, headers=web.api(role))
    if (method, path) in ENDS_SESSION and role is not None:
        from fastapi.testclient import TestClient

        client = TestClient(web.app, follow_redirects=False)
        sign_in(client, NAMES[role])
    else:
        client = web.client(role)
    headers = {}
    if method == "POST" and role is not None:
        headers["X-CSRF-Token"] = csrf_of(client.get("/account").text)
    return client.request(method, url, headers=headers)


def _refused(response: Any, role: str | None, path: str) -> bool:
    """Whether the access rule turned the request away (not the handler)."""
    if role is None:
        if path.startswith("/api/"):
            return response.status_code == 401
        return response.status_code == 303 and response.headers["location"].startswith(
            "/login"
        )
    return response.status_code == 403 and DENIED in response.text


@pytest.mark.parametrize("role", [None, *ROLES], ids=lambda r: r or "nobody")
def test_who_gets_in_matches_the_matrix(sqlite_web: Web, role: str | None) -> None:
    wrong = []
    for method, path in routes(sqlite_web.app):
        expected = MATRIX[(method, path)]
        allowed = expected == PUBLIC or (role is not None and role in expected)
        response = _ask(sqlite_web, role, method, path)
        assert response.status_code < 500, (method, path, response.text[:300])
        if _refused(response, role, path) == allowed:
            wrong.append((method, path, response.status_code, response.text[:120]))
    assert wrong == []


def test_the_policy_itself(sqlite_web: Web) -> None:
    """The rules that matter most, said plainly (the matrix could drift with the
    code)."""
    assert MATRIX[("POST", "/meetings/{meeting_id}/decisions")] == {C}  # only members
    assert MATRIX[("POST", "/api/v1/leads/{key:path}/committee")] == {C}
    assert (
        C not in MATRIX[("POST", "/leads/{key:path}/stage")]
    )  # members do not move stages
    assert A not in MATRIX[("GET", "/pipeline")]  # administrators manage accounts only
    assert MATRIX[("POST", "/rulesets/drafts/{key}/adopt")] == {P}
    assert all(MATRIX[(m, p)] == {A} for m, p in MATRIX if p.startswith("/admin/"))
