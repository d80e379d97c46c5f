"""Rule sets for policy staff: the shipped and local ones with their provenance (as
`rules show`), a draft's `validate` and `test` results, its impact on the stored
pipeline (a trial `rescreen`, shown as `screening diff` shows it), and adoption,
recorded with who, when and the sha256."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import exists, func, select
from starlette.datastructures import UploadFile

from screening.diff import Change, Impact
from screening.errors import ScreeningError
from screening.model.effective import RuleSet
from screening.register.schema import leads, ruleset_adoptions, screenings, snapshots
from screening.register.store import Filters, current_screening, utc_now
from screening.report.figures import show
from screening.report.html import enum_label
from screening.report.workbench import _condition, render_rules_show
from screening.web.auth import POLICY, READERS, allow
from screening.web.drafts import (
    DraftRefused,
    adopted_file,
    draft_meta,
    draft_path,
    list_drafts,
    save_draft,
)
from screening.web.pages import actor, audit, register
from screening.web.service import ENGINE_LOCK, LOCAL
from screening.web.views import halves, lang_of, render

router = APIRouter(include_in_schema=False)
VIEWERS = READERS  # every role that screens or reads the pipeline sees the rule sets


def _drafts(request: Request) -> Path:
    return request.app.state.settings.data / "drafts"  # type: ignore[no-any-return]


def one(message: str, lang: str) -> str:
    """A "中文 / English" message in the page's language only: its Chinese half on
    Chinese pages, its English half on English ones (a message in one language as
    it is)."""
    head, tail = halves(message)
    if tail is None:
        return message
    return tail if lang == "en" else head


@dataclass(frozen=True)
class ScreenedUnder(Filters):
    """The leads `filters` select whose current screening used the rule set with id
    `ruleset_id` (shipped, adopted `local:` or a file of that id: the id its snapshot
    records). A draft weighs and, made current, rescreens only those: a lead screened
    under another rule set (the national one, another park's) is not part of a change
    to this one."""

    ruleset_id: str = ""
    under: bool = True  # False: the leads screened under another rule set instead

    def where(self, unindexed: bool = False) -> list[Any]:
        current = current_screening()
        same = snapshots.c.ruleset_id == self.ruleset_id
        used = (
            select(screenings.c.id)
            .join(snapshots, snapshots.c.id == screenings.c.snapshot_id)
            .where(screenings.c.id == current, same if self.under else ~same)
            .correlate(leads)
        )
        return [*super().where(unindexed), exists(used)]


def _scope(request: Request, ruleset_id: str, park: str | None) -> dict[str, int]:
    """How many leads (of `park`, or all) a draft of `ruleset_id` weighs, and how many
    it leaves out for being screened under another rule set."""
    out = {}
    with register(request).read() as conn:
        for name, under in (("leads", True), ("others", False)):
            where = ScreenedUnder(park=park, ruleset_id=ruleset_id, under=under).where()
            out[name] = conn.execute(
                select(func.count()).select_from(leads).where(*where)
            ).scalar_one()
    return out


def _adoptions(request: Request) -> list[dict[str, Any]]:
    """The latest adoptions, each with the draft's cases that failed when it was
    adopted (`failing_cases`, `cases`: as its audit entry records them)."""
    with register(request).read() as conn:
        rows = conn.execute(
            select(ruleset_adoptions).order_by(ruleset_adoptions.c.id.desc()).limit(200)
        ).fetchall()
    recorded: dict[Any, dict[str, Any]] = {}
    _, entries = request.app.state.accounts.audit_entries("ruleset_adopted", limit=400)
    for entry in entries:
        detail = entry.get("detail")
        if isinstance(detail, dict) and detail.get("adoption") is not None:
            recorded.setdefault(detail["adoption"], detail)
    out = []
    for row in rows:
        detail = recorded.get(row.id, {})
        out.append(
            {
                **row._mapping,
                "failing_cases": list(detail.get("failing_cases") or []),
                "cases": detail.get("cases"),
            }
        )
    return out


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
        one=lambda message: one(str(message), lang_of(request)),
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
    lang = lang_of(request)
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise HTTPException(422, one("请选择规则集文件 / choose a rule set file", lang))
    content = await upload.read()
    try:
        key = save_draft(_drafts(request), content, upload.filename, actor(request))
    except DraftRefused as exc:
        raise HTTPException(422, one(exc.diagnostics[0].message, lang)) from None
    audit(request, "draft_uploaded", key, {"file": upload.filename[:255]})
    return RedirectResponse(f"/rulesets/drafts/{key}", 303)


def _checks(
    request: Request, path: Path, shown: str, lang: str = "zh"
) -> dict[str, Any]:
    """`validate` and `test` of a draft, its diagnostics under the uploaded name, its
    cases' differences in `lang` (the failing ones also as `failing`: their names)."""
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
        "failing": [],
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
    titles = {r.id: r.spec.title.get(lang) for r in rs.rules if r.spec.title}
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
                    "mismatches": [m.shown(lang, titles) for m in mismatches],
                }
            )
            if mismatches:
                out["failing"].append(case_path.name)
    return out


@router.get(
    "/rulesets/drafts/{key}",
    dependencies=[allow({POLICY})],
    response_class=HTMLResponse,
)
def draft_page(request: Request, key: str) -> Response:
    root = _drafts(request)
    lang = lang_of(request)
    path, meta = _draft(request, root, key)
    checks = _checks(request, path, meta["filename"], lang)
    return render(
        request,
        "draft.html.j2",
        meta=meta,
        checks=checks,
        text=path.read_text(encoding="utf-8"),
        parks=_parks(request),
        one=lambda message: one(str(message), lang),
    )


def _draft(request: Request, root: Path, key: str) -> tuple[Path, dict[str, Any]]:
    """The draft's file and what was kept about it; no such draft: 404, in words."""
    try:
        return draft_path(root, key), draft_meta(root, key)
    except ScreeningError as exc:
        message = one(exc.diagnostics[0].message, lang_of(request))
        raise HTTPException(404, message) from None


def _parks(request: Request) -> list[str]:
    from screening.web.pages.pipeline import parks

    return parks(request)


@router.post("/rulesets/drafts/{key}/impact", dependencies=[allow({POLICY})])
async def draft_impact(request: Request, key: str) -> Response:
    """Rescreen the leads of the stored pipeline whose current screening used the
    draft's rule set (by id) under the draft (trial screenings: no lead's current
    decision changes) and keep the impact for the draft's page."""
    from screening.loader import load_ruleset
    from screening.register.rescreen import render_rescreen, rescreen

    root = _drafts(request)
    path, meta = _draft(request, root, key)
    form = await request.form()
    park = str(form.get("park") or "").strip() or None
    with ENGINE_LOCK:
        ruleset_id = load_ruleset(str(path), as_of=dt.date.today()).id
    scope = _scope(request, ruleset_id, park)
    groups: list[dict[str, Any]] = []
    summary, leads_weighed, invalid = "", 0, []
    local = (request.app.state.settings.data / "rules").resolve()  # adopted here
    if scope["leads"]:
        with ENGINE_LOCK:
            result = rescreen(
                register(request),
                str(path),
                dt.date.today(),
                ScreenedUnder(park=park, ruleset_id=ruleset_id),
                lang_of(request),
                actor(request),
                adopt=False,
            )
        impact = json.loads(render_rescreen(result, "json"))
        groups = impact if isinstance(impact, list) else [impact]
        pairs = result.groups or [(result.new, Impact([]))]  # render_rescreen's order
        for group, (old, part) in zip(groups, pairs, strict=True):
            group["shown"] = {
                lang: shown_impact(part, old, result.new, lang, meta, local)
                for lang in ("zh", "en")
            }
        summary = result.summary_line()
        leads_weighed, invalid = result.leads, result.invalid
    (root / key / "impact.json").write_text(
        json.dumps(
            {
                "park": park,
                "ruleset_id": ruleset_id,
                "leads": leads_weighed,
                "others": scope["others"],
                "invalid": invalid,
                "groups": groups,
                "summary": summary,
                "at": utc_now().strftime("%Y-%m-%d %H:%M UTC"),
            },
            ensure_ascii=False,
            default=str,
        ),
        encoding="utf-8",
    )
    audit(request, "draft_impact", key, {"park": park, "leads": leads_weighed})
    return RedirectResponse(f"/rulesets/drafts/{key}#impact", 303)


@router.post("/rulesets/drafts/{key}/adopt", dependencies=[allow({POLICY})])
async def adopt_draft(request: Request, key: str) -> Response:
    """Adopt a draft that validates: kept as a local rule set, recorded, and with
    "make current" the leads screened under its rule set (by id) rescreened under it
    as current decisions. A draft whose own cases fail is adopted only when the form
    acknowledges how many fail (`accept_failing` = that number), and the record names
    them."""
    from screening.loader import load_ruleset
    from screening.register.rescreen import rescreen

    root = _drafts(request)
    lang = lang_of(request)
    path, meta = _draft(request, root, key)
    form = await request.form()
    checks = _checks(request, path, meta["filename"], lang)
    if checks["errors"]:
        raise HTTPException(
            422,
            one(
                "草稿有错误，不能采用（先修正 validate 报告的问题）/ the draft has errors",
                lang,
            ),
        )
    failing: list[str] = checks["failing"]
    if failing and str(form.get("accept_failing") or "").strip() != str(len(failing)):
        raise HTTPException(422, _failing_refusal(failing, len(checks["cases"]), lang))
    content = path.read_bytes()
    rs = load_ruleset(str(path), as_of=dt.date.today())
    target = adopted_file(
        request.app.state.settings.data / "rules", rs.id, rs.sha256, content
    )
    run_id = None
    if form.get("make_current") and _scope(request, rs.id, None)["leads"]:
        with ENGINE_LOCK:
            result = rescreen(
                register(request),
                str(target),
                dt.date.today(),
                ScreenedUnder(ruleset_id=rs.id),
                lang_of(request),
                actor(request),
                adopt=True,
            )
        run_id = result.run_id
    note = str(form.get("note") or "").strip()[:2000] or None
    with register(request).write() as conn:
        adoption = conn.execute(
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
        ).inserted_primary_key[0]
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
            "adoption": adoption,
            "cases": len(checks["cases"]),
            "failing_cases": failing,
        },
    )
    return RedirectResponse(
        f"/rulesets/show?ref={quote(LOCAL + rs.id)}&msg=adopted", 303
    )


def _failing_refusal(failing: list[str], cases: int, lang: str) -> str:
    names = ("、" if lang == "zh" else ", ").join(failing)
    if lang == "en":
        return (
            f"{len(failing)} of the draft's {cases} cases fail ({names}): to adopt it "
            f"all the same, tick “I know {len(failing)} case(s) fail and adopt it "
            f"anyway” (accept_failing={len(failing)})"
        )
    return (
        f"草稿有 {len(failing)} 个用例未通过（共 {cases} 个：{names}）：仍要采用，请勾选"
        f"「我已知悉 {len(failing)} 个用例未通过，仍然采用」（accept_failing={len(failing)}）"
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


def current_label(old: RuleSet, lang: str, local: Path | None = None) -> str:
    """The rule set the leads are screened under now: 现行规则集 <title> v<version>
    (本地 when it is one adopted here, a file in `local`; with its file when they were
    screened under another file of that id)."""
    label = _pick(("现行规则集 {} v{}", "current rule set {} v{}"), lang).format(
        old.title.get(lang), old.version
    )
    if old.path and local is not None and Path(old.path).resolve().parent == local:
        label += _pick(("（本地）", " (local)"), lang)
    elif old.path:
        label += _pick(("（文件 {}）", " (file {})"), lang).format(old.path)
    return label


def draft_label(new: RuleSet, draft: dict[str, Any] | None, lang: str) -> str:
    """The draft weighed against it: 草稿（<who>，<uploaded when>，SHA-256 <first 8>）,
    the SHA-256 the draft's page and its adoption record give in full."""
    parts = [
        str(draft[k]) for k in ("owner", "uploaded_at") if draft and draft.get(k)
    ] + [f"SHA-256 {new.sha256[:8]}"]
    return _pick(("草稿（{}）", "draft ({})"), lang).format(
        _pick(("，", ", "), lang).join(parts)
    )


def shown_impact(
    impact: Impact,
    old: RuleSet,
    new: RuleSet,
    lang: str,
    draft: dict[str, Any] | None = None,
    local: Path | None = None,
) -> dict[str, Any]:
    """The words the draft's page shows for one group of `rescreen`'s impact: which
    side is the current rule set (`local`: the folder of those adopted here) and which
    the draft (`draft`: its meta, who uploaded it when), each change, and the titles of the rules that judge differently."""
    titles = {r.id: _title_of(r.spec, r.id, lang) for r in (*old.rules, *new.rules)}
    return {
        "old": current_label(old, lang, local),
        "new": draft_label(new, draft, lang),
        "changes": [shown_change(c, old, new, lang) for c in impact.changes],
        "rules": {rule: titles.get(rule, rule) for rule in impact.rule_changes},
    }
