"""A batch of results → one self-contained, printable HTML report. Layout only.

The page needs no network and no JavaScript: CSS is inline, the score histogram is
inline SVG. Every value is escaped by Jinja2's autoescape. Nothing here screens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import jinja2

from screening.io.writers import failed_findings, is_failure
from screening.messages import status_label, text
from screening.report.explain import show

DECISIONS = ("pass", "review", "reject")
BINS = 10  # score histogram: 0–10, 10–20, …, 90–100 (100 falls in the last bin)
TOP_RULES = 10

# Labels only a batch report needs; the single-project ones come from messages/*.yaml.
BATCH_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "batch_title": "招商引资项目批量预评估报告",
        "id": "项目编号",
        "name": "项目名称",
        "company": "企业名称",
        "input": "输入文件",
        "generated": "生成时间",
        "version": "版本",
        "sha256": "SHA-256",
        "rows": "总行数",
        "screened": "已评估",
        "invalid": "无效行",
        "decisions": "结论分布",
        "histogram": "得分分布",
        "no_score": "无得分",
        "top_rules": "否决项目中最常见的不符合规则",
        "rejected_with": "涉及否决项目",
        "share": "占否决项目",
        "no_rejects": "没有被否决的项目。",
        "errors": "无效行明细",
        "source": "来源",
        "row": "行号",
        "column": "列",
        "reason": "原因",
        "projects": "项目一览",
        "main_failed": "主要不符合项",
        "unit": "单位",
        "max_points": "满分",
        "item": "项目",
        "value": "值",
        "summary_sheet": "汇总",
        "findings_sheet": "明细",
        "errors_sheet": "错误",
        "ruleset_sheet": "规则集",
        "ruleset_id": "规则集编号",
        "back": "返回一览",
        "omitted": "另有 %d 个项目未逐一列出（见 XLSX / JSONL 输出）",
        "remedies": "整改方向",
        "colon": "：",
        "list_sep": "；",
        "score_axis": "得分",
    },
    "en": {
        "batch_title": "Investment project screening: batch report",
        "id": "Project ID",
        "name": "Project name",
        "company": "Company",
        "input": "Input",
        "generated": "Generated",
        "version": "Version",
        "sha256": "SHA-256",
        "rows": "Rows",
        "screened": "Screened",
        "invalid": "Invalid rows",
        "decisions": "Decisions",
        "histogram": "Score distribution",
        "no_score": "no score",
        "top_rules": "Rules most often failed by rejected projects",
        "rejected_with": "Rejected projects",
        "share": "Share of rejected",
        "no_rejects": "No project was rejected.",
        "errors": "Invalid rows",
        "source": "Source",
        "row": "Row",
        "column": "Column",
        "reason": "Reason",
        "projects": "Projects",
        "main_failed": "Main failed rules",
        "unit": "Unit",
        "max_points": "Max points",
        "item": "Item",
        "value": "Value",
        "summary_sheet": "Summary",
        "findings_sheet": "Findings",
        "errors_sheet": "Errors",
        "ruleset_sheet": "Rule set",
        "ruleset_id": "Rule set ID",
        "back": "Back to the list",
        "omitted": "%d more projects are not listed one by one (see the XLSX / JSONL output)",
        "remedies": "Remedies",
        "colon": ": ",
        "list_sep": "; ",
        "score_axis": "score",
    },
}


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def label(key: str, lang: str = "zh") -> str:
    """A report label: batch labels first, then messages `report.*`."""
    found = BATCH_LABELS[_lang(lang)].get(key)
    return found if found is not None else text(f"report.{key}", _lang(lang))


def enum_label(group: str, value: str | None, lang: str = "zh") -> str:
    """decision / status / kind value → its label (the value itself when unknown)."""
    if value is None:
        return ""
    try:
        return text(f"{group}.{value}", _lang(lang))
    except KeyError:
        return value


def finding_status(finding: Mapping[str, Any], lang: str = "zh") -> str:
    """A finding's status as shown for its kind (a bonus's fail reads 未加分)."""
    try:
        return status_label(
            str(finding.get("kind")), str(finding.get("status")), _lang(lang)
        )
    except KeyError:
        return str(finding.get("status") or "")


def value_text(value: Any, lang: str = "zh") -> str:
    """A contract value as text: lists as ranges (0.7–1.8), booleans as 是/否."""
    if isinstance(value, list):
        return "–".join(value_text(v, lang) for v in value)
    return show(value, _lang(lang))


def batch_counts(decisions: Counter[str], invalid: int) -> dict[str, int]:
    """The batch counts that reconcile: rows = screened + invalid."""
    screened = sum(decisions.values())
    counts = {"rows": screened + invalid, "screened": screened, "invalid": invalid}
    counts.update({d: decisions.get(d, 0) for d in DECISIONS})
    return counts


def invalid_rows(errors: Iterable[Mapping[str, Any]]) -> int:
    """Rows with at least one error (a row may have several)."""
    return len({(e.get("source"), e.get("row")) for e in errors})


def rule_title(finding: Mapping[str, Any]) -> str:
    """A short name for a finding's rule, read from its message.

    The "{title}：" a message begins with, else the message's first clause (veto
    messages are rule-level sentences), else the rule id.
    """
    message = finding.get("message") or ""
    for sep in ("：", ": ", "，", ", "):
        if sep in message:
            return message.split(sep, 1)[0]
    return message or str(finding.get("rule", ""))


class BatchStats:
    """What the report needs from every result, gathered in one pass (memory stays flat)."""

    def __init__(self) -> None:
        self.decisions: Counter[str] = Counter()
        self.bins = [0] * BINS
        self.unscored = 0
        self.rejected = 0
        self.rule_fails: Counter[str] = Counter()
        self.first: dict[str, Mapping[str, Any]] = {}

    def add(self, result: Mapping[str, Any]) -> None:
        self.decisions[str(result.get("decision"))] += 1
        score = result.get("score")
        if score is None:
            self.unscored += 1
        else:
            self.bins[min(int(max(float(score), 0) // (100 / BINS)), BINS - 1)] += 1
        if result.get("decision") == "reject":
            self.rejected += 1
            for finding in failed_findings(result):
                self.rule_fails[finding["rule"]] += 1
                self.first.setdefault(finding["rule"], finding)


def _histogram(stats: BatchStats) -> dict[str, Any]:
    bins = stats.bins
    top = max(bins) or 1
    # SVG units close to CSS pixels at the usual width, so the 12px labels stay readable
    width, height, gap = 30, 150, 6
    bars = [
        {
            "low": i * 100 // BINS,
            "high": (i + 1) * 100 // BINS,
            "count": n,
            "x": i * (width + gap),
            "width": width,
            "height": round(height * n / top),
            "y": height - round(height * n / top),
        }
        for i, n in enumerate(bins)
    ]
    return {
        "bars": bars,
        "unscored": stats.unscored,
        "width": BINS * (width + gap) - gap,
        "height": height,
    }


def _top_rules(stats: BatchStats) -> list[dict[str, Any]]:
    ranked = sorted(stats.rule_fails.items(), key=lambda item: (-item[1], item[0]))[:TOP_RULES]
    return [
        {
            "rule": rule,
            "title": rule_title(stats.first[rule]),
            "kind": stats.first[rule].get("kind"),
            "count": n,
            "share": 100 * n / stats.rejected,
        }
        for rule, n in ranked
    ]


def _finding_view(finding: Mapping[str, Any], lang: str) -> dict[str, Any]:
    unit = finding.get("unit") or ""

    def with_unit(value: Any) -> str:
        shown = value_text(value, lang)
        return f"{shown} {unit}" if shown and unit else shown

    points, top = finding.get("points"), finding.get("max_points")
    points_text = value_text(points, lang)
    if points_text and top is not None:
        points_text += f" / {value_text(top, lang)}"
    status = finding.get("status")
    # A bonus not earned or a derived "no" is shown as failed, not as a shortcoming.
    soft = status == "fail" and not is_failure(finding)
    return {
        **finding,
        "row_class": "st-soft" if soft else f"st-{status}",
        "badge": "soft" if soft else status,
        "status_text": finding_status(finding, lang),
        "actual_text": with_unit(finding.get("actual")),
        "threshold_text": with_unit(finding.get("threshold")),
        "points_text": points_text,
    }


def _project_view(index: int, result: Mapping[str, Any], lang: str) -> dict[str, Any]:
    project = result.get("project") or {}
    findings = result.get("findings") or []
    return {
        "anchor": f"p{index}",
        "id": project.get("id") or "",
        "name": project.get("name") or "",
        "company": project.get("company") or "",
        "decision": result.get("decision"),
        "score": value_text(result.get("score"), lang),
        "vetoed_by": result.get("vetoed_by") or [],
        "missing": result.get("missing") or [],
        "summary": (result.get("summary") or "").splitlines(),
        "failed": [rule_title(f) for f in failed_findings(result)],
        "findings": [_finding_view(f, lang) for f in findings],
        "remedies": [f for f in findings if f.get("remedy")],
    }


@cache
def _environment() -> jinja2.Environment:
    # autoescape=True, not select_autoescape: .j2 is not on select_autoescape's list.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("screening.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_batch_html(
    results: Iterable[Mapping[str, Any]],
    errors: list[dict[str, Any]],
    meta: dict[str, Any],
    lang: str = "zh",
    max_sections: int | None = None,
) -> str:
    """The batch report as one HTML document (Chinese labels unless lang="en").

    Counts, the histogram and the top rules cover every result; a section per
    project is written for the first `max_sections` (all when None).
    """
    lang = _lang(lang)
    stats = BatchStats()
    shown: list[Mapping[str, Any]] = []
    for result in results:
        stats.add(result)
        if max_sections is None or len(shown) < max_sections:
            shown.append(result)
    counts = {
        **batch_counts(stats.decisions, invalid_rows(errors)),
        **(meta.get("counts") or {}),
    }
    template = _environment().get_template("batch.html.j2")
    return template.render(
        lang=lang,
        # every key present: StrictUndefined is there for typos, not for missing data
        meta={key: meta.get(key) for key in ("as_of", "generated", "input")},
        ruleset={
            "id": None,
            "version": None,
            "sha256": None,
            **(meta.get("ruleset") or {}),
        },
        counts=counts,
        decisions=DECISIONS,
        histogram=_histogram(stats),
        rejected=stats.rejected,
        top_rules=_top_rules(stats),
        errors=errors,
        projects=[_project_view(i, r, lang) for i, r in enumerate(shown, 1)],
        omitted=sum(stats.decisions.values()) - len(shown),
        t=lambda key: label(key, lang),
        enum=lambda group, value: enum_label(group, value, lang),
    )
