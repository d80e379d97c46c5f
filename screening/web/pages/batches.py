"""Batch uploads: the upload form, the job's page with its progress (polled by htmx, the
run going on if the page is closed), the summary, and the XLSX and HTML reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from screening.errors import ScreeningError
from screening.web.auth import OFFICER, READERS, allow
from screening.web.jobs import SUFFIXES, JobQueue, UploadRefused
from screening.web.pages import actor, audit
from screening.web.views import lang_of, render, ruleset_choices

router = APIRouter(include_in_schema=False)
REPORTS = {
    "report.xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "筛查结果",
    ),
    "report.html": ("text/html; charset=utf-8", "筛查报告"),
    "report.errors.csv": ("text/csv; charset=utf-8", "无效与跳过的行"),
}


def queue(request: Request) -> JobQueue:
    return request.app.state.jobs  # type: ignore[no-any-return]


async def accept_upload(request: Request, form: Any, lang: str) -> str:
    """Check an upload form (file type, rule set, date) and queue its job: the key."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise UploadRefused(
            "请选择要上传的文件 / choose a file to upload", field="file"
        )
    name = Path(upload.filename.replace("\\", "/")).name  # shown only, never a path
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise UploadRefused(
            f"不支持的文件类型 {suffix or '（无扩展名）'}"
            f"（可用：{' '.join(SUFFIXES)}）/ "
            "unsupported file type",
            field="file",
        )
    ref = str(form.get("ruleset") or "")
    as_of_text = str(form.get("as_of") or "").strip()
    try:
        as_of = dt.date.fromisoformat(as_of_text) if as_of_text else dt.date.today()
    except ValueError:
        raise UploadRefused(
            "评估日期应为日期，如 2025-06-30 / expected a date", field="as_of"
        ) from None
    service = request.app.state.service
    service.ruleset(ref, as_of)  # an unknown or unloadable rule set: refused now
    target = service.resolve(ref)
    limit = request.app.state.settings.max_upload_bytes

    def save(path: Path) -> None:
        written = 0
        with path.open("wb") as out:
            upload.file.seek(0)
            while block := upload.file.read(1 << 20):
                written += len(block)
                if written > limit:
                    raise UploadRefused(
                        f"文件超过上限 {limit:,} 字节 / "
                        f"the file is larger than {limit:,} bytes",
                        field="file",
                    )
                out.write(block)

    return queue(request).submit(
        actor(request), name, suffix, target, as_of, lang, save
    )


@router.get("/batches", dependencies=[allow(READERS)], response_class=HTMLResponse)
def batches_page(request: Request) -> Response:
    return _page(request)


def _page(request: Request, error: str | None = None, status: int = 200) -> Response:
    return render(
        request,
        "batches.html.j2",
        status=status,
        jobs=queue(request).list(),
        choices=ruleset_choices(request),
        error=error,
        suffixes=" ".join(SUFFIXES),
        max_mb=request.app.state.settings.max_upload_bytes // (1 << 20),
        max_rows=request.app.state.settings.max_rows,
    )


@router.post("/batches", dependencies=[allow({OFFICER})])
async def upload(request: Request) -> Response:
    form = await request.form(max_files=1, max_fields=20)
    try:
        key = await accept_upload(request, form, lang_of(request))
    except ScreeningError as exc:
        return _page(request, exc.diagnostics[0].message, 422)
    audit(
        request,
        "batch_uploaded",
        key,
        {"file": getattr(form.get("file"), "filename", "")},
    )
    return RedirectResponse(f"/batches/{key}", 303)


def _job(request: Request, key: str) -> dict[str, Any]:
    job = queue(request).get(key)
    if job is None:
        raise HTTPException(404, "没有这个批量任务 / no such batch")
    if job["status"] == "queued":
        queue(request).start_runner()  # a runner that ended just before: start one
    return job


@router.get(
    "/batches/{key}", dependencies=[allow(READERS)], response_class=HTMLResponse
)
def batch_page(request: Request, key: str) -> Response:
    return render(request, "batch.html.j2", job=_job(request, key), quote=quote)


@router.get(
    "/batches/{key}/progress",
    dependencies=[allow(READERS)],
    response_class=HTMLResponse,
)
def batch_progress(request: Request, key: str) -> Response:
    """The progress bar (htmx polls it each second) or, once done, the summary."""
    return render(request, "batch_status.html.j2", job=_job(request, key), quote=quote)


@router.get("/batches/{key}/{name}", dependencies=[allow(READERS)])
def batch_report(request: Request, key: str, name: str) -> Response:
    """One of the run's reports, under a name of ours (never the uploaded one)."""
    job = _job(request, key)
    if name not in REPORTS:
        raise HTTPException(404, "没有这个报告 / no such report")
    path = queue(request).folder(job["key"]) / name
    if job["status"] != "done" or not path.is_file():
        raise HTTPException(404, "报告尚未生成 / the report is not ready")
    media, title = REPORTS[name]
    filename = f"{title}-{job['created_at']:%Y%m%d-%H%M}{Path(name).suffix}"
    return FileResponse(
        path,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"; '
            f"filename*=UTF-8''{quote(filename, safe='')}"
        },
    )
