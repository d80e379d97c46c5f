"""One firm, exactly: its track, exclusions, indicator values (pass 1) and points (pass 2).

Pure functions over a firm's figures and a `Scheme`; the population (benchmarks,
ranks) is `population` and `ranking`, the two passes over a whole file `run`.
Values are exact rationals (`Fraction`), rounded only where the scheme states
`decimals` (half up, as offices round), so a firm exactly on a benchmark or a
class boundary is exactly on it. A missing figure is never read as 0: the scheme's
`missing` rule for the indicator decides, and the firm's record says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from screening.evaluation.fast import ratio_of, round_ratio
from screening.evaluation.scheme import Condition, Expr, IndicatorDef, Scheme, TrackDef
from screening.expr import nodes as n
from screening.expr.evaluate import Ctx, Missing, Undefined, to_fraction

_NO_METRICS: dict[str, Any] = {}


class Measured(NamedTuple):
    """A firm after pass 1, compact enough to spill to disk (plain tuples and ints).

    `reason` is None for a firm to be rated, else why not: ("no_track", names),
    ("excluded", exclusion id), ("excluded_unknown", exclusion id, names) or
    ("missing", indicator id, names or undefined code).
    """

    seq: int  # input order among valid rows
    row: int  # row number as the user sees it
    firm_id: str
    name: str
    track: int  # index into scheme.tracks, -1 when none
    reason: tuple[Any, ...] | None
    values: tuple[
        tuple[int, int] | None, ...
    ]  # per indicator: (numerator, denominator)
    gaps: tuple[tuple[Any, ...] | None, ...]  # per indicator: why it has no value
    adjustments: tuple[int, ...]  # indices of the adjustments that apply
    unknown: tuple[tuple[str, str, tuple[str, ...]], ...]  # (kind, id, names) undecided
    override: int  # index of the override that applies, -1 when none
    figures: tuple[
        tuple[str, str], ...
    ]  # the inputs read, as written (canonical units)
    # per indicator with an aggregate benchmark: its numerator's and denominator's ratios
    parts: tuple[tuple[tuple[int, int], tuple[int, int]] | None, ...] = ()


def production_months(start: dt.date, year: int) -> int:
    """Whole months from the start of production to 31 December of `year`."""
    return (year - start.year) * 12 + (12 - start.month)


def add_derived(values: dict[str, Any], year: int) -> dict[str, Any]:
    """A row's values with the derived figures expressions may read, added in place."""
    start = values.get("production_start")
    if type(start) is dt.date:
        values["production_months"] = production_months(start, year)
    power = values.get("electricity_kwh")
    if type(power) is Decimal:
        values["electricity_10k_kwh"] = power.scaleb(-4)
    return values


def rounded(value: Fraction, decimals: int | None) -> Fraction:
    """`value` rounded half away from zero to `decimals` places (None: unchanged)."""
    if decimals is None:
        return value
    return Fraction(*round_ratio(value.numerator, value.denominator, decimals))


def _holds(expr: Expr, values: Mapping[str, Any]) -> bool | tuple[str, ...]:
    """True/False, or the names that were missing (a condition that cannot be decided)."""
    try:
        return bool(expr.test(values))  # type: ignore[misc]
    except Missing as exc:
        return tuple(sorted(exc.names))
    except Undefined as exc:
        return (exc.code,)


def _track(scheme: Scheme, values: Mapping[str, Any]) -> tuple[int, tuple[str, ...]]:
    missing: set[str] = set()
    for index, track in enumerate(scheme.tracks):
        if track.when is None:
            return index, ()
        held = _holds(track.when, values)
        if held is True:
            return index, ()
        if type(held) is tuple:
            missing.update(held)
    return -1, tuple(sorted(missing))


def _conditions(
    items: Sequence[Condition],
    values: Mapping[str, Any],
    kind: str,
    unknown: list[tuple[str, str, tuple[str, ...]]],
) -> list[int]:
    applied = []
    for index, item in enumerate(items):
        held = _holds(item.when, values)
        if held is True:
            applied.append(index)
        elif type(held) is tuple:
            unknown.append((kind, item.id, held))
    return applied


def _figure(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value
    if kind is Decimal:
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is dt.date:
        return value.isoformat()
    return str(value)


_IDENTITY = ("credit_code", "name")


def measure(
    scheme: Scheme, seq: int, row: int, values: dict[str, Any], year: int
) -> Measured:
    """Pass 1 for one firm: track, exclusions, indicator values, adjustments, overrides.

    `values` gains the derived figures (see `add_derived`).
    """
    figures = tuple(
        (key, _figure(value)) for key, value in values.items() if key not in _IDENTITY
    )
    add_derived(values, year)
    firm_id = str(values.get("credit_code") or values.get("name"))
    name = str(values.get("name") or "")
    track_index, missing = _track(scheme, values)
    unknown: list[tuple[str, str, tuple[str, ...]]] = []
    if track_index < 0:
        no_track = ("no_track", missing)
        return Measured(
            seq, row, firm_id, name, -1, no_track, (), (), (), (), -1, figures
        )
    track = scheme.tracks[track_index]
    reason: tuple[Any, ...] | None = None
    for item in scheme.exclusions:
        held = _holds(item.when, values)
        if held is True:
            reason = ("excluded", item.id)
            break
        if type(held) is tuple:
            if item.if_missing == "exclude":
                reason = ("excluded_unknown", item.id, held)
                break
            unknown.append(("exclusion", item.id, held))
    values_out: list[tuple[int, int] | None] = []
    gaps: list[tuple[Any, ...] | None] = []
    parts: list[tuple[tuple[int, int], tuple[int, int]] | None] = []
    if reason is None:
        for ind in track.indicators:
            try:
                values_out.append(ind.value_of(values))  # type: ignore[misc]
                gaps.append(None)
                parts.append(_parts(ind, values) if ind.numerator is not None else None)
                continue
            except Missing as exc:
                gap: tuple[Any, ...] = ("missing", tuple(sorted(exc.names)))
            except Undefined as exc:
                gap = ("undefined", exc.code)
            values_out.append(None)
            gaps.append(gap)
            parts.append(None)
            if ind.missing == "not_rated" and reason is None:
                reason = ("missing", ind.id, gap)
    adjustments = overrides = ()
    if reason is None:
        adjustments = tuple(
            _conditions(scheme.adjustments, values, "adjustment", unknown)
        )
        overrides = tuple(_conditions(scheme.overrides, values, "override", unknown))
    return Measured(
        seq,
        row,
        firm_id,
        name,
        track_index,
        reason,
        tuple(values_out),
        tuple(gaps),
        adjustments,
        tuple(unknown),
        overrides[0] if overrides else -1,
        figures,
        tuple(parts) if any(parts) else (),
    )


def _parts(
    ind: IndicatorDef, values: Mapping[str, Any]
) -> tuple[tuple[int, int], tuple[int, int]]:
    # the value's numerator and denominator, for Σ numerator ÷ Σ denominator
    top, bottom = ind.numerator, ind.denominator
    assert top is not None and bottom is not None
    env = None
    out = []
    for part in (top, bottom):
        node = part.node
        if isinstance(node, n.Name) and node.name in values:
            out.append(ratio_of(values[node.name]))
        else:
            env = env or Ctx(values, _NO_METRICS)
            value = to_fraction(part.run(env))
            out.append((value.numerator, value.denominator))
    return out[0], out[1]


@dataclass(frozen=True)
class Points:
    """One indicator of a rated firm: its value, benchmark and the points they give."""

    indicator: IndicatorDef
    value: Fraction | None
    benchmark: Fraction | None
    ratio: Fraction | None  # value ÷ benchmark, before the cap and floor
    points: Fraction | None  # None only while an average is still unknown
    capped: bool = False
    floored: bool = False
    substituted: str | None = None  # zero / average: the value was missing
    gap: tuple[Any, ...] | None = None


def indicator_points(ind: IndicatorDef, value: Fraction, benchmark: Fraction) -> Points:
    """weight × value ÷ benchmark, within the cap and floor the scheme states."""
    ratio = value / benchmark
    used, capped, floored = ratio, False, False
    if ind.cap is not None and used > ind.cap:
        used, capped = ind.cap, True
    if ind.floor is not None and used < ind.floor:
        used, floored = ind.floor, True
    return Points(ind, value, benchmark, ratio, ind.weight * used, capped, floored)


@dataclass(frozen=True)
class Scored:
    """A rated firm's points per indicator, adjustments and score (before ranking)."""

    points: tuple[Points, ...]
    bonus: Fraction
    deduction: Fraction  # a positive number of points taken away
    score: Fraction | None  # None while an average the firm needs is unknown


def score(
    scheme: Scheme,
    track: TrackDef,
    firm: Measured,
    benchmarks: Sequence[Fraction | None],
    averages: Sequence[Fraction | None],
) -> Scored:
    """Pass 2 for one rated firm: points, bonus and deductions, and its score."""
    out = []
    total = Fraction(0)
    complete = True
    for ind, value, gap, benchmark, average in zip(
        track.indicators, firm.values, firm.gaps, benchmarks, averages, strict=True
    ):
        if value is not None:
            result = indicator_points(ind, Fraction(*value), benchmark)  # type: ignore[arg-type]
        elif ind.missing == "zero":
            result = Points(
                ind, None, benchmark, None, Fraction(0), substituted="zero", gap=gap
            )
        else:  # average: the mean of the points of the firms that have the value
            result = Points(
                ind, None, benchmark, None, average, substituted="average", gap=gap
            )
        if result.points is None:
            complete = False
        else:
            total += result.points
        out.append(result)
    applied = [scheme.adjustments[i].points or Fraction(0) for i in firm.adjustments]
    bonus = sum((p for p in applied if p > 0), Fraction(0))
    deduction = -sum((p for p in applied if p < 0), Fraction(0))
    if scheme.bonus_limit is not None:
        bonus = min(bonus, scheme.bonus_limit)
    if scheme.deduction_limit is not None:
        deduction = min(deduction, scheme.deduction_limit)
    return Scored(
        tuple(out), bonus, deduction, total + bonus - deduction if complete else None
    )
