"""KPI targets: how many projects of at least 3000万 / 5000万 / 1亿 each park means to
sign, start or put into production in a year. A small YAML file written by the bureau,
loaded safely and validated like a rule set (every problem as file:line:column):

    targets:
      - park: 铁山港工业区
        year: 2025
        签约: {3000万: 20, 5000万: 12, 1亿: 6}
        开工: {1亿: 4}
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from screening.errors import Diagnostic
from screening.model.diagnose import diagnostics_from
from screening.model.units import UnitError, parse_amount
from screening.register.db import RegisterError
from screening.source import load_yaml_file

# the stages a target counts, with the lead column holding the day each was reached
TARGET_STAGES = {"签约": "signed_on", "开工": "started_on", "投产": "producing_on"}
_STAGE_KEYS = {
    "签约": "签约",
    "signed": "签约",
    "开工": "开工",
    "started": "开工",
    "投产": "投产",
    "production": "投产",
    "producing": "投产",
}


class _Target(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    park: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=1990, le=2100, strict=True)
    signed: dict[str, int] = Field(default_factory=dict, alias="签约")
    started: dict[str, int] = Field(default_factory=dict, alias="开工")
    producing: dict[str, int] = Field(default_factory=dict, alias="投产")

    @field_validator("signed", "started", "producing", mode="before")
    @classmethod
    def _bands(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        for band, count in value.items():
            try:
                amount = parse_amount(band, "money")
            except UnitError as exc:
                raise ValueError(f"金额档次 {band!r}：{exc}") from None
            if amount <= 0:
                raise ValueError(f"金额档次 {band!r} 应大于 0 / a band must be above 0")
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(
                    f"{band}: 目标应为非负整数，实际为 {count!r} / a target is a whole number ≥ 0"
                )
        return value


class _Targets(BaseModel):
    model_config = ConfigDict(extra="forbid")

    targets: list[_Target]


@dataclass(frozen=True)
class Targets:
    """Targets by (park, year) → stage (签约 / 开工 / 投产) → band in 万元 → count."""

    by_park_year: dict[tuple[str, int], dict[str, dict[Decimal, int]]]
    path: str

    def bands(self) -> set[Decimal]:
        return {
            band
            for stages in self.by_park_year.values()
            for bands in stages.values()
            for band in bands
        }

    def parks(self, years: range) -> list[str]:
        """The parks with a target for any of `years`."""
        return sorted({park for park, year in self.by_park_year if year in years})

    def target(self, park: str, years: range, stage: str, band: Decimal) -> int | None:
        """The target for a park over whole years (summed), or None when none is set."""
        found = [
            self.by_park_year[(park, y)][stage][band]
            for y in years
            if band in self.by_park_year.get((park, y), {}).get(stage, {})
        ]
        return sum(found) if found else None


def load_targets(path: str | Path) -> Targets:
    """Read and validate a targets file; every problem is reported with its line."""
    loaded = load_yaml_file(path)
    data = loaded.data
    if isinstance(data, dict) and isinstance(data.get("targets"), list):
        for item in data["targets"]:
            if isinstance(item, dict):  # 签约 / signed … both spell a stage: one key
                for key in list(item):
                    if (
                        isinstance(key, str)
                        and key in _STAGE_KEYS
                        and key not in ("签约", "开工", "投产")
                    ):
                        item[_STAGE_KEYS[key]] = item.pop(key)
    try:
        model = _Targets.model_validate(data)
    except ValidationError as exc:
        raise RegisterError(
            "", diagnostics=diagnostics_from(exc, loaded, "KPI", _Targets)
        ) from None
    out: dict[tuple[str, int], dict[str, dict[Decimal, int]]] = {}
    problems = []
    for index, target in enumerate(model.targets):
        key = (target.park, target.year)
        if key in out:
            problems.append(
                Diagnostic(
                    "KPI",
                    f"{target.park} {target.year} 的目标重复 / targets given twice",
                    loaded.span(("targets", index)),
                    f"targets.{index}",
                )
            )
            continue
        out[key] = {
            stage: {parse_amount(band, "money"): count for band, count in bands.items()}
            for stage, bands in (
                ("签约", target.signed),
                ("开工", target.started),
                ("投产", target.producing),
            )
        }
    if problems:
        raise RegisterError("", diagnostics=problems)
    return Targets(out, str(path))
