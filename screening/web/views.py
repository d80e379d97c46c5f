"""Rendering pages: one Jinja2 environment (autoescape on, the report's templates
beside the app's, so the decision page embeds the very sheet `screen --format html`
prints), the language of a request, and what every page's template is given.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from screening.register.render import COMMITTEE_EN
from screening.register.stages import STAGE_EN
from screening.report.explain import unit_label
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
    env.filters["score"] = score
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


def score(value: Any) -> str:
    """A score as the reports show it: 60, 62.5 (no trailing zeros; "" when none)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# a CJK character (the Chinese half of a "中文 / English" message has some, the
# English half none)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def says(message: str, lang: str) -> str:
    """A "中文 / English" message in the page's language: on English pages its English
    half (the text after the last " / " or "）/ " with no Chinese in it), on Chinese
    pages the whole message, Chinese first, as the CLI prints it."""
    if lang != "en":
        return message
    return halves(message)[1] or message


def halves(message: str) -> tuple[str, str | None]:
    """A "中文 / English" message's two halves (the English None when it has none)."""
    cut = message.rfind("/")
    while cut > 0:
        head, tail = message[:cut].rstrip(), message[cut + 1 :].strip()
        if (
            tail
            and _CJK.search(head)
            and not _CJK.search(tail)
            and (message[cut - 1] in "）)" or message[cut - 1].isspace())
        ):
            return head, tail
        cut = message.rfind("/", 0, cut)
    return message, None


def stage_label(stage: str | None, lang: str) -> str:
    """A stage as the page shows it: 签约 in Chinese, "signed" in English."""
    if not stage:
        return ""
    return STAGE_EN.get(stage, stage) if lang == "en" else stage


def committee_label(value: str | None, lang: str) -> str:
    """A committee decision as the page shows it: 同意 / "agreed"."""
    if not value:
        return ""
    return COMMITTEE_EN.get(value, value) if lang == "en" else value


def field_title(
    path: str, lang: str, declared: Mapping[str, tuple[str, str]] | None = None
) -> str:
    """A project field as the form labels it (总投资 for investment.total); a rule
    set's own input by its title in `declared`."""
    from screening.model.project import field_title as title

    return title(path, lang, declared)


def unit_suffix(unit: str | None, lang: str) -> str:
    """A field label's unit: （万元） on Chinese pages, " (×10k CNY)" on English ones."""
    if not unit:
        return ""
    return f" ({unit_label(unit, lang)})" if lang == "en" else f"（{unit}）"


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
        "stage": lambda value: stage_label(value, lang),
        "committee": lambda value: committee_label(value, lang),
        "say": lambda message: says(str(message), lang),
        "unit": lambda value: unit_suffix(value, lang),
        "field": lambda path: field_title(path, lang),
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


def error_page(
    request: Request,
    status: int,
    message: str,
    back: tuple[str, str, str] | None = None,
) -> HTMLResponse:
    """A refusal or error as a page (the message escaped like everything else), in
    the page's language, with a link back to where the user came from when given
    `back` = (path, zh, en)."""
    return render(
        request,
        "error.html.j2",
        status=status,
        status_code=status,
        message=says(message, lang_of(request)),
        back=back,
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
