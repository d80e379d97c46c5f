"""Text and JSON for the register commands: leads, a lead's record, history, KPIs.

Chinese first (titles, not ids), English with `lang="en"`. Layout only: nothing here
reads the database.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from screening.model.project import field_title
from screening.register.stages import STAGE_EN

DECISION = {
    "zh": {"pass": "通过", "review": "复核", "reject": "否决"},
    "en": {"pass": "pass", "review": "review", "reject": "reject"},
}
COMMITTEE_EN = {"同意": "agreed", "不同意": "disagreed", "暂缓": "deferred"}
_LABELS = {
    "key": ("项目编号", "lead"),
    "name": ("项目名称", "project"),
    "company": ("企业", "company"),
    "park": ("园区", "park"),
    "industry": ("行业", "industry"),
    "investment_total": ("总投资(万元)", "investment (×10k CNY)"),
    "stage": ("阶段", "stage"),
    "decision": ("筛查结论", "decision"),
    "score": ("得分", "score"),
    "committee": ("委员会", "committee"),
    "screened_at": ("最近筛查(UTC)", "screened (UTC)"),
}


def width(text: str) -> int:
    """Columns a text takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Rows aligned under their headers."""
    widths = [
        max([width(h)] + [width(r[i]) for r in rows]) for i, h in enumerate(headers)
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c + " " * (w - width(c)) for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    return [line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows]


def amount(value: Decimal | None) -> str:
    """An amount without trailing zeros."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def stage_label(stage: str | None, lang: str) -> str:
    if stage is None:
        return ""
    return stage if lang == "zh" else STAGE_EN.get(stage, stage)


def decision_label(decision: str | None, lang: str) -> str:
    return "" if decision is None else DECISION[lang].get(decision, decision)


def committee_label(value: str | None, lang: str) -> str:
    if value is None:
        return ""
    return value if lang == "zh" else COMMITTEE_EN.get(value, value)


def ruleset_label(ruleset: dict[str, Any], lang: str) -> str:
    """`id vVERSION`, with the file when the screening was made with one (not the
    shipped rule set of that id)."""
    return with_file(
        f"{ruleset['id']} v{ruleset['version']}", ruleset.get("path"), lang
    )


def with_file(label: str, path: str | None, lang: str) -> str:
    """A rule set's label followed by the file it was given as, if any."""
    if not path:
        return label
    return label + (f"（文件 {path}）" if lang == "zh" else f" (file {path})")


def in_brackets(text: str, lang: str) -> str:
    """`（text）` in Chinese, ` (text)` in English."""
    return f"（{text}）" if lang == "zh" else f" ({text})"


def unit_of(unit: str, lang: str) -> str:
    """A unit after a number: 万元 in Chinese (3000万元), ` ×10k CNY` in English."""
    from screening.report.explain import unit_label

    return unit if lang == "zh" or not unit else " " + unit_label(unit, lang)


def plain(value: Any) -> Any:
    """A value made JSON-ready: dates ISO, Decimals as numbers, bytes as hex."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds") + "Z"  # stored in UTC
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value()
            else float(value.normalize())
        )
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return value


def render_json(data: Any) -> str:
    """Stable JSON text, UTF-8 Chinese kept readable."""
    return json.dumps(plain(data), ensure_ascii=False, indent=2) + "\n"


def render_leads(
    total: int, rows: list[dict[str, Any]], lang: str, offset: int = 0
) -> str:
    """The lead list: one line per lead, then how many matched."""
    columns = [
        "key",
        "name",
        "company",
        "park",
        "industry",
        "investment_total",
        "stage",
        "decision",
        "score",
        "committee",
    ]
    index = 0 if lang == "zh" else 1
    body = [
        [
            r["key"],
            r["name"] or "",
            r.get("company") or "",
            r["park"] or "",
            r["industry"] or "",
            amount(r["investment_total"]),
            stage_label(r["stage"], lang),
            decision_label(r["decision"], lang),
            amount(r["score"]),
            committee_label(r["committee"], lang),
        ]
        for r in rows
    ]
    lines = table([_LABELS[c][index] for c in columns], body) if rows else []
    shown = f"{offset + 1}–{offset + len(rows)}" if rows else "0"
    lines.append(
        f"共 {total} 个项目，显示 {shown} / {total} lead(s), showing {shown}"
        if lang == "zh"
        else f"{total} lead(s), showing {shown}"
    )
    return "\n".join(lines) + "\n"


# a lead's event list: (heading, its items, one item as a line)
_Section = tuple[str, list[dict[str, Any]], Callable[[dict[str, Any]], str]]


def render_lead(
    lead: dict[str, Any],
    lang: str,
    declared: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    """A lead's record: who, where, stage, the latest decision and every screening and
    event; fields by their titles, a rule set's own inputs by theirs in `declared`."""
    zh = lang == "zh"
    out = [
        f"{lead['key']}  {lead['name'] or ''}",
        f"  {'企业' if zh else 'company'}: {lead.get('company') or ''}    {'园区' if zh else 'park'}: "
        f"{lead['park'] or ''}    {'行业' if zh else 'industry'}: {lead['industry'] or ''}    "
        f"{'总投资' if zh else 'investment'}: {amount(lead['investment_total'])}"
        f"{' 万元' if zh else unit_of('万元', lang)}",
        f"  {'阶段' if zh else 'stage'}: {stage_label(lead['stage'], lang)}"
        f"{in_brackets(str(lead['stage_on']), lang)}    "
        f"{'筛查结论' if zh else 'decision'}: {decision_label(lead['decision'], lang)} {amount(lead['score'])}    "
        f"{'委员会' if zh else 'committee'}: {committee_label(lead['committee'], lang) or '—'}"
        + (
            in_brackets(str(lead["committee_on"]), lang) if lead["committee_on"] else ""
        ),
        f"  {'登记' if zh else 'registered'}: {lead['registered_on']} {lead['registered_by']}",
    ]
    out.append("")
    out.append("筛查记录 / screenings:" if zh else "screenings:")
    for s in lead["screenings"]:
        failed = [f["title"][lang] for f in s["findings"] if f["failure"]]
        titles = {f["rule"]: f["title"][lang] for f in s["findings"]}
        mark = (
            ("（当前）" if zh else " (current)")
            if s["current"]
            else ""
            if s["adopted"]
            else ("（试算，未采用）" if zh else " (trial, not adopted)")
        )
        out.append(
            f"  #{s['id']}  {plain(s['screened_at'])}  {ruleset_label(s['ruleset'], lang)}"
            f"  {'基准日' if zh else 'as of'} {s['as_of']}  {decision_label(s['decision'], lang)}"
            f" {amount(s['score'])}{mark}  {s['actor']}"
        )
        if s["vetoed_by"]:
            out.append(
                f"      {'一票否决' if zh else 'vetoed by'}: {', '.join(titles.get(r, r) for r in s['vetoed_by'])}"
            )
        if failed:
            out.append(f"      {'未通过' if zh else 'failed'}: {', '.join(failed)}")
        if s["missing"]:
            out.append(
                f"      {'缺数据' if zh else 'missing'}: "
                + ("、" if zh else ", ").join(
                    field_title(path, lang, declared) for path in s["missing"]
                )
            )
        source = s["source"]
        if source["input"]:
            # a folder's file is the project; a table's row is
            row = (
                source["row"]
                if source["kind"] in ("batch", "import") and not source["file"]
                else None
            )
            out.append(
                f"      {'来源' if zh else 'source'}: {source['file'] or source['input']}"
                + (f" {'第' if zh else 'row '}{row}{'行' if zh else ''}" if row else "")
            )
    sections: tuple[_Section, ...] = (
        (
            "阶段 / stages" if zh else "stages",
            lead["stages"],
            lambda e: (
                f"  {e['on']}  {stage_label(e['stage'], lang)}"
                + (
                    f"  {'原因' if zh else 'reason'}: {e['reason']}"
                    if e["reason"]
                    else ""
                )
                + (f"  {'说明' if zh else 'note'}: {e['note']}" if e["note"] else "")
                + ("  [override]" if e["override"] else "")
                + f"  {e['actor']}"
            ),
        ),
        (
            "委员会决定 / committee" if zh else "committee decisions",
            lead["committee_decisions"],
            lambda c: (
                f"  {c['meeting_on']}  {committee_label(c['decision'], lang)}"
                + (f"  {c['note']}" if c["note"] else "")
                + f"  {c['actor']}"
            ),
        ),
        (
            "承诺 / promises" if zh else "promises",
            lead["promises"],
            lambda p: "  " + _figures(p, lang),
        ),
        (
            "实绩 / actuals" if zh else "actuals",
            lead["actuals"],
            lambda a: (
                f"  {a['reported_on']}"
                + (f" ({a['year']})" if a["year"] else "")
                + "  "
                + _figures(a, lang)
            ),
        ),
    )
    for title, items, fmt in sections:
        if items:
            out += ["", f"{title}:"] + [fmt(item) for item in items]
    return "\n".join(out) + "\n"


FIGURE_LABELS = {
    "total_investment": ("总投资", "total investment", "万元"),
    "fixed_assets": ("固定资产投资", "fixed assets", "万元"),
    "land_mu": ("用地", "land", "亩"),
    "annual_output": ("年产值", "annual output", "万元"),
    "annual_tax": ("年税收", "annual tax", "万元"),
    "employees": ("就业", "employees", "人"),
    "energy_tce": ("能耗", "energy", "tce"),
    "invested": ("到位资金(累计)", "invested to date", "万元"),
    "fixed_assets_invested": ("固定资产到位(累计)", "fixed assets to date", "万元"),
    "start_by": ("承诺开工", "start by", ""),
    "production_by": ("承诺投产", "production by", ""),
    "signed_on": ("签约", "signed", ""),
}


def _figures(row: dict[str, Any], lang: str) -> str:
    index = 0 if lang == "zh" else 1
    parts = []
    for name, labels in FIGURE_LABELS.items():
        value = row.get(name)
        if value is None:
            continue
        shown = amount(value) if isinstance(value, Decimal) else str(value)
        parts.append(f"{labels[index]} {shown}{unit_of(labels[2], lang)}")
    if row.get("note"):
        parts.append(row["note"])
    return "，".join(parts) if lang == "zh" else ", ".join(parts)


_EVENT = {
    "registered": ("登记", "registered"),
    "screening": ("筛查", "screening"),
    "stage": ("阶段", "stage"),
    "committee": ("委员会", "committee"),
    "promise": ("承诺", "promise"),
    "actual": ("实绩", "actual"),
}


def render_history(
    key: str,
    events: list[dict[str, Any]],
    lang: str,
    declared: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    """A lead's events, oldest first; changed fields by their titles (a rule set's own
    inputs by theirs in `declared`)."""
    zh = lang == "zh"
    index = 0 if zh else 1
    out = [f"{key} {'历史' if zh else 'history'}:"]
    for e in events:
        d = e["detail"]
        what = _EVENT[e["what"]][index]
        if e["what"] == "screening":
            shown = with_file(d["ruleset"], d.get("ruleset_path"), lang)
            text = (
                f"#{d['id']} {shown} → {decision_label(d['decision'], lang)} {amount(d['score'])}"
                + ("" if d["adopted"] else (" （试算）" if zh else " (trial)"))
            )
            if d["changed"]:
                titles = ("、" if zh else ", ").join(
                    field_title(path, lang, declared) for path in d["changed"]
                )
                text += ("；资料变更：" if zh else "; changed: ") + titles
            elif d["changed"] is not None:
                text += "；资料未变" if zh else "; same values"
        elif e["what"] == "stage":
            text = stage_label(d["stage"], lang) + "".join(
                f"  {label}: {d[k]}"
                for k, label in (
                    ("reason", "原因" if zh else "reason"),
                    ("note", "说明" if zh else "note"),
                )
                if d.get(k)
            )
            if d["override"]:
                text += "  [override]"
        elif e["what"] == "committee":
            text = committee_label(d["decision"], lang) + (
                f"  {d['note']}" if d.get("note") else ""
            )
        elif e["what"] in ("promise", "actual"):
            text = _figures(d, lang)
        else:
            text = stage_label(d.get("stage"), lang)
        out.append(
            f"  {e['on']}  {what:<4} {text}  — {e['actor']}{'，' if zh else ', '}"
            f"{plain(e['at'])}"
        )
    return "\n".join(out) + "\n"
