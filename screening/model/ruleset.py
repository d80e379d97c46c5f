"""The rule-set YAML shape as pydantic models. No evaluation.

Each rule kind declares its own shape in `screening.kinds` (on the bases here); the
registry there completes `RuleSetFile.rules` with them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)

RULE_ID = r"^[a-z][a-z0-9_]*(?:[.\-][a-z0-9_]+)*$"
NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
GROUPS = {
    "industry_fit": ("产业契合度", "Industry fit"),
    "investment_intensity": ("投资强度", "Investment intensity"),
    "investment_scale": ("投资规模", "Investment scale"),
    "tax_yield": ("税收贡献", "Tax yield"),
    "output": ("产出效益", "Output"),
    "environment": ("生态环境", "Environment"),
    "land_use": ("土地利用", "Land use"),
    "energy": ("能耗", "Energy"),
    "innovation": ("科技创新", "Innovation"),
    "employment": ("就业", "Employment"),
    "safety": ("安全生产", "Safety"),
    "planning": ("规划设计", "Planning"),
    "investor": ("投资主体", "Investor"),
}


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, defer_build=True
    )


class LocalText(_Model):
    """Text in Chinese and, optionally, English."""

    zh: str = Field(min_length=1)
    en: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain(cls, data: Any) -> Any:
        return {"zh": data} if isinstance(data, str) else data

    def get(self, lang: str) -> str:
        return self.en if lang == "en" and self.en else self.zh


class Effective(_Model):
    """When a rule set or rule is in force: `from` and `to` both inclusive."""

    from_: dt.date | None = Field(default=None, alias="from")
    to: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Effective:
        if self.from_ and self.to and self.to < self.from_:
            raise ValueError("effective.to 早于 effective.from / 'to' is before 'from'")
        return self

    def covers(self, day: dt.date) -> bool:
        return (self.from_ is None or self.from_ <= day) and (
            self.to is None or day <= self.to
        )


Scalar = Decimal | int | bool | str


class Parameter(_Model):
    """A named constant; `value: null` leaves it 未配置 (its rules judge no project)."""

    value: Scalar | list[Scalar] | None = None
    unit: str | None = None  # with no value, a unit makes it a number ("": a share)
    title: LocalText | None = None
    basis: str | None = None
    note: str | None = None
    pending: str | None = None  # why it is not configured yet, for `validate` to say


class InputField(_Model):
    """An extra project field (`extra.NAME`) a rule set reads."""

    type: Literal["number", "bool", "text"]
    unit: str | None = None
    title: LocalText | None = None
    values: list[str] | None = None
    percent: bool = False  # a share 0–1, shown as a percentage (0.42 → 42%)

    @model_validator(mode="after")
    def _share(self) -> InputField:
        if self.percent and (self.type != "number" or self.unit not in (None, "")):
            raise ValueError(
                "percent 只用于无单位的数值（0–1 的比例）/ "
                "percent is for a dimensionless number"
            )
        return self


class Table(_Model):
    title: LocalText | None = None
    keys: list[Annotated[str, Field(pattern=NAME)]] | None = Field(
        default=None, min_length=1, max_length=4
    )
    unit: str | None = None
    basis: str | None = None
    note: str | None = None
    values: dict[str, Any] = Field(default_factory=dict)
    default: Scalar | None = None
    domain: dict[str, list[str]] | None = (
        None  # allowed keys per key name; enables completeness checks
    )
    pending: str | None = None  # why it is empty (未配置), for `validate` to say

    @field_validator("domain", mode="before")
    @classmethod
    def _domain_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: [str(x) for x in v] if isinstance(v, list) else v
                for k, v in value.items()
            }
        return value

    @field_validator("values", mode="before")
    @classmethod
    def _string_keys(cls, value: Any) -> Any:
        # YAML reads 13: as an int key; tables are looked up by text.
        def fix(node: Any) -> Any:
            if isinstance(node, dict):
                return {str(k): fix(v) for k, v in node.items()}
            return node

        return fix(value) if value is not None else {}


class Metric(_Model):
    title: LocalText | None = None
    expr: str
    unit: str | None = None
    basis: str | None = None
    note: str | None = None


def _figure(value: Any) -> Decimal | str:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str) and re.fullmatch(NAME, value):
        return value
    raise ValueError(
        f"应为数值或参数名，实际为 {value!r} / expected a number or a parameter name"
    )


# A band bound or a linear point: a number, or the name of a numeric parameter (a county
# changes the parameter, not the bands). The loader puts the parameter's value in.
Figure = Annotated[
    Decimal | str,
    PlainValidator(_figure),
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string", "pattern": NAME}]}
    ),
]


class Band(_Model):
    min: Figure | None = None
    max: Figure | None = None
    points: Figure


class LinearPoint(_Model):
    at: Figure
    points: Figure


def figures_named(items: list[Band] | list[LinearPoint]) -> bool:
    """Whether any band bound or linear point is written as a parameter name."""
    return any(
        isinstance(getattr(item, key, None), str)
        for item in items
        for key in ("min", "max", "at", "points")
    )


class BaseRule(_Model):
    """What every rule has, whatever its kind."""

    id: str = Field(pattern=RULE_ID, max_length=120)
    group: str = Field(pattern=NAME)
    title: LocalText | None = None
    message: LocalText | None = None
    basis: str | None = None
    applies_if: str | None = None
    effective: Effective | None = None
    note: str | None = None
    override: bool = False  # replaces a rule of the same id from a parent rule set


class Branch(_Model):
    """One way of meeting a `require_any` rule: a named, titled requirement."""

    name: str = Field(pattern=NAME)
    title: LocalText | None = None
    require: str


class CheckRule(BaseRule):
    """veto, gate or review: `require` (must hold), `fail_if` (fails when true), or
    `require_any` (holds when any one branch holds: 投资强度 or 亩均税收)."""

    kind: str
    require: str | None = None
    fail_if: str | None = None
    require_any: list[Branch] | None = Field(default=None, min_length=2)

    @model_validator(mode="after")
    def _one_condition(self) -> CheckRule:
        keys = ("require", "fail_if", "require_any")
        given = [key for key in keys if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError(
                "需要 require 或 fail_if 之一（或 require_any；只能一个）/ "
                "give exactly one of require, fail_if (or require_any)"
            )
        names = [branch.name for branch in self.require_any or ()]
        if len(set(names)) != len(names):
            raise ValueError("require_any 的分支名称重复 / branch names must differ")
        return self


class GradedRule(BaseRule):
    """A value graded into points: `bands` or `linear`."""

    value: str | None = None
    bands: list[Band] | None = Field(default=None, min_length=1)
    linear: list[LinearPoint] | None = Field(default=None, min_length=2)

    def check_grading(self) -> None:
        """Refuse a graded rule without exactly one grading or without a value."""
        if (self.bands is None) == (self.linear is None):
            raise ValueError(
                "需要 bands 或 linear 之一（只能一个）/ give exactly one of bands, linear"
            )
        if self.value is None:
            raise ValueError("评分规则需要 value / a graded rule needs value")
        if self.linear is not None:
            ats = [p.at for p in self.linear]
            # with parameters the loader checks the order, once their values are known
            pairs = itertools.pairwise(ats)
            if not figures_named(self.linear) and any(b <= a for a, b in pairs):  # type: ignore[operator]
                raise ValueError(
                    "linear 的 at 必须递增 / linear 'at' values must increase"
                )

    @property
    def max_points(self) -> Decimal:
        """The most points the rule can give (its figures resolved: see the loader)."""
        points = (
            [b.points for b in self.bands]
            if self.bands
            else [p.points for p in self.linear or []]
        )
        return max(cast(list[Decimal], points))  # named figures are resolved by now


class Disable(_Model):
    rule: str
    reason: str = Field(min_length=1)


class Group(_Model):
    title: LocalText


if TYPE_CHECKING:
    # Any rule: the union of the kinds' shapes, which screening.kinds puts here at run
    # time (this module cannot import the kinds, whose shapes build on it).
    RuleSpec = Any


class RuleSetFile(_Model):
    """One rule-set file as written; `loader` merges a chain of these."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*(/[a-z0-9][a-z0-9_\-]*)*$")
    title: LocalText
    version: str
    effective: Effective | None = None
    extends: list[str] = Field(default_factory=list)
    basis: str | None = None
    note: str | None = None
    parameters: dict[Annotated[str, Field(pattern=NAME)], Parameter] = Field(
        default_factory=dict
    )
    inputs: dict[str, InputField] = Field(default_factory=dict)
    tables: dict[Annotated[str, Field(pattern=NAME)], Table] = Field(
        default_factory=dict
    )
    metrics: dict[Annotated[str, Field(pattern=NAME)], Metric] = Field(
        default_factory=dict
    )
    groups: dict[Annotated[str, Field(pattern=NAME)], Group] = Field(
        default_factory=dict
    )
    weights: dict[str, Decimal] | None = None
    points_total: Decimal | None = None  # declared sum of the score rules' max points
    rules: list[RuleSpec] = Field(default_factory=list)  # completed by screening.kinds
    disable: list[Disable] = Field(default_factory=list)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return (
            str(value)
            if isinstance(value, (int, Decimal)) and not isinstance(value, bool)
            else value
        )

    @field_validator("extends", mode="before")
    @classmethod
    def _one_parent(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("parameters", mode="before")
    @classmethod
    def _bare_values(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: v if isinstance(v, dict) else {"value": v} for k, v in value.items()
            }
        return value

    @field_validator("inputs")
    @classmethod
    def _extra_names(cls, value: dict[str, InputField]) -> dict[str, InputField]:
        for name in value:
            if not name.startswith("extra.") or not name[6:].isidentifier():
                raise ValueError(
                    f"输入字段 {name!r} 应写作 extra.名称 / inputs are named extra.NAME"
                )
        return value


# The kinds' shapes complete `RuleSetFile.rules` (see screening.kinds): imported last, so
# that the kinds find the bases above whichever module is imported first.
import screening.kinds  # noqa: E402, F401
