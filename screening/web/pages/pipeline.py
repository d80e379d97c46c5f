"""The pipeline (项目库): leads filtered by park, stage, decision, industry, amount and
date; stage moves, promises and actuals; the KPI view with its charts; XLSX export."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from screening.errors import ScreeningError
from screening.model.units import UnitError, parse_amount
from screening.register.db import RegisterError
from screening.register.kpi import ALL, compute_kpis, period_of
from screening.register.schema import COMMITTEE, ENDINGS, STAGES, leads
from screening.register.store import ACTUAL_FIGURES, PROMISE_FIGURES, Filters
from screening.web.auth import OFFICER, READERS, allow
from screening.web.charts import horizontal_bars, stacked_share
from screening.web.pages import actor, audit, register
from screening.web.views import lang_of, render

router = APIRouter(include_in_schema=False)
PAGE = 50
BANDS = {"3000万": Decimal(3000), "5000万": Decimal(5000), "1亿": Decimal(10000)}


def _day(text: str | None, what: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise RegisterError(
            f"{what}应为日期，如 2025-06-30：{text!r} / expected a date", field=what
        ) from None


def filters_of(query: dict[str, str]) -> Filters:
    """The pipeline's filters from the query string (as `register list` takes them)."""
    band = BANDS.get(query.get("band") or "")
    decision = query.get("decision") or None
    if decision not in (None, "pass", "review", "reject"):
        raise RegisterError(
            f"未知结论 {decision!r} / unknown decision", field="decision"
        )
    stage = query.get("stage") or None
    if stage is not None and stage not in STAGES + ENDINGS:
        raise RegisterError(f"未知阶段 {stage!r} / unknown stage", field="stage")
    committee = query.get("committee") or None
    if committee is not None and committee not in COMMITTEE:
        raise RegisterError(
            f"未知委员会决定 {committee!r} / unknown", field="committee"
        )
    return Filters(
        park=query.get("park") or None,
        stage=stage,
        decision=decision,
        industry=(query.get("industry") or "").strip() or None,
        registered_from=_day(query.get("from"), "from"),
        registered_to=_day(query.get("to"), "to"),
        min_investment=band,
        committee=committee,
    )


def parks(request: Request) -> list[str]:
    """The parks leads are in, for the filter's choices."""
    with register(request).read() as conn:
        rows = conn.execute(
            select(leads.c.park).where(leads.c.park.is_not(None)).distinct().limit(500)
        ).fetchall()
    return sorted(r[0] for r in rows)


@router.get("/pipeline", dependencies=[allow(READERS)], response_class=HTMLResponse)
def pipeline(request: Request) -> Response:
    query = dict(request.query_params)
    try:
        filters = filters_of(query)
        # past the last page is an empty page, not an offset past SQL's integers
        page = min(max(1, int(query.get("page") or 1)), 10_000_000)
    except (ScreeningError, ValueError) as exc:
        message = (
            exc.diagnostics[0].message if isinstance(exc, ScreeningError) else str(exc)
        )
        raise HTTPException(422, message) from None
    total, rows = register(request).leads(filters, limit=PAGE, offset=(page - 1) * PAGE)
    kept = {k: v for k, v in query.items() if v and k not in ("page", "msg")}
    template = (
        "pipeline_rows.html.j2"
        if request.headers.get("hx-request")
        else "pipeline.html.j2"
    )
    return render(
        request,
        template,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, (total + PAGE - 1) // PAGE),
        query=kept,
        querystring=urlencode(kept),
        parks=parks(request),
        stages=STAGES + ENDINGS,
        bands=list(BANDS),
        committee_values=list(COMMITTEE),
        keypath=lambda key: quote(key, safe=""),
    )


@router.get("/pipeline/export.xlsx", dependencies=[allow(READERS)])
def export(request: Request) -> Response:
    """The filtered leads, their screenings and events as XLSX (`register export`)."""
    from screening.register.export import export_xlsx

    try:
        filters = filters_of(dict(request.query_params))
    except ScreeningError as exc:
        raise HTTPException(422, exc.diagnostics[0].message) from None
    with tempfile.TemporaryDirectory(prefix="screening-export-") as folder:
        path = Path(folder) / "export.xlsx"
        export_xlsx(register(request), str(path), filters, lang_of(request))
        data = path.read_bytes()
    name = quote(f"项目库-{dt.date.today().isoformat()}.xlsx", safe="")
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": 'attachment; filename="pipeline.xlsx"; '
            f"filename*=UTF-8''{name}"
        },
    )


def _figures(form: Any, names: dict[str, str]) -> dict[str, Any]:
    """Form amounts with units ("3.5亿", "80亩"), read as the register's CLI does."""
    out: dict[str, Any] = {}
    for name, kind in names.items():
        text = form.get(name)
        if not isinstance(text, str) or not text.strip():
            continue
        try:
            value = parse_amount(text.strip(), kind)
        except UnitError as exc:
            raise RegisterError(f"{name}: {exc}", field=name) from None
        if kind == "count":
            if value != value.to_integral_value():
                raise RegisterError(
                    f"{name}: 应为整数 / must be a whole number", field=name
                )
            out[name] = int(value)
        else:
            out[name] = value
    return out


def _text(form: Any, name: str) -> str | None:
    """A form field's text, stripped; None when it is empty."""
    return str(form.get(name) or "").strip() or None


def _back(key: str, msg: str) -> Response:
    return RedirectResponse(f"/leads/{quote(key, safe='')}?msg={msg}#{msg}", 303)


@router.post("/leads/{key:path}/stage", dependencies=[allow({OFFICER})])
async def move_stage(request: Request, key: str) -> Response:
    form = await request.form()
    text = partial(_text, form)
    on = _day(text("on"), "on")
    if on is None:
        raise RegisterError("请填写日期 / give the date", field="on")
    done = register(request).record_stage(
        key,
        text("stage") or "",
        on,
        actor(request),
        reason=text("reason"),
        note=text("note"),
        override=bool(form.get("override")),
    )
    audit(request, "stage", done["lead"], {k: str(v) for k, v in done.items()})
    return _back(done["lead"], "stage")


@router.post("/leads/{key:path}/promise", dependencies=[allow({OFFICER})])
async def record_promise(request: Request, key: str) -> Response:
    form = await request.form()
    text = partial(_text, form)
    done = register(request).record_promise(
        key,
        _figures(form, PROMISE_FIGURES),
        actor(request),
        signed_on=_day(text("signed_on"), "signed_on"),
        start_by=_day(text("start_by"), "start_by"),
        production_by=_day(text("production_by"), "production_by"),
        note=text("note"),
    )
    audit(request, "promise", done["lead"], {k: str(v) for k, v in done.items()})
    return _back(done["lead"], "promise")


@router.post("/leads/{key:path}/actual", dependencies=[allow({OFFICER})])
async def record_actual(request: Request, key: str) -> Response:
    form = await request.form()
    text = partial(_text, form)
    on = _day(text("reported_on"), "reported_on") or dt.date.today()
    year_text = text("year")
    if year_text is not None and not year_text.isdigit():
        raise RegisterError("年度应为整数，如 2025 / a year such as 2025", field="year")
    done = register(request).record_actual(
        key,
        on,
        _figures(form, ACTUAL_FIGURES),
        actor(request),
        year=int(year_text) if year_text else None,
        note=text("note"),
    )
    audit(request, "actual", done["lead"], {k: str(v) for k, v in done.items()})
    return _back(done["lead"], "actual")


@router.get("/kpi", dependencies=[allow(READERS)], response_class=HTMLResponse)
def kpi_page(request: Request) -> Response:
    """履约率, 资金到位率, 开工率, 投产率 and the ≥ 3000万 / 5000万 / 1亿 counts."""
    q = request.query_params
    try:
        year = int(q["year"]) if q.get("year") else None
        period = period_of(
            year,
            q.get("quarter") or None,
            q.get("month") or None,
            _day(q.get("from"), "from"),
            _day(q.get("to"), "to"),
            dt.date.today(),
        )
    except (ScreeningError, ValueError) as exc:
        message = (
            exc.diagnostics[0].message if isinstance(exc, ScreeningError) else str(exc)
        )
        raise HTTPException(422, message) from None
    targets = _targets(request)
    report = compute_kpis(register(request), period, q.get("park") or None, targets)
    whole = next((p for p in report["parks"] if p["park"] == ALL), report["parks"][0])
    lang = lang_of(request)
    stage_chart = horizontal_bars([(s, whole["by_stage"][s]) for s in STAGES + ENDINGS])
    decision_chart = stacked_share(
        [
            ("通过" if lang == "zh" else "pass", "pass", whole["by_decision"]["pass"]),
            (
                "复核" if lang == "zh" else "review",
                "review",
                whole["by_decision"]["review"],
            ),
            (
                "否决" if lang == "zh" else "reject",
                "reject",
                whole["by_decision"]["reject"],
            ),
        ]
    )
    band_items, band_targets = [], []
    for stage_name, cells in whole["bands"].items():
        for band, cell in cells.items():
            band_items.append((f"{stage_name} ≥{_band(band)}", cell["count"]))
            band_targets.append(cell["target"])
    band_chart = horizontal_bars(band_items, targets=band_targets)
    return render(
        request,
        "kpi.html.j2",
        report=report,
        whole=whole,
        stage_chart=stage_chart,
        decision_chart=decision_chart,
        band_chart=band_chart,
        band=_band,
        query=dict(q),
        parks=parks(request),
    )


def _band(value: str) -> str:
    """A band in 万元 as the office says it: 3000万, 1亿."""
    number = Decimal(value)
    if number >= 10000 and number % 10000 == 0:
        return f"{_plain(number / 10000)}亿"
    return f"{_plain(number)}万"


def _plain(number: Decimal) -> str:
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _targets(request: Request) -> Any:
    path = request.app.state.settings.targets
    if not path:
        return None
    from screening.register.targets import load_targets

    return load_targets(path)
