"""The YAML shape of a 亩均效益 evaluation scheme, as pydantic models. No evaluation.

A scheme states everything that decides a firm's class, so that nothing is a
silent default: each indicator's benchmark, cap and what a missing value means;
each class rule's tie and small-population rule; each exclusion's reading of a
missing input. Cross-references (class ids, tie-break indicators) and expressions
are checked by `screening.evaluation.loader`, which knows where each value stands.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from screening.model.ruleset import LocalText

ID = r"^[a-z][a-z0-9_]*(?:[\-][a-z0-9_]+)*$"
SCHEME_ID = r"^[a-z][a-z0-9]*(?:[\-][a-z0-9]+)*$"
CLASS_ID = r"^[A-Z][A-Z0-9]*$"
NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[%％]\s*$")

STATISTICS = ("mean", "median", "aggregate", "previous_mean", "previous_aggregate")
MISSING = ("not_rated", "zero", "average")
INPUT_TYPES = ("number", "bool", "text")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def percent(value: Any) -> Decimal:
    """A share written as "20%" → Decimal("20"); anything else is refused."""
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if match:
            return Decimal(match.group(1))
    raise ValueError(
        f'份额应写成百分数，如 "20%"，实际为 {value!r} / a share is written like "20%"'
    )


class Sourced(_Model):
    """Where a figure or rule comes from: `basis` cites, `note` explains."""

    basis: str | None = None
    note: str | None = None


class Benchmark(Sourced):
    """An indicator's benchmark: a fixed value, or a statistic of a population."""

    fixed: Decimal | None = None
    statistic: Literal[STATISTICS] | None = None  # type: ignore[valid-type]
    multiple: Decimal | None = Field(default=None, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _plain(cls, data: Any) -> Any:
        return {"fixed": data} if isinstance(data, (int, Decimal)) else data

    @model_validator(mode="after")
    def _one_kind(self) -> Benchmark:
        if (self.fixed is None) == (self.statistic is None):
            raise ValueError(
                "基准应给出 fixed（固定值）或 statistic（统计量）之一 / "
                "give exactly one of fixed or statistic"
            )
        if self.fixed is not None and self.fixed <= 0:
            raise ValueError("固定基准值应大于 0 / a fixed benchmark must be positive")
        if self.fixed is not None and self.multiple is not None:
            raise ValueError(
                "multiple 只用于统计量基准 / multiple applies to a statistic only"
            )
        return self


class Indicator(Sourced):
    """One scored indicator: points = weight × min(value ÷ benchmark, cap)."""

    id: str = Field(pattern=ID)
    title: LocalText
    expr: str = Field(min_length=1)
    unit: str
    weight: Decimal = Field(gt=0)
    # Places the value is rounded to (half up) before it is scored or averaged, as
    # offices round in their spreadsheets; required for a mean (see loader).
    decimals: int | None = Field(default=None, ge=0, le=8)
    benchmark: Benchmark
    # The cap on value ÷ benchmark, or "none": a scheme states it either way.
    cap: Decimal | Literal["none"]
    floor: Decimal | None = (
        None  # the least value ÷ benchmark counts as (none: no floor)
    )
    missing: Literal[MISSING]  # type: ignore[valid-type]

    @field_validator("cap")
    @classmethod
    def _cap_positive(cls, value: Decimal | str) -> Decimal | str:
        if isinstance(value, Decimal) and value <= 0:
            raise ValueError("cap 应大于 0 / cap must be positive")
        return value

    @model_validator(mode="after")
    def _floor_below_cap(self) -> Indicator:
        if (
            self.floor is not None
            and isinstance(self.cap, Decimal)
            and self.floor >= self.cap
        ):
            raise ValueError("floor 应小于 cap / floor must be below cap")
        return self


class SmallPopulation(Sourced):
    """How a population too small for rank shares is classed."""

    below: int = Field(ge=1)  # fewer rated firms than this…
    thresholds: dict[str, Decimal] | None = None  # …classed by score thresholds
    class_: str | None = Field(default=None, alias="class")  # …or all in one class

    @model_validator(mode="after")
    def _one_rule(self) -> SmallPopulation:
        if (self.thresholds is None) == (self.class_ is None):
            raise ValueError(
                "small_population 应给出 thresholds 或 class 之一 / "
                "give exactly one of thresholds or class"
            )
        return self


class Classes(Sourced):
    """A track's class rule: by score thresholds, or by shares of the ranking."""

    by: Literal["score", "rank_share"]
    # by: score — the least score of each class but the last (score ≥ it).
    thresholds: dict[str, Decimal] | None = None
    # by: rank_share — the cumulative share of places up to each class but the last.
    upper: dict[str, Decimal] | None = None
    count: Literal["floor", "ceil", "half_up"] | None = None  # share × firms → places
    ties: Literal["better", "worse"] | None = None  # equal scores across a boundary
    tie_break: list[str] = Field(default_factory=list)  # indicator ids, higher first
    small_population: SmallPopulation | None = None

    @field_validator("upper", mode="before")
    @classmethod
    def _shares(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: percent(share) for key, share in value.items()}
        return value

    @model_validator(mode="after")
    def _fields_for_rule(self) -> Classes:
        if self.by == "score":
            if self.thresholds is None:
                raise ValueError(
                    "by: score 需要 thresholds / by: score needs thresholds"
                )
            extra = [
                key
                for key in ("upper", "count", "ties", "small_population")
                if getattr(self, key) is not None
            ] + (["tie_break"] if self.tie_break else [])
            if extra:
                raise ValueError(
                    f"by: score 不使用 {', '.join(extra)} / not used with by: score"
                )
        else:
            missing = [
                key
                for key in ("upper", "count", "ties", "small_population")
                if getattr(self, key) is None
            ]
            if missing:
                raise ValueError(
                    f"by: rank_share 必须写明 {', '.join(missing)}（并列与小样本规则须明示）/ "
                    "rank shares need upper, count, ties and small_population stated"
                )
            if self.thresholds is not None:
                raise ValueError(
                    "by: rank_share 不使用 thresholds（小样本阈值写在 small_population）/ "
                    "thresholds belong under small_population"
                )
        return self


class Track(Sourced):
    """A group of firms rated and ranked together (规上, 规下) on its own indicators."""

    id: str = Field(pattern=ID)
    title: LocalText
    when: str | None = None  # who belongs; the first track whose condition holds
    indicators: list[Indicator] = Field(min_length=1)
    classes: Classes


class Exclusion(Sourced):
    """Firms not rated (utilities, new firms, small plots); `if_missing` is explicit."""

    id: str = Field(pattern=ID)
    title: LocalText
    when: str
    if_missing: Literal["rate", "exclude"]


class Adjustment(Sourced):
    """A bonus (points > 0) or deduction (points < 0) for firms meeting a condition."""

    id: str = Field(pattern=ID)
    title: LocalText
    when: str
    points: Decimal

    @field_validator("points")
    @classmethod
    def _not_zero(cls, value: Decimal) -> Decimal:
        if value == 0:
            raise ValueError("加减分不能为 0 / points must not be 0")
        return value


class Limits(Sourced):
    """The most that bonuses add and deductions take away in total (none: no limit)."""

    bonus: Decimal | None = Field(default=None, gt=0)
    deduction: Decimal | None = Field(default=None, gt=0)


class Override(Sourced):
    """A condition that sets a rated firm's class whatever its score (重大事故 → D)."""

    id: str = Field(pattern=ID)
    title: LocalText
    when: str
    class_: str = Field(alias="class")


class Measure(Sourced):
    """A treatment a class or a broken promise brings (差别化电价, 不新增用地 …)."""

    title: LocalText


class ClassLabel(Sourced):
    """One class, best first in the scheme's list, with the measures it brings."""

    id: str = Field(pattern=CLASS_ID)
    title: LocalText
    measures: list[Measure] = Field(default_factory=list)


class Input(Sourced):
    """A figure a scheme needs beyond the standard firm fields (a bonus flag, say)."""

    name: str = Field(pattern=NAME)
    title: LocalText
    type: Literal[INPUT_TYPES]  # type: ignore[valid-type]
    unit: str | None = (
        None  # numbers: 万元, 亩, tce, kWh, t, 人, or "" for a plain number
    )
    headers: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _unit_for_numbers(self) -> Input:
        if (self.type == "number") != (self.unit is not None):
            raise ValueError(
                '数值输入需要 unit（无单位写 ""），其他类型不写 unit / '
                'a number input needs a unit ("" for none); other types take none'
            )
        return self


class SchemeFile(_Model):
    """A whole scheme file."""

    id: str = Field(pattern=SCHEME_ID)
    title: LocalText
    version: str
    basis: str = Field(min_length=1)
    note: str | None = None
    inputs: list[Input] = Field(default_factory=list)
    tracks: list[Track] = Field(min_length=1)
    exclusions: list[Exclusion] = Field(default_factory=list)
    adjustments: list[Adjustment] = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)
    overrides: list[Override] = Field(default_factory=list)
    classes: list[ClassLabel] = Field(min_length=2)
    not_rated: LocalText
    promise_measures: list[Measure] = Field(default_factory=list)
