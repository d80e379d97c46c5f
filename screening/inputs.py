"""A rule set's declared `inputs:` (extra.NAME fields) checked and converted per project.

The project model cannot know which extra fields a rule set reads; this module
does, so "否" for a declared boolean is false, "65%" for a number is 0.65, and a
value outside a declared list is an error naming the field — never a silent pass.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from screening.errors import Diagnostic, ProjectError, SourceSpan
from screening.model.project import yes_no
from screening.model.ruleset import InputField
from screening.model.units import CANONICAL_UNIT, UnitError, parse_amount

_LIMIT = Decimal("1e12")  # a declared number's magnitude at most


def convert_inputs(
    values: dict[str, Any],
    inputs: dict[str, InputField],
    span: SourceSpan | None = None,
) -> dict[str, Any]:
    """`values` with every declared extra field converted; ProjectError lists every bad one."""
    problems: list[Diagnostic] = []
    out = dict(values)
    for path, declared in inputs.items():
        if path not in values:
            continue
        try:
            out[path] = _convert(values[path], declared)
        except ValueError as exc:
            problems.append(Diagnostic("PRJ", str(exc), span, path))
    if problems:
        raise ProjectError("", diagnostics=problems)
    return out


# a declared unit that is a canonical one → the kind of amount read ("3亿元" for 万元)
_KIND_OF_UNIT = {unit: kind for kind, unit in CANONICAL_UNIT.items() if unit}


def _number(value: Any, unit: str) -> Decimal:
    """A declared number: bare, or written in a unit its declared unit accepts.

    Dimensionless inputs take percentages ("65%" = 0.65); 万元, 亩, tce, kWh, t and
    人 take their kind's units ("3亿元"); any other unit (万元/亩) only itself
    ("280 万元/亩").
    """
    if unit == "":
        return parse_amount(value, "fraction")
    kind = _KIND_OF_UNIT.get(unit)
    if kind is not None:
        return parse_amount(value, kind)
    if isinstance(value, str):
        written = value.replace(" ", "")
        if written.endswith(unit.replace(" ", "")) and written != unit.replace(" ", ""):
            value = written[: -len(unit.replace(" ", ""))]
    try:
        return parse_amount(
            value, "ratio"
        )  # no other unit accepted: a bare number, or refused
    except UnitError:
        raise UnitError(
            f"应为数值（单位 {unit}），实际为 {value!r} / expected a number in {unit}"
        ) from None


def _convert(value: Any, declared: InputField) -> Any:
    if declared.type == "bool":
        value = yes_no(value)
        if not isinstance(value, bool):
            raise ValueError(
                f"应为 是/否（true/false），实际为 {value!r} / expected yes or no"
            )
        return value
    if declared.type == "number":
        try:
            number = _number(value, declared.unit or "")
        except UnitError as exc:
            raise ValueError(str(exc)) from None
        # copy_abs, not abs(): abs() rounds in the current context, and overflows on 1e1000000
        if not number.is_finite() or number.copy_abs() > _LIMIT:
            raise ValueError(f"数值超出合理范围：{value!r} / number out of range")
        return number
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ValueError(f"应为文本，实际为 {value!r} / expected text")
    text = str(value)
    if declared.values is not None and text not in declared.values:
        raise ValueError(
            f"取值 {text!r} 不在可选值 {declared.values} 中 / not one of the allowed values"
        )
    return text
