"""Rule sets for policy staff: the shipped and local ones with their provenance (as
`rules show`), a draft's `validate` and `test` results, its impact on the stored
pipeline (a trial `rescreen`, shown as `screening diff` shows it), and adoption,
recorded with who, when and the sha256."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from screening.diff import Change, Impact
from screening.errors import ScreeningError
from screening.model.effective import RuleSet
from screening.register.schema import ruleset_adoptions
from screening.register.store import Filters, utc_now
from screening.report.figures import show
from screening.report.html import enum_label
from screening.report.workbench import _condition, render_rules_show
from screening.web.auth import POLICY, READERS, allow
from screening.web.drafts import (
    adopted_file,
    draft_meta,
    draft_path,
    list_drafts,
    save_draft,
)
from screening.web.pages import actor, audit, register
from screening.web.service import ENGINE_LOCK, LOCAL
from screening.web.views import lang_of, render

router = APIRouter(include_in_schema=False)
VIEWERS = READERS  # every role that screens or reads the pipeline sees the rule sets


def _drafts(request: Request) -> Path:
    return request.app.state.settings.data / "drafts"  # type: ignore[no-any-return]


def _adoptions(request: Request) -> list[dict[str, Any]]:
    with register(request).read() as conn:
        rows = conn.execute(
            select(ruleset_adoptions).order_by(ruleset_adoptions.c.id.desc()).limit(200)
        ).fetchall()
    return [dict(r._mapping) for r in rows]


@router.get("/rulesets", dependencies=[allow(VIEWERS)], response_class=HTMLResponse)
def rulesets_page(request: Request) -> Response:
    service = request.app.state.service
    today = dt.date.today()
    listed = []
    for ref in service.choices():
        try:
            rs = service.ruleset(ref, today)
            listed.append(
                {
                    "ref": ref,
                    "title": rs.title.zh,
                    "title_en": rs.title.en,
                    "version": rs.version,
                    "sha256": rs.sha256,
                    "error": None,
                }
            )
        except ScreeningError as exc:
            listed.append(
                {
                    "ref": ref,
                    "title": "",
                    "title_en": "",
                    "version": "",
                    "sha256": "",
                    "error": exc.diagnostics[0].message,
                }
            )
    return render(
        request,
        "rulesets.html.j2",
        rulesets=listed,
        adoptions=_adoptions(request),
        drafts=list_drafts(_drafts(request)) if who_is(request, POLICY) else [],
        error=None,
    )


def who_is(request: Request, role: str) -> bool:
    identity = request.state.identity
    return bool(identity and identity.account.role == role)


@router.get(
    "/rulesets/show", dependencies=[allow(VIEWERS)], response_class=HTMLResponse
)
def show_ruleset(request: Request, ref: str = "") -> Response:
    """The merged rule set with where each part is defined (`screening rules show`)."""
    rs = request.app.state.service.ruleset(ref, dt.date.today())
    data = json.loads(render_rules_show(rs, "json"))
    lang = lang_of(request)
    titles = {r.id: r.spec.title.get(lang) for r in rs.rules if r.spec.title}
    return render(request, "ruleset.html.j2", ref=ref, data=data, rs=rs, titles=titles)


@router.post("/rulesets/drafts", dependencies=[allow({POLICY})])
async def upload_draft(request: Request) -> Response:
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise HTTPException(422, "请选择规则集文件 / choose a rule set file")
    content = await upload.read()
    key = save_draft(_drafts(request), content, upload.filename, actor(request))
    audit(request, "draft_uploaded", key, {"file": upload.filename[:255]})
    return RedirectResponse(f"/rulesets/drafts/{key}", 303)


def _checks(request: Request, path: Path, shown: str) -> dict[str, Any]:
    """`validate` and `test` of a draft, its diagnostics under the uploaded name."""
    from screening.casecheck import check_case
    from screening.cases import case_files, load_case
    from screening.loader import load_ruleset
    from screening.validate import validate

    prefix = str(path)
    report = validate(str(path))

    def place(d: Any) -> dict[str, Any]:
        item: dict[str, Any] = d.to_dict()
        if item["path"] and (item["path"] == prefix or item["path"].endswith(prefix)):
            item["path"] = shown
        return item

    diagnostics = [place(d) for d in report.diagnostics]
    out: dict[str, Any] = {
        "diagnostics": diagnostics,
        "errors": report.errors,
        "warnings": report.warnings,
        "ruleset": None,
        "cases": [],
    }
    if report.errors:
        return out
    service = request.app.state.service
    with ENGINE_LOCK:
        rs = load_ruleset(str(path), as_of=dt.date.today())
    out["ruleset"] = {
        "id": rs.id,
        "version": rs.version,
        "sha256": rs.sha256,
        "title": rs.title.zh,
    }
    folder = (
        Path("cases")
        if Path("cases").is_dir()
        else Path(__file__).resolve().parents[3] / "cases"
    )
    if folder.is_dir():
        for case_path in case_files([folder]):
            case = load_case(case_path)
            if case.expect is None or case.ruleset != rs.id:
                continue
            day = case.as_of or dt.date.today()
            with ENGINE_LOCK:
                ruleset = load_ruleset(str(path), as_of=day)
                decision = service.screener(ruleset).screen(case.project)
            mismatches = check_case(case, decision)
            out["cases"].append(
                {
                    "case": case_path.name,
                    "ok": not mismatches,
                    "mismatches": [str(m) for m in mismatches],
                }
            )
    return out


@router.get(
    "/rulesets/drafts/{key}",
    dependencies=[allow({POLICY})],
    response_class=HTMLResponse,
)
def draft_page(request: Request, key: str) -> Response:
    root = _drafts(request)
    try:
        path, meta = draft_path(root, key), draft_meta(root, key)
    except ScreeningError as exc:
        raise HTTPException(404, exc.diagnostics[0].message) from None
    checks = _checks(request, path, meta["filename"])
    return render(
        request,
        "draft.html.j2",
        meta=meta,
        checks=checks,
        text=path.read_text(encoding="utf-8"),
        parks=_parks(request),
    )


def _parks(request: Request) -> list[str]:
    from screening.web.pages.pipeline import parks

    return parks(request)


@router.post("/rulesets/drafts/{key}/impact", dependencies=[allow({POLICY})])
async def draft_impact(request: Request, key: str) -> Response:
    """Rescreen the stored pipeline under the draft (trial screenings: no lead's
    current decision changes) and keep the impact for the draft's page."""
    from screening.register.rescreen import render_rescreen, rescreen

    root = _drafts(request)
    path = draft_path(root, key)
    form = await request.form()
    park = str(form.get("park") or "").strip() or None
    with ENGINE_LOCK:
        result = rescreen(
            register(request),
            str(path),
            dt.date.today(),
            Filters(park=park),
            lang_of(request),
            actor(request),
            adopt=False,
        )
    impact = json.loads(render_rescreen(result, "json"))
    groups = impact if isinstance(impact, list) else [impact]
    pairs = result.groups or [(result.new, Impact([]))]  # render_rescreen's order
    for group, (old, part) in zip(groups, pairs, strict=True):
        group["shown"] = {
            lang: shown_impact(part, old, result.new, lang) for lang in ("zh", "en")
        }
    (root / key / "impact.json").write_text(
        json.dumps(
            {
                "park": park,
                "leads": result.leads,
                "invalid": result.invalid,
                "groups": groups,
                "summary": result.summary_line(),
                "at": utc_now().strftime("%Y-%m-%d %H:%M UTC"),
            },
            ensure_ascii=False,
            default=str,
        ),
        encoding="utf-8",
    )
    audit(request, "draft_impact", key, {"park": park, "leads": result.leads})
    return RedirectResponse(f"/rulesets/drafts/{key}#impact", 303)


@router.post("/rulesets/drafts/{key}/adopt", dependencies=[allow({POLICY})])
async def adopt_draft(request: Request, key: str) -> Response:
    """Adopt a draft that validates: kept as a local rule set, recorded, and with
    "make current" the pipeline rescreened under it as current decisions."""
    from screening.loader import load_ruleset
    from screening.register.rescreen import rescreen

    root = _drafts(request)
    path = draft_path(root, key)
    form = await request.form()
    checks = _checks(request, path, draft_meta(root, key)["filename"])
    if checks["errors"]:
        raise HTTPException(
            422,
            "草稿有错误，不能采用（先修正 validate 报告的问题）/ the draft has errors",
        )
    content = path.read_bytes()
    rs = load_ruleset(str(path), as_of=dt.date.today())
    target = adopted_file(
        request.app.state.settings.data / "rules", rs.id, rs.sha256, content
    )
    run_id = None
    if form.get("make_current"):
        with ENGINE_LOCK:
            result = rescreen(
                register(request),
                str(target),
                dt.date.today(),
                Filters(),
                lang_of(request),
                actor(request),
                adopt=True,
            )
        run_id = result.run_id
    note = str(form.get("note") or "").strip()[:2000] or None
    with register(request).write() as conn:
        conn.execute(
            ruleset_adoptions.insert().values(
                ruleset_id=rs.id,
                version=rs.version,
                sha256=rs.sha256,
                path=str(target),
                note=note,
                rescreen_run_id=run_id,
                recorded_at=utc_now(),
                actor=actor(request),
            )
        )
    request.app.state.service.local(fresh=True)
    audit(
        request,
        "ruleset_adopted",
        rs.id,
        {
            "version": rs.version,
            "sha256": rs.sha256,
            "file": str(target),
            "made_current": run_id is not None,
        },
    )
    return RedirectResponse(
        f"/rulesets/show?ref={quote(LOCAL + rs.id)}&msg=adopted", 303
    )


# --- the impact in a policy officer's words -------------------------------------------

_WHAT = {
    "rule": ("规则", "rule"),
    "parameter": ("参数", "parameter"),
    "metric": ("指标", "metric"),
    "table": ("查找表", "table"),
    "weights": ("权重", "weights"),
}
_CHANGE = {
    "added": ("新增", "added"),
    "removed": ("删除", "removed"),
    "changed": ("修改", "changed"),
}
_FIELDS = {  # a rule's parts, as `diff.rule_changes` names them
    "kind": ("类型", "kind"),
    "group": ("分组", "group"),
    "require": ("条件", "condition"),
    "fail_if": ("不通过条件", "fails if"),
    "require_any": ("任一条件", "any of"),
    "when": ("条件", "when"),
    "value": ("取值", "value"),
    "applies_if": ("适用条件", "applies if"),
    "bands": ("分档", "bands"),
    "linear": ("线性计分", "linear points"),
    "points": ("分值", "points"),
    "sets": ("设定", "sets"),
    "effective": ("有效期", "in force"),
    "basis": ("依据", "basis"),
    "title": ("名称", "title"),
    "message": ("提示语", "message"),
    "otherwise": ("否则", "otherwise"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def _title_of(item: Any, name: str, lang: str) -> str:
    title = getattr(item, "title", None)
    return title.get(lang) if title is not None else name


def _part(rs: RuleSet, what: str, name: str) -> Any:
    if what == "rule":
        return next((r.spec for r in rs.rules if r.id == name), None)
    found: dict[str, dict[str, Any]] = {
        "parameter": rs.parameters,
        "metric": rs.metrics,
        "table": rs.tables,
    }
    return found.get(what, {}).get(name)


def _words(value: Any, lang: str) -> str:
    """A part of a rule set (as `diff` keeps it: plain JSON values) as text to read."""
    if value is None:
        return "—"
    if isinstance(value, (bool, int, float)) or not isinstance(
        value, (str, dict, list)
    ):
        return show(value, lang)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return _pick(("；", "; "), lang).join(_words(v, lang) for v in value) or "—"
    if value.keys() <= {"zh", "en"} and "zh" in value:  # a title or message
        return str(value.get("en") or value["zh"]) if lang == "en" else value["zh"]
    if "points" in value and value.keys() <= {"min", "max", "points", "at"}:
        if "at" in value:  # a linear point
            at = _words(value["at"], lang)
            return f"{at} → {_words(value['points'], lang)}"
        low, high = value.get("min"), value.get("max")
        bound = " ".join(
            part
            for part in (
                f"≥ {_words(low, lang)}" if low is not None else "",
                f"< {_words(high, lang)}" if high is not None else "",
            )
            if part
        )
        points = _words(value["points"], lang)
        return (
            f"{bound or _pick(('其余', 'otherwise'), lang)}{_pick(('：', ': '), lang)}{points}"
            + (" points" if lang == "en" else " 分")
        )
    if value.keys() <= {"from", "to"}:  # a period in force
        return f"{value.get('from') or '…'} {_pick(('至', 'to'), lang)} {value.get('to') or '…'}"
    return _pick(("；", "; "), lang).join(
        f"{k}: {_words(v, lang)}" for k, v in value.items()
    )


def _side(change: Change, value: Any, part: Any, lang: str) -> str:
    """The before or after of one change, in words (an expression as written)."""
    if value is None:
        return "—"
    if change.what == "rule" and not change.detail:  # a whole rule added or removed
        kind = enum_label("kind", getattr(part, "kind", None), lang)
        condition = _condition(part) if part is not None else None
        return f"{kind}{_pick(('：', ': '), lang)}{condition}" if condition else kind
    if change.what == "rule" and change.detail == "kind":
        return enum_label("kind", str(value), lang)
    if change.what == "parameter" and isinstance(value, dict):
        if value.get("value") is None:
            return _pick(("未配置", "not configured"), lang)
        unit = value.get("unit")
        return _words(value["value"], lang) + (f" {unit}" if unit else "")
    if change.what == "metric" and isinstance(value, dict):
        unit = value.get("unit")
        return str(value.get("expr", "")) + (f"（{unit}）" if unit else "")
    return _words(value, lang)


def shown_change(
    change: Change, old: RuleSet, new: RuleSet, lang: str
) -> dict[str, str]:
    """One `diff` change as the draft's page shows it: which part (its title, its id
    second), what changed in it, and the old and new value or expression with unit."""
    before_part = _part(old, change.what, change.name)
    after_part = _part(new, change.what, change.name)
    part = after_part if after_part is not None else before_part
    field = ""
    if change.what == "rule" and change.detail:
        field = _pick(_FIELDS.get(change.detail, (change.detail, change.detail)), lang)
    elif change.detail:
        field = change.detail  # a table's cell: its keys
    unit = getattr(part, "unit", None) if change.what == "table" else None
    before = _side(change, change.before, before_part, lang)
    after = _side(change, change.after, after_part, lang)
    if before == after and lang != "zh":  # e.g. a title changed in Chinese only
        before = _side(change, change.before, before_part, "zh")
        after = _side(change, change.after, after_part, "zh")
    if unit and change.what == "table" and change.detail:
        before, after = (
            side if side == "—" else f"{side} {unit}" for side in (before, after)
        )
    return {
        "what": _pick(_WHAT.get(change.what, (change.what, change.what)), lang),
        "title": _title_of(part, change.name, lang)
        if change.what != "weights"
        else _pick(_WHAT["weights"], lang),
        "id": change.name if change.what != "weights" else "",
        "change": _pick(_CHANGE.get(change.change, (change.change,) * 2), lang),
        "field": field,
        "before": before,
        "after": after,
    }


def shown_impact(
    impact: Impact, old: RuleSet, new: RuleSet, lang: str
) -> dict[str, Any]:
    """The words the draft's page shows for one group of `rescreen`'s impact: the rule
    sets' titles, each change, and the titles of the rules that judge differently."""
    titles = {r.id: _title_of(r.spec, r.id, lang) for r in (*old.rules, *new.rules)}
    return {
        "old": _pick(("{}（{} v{}）", "{} ({} v{})"), lang).format(
            old.title.get(lang), old.id, old.version
        ),
        "new": _pick(("{}（{} v{}）", "{} ({} v{})"), lang).format(
            new.title.get(lang), new.id, new.version
        ),
        "changes": [shown_change(c, old, new, lang) for c in impact.changes],
        "rules": {rule: titles.get(rule, rule) for rule in impact.rule_changes},
    }
