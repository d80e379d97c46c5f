"""schemathesis against the API's OpenAPI document, in-process (ASGI): generated
requests with each role's token get no 5xx, and every status, header and body they get
is the one the document describes. Short form by default; SCREENING_SLOW=1 runs more
examples per operation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.web.conftest import Web, make_web

SLOW = os.environ.get("SCREENING_SLOW") == "1"
# A project the JSON schema allows may still be refused, with a documented 422 naming
# the field: the schema cannot say "an id, or a company and a name", nor a rule set's
# own required inputs. Every other check runs (no 5xx, statuses, content types, headers
# and bodies as documented, negative data refused).
LAX = [schemathesis.checks.positive_data_acceptance]


@pytest.fixture(scope="module")
def api_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """One app for every generated request (a fresh app per example costs seconds)."""
    folder = tmp_path_factory.mktemp("schemathesis")
    made = make_web(str(folder / "register.db"), folder / "data", pdf_browser=None)
    yield made
    made.app.state.writer.close()
    made.app.state.register.close()


@pytest.fixture(scope="module")
def api_schema(api_web: Web) -> Any:
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", api_web.app)


def test_the_api_answers_as_its_openapi_document_says(
    api_schema: Any, api_web: Web
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 10
    for operation in operations:

        @settings(
            max_examples=60 if SLOW else 5,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def answers(case: Any) -> None:
            # each request with a write role's token, a read role's, and none
            for role in ("officer", "committee", None):
                case.call_and_validate(headers=api_web.api(role), excluded_checks=LAX)

        answers()


def test_the_schema_covers_every_api_route(api_web: Web) -> None:
    """The generated tests above reach every operation the API routes."""
    from fastapi.routing import APIRoute

    from screening.web.api import router

    routed = {
        (method.lower(), route.path.replace(":path}", "}"))  # as OpenAPI writes it
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    described = {
        (method, path)
        for path, methods in api_web.app.openapi()["paths"].items()
        for method in methods
    }
    assert routed and routed == described
