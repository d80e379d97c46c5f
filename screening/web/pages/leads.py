"""The lead form: every field with its title, unit and help line; screened by the CLI's
own validation and screener, stored in the register, then the decision page."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from screening.errors import ScreeningError
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
from screening.web.service import ScreeningService
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


def _form(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str],
    ref: str,
    as_of: str,
    status: int = 200,
    general: list[str] | None = None,
) -> Response:
    day = _day(as_of) or dt.date.today()
    extra, problem = _extra_fields(request, ref, day)
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
    )


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/leads/new", dependencies=[allow({OFFICER})], response_class=HTMLResponse)
def new_lead(
    request: Request, ruleset: str = DEFAULT_RULES, source: str = ""
) -> Response:
    """The empty form, or one with a stored lead's values (to screen it again)."""
    values: dict[str, str] = {}
    if source:
        lead = register(request).lead(source)
        current = current_screening(lead)
        if current is not None:
            values = form_values(current["values"])
        values.setdefault("id", lead["key"])
    return _form(request, values, {}, ruleset, "")


@router.get(
    "/leads/new/fields", dependencies=[allow({OFFICER})], response_class=HTMLResponse
)
def rule_set_fields(
    request: Request, ruleset: str = DEFAULT_RULES, as_of: str = ""
) -> Response:
    """The rule set's own fields (htmx swaps them in when the rule set changes)."""
    extra, problem = _extra_fields(request, ruleset, _day(as_of) or dt.date.today())
    groups = grouped(extra)
    return render(
        request,
        "lead_extra.html.j2",
        groups=groups,
        values={},
        errors={},
        problem=problem,
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
    extra, _ = _extra_fields(request, ref, day)
    data = project_data(form, model_fields() + extra)
    try:
        screened = service(request).screen(data, ref, day, lang)
    except ScreeningError as exc:
        errors, general = _by_field(exc)
        return _form(
            request, values, {**bad_day, **errors}, ref, as_of_text, 422, general
        )
    if bad_day:
        return _form(request, values, bad_day, ref, as_of_text, 422)
    try:
        key = request.app.state.writer.store(screened, actor(request), lang)
    except StoreRefused as exc:
        message = str(exc)
        errors = {"id": message, "company": message, "name": message}
        return _form(request, values, errors, ref, as_of_text, 422)
    return RedirectResponse(f"/leads/{quote(key, safe='')}?msg=screened", 303)


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
