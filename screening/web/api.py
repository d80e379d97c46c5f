"""The JSON API, `/api/v1/…`: screen one project (the JSON contract as the response),
submit a batch and poll it, leads, screenings, stages, committee decisions, KPIs and
rule sets. Machine clients send `Authorization: Bearer <token>`.

Every error is `{"errors": [{"field": path or null, "message": …}]}`, the message in the
CLI's own words (the project model's validation, the register's refusals) save where
those name a command-line option: the API names the JSON field or query parameter. A
body that is not JSON is a 400, one not sent as JSON a 415, and a caller without the
right token gets its 401 or 403 before anything else it sent is looked at. Every
status a route returns is documented in its OpenAPI entry.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    UploadFile,
)
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from screening.errors import Diagnostic, ScreeningError
from screening.model.diagnose import describe
from screening.model.project import Project
from screening.register.db import NotFound, RegisterError
from screening.register.render import plain
from screening.register.schema import ENDINGS, STAGES
from screening.register.stages import STAGE_EN, stage_name
from screening.register.store import NOTE_LIMIT, today
from screening.web.auth import COMMITTEE, EVERYONE, OFFICER, READERS, SIGNED_IN, allow
from screening.web.pages import RowId, actor, register
from screening.web.prefix import root_of
from screening.web.service import ENGINE_LOCK, UnknownRuleSet


def known_query(request: Request) -> None:
    """A query parameter the route does not take is refused (422), not ignored: a
    misspelt filter (`min_investment=` for `band=`) would otherwise answer as if none
    had been given."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    taken: set[str] = set()
    dependants = [route.dependant]
    while dependants:  # the route's own parameters and its dependencies'
        dependant = dependants.pop()
        taken.update(p.alias for p in dependant.query_params)
        dependants += dependant.dependencies
    unknown = sorted(set(request.query_params) - taken)
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": "unknown query parameter",
                    "input": request.query_params[name],
                }
                for name in unknown
            ]
        )


router = APIRouter(prefix="/api/v1", tags=["api"], dependencies=[Depends(known_query)])


# --- shapes (for the OpenAPI document) ------------------------------------------------


class ErrorItem(BaseModel):
    """One problem: the field it concerns (a dotted path, or null) and what is wrong."""

    field: str | None
    message: str


class Errors(BaseModel):
    """Every error response."""

    errors: list[ErrorItem]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    words = {
        400: "请求无法解析 / the request cannot be read",
        401: "需要 API 令牌 / an API token is needed",
        403: "令牌所属角色无权执行 / the token's role may not do this",
        404: "不存在 / not found",
        409: "与现有状态冲突 / conflicts with the current state",
        413: "请求过大 / the request is too large",
        415: "请求内容须以 JSON 发送 / the body must be sent as JSON",
        422: "内容不符合要求（字段路径与说明）/ invalid (field path and message)",
        503: "暂不可用 / not available now",
    }
    return {code: {"model": Errors, "description": words[code]} for code in codes}


AUTH = (401, 403)
JSON_BODY = (400, 413, 415, 422)  # what a route reading a JSON body may refuse


class ScreenRequest(BaseModel):
    """One project to screen, as a project file gives it (amounts may carry units)."""

    model_config = ConfigDict(extra="forbid")

    project: Project
    ruleset: str = Field("national", description="规则集 id（见 GET /api/v1/rulesets）")
    as_of: dt.date | None = Field(None, description="按该日有效的规则评估（默认今天）")
    lang: Literal["zh", "en"] = "zh"
    store: bool = Field(True, description="存入项目库（需要 id，或 company 与 name）")


class ContractProject(BaseModel):
    id: str | None
    name: str | None
    company: str | None


class ContractRuleSet(BaseModel):
    id: str
    version: str
    sha256: str
    path: str | None


class ContractFinding(BaseModel):
    rule: str
    group: str | None
    kind: str
    status: Literal["pass", "fail", "missing", "not_applicable"]
    actual: Any = None
    threshold: Any = None
    unit: str | None = None
    points: float | int | None = None
    max_points: float | int | None = None
    message: str | None = None
    basis: str | None = None
    remedy: str | None = None


class Contract(BaseModel):
    """The JSON contract (README, "JSON output"): the same bytes `screening screen
    --format json` and `screening batch -o x.jsonl` write."""

    project: ContractProject
    ruleset: ContractRuleSet
    as_of: str | None
    decision: Literal["pass", "review", "reject"]
    score: float | int | None
    vetoed_by: list[str]
    missing: list[str]
    findings: list[ContractFinding]
    summary: str | None


class Health(BaseModel):
    status: Literal["ok"]


class WhoAmI(BaseModel):
    name: str
    role: str


class Lead(BaseModel):
    """A lead as the register keeps it (amounts in 万元, dates ISO, times UTC)."""

    model_config = ConfigDict(extra="allow")

    key: str
    project_id: str | None
    name: str | None
    company: str | None
    park: str | None
    industry: str | None
    investment_total: float | int | None
    decision: Literal["pass", "review", "reject"] | None
    score: float | int | None
    stage: str
    stage_on: str
    committee: str | None
    registered_on: str


class LeadPage(BaseModel):
    total: int
    leads: list[Lead]


class ScreeningSummary(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    decision: Literal["pass", "review", "reject"]
    score: float | int | None
    ruleset: dict[str, Any]
    adopted: bool
    current: bool = Field(
        description="是否为项目的当前筛查 / whether it is the lead's current screening"
    )
    screened_at: str
    actor: str


class LeadDetail(Lead):
    screenings: list[ScreeningSummary]
    stages: list[dict[str, Any]]
    committee_decisions: list[dict[str, Any]]
    promises: list[dict[str, Any]]
    actuals: list[dict[str, Any]]


def unknown_stage(text: str) -> str:
    """The refusal of a stage name the CLI does not take, listing those it does."""
    names = STAGES + ENDINGS
    return (
        f"未知阶段 {text!r}（可用：{'、'.join(names)}）/ unknown stage {text!r} "
        f"(one of: {', '.join(STAGE_EN[n] for n in names)})"
    )


def _stage(text: str) -> str:
    try:
        return stage_name(text)  # as `register stage` and `register list --stage`
    except RegisterError:
        raise ValueError(unknown_stage(text)) from None


STAGE_NAMES = [*STAGES, *ENDINGS, *(STAGE_EN[n] for n in STAGES + ENDINGS)]
Stage = Annotated[
    str,
    AfterValidator(_stage),
    Field(
        description="阶段（中文或英文名，如 签约 / signed）",
        json_schema_extra={"enum": STAGE_NAMES},
    ),
]


class StageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Stage  # its Chinese name once validated
    on: dt.date
    reason: str | None = Field(None, max_length=NOTE_LIMIT)
    note: str | None = Field(None, max_length=NOTE_LIMIT)
    override: bool = False


class StageDone(BaseModel):
    lead: str
    stage: str
    on: str
    override: bool
    model_config = ConfigDict(extra="allow")


class CommitteeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["同意", "不同意", "暂缓", "agree", "disagree", "defer"]
    meeting_on: dt.date
    note: str | None = Field(None, max_length=NOTE_LIMIT)


class ReplacedDecision(BaseModel):
    """A committee decision a later one at the same meeting corrected."""

    decision: str
    meeting_on: str
    note: str | None
    recorded_at: str
    actor: str


class CommitteeDone(BaseModel):
    lead: str
    decision: str
    meeting_on: str
    screening_id: int | None = Field(
        description="委员会所见的筛查（记录时项目的当前筛查）/ the screening the "
        "committee saw: the lead's current one when recorded"
    )
    current: bool = Field(
        description="是否成为项目当前的委员会决定（已有更晚会议的决定时为 false，仅记入历史）"
        " / whether it is now the lead's committee decision (false when a later "
        "meeting's is on record: history only)"
    )
    replaced: ReplacedDecision | None = Field(
        description="同一会议日期已有的决定（本次为更正，原决定保留在历史中），否则为 null"
        " / the decision already recorded for the same meeting date, which this one "
        "corrects (it stays in the history); null when there was none"
    )


class RenamedLead(BaseModel):
    """A lead a batch row updated under another name or company: (old, new) of each."""

    row: int | None
    lead: str
    name: tuple[str | None, str | None] | None = None
    company: tuple[str | None, str | None] | None = None


class BatchJob(BaseModel):
    """A batch upload and how far it has got."""

    key: str
    status: Literal["queued", "running", "done", "failed"]
    filename: str
    ruleset: str
    as_of: str
    total_rows: int | None
    done_rows: int
    counts: dict[str, int] | None
    error: str | None
    reports: dict[str, str]
    renamed: list[RenamedLead] = Field(
        default_factory=list,
        description="行的项目编号对应已有项目、但名称或企业不同：已按该行更新（最多列出 "
        "500 个）/ rows whose id found a lead under another name or company, which "
        "took the row's (the first 500)",
    )
    renamed_count: int = 0


class RuleSetInfo(BaseModel):
    ref: str
    id: str | None
    title: str | None
    version: str | None
    sha256: str | None
    error: str | None


# --- errors ---------------------------------------------------------------------------


async def access_refused(request: Request) -> HTTPException | None:
    """The 401 or 403 a request's route gives it, if any: answered before a refusal
    of anything the request sent (FastAPI reads the body, and `known_query` runs,
    before the route's `allow`), so a caller without the right token learns nothing
    of what the route takes."""
    from screening.web.app import rule_of

    route = request.scope.get("route")
    rule = rule_of(route) if isinstance(route, APIRoute) else None
    if rule is None or rule.roles is None:
        return None
    try:
        await rule(request)
    except HTTPException as exc:
        return exc
    return None


NOT_SENT_AS_JSON = (
    "请求内容须为 JSON，并带 Content-Type: application/json / send the body as JSON, "
    "with Content-Type: application/json"
)


def invalid_request(exc: RequestValidationError) -> tuple[int, list[dict[str, Any]]]:
    """The status and errors of a request FastAPI would not take: 400 for a body that
    is not JSON (its position in the message), 415 for one not sent as JSON, else 422
    with each field's dotted path."""
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            return 400, [{"field": None, "message": _not_json(exc.body, error)}]
        # FastAPI hands on a body not typed as JSON as its bytes
        if tuple(error.get("loc", ())) == ("body",) and isinstance(
            error.get("input"), bytes
        ):
            return 415, [{"field": None, "message": NOT_SENT_AS_JSON}]
    return 422, validation_errors(exc)


def _not_json(text: Any, error: dict[str, Any]) -> str:
    loc = error.get("loc", ())
    at = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
    text = text if isinstance(text, str) else ""
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    reason = (error.get("ctx") or {}).get("error") or "JSON decode error"
    return (
        f"请求内容不是有效的 JSON（第 {line} 行第 {column} 列）/ the body is not valid "
        f"JSON at line {line}, column {column}: {reason}"
    )


def unreadable_body(cause: BaseException | None) -> str:
    """Why a body could not be read at all (FastAPI's 400, raised from `cause`)."""
    if isinstance(cause, RecursionError):
        return "请求内容嵌套过深，无法读取 / the body is nested too deeply to read"
    if isinstance(cause, UnicodeDecodeError):
        return "请求内容不是 UTF-8 编码 / the body is not UTF-8 text"
    return "请求内容无法读取 / the request body cannot be read"


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """pydantic's errors in the CLI's words, each with the field's dotted path."""
    out = []
    for error in exc.errors():
        loc = [
            str(p) for p in error.get("loc", ()) if not str(p).startswith("function-")
        ]
        if loc == ["body"] and error.get("type") == "missing":  # no body at all
            out.append(
                {
                    "field": None,
                    "message": "请求内容为空：应为 JSON 对象 / the body is empty: "
                    "send a JSON object",
                }
            )
            continue
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]
        try:
            message = describe(error)
        except Exception:  # noqa: BLE001 - an error shape describe() does not know
            message = str(error.get("msg", "invalid"))
        out.append({"field": ".".join(loc) or None, "message": message})
    return out


def status_of(exc: ScreeningError) -> int:
    """The HTTP status of a refusal: 404 for what does not exist, 503 for a PDF, 422."""
    if isinstance(exc, NotFound):
        return 404
    if exc.code == "PDF":
        return 503
    return 422


# The register's refusals are worded for the command line. Where one says the first
# words, the API says the second instead, and the refusal concerns the JSON field or
# path parameter given third.
_API_WORDS = (
    (
        "请加 --override --note 说明",
        '请设 "override": true 并在 note 中说明',
        "override",
    ),
    ("give --override with a --note", 'send "override": true with a note', "override"),
    ("（见 screening register list）", "（见 GET /api/v1/leads）", "key"),
    ("委员会不能同意", "委员会不能同意", "decision"),  # 同意 for a vetoed lead
)


def in_api_words(diagnostic: Diagnostic, field: str | None = None) -> dict[str, Any]:
    """One refusal as the API gives it: the field it concerns (its own, else the one
    its words show, else `field`) and its message in the API's words."""
    message, shown = diagnostic.message, None
    for cli, api, concerns in _API_WORDS:
        if cli in message:
            message, shown = message.replace(cli, api), concerns
    return {"field": diagnostic.field or shown or field, "message": message}


def refusal(exc: ScreeningError, field: str | None = None) -> JSONResponse:
    """A refusal's answer: its status and each problem in the API's words (`field`
    for a problem that names none)."""
    return JSONResponse(
        {"errors": [in_api_words(d, field) for d in exc.diagnostics]},
        status_code=status_of(exc),
    )


def _refuse(field: str | None, message: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"field": field, "message": message}]}, status_code=422
    )


# --- routes ---------------------------------------------------------------------------


@router.get("/health", response_model=Health, dependencies=[allow(EVERYONE)])
def health() -> JSONResponse:
    """Whether the service answers (no sign-in needed)."""
    return JSONResponse({"status": "ok"})


@router.get(
    "/whoami",
    response_model=WhoAmI,
    responses=_errors(*AUTH),
    dependencies=[allow(SIGNED_IN)],
)
def whoami(request: Request) -> JSONResponse:
    """The account the token belongs to, and its role."""
    account = request.state.identity.account
    return JSONResponse({"name": account.name, "role": account.role})


@router.post(
    "/screenings",
    response_model=Contract,
    responses=_errors(*AUTH, *JSON_BODY),
    dependencies=[allow({OFFICER})],
)
async def screen(request: Request, body: ScreenRequest) -> Response:
    """Screen one project: the JSON contract. With `store` (the default) it goes
    into the register too, and the header `X-Lead` names its lead."""
    # a well-formed request from an officer's token is answered before it gets here,
    # by `direct.DirectScreening`, with this same `screened_response`
    return await screened_response(request.app.state, actor(request), body)


async def screened_response(state: Any, by: str, body: ScreenRequest) -> Response:
    """The answer to one screening request from `by` (an account's name), validated:
    the contract's bytes as they are (never serialised again), or its errors."""
    # Screening takes a fraction of a millisecond and holds the GIL throughout: done
    # here, on the event loop, rather than handed to a thread and back; the wait for
    # the register's writer is awaited, so the loop serves others meanwhile. While a
    # page holds the engine (a draft's trial rescreen of the pipeline), the screening
    # waits in a thread instead, so the loop is never blocked on the lock.
    service = state.service
    lang = body.lang
    screen_it = partial(
        service.screen_project,
        body.project,
        body.ruleset,
        body.as_of or dt.date.today(),
        lang,
    )
    try:
        if ENGINE_LOCK.acquire(blocking=False):
            try:
                screened = screen_it()
            finally:
                ENGINE_LOCK.release()
        else:
            screened = await run_in_threadpool(screen_it)
    except ScreeningError as exc:
        return refusal(exc)
    headers = {}
    if body.store:
        from screening.web.writer import StoreRefused

        try:
            lead = await state.writer.stored(screened, by, lang)
        except StoreRefused as exc:
            return JSONResponse(
                {"errors": [{"field": "project.id", "message": str(exc)}]},
                status_code=422,
            )
        headers["X-Lead"] = quote(lead, safe="")
    return Response(screened.line, media_type="application/json", headers=headers)


@router.get(
    "/screenings/{screening_id}",
    response_model=Contract,
    responses=_errors(*AUTH, 404, 422),
    dependencies=[allow(READERS)],
)
def stored_screening(
    request: Request, screening_id: RowId, lang: Literal["zh", "en"] = "zh"
) -> Response:
    """A stored screening's JSON contract, made again from its rule set snapshot."""
    try:
        contract, _ = request.app.state.service.stored_contract(
            register(request), screening_id, lang
        )
    except ScreeningError as exc:
        return refusal(exc, "screening_id")
    return JSONResponse(contract)


@router.post(
    "/batches",
    status_code=202,
    response_model=BatchJob,
    responses=_errors(400, *AUTH, 413, 422),
    dependencies=[allow({OFFICER})],
)
async def submit_batch(
    request: Request,
    file: Annotated[UploadFile, File(description="XLSX、CSV、TSV 或 JSONL")],
    ruleset: str = Form("national"),
    as_of: str = Form("", description="YYYY-MM-DD，默认今天"),
    lang: Literal["zh", "en"] = Form("zh"),
) -> JSONResponse:
    """Queue a spreadsheet for screening; poll GET /api/v1/batches/{key}."""
    from screening.web.pages.batches import accept_upload

    _refuse_unknown_fields(request, await request.form())
    # the fields as declared here, defaults applied (the page's form sends them all)
    fields = {"file": file, "ruleset": ruleset, "as_of": as_of}
    try:
        key = await accept_upload(request, fields, lang)
    except ScreeningError as exc:
        return refusal(exc)
    job = request.app.state.jobs.get(key)
    return JSONResponse(_job(job, root_of(request.scope)), status_code=202)


def _refuse_unknown_fields(request: Request, form: Any) -> None:
    """A form field the route does not take is refused (422), as an unknown JSON key
    or query parameter is: a misspelt `rulset=` would otherwise screen by the
    default rule set."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    taken = {p.alias for p in route.dependant.body_params}
    unknown = sorted(set(form.keys()) - taken)
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("body", name),
                    "msg": "unknown form field",
                    "input": None,
                }
                for name in unknown
            ]
        )


def _job(job: dict[str, Any], root: str) -> dict[str, Any]:
    """A batch job as the API shows it; its reports' paths begin with `root`."""
    base = f"{root}/api/v1/batches/{job['key']}/reports"
    done = job["status"] == "done"
    return {
        "key": job["key"],
        "status": job["status"],
        "filename": job["filename"],
        "ruleset": job["rules_ref"],
        "as_of": job["as_of"].isoformat(),
        "total_rows": job["total_rows"],
        "done_rows": job["done_rows"],
        "counts": job["counts"],
        "error": job["error"],
        "renamed": (job.get("summary") or {}).get("renamed", []),
        "renamed_count": (job.get("summary") or {}).get("renamed_count", 0),
        "reports": {
            n: f"{base}/{n}"
            for n in ("report.xlsx", "report.html", "report.errors.csv")
        }
        if done
        else {},
    }


@router.get(
    "/batches/{key}",
    response_model=BatchJob,
    responses=_errors(*AUTH, 404),
    dependencies=[allow(READERS)],
)
def batch_status(request: Request, key: str) -> JSONResponse:
    """A batch job's state, counts when done, and its reports."""
    job = request.app.state.jobs.get(key)
    if job is None:
        return JSONResponse(
            {
                "errors": [
                    {"field": "key", "message": "没有这个批量任务 / no such batch"}
                ]
            },
            status_code=404,
        )
    return JSONResponse(_job(job, root_of(request.scope)))


@router.get(
    "/batches/{key}/reports/{name}",
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "the report"},
        **_errors(*AUTH, 404),
    },
    response_class=Response,
    dependencies=[allow(READERS)],
)
def batch_report(
    request: Request,
    key: str,
    name: Literal["report.xlsx", "report.html", "report.errors.csv"],
) -> Response:
    """One of a finished batch's reports."""
    job = request.app.state.jobs.get(key)
    path = request.app.state.jobs.folder(key) / name if job else None
    if job is None or job["status"] != "done" or path is None or not path.is_file():
        return JSONResponse(
            {
                "errors": [
                    {"field": "key", "message": "报告尚未生成 / no such report yet"}
                ]
            },
            status_code=404,
        )
    return FileResponse(path, media_type="application/octet-stream", filename=name)


@router.get(
    "/leads",
    response_model=LeadPage,
    responses=_errors(*AUTH, 422),
    dependencies=[allow(READERS)],
)
def list_leads(
    request: Request,
    park: str | None = None,
    stage: str | None = Query(
        None, description="阶段（中文或英文名，如 签约 / signed）"
    ),
    decision: Literal["pass", "review", "reject"] | None = None,
    industry: str | None = Query(None, description="GB/T 4754 代码或前缀（C26）"),
    band: Literal["3000万", "5000万", "1亿"] | None = Query(
        None, description="总投资 ≥"
    ),
    registered_from: dt.date | None = None,
    registered_to: dt.date | None = None,
    committee: Literal["同意", "不同意", "暂缓", "未决定"] | None = Query(
        None,
        description="委员会决定；未决定：当前筛查尚无委员会决定（含此前筛查已有决定、"
        "之后重新筛查的项目）/ committee decision; 未决定: none on the lead's current "
        "screening (also a lead decided on an earlier screening and screened since)",
    ),
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> JSONResponse:
    """Leads matching the filters, newest first (`screening register list`)."""
    from screening.web.pages.pipeline import filters_of

    if stage:
        try:
            stage = stage_name(stage)  # as `register list --stage` takes it
        except RegisterError:
            return _refuse("stage", unknown_stage(stage))
    query = {
        "park": park or "",
        "stage": stage or "",
        "decision": decision or "",
        "industry": industry or "",
        "band": band or "",
        "from": registered_from.isoformat() if registered_from else "",
        "to": registered_to.isoformat() if registered_to else "",
        "committee": committee or "",
    }
    try:
        total, rows = register(request).leads(
            filters_of(query), limit=limit, offset=offset
        )
    except ScreeningError as exc:
        return refusal(exc)
    return JSONResponse({"total": total, "leads": [_lead(r) for r in rows]})


def _lead(row: dict[str, Any]) -> dict[str, Any]:
    item = {k: v for k, v in row.items() if k not in ("lead_pk", "company_id")}
    return plain(item)  # type: ignore[no-any-return]


@router.get(
    "/leads/{key:path}",
    response_model=LeadDetail,
    responses=_errors(*AUTH, 404),
    dependencies=[allow(READERS)],
)
def get_lead(request: Request, key: str) -> JSONResponse:
    """A lead with its screenings (decision and score; the contract is at
    /api/v1/screenings/{id}), stages, committee decisions, promises and actuals."""
    try:
        lead = register(request).lead(key)
    except ScreeningError as exc:
        return refusal(exc, "key")
    lead["screenings"] = [
        {k: v for k, v in s.items() if k not in ("findings", "values")}
        for s in lead["screenings"]
    ]
    return JSONResponse(_lead(lead))


@router.post(
    "/leads/{key:path}/stages",
    status_code=201,
    response_model=StageDone,
    responses=_errors(*AUTH, 404, *JSON_BODY),
    dependencies=[allow({OFFICER})],
)
def move_stage(request: Request, key: str, body: StageRequest) -> JSONResponse:
    """Move a lead to a stage (out-of-order moves only with `override` and a note)."""
    refused = _stage_refused(body)
    if refused is not None:
        return refused
    try:
        done = register(request).record_stage(
            key,
            body.stage,
            body.on,
            actor(request),
            reason=body.reason,
            note=body.note,
            override=body.override,
        )
    except ScreeningError as exc:
        return refusal(exc)
    _audit(request, "stage", done["lead"], done)
    return JSONResponse(plain(done), status_code=201)


def _stage_refused(body: StageRequest) -> JSONResponse | None:
    """What the request's own fields show `stages.plan_move` would refuse, said in
    the API's terms with the field; what depends on the lead is the register's."""
    day = today()
    if body.on > day:
        return _refuse(
            "on", f"日期 {body.on} 晚于今天（{day}）/ a date in the future is refused"
        )
    if body.override and not (body.note and body.note.strip()):
        return _refuse(
            "note",
            '"override": true 需要 note 说明原因 / "override": true needs a note '
            "saying why",
        )
    if body.stage in ENDINGS and not (body.reason and body.reason.strip()):
        return _refuse(
            "reason",
            f"{body.stage} 需要 reason 说明原因 / {STAGE_EN[body.stage]} needs a reason",
        )
    return None


@router.post(
    "/leads/{key:path}/committee",
    status_code=201,
    response_model=CommitteeDone,
    responses=_errors(*AUTH, 404, *JSON_BODY),
    dependencies=[allow({COMMITTEE})],
)
def committee_decision(
    request: Request, key: str, body: CommitteeRequest
) -> JSONResponse:
    """Record the committee's decision (同意 is refused for a vetoed lead; a meeting
    date before the lead was registered or before 2000-01-01 too). A second decision
    for the same meeting date corrects the first, kept in the history: `replaced`."""
    day = today()
    if body.meeting_on > day:  # as the register refuses it, naming the field
        return _refuse(
            "meeting_on",
            f"会议日期 {body.meeting_on} 晚于今天（{day}）/ a meeting date in the "
            "future is refused",
        )
    try:
        done = register(request).record_committee(
            key, body.decision, body.meeting_on, actor(request), body.note
        )
    except ScreeningError as exc:
        return refusal(exc)
    recorded = {k: done[k] for k in ("lead", "decision", "meeting_on")}
    if done["replaced"] is not None:  # a correction: the audit says of what
        recorded["replaced"] = done["replaced"]["decision"]
    _audit(request, "committee", done["lead"], {**recorded, "note": body.note})
    return JSONResponse(plain(done), status_code=201)


def _audit(request: Request, action: str, target: str, detail: dict[str, Any]) -> None:
    from screening.web.pages import audit

    audit(request, action, target, {k: str(v) for k, v in detail.items()})


@router.get(
    "/kpis",
    responses={
        200: {"description": "每园区与合计的指标（见 docs/register.md）"},
        **_errors(*AUTH, 422),
    },
    dependencies=[allow(READERS)],
)
def kpis(
    request: Request,
    year: int | None = Query(None, ge=1990, le=2200),
    quarter: str | None = Query(None, pattern=r"^\d{4}[Qq][1-4]$"),
    month: str | None = Query(None, pattern=r"^\d{4}-\d{2}$"),
    start: Annotated[dt.date | None, Query(alias="from")] = None,
    end: Annotated[dt.date | None, Query(alias="to")] = None,
    park: str | None = None,
) -> JSONResponse:
    """履约率, 资金到位率, 开工率, 投产率 and projects ≥ 3000万 / 5000万 / 1亿
    (as `screening register kpi`)."""
    from screening.register.kpi import compute_kpis, period_of
    from screening.web.pages.pipeline import _targets

    given = {"year": year, "quarter": quarter, "month": month, "from": start, "to": end}
    named = [name for name, value in given.items() if value is not None]
    if len({"from" if name == "to" else name for name in named}) > 1:
        message = (
            "year、quarter、month 与 from/to 只能选一种 / give one kind of period: "
            "year, quarter, month, or from and to"
        )
        return JSONResponse(
            {"errors": [{"field": name, "message": message} for name in named]},
            status_code=422,
        )
    try:
        period = period_of(year, quarter, month, start, end, dt.date.today())
    except ScreeningError as exc:  # the one kind given: its last parameter
        return refusal(exc, named[-1] if named else None)
    try:
        report = compute_kpis(register(request), period, park, _targets(request))
    except ScreeningError as exc:
        return refusal(exc)
    return JSONResponse(plain(report))


@router.get(
    "/rulesets",
    response_model=list[RuleSetInfo],
    responses=_errors(*AUTH),
    dependencies=[allow(READERS)],
)
def rulesets(request: Request) -> JSONResponse:
    """The rule sets a screening may name: shipped ids and adopted `local:` ones."""
    service = request.app.state.service
    out = []
    for ref in service.choices():
        try:
            rs = service.ruleset(ref, dt.date.today())
            out.append(
                {
                    "ref": ref,
                    "id": rs.id,
                    "title": rs.title.zh,
                    "version": rs.version,
                    "sha256": rs.sha256,
                    "error": None,
                }
            )
        except ScreeningError as exc:
            out.append(
                {
                    "ref": ref,
                    "id": None,
                    "title": None,
                    "version": None,
                    "sha256": None,
                    "error": exc.diagnostics[0].message,
                }
            )
    return JSONResponse(out)


@router.get(
    "/ruleset",
    responses={
        200: {"description": "`screening rules show --format json`"},
        **_errors(*AUTH, 422),
    },
    dependencies=[allow(READERS)],
)
def ruleset(
    request: Request,
    ref: str = Query(..., max_length=300),
    as_of: dt.date | None = None,
) -> Response:
    """One rule set merged, with where each part is defined (`screening rules show`)."""
    from screening.report.workbench import render_rules_show

    try:
        rs = request.app.state.service.ruleset(ref, as_of or dt.date.today())
    except UnknownRuleSet as exc:  # the parameter here is `ref`
        return _refuse("ref", exc.diagnostics[0].message)
    except ScreeningError as exc:
        return refusal(exc)
    return Response(render_rules_show(rs, "json"), media_type="application/json")
