"""An evaluation → one self-contained, printable HTML page. Layout only.

No network and no JavaScript: CSS inline, histograms as inline SVG, every value
escaped by Jinja2's autoescape. The population summary covers every firm; firms
are listed one by one up to a limit (the XLSX has them all).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2

from screening.evaluation.texts import unit_name
from screening.evaluation.xlsx import t as sheet_label

_L = {
    "zh": {
        "title": "亩均效益综合评价报告",
        "year": "评价年度",
        "scheme": "评价方案",
        "input": "输入文件",
        "counts": "总行数 {rows}：参评 {rated}，不参评 {not_rated}，无效 {invalid}，跳过 {skipped}（合计行）",
        "classes": "分类结果",
        "histogram": "得分分布",
        "benchmarks": "基准",
        "shortfalls": "末类企业主要短板",
        "movers": "与上年相比",
        "actions": "反制清单",
        "firms": "企业明细",
        "errors": "无效行",
        "skipped": "跳过的行（合计行，未评价）",
        "omitted": "另有 {n} 家企业未逐一列出（见 XLSX / JSON 输出）",
        "below": "低于基准的企业",
        "short": "平均少得分",
        "new": "上年无记录",
        "none": "无",
        "from_to": "上年 → 今年",
        "source": "来源",
        # punctuation: a colon, a note's brackets, a list's and a sentence list's seams
        "colon": "：",
        "open": "（",
        "close": "）",
        "comma": "，",
        "list_seam": "、",
        "sentences": "；",
    },
    "en": {
        "title": "Per-mu efficiency evaluation",
        "year": "Year",
        "scheme": "Scheme",
        "input": "Input",
        "counts": "{rows} rows: {rated} rated, {not_rated} not rated, {invalid} invalid, {skipped} skipped (totals rows)",
        "classes": "Classes",
        "histogram": "Scores",
        "benchmarks": "Benchmarks",
        "shortfalls": "What pulls the last class down",
        "movers": "Against last year",
        "actions": "Actions",
        "firms": "Firms",
        "errors": "Invalid rows",
        "skipped": "Skipped rows (totals rows, not evaluated)",
        "omitted": "{n} more firms are not listed one by one (see the XLSX / JSON output)",
        "below": "firms below benchmark",
        "short": "mean points short",
        "new": "not found last year",
        "none": "none",
        "from_to": "last year → this year",
        "source": "source",
        "colon": ": ",
        "open": " (",
        "close": ")",
        "comma": ", ",
        "list_seam": ", ",
        "sentences": "; ",
    },
}


def _histogram(track: Mapping[str, Any]) -> dict[str, Any] | None:
    data = track.get("histogram")
    if not data:
        return None
    counts = data["counts"]
    top = max(counts) or 1
    width, height, gap = 26, 120, 4
    bars = [
        {
            "x": i * (width + gap),
            "y": height - round(height * n / top),
            "width": width,
            "height": round(height * n / top),
            "count": n,
            "low": data["low"] + i * data["width"],
        }
        for i, n in enumerate(counts)
    ]
    return {"bars": bars, "width": len(counts) * (width + gap), "height": height}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("screening.evaluation", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class EvaluationPage:
    """Gathers what the page shows while firms stream past; `render` gives the HTML."""

    def __init__(
        self,
        head: Mapping[str, Any],
        lang: str,
        limit: int,
        titles: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.head = head
        # ids shown by title: {"track": {id: title}, …}; the head's tracks otherwise
        self.titles = dict(titles or {})
        self.titles.setdefault(
            "track", {track["id"]: track["title"] for track in head.get("tracks", ())}
        )
        self.lang = "en" if lang == "en" else "zh"
        self.limit = limit
        self.firms: list[Mapping[str, Any]] = []
        self.total = 0
        self.actions: list[Mapping[str, Any]] = []

    def add(self, firm: Mapping[str, Any]) -> None:
        """One firm (listed while under the limit)."""
        self.total += 1
        if len(self.firms) < self.limit:
            self.firms.append(firm)

    def finish(
        self, actions: list[Mapping[str, Any]], unmatched: list[Mapping[str, Any]]
    ) -> None:
        """Keep the 反制 list for the page."""
        self.actions = list(actions)

    def render(self) -> str:
        """The page."""
        labels = _L[self.lang]
        return (
            _environment()
            .get_template("evaluation.html.j2")
            .render(
                lang=self.lang,
                head=self.head,
                tracks=[
                    {**track, "svg": _histogram(track)} for track in self.head["tracks"]
                ],
                firms=self.firms,
                omitted=self.total - len(self.firms),
                actions=self.actions,
                L=labels,
                s=lambda key: sheet_label(key, self.lang),
                track_title=lambda key: self.titles["track"].get(key, key),
                u=lambda unit: unit_name(unit, self.lang),
            )
        )
