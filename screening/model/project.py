"""The candidate project: the input contract, validated and normalised to canonical units.

A project is a YAML/JSON mapping. Every field may be absent (absence is data);
present values must have the right type, a finite sane magnitude and a unit that
fits. `FIELDS` is the catalogue of canonical dotted paths that rule expressions read.
"""

from __future__ import annotations

import csv
import inspect
import io
import math
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from importlib import resources
from typing import Annotated, Any, Literal, NamedTuple, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import CoreSchema, SchemaValidator, core_schema

from screening.model.units import (
    CANONICAL_UNIT,
    UnitError,
    bare_digits,
    parse_amount,
)


class AmountValidator:
    """A quantity field's validator, keeping its kind and upper bound as data.

    A plain class with slots: a frozen dataclass costs every command about 1 ms to
    declare on Python 3.11 (it compiles each of its methods).
    """

    __slots__ = ("kind", "upper")
    # what pydantic reads to tell a validator with `info` from one without: declared,
    # so that `inspect.signature` need not derive it from `__call__` for each of the
    # model's two dozen figures (about 0.1 ms each, on every run that builds the model)
    __signature__ = inspect.Signature(
        [inspect.Parameter("value", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    )

    def __init__(self, kind: str, upper: Decimal) -> None:
        self.kind = kind
        self.upper = upper

    def __repr__(self) -> str:
        return f"AmountValidator(kind={self.kind!r}, upper={self.upper!r})"

    def __call__(self, value: object) -> object:
        if type(value) is str and bare_digits(value):
            # the common case in spreadsheets and JSONL ("4500", "12.5"): read it directly,
            # exactly as parse_amount would, and only the upper bound can fail
            number = Decimal(value)
            if number > self.upper:
                raise ValueError(
                    f"数值超出合理范围（应不大于 {self.upper}）/ value out of range"
                )
            return number
        if value is None:
            return None
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("数值不是有限数 / number is not finite")
        try:
            number = parse_amount(value, self.kind)
        except UnitError as exc:
            raise ValueError(str(exc)) from None
        if not number.is_finite():
            raise ValueError("数值不是有限数 / number is not finite")
        # bounds live here, not in Field(ge=…): pydantic applies those to an explicit null too
        if number < 0:
            raise ValueError("数值应不小于 0 / must not be negative")
        if number > self.upper:
            raise ValueError(
                f"数值超出合理范围（应不大于 {self.upper}）/ value out of range"
            )
        return number


def _field_info(annotation: Any) -> Any:
    """The field an `Annotated[type, validator, Field(...)]` form declares.

    A field is declared `name: T | None = quantity(...)` (or flag, choice): like
    pydantic's own `Field`, the `FieldInfo` is the default and is typed `Any`, so the
    annotation stays a real static type that mypy checks readers against.
    """
    return FieldInfo.from_annotation(annotation)


class InputSpelling(NamedTuple):
    """A field's mark that it is only another way to write the field `of`: its model
    converts it (land.area_ha into area_mu), so rules never read it."""

    of: str


def quantity(
    kind: str,
    title: str,
    title_en: str,
    *,
    le: int | str,
    integer: bool = False,
    spelling_of: str | None = None,
) -> Any:
    """An optional non-negative amount of `kind`, converted to its canonical unit.

    The default of a `Decimal | None` field (see `_field_info`).
    """
    field = Field(
        default=None,
        json_schema_extra={
            "kind": kind,
            "unit": CANONICAL_UNIT[kind],
            "title_zh": title,
            "title_en": title_en,
            "integer": integer,
        },
    )
    read = BeforeValidator(AmountValidator(kind, Decimal(le)))
    if spelling_of is None:
        return _field_info(Annotated[Decimal | None, read, field])
    return _field_info(
        Annotated[Decimal | None, read, field, InputSpelling(spelling_of)]
    )


# 涉及 / 不涉及: as forms ask "是否涉及生态保护红线"
YES = frozenset({"是", "yes", "y", "true", "1", "有", "涉及"})
NO = frozenset({"否", "no", "n", "false", "0", "无", "不涉及"})


def yes_no(value: object) -> object:
    """ "是"/"否" (yes/no, true/false, 1/0, 涉及/不涉及) as a boolean; else unchanged."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in YES:
            return True
        if text in NO:
            return False
        text = "".join(unicodedata.normalize("NFKC", text).split())  # ＹＥＳ, 不 涉 及
        if text in YES:
            return True
        if text in NO:
            return False
    return value


def flag(title: str, title_en: str) -> Any:
    """An optional yes/no ("是/否" accepted): the default of a `bool | None` field."""
    return _field_info(
        Annotated[
            bool | None,
            BeforeValidator(yes_no),
            Field(
                default=None,
                json_schema_extra={
                    "kind": "bool",
                    "title_zh": title,
                    "title_en": title_en,
                },
            ),
        ]
    )


# Chinese names of the choice values, by choice kind (the values themselves are accepted too).
CHOICE_ALIASES: dict[str, dict[str, str]] = {
    "catalogue": {
        "鼓励类": "encouraged",
        "允许类": "permitted",
        "限制类": "restricted",
        "淘汰类": "eliminated",
    },
    "eia": {"报告书": "report", "报告表": "report_table", "登记表": "registration"},
}


def choice(kind: str, title: str, title_en: str) -> Any:
    """An optional choice: the default of a `Literal[...] | None` field, whose Literal
    lists the values; `kind` names their Chinese spellings in CHOICE_ALIASES."""
    aliases = CHOICE_ALIASES[kind]

    def read(value: object) -> object:
        return (
            aliases.get(value.strip(), value.strip())
            if isinstance(value, str)
            else value
        )

    return _field_info(
        Annotated[
            Any,
            BeforeValidator(read),
            Field(
                default=None,
                json_schema_extra={
                    "kind": kind,
                    "title_zh": title,
                    "title_en": title_en,
                },
            ),
        ]
    )


CatalogueClass = Literal["encouraged", "permitted", "restricted", "eliminated"]
EiaCategory = Literal["report", "report_table", "registration"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the plain reading of a part --------------------------------------------------------
# Nearly every row gives its figures as bare digits within range ("4500", "12.5") and
# its flags and choices as their own values. Read so, a part of a project needs none of
# its Python validators (about 1.2 µs a figure): each part class also gets a plain
# reader, a schema derived from its public declarations (`model_fields`) that takes
# only such values and builds the same class natively, and `Project` reads each part
# with it first. Anything else -- a unit, a 是/否, a figure past its bound, an input
# spelling, an error -- is read by the part's own validation, so the model stays the
# contract and the source of every error word: the plain reading gives what the full
# one gives, or refuses.


def _figure(upper: Decimal, integer: bool) -> CoreSchema | None:
    """Bare digits below `upper` read as `Decimal(text)`, ints up to it as `Decimal(n)`:
    what `AmountValidator` makes of them. Its bound is in the pattern (an integer part
    of at most d digits is below 10**d <= upper); None when `upper` is below 1."""
    if upper < 1:
        return None
    digits = len(str(int(upper))) - 1
    whole = f"[0-9]{{1,{digits}}}" if digits else "0"
    pattern = f"^{whole}$" if integer else rf"^{whole}(?:\.[0-9]+)?$"
    as_decimal = core_schema.no_info_plain_validator_function(Decimal)
    return core_schema.union_schema(
        [
            core_schema.chain_schema(
                [core_schema.str_schema(strict=True, pattern=pattern), as_decimal]
            ),
            core_schema.chain_schema(
                [core_schema.int_schema(strict=True, ge=0, le=int(upper)), as_decimal]
            ),
        ],
        mode="left_to_right",
    )


def _plain_value(info: FieldInfo) -> CoreSchema | None:
    """A declared field's plain form (see above), or None where it has none."""
    inner = [a for a in get_args(info.annotation) if a is not type(None)]
    target = inner[0] if inner else info.annotation
    if isinstance(target, type) and target in _PLAIN:  # a part within a part
        return core_schema.no_info_plain_validator_function(
            _PLAIN[target].validate_python
        )
    if any(isinstance(item, InputSpelling) for item in info.metadata):
        return None  # its model converts it: read the full way
    readers = [getattr(item, "func", None) for item in info.metadata]
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if len(readers) == 1 and isinstance(readers[0], AmountValidator):
        return _figure(readers[0].upper, extra.get("integer") is True)
    if readers == [yes_no]:
        return core_schema.bool_schema(strict=True)
    kind = extra.get("kind")
    if isinstance(kind, str) and kind in CHOICE_ALIASES and len(readers) == 1:
        # choice()'s reader leaves a listed value as it is (its aliases are Chinese)
        values = [v for v in get_args(target) if v not in CHOICE_ALIASES[kind]]
        return core_schema.chain_schema(
            [core_schema.str_schema(strict=True), core_schema.literal_schema(values)]
        )
    if target is str and not info.metadata:
        return core_schema.str_schema(strict=True)
    return None


def _refuse(value: object) -> object:
    raise ValueError("no plain reading")


def _plain_model(model: type[BaseModel]) -> CoreSchema:
    """`model` from a mapping of plain values only (see above), built as pydantic-core
    builds it; a field given without a plain form is refused, so read the full way."""
    refuse = core_schema.no_info_plain_validator_function(_refuse)
    fields: dict[str, core_schema.ModelField] = {}
    for name, info in model.model_fields.items():
        if info.default_factory is not None:
            raise TypeError(
                f"{model.__name__}.{name}: a part's field has a plain default"
            )
        plain = _plain_value(info)
        schema = refuse if plain is None else core_schema.nullable_schema(plain)
        fields[name] = core_schema.model_field(
            schema
            if info.is_required()
            else core_schema.with_default_schema(schema, default=info.default)
        )
    return core_schema.nullable_schema(
        core_schema.model_schema(
            model,
            core_schema.model_fields_schema(
                fields, model_name=model.__name__, extra_behavior="forbid"
            ),
            config=core_schema.CoreConfig(extra_fields_behavior="forbid"),
        )
    )


_PLAIN: dict[type[BaseModel], SchemaValidator] = {}
"""Each part class's plain reader (see above)."""


class _Part(_Strict):
    """A part of a project (investment, land, ...): it has a plain reader too."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[BaseModel], handler: GetCoreSchemaHandler, /
    ) -> CoreSchema:
        schema = handler(source)
        if source is cls and cls.model_fields and cls not in _PLAIN:
            # built while pydantic builds the class: pydantic-core reads any schema of
            # a finished class with that class's own validator instead
            _PLAIN[cls] = SchemaValidator(_plain_model(cls))
        return schema


def part(model: type[_Part]) -> Any:
    """A `model | None` field of `Project`, read by its plain reader first (see above)."""
    plain = _PLAIN[model]

    def read(value: object, handler: ValidatorFunctionWrapHandler) -> object:
        try:
            return plain.validate_python(value)
        except ValidationError:
            return handler(value)

    return _field_info(
        Annotated[model | None, WrapValidator(read), Field(default=None)]
    )


class Investment(_Part):
    total: Decimal | None = quantity(
        "money", "总投资", "total investment", le="100000000"
    )
    fixed_assets: Decimal | None = quantity(
        "money", "固定资产投资", "fixed-asset investment", le="100000000"
    )


class Land(_Part):
    area_mu: Decimal | None = quantity("area", "用地面积", "land area", le="1000000")
    area_ha: Decimal | None = quantity(
        "area",
        "用地面积（公顷）",
        "land area (ha)",
        le="1000000",
        spelling_of="area_mu",
    )
    plot_ratio: Decimal | None = quantity("ratio", "容积率", "plot ratio", le=20)
    building_coverage: Decimal | None = quantity(
        "fraction", "建筑系数", "building coverage", le=1
    )
    admin_share: Decimal | None = quantity(
        "fraction", "行政办公及生活服务设施用地比例", "admin and services share", le=1
    )
    green_ratio: Decimal | None = quantity("fraction", "绿地率", "green ratio", le=1)
    prefab_rate: Decimal | None = quantity(
        "fraction", "装配率", "prefabrication rate", le=1
    )
    prefab_area_share: Decimal | None = quantity(
        "fraction", "装配式建筑面积占比", "prefabricated floor-area share", le=1
    )

    @model_validator(mode="before")
    @classmethod
    def _hectares_to_mu(cls, data: Any) -> Any:
        # area_ha is an input spelling only: it becomes area_mu (1 公顷 = 15 亩).
        if isinstance(data, dict) and data.get("area_ha") is not None:
            if data.get("area_mu") is not None:
                raise ValueError(
                    "area_mu 与 area_ha 只能填写一个 / give area_mu or area_ha, not both"
                )
            data = dict(data)
            raw = data.pop("area_ha")
            data["area_mu"] = (
                _hectares(raw) if isinstance(raw, str) else _times(raw, 15)
            )
        return data


def _hectares(text: str) -> object:
    """An area_ha text in 亩: a figure without a unit is in hectares (× 15), one with
    a unit is read in its unit; which one is the unit parser's own answer."""
    try:
        return parse_amount(text, "ratio") * 15  # no unit is accepted for a ratio
    except (UnitError, ArithmeticError):  # a unit, or a figure past any range
        pass
    try:
        return parse_amount(text, "area")
    except UnitError as exc:
        raise ValueError(f"area_ha: {exc}") from None


def _times(value: object, factor: int) -> object:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        return value
    try:
        return parse_amount(value, "ratio") * factor
    except UnitError:
        return value


class Output(_Part):
    annual_revenue: Decimal | None = quantity(
        "money", "年营业收入", "annual revenue", le="100000000"
    )
    annual_tax: Decimal | None = quantity(
        "money", "年税收", "annual tax", le="10000000"
    )
    added_value: Decimal | None = quantity(
        "money", "年增加值", "annual added value", le="100000000"
    )
    employees: Decimal | None = quantity(
        "count", "从业人数", "employees", le=1000000, integer=True
    )
    rd_share: Decimal | None = quantity(
        "fraction", "研发投入占营业收入比重", "R&D share of revenue", le=1
    )

    @field_validator("employees")
    @classmethod
    def _whole_people(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value != value.to_integral_value():
            raise ValueError("从业人数应为整数 / employees must be a whole number")
        return value


class Emissions(_Part):
    cod_t: Decimal | None = quantity(
        "mass", "化学需氧量排放", "COD emissions", le=10000000
    )
    ammonia_t: Decimal | None = quantity(
        "mass", "氨氮排放", "ammonia nitrogen emissions", le=10000000
    )
    so2_t: Decimal | None = quantity(
        "mass", "二氧化硫排放", "SO2 emissions", le=10000000
    )
    nox_t: Decimal | None = quantity(
        "mass", "氮氧化物排放", "NOx emissions", le=10000000
    )
    vocs_t: Decimal | None = quantity(
        "mass", "挥发性有机物排放", "VOCs emissions", le=10000000
    )
    co2_t: Decimal | None = quantity(
        "mass", "二氧化碳排放", "CO2 emissions", le=1000000000
    )


class Environment(_Part):
    energy_tce: Decimal | None = quantity(
        "energy", "年综合能源消费量", "annual energy use", le=100000000
    )
    electricity_kwh: Decimal | None = quantity(
        "electricity", "年用电量", "annual electricity use", le="1000000000000"
    )
    in_red_line: bool | None = flag(
        "是否位于生态保护红线内", "inside the ecological red line"
    )
    access_list_conflict: bool | None = flag(
        "是否与生态环境准入清单冲突", "conflicts with the environmental access list"
    )
    catalogue: CatalogueClass | None = choice(
        "catalogue", "产业结构调整指导目录类别", "industry catalogue class"
    )
    catalogue_item: str | None = Field(
        default=None,
        json_schema_extra={"title_zh": "目录条目", "title_en": "catalogue item"},
    )
    eia_category: EiaCategory | None = choice("eia", "环评类别", "EIA category")
    emissions: Emissions | None = None


# GB/T 4754-2017 门类 by 2-digit division.
_SECTIONS = (
    ("A", 1, 5),
    ("B", 6, 12),
    ("C", 13, 43),
    ("D", 44, 46),
    ("E", 47, 50),
    ("F", 51, 52),
    ("G", 53, 60),
    ("H", 61, 62),
    ("I", 63, 65),
    ("J", 66, 69),
    ("K", 70, 70),
    ("L", 71, 72),
    ("M", 73, 75),
    ("N", 76, 79),
    ("O", 80, 82),
    ("P", 83, 83),
    ("Q", 84, 85),
    ("R", 86, 90),
    ("S", 91, 96),
    ("T", 97, 97),
)
_CODE = re.compile(r"^([A-T])?(\d{2})(\d{0,2})$")


def section_of(division: int) -> str | None:
    """The GB/T 4754-2017 section letter of a 2-digit division, or None."""
    for letter, low, high in _SECTIONS:
        if low <= division <= high:
            return letter
    return None


def _industry_codes() -> dict[str, str]:
    """GB/T 4754-2017: every 门类, 大类, 中类 and 小类 code → its name (package data)."""
    text = resources.files("screening.data").joinpath("gbt4754-2017.csv")
    # newline="" as the csv module asks (Traversable.open does not take it)
    rows = csv.reader(io.StringIO(text.read_text(encoding="utf-8"), newline=""))
    header = next(rows)
    code, name = header.index("code"), header.index("name")
    return {row[code]: row[name] for row in rows}


INDUSTRY_CODES: dict[str, str] = _industry_codes()


def normalise_industry(value: object) -> str:
    """Validate a GB/T 4754-2017 code (C3841, 3841, C38) and return it with its letter.

    A code of the right shape that the 2017 edition does not list is refused: codes
    of the 2002 and 2011 editions are not read as 2017 codes (C3725, 2002's 汽车零部件及
    配件制造, would be 2017's 城市轨道交通 group).
    """
    if type(value) is str and len(value) >= 3 and value in INDUSTRY_CODES:
        # a code as the 2017 list writes it (C3841, C38): already normal (a test
        # holds every listed code of a division or finer to that)
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(
            "行业代码应为文本，如 C3841 / industry code must be text such as C3841"
        )
    # as the figures are read: full-width letters and digits (Ｃ２６１３), ideographic
    # spaces and any other whitespace, lower case (c2613) → C2613
    text = "".join(unicodedata.normalize("NFKC", value).split()).upper()
    match = _CODE.match(text)
    if not match:
        zh, en = _lost_zero(text)
        raise ValueError(
            f"行业代码 {value!r} 格式不符（应如 C3841：门类字母 + 2–4 位数字）{zh} / "
            f"not a GB/T 4754-2017 code such as C3841{en}"
        )
    letter, division, rest = match.group(1), int(match.group(2)), match.group(3)
    expected = section_of(division)
    if expected is None:
        raise ValueError(
            f"行业代码 {value!r} 的大类 {division:02d} 不存在 / no such division"
        )
    if letter and letter != expected:
        raise ValueError(
            f"行业代码 {value!r}：大类 {division:02d} 属于门类 {expected}，不是 {letter} / "
            f"division {division:02d} belongs to section {expected}"
        )
    code = f"{expected}{division:02d}{rest}"
    if code not in INDUSTRY_CODES:
        zh, en = _lost_zero(text)
        raise ValueError(
            f"行业代码 {value!r} 不在 GB/T 4754-2017 中；2002 或 2011 版的旧代码请按 "
            f"2017 版重新编码（同样的数字在 2017 版中可能是另一行业）{zh} / "
            f"{code} is not a GB/T 4754-2017 code; a 2002 or 2011 code must be "
            f"re-coded in the 2017 edition (the same digits may mean another industry){en}"
        )
    return code


def _lost_zero(digits: str) -> tuple[str, str]:
    """A hint (zh, en) when `digits` read with the leading zero a spreadsheet drops
    from a number (0610 typed, 610 kept) is a listed code; else no words."""
    if not digits.isdigit() or len(digits) % 2 == 0:
        return "", ""
    typed = "0" + digits
    code = f"{section_of(int(typed[:2])) or ''}{typed}"
    if code not in INDUSTRY_CODES:
        return "", ""
    return (
        f"。如原为 {typed}（{code}），是表格把它当数字去掉了开头的 0：请把该列设为文本",
        f"; if it was {typed} ({code}), the spreadsheet dropped its leading zero: "
        "format the column as text",
    )


class Project(_Strict):
    """One candidate project, as a bureau receives it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(
        default=None,
        max_length=200,
        json_schema_extra={"title_zh": "项目编号", "title_en": "lead id"},
    )
    name: str | None = Field(
        default=None,
        max_length=500,
        json_schema_extra={"title_zh": "项目名称", "title_en": "project name"},
    )
    company: str | None = Field(
        default=None,
        max_length=500,
        json_schema_extra={"title_zh": "企业名称", "title_en": "company"},
    )
    park: str | None = Field(
        default=None,
        max_length=200,
        json_schema_extra={"title_zh": "园区", "title_en": "park"},
    )
    region_class: int | None = Field(
        default=None, ge=1, le=7, strict=True, json_schema_extra={"kind": "integer"}
    )
    industry: str | None = None
    investment: Investment | None = part(Investment)
    land: Land | None = part(Land)
    output: Output | None = part(Output)
    environment: Environment | None = part(Environment)
    extra: dict[str, str | bool | Decimal | int | None] | None = None

    @field_validator("id", "name", "company", "park", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("industry", mode="before")
    @classmethod
    def _industry(cls, value: object) -> object:
        if isinstance(value, dict) and set(value) <= {"code"}:
            value = value.get("code")
        return None if value is None else normalise_industry(value)

    @field_validator("extra", mode="before")
    @classmethod
    def _extra(cls, value: object) -> object:
        if isinstance(value, dict):
            floats = False
            for key, item in value.items():
                if isinstance(item, float):
                    if not math.isfinite(item):
                        raise ValueError(
                            f"extra.{key}: 数值不是有限数 / number is not finite"
                        )
                    floats = True
            if not floats:
                return value
            return {
                k: (Decimal(repr(v)) if isinstance(v, float) else v)
                for k, v in value.items()
            }
        return value


class FieldSpec(NamedTuple):
    """One readable project field: its dotted path, value type and canonical unit.

    A named tuple, as `_Reading`: a frozen dataclass costs every command about 1 ms to
    declare on Python 3.11 (it compiles each of its methods), `screening screen` too.
    """

    path: str
    type: str  # number | bool | text | choice
    unit: str = ""
    title_zh: str = ""
    title_en: str = ""
    choices: tuple[str, ...] = ()


def _catalogue() -> dict[str, FieldSpec]:
    fields: dict[str, FieldSpec] = {}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            path = f"{prefix}{name}"
            annotation = info.annotation
            inner = [
                a
                for a in getattr(annotation, "__args__", (annotation,))
                if a is not type(None)
            ]
            target = inner[0] if inner else annotation
            if isinstance(target, type) and issubclass(target, BaseModel):
                walk(target, path + ".")
                continue
            if any(isinstance(item, InputSpelling) for item in info.metadata):
                continue  # land.area_ha: rules read the field it is a spelling of
            extra = (
                info.json_schema_extra
                if isinstance(info.json_schema_extra, dict)
                else {}
            )
            zh, en = str(extra.get("title_zh", name)), str(extra.get("title_en", name))
            if target is Decimal:
                fields[path] = FieldSpec(
                    path, "number", str(extra.get("unit", "")), zh, en
                )
            elif target is bool:
                fields[path] = FieldSpec(path, "bool", "", zh, en)
            elif getattr(target, "__origin__", None) is Literal:
                fields[path] = FieldSpec(path, "choice", "", zh, en, get_args(target))
            elif target is int:
                fields[path] = FieldSpec(path, "number", "", zh, en)
            else:
                fields[path] = FieldSpec(path, "text", "", zh, en)

    walk(Project, "")
    del fields["extra"]
    for path, zh, en in (
        ("industry.code", "行业代码", "industry code"),
        ("industry.section", "行业门类", "industry section"),
        ("industry.division", "行业大类", "industry division"),
        ("industry.group", "行业中类", "industry group"),
    ):
        fields[path] = FieldSpec(path, "text", "", zh, en)
    del fields["industry"]
    fields["region_class"] = FieldSpec(
        "region_class", "number", "", "地区分类", "region class"
    )
    return fields


FIELDS: dict[str, FieldSpec] = _catalogue()


def field_title(
    path: str, lang: str, declared: Mapping[str, tuple[str, str]] | None = None
) -> str:
    """A project field as every output names it (总投资 for investment.total, 行业代码
    for industry); a rule set's own input extra.NAME by its (zh, en) title in
    `declared` (the rule set's `inputs:`), else by its NAME; any other path as it is."""
    spec = FIELDS.get(path) or FIELDS.get(f"{path}.code")
    if spec is None:
        if declared and path in declared:
            return declared[path][1] if lang == "en" else declared[path][0]
        return path.removeprefix("extra.")
    return spec.title_en or spec.title_zh if lang == "en" else spec.title_zh


def input_kinds() -> dict[str, str]:
    """Every field a project file may give → how a spreadsheet cell for it is read:
    a unit kind of `UNIT_FACTORS`, or integer / bool / catalogue / eia / text."""
    kinds: dict[str, str] = {}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            inner = [
                a
                for a in getattr(info.annotation, "__args__", (info.annotation,))
                if a is not type(None)
            ]
            if inner and isinstance(inner[0], type) and issubclass(inner[0], BaseModel):
                walk(inner[0], f"{prefix}{name}.")
            elif name != "extra" or prefix:
                extra = (
                    info.json_schema_extra
                    if isinstance(info.json_schema_extra, dict)
                    else {}
                )
                kinds[f"{prefix}{name}"] = str(extra.get("kind", "text"))

    walk(Project, "")
    return kinds


class _Reading(NamedTuple):
    """How `flatten` reads one model, off its public `model_fields`: each field's name,
    its dotted path and, for a nested model, that model's reading (declaration order,
    as pydantic dumps them)."""

    fields: tuple[tuple[str, str, _Reading | None], ...]

    @classmethod
    def of(cls, model: type[BaseModel], prefix: str = "") -> _Reading:
        """The reading of `model` (`extra` apart: see `flatten`)."""
        fields: list[tuple[str, str, _Reading | None]] = []
        for name, info in model.model_fields.items():
            if name == "extra" and not prefix:
                continue
            inner = [
                a
                for a in getattr(info.annotation, "__args__", (info.annotation,))
                if a is not type(None)
            ]
            nested = inner[0] if inner else None
            path = f"{prefix}{name}"
            if isinstance(nested, type) and issubclass(nested, BaseModel):
                fields.append((name, path, cls.of(nested, f"{path}.")))
            else:
                fields.append((name, path, None))
        return cls(tuple(fields))

    def read(self, model: BaseModel, values: dict[str, Any]) -> None:
        """Add the model's present values to `values`."""
        given = vars(model)  # a model's field values, by name
        for name, path, inner in self.fields:
            value = given[name]
            if value is None:
                continue
            if inner is None:
                values[path] = value
            else:
                inner.read(value, values)


def flatten(project: Project) -> dict[str, Any]:
    """The project's present values keyed by canonical dotted path (absent keys omitted).

    The validated model's own fields, in declaration order: what pydantic's dump with
    `exclude_none` holds, read without building the dump (tests hold it to that).
    """
    values: dict[str, Any] = {}
    _READING.read(project, values)
    extra = project.extra
    if extra:
        for key, item in extra.items():
            if item is not None:
                values[f"extra.{key}"] = item
    return derive_fields(values)


_READING = _Reading.of(Project)


def derive_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Flat values with `industry` split into its parts (last) and `region_class` a Decimal."""
    code = values.pop("industry", None)
    if code is not None:
        values["industry.code"] = code
        values["industry.section"] = code[0]
        values["industry.division"] = code[1:3]
        if len(code) >= 4:
            values["industry.group"] = code[1:4]
    if "region_class" in values:
        values["region_class"] = Decimal(values["region_class"])
    return values
