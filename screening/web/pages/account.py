"""Signing in and out, the language switch, one's own account and the home page."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from screening.web.accounts import AccountError
from screening.web.auth import (
    EVERYONE,
    LANG_COOKIE,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SIGNED_IN,
    allow,
    client_ip,
    identify,
    is_https,
    login_refused,
    session_cookie,
)
from screening.web.pages import accounts, audit, local_path, who
from screening.web.prefix import public_path
from screening.web.views import MENU, lang_of, render

router = APIRouter(include_in_schema=False)


@router.get("/", dependencies=[allow(SIGNED_IN)])
def home(request: Request) -> Response:
    """Each role starts on its first page."""
    role = who(request).account.role
    return RedirectResponse(MENU[role][0][0], 303)


@router.get("/login", dependencies=[allow(EVERYONE)], response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    if identify(request) is not None:
        return RedirectResponse(local_path(next), 303)
    return _login_form(request, next)


def _login_form(
    request: Request,
    next: str,
    error: str | None = None,
    name: str = "",
    status: int = 200,
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html.j2",
        status=status,
        login_csrf=token,
        next=local_path(next),
        error=error,
        name=name,
        no_accounts=accounts(request).count() == 0,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path=public_path(request.scope, "/login"),
    )
    return response


@router.post("/login", dependencies=[allow(EVERYONE)])
def login(
    request: Request,
    name: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
    next: str = Form("/"),
) -> Response:
    lang = lang_of(request)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf, expected):
        return _login_form(
            request,
            next,
            _say(lang, "登录表单已过期，请重试", "the form expired; try again"),
            name,
            403,
        )
    store = accounts(request)
    if login_refused(request, name):
        store.audit(
            name[:100] or "?", "login_refused", name[:200], None, client_ip(request)
        )
        return _login_form(
            request,
            next,
            _say(
                lang,
                "登录失败次数过多，请 15 分钟后再试",
                "too many failed sign-ins; wait 15 minutes",
            ),
            name,
            429,
        )
    account = store.verify(name, password)
    if account is None:
        store.audit(
            name[:100] or "?",
            "login_failed",
            name.strip()[:200],
            None,
            client_ip(request),
        )
        return _login_form(
            request,
            next,
            _say(lang, "用户名或密码不正确", "wrong name or password"),
            name,
            401,
        )
    secret, _ = store.start_session(account, request.app.state.settings.session_hours)
    store.audit(account.name, "login", account.name, None, client_ip(request))
    response = RedirectResponse(local_path(next), 303)
    response.set_cookie(**session_cookie(request, secret))
    response.delete_cookie(LOGIN_COOKIE, path=public_path(request.scope, "/login"))
    return response


def _say(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


@router.post("/logout", dependencies=[allow(SIGNED_IN)])
def logout(request: Request) -> Response:
    identity = who(request)
    if identity.session:
        accounts(request).end_session(identity.session)
    audit(request, "logout", identity.account.name, None)
    response = RedirectResponse("/login?msg=signed_out", 303)
    response.delete_cookie(SESSION_COOKIE, path=public_path(request.scope, "/"))
    return response


@router.get("/lang", dependencies=[allow(EVERYONE)])
def switch_language(request: Request, to: str = "zh", next: str = "/") -> Response:
    """Remember the page language (a preference only) and go back."""
    response = RedirectResponse(local_path(next), 303)
    response.set_cookie(
        LANG_COOKIE,
        "en" if to == "en" else "zh",
        max_age=365 * 86400,
        samesite="lax",
        secure=is_https(request),
        path=public_path(request.scope, "/"),
    )
    return response


@router.get("/account", dependencies=[allow(SIGNED_IN)], response_class=HTMLResponse)
def account_page(request: Request) -> Response:
    return render(request, "account.html.j2", error=None)


@router.post("/account/password", dependencies=[allow(SIGNED_IN)])
def change_password(
    request: Request, current: str = Form(""), new: str = Form("")
) -> Response:
    me = who(request).account
    store = accounts(request)
    lang = lang_of(request)
    if store.verify(me.name, current) is None:
        return render(
            request,
            "account.html.j2",
            status=403,
            error=_say(lang, "当前密码不正确", "the current password is wrong"),
        )
    try:
        store.update(me.name, me.name, password=new)
    except AccountError as exc:
        return render(
            request, "account.html.j2", status=422, error=exc.diagnostics[0].message
        )
    # every session of the account ended with the new password: sign in again
    response = RedirectResponse("/login?msg=password", 303)
    response.delete_cookie(SESSION_COOKIE, path=public_path(request.scope, "/"))
    return response
