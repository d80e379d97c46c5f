"""A lead's decision page (the report's one-page sheet, the lead's screenings,
stages and events), its A4 print view and the PDF of that view."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from screening.register.db import RegisterError
from screening.register.schema import ENDINGS, STAGES
from screening.register.store import NOTE_LIMIT
from screening.report.explain import unit_label
from screening.report.html import render_project_html
from screening.web.auth import READERS, allow
from screening.web.fields import ACTUAL_FORM, PROMISE_FORM, Figure
from screening.web.pages import register
from screening.web.pdf import PdfError, html_to_pdf
from screening.web.views import (
    amount,
    day,
    field_title,
    lang_of,
    render,
    sheet_views,
)

router = APIRouter(include_in_schema=False)


def find_lead(request: Request, key: str) -> dict[str, Any]:
    """The lead, or a 404 page."""
    try:
        return register(request).lead(key)  # type: ignore[no-any-return]
    except RegisterError as exc:
        # the register's words name the CLI command that lists leads; the page has 项目库
        message = exc.diagnostics[0].message.replace(
            "（见 screening register list）", "（见项目库）"
        )
        raise HTTPException(404, message) from None


def current_screening(lead: dict[str, Any]) -> dict[str, Any] | None:
    """The screening that counts (see store.current_screenings), else the latest."""
    screenings: list[dict[str, Any]] = lead["screenings"]
    current = [s for s in screenings if s["current"]] or screenings[-1:]
    return current[0] if current else None


def contract_of(request: Request, screening_id: int) -> tuple[dict[str, Any], Any]:
    """A stored screening's contract in the page's language, and its rule set."""
    return request.app.state.service.stored_contract(  # type: ignore[no-any-return]
        register(request), screening_id, lang_of(request)
    )


def _chosen(
    request: Request, lead: dict[str, Any], screening: int | None
) -> dict[str, Any]:
    if screening is None:
        found = current_screening(lead)
        if found is None:
            raise HTTPException(404, "此项目尚无筛查记录 / the lead has no screening")
        return found
    screenings: list[dict[str, Any]] = lead["screenings"]
    for item in screenings:
        if item["id"] == screening:
            return item
    raise HTTPException(
        404, f"此项目没有筛查记录 {screening} / no such screening of the lead"
    )


@router.get(
    "/leads/{key:path}/print",
    dependencies=[allow(READERS)],
    response_class=HTMLResponse,
)
def print_view(request: Request, key: str, screening: int | None = None) -> Response:
    """The A4 sheet as `screening screen --format html` writes it."""
    lead = find_lead(request, key)
    chosen = _chosen(request, lead, screening)
    contract, ruleset = contract_of(request, chosen["id"])
    return HTMLResponse(render_project_html([contract], lang_of(request), [ruleset]))


@router.get("/leads/{key:path}/pdf", dependencies=[allow(READERS)])
def pdf_download(request: Request, key: str, screening: int | None = None) -> Response:
    """The print view as PDF, printed by the server's Chromium."""
    lead = find_lead(request, key)
    chosen = _chosen(request, lead, screening)
    contract, ruleset = contract_of(request, chosen["id"])
    html = render_project_html([contract], lang_of(request), [ruleset])
    try:
        pdf = html_to_pdf(html, request.app.state.settings.pdf_browser)
    except PdfError as exc:
        raise HTTPException(503, exc.diagnostics[0].message) from None
    return pdf_response(pdf, f"评估单-{lead['key']}.pdf")


def pdf_response(pdf: bytes, filename: str) -> Response:
    """A PDF download under a Chinese file name (RFC 5987), never a path of ours."""
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'attachment; filename="screening.pdf"; '
            f"filename*=UTF-8''{quote(filename, safe='')}"
        },
    )


@router.get(
    "/leads/{key:path}", dependencies=[allow(READERS)], response_class=HTMLResponse
)
def lead_page(request: Request, key: str, screening: int | None = None) -> Response:
    """The decision with its reasons and remedies, the lead's history and stages."""
    return lead_view(request, key, screening)


def lead_view(
    request: Request,
    key: str,
    screening: int | None = None,
    forms: dict[str, dict[str, Any]] | None = None,
    status: int = 200,
) -> Response:
    """The lead page; `forms` gives a refused form (stage, promise, actual) back its
    values as typed, its errors beside their fields and those of none above it."""
    lead = find_lead(request, key)
    sheet = None
    chosen = None
    if lead["screenings"]:
        chosen = _chosen(request, lead, screening)
        contract, ruleset = contract_of(request, chosen["id"])
        sheet = sheet_views([contract], lang_of(request), [ruleset])[0]
    lang = lang_of(request)
    events = [
        {**e, "figures": figures_shown(e["detail"], e["what"], lang)}
        for e in register(request).history(lead["key"])
    ]
    # a changed field the rule set declared (extra.NAME) by its title in that rule set
    declared = register(request).input_titles(lead["key"])
    empty: dict[str, Any] = {"values": {}, "errors": {}, "general": []}
    return render(
        request,
        "lead.html.j2",
        status=status,
        forms={name: {**empty, **(forms or {}).get(name, {})} for name in FORMS},
        promise_form=PROMISE_FORM,
        actual_form=ACTUAL_FORM,
        lead=lead,
        sheet=sheet,
        chosen=chosen,
        events=events,
        stages=STAGES,
        endings=ENDINGS,
        current=current_screening(lead),
        note_limit=NOTE_LIMIT,
        keypath=quote(lead["key"], safe=""),
        field=lambda path: field_title(path, lang, declared),
    )


FORMS = ("stage", "promise", "actual")
_BY_EVENT = {"promise": PROMISE_FORM, "actual": ACTUAL_FORM}


def figures_shown(
    detail: dict[str, Any], what: str, lang: str
) -> list[tuple[str, str]]:
    """A promise's or an actual's figures as the forms call them, with units and plain
    figures: (累计到位资金, 15,000 万元), (用地, 79.5 亩); [] for other events."""
    form = _BY_EVENT.get(what)
    if form is None:
        return []
    known = {f.name: f for f in form}
    out = []
    for name, value in detail.items():
        item = known.get(name) or Figure(name, name, name, "text")
        out.append((item.title(lang), _shown(value, item, lang)))
    return out


def _shown(value: Any, item: Figure, lang: str) -> str:
    if item.unit:
        return amount(value, unit_label(item.unit, lang))
    if item.kind == "date":
        return day(value)
    return str(value)
