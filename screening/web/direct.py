"""The API's hot route, `POST /api/v1/screenings`, answered on ASGI directly when all
is well: an officer's token, a JSON body that validates. Everything else goes on to
the FastAPI route, untouched.

Machine clients send this one request by the thousand. FastAPI's routing, dependency
solving and exception layers cost a worker more CPU than the screening's own
validation (profiled: about a third of a worker's time on the event loop). Here the
same checks run in the same order and the same `api.screened_response` answers, so
a 200 is what the route gives, byte for byte; and every refusal (no token, another
role, bad JSON, a field that does not validate, an oversized body) is left to the
route, which makes it exactly as before — the body read here is handed on to it.
The route stays the documented one (OpenAPI) and the one the access rules name.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request

from screening.web.api import ScreenRequest, screened_response
from screening.web.auth import token_identity
from screening.web.prefix import route_path

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PATH = "/api/v1/screenings"


class DirectScreening:
    """ASGI middleware: a well-formed screening from a role the route allows is
    answered here; any other request goes on to the app as it came."""

    def __init__(
        self,
        app: Any,
        state: Any,
        roles: frozenset[str],
        handlers: dict[Any, Callable[..., Any]],
    ) -> None:
        self.app = app
        self.state = state  # the app's: accounts, token cache, service, writer
        self.roles = roles  # the route's own `allow(...)` rule
        self.handlers = handlers  # the app's exception handlers, by class

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or route_path(scope) != PATH
        ):
            await self.app(scope, receive, send)
            return
        found: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in _WANTED and name not in found:  # the first, as Starlette reads
                found[name] = value
        if found.get(b"content-type") != b"application/json" or (
            b"content-length" not in found
        ):
            await self.app(scope, receive, send)
            return
        identity = token_identity(
            self.state, found.get(b"authorization", b"").decode("latin-1")
        )
        if identity is None or identity.account.role not in self.roles:
            await self.app(scope, receive, send)  # the route's 401 or 403
            return
        messages: list[Message] = []
        try:
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request" or not message.get("more_body"):
                    break
        except Exception as exc:  # noqa: BLE001 - the route meets it as it would have
            await self.app(scope, _replay(messages, exc, receive), send)
            return
        body = b"".join(m.get("body", b"") for m in messages)
        try:
            if messages[-1]["type"] != "http.request":  # the client went away
                raise ValueError
            request = ScreenRequest.model_validate(json.loads(body))
        # the route's 400 or 422, in its own words (JSON nested past the recursion
        # limit included: the route's reading meets it too, and says so)
        except (ValueError, ValidationError, RecursionError):
            await self.app(scope, _replay(messages, None, receive), send)
            return
        try:
            response = await screened_response(
                self.state, identity.account.name, request
            )
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                raise
            response = handler(Request(scope, receive), exc)
            if inspect.isawaitable(response):
                response = await response
        await response(scope, receive, send)

    def _handler(self, exc: Exception) -> Callable[..., Any] | None:
        """The app's handler of an error the route would have raised (as Starlette
        finds it: the nearest class), or None: a server error."""
        for kind in type(exc).__mro__:
            if kind in self.handlers:
                return self.handlers[kind]
        return None


_WANTED = frozenset({b"content-type", b"content-length", b"authorization"})


def _replay(messages: list[Message], error: Exception | None, receive: Receive) -> Any:
    """A `receive` that gives the messages already read again, then meets the error
    reading met (if any), then reads on."""
    waiting = list(messages)

    async def again() -> Message:
        if waiting:
            return waiting.pop(0)
        if error is not None:
            raise error
        return await receive()

    return again
