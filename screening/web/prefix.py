"""The app under a path prefix (`screening serve --root-path /screening`), behind a
reverse proxy that passes the prefix on or strips it: both reach the same routes.

Routes are matched below the prefix (`route_path`); every path the app hands out —
links in pages (`root` in each template's context), redirects, cookie paths, report
links in the API's answers — is the prefix followed by the route's path.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)+")


def normal_prefix(text: str) -> str:
    """`text` as a prefix ("/screening"; "" for none), or ValueError saying why."""
    prefix = text.strip().rstrip("/")
    if prefix and not _PREFIX.fullmatch(prefix):
        raise ValueError(
            f"路径前缀须形如 /screening（字母、数字、. _ ~ -）：{text!r} / "
            "a prefix is like /screening"
        )
    return prefix


def route_path(scope: Scope) -> str:
    """The path as the app's routes match it (below the prefix, if any)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("/", ""):
        return path[len(root) :] or "/"
    return path


def root_of(scope: Scope) -> str:
    """The prefix of every path the app hands out ("" when it has none)."""
    return str(scope.get("root_path", ""))


def public_path(scope: Scope, path: str) -> str:
    """A path of the app (`/login`) as the browser asks for it: after the prefix."""
    return root_of(scope) + path


class UnderPrefix:
    """ASGI middleware, outermost: a request's path is put below the prefix (as the
    ASGI spec has it: `path` includes `root_path`), whether the proxy kept the prefix
    or stripped it; a redirect to a path of the app is given the prefix. The prefix
    is the configured one, else the server's `root_path` (uvicorn --root-path)."""

    def __init__(self, app: Any, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        prefix = self.prefix or scope.get("root_path", "")  # the server's, if any
        if not prefix:
            await self.app(scope, receive, send)
            return
        scope["root_path"] = prefix
        scope["path"] = prefix + route_path(scope)

        async def prefixed(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (name, _located(prefix, value) if name == b"location" else value)
                    for name, value in message.get("headers", ())
                ]
            await send(message)

        await self.app(scope, receive, prefixed)


def _located(prefix: str, location: bytes) -> bytes:
    """A redirect's target with the prefix, when it is a path of this app."""
    if location.startswith(b"/") and not location.startswith(b"//"):
        return prefix.encode() + location
    return location
