"""The lead form: every field a project file may give, with its title, unit and a help
line, and the form's values read back into a project mapping.

Titles, units and kinds come from the project model (`model.project`); this module adds
only what a form needs besides (a help line, the order on the page, the Chinese names of
choices). Values are passed on as typed ("3.5亿元", "80亩", "15%"): the model reads
them exactly as it reads a project file, so the CLI and the form agree to the digit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from screening.model.project import CHOICE_ALIASES, FIELDS, field_title, input_kinds
from screening.model.ruleset import InputField
from screening.register.figures import ACTUAL_FORM as ACTUAL_FORM
from screening.register.figures import FIGURE_UNITS as FIGURE_UNITS
from screening.register.figures import PROMISE_FORM as PROMISE_FORM
from screening.register.figures import Figure as Figure

# path → (zh help, en help), in page order; titles and units are the model's
HELP: dict[str, tuple[str, str]] = {
    "id": (
        "本局的项目编号；留空时按企业名称与项目名称识别同一项目",
        "your lead id; if empty the lead is known by company and name",
    ),
    "name": (
        "如：年产5万吨电池级磷酸铁项目",
        "e.g. a 50,000 t/yr battery-grade iron phosphate plant",
    ),
    "company": (
        "投资主体的全称（统一社会信用代码登记的名称）",
        "the investor's registered name",
    ),
    "park": (
        "拟落地园区，用于项目库与指标统计",
        "the park it would land in (for the pipeline and KPIs)",
    ),
    "region_class": (
        "工业用地出让最低价标准的土地等别（1–7 等，用于控制指标）",
        "land grade 1–7 of the national minimum land price standard",
    ),
    "industry": (
        "GB/T 4754-2017 行业代码，如 C2613 或 2613",
        "a GB/T 4754-2017 code such as C2613",
    ),
    "investment.total": (
        "计划总投资；可写 3.5亿元、35000万元，默认单位万元",
        "planned total; 3.5亿元 or 35000万元, default 万元",
    ),
    "investment.fixed_assets": (
        "固定资产投资（含厂房、设备，不含流动资金）；默认万元",
        "buildings and equipment, not working capital; default 万元",
    ),
    "land.area_mu": (
        "可写 80亩、5.3公顷 或 53333平方米，默认单位亩",
        "80亩, 5.3公顷 or 53333平方米; default 亩",
    ),
    "land.plot_ratio": (
        "总建筑面积 ÷ 用地面积，如 1.2",
        "floor area ÷ site area, e.g. 1.2",
    ),
    "land.building_coverage": (
        "建筑物、构筑物基底等占地 ÷ 用地面积；可写 0.45 或 45%",
        "footprint ÷ site area; 0.45 or 45%",
    ),
    "land.admin_share": (
        "行政办公及生活服务设施用地 ÷ 用地面积；0.05 或 5%",
        "office and living-service land ÷ site area; 0.05 or 5%",
    ),
    "land.green_ratio": (
        "绿地面积 ÷ 用地面积；0.15 或 15%",
        "green area ÷ site area; 0.15 or 15%",
    ),
    "land.prefab_rate": (
        "装配式建筑的装配率；0.5 或 50%",
        "prefabrication rate; 0.5 or 50%",
    ),
    "land.prefab_area_share": (
        "装配式建筑面积 ÷ 总建筑面积；0.3 或 30%",
        "prefabricated floor area ÷ total; 0.3 or 30%",
    ),
    "output.annual_revenue": (
        "达产后年营业收入；默认万元",
        "at full production; default 万元",
    ),
    "output.annual_tax": (
        "达产后年税收（亩均税收按此计算）；默认万元",
        "at full production (tax per mu uses it); default 万元",
    ),
    "output.added_value": (
        "达产后年工业增加值；默认万元",
        "at full production; default 万元",
    ),
    "output.employees": (
        "达产后从业人数（整数）",
        "employees at full production (a whole number)",
    ),
    "output.rd_share": (
        "研发投入 ÷ 营业收入；0.03 或 3%",
        "R&D spending ÷ revenue; 0.03 or 3%",
    ),
    "environment.energy_tce": (
        "年综合能源消费量（当量值）；可写 8000吨标准煤、0.8万吨标准煤",
        "annual energy use; 8000吨标准煤 or 0.8万吨标准煤",
    ),
    "environment.electricity_kwh": (
        "年用电量；可写 3000万千瓦时，默认千瓦时",
        "annual electricity; 3000万千瓦时, default kWh",
    ),
    "environment.in_red_line": (
        "用地是否位于生态保护红线内（一票否决）",
        "inside the ecological red line (a one-vote veto)",
    ),
    "environment.access_list_conflict": (
        "是否与“三线一单”生态环境准入清单冲突",
        "conflicts with the environmental access list",
    ),
    "environment.catalogue": (
        "《产业结构调整指导目录（2024年本）》中的类别",
        "class in the 2024 industrial structure catalogue",
    ),
    "environment.catalogue_item": (
        "目录中的条目，如 鼓励类 第十一项第3条",
        "the catalogue entry, e.g. 鼓励类 第十一项第3条",
    ),
    "environment.eia_category": (
        "环境影响评价文件类别",
        "the environmental impact assessment category",
    ),
    "environment.emissions.cod_t": (
        "年排放量；默认吨，可写 12吨、800公斤",
        "a year; default t, 12吨 or 800公斤",
    ),
    "environment.emissions.ammonia_t": (
        "年排放量；默认吨",
        "a year; default t",
    ),
    "environment.emissions.so2_t": (
        "年排放量；默认吨",
        "a year; default t",
    ),
    "environment.emissions.nox_t": (
        "年排放量；默认吨",
        "a year; default t",
    ),
    "environment.emissions.vocs_t": (
        "年排放量；默认吨",
        "a year; default t",
    ),
    "environment.emissions.co2_t": (
        "年排放量；默认吨，可写 1.2万吨",
        "a year; default t, 1.2万吨",
    ),
}
NOT_ON_FORM = {
    "land.area_ha"
}  # an input spelling of land.area_mu: the form takes 公顷 there
GROUPS = (
    (
        "basic",
        "基本信息",
        "the lead",
        ("id", "name", "company", "park", "industry", "region_class"),
    ),
    ("investment", "投资", "investment", ("investment.",)),
    ("land", "用地", "land", ("land.",)),
    ("output", "产出", "output", ("output.",)),
    ("environment", "能耗与环境", "energy and environment", ("environment.",)),
    ("extra", "本规则集的其他字段", "fields of this rule set", ("extra.",)),
)
_CHOICE_NAMES = {
    kind: {value: zh for zh, value in aliases.items()}
    for kind, aliases in CHOICE_ALIASES.items()
}
_CHOICE_EN = {
    "encouraged": "encouraged",
    "permitted": "permitted",
    "restricted": "restricted",
    "eliminated": "eliminated",
    "report": "report",
    "report_table": "report form",
    "registration": "registration form",
}


@dataclass(frozen=True)
class FormField:
    """One input on the lead form."""

    path: str  # as a project file gives it (investment.total, extra.zone_class)
    title_zh: str
    title_en: str
    unit: str  # the canonical unit a bare number is read in ("" for none)
    kind: str  # text | integer | bool | choice | a unit kind (money, area, …)
    help_zh: str
    help_en: str
    choices: tuple[tuple[str, str, str], ...] = ()  # (value, zh, en)

    @property
    def name(self) -> str:
        """The HTML form field's name."""
        return self.path

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh

    def help(self, lang: str) -> str:
        return self.help_en if lang == "en" else self.help_zh


def model_fields() -> list[FormField]:
    """The project model's fields, in page order, each with its help line."""
    kinds = input_kinds()
    out = []
    for path, (help_zh, help_en) in HELP.items():
        kind = kinds[path]
        spec = FIELDS.get(path) or FIELDS.get(f"{path}.code")
        title_zh, title_en = field_title(path, "zh"), field_title(path, "en")
        choices: tuple[tuple[str, str, str], ...] = ()
        if kind in _CHOICE_NAMES and spec is not None:
            names = _CHOICE_NAMES[kind]
            choices = tuple(
                (value, names.get(value, value), _CHOICE_EN.get(value, value))
                for value in spec.choices
            )
        unit = spec.unit if spec is not None else ""
        out.append(
            FormField(path, title_zh, title_en, unit, kind, help_zh, help_en, choices)
        )
    return out


def ruleset_fields(inputs: Mapping[str, InputField]) -> list[FormField]:
    """A rule set's own `inputs:` (extra.NAME), as its file declares them."""
    out = []
    for path, declared in inputs.items():
        title = declared.title
        zh = title.zh if title else path
        en = (title.en or title.zh) if title else path
        unit = declared.unit or ""
        if declared.type == "bool":
            kind, help_zh, help_en = "bool", "是 / 否", "yes / no"
        elif declared.type == "number":
            kind = "number"
            if declared.percent:
                help_zh, help_en = "比例：0.45 或 45%", "a share: 0.45 or 45%"
            else:
                help_zh = f"数值，单位 {unit}" if unit else "数值"
                help_en = f"a number in {unit}" if unit else "a number"
        else:
            kind, help_zh, help_en = "text", "文本", "text"
        choices = tuple((v, v, v) for v in declared.values or ())
        if choices:
            kind = "choice"
        out.append(FormField(path, zh, en, unit, kind, help_zh, help_en, choices))
    return out


def grouped(fields: list[FormField]) -> list[tuple[str, str, str, list[FormField]]]:
    """The fields under their group headings: (key, zh, en, fields), empty ones out."""
    out = []
    for key, zh, en, prefixes in GROUPS:
        members = [
            f
            for f in fields
            if any(
                f.path == p or (p.endswith(".") and f.path.startswith(p))
                for p in prefixes
            )
        ]
        if members:
            out.append((key, zh, en, members))
    return out


def project_data(form: Mapping[str, Any], fields: list[FormField]) -> dict[str, Any]:
    """The form's non-empty values as a nested project mapping, as typed.

    A yes/no is passed as a boolean, a region class of digits as a whole number (the
    model reads it strictly); everything else as the text typed, for the model to read.
    """
    data: dict[str, Any] = {}
    for item in fields:
        raw = form.get(item.name)
        if not isinstance(raw, str) or not raw.strip():
            continue
        value: Any = raw.strip()
        if item.kind == "bool":
            value = {"true": True, "false": False}.get(value, value)
        elif item.kind == "integer" and value.isdigit():
            value = int(value)
        node = data
        parts = item.path.split(".")
        if parts[0] == "extra":  # extra.NAME: one level, whatever NAME holds
            parts = ["extra", ".".join(parts[1:])]
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return data


def form_values(data: Mapping[str, Any]) -> dict[str, str]:
    """A project mapping (or flat stored values) as form field values, for editing."""
    out: dict[str, str] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if isinstance(value, Mapping):
                walk(value, f"{path}.")
            elif isinstance(value, bool):
                out[path] = "true" if value else "false"
            elif isinstance(value, Decimal):  # as stored: 26000.0 shown as 26000
                text = format(value, "f")
                out[path] = text.rstrip("0").rstrip(".") if "." in text else text
            elif value is not None:
                out[path] = str(value)

    walk(data, "")
    if "industry.code" in out:
        out["industry"] = out.pop("industry.code")
    for part in ("industry.section", "industry.division", "industry.group"):
        out.pop(part, None)
    return out


# --- the lead page's promise and actual forms ------------------------------------------

STAGE_FORM = (
    Figure("stage", "阶段", "stage", "text"),
    Figure("on", "日期", "date", "date"),
    Figure("reason", "原因", "reason", "text"),
    Figure("note", "备注", "note", "text"),
)
