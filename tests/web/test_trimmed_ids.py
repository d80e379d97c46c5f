"""Through the API an id is stripped as the register strips it: `"api-1 "` screens and
stores as the lead `api-1` (X-Lead: api-1), not a lead of its own."""

from __future__ import annotations

from tests.web.conftest import Web
from tests.web.test_api import _body


def test_an_id_with_a_trailing_space_is_the_same_lead(web: Web) -> None:
    client = web.client(None)
    for pid in ("api-1", "api-1 "):
        body = _body()
        body["project"]["id"] = pid  # type: ignore[index]
        response = client.post(
            "/api/v1/screenings", json=body, headers=web.api("officer")
        )
        assert response.status_code == 200, response.text
        assert response.headers["x-lead"] == "api-1"
    total, leads = web.app.state.register.leads()
    assert total == 1 and leads[0]["key"] == "api-1"


def test_an_id_of_only_spaces_is_no_id(web: Web) -> None:
    """Nor is it a key: two projects without company and name, their ids blank, are
    never stored as one lead (nor under a key of spaces)."""
    client = web.client(None)
    leads = []
    for employees in ("300", "301"):
        body = _body()
        project: dict[str, object] = body["project"]  # type: ignore[assignment]
        del project["company"]
        project["id"] = "   "
        project["output"] = {**project["output"], "employees": employees}  # type: ignore[dict-item]
        response = client.post(
            "/api/v1/screenings", json=body, headers=web.api("officer")
        )
        assert response.status_code in (200, 422), response.text
        if response.status_code == 200:
            leads.append(response.headers["x-lead"])
    assert all(key.strip() for key in leads) and len(set(leads)) == len(leads)
    assert {r["key"] for r in web.app.state.register.leads()[1]} == set(leads)


def test_an_id_of_only_spaces_is_refused_as_a_missing_id_is(web: Web) -> None:
    client = web.client(None)
    answers = []
    for pid in (None, "   "):
        body = _body()
        project: dict[str, object] = body["project"]  # type: ignore[assignment]
        del project["company"]
        if pid is None:
            del project["id"]
        else:
            project["id"] = pid
        response = client.post(
            "/api/v1/screenings", json=body, headers=web.api("officer")
        )
        answers.append((response.status_code, response.json()))
    assert answers[0][0] == 422 and answers[1] == answers[0]
    assert web.app.state.register.leads()[0] == 0
