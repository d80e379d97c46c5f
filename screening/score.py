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
    or linear interpolation between (at, points) pairs, flat outside them."""
    if bands is not None:
        for low, high, points in bands:
            if (low is None or value >= low) and (high is None or value < high):
                return points
        return Fraction(0)
    points = linear or ()
    if value <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if value <= x1:
            return y0 + (y1 - y0) * (value - x0) / (x1 - x0)
    return points[-1][1]


def total_score(scored: Sequence[Finding], bonuses: Sequence[Finding],
                weights: dict[str, Decimal] | None) -> Fraction | None:
    """0–100 from score rules (by group weight when given) plus bonus, capped at 100;
    None when there is nothing to score."""
    scored = [f for f in scored if f.status is not Status.NOT_APPLICABLE]
    bonus = sum((f.points or Fraction(0) for f in bonuses), Fraction(0))
    if not scored:
        return None if not bonuses else min(Fraction(100), bonus)
    if weights:
        total = Fraction(0)
        for group, weight in weights.items():
            in_group = [f for f in scored if f.group == group]
            top = sum((f.max_points or Fraction(0) for f in in_group), Fraction(0))
            if top:
                got = sum((f.points or Fraction(0) for f in in_group), Fraction(0))
                total += Fraction(weight) * got / top
    else:
        top = sum((f.max_points or Fraction(0) for f in scored), Fraction(0))
        got = sum((f.points or Fraction(0) for f in scored), Fraction(0))
        total = Fraction(100) * got / top if top else Fraction(0)
    return max(Fraction(0), min(Fraction(100), total + bonus))
