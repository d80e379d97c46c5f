"""The committee (联席会议): meetings and their agendas, the printed agenda (a summary,
then one sheet a lead), and each lead's decision (同意 / 不同意 / 暂缓) with a note.

A one-vote veto (一票否决) is shown as such: 同意 is not offered for a vetoed lead, and
the register refuses it whatever the form says, so no score can override it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import delete, func, select

from screening.register.db import NotFound, RegisterError
from screening.register.schema import COMMITTEE, leads, meeting_items, meetings
from screening.register.store import (
    NOTE_LIMIT,
    check_meeting_date,
    today,
    utc_now,
)
from screening.report.html import enum_label, label
from screening.web.auth import COMMITTEE as MEMBER
from screening.web.auth import OFFICER, READERS, allow
from screening.web.pages import RowId, actor, audit, register
from screening.web.pages.decisions import (
    contract_of,
    current_screening,
    find_lead,
    pdf_response,
)
from screening.web.pdf import PdfError, html_to_pdf
from screening.web.views import (
    committee_label,
    error_page,
    lang_of,
    render,
    sheet_views,
)

router = APIRouter(include_in_schema=False)
AGENDA = {OFFICER, MEMBER}  # the bureau prepares agendas with the committee


def _meeting(request: Request, meeting_id: int) -> dict[str, Any]:
    with register(request).read() as conn:
        row = conn.execute(select(meetings).where(meetings.c.id == meeting_id)).first()
        if row is None:
            raise HTTPException(404, f"没有会议 {meeting_id} / no such meeting")
        keys = conn.execute(
            select(leads.c.key)
            .join(meeting_items, meeting_items.c.lead_id == leads.c.id)
            .where(meeting_items.c.meeting_id == meeting_id)
            .order_by(meeting_items.c.position)
        ).fetchall()
    return {**dict(row._mapping), "keys": [k[0] for k in keys]}


def _taken_at(decision: dict[str, Any], meeting: dict[str, Any]) -> bool:
    """Whether a committee decision was taken at `meeting`. One recorded before
    decisions named their meeting is told by the meeting's day."""
    if decision["meeting_id"] is not None:
        return bool(decision["meeting_id"] == meeting["id"])
    return bool(decision["meeting_on"] == meeting["meeting_on"])


def _items(request: Request, meeting: dict[str, Any]) -> list[dict[str, Any]]:
    """Each lead on the agenda, its current screening and this meeting's decision."""
    out = []
    for key in meeting["keys"]:
        lead = register(request).lead(key)
        current = current_screening(lead)
        decided = [c for c in lead["committee_decisions"] if _taken_at(c, meeting)]
        # registered after the meeting's day: the register refuses its decision
        early = meeting["meeting_on"] < min(lead["registered_on"], today())
        lang = lang_of(request)
        vetoes = []
        if current is not None:  # by title: Chinese pages show titles, not ids
            titles = {
                f["rule"]: f["title"][lang] or f["rule"] for f in current["findings"]
            }
            vetoes = [titles.get(rule, rule) for rule in current["vetoed_by"]]
        out.append(
            {
                "lead": lead,
                "current": current,
                "vetoed": bool(vetoes),
                "vetoes": vetoes,
                "decided": decided[-1] if decided else None,
                # the decisions at this meeting it corrected, latest first (kept)
                "corrected": decided[-2::-1],
                "too_early": early,
                "keypath": quote(key, safe=""),
            }
        )
    return out


@router.get("/meetings", dependencies=[allow(READERS)], response_class=HTMLResponse)
def meetings_page(request: Request) -> Response:
    with register(request).read() as conn:
        rows = conn.execute(
            select(meetings, func.count(meeting_items.c.lead_id).label("items"))
            .outerjoin(meeting_items, meeting_items.c.meeting_id == meetings.c.id)
            .group_by(meetings.c.id)
            .order_by(meetings.c.meeting_on.desc(), meetings.c.id.desc())
            .limit(200)
        ).fetchall()
    return render(
        request, "meetings.html.j2", meetings=[dict(r._mapping) for r in rows]
    )


@router.post("/meetings", dependencies=[allow(AGENDA)])
async def create_meeting(request: Request) -> Response:
    form = await request.form()
    title = str(form.get("title") or "").strip()[:200]
    try:
        on = dt.date.fromisoformat(str(form.get("meeting_on") or "").strip())
    except ValueError:
        raise RegisterError(
            "会议日期应为日期，如 2025-06-30 / expected a date", field="meeting_on"
        ) from None
    check_meeting_date(on)  # 0001-01-01 is a typo (a future meeting may be prepared)
    if not title:
        raise RegisterError("请填写会议名称 / give the meeting a title", field="title")
    with register(request).write() as conn:
        new_id = conn.execute(
            meetings.insert()
            .values(
                meeting_on=on, title=title, recorded_at=utc_now(), actor=actor(request)
            )
            .returning(meetings.c.id)
        ).scalar_one()
    audit(
        request, "meeting_created", str(new_id), {"title": title, "on": on.isoformat()}
    )
    return RedirectResponse(f"/meetings/{new_id}?msg=meeting", 303)


@router.get(
    "/meetings/{meeting_id}", dependencies=[allow(READERS)], response_class=HTMLResponse
)
def meeting_page(request: Request, meeting_id: RowId) -> Response:
    meeting = _meeting(request, meeting_id)
    park = request.query_params.get("park") or None
    # leads in negotiation the committee has not decided on (their current screening)
    # first; then those it has, with the decision and its meeting's date: a 暂缓 lead
    # (or one to look at again) may come back to a meeting
    total, waiting = register(request).leads(_waiting(park, True), limit=WAITING)
    decided_total, decided = register(request).leads(
        _waiting(park, False), limit=WAITING
    )
    on_agenda = set(meeting["keys"])
    return render(
        request,
        "meeting.html.j2",
        meeting=meeting,
        items=_items(request, meeting),
        waiting=[w for w in waiting if w["key"] not in on_agenda],
        waiting_total=total,
        decided=[w for w in decided if w["key"] not in on_agenda],
        decided_total=decided_total,
        shown=WAITING,
        decisions=list(COMMITTEE),
        note_limit=NOTE_LIMIT,
        today=today(),
        keypath=lambda key: quote(key, safe=""),
    )


WAITING = 100  # leads of each list offered for the agenda (the latest)


def _waiting(park: str | None, awaiting: bool) -> Any:
    """Leads in negotiation (洽谈) whose current screening the committee has not
    decided on (`awaiting`), or has."""
    from screening.register.store import Filters

    return Filters(park=park, stage="洽谈", awaiting=awaiting)


@router.post("/meetings/{meeting_id}/items", dependencies=[allow(AGENDA)])
async def add_items(request: Request, meeting_id: RowId) -> Response:
    """Put leads on the agenda (ticked, or typed one id a line), in that order."""
    meeting = _meeting(request, meeting_id)
    form = await request.form()
    keys = [str(v) for v in form.getlist("lead")]
    keys += [
        k.strip() for k in str(form.get("keys") or "").replace(",", "\n").splitlines()
    ]
    keys = [k for k in dict.fromkeys(keys) if k and k not in meeting["keys"]]
    found = [find_lead(request, k) for k in keys]  # an unknown id: 404, nothing added
    with register(request).write() as conn:
        start = len(meeting["keys"])
        for i, lead in enumerate(found):
            conn.execute(
                meeting_items.insert().values(
                    meeting_id=meeting_id, lead_id=lead["lead_pk"], position=start + i
                )
            )
    audit(
        request, "agenda_changed", str(meeting_id), {"added": [f["key"] for f in found]}
    )
    return RedirectResponse(f"/meetings/{meeting_id}?msg=agenda", 303)


@router.post("/meetings/{meeting_id}/items/remove", dependencies=[allow(AGENDA)])
async def remove_item(request: Request, meeting_id: RowId) -> Response:
    _meeting(request, meeting_id)
    form = await request.form()
    lead = find_lead(request, str(form.get("lead") or ""))
    with register(request).write() as conn:
        conn.execute(
            delete(meeting_items).where(
                meeting_items.c.meeting_id == meeting_id,
                meeting_items.c.lead_id == lead["lead_pk"],
            )
        )
    audit(request, "agenda_changed", str(meeting_id), {"removed": lead["key"]})
    return RedirectResponse(f"/meetings/{meeting_id}?msg=agenda", 303)


@router.post("/meetings/{meeting_id}/decisions", dependencies=[allow({MEMBER})])
async def record_decision(request: Request, meeting_id: RowId) -> Response:
    """The committee's decision on one lead of the agenda, dated the meeting's day."""
    meeting = _meeting(request, meeting_id)
    form = await request.form()
    key = str(form.get("lead") or "")
    if key not in meeting["keys"]:
        raise HTTPException(
            404, "该项目不在本次会议议程中 / the lead is not on this agenda"
        )
    note = str(form.get("note") or "").strip() or None
    try:
        done = register(request).record_committee(
            key,
            str(form.get("decision") or ""),
            meeting["meeting_on"],
            actor(request),
            note,
            meeting_id=meeting_id,
        )
    except RegisterError as exc:  # the page's words: its date is the meeting's
        message = "；".join(_page_words(d.message, d.field) for d in exc.diagnostics)
        return error_page(
            request,
            404 if isinstance(exc, NotFound) else 422,
            message,
            (f"/meetings/{meeting_id}", "返回会议", "Back to the meeting"),
        )
    detail = {"decision": done["decision"], "meeting": meeting_id, "note": note}
    if done["replaced"] is not None:  # a correction: the page shows what it was
        detail["replaced"] = done["replaced"]["decision"]
    audit(request, "committee", done["lead"], detail)
    return RedirectResponse(
        f"/meetings/{meeting_id}?msg=committee#item-{quote(key, safe='')}", 303
    )


def _page_words(message: str, field: str | None) -> str:
    """A refusal of the decision form in the page's words: the date refused is this
    meeting's (会议日期), the note is the form's 意见."""
    if field == "meeting_on":
        return message.replace("会议日期", "本次会议日期", 1).replace(
            "the meeting date", "this meeting's date", 1
        )
    if field == "note":
        return message.replace("说明", "意见", 1)
    return message


def agenda_html(request: Request, meeting: dict[str, Any]) -> str:
    """The agenda as printed: a summary page, then each lead's one-page sheet."""
    lang = lang_of(request)
    items = _items(request, meeting)
    contracts, rulesets = [], []
    for item in items:
        if item["current"] is not None:
            contract, ruleset = contract_of(request, item["current"]["id"])
            contracts.append(contract)
            rulesets.append(ruleset)
    sheets = sheet_views(contracts, lang, rulesets)
    page: str = request.app.state.templates.get_template("agenda_print.html.j2").render(
        lang=lang,
        L=lambda zh, en: en if lang == "en" else zh,
        meeting=meeting,
        items=items,
        sheets=sheets,
        t=lambda key: label(key, lang),
        enum=lambda group, value: enum_label(group, value, lang),
        committee=lambda value: committee_label(value, lang),
    )
    return page


@router.get(
    "/meetings/{meeting_id}/print",
    dependencies=[allow(READERS)],
    response_class=HTMLResponse,
)
def print_agenda(request: Request, meeting_id: RowId) -> Response:
    return HTMLResponse(agenda_html(request, _meeting(request, meeting_id)))


@router.get("/meetings/{meeting_id}/pdf", dependencies=[allow(READERS)])
def agenda_pdf(request: Request, meeting_id: RowId) -> Response:
    meeting = _meeting(request, meeting_id)
    try:
        pdf = html_to_pdf(
            agenda_html(request, meeting), request.app.state.settings.pdf_browser
        )
    except PdfError as exc:
        raise HTTPException(503, exc.diagnostics[0].message) from None
    return pdf_response(pdf, f"议程-{meeting['meeting_on']}-{meeting['id']}.pdf")
