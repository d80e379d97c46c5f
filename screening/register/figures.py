"""The figures of a promise and of an actual report, as the register stores them and
the lead page's forms and the export title them: one table for each."""

from __future__ import annotations

from dataclasses import dataclass

# the canonical unit a bare figure of each kind is read in (the register stores these)
FIGURE_UNITS = {"money": "万元", "area": "亩", "count": "人", "energy": "吨标准煤"}


@dataclass(frozen=True)
class Figure:
    """One input of the promise or actual form: its name, titles and kind."""

    name: str  # as the register stores it (total_investment, invested, …)
    title_zh: str
    title_en: str
    kind: str  # money | area | count | energy | date | year | text

    @property
    def unit(self) -> str:
        """The unit a bare number is read in ("" for none)."""
        return FIGURE_UNITS.get(self.kind, "")

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh


PROMISE_FORM = (
    Figure("total_investment", "总投资", "total investment", "money"),
    Figure("fixed_assets", "固定资产投资", "fixed assets", "money"),
    Figure("land_mu", "用地", "land", "area"),
    Figure("annual_output", "达产年产值", "annual output", "money"),
    Figure("annual_tax", "达产年税收", "annual tax", "money"),
    Figure("employees", "就业人数", "employees", "count"),
    Figure("energy_tce", "年综合能耗", "energy use", "energy"),
    Figure("signed_on", "签约日期", "signed on", "date"),
    Figure("start_by", "承诺开工日期", "start by", "date"),
    Figure("production_by", "承诺投产日期", "production by", "date"),
    Figure("note", "备注", "note", "text"),
)
ACTUAL_FORM = (
    Figure("reported_on", "报告日期", "reported on", "date"),
    Figure("year", "年度", "year", "year"),
    Figure("invested", "累计到位资金", "invested to date", "money"),
    Figure(
        "fixed_assets_invested", "累计固定资产投资", "fixed assets to date", "money"
    ),
    Figure("annual_output", "当年产值", "output in the year", "money"),
    Figure("annual_tax", "当年税收", "tax in the year", "money"),
    Figure("employees", "就业人数", "employees", "count"),
    Figure("energy_tce", "年综合能耗", "energy use", "energy"),
    Figure("note", "备注", "note", "text"),
)
