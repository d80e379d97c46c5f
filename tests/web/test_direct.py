"""The hot route answered directly (`screening.web.direct`): a well-formed screening
from an officer's token gets the route's own answer, headers and bytes; every other
request is the FastAPI route's to answer, exactly as without the direct path."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from screening.register.db import NotFound
from tests.web.conftest import Web
from tests.web.test_api import _body

URL = "/api/v1/screenings"


@contextlib.contextmanager
def route_only(app: Any) -> Iterator[None]:
    """The app without the direct path for a while (its middleware stack rebuilt)."""
    from screening.web.direct import DirectScreening

    kept = list(app.user_middleware)
    app.user_middleware[:] = [m for m in kept if m.cls is not DirectScreening]
    app.middleware_stack = None
    try:
        yield
    finally:
        app.user_middleware[:] = kept
        app.middleware_stack = None


@pytest.fixture
def direct_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The accounts each direct answer was made for."""
    from screening.web import direct

    calls: list[str] = []
    real = direct.screened_response

    async def counted(state: Any, by: str, body: Any) -> Any:
        calls.append(by)
        return await real(state, by, body)

    monkeypatch.setattr(direct, "screened_response", counted)
    return calls


def _send(web: Web, kwargs: dict[str, Any]) -> tuple[int, list[Any], bytes]:
    response = web.client(None).post(URL, **kwargs)
    return (
        response.status_code,
        sorted(response.headers.multi_items()),
        response.content,
    )


def _project(project_id: str, **extra: object) -> dict[str, Any]:
    body = _body(**extra)
    body["project"]["id"] = project_id  # type: ignore[index]
    return body


def test_a_good_screening_is_answered_directly_as_the_route_answers(
    sqlite_web: Web, direct_calls: list[str]
) -> None:
    web = sqlite_web
    for n, extra in enumerate(({"store": False}, {"ruleset": "nowhere"}, {})):
        kwargs = {"json": _project(f"D-{n}", **extra), "headers": web.api("officer")}
        direct = _send(web, kwargs)
        with route_only(web.app):
            routed = _send(web, kwargs)  # the same project again: the same lead
        assert direct == routed, extra
        assert direct[0] == (422 if "ruleset" in extra else 200)
    assert direct_calls == ["zhang"] * 3
    assert web.app.state.register.lead("D-2") is not None


def test_a_stored_screening_is_in_the_register_before_its_200(
    sqlite_web: Web, direct_calls: list[str]
) -> None:
    response = sqlite_web.client(None).post(
        URL, json=_project("STORED-1"), headers=sqlite_web.api("officer")
    )
    assert response.status_code == 200 and response.headers["x-lead"] == "STORED-1"
    assert direct_calls == ["zhang"]
    (screening,) = sqlite_web.app.state.register.lead("STORED-1")["screenings"]
    line, same = sqlite_web.app.state.register.reproduce(screening["id"])
    assert same and line == response.content
    assert response.headers["content-security-policy"]  # the headers every page has


def _broken(web: Web) -> list[tuple[str, dict[str, Any]]]:
    officer = web.api("officer")
    bad_field = _body()
    bad_field["project"]["land"]["plot_ratio"] = -1  # type: ignore[index]
    json_type = {**officer, "Content-Type": "application/json"}
    return [
        ("no token", {"json": _body()}),
        ("another role", {"json": _body(), "headers": web.api("committee")}),
        ("unknown token", {"json": _body(), "headers": {"Authorization": "Bearer x"}}),
        ("not bearer", {"json": _body(), "headers": {"Authorization": "Basic eA=="}}),
        ("bad JSON", {"content": b"{not json", "headers": json_type}),
        ("a list", {"content": b"[1, 2]", "headers": json_type}),
        ("bad field", {"json": bad_field, "headers": officer}),
        ("unknown key", {"json": {**_body(), "rules": "x"}, "headers": officer}),
        ("text", {"content": b"{}", "headers": {**officer, "Content-Type": "text/x"}}),
    ]


def test_every_refusal_is_the_route_s_own(
    sqlite_web: Web, direct_calls: list[str]
) -> None:
    for case, kwargs in _broken(sqlite_web):
        direct = _send(sqlite_web, kwargs)
        with route_only(sqlite_web.app):
            routed = _send(sqlite_web, kwargs)
        assert direct == routed, case
        assert direct[0] in (400, 401, 403, 415, 422), case
        assert b'"errors"' in direct[2], case
    assert direct_calls == []  # none of them was answered directly


def test_a_json_type_with_parameters_goes_to_the_route(
    sqlite_web: Web, direct_calls: list[str]
) -> None:
    import json

    response = sqlite_web.client(None).post(
        URL,
        content=json.dumps(_project("CHARSET-1")).encode(),
        headers={
            **sqlite_web.api("officer"),
            "Content-Type": "application/json; charset=utf-8",
        },
    )
    assert response.status_code == 200 and direct_calls == []


def test_a_register_error_is_answered_by_the_app_s_handler(
    sqlite_web: Web, direct_calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused(*args: Any, **kwargs: Any) -> str:
        raise NotFound("项目库中没有 x / no such lead")

    monkeypatch.setattr(sqlite_web.app.state.writer, "stored", refused)
    kwargs = {"json": _project("ERR-1"), "headers": sqlite_web.api("officer")}
    direct = _send(sqlite_web, kwargs)
    with route_only(sqlite_web.app):
        routed = _send(sqlite_web, kwargs)
    assert direct == routed and direct[0] == 404
    assert direct_calls == ["zhang"]
