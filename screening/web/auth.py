"""Who is asking and whether they may: sessions, API tokens, CSRF, login limits.

Every route declares who may use it with `allow(...)` (a dependency carrying its roles
as data; `tests/web/test_access.py` walks every route of the app against a matrix and
fails for a route without one). Pages know a person by a signed session cookie
(itsdangerous; HttpOnly, SameSite=Lax, Secure behind HTTPS) naming a session stored in
the register's database; API clients by a bearer token. A form that changes anything
carries the session's CSRF token (a field, or the X-CSRF-Token header htmx sends).
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from screening.register.schema import ROLES
from screening.register.store import utc_now
from screening.web.accounts import Account, AccountStore
from screening.web.prefix import public_path, route_path

SESSION_COOKIE = "screening_session"
LOGIN_COOKIE = "screening_login"  # the CSRF token of the login form (double submit)
LANG_COOKIE = "screening_lang"
OFFICER, COMMITTEE, POLICY, ADMIN = ROLES
EVERYONE: frozenset[str] | None = None  # signed in or not
SIGNED_IN = frozenset(ROLES)
READERS = frozenset({OFFICER, COMMITTEE, POLICY})  # the pipeline, leads, KPIs
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class NotSignedIn(Exception):
    """A page asked for by nobody signed in (sent to the login page)."""


@dataclass
class Identity:
    """Who a request comes from: the account, how it proved it, its CSRF token."""

    account: Account
    via: str  # "session" or "token"
    csrf: str | None = None
    session: str | None = None


class Allow:
    """A route's rule: the roles that may use it (None: everyone, signed in or not)."""

    def __init__(self, roles: Iterable[str] | None) -> None:
        self.roles = None if roles is None else frozenset(roles)

    async def __call__(self, request: Request) -> Identity | None:
        identity = identify(request)
        request.state.identity = identity
        if self.roles is None:
            if (
                identity is not None
                and request.method in _UNSAFE
                and identity.via == "session"
            ):
                await check_csrf(request, identity)
            return identity
        api = is_api(request)
        if identity is None:
            if api:
                raise HTTPException(
                    401,
                    "需要登录或 API 令牌 / sign in or give an API token",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            raise NotSignedIn()
        if identity.account.role not in self.roles:
            raise HTTPException(403, "当前角色无权访问 / your role may not do this")
        if request.method in _UNSAFE and identity.via == "session":
            await check_csrf(request, identity)
        return identity


def allow(roles: Iterable[str] | None) -> Any:
    """`Depends(Allow(roles))`, for a route's `dependencies=[…]`."""
    from fastapi import Depends

    return Depends(Allow(roles))


def signer(request: Request) -> URLSafeTimedSerializer:
    return request.app.state.signer  # type: ignore[no-any-return]


def store(request: Request) -> AccountStore:
    return request.app.state.accounts  # type: ignore[no-any-return]


def is_api(request: Request) -> bool:
    """Whether a request is for the JSON API (its path below the prefix, read without
    building the URL)."""
    return route_path(request.scope).startswith("/api/")


def identify(request: Request) -> Identity | None:
    """Who asks: a bearer token for /api/, the session cookie elsewhere."""
    cached = getattr(request.state, "identity_done", False)
    if cached:
        return request.state.identity  # type: ignore[no-any-return]
    identity = None
    if is_api(request):
        identity = token_identity(
            request.app.state, request.headers.get("authorization", "")
        )
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            max_age = int(request.app.state.settings.session_hours * 3600)
            try:
                secret = signer(request).loads(cookie, max_age=max_age, salt="session")
            except BadSignature:
                secret = None
            if isinstance(secret, str):
                found = store(request).session(secret)
                if found is not None:
                    identity = Identity(found[0], "session", found[1], secret)
    request.state.identity = identity
    request.state.identity_done = True
    return identity


def token_identity(state: Any, header: str) -> Identity | None:
    """Who an API request's `Authorization: Bearer <token>` names (None: nobody);
    `state` is the app's (its accounts and token cache)."""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    account = state.tokens.account(state.accounts, token)
    return None if account is None else Identity(account, "token")


async def check_csrf(request: Request, identity: Identity) -> None:
    """A changing request from a session carries its CSRF token (field or header)."""
    given = request.headers.get("x-csrf-token")
    if not given:
        content = request.headers.get("content-type", "")
        if content.startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await request.form()
            value = form.get("csrf")
            given = value if isinstance(value, str) else None
    if (
        not given
        or not identity.csrf
        or not secrets.compare_digest(given, identity.csrf)
    ):
        raise HTTPException(
            403, "表单已过期或来源不明（CSRF），请刷新页面后重试 / CSRF check failed"
        )


def session_cookie(request: Request, secret: str) -> dict[str, Any]:
    """The Set-Cookie arguments of a new session."""
    return {
        "key": SESSION_COOKIE,
        "value": signer(request).dumps(secret, salt="session"),
        "max_age": int(request.app.state.settings.session_hours * 3600),
        "httponly": True,
        "samesite": "lax",
        "secure": is_https(request),
        "path": public_path(request.scope, "/"),
    }


def is_https(request: Request) -> bool:
    """Whether cookies should be Secure: HTTPS (as the proxy says), or configured so."""
    return bool(
        request.url.scheme == "https" or request.app.state.settings.secure_cookies
    )


def client_ip(request: Request) -> str | None:
    """The client's address (uvicorn takes X-Forwarded-For from trusted proxies)."""
    return request.client.host if request.client else None


def login_refused(request: Request, name: str) -> bool:
    """Whether too many recent failures (by name or by address) bar another try."""
    settings = request.app.state.settings
    since = utc_now() - dt.timedelta(seconds=settings.login_window)
    by_name, by_ip = store(request).recent_failures(name, client_ip(request), since)
    return bool(
        by_name >= settings.login_failures_per_name
        or by_ip >= settings.login_failures_per_ip
    )


class TokenCache:
    """Token → account, remembered for a few seconds per worker: a machine client's
    requests skip a database read each (a revoked token stops within `ttl`)."""

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._seen: dict[str, tuple[float, Account | None]] = {}

    def account(self, accounts: AccountStore, secret: str) -> Account | None:
        now = time.monotonic()
        hit = self._seen.get(secret)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        account = accounts.token_account(secret)
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[secret] = (now, account)
        return account

    def clear(self) -> None:
        self._seen.clear()
