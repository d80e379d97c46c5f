"""The web application: `create_app(db_url, …)` builds it (pages, the JSON API, static
files), bound to one register; `screening serve` runs it under uvicorn.

Each worker process opens the register once, keeps its compiled rule sets
(`service.py`) and stores what it screens through one writer thread (`writer.py`).
Every route declares who may use it (`auth.allow`); the app refuses to start with a
route that does not.
"""

from __future__ import annotations

import contextlib
import gc
import secrets
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    MutableMapping,
)
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from itsdangerous import URLSafeTimedSerializer
from starlette.exceptions import HTTPException as StarletteHTTPException

from screening.errors import ScreeningError
from screening.register.store import Register
from screening.web.accounts import AccountStore
from screening.web.auth import Allow, NotSignedIn, TokenCache, is_api
from screening.web.prefix import UnderPrefix, route_path
from screening.web.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
# Upload routes take files up to Settings.max_upload_bytes; every other request body
# is bounded by Settings.max_json_bytes.
UPLOADS = {
    ("POST", "/batches"),
    ("POST", "/api/v1/batches"),
    ("POST", "/rulesets/drafts"),
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyTooLarge(HTTPException):
    """A request body past its bound (413): refused while it is still arriving."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"请求内容超过上限 {limit:,} 字节 / the request is larger than "
            f"{limit:,} bytes",
        )


class BodyLimit:
    """ASGI middleware: a body larger than its bound is refused before it is all read
    (a declared Content-Length at once, an undeclared one as it arrives)."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        s = self.settings
        upload = (scope["method"], route_path(scope)) in UPLOADS
        # an upload's form fields and multipart framing come on top of the file
        limit = s.max_upload_bytes + (64 << 10) if upload else s.max_json_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await _refuse(scope, send, limit)
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    error = BodyTooLarge(limit)
    if route_path(scope).startswith("/api/"):
        response: Response = _json_error(413, str(error.detail))
    else:
        response = Response(str(error.detail), 413, media_type="text/plain")
    response.headers["connection"] = "close"

    async def nothing() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, nothing, send)


class SecurityHeaders:
    """ASGI middleware: CSP and the other headers every response carries."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = route_path(scope).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                if not static and b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = headers + [h for h in extra if h[0] not in names]
            await send(message)

        await self.app(scope, receive, with_headers)


def _json_error(status: int, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"field": field, "message": message}]}, status_code=status
    )


def create_app(db_url: str | None = None, settings: Settings | None = None) -> FastAPI:
    """The web app on the register at `db_url` (created when new, as `batch
    --register` creates it)."""
    settings = settings or Settings(db=db_url)
    if db_url is not None and settings.db != db_url:
        from dataclasses import replace

        settings = replace(settings, db=db_url)
    register = Register.open(settings.db, create=True)
    data = settings.data
    for folder in ("batches", "drafts", "rules"):
        (data / folder).mkdir(parents=True, exist_ok=True)

    from screening.web import api, jobs, views
    from screening.web.pages import (
        account,
        admin,
        batches,
        committee,
        decisions,
        leads,
        pipeline,
        rulesets,
    )
    from screening.web.service import ScreeningService
    from screening.web.writer import StoreWriter

    accounts = AccountStore(register)
    service = ScreeningService(data / "rules", lambda: views.adopted_rulesets(register))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.writer.close()
        register.close()

    app = FastAPI(
        telemetry=_telemetry(),
        title="screening — 招商引资项目预评估 API",
        version="1",
        description=(
            "筛查项目、批量上传、项目库、阶段、指标与规则集。机器客户端用 API 令牌"
            "（`Authorization: Bearer …`，由管理员在账户页签发）。错误为 JSON："
            '`{"errors": [{"field": 字段路径或参数名, "message": 中英文说明}]}`；'
            "读不懂的请求为 400，内容类型不对为 415，字段不符为 422。"
            "\n\nScreen projects, submit batches, read the pipeline, move stages, KPIs "
            "and rule sets. Machine clients authenticate with an API token. Errors "
            "are JSON naming the field or parameter, with a zh/en message: 400 for a "
            "body that cannot be read, 415 for a body that is not JSON, 422 for a "
            "field refused."
        ),
        lifespan=lifespan,
        docs_url="/api/docs",
        swagger_ui_oauth2_redirect_url=None,  # no OAuth: tokens are issued by the admin
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.register = register
    app.state.accounts = accounts
    app.state.tokens = TokenCache()
    app.state.service = service
    # the workers' writers take turns on a SQLite file by a lock file (writer.py)
    turns = data / "register-writer.lock" if register.is_sqlite else None
    app.state.writer = StoreWriter(register, turns)
    app.state.signer = URLSafeTimedSerializer(
        accounts.setting("session_secret", lambda: secrets.token_urlsafe(48))
    )
    app.state.jobs = jobs.JobQueue(register, settings)
    app.state.templates = views.environment()

    # the API first (machine clients' requests are matched before any page's route),
    # static files last
    app.include_router(api.router)
    pages = (account, leads, decisions, batches, pipeline, committee, rulesets, admin)
    for module in pages:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _check_rules(app)

    @app.exception_handler(NotSignedIn)
    async def _sign_in(request: Request, exc: NotSignedIn) -> Response:
        target = route_path(request.scope) + (
            f"?{request.url.query}" if request.url.query else ""
        )
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(target)}", 303)

    # Starlette's own class: an unrouted path (a lead key with a newline) is one too
    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail)
        if is_api(request):
            # FastAPI's 400 for a body it could not read, raised from the reason
            if exc.status_code == 400 and exc.__cause__ is not None:
                denied = await api.access_refused(request)
                if denied is not None:
                    return await _http(request, denied)
                message = api.unreadable_body(exc.__cause__)
            response: Response = _json_error(exc.status_code, message)
        else:
            response = views.error_page(request, exc.status_code, message)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if is_api(request):
            denied = await api.access_refused(request)
            if denied is not None:
                return await _http(request, denied)
            status, errors = api.invalid_request(exc)
            return JSONResponse({"errors": errors}, status_code=status)
        errors = api.validation_errors(exc)
        text = "；".join(f"{e['field'] or ''} {e['message']}".strip() for e in errors)
        return views.error_page(request, 422, text)

    @app.exception_handler(ScreeningError)
    async def _refused(request: Request, exc: ScreeningError) -> Response:
        status = api.status_of(exc)
        if is_api(request):
            return api.refusal(exc)
        return views.error_page(
            request, status, "；".join(d.message or "" for d in exc.diagnostics)
        )

    from screening.web.direct import PATH, DirectScreening

    # the hot route answered without FastAPI's layers when all is well (direct.py),
    # inside the bounds and headers every response has
    app.add_middleware(
        DirectScreening,
        state=app.state,
        roles=_roles_of(app, "POST", PATH),
        handlers=app.exception_handlers,
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(UnderPrefix, prefix=settings.root_path)  # outermost
    if settings.start_jobs:
        app.state.jobs.recover()
    return app


def _telemetry() -> Any:
    """FastAPI's OpenTelemetry, on where an office has set it up (OTEL_* variables, or
    providers already configured); elsewhere off, so that each request does not ask
    the global providers whether anyone listens."""
    import os

    if any(name.startswith(("OTEL_", "FASTAPI_OTEL_")) for name in os.environ):
        return {}
    try:  # FastAPI's own check (a FastAPI without telemetry has nothing to turn off)
        from fastapi.telemetry._api import _unconfigured
        from opentelemetry import _logs, metrics, trace
    except ImportError:
        return {}
    providers = (
        trace.get_tracer_provider(),
        metrics.get_meter_provider(),
        _logs.get_logger_provider(),
    )
    if not all(_unconfigured(provider) for provider in providers):
        return {}
    return {"tracing": False, "metrics": False, "logs": False}


def app_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route of an app, routers included (FastAPI may keep an included router as
    one entry that holds its routes)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from app_routes(inner.routes)
        else:
            yield route


def _check_rules(app: FastAPI) -> None:
    """Every route says who may use it (one `allow(...)`), or the app does not start."""
    checked = 0
    for route in app_routes(app.routes):
        if isinstance(route, APIRoute):
            checked += 1
            if rule_of(route) is None:
                raise RuntimeError(f"route without an access rule: {route.path}")
    if not checked:
        raise RuntimeError("no routes found to check")


def rule_of(route: APIRoute) -> Allow | None:
    """The access rule a route declares (its `allow(...)` dependency), or None."""
    for dependency in route.dependant.dependencies:
        if isinstance(dependency.call, Allow):
            return dependency.call
    return None


def _roles_of(app: FastAPI, method: str, path: str) -> frozenset[str]:
    """The roles a route allows (a route for signed-in roles only)."""
    for route in app_routes(app.routes):
        if (
            isinstance(route, APIRoute)
            and route.path == path
            and method in (route.methods or ())
        ):
            rule = rule_of(route)
            if rule is not None and rule.roles is not None:
                return rule.roles
    raise RuntimeError(f"no route with an access rule for signed-in roles: {path}")


def create_app_from_env() -> FastAPI:
    """The app as `screening serve` configures each worker (uvicorn's factory)."""
    app = create_app(settings=Settings.from_env())
    # A worker process of its own (the collector's settings are process-wide, so never
    # in a test's): a request allocates many short-lived objects, and the modules, the
    # app and each compiled rule set need no scanning for cycles every few hundred
    # allocations; a full collection of them stopped a worker for tenths of a second.
    # As the batch's workers do: what is alive is frozen (again after each compile),
    # and a young collection waits for 50,000 more objects alive than there were.
    _freeze()
    gc.set_threshold(50_000, 20, 20)
    app.state.service.compiled = _freeze
    return app


def _freeze() -> None:
    gc.collect()
    gc.freeze()
