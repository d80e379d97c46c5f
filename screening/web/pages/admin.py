"""Administration: accounts and their roles, API tokens, and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from screening.web.accounts import AccountError
from screening.web.auth import ADMIN, allow
from screening.web.pages import RowId, accounts, actor
from screening.web.views import render

router = APIRouter(include_in_schema=False)
ONLY = {ADMIN}
AUDIT_PAGE = 100


def _accounts_page(
    request: Request, error: str | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "admin_accounts.html.j2",
        status=status,
        accounts_list=accounts(request).list(),
        error=error,
    )


@router.get("/admin/accounts", dependencies=[allow(ONLY)], response_class=HTMLResponse)
def accounts_page(request: Request) -> Response:
    return _accounts_page(request)


@router.post("/admin/accounts", dependencies=[allow(ONLY)])
async def create_account(request: Request) -> Response:
    form = await request.form()
    try:
        accounts(request).create(
            str(form.get("name") or ""),
            str(form.get("role") or ""),
            str(form.get("password") or ""),
            actor(request),
            display_name=str(form.get("display_name") or "") or None,
        )
    except AccountError as exc:
        return _accounts_page(request, exc.diagnostics[0].message, 422)
    return RedirectResponse("/admin/accounts?msg=account", 303)


@router.post("/admin/accounts/{name}", dependencies=[allow(ONLY)])
async def update_account(request: Request, name: str) -> Response:
    """Change a role, disable or enable, or set a new password (sessions end)."""
    form = await request.form()
    password = str(form.get("password") or "")
    try:
        accounts(request).update(
            name,
            actor(request),
            role=str(form.get("role") or "") or None,
            active=None if "active" not in form else form.get("active") == "1",
            password=password or None,
        )
    except AccountError as exc:
        return _accounts_page(request, exc.diagnostics[0].message, 422)
    return RedirectResponse("/admin/accounts?msg=account", 303)


@router.get("/admin/tokens", dependencies=[allow(ONLY)], response_class=HTMLResponse)
def tokens_page(request: Request) -> Response:
    return render(
        request,
        "admin_tokens.html.j2",
        tokens=accounts(request).tokens(),
        accounts_list=accounts(request).list(),
        created=None,
        error=None,
    )


@router.post("/admin/tokens", dependencies=[allow(ONLY)])
async def create_token(request: Request) -> Response:
    """A token for a machine client, shown once on this page and never again."""
    form = await request.form()
    store = accounts(request)
    try:
        secret = store.create_token(
            str(form.get("account") or ""), str(form.get("label") or ""), actor(request)
        )
    except AccountError as exc:
        return render(
            request,
            "admin_tokens.html.j2",
            status=422,
            tokens=store.tokens(),
            accounts_list=store.list(),
            created=None,
            error=exc.diagnostics[0].message,
        )
    return render(
        request,
        "admin_tokens.html.j2",
        tokens=store.tokens(),
        accounts_list=store.list(),
        created=secret,
        error=None,
    )


@router.post("/admin/tokens/{token_id}/revoke", dependencies=[allow(ONLY)])
def revoke_token(request: Request, token_id: RowId) -> Response:
    accounts(request).revoke_token(token_id, actor(request))
    request.app.state.tokens.clear()
    return RedirectResponse("/admin/tokens?msg=revoked", 303)


@router.get("/admin/audit", dependencies=[allow(ONLY)], response_class=HTMLResponse)
def audit_page(
    request: Request, action: str = "", who: str = "", page: int = 1
) -> Response:
    page = max(1, page)
    total, entries = accounts(request).audit_entries(
        action or None, who or None, AUDIT_PAGE, (page - 1) * AUDIT_PAGE
    )
    return render(
        request,
        "admin_audit.html.j2",
        entries=entries,
        total=total,
        page=page,
        pages=max(1, (total + AUDIT_PAGE - 1) // AUDIT_PAGE),
        action=action,
        who=who,
    )
