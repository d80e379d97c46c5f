"""A landed firm's yearly figures: the field names schemes use, their units and headers.

The names are what a scheme's expressions read (`tax / land_mu`); the headers are
those a 亩均办 receives from the tax, statistics and power offices. A field's unit
kind is one of `screening.model.units.UNIT_FACTORS`, so a header written with
another unit (用地面积(平方米), 税收(元)) is converted exactly to the canonical one.
This module reads no file.
"""

from __future__ import annotations

from dataclasses import dataclass

from screening.model.units import CANONICAL_UNIT


@dataclass(frozen=True)
class FirmField:
    """One input of a firm: how its cells are read and what it is called."""

    name: str
    kind: str  # a unit kind (money, area …) or text / integer / bool / date / scale
    zh: str
    en: str
    headers: tuple[str, ...] = ()
    minimum: str | None = (
        None  # "positive" or "non_negative" for amounts; None: any sign
    )
    derived_unit: str | None = None  # the unit of a computed field, when not its kind's

    @property
    def unit(self) -> str | None:
        """The canonical unit of an amount (万元, 亩, tce …); None for other kinds."""
        if self.derived_unit is not None:
            return self.derived_unit
        return _UNIT.get(self.kind, CANONICAL_UNIT.get(self.kind))

    @property
    def is_amount(self) -> bool:
        """Whether cells are numbers, possibly written with a unit."""
        return self.kind in CANONICAL_UNIT or self.kind == INTENSITY


INTENSITY = "intensity"  # 万元 per 亩: promised 投资强度, 亩均税收 …
_UNIT = {"fraction": "", INTENSITY: "万元/亩"}

FIRM_FIELDS: dict[str, FirmField] = {
    f.name: f
    for f in (
        FirmField(
            "name",
            "text",
            "企业名称",
            "firm name",
            (
                "企业名称",
                "企业",
                "公司名称",
                "单位名称",
                "纳税人名称",
                "firm name",
                "company",
            ),
        ),
        FirmField(
            "credit_code",
            "text",
            "统一社会信用代码",
            "unified social credit code",
            (
                "统一社会信用代码",
                "社会信用代码",
                "信用代码",
                "纳税人识别号",
                "credit code",
                "uscc",
            ),
        ),
        FirmField(
            "year", "integer", "年度", "year", ("年度", "评价年度", "年份", "year")
        ),
        FirmField(
            "scale",
            "scale",
            "企业规模（规上/规下）",
            "size class (above / below designated size)",
            (
                "企业规模",
                "规模",
                "规上规下",
                "规上/规下",
                "企业类型",
                "scale",
                "size class",
            ),
        ),
        FirmField(
            "industry",
            "text",
            "行业代码",
            "industry code",
            (
                "行业代码",
                "国民经济行业代码",
                "所属行业代码",
                "industry code",
                "industry",
            ),
        ),
        FirmField(
            "town",
            "text",
            "所属乡镇（街道、园区）",
            "town or park",
            (
                "所属乡镇",
                "乡镇",
                "乡镇街道",
                "所属乡镇街道",
                "所属园区",
                "园区",
                "town",
                "park",
            ),
        ),
        FirmField(
            "land_mu",
            "area",
            "用地面积",
            "land area",
            (
                "用地面积",
                "实际用地面积",
                "占地面积",
                "土地面积",
                "用地",
                "land area",
                "land",
            ),
            "positive",
        ),
        FirmField(
            "tax",
            "money",
            "税收实际贡献",
            "tax actually paid",
            (
                "税收实际贡献",
                "实缴税金",
                "实缴税收",
                "评价税收",
                "入库税收",
                "税收",
                "tax paid",
                "tax",
            ),
        ),
        FirmField(
            "revenue",
            "money",
            "营业收入",
            "revenue",
            (
                "营业收入",
                "主营业务收入",
                "销售收入",
                "开票销售收入",
                "revenue",
                "sales",
            ),
            "non_negative",
        ),
        FirmField(
            "added_value",
            "money",
            "工业增加值",
            "industrial added value",
            ("工业增加值", "增加值", "added value", "value added"),
        ),
        FirmField(
            "energy_tce",
            "energy",
            "综合能耗",
            "energy use",
            ("综合能耗", "综合能源消费量", "能耗", "energy use", "energy"),
            "non_negative",
        ),
        FirmField(
            "emissions_t",
            "mass",
            "主要污染物排放当量",
            "main pollutant emissions (equivalent)",
            (
                "主要污染物排放当量",
                "主要污染物排放量",
                "污染物排放当量",
                "排放当量",
                "emissions",
            ),
            "non_negative",
        ),
        FirmField(
            "rd_spend",
            "money",
            "研发经费",
            "R&D spending",
            (
                "研发经费",
                "研发经费支出",
                "R&D经费支出",
                "R&D经费",
                "研发投入",
                "r&d spending",
            ),
            "non_negative",
        ),
        FirmField(
            "employees",
            "count",
            "年平均职工人数",
            "average employees",
            (
                "年平均职工人数",
                "年平均从业人员",
                "年平均从业人数",
                "职工人数",
                "从业人数",
                "employees",
            ),
            "non_negative",
        ),
        FirmField(
            "electricity_kwh",
            "electricity",
            "用电量",
            "electricity use",
            ("用电量", "年用电量", "总用电量", "electricity use", "electricity"),
            "non_negative",
        ),
        FirmField(
            "tech_investment",
            "money",
            "技术改造投资",
            "technical upgrade investment",
            ("技术改造投资", "技改投资", "tech upgrade investment"),
            "non_negative",
        ),
        FirmField(
            "utility",
            "bool",
            "是否公用事业（水电气供应）企业",
            "utility (water, power, gas supplier)",
            (
                "是否公用事业企业",
                "公用事业企业",
                "是否水电气供应企业",
                "公用事业",
                "utility",
            ),
        ),
        FirmField(
            "production_start",
            "date",
            "投产日期",
            "start of production",
            (
                "投产日期",
                "投产时间",
                "正式投产日期",
                "实际投产日期",
                "production start",
            ),
        ),
        FirmField(
            "major_incident",
            "bool",
            "年内是否发生重大安全生产或环境污染事故",
            "major safety or environmental incident in the year",
            (
                "是否发生重大安全生产或环境污染事故",
                "重大安全环保事故",
                "重大事故",
                "是否发生重大事故",
                "major incident",
            ),
        ),
    )
}

# Computed from the fields above, for expressions; never read from a column.
DERIVED: dict[str, FirmField] = {
    f.name: f
    for f in (
        FirmField(
            "production_months",
            "count",
            "投产满月数（至评价年度末）",
            "whole months in production at the end of the year",
            derived_unit="月",
        ),
        FirmField(
            "electricity_10k_kwh",
            "electricity",
            "用电量（万千瓦时）",
            "electricity use (10,000 kWh)",
            derived_unit="万kWh",
        ),
    )
}

# Fields that identify a firm; at least one must be given on every row.
IDENTITY = ("credit_code", "name")
DERIVED_FROM = {
    "production_months": "production_start",
    "electricity_10k_kwh": "electricity_kwh",
}
