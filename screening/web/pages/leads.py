"""The lead form: every field with its title, unit and help line; screened by the CLI's
own validation and screener, stored in the register, then the decision page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from screening.errors import ScreeningError
from screening.register.records import identity_of, project_id
from screening.web.auth import OFFICER, allow
from screening.web.fields import (
    form_values,
    grouped,
    model_fields,
    project_data,
    ruleset_fields,
)
from screening.web.pages import actor, register
from screening.web.pages.decisions import current_screening
from screening.web.service import LOCAL, ScreeningService
from screening.web.views import lang_of, render, ruleset_choices
from screening.web.writer import StoreRefused

router = APIRouter(include_in_schema=False)
DEFAULT_RULES = "national"


def service(request: Request) -> ScreeningService:
    return request.app.state.service  # type: ignore[no-any-return]


def _extra_fields(
    request: Request, ref: str, as_of: dt.date
) -> tuple[list[Any], str | None]:
    """The chosen rule set's own fields, or why it cannot be loaded."""
    try:
        ruleset = service(request).ruleset(ref, as_of)
    except ScreeningError as exc:
        return [], exc.diagnostics[0].message
    return ruleset_fields(ruleset.inputs), None


@dataclass(frozen=True)
class Source:
    """The stored lead a form edits: its current screening's rule set and values."""

    key: str
    name: str | None
    project_id: str | None  # the bureau's own id, never the register's key
    identity: str | None  # company + name, how a lead without an id is found
    ruleset: str  # the form's reference of that rule set ("" when none offered)
    shown: str  # that rule set as stored (its id, or the file it was given as)
    as_of: str  # the date it was screened as of, when not the day it was screened
    values: dict[str, str]


def _source(request: Request, key: str) -> Source | None:
    """The lead `key` as the form edits it (None without one)."""
    if not key:
        return None
    lead = register(request).lead(key)
    current = current_screening(lead)
    values = form_values(current["values"]) if current else {}
    values["id"] = lead["project_id"] or ""  # the lead's own id, not its key
    ref, shown, as_of = "", "", ""
    if current is not None:
        ref, shown = _ruleset_ref(request, current["ruleset"])
        on, at = str(current["as_of"] or "")[:10], str(current["screened_at"] or "")
        as_of = on if on and on != at[:10] else ""  # a date chosen, not "today"
    return Source(
        lead["key"],
        lead["name"],
        lead["project_id"],
        identity_of(lead["company"], lead["name"]),
        ref,
        shown,
        as_of,
        values,
    )


def _ruleset_ref(request: Request, stored: dict[str, Any]) -> tuple[str, str]:
    """A stored screening's rule set as the form's choice ("" when it offers none
    such) and as stored: a shipped id, or an adopted local rule set by its file, else
    by its id (adopted again since)."""
    svc = service(request)
    if stored["path"]:
        local = svc.local()
        for rid, path in local.items():
            if path == stored["path"]:
                return LOCAL + rid, stored["path"]
        return (LOCAL + stored["id"] if stored["id"] in local else ""), stored["path"]
    return (stored["id"] if stored["id"] in svc.shipped() else ""), stored["id"]


def _source_warnings(source: Source | None, ref: str, lang: str) -> list[str]:
    """What the page says when the edit would screen under another rule set than the
    lead's current screening (or that one is not offered)."""
    if source is None:
        return []
    if not source.ruleset:
        return [
            _say(
                lang,
                f"项目 {source.key} 当前的筛查所用规则集 {source.shown} 不在可选规则集中，"
                f"将按所选规则集 {ref} 重新筛查",
                f"the rule set of lead {source.key}'s current screening, "
                f"{source.shown}, is not offered here: it will be screened under "
                f"{ref}",
            )
        ]
    if ref == source.ruleset:
        return []
    return [
        _say(
            lang,
            f"注意：项目 {source.key} 当前的筛查按规则集 {source.ruleset}，"
            f"现选 {ref}，将按不同的规则集重新筛查，结果成为该项目的当前结论",
            f"note: lead {source.key} was screened under {source.ruleset}; it will be "
            f"screened under another rule set, {ref}, and that becomes its current "
            "decision",
        )
    ]


def _form(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str],
    ref: str,
    as_of: str,
    status: int = 200,
    general: list[str] | None = None,
    source: Source | None = None,
) -> Response:
    day = _day(as_of) or dt.date.today()
    extra, problem = _extra_fields(request, ref, day)
    warnings = _source_warnings(source, ref, lang_of(request))
    fields = model_fields() + extra
    known = {f.path for f in fields} | {"as_of", "ruleset"}
    # an error no field on the form shows (a whole block, say) goes above the form
    unplaced = [f"{k}: {v}" for k, v in errors.items() if k not in known]
    return render(
        request,
        "lead_form.html.j2",
        status=status,
        groups=grouped(fields),
        values=values,
        errors=errors,
        # the rule set's problem once, though the screening said it too
        general=list(
            dict.fromkeys([*(general or []), *unplaced, *filter(None, [problem])])
        ),
        choices=ruleset_choices(request),
        ruleset=ref,
        as_of=as_of,
        source=source,
        warnings=warnings,
        # the rule set the user was told of: a submit with it stands confirmed
        confirm_ruleset=ref if warnings else "",
    )


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/leads/new", dependencies=[allow({OFFICER})], response_class=HTMLResponse)
def new_lead(request: Request, ruleset: str = "", source: str = "") -> Response:
    """The empty form, or one with a stored lead's values (to screen it again): its
    current screening's rule set, date and every field, that rule set's own among
    them, and the lead's own project id."""
    lead = _source(request, source)
    if lead is None:
        return _form(request, {}, {}, ruleset or DEFAULT_RULES, "")
    ref = ruleset or lead.ruleset or DEFAULT_RULES
    return _form(request, dict(lead.values), {}, ref, lead.as_of, source=lead)


@router.get(
    "/leads/new/fields", dependencies=[allow({OFFICER})], response_class=HTMLResponse
)
def rule_set_fields(
    request: Request, ruleset: str = DEFAULT_RULES, as_of: str = "", source: str = ""
) -> Response:
    """The rule set's own fields (htmx swaps them in when the rule set changes): for
    an edited lead with its values, and a warning when it is not the lead's own."""
    extra, problem = _extra_fields(request, ruleset, _day(as_of) or dt.date.today())
    groups = grouped(extra)
    lead = _source(request, source)
    warnings = _source_warnings(lead, ruleset, lang_of(request))
    return render(
        request,
        "lead_extra.html.j2",
        groups=groups,
        values=lead.values if lead else {},
        errors={},
        problem=problem or (warnings[0] if warnings else None),
    )


@router.post("/leads/new", dependencies=[allow({OFFICER})])
async def screen_lead(request: Request) -> Response:
    """Screen the form's project, store it, and show its decision."""
    form = await request.form()
    ref = str(form.get("ruleset") or DEFAULT_RULES)
    as_of_text = str(form.get("as_of") or "").strip()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    lang = lang_of(request)
    day = _day(as_of_text)
    # a date that cannot be read is one error among the others: the project is still
    # checked (as of today) so that every field's error shows at once; nothing stored
    bad_day = (
        {"as_of": _say(lang, "应为日期，如 2025-06-30", "a date such as 2025-06-30")}
        if as_of_text and day is None
        else {}
    )
    day = day or dt.date.today()
    source = _source(request, str(form.get("source") or ""))
    extra, _ = _extra_fields(request, ref, day)
    data = project_data(form, model_fields() + extra)
    try:
        screened = service(request).screen(data, ref, day, lang)
    except ScreeningError as exc:
        errors, general = _by_field(exc)
        return _form(
            request,
            values,
            {**bad_day, **errors},
            ref,
            as_of_text,
            422,
            general,
            source,
        )
    if bad_day:
        return _form(request, values, bad_day, ref, as_of_text, 422, source=source)
    if _source_warnings(source, ref, lang) and form.get("confirm_ruleset") != ref:
        # another rule set than the lead's: said first, stored on the next submit
        return _form(request, values, {}, ref, as_of_text, 409, source=source)
    elsewhere, renamed = _elsewhere(request, source, values, lang)
    if elsewhere:
        return _form(request, values, elsewhere, ref, as_of_text, 422, source=source)
    try:
        key = request.app.state.writer.store(
            screened, actor(request), lang, lead=renamed
        )
    except StoreRefused as exc:
        message = str(exc)
        errors = {"id": message, "company": message, "name": message}
        return _form(request, values, errors, ref, as_of_text, 422, source=source)
    return RedirectResponse(f"/leads/{quote(key, safe='')}?msg=screened", 303)


def _elsewhere(
    request: Request, source: Source | None, values: dict[str, str], lang: str
) -> tuple[dict[str, str], str | None]:
    """Errors beside the id, company and name when an edit of `source` would be
    stored as another lead (the register finds a lead by its id, else by company +
    name): the edited lead keeps its screenings; a new lead is entered afresh. And the
    lead to store the edit on whatever its names say: a lead without an id renamed
    (a typo in its company fixed) stays itself, unless another lead has those names."""
    if source is None:
        return {}, None
    pid = project_id(values.get("id"))
    identity = identity_of(
        (values.get("company") or "").strip(), (values.get("name") or "").strip()
    )
    if source.project_id:
        same = pid == source.project_id or (pid is None and identity == source.identity)
        field = "id" if pid else "name"
    else:
        same = identity is not None and identity == source.identity
        field = "name"
        if not same and pid is None and identity is not None:
            other = register(request).lead_known_as(identity)
            if other is None or other == source.key:
                return {}, source.key
            message = _say(
                lang,
                f"项目 {other} 已使用这一企业名称与项目名称：改名后两个项目将无法区分",
                f"lead {other} already has this company and name: renamed so, the two "
                "leads could not be told apart",
            )
            return {"company": message, "name": message}, None
    if same:
        return {}, None
    message = _say(
        lang,
        f"这样会存为另一个项目，而不是项目 {source.key} 的新一次筛查"
        + (
            f"：本项目的项目编号为 {source.project_id}"
            if source.project_id
            else "：本项目没有项目编号，按企业名称与项目名称识别"
        )
        + "。录入新项目请用「录入项目」",
        f"this would be stored as another lead, not as a new screening of lead "
        f"{source.key}"
        + (
            f": its id is {source.project_id}"
            if source.project_id
            else ": it has no id and is known by its company and name"
        )
        + "; enter a new lead afresh",
    )
    if field == "id":
        return {"id": message}, None
    return {"company": message, "name": message}, None


def _by_field(exc: ScreeningError) -> tuple[dict[str, str], list[str]]:
    """Diagnostics beside their fields; those without one above the form."""
    errors: dict[str, str] = {}
    general: list[str] = []
    for d in exc.diagnostics:
        field = d.field or ""
        if field.startswith("industry"):
            field = "industry"
        if field:
            errors[field] = (
                f"{errors[field]}；{d.message}" if field in errors else d.message
            )
        else:
            general.append(d.message)
    return errors, general


def _say(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh
