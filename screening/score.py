"""Pure functions: graded values → points; scored and bonus findings → the 0–100 score."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

from screening.findings import Finding, Status

Points = int | Fraction  # whole points as ints, others exactly


def points_for(
    bands: tuple[tuple[Fraction | None, Fraction | None, Points], ...] | None,
    linear: tuple[tuple[Fraction, Points], ...] | None,
    value: Fraction,
) -> Points:
    """Points for `value`: the first band (min inclusive, max exclusive) containing it,
    or linear interpolation between (at, points) pairs, flat outside them.

    Compared and interpolated on numerators and denominators: integer products, at most
    one Fraction at the end."""
    num, den = value.numerator, value.denominator
    if bands is not None:
        for low, high, points in bands:
            if (low is None or num * low.denominator >= low.numerator * den) and (
                high is None or num * high.denominator < high.numerator * den
            ):
                return points
        return 0
    steps = linear or ()
    first = steps[0][0]
    if num * first.denominator <= first.numerator * den:
        return steps[0][1]
    for (x0, y0), (x1, y1) in pairwise(steps):
        if num * x1.denominator <= x1.numerator * den:
            # y0 + (y1 - y0) * (value - x0) / (x1 - x0)
            got = y0 + (y1 - y0) * Fraction(
                num * x0.denominator - x0.numerator * den, den * x0.denominator
            ) / (x1 - x0)
            return got.numerator if got.denominator == 1 else got
    return steps[-1][1]


def _sum(values: Sequence[Points | None]) -> tuple[int, int]:
    num, den = 0, 1
    for value in values:
        if value is None:
            continue
        if type(value) is int:
            num += value * den
            continue
        d = value.denominator
        num, den = (
            (num + value.numerator, den)
            if d == den
            else (num * d + value.numerator * den, den * d)
        )
    return num, den


def total_score(
    scored: Sequence[Finding],
    bonuses: Sequence[Finding],
    weights: dict[str, Decimal] | None,
) -> Fraction | None:
    """0–100 from score rules (by group weight when given) plus bonus, capped at 100;
    None when there is nothing to score. Summed as integer ratios, one Fraction at the end."""
    scored = [f for f in scored if f.status is not Status.NOT_APPLICABLE]
    bonus_num, bonus_den = _sum([f.points for f in bonuses])
    if not scored:
        return (
            None if not bonuses else min(Fraction(100), Fraction(bonus_num, bonus_den))
        )
    if weights:
        total = Fraction(0)
        for group, weight in weights.items():
            in_group = [f for f in scored if f.group == group]
            top_num, top_den = _sum([f.max_points for f in in_group])
            if top_num:
                got_num, got_den = _sum([f.points for f in in_group])
                total += Fraction(weight) * Fraction(
                    got_num * top_den, got_den * top_num
                )
        total += Fraction(bonus_num, bonus_den)
    else:
        top_num, top_den = _sum([f.max_points for f in scored])
        got_num, got_den = _sum([f.points for f in scored])
        # 100 · got / top + bonus, as one ratio
        if top_num:
            num, den = 100 * got_num * top_den, got_den * top_num
        else:
            num, den = 0, 1
        total = Fraction(num * bonus_den + bonus_num * den, den * bonus_den)
    return max(_ZERO, min(_HUNDRED, total))


_ZERO, _HUNDRED = Fraction(0), Fraction(100)
