"""The app's pages, one router module per area: account (sign in and out), leads,
decisions, batches, pipeline, committee, rule sets and admin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request

from screening.web.accounts import AccountStore
from screening.web.auth import Identity

# a stored row's id in a path: past SQL's BIGINT it is a 422, not a driver's overflow
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def who(request: Request) -> Identity:
    """The identity `allow(...)` established (a route for signed-in roles only)."""
    identity: Identity | None = request.state.identity
    assert identity is not None
    return identity


def actor(request: Request) -> str:
    """The name stored with what this request records."""
    return who(request).account.name


def accounts(request: Request) -> AccountStore:
    return request.app.state.accounts  # type: ignore[no-any-return]


def register(request: Request) -> Any:
    return request.app.state.register


def audit(
    request: Request, action: str, target: str | None, detail: dict[str, Any] | None
) -> None:
    """Record in the audit log who did `action` to `target`."""
    from screening.web.auth import client_ip

    accounts(request).audit(actor(request), action, target, detail, client_ip(request))


def local_path(target: str) -> str:
    """`target` if it is a path on this site (no scheme, no host), else "/"."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
