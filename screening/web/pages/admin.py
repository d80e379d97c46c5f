"""Administration: accounts and their roles, API tokens, and the audit log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from screening.web.accounts import AccountError, role_label
from screening.web.auth import ADMIN, allow
from screening.web.pages import RowId, accounts, actor
from screening.web.views import amount, lang_of, render

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
    lang = lang_of(request)
    return render(
        request,
        "admin_audit.html.j2",
        entries=[shown_entry(e, lang) for e in entries],
        actions=[(code, _pick(pair, lang)) for code, pair in ACTIONS.items()],
        total=total,
        page=page,
        pages=max(1, (total + AUDIT_PAGE - 1) // AUDIT_PAGE),
        action=action,
        who=who,
    )


# --- the audit log in words -----------------------------------------------------------

ACTIONS = {  # every action the app records: (zh, en)
    "login": ("登录", "signed in"),
    "logout": ("退出登录", "signed out"),
    "login_failed": ("登录失败", "sign-in failed"),
    "login_refused": (
        "登录被拒（失败次数过多）",
        "sign-in refused (too many failures)",
    ),
    "account_created": ("新建账户", "account created"),
    "account_changed": ("修改账户", "account changed"),
    "token_created": ("签发 API 令牌", "API token issued"),
    "token_revoked": ("撤销 API 令牌", "API token revoked"),
    "stage": ("阶段变更", "stage moved"),
    "promise": ("记录签约承诺", "promise recorded"),
    "actual": ("记录实绩", "actual figures recorded"),
    "meeting_created": ("新建联席会议", "meeting created"),
    "agenda_changed": ("修改议程", "agenda changed"),
    "committee": ("委员会决定", "committee decision"),
    "batch_uploaded": ("上传批量筛查", "batch uploaded"),
    "draft_uploaded": ("上传规则集草稿", "draft rule set uploaded"),
    "draft_impact": ("草稿试算", "draft trial rescreen"),
    "ruleset_adopted": ("采用规则集", "rule set adopted"),
}
_DETAILS = {  # the keys of the actions' details: (zh, en)
    "role": ("角色", "role"),
    "active": ("状态", "state"),
    "password": ("密码", "password"),
    "label": ("用途", "label"),
    "from": ("原阶段", "from"),
    "stage": ("阶段", "stage"),
    "on": ("日期", "on"),
    "override": ("越级登记", "override"),
    "total_investment": ("总投资", "total investment"),
    "fixed_assets": ("固定资产投资", "fixed assets"),
    "fixed_assets_invested": ("固定资产投资到位", "fixed assets invested"),
    "invested": ("到位资金", "invested"),
    "land_mu": ("用地面积", "land"),
    "annual_output": ("年产值", "annual output"),
    "annual_tax": ("年税收", "annual tax"),
    "employees": ("就业人数", "employees"),
    "energy_tce": ("综合能耗", "energy use"),
    "start_by": ("开工期限", "start by"),
    "production_by": ("投产期限", "production by"),
    "reported_on": ("报告日期", "reported on"),
    "year": ("年度", "year"),
    "title": ("标题", "title"),
    "added": ("加入议程", "added"),
    "removed": ("移出议程", "removed"),
    "decision": ("决定", "decision"),
    "meeting": ("会议", "meeting"),
    "meeting_on": ("会议日期", "meeting on"),
    "note": ("说明", "note"),
    "file": ("文件", "file"),
    "park": ("园区", "park"),
    "leads": ("项目数", "leads"),
    "version": ("版本", "version"),
    "sha256": ("SHA-256", "SHA-256"),
    "made_current": ("设为当前结论", "made current"),
    "adoption": ("采用记录", "adoption"),
    "cases": ("用例数", "cases"),
    "failing_cases": ("未通过用例", "failing cases"),
}
_UNITS = {
    "total_investment": "万元",
    "fixed_assets": "万元",
    "fixed_assets_invested": "万元",
    "invested": "万元",
    "annual_output": "万元",
    "annual_tax": "万元",
    "land_mu": "亩",
    "energy_tce": "吨标准煤",
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def _detail_value(key: str, value: Any, lang: str) -> str | None:
    """One value of an entry's detail as text (None: nothing worth showing)."""
    if value is None or value in ("", "None"):
        return None
    if isinstance(value, list):
        return _pick(("、", ", "), lang).join(str(v) for v in value) or None
    if key == "role":
        return role_label(str(value), lang)
    if key == "active":
        return _pick(("启用", "active") if value else ("停用", "disabled"), lang)
    if key == "password" and value == "changed":
        return _pick(("已修改", "changed"), lang)
    if isinstance(value, bool) or value in ("True", "False"):
        return _pick(("是", "yes") if value in (True, "True") else ("否", "no"), lang)
    if key in _UNITS:
        try:
            return amount(value, _UNITS[key])
        except ArithmeticError:
            return str(value)
    if key in ("meeting", "adoption"):
        return f"#{value}"
    return str(value)


def shown_entry(entry: dict[str, Any], lang: str) -> dict[str, Any]:
    """An audit entry as the log page shows it: the action's label and its detail as
    labelled values (the lead it concerns is the target, not repeated)."""
    details = []
    for key, value in (entry.get("detail") or {}).items():
        if key == "lead" and value == entry.get("target"):
            continue
        if key == "override" and value in (False, "False"):
            continue  # an ordinary move: nothing to say
        text = _detail_value(key, value, lang)
        if text is not None:
            details.append((_pick(_DETAILS.get(key, (key, key)), lang), text))
    code = entry["action"]
    return {
        **entry,
        "label": _pick(ACTIONS.get(code, (code, code)), lang),
        "details": details,
    }
