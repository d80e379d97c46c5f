"""Rendering pages: one Jinja2 environment (autoescape on, the report's templates
beside the app's, so the decision page embeds the very sheet `screen --format html`
prints), the language of a request, and what every page's template is given.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from screening.report.html import enum_label, label
from screening.report.html import sheet_views as report_sheet_views
from screening.web.accounts import ROLE_LABELS, role_label
from screening.web.auth import LANG_COOKIE, identify
from screening.web.prefix import root_of, route_path

LANGS = ("zh", "en")
# the pages each role finds in the menu, in order: (path, zh, en)
MENU = {
    "officer": (
        ("/leads/new", "录入项目", "New lead"),
        ("/batches", "批量筛查", "Batches"),
        ("/pipeline", "项目库", "Pipeline"),
        ("/kpi", "考核指标", "KPIs"),
        ("/meetings", "联席会议", "Committee"),
        ("/rulesets", "规则集", "Rule sets"),
    ),
    "committee": (
        ("/meetings", "联席会议", "Committee"),
        ("/pipeline", "项目库", "Pipeline"),
        ("/kpi", "考核指标", "KPIs"),
        ("/rulesets", "规则集", "Rule sets"),
    ),
    "policy": (
        ("/rulesets", "规则集", "Rule sets"),
        ("/pipeline", "项目库", "Pipeline"),
        ("/kpi", "考核指标", "KPIs"),
    ),
    "admin": (
        ("/admin/accounts", "账户", "Accounts"),
        ("/admin/tokens", "API 令牌", "API tokens"),
        ("/admin/audit", "审计日志", "Audit log"),
    ),
}
# short notices a redirect may ask for (?msg=…): never text from the request itself
NOTICES = {
    "screened": ("已筛查并存入项目库。", "Screened and stored in the register."),
    "stage": ("阶段已记录。", "Stage recorded."),
    "promise": ("签约承诺已记录。", "Promise recorded."),
    "actual": ("实绩已记录。", "Actual figures recorded."),
    "committee": ("委员会决定已记录。", "Committee decision recorded."),
    "meeting": ("会议已创建。", "Meeting created."),
    "agenda": ("议程已更新。", "Agenda updated."),
    "password": ("密码已修改。", "Password changed."),
    "account": ("账户已保存。", "Account saved."),
    "revoked": ("令牌已撤销。", "Token revoked."),
    "adopted": ("规则集已采用。", "Rule set adopted."),
    "signed_out": ("已退出登录。", "Signed out."),
}


def environment() -> jinja2.Environment:
    """The app's templates first, then the report's (base layout, the sheet)."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.PackageLoader("screening.web", "templates"),
                jinja2.PackageLoader("screening.report", "templates"),
            ]
        ),
        autoescape=True,  # .j2 is not on select_autoescape's list: on for every file
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["amount"] = amount
    env.filters["day"] = day
    env.filters["moment"] = moment
    return env


def lang_of(request: Request) -> str:
    """The page language: ?lang=, else the language cookie, else Chinese."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return asked if asked in LANGS else "zh"


def amount(value: Any, unit: str = "万元") -> str:
    """An amount as the office reads it: 35,000 万元 (no trailing zeros)."""
    if value is None or value == "":
        return "—"
    number = Decimal(str(value))
    text = f"{number:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {unit}".strip()


def day(value: Any) -> str:
    """A date as YYYY-MM-DD (— when none)."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def moment(value: Any) -> str:
    """A stored UTC time as YYYY-MM-DD HH:MM UTC."""
    if value is None:
        return "—"
    return f"{value:%Y-%m-%d %H:%M} UTC"


def context(request: Request, **values: Any) -> dict[str, Any]:
    """What every page template is given, with `values`."""
    lang = lang_of(request)
    identity = identify(request)
    account = identity.account if identity else None

    def pick(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    notice = NOTICES.get(request.query_params.get("msg", ""))
    return {
        "request": request,
        "lang": lang,
        "L": pick,
        "account": account,
        "csrf": identity.csrf if identity and identity.csrf else "",
        "menu": MENU.get(account.role, ()) if account else (),
        "root": root_of(request.scope),  # before every path of the app
        "here": route_path(request.scope),
        "notice": pick(*notice) if notice else None,
        "role_label": lambda code: role_label(code, lang),
        "roles": list(ROLE_LABELS),
        "other_lang": "en" if lang == "zh" else "zh",
        "t": lambda key: label(key, lang),
        "enum": lambda group, value: enum_label(group, value, lang),
        "pdf": bool(request.app.state.settings.pdf_browser),
        **values,
    }


def render(
    request: Request, template: str, status: int = 200, **values: Any
) -> HTMLResponse:
    """A page from `template` with the common context and `values`."""
    env = request.app.state.templates
    html = env.get_template(template).render(context(request, **values))
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """A refusal or error as a page (the message escaped like everything else)."""
    return render(
        request, "error.html.j2", status=status, status_code=status, message=message
    )


def sheet_views(
    results: list[dict[str, Any]], lang: str, rulesets: list[Any]
) -> list[dict[str, Any]]:
    """Each result as the report's sheet macro shows it."""
    return report_sheet_views(results, lang, rulesets)


def ruleset_choices(request: Request) -> list[tuple[str, str]]:
    """Every rule set a user may pick, with its title:
    (reference, "reference — title")."""
    service = request.app.state.service
    lang = lang_of(request)
    out = []
    for ref in service.choices():
        try:
            title = service.ruleset(ref, dt.date.today()).title
            shown = (title.en or title.zh) if lang == "en" else title.zh
            out.append((ref, f"{ref} — {shown}"))
        except Exception:  # noqa: BLE001 - a local file that no longer loads: its id only
            out.append((ref, ref))
    return out


def adopted_rulesets(register: Any) -> dict[str, str]:
    """The adopted local rule sets: id → the file of its newest adoption."""
    from sqlalchemy import select

    from screening.register.schema import ruleset_adoptions

    with register.read() as conn:
        rows = conn.execute(
            select(ruleset_adoptions.c.ruleset_id, ruleset_adoptions.c.path).order_by(
                ruleset_adoptions.c.id
            )
        ).fetchall()
    return {r.ruleset_id: r.path for r in rows}
