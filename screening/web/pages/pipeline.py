"""The pipeline (项目库): leads filtered by park, stage, decision, industry, amount,
date and the batch they came in; stage moves, promises and actuals; the KPI view with its charts; XLSX export."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from dataclasses import replace
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from screening.errors import ScreeningError
from screening.model.units import UnitError, parse_amount
from screening.register.db import NotFound, RegisterError
from screening.register.kpi import ALL, NO_PARK, Period, compute_kpis, period_of
from screening.register.schema import COMMITTEE, ENDINGS, STAGES, leads
from screening.register.stages import STAGE_EN, stage_name
from screening.register.store import UNDECIDED, Filters
from screening.web.auth import OFFICER, READERS, allow
from screening.web.charts import horizontal_bars, stacked_share
from screening.web.fields import ACTUAL_FORM, PROMISE_FORM, STAGE_FORM, Figure
from screening.web.pages import actor, audit, register
from screening.web.pages.decisions import find_lead, lead_view
from screening.web.views import (
    error_page,
    halves,
    lang_of,
    render,
    stage_label,
)

router = APIRouter(include_in_schema=False)
PAGE = 50
BANDS = {"3000万": Decimal(3000), "5000万": Decimal(5000), "1亿": Decimal(10000)}


def _day(
    text: str | None, what: str, title: tuple[str, str] | None = None
) -> dt.date | None:
    """A date typed in field `what` (called `title` on the page)."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        zh, en = title or (what, what)
        raise RegisterError(
            f"{zh}应为日期，如 2025-06-30：{text!r} / {en}: expected a date such as "
            "2025-06-30",
            field=what,
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
    awaiting = None
    if committee == UNDECIDED:  # awaiting the committee (see Filters.awaiting)
        committee, awaiting = None, True
    elif committee is not None and committee not in COMMITTEE:
        raise RegisterError(
            f"未知委员会决定 {committee!r} / unknown", field="committee"
        )
    return Filters(
        park=query.get("park") or None,
        stage=stage,
        decision=decision,
        industry=(query.get("industry") or "").strip() or None,
        registered_from=_day(query.get("from"), "from", ("登记起", "registered from")),
        registered_to=_day(query.get("to"), "to", ("登记止", "registered to")),
        min_investment=band,
        committee=committee,
        awaiting=awaiting,
    )


def batch_of(request: Request, query: dict[str, str]) -> dict[str, Any] | None:
    """The web batch whose leads the pipeline lists (`?batch=<its key>`), if any."""
    key = query.get("batch")
    if not key:
        return None
    job: dict[str, Any] | None = request.app.state.jobs.get(key)
    if job is None:
        raise NotFound("没有这个批量任务 / no such batch", field="batch")
    if job["run_id"] is None:  # the run is recorded on the batch once it is done
        raise RegisterError(
            f"批次 {job['filename']} 尚未完成，项目库中还没有它的项目 / "
            "the batch has not finished: the register has none of its leads yet",
            field="batch",
        )
    return job


def _filters_with_batch(
    request: Request, query: dict[str, str]
) -> tuple[Filters, dict[str, Any] | None]:
    job = batch_of(request, query)
    filters = filters_of(query)
    return (filters if job is None else replace(filters, run=job["run_id"])), job


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
        filters, batch = _filters_with_batch(request, query)
        page_text = (query.get("page") or "1").strip()
        if not page_text.isdigit():
            raise RegisterError(
                f"页码应为正整数，如 2：{page_text!r} / a page number such as 2",
                field="page",
            )
        # past the last page is an empty page, not an offset past SQL's integers
        page = min(max(1, int(page_text)), 10_000_000)
    except ScreeningError as exc:
        return error_page(
            request,
            404 if isinstance(exc, NotFound) else 422,
            exc.diagnostics[0].message,
            ("/pipeline", "返回项目库", "Back to the pipeline"),
        )
    total, rows = register(request).leads(filters, limit=PAGE, offset=(page - 1) * PAGE)
    # a decision taken on an earlier screening of the lead: it awaits the committee again
    earlier = register(request).undecided(
        [r["lead_pk"] for r in rows if r["committee"]]
    )
    kept = {k: v for k, v in query.items() if v and k not in ("page", "msg")}
    unbatched = {k: v for k, v in kept.items() if k != "batch"}
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
        batch=batch,
        unbatched="?" + urlencode(unbatched) if unbatched else "",
        parks=parks(request),
        stages=STAGES + ENDINGS,
        bands=list(BANDS),
        band_text=partial(band_filter_label, lang=lang_of(request)),
        committee_values=[*COMMITTEE, UNDECIDED],
        earlier=earlier,
        keypath=lambda key: quote(key, safe=""),
    )


@router.get("/pipeline/export.xlsx", dependencies=[allow(READERS)])
def export(request: Request) -> Response:
    """The filtered leads, their screenings and events as XLSX (`register export`)."""
    from screening.register.export import export_xlsx

    try:
        filters, _batch = _filters_with_batch(request, dict(request.query_params))
    except ScreeningError as exc:
        status = 404 if isinstance(exc, NotFound) else 422
        raise HTTPException(status, exc.diagnostics[0].message) from None
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


def _figures(
    form: FormData, items: tuple[Figure, ...], errors: dict[str, str]
) -> dict[str, Any]:
    """Form amounts with units ("3.5亿", "80亩"), read as the register's CLI does; what
    cannot be read goes to `errors` beside its field, in the page's words."""
    out: dict[str, Any] = {}
    for item in items:
        if not item.unit:
            continue
        text = _text(form, item.name)
        if text is None:
            continue
        try:
            value = parse_amount(text, item.kind)
        except UnitError as exc:
            errors[item.name] = str(exc)
            continue
        if value < 0:
            errors[item.name] = "应不小于 0 / must not be negative"
        elif item.kind == "count":
            if value != value.to_integral_value():
                errors[item.name] = "应为整数 / must be a whole number"
            else:
                out[item.name] = int(value)
        elif value != value.quantize(Decimal("0.0001")):
            errors[item.name] = (
                f"至多四位小数（单位 {item.unit}）/ at most 4 decimals (in {item.unit})"
            )
        else:
            out[item.name] = value
    return out


def _date(form: FormData, item: Figure, errors: dict[str, str]) -> dt.date | None:
    """A date field of a form, its error beside it."""
    try:
        return _day(_text(form, item.name), item.name, (item.title_zh, item.title_en))
    except RegisterError:
        errors[item.name] = "应为日期，如 2025-06-30 / a date such as 2025-06-30"
        return None


def _text(form: Any, name: str) -> str | None:
    """A form field's text, stripped; None when it is empty."""
    return str(form.get(name) or "").strip() or None


def _back(key: str, msg: str) -> Response:
    return RedirectResponse(f"/leads/{quote(key, safe='')}?msg={msg}#{msg}", 303)


def _again(
    request: Request,
    key: str,
    name: str,
    form: FormData,
    errors: dict[str, str],
    general: list[str] | None = None,
) -> Response:
    """The lead page with form `name` as typed, its errors beside their fields."""
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    found = {"values": values, "errors": errors, "general": general or []}
    return lead_view(request, key, forms={name: found}, status=422)


def _placed(
    exc: ScreeningError, items: tuple[Figure, ...]
) -> tuple[dict[str, str], list[str]]:
    """The register's refusal beside the field it names (without the field's internal
    name), else above the form."""
    names = {f.name for f in items}
    errors: dict[str, str] = {}
    general: list[str] = []
    for d in exc.diagnostics:
        if d.field in names:
            errors[d.field] = d.message.removeprefix(f"{d.field} ").removeprefix(
                f"{d.field}: "
            )
        else:
            general.append(d.message)
    return errors, general


# plan_move's refusal of a move out of order ends with the CLI's options; the page
# has a checkbox and a note instead
_CLI_OUT_OF_ORDER = re.compile(r"。如确需记录，请加 --override .*$")


def stage_words(message: str) -> str:
    """A stage refusal worded for the page (its checkbox 越序记录 and note field, not
    the CLI's --override --note)."""
    if not _CLI_OUT_OF_ORDER.search(message):
        return message
    head = _CLI_OUT_OF_ORDER.sub("", message)
    zh, en = [], []
    for problem in head.split("；"):
        cn, english = halves(problem)
        zh.append(cn)
        en.append(english or cn)
    return (
        "；".join(zh)
        + "。如确需记录，请勾选「越序记录」并在备注中写明原因 / "
        + "; ".join(en)
        + ": to record it anyway, tick “out of order” and give a note saying why"
    )


@router.post("/leads/{key:path}/stage", dependencies=[allow({OFFICER})])
async def move_stage(request: Request, key: str) -> Response:
    form = await request.form()
    key = find_lead(request, key)["key"]
    text = partial(_text, form)
    errors: dict[str, str] = {}
    on = _date(form, STAGE_FORM[1], errors)
    if on is None and "on" not in errors:
        errors["on"] = "请填写日期 / give the date"
    target = ""
    try:
        target = stage_name(text("stage") or "")
    except RegisterError:
        errors["stage"] = "请选择阶段 / choose a stage"
    if target in ENDINGS and text("reason") is None:
        errors["reason"] = f"{target}需要填写原因 / {STAGE_EN[target]}: give the reason"
    override = bool(form.get("override"))
    if override and text("note") is None:
        errors["note"] = (
            "勾选「越序记录」时须在备注中写明原因 / “out of order” needs a note saying why"
        )
    if errors or on is None:
        return _again(request, key, "stage", form, errors)
    try:
        done = register(request).record_stage(
            key,
            target,
            on,
            actor(request),
            reason=text("reason"),
            note=text("note"),
            override=override,
        )
    except RegisterError as exc:  # a note too long beside it, the rest above
        errors, general = _placed(exc, STAGE_FORM)
        general = [stage_words(message) for message in general]
        return _again(request, key, "stage", form, errors, general)
    audit(request, "stage", done["lead"], {k: str(v) for k, v in done.items()})
    return _back(done["lead"], "stage")


@router.post("/leads/{key:path}/promise", dependencies=[allow({OFFICER})])
async def record_promise(request: Request, key: str) -> Response:
    form = await request.form()
    key = find_lead(request, key)["key"]
    errors: dict[str, str] = {}
    figures = _figures(form, PROMISE_FORM, errors)
    dates = {f.name: _date(form, f, errors) for f in PROMISE_FORM if f.kind == "date"}
    if errors:
        return _again(request, key, "promise", form, errors)
    try:
        done = register(request).record_promise(
            key,
            figures,
            actor(request),
            signed_on=dates["signed_on"],
            start_by=dates["start_by"],
            production_by=dates["production_by"],
            note=_text(form, "note"),
        )
    except RegisterError as exc:
        return _again(request, key, "promise", form, *_placed(exc, PROMISE_FORM))
    audit(request, "promise", done["lead"], {k: str(v) for k, v in done.items()})
    return _back(done["lead"], "promise")


@router.post("/leads/{key:path}/actual", dependencies=[allow({OFFICER})])
async def record_actual(request: Request, key: str) -> Response:
    form = await request.form()
    key = find_lead(request, key)["key"]
    errors: dict[str, str] = {}
    on = _date(form, ACTUAL_FORM[0], errors) or dt.date.today()
    year_text = _text(form, "year")
    if year_text is not None and not year_text.isdigit():
        errors["year"] = "应为年份，如 2025 / a year such as 2025"
    figures = _figures(form, ACTUAL_FORM, errors)
    if errors:
        return _again(request, key, "actual", form, errors)
    try:
        done = register(request).record_actual(
            key,
            on,
            figures,
            actor(request),
            year=int(year_text) if year_text else None,
            note=_text(form, "note"),
        )
    except RegisterError as exc:
        return _again(request, key, "actual", form, *_placed(exc, ACTUAL_FORM))
    audit(request, "actual", done["lead"], {k: str(v) for k, v in done.items()})
    return _back(done["lead"], "actual")


@router.get("/kpi", dependencies=[allow(READERS)], response_class=HTMLResponse)
def kpi_page(request: Request) -> Response:
    """履约率, 资金到位率, 开工率, 投产率 and the ≥ 3000万 / 5000万 / 1亿 counts."""
    q = request.query_params
    try:
        period = kpi_period(dict(q), dt.date.today())
    except ScreeningError as exc:
        return error_page(
            request,
            422,
            exc.diagnostics[0].message,
            ("/kpi", "返回考核指标", "Back to the KPIs"),
        )
    targets = _targets(request)
    report = compute_kpis(register(request), period, q.get("park") or None, targets)
    whole = next((p for p in report["parks"] if p["park"] == ALL), report["parks"][0])
    lang = lang_of(request)
    stage_chart = horizontal_bars(
        [(stage_label(s, lang), whole["by_stage"][s]) for s in STAGES + ENDINGS]
    )
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
    for reached, cells in whole["bands"].items():
        for band, cell in cells.items():
            band_items.append((band_label(reached, band, lang), cell["count"]))
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
        band=lambda stage_name, value: band_label(stage_name, value, lang),
        park_name=lambda name: park_label(name, lang),
        period_label=period_label(period, lang),
        query=dict(q),
        parks=parks(request),
    )


def _period_error(zh: str, en: str, field: str) -> RegisterError:
    return RegisterError(f"{zh} / {en}", field=field)


_QUARTER = re.compile(r"(?:(\d{4})\s*(?:年|-)?\s*)?(?:[Qq]|第)?\s*([1-4])\s*(?:季度?)?")
_MONTH = re.compile(r"(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*月?")


def kpi_period(q: dict[str, str], today: dt.date) -> Period:
    """The period the KPI page's fields ask for, as a user reads them: the 年度 alone
    is that year; a 季度 or 月份 is of the 年度 given (else of this year) and may be
    typed 2 / Q2 / 2025Q2, 3 / 2025-03; from/to (in a link) a range of days."""
    year_text = (q.get("year") or "").strip()
    quarter = (q.get("quarter") or "").strip()
    month = (q.get("month") or "").strip()
    start = _day(q.get("from"), "from", ("期间起", "from"))
    end = _day(q.get("to"), "to", ("期间止", "to"))
    year = None
    if year_text:
        if not re.fullmatch(r"\d{4}", year_text) or int(year_text) < 1900:
            raise _period_error(
                f"年度应为四位数的年份，如 2025：{year_text!r}",
                "the year should be a year such as 2025",
                "year",
            )
        year = int(year_text)
    if quarter and month:
        raise _period_error(
            "季度与月份只能填一项",
            "give a quarter or a month, not both",
            "quarter",
        )
    if (year or quarter or month) and (start or end):
        raise _period_error(
            "年度、季度、月份与起止日期只能选一种",
            "give a year, quarter or month, or a range of days, not both",
            "from",
        )
    if quarter or month:
        pattern, what = (_QUARTER, "quarter") if quarter else (_MONTH, "month")
        found = pattern.fullmatch(quarter or month)
        number = int(found.group(2)) if found else 0
        if found is None or not 1 <= number <= 12:
            if quarter:
                raise _period_error(
                    f"季度应为 1–4（所填年度的季度），或写作 2025Q2：{quarter!r}",
                    "a quarter is 1–4 (of the year given) or written 2025Q2",
                    what,
                )
            raise _period_error(
                f"月份应为 1–12（所填年度的月份），或写作 2025-03：{month!r}",
                "a month is 1–12 (of the year given) or written 2025-03",
                what,
            )
        own = int(found.group(1)) if found.group(1) else None
        if own is not None and year is not None and own != year:
            raise _period_error(
                f"{'季度' if quarter else '月份'} {quarter or month} 不在所填年度 "
                f"{year} 内",
                f"the {what} is not in the year given ({year})",
                what,
            )
        chosen = own or year or today.year
        if quarter:
            return period_of(None, f"{chosen}Q{number}", None, None, None, today)
        return period_of(None, None, f"{chosen}-{number:02d}", None, None, today)
    return period_of(year, None, None, start, end, today)


def period_label(period: Period, lang: str) -> str:
    """The period as the page's heading gives it ("2026 年初至今" / "2026 to date")."""
    if lang == "en" and period.label.endswith("年初至今"):
        return f"{period.end.year} to date"
    return period.label


def park_label(name: str, lang: str) -> str:
    """A park of the KPI table (all parks and no park in English on English pages)."""
    if lang != "en":
        return name
    return {ALL: "all parks", NO_PARK: "(no park)"}.get(name, name)


def band_filter_label(band: str, lang: str) -> str:
    """An amount filter's choice: ≥ 3000万 on Chinese pages, ≥ 30 million yuan (≥ 100
    million yuan for 1亿) on English ones."""
    if lang != "en":
        return f"≥ {band}"
    return f"≥ {_plain(BANDS[band] / 100)} million yuan"


def band_label(stage_name: str, value: str, lang: str) -> str:
    """签约 ≥3000万 on Chinese pages, "signed ≥ 30M CNY" on English ones."""
    if lang != "en":
        return f"{stage_name} ≥{_band(value)}"
    millions = _plain(Decimal(value) / 100)
    return f"{STAGE_EN.get(stage_name, stage_name)} ≥ {millions}M CNY"


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
