"""Spreadsheet headers → canonical project field paths and units; opens no input file.

`HEADER_ALIASES` maps the Chinese and English headers that bureaus use to the dotted
paths of the project contract (docs/rule-language.md, "Project fields"). A header
whose unit differs from the field's canonical unit (总投资(亿元), 用地面积(平方米))
maps to the canonical field with that unit, which the reader appends to plain numbers
so the engine's unit parser converts them. This module validates no cell values.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from screening.errors import SourceSpan
from screening.io.tables import MIN_KNOWN, InputError, cell_text, locate_header
from screening.model.project import input_kinds
from screening.model.units import UNIT_FACTORS
from screening.source import load_yaml_file

# Field path → how the reader converts its cells: a unit kind of
# screening.model.units.UNIT_FACTORS, or text / integer / bool / catalogue / eia.
# Read off the project model, so a field added there is read from spreadsheets too.
FIELD_KINDS: dict[str, str] = input_kinds()

# Factor of the unit a field's plain numbers are in, when not 1 (公顷 = 15 亩).
_FIELD_FACTOR = {"land.area_ha": Decimal(15)}

_NAMES: dict[str, tuple[str, ...]] = {
    "id": (
        "项目编号",
        "项目编码",
        "项目代码",
        "项目ID",
        "编号",
        "project id",
        "project no",
        "project code",
    ),
    "name": ("项目名称", "名称", "项目", "project name", "project"),
    "company": (
        "企业名称",
        "公司名称",
        "企业",
        "投资方",
        "投资主体",
        "投资企业",
        "投资单位",
        "项目单位",
        "建设单位",
        "申报单位",
        "company name",
        "investor",
    ),
    "park": ("园区", "园区名称", "所在园区", "拟落户园区", "落户园区", "开发区"),
    "region_class": ("地区分类", "地区类别", "region class"),
    "industry": (
        "行业代码",
        "国民经济行业代码",
        "国民经济行业分类代码",
        "行业分类代码",
        "所属行业代码",
        "行业类别代码",
        "industry code",
        "industry.code",
    ),
    "investment.total": (
        "总投资(万元)",
        "总投资",
        "项目总投资",
        "计划总投资",
        "总投资额",
        "投资总额",
        "协议投资",
        "协议总投资",
        "拟投资总额",
        "total investment",
    ),
    "investment.fixed_assets": (
        "固定资产投资(万元)",
        "固定资产投资",
        "固定资产投资额",
        "固投",
        "fixed asset investment",
        "fixed assets",
    ),
    "land.area_mu": (
        "用地面积(亩)",
        "用地面积",
        "用地",
        "土地面积",
        "项目用地",
        "项目用地面积",
        "拟用地面积",
        "占地面积",
        "供地面积",
        "净用地面积",
        "用地规模",
        "land area",
        "area",
    ),
    "land.area_ha": ("用地面积(公顷)", "土地面积(公顷)", "land area (ha)"),
    "land.plot_ratio": ("容积率", "plot ratio", "floor area ratio"),
    "land.building_coverage": ("建筑系数", "building coverage"),
    "land.admin_share": (
        "行政办公及生活服务设施用地比例",
        "行政办公及生活服务设施用地所占比重",
        "行政办公及生活服务设施用地占比",
        "行政办公及生活服务设施用地面积占比",
        "行政办公用地比例",
        "admin share",
    ),
    "land.green_ratio": ("绿地率", "green ratio"),
    "output.annual_revenue": (
        "年营业收入(万元)",
        "年营业收入",
        "营业收入",
        "年销售收入",
        "销售收入",
        "达产年营业收入",
        "达产后年营业收入",
        "annual revenue",
        "revenue",
    ),
    "output.annual_tax": (
        "年税收(万元)",
        "年税收",
        "税收",
        "年纳税",
        "年纳税额",
        "年税收总额",
        "达产年税收",
        "达产后年税收",
        "annual tax",
        "tax",
    ),
    "output.added_value": (
        "增加值(万元)",
        "增加值",
        "年增加值",
        "工业增加值",
        "added value",
        "value added",
    ),
    "output.employees": (
        "从业人数",
        "从业人员",
        "就业人数",
        "员工人数",
        "用工人数",
        "职工人数",
        "employees",
        "headcount",
    ),
    "output.rd_share": (
        "研发投入占比",
        "研发投入强度",
        "研发经费占比",
        "研发投入占营业收入比重",
        "r&d share",
        "rd share",
    ),
    "environment.energy_tce": (
        "年综合能耗(吨标煤)",
        "年综合能耗",
        "综合能耗",
        "年综合能源消费量",
        "综合能源消费量",
        "年能耗",
        "能耗",
        "energy use",
        "annual energy",
        "energy",
    ),
    "environment.electricity_kwh": (
        "年用电量(千瓦时)",
        "年用电量",
        "用电量",
        "年耗电量",
        "electricity use",
        "electricity",
    ),
    "environment.in_red_line": (
        "是否位于生态保护红线",
        "是否位于生态保护红线内",
        "是否在生态保护红线内",
        "是否涉及生态保护红线",
        "是否占用生态保护红线",
        "生态保护红线",
        "in red line",
    ),
    "environment.access_list_conflict": (
        "是否与生态环境准入清单冲突",
        "与生态环境准入清单冲突",
        "生态环境准入清单冲突",
        "access list conflict",
    ),
    "environment.catalogue": (
        "产业目录类别",
        "产业结构调整指导目录类别",
        "产业政策类别",
        "目录类别",
        "catalogue class",
    ),
    "environment.catalogue_item": (
        "目录条目",
        "产业目录条目",
        "目录条款",
        "catalogue item",
    ),
    "environment.eia_category": (
        "环评类别",
        "环境影响评价类别",
        "环评文件类别",
        "环评类型",
        "eia category",
    ),
    "environment.emissions.cod_t": (
        "COD排放量(吨)",
        "COD排放量",
        "化学需氧量排放量",
        "化学需氧量",
        "COD",
        "cod emissions",
    ),
    "environment.emissions.ammonia_t": (
        "氨氮排放量(吨)",
        "氨氮排放量",
        "氨氮",
        "ammonia emissions",
        "ammonia",
    ),
    "environment.emissions.so2_t": (
        "二氧化硫排放量(吨)",
        "二氧化硫排放量",
        "二氧化硫",
        "SO2排放量",
        "SO2",
        "so2 emissions",
    ),
    "environment.emissions.nox_t": (
        "氮氧化物排放量(吨)",
        "氮氧化物排放量",
        "氮氧化物",
        "NOx排放量",
        "NOx",
        "nox emissions",
    ),
    "environment.emissions.vocs_t": (
        "VOCs排放量(吨)",
        "VOCs排放量",
        "VOCs",
        "VOC",
        "挥发性有机物排放量",
        "挥发性有机物",
        "vocs emissions",
    ),
    "environment.emissions.co2_t": (
        "二氧化碳排放量(吨)",
        "年二氧化碳排放量",
        "二氧化碳排放量",
        "碳排放量(吨)",
        "年碳排放量",
        "碳排放量",
        "CO2排放量",
        "CO₂排放量",
        "co2 emissions",
        "carbon emissions",
    ),
    "land.prefab_rate": (
        "装配率",
        "装配式建筑装配率",
        "prefabrication rate",
    ),
    "land.prefab_area_share": (
        "装配式建筑面积占比",
        "装配式面积占比",
        "装配式建筑比例",
        "装配式面积比例",
        "prefabricated floor share",
    ),
}


def _leaf_names() -> dict[str, str]:
    # Every dotted path and every unambiguous last segment is a header too, for
    # exports from other systems: investment.total, fixed_assets, area_mu …
    leaves: dict[str, list[str]] = {}
    for path in FIELD_KINDS:
        leaves.setdefault(path.rsplit(".", 1)[-1], []).append(path)
    names = {path: path for path in FIELD_KINDS}
    # "total" alone is too generic (a 合计 column); investment.total covers it.
    names.update(
        {
            leaf: paths[0]
            for leaf, paths in leaves.items()
            if len(paths) == 1 and leaf != "total"
        }
    )
    return names


HEADER_ALIASES: dict[str, str] = {
    **_leaf_names(),
    **{name: path for path, names in _NAMES.items() for name in names},
}

# Headers with no project data, so common that warning about them is noise.
_SILENT = {"序号", "no", "备注", "remark", "remarks"}

# Unit spellings seen in headers → the spelling the engine's unit parser accepts.
_UNIT_SYNONYMS = {
    "10kyuan": "万元",
    "10kcny": "万元",
    "cny10k": "万元",
    "wanyuan": "万元",
    "100myuan": "亿元",
    "cny100m": "亿元",
    "yuan": "元",
    "cny": "元",
    "tons": "t",
    "tonnes": "t",
    "tonne": "t",
}
_PER_YEAR = re.compile(r"/(?:a|年|yr|year)$")
_BRACKETED = re.compile(r"^(.*)\(([^()]*)\)$")


def normalise_header(text: str) -> str:
    """Header text as compared: NFKC, no spaces, no 其中 or * marks, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(str.maketrans("[]【】〔〕", "()()()"))
    text = re.sub(r"[\s_\-.·]+", "", text).lower().strip("*")
    return re.sub(r"^其中[:：]?", "", text)


_INDEX: dict[str, str] = {
    normalise_header(name): path for name, path in HEADER_ALIASES.items()
}


@dataclass(frozen=True)
class Column:
    """One mapped column: 0-based index, header as written, field path, unit to add."""

    index: int
    header: str
    field: str
    unit: str | None = None


@dataclass(frozen=True)
class HeaderIssue:
    """A column that maps to nothing (or to a field already taken); not fatal."""

    index: int
    header: str
    reason: str


@dataclass(frozen=True)
class HeaderMap:
    """What each column of a header row means."""

    columns: tuple[Column, ...]
    issues: tuple[HeaderIssue, ...] = ()

    def column_of(self, field: str) -> Column | None:
        """The column read into `field`: points a model error back at its column."""
        return next((c for c in self.columns if c.field == field), None)


UNKNOWN_HEADER = "未识别的列名 / unknown header"


@dataclass(frozen=True)
class HeaderMatch:
    """One header's reading: a field and unit, or the reason it maps to nothing."""

    field: str | None
    unit: str | None = None
    reason: str | None = None


def _unit_for(field: str, text: str) -> tuple[bool, str | None]:
    """(is `text` a unit of the field's kind, unit to append or None when canonical)."""
    kind = FIELD_KINDS.get(field)
    factors = UNIT_FACTORS.get(kind or "")
    if factors is None:
        return False, None
    unit = _PER_YEAR.sub("", text.lower().replace("人民币", "").removeprefix("单位:"))
    unit = _UNIT_SYNONYMS.get(unit, unit)
    if unit not in factors:
        return False, None
    return True, None if factors[unit] == _FIELD_FACTOR.get(field, 1) else unit


def _bracket_unit(field: str, inside: str) -> tuple[bool, str | None]:
    # "(当量值，吨标准煤)" holds a note and a unit: the first unit part counts.
    for part in re.split(r"[,;、，；]", inside):
        found, unit = _unit_for(field, part)
        if found:
            return True, unit
    return False, None


_ANY_UNIT = {unit for factors in UNIT_FACTORS.values() for unit in factors}


def _extra_unit(inside: str) -> str | None:
    """The unit in an extra.* header's bracket (建筑密度(%)), for the reader to add to
    plain numbers so the rule set's declared input converts them; None for a note."""
    for part in re.split(r"[,;、，；]", inside):
        unit = _PER_YEAR.sub("", part.replace("人民币", "").removeprefix("单位:"))
        unit = _UNIT_SYNONYMS.get(unit, unit)
        if unit in _ANY_UNIT:
            return unit
    return None


def _extra_index(extra: dict[str, str] | None) -> dict[str, str]:
    return {normalise_header(k): v for k, v in (extra or {}).items()}


def _lookup(name: str, extra: dict[str, str]) -> str | None:
    return extra.get(name) or _INDEX.get(name)


def match_header(text: str, extra: dict[str, str] | None = None) -> HeaderMatch:
    """Read one header: its field path and the unit its plain numbers are in."""
    return _match(normalise_header(text), _extra_index(extra))


def _match(name: str, extra: dict[str, str]) -> HeaderMatch:
    if not name:
        return HeaderMatch(None)
    field = _lookup(name, extra)
    bracket = _BRACKETED.match(name)
    if field is not None:
        # An alias written with its unit (用地面积(公顷)) or a user mapping: a
        # bracket that is not a unit is a note; plain numbers are in the field's unit.
        if field.startswith("extra."):
            return HeaderMatch(
                field, _extra_unit(bracket.group(2)) if bracket else None
            )
        found, unit = (
            _bracket_unit(field, bracket.group(2)) if bracket else (False, None)
        )
        return HeaderMatch(field, unit if found else None)
    if bracket is None:
        return HeaderMatch(None, reason=UNKNOWN_HEADER)
    base, inside = bracket.group(1), bracket.group(2)
    field = _lookup(base, extra) or _lookup(re.sub(r"\([^()]*\)", "", base), extra)
    if field is None:
        return HeaderMatch(None, reason=UNKNOWN_HEADER)
    if field.startswith("extra."):  # its kind is the rule set's: the unit kept
        return HeaderMatch(field, _extra_unit(inside))
    if FIELD_KINDS.get(field) not in UNIT_FACTORS:
        return HeaderMatch(field)  # (是/否), (GB/T 4754-2017): a hint, not a unit
    found, unit = _bracket_unit(field, inside)
    if not found:
        return HeaderMatch(
            None,
            reason=f"单位「{inside}」不适用于 {field} / unit not accepted for {field}",
        )
    return HeaderMatch(field, unit)


def map_headers(
    headers: Sequence[object], extra: dict[str, str] | None = None
) -> HeaderMap:
    """Map one header row; unknown headers and a field's second column become issues."""
    extra_index = _extra_index(extra)
    columns: list[Column] = []
    issues: list[HeaderIssue] = []
    taken: dict[str, Column] = {}
    for index, header in enumerate(headers):
        text = cell_text(header)
        if not text or normalise_header(text) in _SILENT:
            continue
        found = _match(normalise_header(text), extra_index)
        if found.field is None:
            issues.append(HeaderIssue(index, text, found.reason or ""))
        elif found.field in taken:
            first = taken[found.field]
            issues.append(
                HeaderIssue(
                    index,
                    text,
                    f"与第 {first.index + 1} 列「{first.header}」同为 {found.field}，"
                    "已忽略 / "
                    f"duplicate of column {first.index + 1} ({found.field}), ignored",
                )
            )
        else:
            taken[found.field] = Column(index, text, found.field, found.unit)
            columns.append(taken[found.field])
    return HeaderMap(tuple(columns), tuple(issues))


@dataclass(frozen=True)
class MappedHeader:
    """Where the header sits (0-based first row, 1 or 2 rows) and what it means."""

    first: int
    height: int
    header: HeaderMap


def header_matcher(extra: dict[str, str] | None = None) -> Callable[[str], str | None]:
    """One header text → its field path or None, for `screening.io.tables`."""
    extra_index = _extra_index(extra)

    def match(text: str) -> str | None:
        name = normalise_header(text)
        return None if name in _SILENT else _match(name, extra_index).field

    return match


def find_header(
    rows: Sequence[Sequence[object]], extra: dict[str, str] | None = None
) -> MappedHeader | None:
    """The header among the first rows (see `tables.locate_header`), mapped."""
    location = locate_header(rows, header_matcher(extra), min_known=MIN_KNOWN)
    if location is None:
        return None
    header = map_headers(location.labels, extra)
    return MappedHeader(location.first, location.height, header)


def check_field(path: str) -> str | None:
    """Why `path` cannot be a column's target (with a suggestion); None if it can."""
    if path in FIELD_KINDS or re.fullmatch(r"extra\.[A-Za-z_][A-Za-z0-9_]*", path):
        return None
    close = difflib.get_close_matches(path, list(FIELD_KINDS), n=1)
    hint = f"，是否应为 {close[0]} / did you mean {close[0]}" if close else ""
    return f"未知字段 {path!r}{hint} / unknown field"


def declared_headers(inputs: Mapping[str, Any]) -> dict[str, str]:
    """Headers that read a rule set's declared inputs (`inputs:`, extra.NAME) without
    a --columns map: each input's path and last segment, its titles (zh and en) and
    each title without its bracketed note (建筑密度（建筑物基底面积占用地面积比例） is
    also 建筑密度). A name that a built-in field already has stays that field's."""
    headers: dict[str, str] = {}
    claimed: dict[str, set[str]] = {}  # normalised name → the inputs it names
    for path, declared in inputs.items():
        title = getattr(declared, "title", None)
        names = [path, path.rsplit(".", 1)[-1]]
        for text in (getattr(title, "zh", None), getattr(title, "en", None)):
            if text:
                names.append(text)
                short = re.sub(r"\([^()]*\)", "", normalise_header(text))
                if short:
                    names.append(short)
        for name in names:
            key = normalise_header(name)
            # a name a built-in field reads (年综合能耗(当量值) too) stays that field's
            if key and key not in _SILENT and _match(key, {}).field is None:
                headers.setdefault(name, path)
                claimed.setdefault(key, set()).add(path)
    # a short form two inputs share names neither
    return {
        name: path
        for name, path in headers.items()
        if len(claimed[normalise_header(name)]) == 1
    }


def with_declared(
    columns: dict[str, str] | None, inputs: Mapping[str, Any]
) -> dict[str, str] | None:
    """The header map a batch reads with: the rule set's `declared_headers`, then
    `columns` (an explicit --columns map wins over a declared title)."""
    declared = declared_headers(inputs)
    if not declared:
        return columns
    return {**declared, **(columns or {})}


def load_column_map(path: Path | str) -> dict[str, str]:
    """Read a --columns file: YAML `header: field.path` or CSV `header,field.path`."""
    p = Path(path)
    if p.suffix.lower() == ".csv":
        pairs = _csv_pairs(p)
    else:
        loaded = load_yaml_file(p)
        if not isinstance(loaded.data, dict):
            raise InputError(
                "列映射文件应为「列名: 字段」映射 / expected a mapping",
                SourceSpan(str(p)),
            )
        pairs = [(str(k), v, loaded.span((k,)).line) for k, v in loaded.data.items()]
    mapping: dict[str, str] = {}
    for header, field, line in pairs:
        where = SourceSpan(str(p), line)
        if not isinstance(field, str):
            raise InputError(
                "字段路径应为文本 / field path must be text", where, header
            )
        problem = check_field(field.strip())
        if problem:
            raise InputError(problem, where, header)
        mapping[header.strip()] = field.strip()
    return mapping


def _csv_pairs(path: Path) -> list[tuple[str, object, int | None]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="gb18030")
    except OSError as exc:
        raise InputError(
            f"无法读取文件 / cannot read file: {exc.strerror}", SourceSpan(str(path))
        ) from None
    pairs: list[tuple[str, object, int | None]] = []
    for number, cells in enumerate(csv.reader(text.splitlines()), 1):
        cells = [c.strip() for c in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if len(cells) < 2 or not cells[1]:
            raise InputError(
                "每行应为「列名,字段」/ expected header,field",
                SourceSpan(str(path), number),
            )
        if number == 1 and cells[1].lower() in ("field", "字段", "path", "字段路径"):
            continue  # a title row
        pairs.append((cells[0], cells[1], number))
    return pairs
