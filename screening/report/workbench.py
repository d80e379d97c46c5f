"""Text, JSON and Markdown for the policy-staff commands: validate, test, coverage, diff, rules show."""

from __future__ import annotations

import json
from typing import Any

from screening.coverage import STATUSES, Coverage
from screening.diff import Impact
from screening.errors import Diagnostic
from screening.model.effective import RuleSet
from screening.report.explain import number, show

_HEADERS = {
    "pass": "通过",
    "fail": "不通过",
    "missing": "缺数据",
    "not_applicable": "不适用",
}


def diagnostic_line(d: Diagnostic) -> str:
    """`path:line:col: error [CODE] message (field)` — one line per problem."""
    where = f"{d.span}: " if d.span else ""
    field = f" ({d.field})" if d.field else ""
    return f"{where}{d.severity} [{d.code}] {d.message}{field}"


def render_validate(reports: list[Any], fmt: str) -> str:
    if fmt == "json":
        return (
            json.dumps(
                [
                    {
                        "ruleset": r.ref,
                        "errors": r.errors,
                        "warnings": r.warnings,
                        "diagnostics": [d.to_dict() for d in r.diagnostics],
                    }
                    for r in reports
                ],
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    lines = [diagnostic_line(d) for r in reports for d in r.diagnostics]
    errors = sum(r.errors for r in reports)
    warnings = sum(r.warnings for r in reports)
    notes = sum(d.severity == "note" for r in reports for d in r.diagnostics)
    lines.append(
        f"{len(reports)} 个规则集：{errors} 个错误，{warnings} 个警告，{notes} 个提示 / "
        f"{len(reports)} rule set(s): {errors} error(s), {warnings} warning(s), {notes} note(s)"
    )
    return "\n".join(lines) + "\n"


def render_coverage(coverage: Coverage) -> str:
    lines: list[str] = []
    for rid, ruleset in coverage.rulesets.items():
        lines.append(
            f"覆盖情况 / coverage: {rid}（本规则集 {coverage.cases[rid]} 个案例；"
            "继承的规则计入所有规则集的案例 / inherited rules count every rule set's cases）"
        )
        rows = coverage.rows(ruleset)
        width = max((len(rule_id) for rule_id, _, _ in rows), default=10)
        lines.append(
            "  "
            + "规则 / rule".ljust(width)
            + "  kind     "
            + "  ".join(f"{_HEADERS[s]:>4}" for s in STATUSES)
        )
        for rule_id, kind, counts in rows:
            lines.append(
                "  "
                + rule_id.ljust(width)
                + f"  {kind:<8} "
                + "  ".join(f"{counts[s]:>6}" for s in STATUSES)
            )
        lines.append("")
    gaps = coverage.uncovered()
    if gaps:
        lines.append("未覆盖 / not exercised:")
        lines += [
            f"  {origin}: {rule_id}: {', '.join(sides)}"
            for origin, rule_id, sides in gaps
        ]
    else:
        lines.append(
            "每条已配置规则的通过与不通过两侧都有案例覆盖 / every configured rule's pass and fail sides are exercised"
        )
    for origin, rule_id in sorted(coverage.unconfigured):
        lines.append(
            f"未配置，无法覆盖 / not configured, cannot be exercised: {origin}: {rule_id}"
        )
    return "\n".join(lines) + "\n"


def render_rules_show(rs: RuleSet, fmt: str) -> str:
    # the JSON document (`rules show --format json`); the text form reads it back
    data: dict[str, Any] = {
        "id": rs.id,
        "title": rs.title.zh,
        "version": rs.version,
        "sha256": rs.sha256,
        "path": rs.path,
        "as_of": rs.as_of.isoformat() if rs.as_of else None,
        "extends_chain": rs.chain,
        "parameters": {
            k: {
                "value": number(p.value) if not isinstance(p.value, list) else p.value,
                "unit": p.unit,
                "defined_at": str(rs.provenance.get(f"parameters.{k}")),
                **_noted(p),
            }
            for k, p in rs.parameters.items()
        },
        "tables": {
            k: {
                "keys": t.keys,
                "unit": t.unit,
                "cells": _count(t.values),
                "configured": bool(t.values) or t.default is not None,
                "defined_at": str(rs.provenance.get(f"tables.{k}")),
                **_noted(t),
            }
            for k, t in rs.tables.items()
        },
        "metrics": {
            k: {
                "expr": m.expr,
                "unit": m.unit,
                "defined_at": str(rs.provenance.get(f"metrics.{k}")),
                **_noted(m),
            }
            for k, m in rs.metrics.items()
        },
        "rules": [
            {
                "id": r.id,
                "kind": r.kind,
                "group": r.spec.group,
                "condition": _condition(r.spec),
                **_grading(rs, r.spec),
                "applies_if": r.spec.applies_if,
                "basis": r.spec.basis,
                "from": r.origin,
                "defined_at": str(r.source),
                **_noted(r.spec),
                **(
                    {"effective": _period(r.spec.effective)} if r.spec.effective else {}
                ),
            }
            for r in rs.rules
        ],
        "disabled": [
            {"rule": d.rule, "reason": d.reason, "at": str(d.source)}
            for d in rs.disabled
        ],
    }
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    lines = [
        f"{rs.id}  {rs.title.zh}  v{rs.version}",
        f"  继承链 / chain: {' → '.join(rs.chain)}",
        *([f"  文件 / file: {rs.path}"] if rs.path else []),
        f"  sha256: {rs.sha256}",
        f"  评估基准日 / as of: {data['as_of'] or '（全部，不按日期筛选）'}",
        "",
        "参数 / parameters:",
    ]
    for name, p in data["parameters"].items():
        unit = f" {p['unit']}" if p["unit"] else ""
        value = f"{p['value']}{unit}"
        if p["value"] is None:
            value = f"未配置 / not configured（{unit.strip() or '无单位'}）"
        lines.append(f"  {name} = {value}    ← {p['defined_at']}")
        lines += _notes(p)
    lines.append("查找表 / tables:")
    for name, t in data["tables"].items():
        state = f"{t['cells']} 个单元" if t["configured"] else "未配置 / not configured"
        lines.append(
            f"  {name} [{', '.join(t['keys'] or [])}] {t['unit'] or ''}: {state}    ← {t['defined_at']}"
        )
        lines += _notes(t)
    lines.append("指标 / metrics:")
    for name, m in data["metrics"].items():
        lines.append(
            f"  {name} = {m['expr']} [{m['unit'] or ''}]    ← {m['defined_at']}"
        )
        lines += _notes(m)
    lines.append("规则 / rules:")
    for r in data["rules"]:
        dated = f"  [{r['effective']}]" if r.get("effective") else ""
        where = f"    ← {r['defined_at']}"
        lines.append(f"  {r['id']} ({r['kind']}, {r['group']}){dated}{where}")
        lines.append(
            f"      {r['condition']}"
            + (f"    [applies_if: {r['applies_if']}]" if r["applies_if"] else "")
        )
        lines += _grading_lines(r)
        if r["basis"]:
            lines.append(f"      依据 / basis: {r['basis']}")
        lines += _notes(r)
    if data["disabled"]:
        lines.append("停用 / disabled:")
        lines += [
            f"  {d['rule']}: {d['reason']}    ← {d['at']}" for d in data["disabled"]
        ]
    return "\n".join(lines) + "\n"


def _figure(rs: RuleSet, value: Any) -> str:
    """A band bound or linear point as merged: a parameter's name with its value."""
    if isinstance(value, str):
        return f"{value}={rs.parameter(value)}"
    return str(value)


def _grading(rs: RuleSet, rule: Any) -> dict[str, Any]:
    """A score or bonus rule's points as merged, parameters resolved: what `rules show`
    prints besides the scored value (a county's band parameter changes them)."""
    bands = getattr(rule, "bands", None)
    if bands:
        return {
            "bands": [
                {
                    key: _figure(rs, getattr(band, key))
                    for key in ("min", "max", "points")
                    if getattr(band, key) is not None
                }
                for band in bands
            ]
        }
    linear = getattr(rule, "linear", None)
    if linear:
        return {
            "linear": [
                {"at": _figure(rs, p.at), "points": _figure(rs, p.points)}
                for p in linear
            ]
        }
    if rule.kind == "bonus" and getattr(rule, "points", None) is not None:
        return {"points": _figure(rs, rule.points)}
    return {}


def _grading_lines(rule: dict[str, Any]) -> list[str]:
    if "bands" in rule:
        shown = "  ".join(
            "["
            + (f"≥{b['min']}" if "min" in b else "")
            + (" " if "min" in b and "max" in b else "")
            + (f"<{b['max']}" if "max" in b else "")
            + f" → {b['points']}]"
            for b in rule["bands"]
        )
        return [f"      分档 / bands: {shown}"]
    if "linear" in rule:
        shown = "  ".join(f"({p['at']} → {p['points']})" for p in rule["linear"])
        return [f"      线性 / linear: {shown}"]
    if "points" in rule:
        return [f"      加分 / points: {rule['points']}"]
    return []


def _condition(rule: Any) -> str | None:
    """A rule's condition as written; a require_any rule's branches joined by 或."""
    branches = getattr(rule, "require_any", None)
    if branches:
        return " 或 / or ".join(f"[{b.name}] {b.require}" for b in branches)
    for key in ("require", "fail_if", "when", "value"):
        text: str | None = getattr(rule, key, None)
        if text is not None:
            return text
    return None


def _period(effective: Any) -> str | None:
    if effective is None or (effective.from_ is None and effective.to is None):
        return None
    return f"{effective.from_ or '…'} 至 {effective.to or '…'}"


def _noted(item: Any) -> dict[str, str]:
    """`note` and `pending` of a part, where it has them (JSON omits them otherwise)."""
    return {
        key: getattr(item, key)
        for key in ("note", "pending")
        if getattr(item, key, None)
    }


def _notes(item: dict[str, Any]) -> list[str]:
    """The research note and, for a gap, why it is not configured (for policy staff:
    never in reports)."""
    out = [f"      说明 / note: {item['note']}"] if item.get("note") else []
    if item.get("pending"):
        out.append(f"      待填 / pending: {item['pending']}")
    return out


def _count(values: Any) -> int:
    if isinstance(values, dict):
        return sum(_count(v) for v in values.values())
    return 1


def _score_change(before: Any, after: Any) -> str:
    """（得分 60 → 45）; — for a side whose rule set gives no score; nothing when neither does."""
    if before is None and after is None:
        return ""
    shown = ["—" if score is None else show(score) for score in (before, after)]
    return f"（得分 {shown[0]} → {shown[1]}）"


def render_diff(impact: Impact, old: RuleSet, new: RuleSet, fmt: str) -> str:
    changes = [
        {
            "what": c.what,
            "name": c.name,
            "change": c.change,
            "field": c.detail or None,
            "before": c.before,
            "after": c.after,
        }
        for c in impact.changes
    ]
    decisions = [
        {
            "project": pid,
            "before": b,
            "after": a,
            "score_before": number(sb, 2),
            "score_after": number(sa, 2),
        }
        for pid, b, a, sb, sa in impact.decision_changes
    ]
    if fmt == "json":
        return (
            json.dumps(
                {
                    "old": _identity(old),
                    "new": _identity(new),
                    "changes": changes,
                    "projects": impact.projects,
                    "decision_changes": decisions,
                    "transitions": dict(sorted(impact.transitions.items())),
                    "score_deltas": [
                        {"project": p, "delta": number(d, 2)}
                        for p, d in impact.score_deltas
                    ],
                    "rules_changed_behaviour": dict(
                        sorted(impact.rule_changes.items())
                    ),
                },
                ensure_ascii=False,
                indent=2,
                default=str,
            )
            + "\n"
        )
    md = fmt == "markdown"
    title = f"规则变更影响分析 / rule change impact: {_named(old)} → {_named(new)}"
    out = [f"{'## ' if md else ''}{title}", ""]
    out.append(f"{'### ' if md else ''}规则差异 / rule-level diff（{len(changes)}）")
    if md and changes:
        out += [
            "",
            "| 对象 | 名称 | 变化 | 字段 | 原 | 新 |",
            "|---|---|---|---|---|---|",
        ]
    for c in _itemised(changes):
        before, after = _short(c["before"]), _short(c["after"])
        if md:
            out.append(
                f"| {c['what']} | `{c['name']}` | {c['change']} | {c['field'] or ''} | {before} | {after} |"
            )
        else:
            out.append(
                f"  {c['change']:<8} {c['what']} {c['name']}"
                + (f".{c['field']}" if c["field"] else "")
                + (f": {before} → {after}" if c["change"] == "changed" else "")
            )
    if not changes:
        out.append("  无变化 / no change")
    out += [
        "",
        f"{'### ' if md else ''}对项目的影响 / impact on {impact.projects} project(s)",
    ]
    if impact.transitions:
        out.append(
            "  " + "，".join(f"{k}: {v}" for k, v in sorted(impact.transitions.items()))
        )
    for d in decisions:
        out.append(
            f"{'- ' if md else '  '}{d['project']}: {d['before']} → {d['after']}"
            + _score_change(d["score_before"], d["score_after"])
        )
    if impact.score_deltas:
        deltas = [float(d) for _, d in impact.score_deltas]
        out.append(
            f"  得分变化 / score changes: {len(deltas)} 个项目，最大 +{max(deltas):.2f} / 最小 {min(deltas):+.2f}"
        )
    for rule, count in sorted(impact.rule_changes.items()):
        out.append(
            f"{'- ' if md else '  '}规则 {rule} 结果变化的项目数 / projects whose status changed: {count}"
        )
    if impact.unchanged:
        out.append("  无影响 / no effect")
    return "\n".join(out) + "\n"


def _identity(rs: RuleSet) -> dict[str, Any]:
    return {"id": rs.id, "version": rs.version, "sha256": rs.sha256, "path": rs.path}


def _named(rs: RuleSet) -> str:
    """`id vVERSION`, with the file when the rule set was loaded from a path."""
    return f"{rs.id} v{rs.version}" + (f"（文件 / file {rs.path}）" if rs.path else "")


def _itemised(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Changes with a list changed item by item (a score rule's bands, a linear's
    points) as one change an item, `bands[3]` (counted from 1): the whole list, cut to
    a table cell, read the same before and after when a later band changed."""
    out = []
    for c in changes:
        before, after = c["before"], c["after"]
        if (
            c["change"] == "changed"
            and isinstance(before, list)
            and isinstance(after, list)
            and len(before) == len(after)
        ):
            out += [
                {**c, "field": f"{c['field'] or ''}[{i}]", "before": b, "after": a}
                for i, (b, a) in enumerate(zip(before, after, strict=True), start=1)
                if b != a
            ]
        else:
            out.append(c)
    return out


def _short(value: Any) -> str:
    text = (
        json.dumps(value, ensure_ascii=False, default=str) if value is not None else ""
    )
    return text if len(text) <= 80 else text[:77] + "…"
