"""A batch of results → one self-contained, printable HTML report. Layout only.

The page needs no network and no JavaScript: CSS is inline, the score histogram is
inline SVG. Every value is escaped by Jinja2's autoescape. Nothing here screens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any

import jinja2

from screening.io.writers import is_failure
from screening.messages import status_label, text
from screening.model.effective import RuleSet
from screening.report.explain import show, unit_label
from screening.report.labels import Labels, rule_title  # noqa: F401  (rule_title: re-exported)

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
        "top_rules": "否决背后最常见的规则",
        "rejected_with": "涉及否决项目",
        "share": "占否决项目",
        "no_rejects": "没有被否决的项目。",
        "errors": "无效行明细",
        "source": "来源",
        "row": "行号",
        "column": "列",
        "header": "列名",
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
        "skipped": "跳过的行",
        "skipped_title": "跳过的行（不是项目，如合计行；未筛查）",
        "ignored_title": "未读入的列（已忽略，其内容未用于筛查）",
        "ignored_shown": "仅列出前 %d 列。",
        "unknown_header": "未识别的列名",
        "by_score": (
            "另有 %d 个被否决的项目没有一票否决项或硬性门槛不符，仅因总分未达通过线。"
        ),
        "top_rules_note": "只计否决背后的一票否决项与硬性门槛；一个项目可有多项。",
        "list_no": "序号",
        "main_reason": "主要原因",
        "main_remedy": "整改方向",
        "and_more": "等 %d 项",
        "obtain": "补齐数据后重新评估",
        "review_needed": "须复核",
        "sheet_title": "招商引资项目预评估单",
        "failed_rules": "不符合的规则",
        "score_detail": "得分明细",
        "total": "总分",
        "reviews": "须人工复核的规则",
        "lacking": "缺少数据的规则",
        "to_obtain": "须补充的数据",
        "basis_short": "依据",
        "all_findings": "全部规则结果",
        "file": "文件",
        "sign_title": "联席会议审核",
        "reviewer": "审核人",
        "date": "日期",
        "opinion": "会议意见",
        "opinion_yes": "同意",
        "opinion_no": "不同意",
        "opinion_more": "暂缓",
        "opinion_vetoed": "一票否决项目不能同意",
        "generated_by": (
            "本单由 screening 按上列规则集自动生成，结论供联席会议审议参考。"
        ),
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
        "top_rules": "Rules behind the most rejections",
        "rejected_with": "Rejected projects",
        "share": "Share of rejected",
        "no_rejects": "No project was rejected.",
        "errors": "Invalid rows",
        "source": "Source",
        "row": "Row",
        "column": "Column",
        "header": "Header",
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
        "omitted": (
            "%d more projects are not listed one by one (see the XLSX / JSONL output)"
        ),
        "remedies": "Remedies",
        "colon": ": ",
        "list_sep": "; ",
        "score_axis": "score",
        "skipped": "Skipped rows",
        "skipped_title": (
            "Skipped rows (not projects, such as a totals row; not screened)"
        ),
        "ignored_title": "Columns not read (ignored: not used in the screening)",
        "ignored_shown": "The first %d columns only.",
        "unknown_header": "unknown header",
        "by_score": (
            "%d more rejected projects have no veto and no failed gate: "
            "their score alone is below the pass mark."
        ),
        "top_rules_note": (
            "Only the vetoes and gates behind rejections count; "
            "a project may have several."
        ),
        "list_no": "No.",
        "main_reason": "Main reason",
        "main_remedy": "Remedy",
        "and_more": "and %d more",
        "obtain": "obtain the data and screen again",
        "review_needed": "Needs review",
        "sheet_title": "Investment project screening sheet",
        "failed_rules": "Rules not met",
        "score_detail": "Points",
        "total": "total",
        "reviews": "Rules that need human review",
        "lacking": "Rules lacking data",
        "to_obtain": "Data to obtain",
        "basis_short": "Basis",
        "all_findings": "All rule results",
        "file": "file",
        "sign_title": "Joint committee review",
        "reviewer": "Reviewer",
        "date": "Date",
        "opinion": "Committee opinion",
        "opinion_yes": "agree",
        "opinion_no": "disagree",
        "opinion_more": "defer",
        "opinion_vetoed": "a vetoed lead cannot be agreed",
        "generated_by": (
            "Generated by screening with the rule set above; "
            "the decision is advice for the committee."
        ),
    },
}


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def label(key: str, lang: str = "zh") -> str:
    """A report label: batch labels first, then messages `report.*`."""
    found = BATCH_LABELS[_lang(lang)].get(key)
    return found if found is not None else text(f"report.{key}", _lang(lang))


def ignored_reason(reason: str, lang: str) -> str:
    """Why a column was read into nothing, in the report's language: an unknown header
    is the common case and has a label of its own."""
    from screening.io.columns import UNKNOWN_HEADER

    return label("unknown_header", lang) if reason == UNKNOWN_HEADER else reason


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


def batch_counts(
    decisions: Counter[str], invalid: int, skipped: int = 0
) -> dict[str, int]:
    """The batch counts that reconcile: rows = screened + invalid + skipped."""
    screened = sum(decisions.values())
    counts = {
        "rows": screened + invalid + skipped,
        "screened": screened,
        "invalid": invalid,
        "skipped": skipped,
    }
    counts.update({d: decisions.get(d, 0) for d in DECISIONS})
    return counts


def _is_skipped(error: Mapping[str, Any]) -> bool:
    return error.get("kind") == "skipped"


def invalid_rows(errors: Iterable[Mapping[str, Any]]) -> int:
    """Invalid rows: rows with at least one error (a row may have several); skipped
    rows (a totals row, not a project) are counted apart."""
    return len({(e.get("source"), e.get("row")) for e in errors if not _is_skipped(e)})


def skipped_rows(errors: Iterable[Mapping[str, Any]]) -> int:
    """Rows that are no project (a totals row such as 合计): never screened."""
    return len({(e.get("source"), e.get("row")) for e in errors if _is_skipped(e)})


class BatchStats:
    """What the report needs from every result, gathered in one pass (flat memory)."""

    def __init__(self, labels: Labels) -> None:
        self.labels = labels
        self.decisions: Counter[str] = Counter()
        self.bins = [0] * BINS
        self.unscored = 0
        self.rejected = 0
        self.by_score = 0  # rejected with no veto nor failed gate: the score alone
        self.rule_rejects: Counter[str] = Counter()
        self.rules: dict[str, tuple[str, str]] = {}  # rule id → (title, kind)

    def add(self, result: Mapping[str, Any]) -> None:
        self.decisions[str(result.get("decision"))] += 1
        score = result.get("score")
        if score is None:
            self.unscored += 1
        else:
            self.bins[min(int(max(float(score), 0) // (100 / BINS)), BINS - 1)] += 1
        if result.get("decision") == "reject":
            self.rejected += 1
            behind = _rejecting(result)
            if not behind:
                self.by_score += 1
            for rule, kind in behind:
                self.rule_rejects[rule] += 1
                if rule not in self.rules:
                    self.rules[rule] = (self.labels.rule(result, rule), kind)


def _rejecting(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The rules behind a rejection: its vetoes and failed gates (never a score)."""
    causes = [(rule, "veto") for rule in result.get("vetoed_by") or ()]
    causes += [
        (f["rule"], "gate")
        for f in result.get("findings") or ()
        if f.get("kind") == "gate" and f.get("status") == "fail"
    ]
    return causes


def _histogram(stats: BatchStats) -> dict[str, Any] | None:
    bins = stats.bins
    if not any(bins):  # no score at all: a rule set without score rules shows no panel
        return None
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
    ranked = sorted(stats.rule_rejects.items(), key=lambda item: (-item[1], item[0]))
    return [
        {
            "rule": rule,
            "title": stats.rules[rule][0],
            "kind": stats.rules[rule][1],
            "count": n,
            "share": 100 * n / stats.rejected,
        }
        for rule, n in ranked[:TOP_RULES]
    ]


def _percent(value: Any) -> str:
    """A share as the finding's sentence shows it: 0.022 → "2.2%" (exactly)."""
    return (
        show(Decimal(repr(value)).scaleb(2)) + "%"
        if isinstance(value, (int, float))
        else value_text(value)
    )


def _unshown(
    result: Mapping[str, Any], vetoes: int, gates: int, missing: int, reviews: int
) -> list[str]:
    """The summary lines a sheet's blocks do not already show: the score's shortfall
    and the ways to gain points. The summary lists, in this order, one line for the
    vetoes, one a failed gate, one for missing data and one a review rule (see
    Explainer.summary)."""
    lines = (result.get("summary") or "").splitlines()
    return lines[(vetoes > 0) + gates + (missing > 0) + reviews :]


class _Views:
    """Contract results → what the templates show: titles, units and requirements."""

    def __init__(self, labels: Labels, lang: str) -> None:
        self.labels = labels
        self.lang = lang

    def _shown(
        self, result: Mapping[str, Any], finding: Mapping[str, Any], value: Any
    ) -> str:
        if value is None or value == "":
            return ""
        if self.labels.is_percent(result, str(finding.get("rule"))) and not isinstance(
            value, (bool, str)
        ):
            return (
                "–".join(map(_percent, value))
                if isinstance(value, list)
                else _percent(value)
            )
        shown = value_text(value, self.lang)
        unit = unit_label(finding.get("unit"), self.lang)
        return (
            f"{shown} {unit}"
            if shown and unit and not isinstance(value, bool)
            else shown
        )

    def finding(
        self, result: Mapping[str, Any], finding: Mapping[str, Any]
    ) -> dict[str, Any]:
        rule = str(finding.get("rule"))
        points, top = finding.get("points"), finding.get("max_points")
        points_text = value_text(points, self.lang)
        if points_text and top is not None:
            points_text += f" / {value_text(top, self.lang)}"
        status = finding.get("status")
        # A bonus not earned or a derived "no" is shown as failed, not as a shortcoming.
        soft = status == "fail" and not is_failure(finding)
        threshold = self._shown(result, finding, finding.get("threshold"))
        op = self.labels.requirement(result, rule)
        if threshold and op and op != "between":
            threshold = f"{text(f'op.{op}', self.lang)} {threshold}"
        return {
            **finding,
            "title": self.labels.rule(result, rule),
            "row_class": "st-soft" if soft else f"st-{status}",
            "badge": "soft" if soft else status,
            "status_text": finding_status(finding, self.lang),
            "kind_text": enum_label("kind", finding.get("kind"), self.lang),
            "actual_text": self._shown(result, finding, finding.get("actual")),
            "threshold_text": threshold,
            "points_text": points_text,
        }

    def project(self, index: int, result: Mapping[str, Any]) -> dict[str, Any]:
        labels, lang = self.labels, self.lang
        project = result.get("project") or {}
        findings = [self.finding(result, f) for f in result.get("findings") or []]
        vetoes = [
            f for f in findings if f.get("kind") == "veto" and f.get("status") == "fail"
        ]
        failed = [
            f for f in findings if f.get("kind") == "gate" and f.get("status") == "fail"
        ]
        # what each score and bonus rule earned: the score's breakdown, on paper too
        scores = [f for f in findings if f.get("kind") in ("score", "bonus")]
        reviews = [
            f
            for f in findings
            if f.get("kind") == "review" and f.get("status") == "fail"
        ]
        lacking = [
            f
            for f in findings
            if f.get("status") == "missing" and f.get("kind") != "derive"
        ]
        missing = [labels.field(result, path) for path in result.get("missing") or []]
        reason, remedy = self._main(result, vetoes, failed, reviews, missing)
        return {
            "anchor": f"p{index}",
            "index": index,
            "id": project.get("id") or "",
            "name": project.get("name") or "",
            "company": project.get("company") or "",
            "decision": result.get("decision"),
            "score": value_text(result.get("score"), lang),
            "ruleset": {
                "id": None,
                "version": None,
                "sha256": None,
                "path": None,
                **(result.get("ruleset") or {}),
            },
            "as_of": result.get("as_of"),
            "vetoes": vetoes,
            "failed": failed,
            "scores": scores,
            "reviews": reviews,
            "lacking": lacking,
            "missing": missing,
            "summary": _unshown(
                result,
                len(vetoes),
                len(failed),
                len(missing),
                len(reviews),
            ),
            "findings": findings,
            "reason": reason,
            "remedy": remedy,
        }

    def _main(
        self,
        result: Mapping[str, Any],
        vetoes: list[dict[str, Any]],
        failed: list[dict[str, Any]],
        reviews: list[dict[str, Any]],
        missing: list[str],
    ) -> tuple[str, str]:
        """The main reason for the decision and what to do about it, for the list."""
        lang, colon = self.lang, label("colon", self.lang)
        sep = label("list_sep", lang)
        if vetoes:
            titles = sep.join(f["title"] for f in vetoes)
            return f"{label('vetoed_by', lang)}{colon}{titles}", vetoes[0].get(
                "remedy"
            ) or ""
        gates = [f for f in failed if f.get("kind") == "gate"]
        if gates:
            first = gates[0]
            more = (
                f" {label('and_more', lang) % (len(gates) - 1)}"
                if len(gates) > 1
                else ""
            )
            # the first way out only: the sheet lists every option
            remedy = (first.get("remedy") or "").split(text("or", lang))[0]
            return f"{first['title']}{more}", remedy
        if result.get("decision") == "pass":
            return "", ""
        if missing:
            return f"{label('missing', lang)}{colon}{sep.join(missing)}", label(
                "obtain", lang
            )
        if reviews:
            titles = sep.join(f["title"] for f in reviews)
            return (
                f"{label('review_needed', lang)}{colon}{titles}",
                reviews[0].get("remedy") or "",
            )
        summary = (result.get("summary") or "").splitlines()
        return (summary[0] if summary else ""), (summary[1] if len(summary) > 1 else "")


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
    errors: Iterable[Mapping[str, Any]],
    meta: dict[str, Any],
    lang: str = "zh",
    max_sections: int | None = None,
    ruleset: RuleSet | None = None,
) -> str:
    """The batch report as one HTML document (Chinese labels unless lang="en").

    Counts, the histogram and the top rejecting rules cover every result; the list
    and a one-page sheet per project cover the first `max_sections` (all when None).
    Rule and field titles come from `ruleset`, the rule set applied, when given.
    Each error may say `"kind": "invalid"` or `"skipped"` (a row that is no project);
    `errors` is gone over several times (a list, or the batch's on-disk error log).
    """
    lang = _lang(lang)
    labels = Labels([ruleset], lang)
    stats = BatchStats(labels)
    views = _Views(labels, lang)
    shown: list[dict[str, Any]] = []
    first_ruleset: Mapping[str, Any] = {}
    for result in results:
        stats.add(result)
        first_ruleset = first_ruleset or (result.get("ruleset") or {})
        if max_sections is None or len(shown) < max_sections:
            shown.append(views.project(len(shown) + 1, result))
    counts = {
        **batch_counts(stats.decisions, invalid_rows(errors), skipped_rows(errors)),
        **(meta.get("counts") or {}),
    }
    template = _environment().get_template("batch.html.j2")
    return template.render(
        lang=lang,
        # every key present: StrictUndefined is there for typos, not for missing data
        meta={key: meta.get(key) for key in ("as_of", "generated", "input")},
        ruleset=_ruleset_meta(meta.get("ruleset"), first_ruleset, ruleset),
        counts=counts,
        decisions=DECISIONS,
        histogram=_histogram(stats),
        rejected=stats.rejected,
        by_score=stats.by_score,
        top_rules=_top_rules(stats),
        invalid=[e for e in errors if not _is_skipped(e)],
        skipped=[e for e in errors if _is_skipped(e)],
        ignored=[
            {**i, "reason": ignored_reason(i["reason"], lang)}
            for i in meta.get("ignored_columns") or ()
        ],
        ignored_count=meta.get("ignored_count") or 0,
        projects=shown,
        omitted=sum(stats.decisions.values()) - len(shown),
        t=lambda key: label(key, lang),
        enum=lambda group, value: enum_label(group, value, lang),
    )


def render_project_html(
    results: list[dict[str, Any]],
    lang: str = "zh",
    rulesets: Iterable[RuleSet | None] = (),
) -> str:
    """One printable A4 sheet per project (`screening screen --format html`), the same
    sheet a batch report prints for each project."""
    lang = _lang(lang)
    views = _Views(Labels(rulesets, lang), lang)
    template = _environment().get_template("project.html.j2")
    return template.render(
        lang=lang,
        projects=[views.project(i, r) for i, r in enumerate(results, 1)],
        t=lambda key: label(key, lang),
        enum=lambda group, value: enum_label(group, value, lang),
    )


def sheet_views(
    results: list[dict[str, Any]],
    lang: str = "zh",
    rulesets: Iterable[RuleSet | None] = (),
) -> list[dict[str, Any]]:
    """What each project's sheet shows (the `sheet` macro's argument), for pages that
    embed the sheet, as `render_project_html` renders it (the web app's decision page)."""
    lang = _lang(lang)
    views = _Views(Labels(rulesets, lang), lang)
    return [views.project(i, r) for i, r in enumerate(results, 1)]


def _ruleset_meta(
    given: Mapping[str, Any] | None, first: Mapping[str, Any], ruleset: RuleSet | None
) -> dict[str, Any]:
    """The rule set applied, as the header shows it: the meta's, else the results' own,
    with the file path whenever it was loaded from one."""
    out: dict[str, Any] = {
        "id": None,
        "version": None,
        "sha256": None,
        "path": None,
        **first,
        **(given or {}),
    }
    if ruleset is not None and ruleset.path and not out.get("path"):
        out["path"] = ruleset.path
    return out
