"""An evaluation → an XLSX workbook for the 亩均办, and the 反制 list on its own. Layout only.

openpyxl's write-only mode keeps memory flat: sheets 评价结果 (one row per firm,
classes coloured), 指标明细 (firm × indicator), 分类统计, 承诺兑现, 反制清单, 无效行,
跳过的行 (totals rows) and 方案. Cells a user typed that begin with "=" stay text, never formulas.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from functools import cache
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from screening.evaluation.texts import unit_name
from screening.io import excel

_CLASS_FILLS = (
    "C6EFCE",
    "DDEBF7",
    "FFEB9C",
    "FFC7CE",
    "E7E6E6",
)  # best … worst, then more
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")

_LABELS = {
    "zh": {
        "firms": "评价结果",
        "indicators": "指标明细",
        "population": "分类统计",
        "promises": "承诺兑现",
        "actions": "反制清单",
        "errors": "无效行",
        "skipped": "跳过的行",
        "scheme": "方案",
        "track": "评价序列",
        "rank": "排名",
        "of": "参评数",
        "id": "统一社会信用代码",
        "name": "企业名称",
        "status": "状态",
        "score": "得分",
        "class": "类别",
        "class_rule": "分类依据",
        "ranked_class": "调整前类别",
        "override": "调整原因",
        "bonus": "加分",
        "deduction": "减分",
        "previous_class": "上年类别",
        "previous_score": "上年得分",
        "move": "变动",
        "why": "说明",
        "flags": "标注",
        "indicator": "指标",
        "value": "数值",
        "unit": "单位",
        "benchmark": "基准值",
        "ratio": "比值",
        "weight": "权重",
        "points": "得分",
        "treatment": "处理",
        "firms_count": "企业数",
        "share": "占比(%)",
        "places": "份额名次",
        "min_score": "最低分",
        "max_score": "最高分",
        "item": "项目",
        "promise": "承诺项",
        "promised": "承诺",
        "actual": "实际",
        "gap": "差距",
        "gap_share": "差距比例(%)",
        "reasons": "原因",
        "measures": "措施",
        "source": "来源",
        "row": "行号",
        "column": "列",
        "reason": "原因",
        "capped": "封顶",
        "floored": "保底",
        "zero": "缺数按 0 分",
        "average": "缺数按平均分",
        "rated": "参评",
        "not_rated": "不参评",
        "short": "未达承诺",
        "met": "达到",
        "unknown": "无实际数据",
        "not_due": "未到期",
        "last_class": "末类",
        "investment_intensity": "投资强度({per_mu})",
        "output_intensity": "产出强度({per_mu})",
        "tax_per_mu": "亩均税收({per_mu})",
        "start": "开工日期(逾期天数)",
        "production": "投产日期(逾期天数)",
        "scheme_id": "方案编号",
        "title": "方案名称",
        "version": "版本",
        "sha256": "SHA-256",
        "basis": "依据",
        "year": "评价年度",
        "input": "输入文件",
        "rows": "总行数",
        "invalid": "无效行数",
        "skipped_count": "跳过的行数（合计行）",
        "previous": "上年结果",
        "benchmarks": "基准",
        # a firm's class rule and its move against last year, as the cells show them
        "rule_score": "按分数线",
        "rule_rank_share": "按排名份额",
        "rule_small_population": "参评企业过少，按方案的小样本规则",
        "up": "上升",
        "down": "下降",
        "same": "持平",
    },
    "en": {
        "firms": "Results",
        "indicators": "Indicators",
        "population": "Population",
        "promises": "Promises",
        "actions": "Actions",
        "errors": "Invalid rows",
        "skipped": "Skipped rows",
        "scheme": "Scheme",
        "track": "Track",
        "rank": "Rank",
        "of": "Rated",
        "id": "Credit code",
        "name": "Firm",
        "status": "Status",
        "score": "Score",
        "class": "Class",
        "class_rule": "Class rule",
        "ranked_class": "Class by rule",
        "override": "Override",
        "bonus": "Bonus",
        "deduction": "Deduction",
        "previous_class": "Last year's class",
        "previous_score": "Last year's score",
        "move": "Move",
        "why": "Why",
        "flags": "Flags",
        "indicator": "Indicator",
        "value": "Value",
        "unit": "Unit",
        "benchmark": "Benchmark",
        "ratio": "Ratio",
        "weight": "Weight",
        "points": "Points",
        "treatment": "Treatment",
        "firms_count": "Firms",
        "share": "Share (%)",
        "places": "Places",
        "min_score": "Lowest score",
        "max_score": "Highest score",
        "item": "Item",
        "promise": "Promise",
        "promised": "Promised",
        "actual": "Actual",
        "gap": "Gap",
        "gap_share": "Gap (%)",
        "reasons": "Reasons",
        "measures": "Measures",
        "source": "Source",
        "row": "Row",
        "column": "Column",
        "reason": "Reason",
        "capped": "capped",
        "floored": "floored",
        "zero": "missing: 0 points",
        "average": "missing: average points",
        "rated": "rated",
        "not_rated": "not rated",
        "short": "short",
        "met": "met",
        "unknown": "no actual",
        "not_due": "not due",
        "last_class": "last class",
        "investment_intensity": "Investment intensity ({per_mu})",
        "output_intensity": "Output per mu ({per_mu})",
        "tax_per_mu": "Tax per mu ({per_mu})",
        "start": "Start (days late)",
        "production": "Production (days late)",
        "scheme_id": "Scheme",
        "title": "Title",
        "version": "Version",
        "sha256": "SHA-256",
        "basis": "Basis",
        "year": "Year",
        "input": "Input",
        "rows": "Rows",
        "invalid": "Invalid rows",
        "skipped_count": "Skipped rows (totals rows)",
        "previous": "Last year's results",
        "benchmarks": "Benchmarks",
        "rule_score": "by score thresholds",
        "rule_rank_share": "by rank share",
        "rule_small_population": "too few rated firms: the scheme's small-population rule",
        "up": "up",
        "down": "down",
        "same": "the same",
    },
}

FIRMS = (
    ("track", 12),
    ("rank", 7),
    ("of", 7),
    ("name", 30),
    ("id", 22),
    ("status", 9),
    ("score", 9),
    ("class", 20),
    ("class_rule", 12),
    ("ranked_class", 16),
    ("override", 22),
    ("bonus", 7),
    ("deduction", 7),
    ("previous_class", 16),
    ("previous_score", 10),
    ("move", 8),
    ("measures", 40),
    ("why", 90),
)
INDICATORS = (
    ("name", 30),
    ("id", 22),
    ("track", 12),
    ("indicator", 26),
    ("value", 12),
    ("unit", 12),
    ("benchmark", 12),
    ("ratio", 9),
    ("weight", 8),
    ("points", 9),
    ("treatment", 16),
)
POPULATION = (
    ("track", 14),
    ("item", 30),
    ("firms_count", 10),
    ("share", 10),
    ("places", 10),
    ("min_score", 10),
    ("max_score", 10),
)
PROMISES = (
    ("name", 30),
    ("id", 22),
    ("promise", 26),
    ("promised", 14),
    ("actual", 14),
    ("gap", 12),
    ("gap_share", 12),
    ("status", 12),
)
ACTIONS = (("name", 30), ("id", 22), ("class", 20), ("reasons", 40), ("measures", 70))
ERRORS = (("source", 36), ("row", 8), ("column", 24), ("reason", 70))
SKIPPED = (("source", 36), ("row", 8), ("reason", 94))
SCHEME = (("item", 18), ("value", 80))


# (a list's items, a list of sentences) as each language separates them
_SEPARATORS = {"zh": ("、", "；"), "en": (", ", "; ")}


@cache
def t(key: str, lang: str) -> str:
    """A sheet label, its unit in `lang` (万元/亩, ×10k CNY/mu)."""
    label = _LABELS["en" if lang == "en" else "zh"].get(key, key)
    return label.replace("{per_mu}", unit_name("万元/亩", lang))


def _items(texts: Iterable[str], lang: str) -> str:
    return _SEPARATORS[lang][0].join(texts)


def _sentences(texts: Iterable[str], lang: str) -> str:
    return _SEPARATORS[lang][1].join(texts)


class _Sheet:
    """A write-only sheet with a frozen, filtered header; continues past Excel's row limit."""

    def __init__(
        self, book: Workbook, key: str, columns: tuple[tuple[str, int], ...], lang: str
    ) -> None:
        self.book, self.key, self.columns, self.lang = book, key, columns, lang
        self.parts: list[Any] = []
        self.rows = 0
        self._open()

    def _open(self) -> None:
        title = t(self.key, self.lang)
        ws = self.book.create_sheet(
            (title if not self.parts else f"{title} ({len(self.parts) + 1})")[:31]
        )
        for index, (_, width) in enumerate(self.columns, 1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        header = []
        for key, _ in self.columns:
            cell = WriteOnlyCell(ws, value=t(key, self.lang))
            cell.font, cell.fill = _BOLD, _HEADER_FILL
            header.append(cell)
        ws.append(header)
        self.parts.append(ws)
        self.rows = 1

    def append(
        self, values: list[Any], fill: str | None = None, wrap: int | None = None
    ) -> None:
        if self.rows >= excel.ROWS:
            self.close()
            self._open()
        ws = self.parts[-1]
        cells = []
        for index, value in enumerate(values):
            text = (
                ILLEGAL_CHARACTERS_RE.sub("", value)
                if isinstance(value, str)
                else value
            )
            styled = (
                (fill is not None and index == 7)
                or index == wrap
                or (isinstance(text, str) and text.startswith("="))
            )
            if not styled:
                cells.append(text)
                continue
            cell = WriteOnlyCell(ws, value=text)
            if isinstance(text, str) and text.startswith("="):
                cell.data_type = "s"
            if fill is not None and index == 7:
                cell.fill = PatternFill("solid", fgColor=fill)
            if index == wrap:
                cell.alignment = _WRAP
            cells.append(cell)
        ws.append(cells)
        self.rows += 1

    def close(self) -> None:
        self.parts[
            -1
        ].auto_filter.ref = f"A1:{get_column_letter(len(self.columns))}{self.rows}"


class EvaluationWorkbook:
    """Fills the sheets as firms stream past; `save` writes the book to a binary handle."""

    def __init__(
        self,
        head: Mapping[str, Any],
        class_ids: tuple[str, ...],
        lang: str,
        actions_only: bool = False,
        titles: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.lang = "en" if lang == "en" else "zh"
        self.head = head
        # ids the cells show by title: {"track" | "override" | "class": {id: title}}
        self.titles = titles or {}
        self.fills = {
            c: _CLASS_FILLS[min(i, len(_CLASS_FILLS) - 2)]
            for i, c in enumerate(class_ids)
        }
        if class_ids:
            self.fills[class_ids[-1]] = _CLASS_FILLS[3]
        self.book = Workbook(write_only=True)
        self.actions_only = actions_only
        if actions_only:
            self.sheets = {
                "actions": _Sheet(self.book, "actions", ACTIONS, self.lang),
                "promises": _Sheet(self.book, "promises", PROMISES, self.lang),
            }
        else:
            self.sheets = {
                key: _Sheet(self.book, key, columns, self.lang)
                for key, columns in (
                    ("firms", FIRMS),
                    ("indicators", INDICATORS),
                    ("population", POPULATION),
                    ("promises", PROMISES),
                    ("actions", ACTIONS),
                    ("errors", ERRORS),
                    ("skipped", SKIPPED),
                    ("scheme", SCHEME),
                )
            }

    def add(self, firm: Mapping[str, Any]) -> None:
        """One firm's rows."""
        lang = self.lang
        promise = firm.get("promise")
        if promise:
            self._promise_rows(firm, promise)
        if self.actions_only:
            return
        previous = firm.get("previous") or {}
        self.sheets["firms"].append(
            [
                self._title("track", firm["track"]),
                firm["rank"],
                firm["of"],
                firm["name"],
                firm["id"],
                t(firm["status"], lang),
                firm["score"],
                firm["class_title"],
                t("rule_" + firm["class_rule"], lang) if firm["class_rule"] else None,
                self._title("class", firm["ranked_class"]),
                self._title("override", firm["override"]),
                firm["bonus"],
                firm["deduction"],
                self._title("class", previous.get("class")),
                previous.get("score"),
                t(previous["move"], lang) if previous.get("move") else None,
                _sentences(firm["measures"], lang) or None,
                "\n".join(firm["why"]),
            ],
            fill=self.fills.get(firm["class"]) if firm["class"] else None,
            wrap=17,
        )
        for item in firm["indicators"]:
            treatment = [t(k, lang) for k in ("capped", "floored") if item[k]]
            if item["substituted"]:
                treatment.append(t(item["substituted"], lang))
            self.sheets["indicators"].append(
                [
                    firm["name"],
                    firm["id"],
                    self._title("track", firm["track"]),
                    item["title"],
                    item["value"],
                    unit_name(item["unit"], lang) or None,
                    item["benchmark"],
                    item["ratio"],
                    item["weight"],
                    item["points"],
                    _items(treatment, lang) or None,
                ]
            )

    def _title(self, kind: str, key: str | None) -> str | None:
        """A track's, override's or class's title in the book's language (else its id)."""
        if key is None:
            return None
        return self.titles.get(kind, {}).get(key, key)

    def _promise_rows(
        self, firm: Mapping[str, Any], promise: Mapping[str, Any]
    ) -> None:
        for item in promise["items"]:
            self.sheets["promises"].append(
                [
                    firm["name"],
                    firm["id"],
                    t(item["promise"], self.lang),
                    item["promised"],
                    item["actual"],
                    item["gap"],
                    item["share"],
                    t(item["status"], self.lang),
                ]
            )

    def finish(
        self,
        actions: Iterable[Mapping[str, Any]],
        unmatched: Iterable[Mapping[str, Any]],
    ) -> None:
        """The 反制 list, promises with no evaluated firm, population, bad rows, scheme."""
        lang = self.lang
        for promise in unmatched:
            self._promise_rows(promise, promise["promise"])
        for action in actions:
            reasons = _items((t(r, lang) for r in action["reasons"]), lang)
            self.sheets["actions"].append(
                [
                    action["name"],
                    action["id"],
                    action["class_title"],
                    reasons,
                    _sentences(action["measures"], lang),
                ],
                wrap=4,
            )
        if self.actions_only:
            return
        head = self.head
        for track in head["tracks"]:
            for cls in track["classes"]:
                self.sheets["population"].append(
                    [
                        track["title"],
                        cls["title"],
                        cls["firms"],
                        cls["share"],
                        cls["places"],
                        cls["min_score"],
                        cls["max_score"],
                    ]
                )
            for b in track["benchmarks"]:
                unit = unit_name(b["unit"], lang)
                benchmark = f"{b['title']} {b['value']} {unit}".rstrip()
                source = b["source_text"]
                self.sheets["population"].append(
                    [
                        track["title"],
                        f"{t('benchmarks', lang)}: {benchmark} ({source})"
                        if lang == "en"
                        else f"{t('benchmarks', lang)}：{benchmark}（{source}）",
                        None,
                        None,
                        None,
                        None,
                        None,
                    ]
                )
        for error in head["errors"]:
            self.sheets["errors"].append(
                [error["source"], error["row"], error["column"], error["reason"]]
            )
        for row in head["skipped"]:
            self.sheets["skipped"].append([row["source"], row["row"], row["reason"]])
        scheme = head["scheme"]
        counts = head["counts"]
        for key, value in (
            ("scheme_id", scheme["id"]),
            ("title", scheme["title"]),
            ("version", scheme["version"]),
            ("sha256", scheme["sha256"]),
            ("basis", scheme["basis"]),
            ("year", head["year"]),
            ("input", head["input"]),
            ("previous", head["previous"]),
            ("rows", counts["rows"]),
            ("rated", counts["rated"]),
            ("not_rated", counts["not_rated"]),
            ("invalid", counts["invalid"]),
            ("skipped_count", counts["skipped"]),
        ):
            self.sheets["scheme"].append([t(key, lang), value])

    def save(self, handle: IO[bytes]) -> None:
        """Close every sheet and write the workbook."""
        for sheet in self.sheets.values():
            sheet.close()
        self.book.save(handle)

    def discard(self) -> None:
        """Drop openpyxl's temporary files now (a failed run)."""
        for sheet in self.sheets.values():
            for ws in sheet.parts:
                with contextlib.suppress(Exception):
                    ws.close()
                    ws._writer.cleanup()
