"""Pure functions: graded values → points; findings → score → decision."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from screening.findings import Finding, Kind, Outcome, Status
from screening.model import ruleset as spec


def points_for(rule: spec.ScoreRule | spec.BonusRule, value: Fraction) -> Fraction:
    """Points a graded rule gives `value`: first band containing it, or linear interpolation."""
    if rule.bands is not None:
        for band in rule.bands:
            if (band.min is None or value >= Fraction(band.min)) and (band.max is None or value < Fraction(band.max)):
                return Fraction(band.points)
        return Fraction(0)
    points = [(Fraction(p.at), Fraction(p.points)) for p in rule.linear or []]
    if value <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if value <= x1:
            return y0 + (y1 - y0) * (value - x0) / (x1 - x0)
    return points[-1][1]


def total_score(findings: list[Finding], weights: dict[str, Decimal] | None) -> Fraction | None:
    """0–100 from score rules (by group weight when given) plus bonus, capped at 100."""
    scored = [f for f in findings if f.kind is Kind.SCORE and f.status is not Status.NOT_APPLICABLE]
    bonus = sum((f.points or Fraction(0) for f in findings if f.kind is Kind.BONUS), Fraction(0))
    if not scored:
        return None if not any(f.kind is Kind.BONUS for f in findings) else min(Fraction(100), bonus)
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


def decide(findings: list[Finding], score: Fraction | None, pass_mark: Fraction | None,
           review_band: Fraction) -> Outcome:
    """reject on a failed veto or gate; review on missing veto/gate/review input or a
    triggered review rule; else by the score against the pass mark."""
    hard = [f for f in findings if f.kind in (Kind.VETO, Kind.GATE)]
    if any(f.status is Status.FAIL for f in hard):
        return Outcome.REJECT
    if any(f.status is Status.MISSING for f in hard) or any(
        f.kind is Kind.REVIEW and f.status in (Status.FAIL, Status.MISSING) for f in findings
    ):
        return Outcome.REVIEW
    if pass_mark is None or score is None:
        return Outcome.PASS
    if score >= pass_mark:
        return Outcome.PASS
    if score >= pass_mark - review_band:
        return Outcome.REVIEW
    return Outcome.REJECT
