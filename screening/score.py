"""Pure functions: graded values → points; scored and bonus findings → the 0–100 score."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from screening.findings import Finding, Status


def points_for(
    bands: tuple[tuple[Fraction | None, Fraction | None, Fraction], ...] | None,
    linear: tuple[tuple[Fraction, Fraction], ...] | None,
    value: Fraction,
) -> Fraction:
    """Points for `value`: the first band (min inclusive, max exclusive) containing it,
    or linear interpolation between (at, points) pairs, flat outside them.

    Compared and interpolated on numerators and denominators: integer products, one
    Fraction at the end."""
    num, den = value.numerator, value.denominator
    if bands is not None:
        for low, high, points in bands:
            if (low is None or num * low.denominator >= low.numerator * den) and (
                    high is None or num * high.denominator < high.numerator * den):
                return points
        return _ZERO
    points = linear or ()
    first = points[0][0]
    if num * first.denominator <= first.numerator * den:
        return points[0][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if num * x1.denominator <= x1.numerator * den:
            # y0 + (y1 - y0) * (value - x0) / (x1 - x0), as one ratio of integers
            return y0 + (y1 - y0) * Fraction(num * x0.denominator - x0.numerator * den, den * x0.denominator) / (x1 - x0)
    return points[-1][1]


_ZERO = Fraction(0)


def _sum(values: Sequence[Fraction | None]) -> Fraction:
    num, den = 0, 1
    for value in values:
        if value is not None:
            d = value.denominator
            num, den = (num + value.numerator, den) if d == den else (num * d + value.numerator * den, den * d)
    return Fraction(num, den)


def total_score(scored: Sequence[Finding], bonuses: Sequence[Finding],
                weights: dict[str, Decimal] | None) -> Fraction | None:
    """0–100 from score rules (by group weight when given) plus bonus, capped at 100;
    None when there is nothing to score."""
    scored = [f for f in scored if f.status is not Status.NOT_APPLICABLE]
    bonus = _sum([f.points for f in bonuses])
    if not scored:
        return None if not bonuses else min(Fraction(100), bonus)
    if weights:
        total = Fraction(0)
        for group, weight in weights.items():
            in_group = [f for f in scored if f.group == group]
            top = _sum([f.max_points for f in in_group])
            if top:
                total += Fraction(weight) * _sum([f.points for f in in_group]) / top
    else:
        top = _sum([f.max_points for f in scored])
        total = Fraction(100) * _sum([f.points for f in scored]) / top if top else Fraction(0)
    return max(Fraction(0), min(Fraction(100), total + bonus))
