"""Pure functions: graded values → points; scored and bonus findings → the 0–100 score."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any

from screening.expr.evaluate import exact
from screening.findings import Finding, Points, Status

Bands = tuple[tuple[Fraction | None, Fraction | None, Points], ...]
Linear = tuple[tuple[Fraction, Points], ...]
_Ratio = tuple[int, int]


class Grading:
    """One graded rule's bands or linear points, read once into integer ratios: the
    points a value earns and the nearest value earning more, decided by cross-multiplying
    numerators and denominators (at most one Fraction made, for a fractional result)."""

    def __init__(self, bands: Bands | None, linear: Linear | None) -> None:
        self.bands = (
            None
            if bands is None
            else tuple(
                (_ratio(low), _ratio(high), points) for low, high, points in bands
            )
        )
        self.linear = None
        if bands is None:
            steps = linear or ()
            self.linear = tuple(
                (at.numerator, at.denominator, *points_ratio(points), points)
                for at, points in steps
            )
            top_at, top_points = max(steps, key=lambda pair: pair[1])
            self._top = (
                top_at,
                top_points,
                top_at.as_integer_ratio(),
                points_ratio(top_points),
            )
            return
        # the nearest better band: going up, the lowest `min` above the value (the fewer
        # points on a tie); going down (less is better), just below the highest `max`
        # at or under it
        self._up = [
            (low, points, low.as_integer_ratio(), points_ratio(points))
            for low, points in sorted(
                (low, points) for low, _, points in bands if low is not None
            )
        ]
        self._down = [
            (
                high - _HUNDREDTH,
                points,
                high.as_integer_ratio(),
                points_ratio(points),
            )
            for high, points in sorted(
                ((high, points) for _, high, points in bands if high is not None),
                reverse=True,
            )
        ]

    def points(self, num: int, den: int) -> Points:
        """Points for the value num / den (den > 0): the first band (min inclusive, max
        exclusive) containing it, or linear interpolation between (at, points) pairs,
        flat outside them."""
        if self.bands is not None:
            for low, high, points in self.bands:
                if (low is None or num * low[1] >= low[0] * den) and (
                    high is None or num * high[1] < high[0] * den
                ):
                    return points
            return 0
        steps = self.linear
        assert steps is not None
        a, b, _, _, first = steps[0]
        if num * b <= a * den:
            return first
        for (a, b, p, q, _), (c, d, r, t, _) in pairwise(steps):
            if num * d <= c * den:
                # y0 + (y1 - y0) · (value - x0) / (x1 - x0), with x0 = a/b, x1 = c/d,
                # y0 = p/q, y1 = r/t: one ratio of integers
                run, rise = (num * b - a * den) * d, den * (c * b - a * d)
                top = p * t * rise + (r * q - p * t) * run
                bottom = q * t * rise
                whole, rest = divmod(top, bottom)
                return whole if rest == 0 else exact(top, bottom)
        return steps[-1][4]

    def next_band(
        self, num: int, den: int, earned: _Ratio
    ) -> tuple[Fraction, Points, bool] | None:
        """The nearest value earning more than the points `earned` (as a ratio) for the
        value num / den, the points it earns, and whether it lies above the value; None
        when no value earns more."""
        p, q = earned
        if self.bands is None:
            top_at, top_points, (a, b), (r, t) = self._top
            if r * q > p * t:
                return top_at, top_points, a * den > num * b
            return None
        for low, better, (a, b), (r, t) in self._up:
            if r * q > p * t and a * den > num * b:
                return low, better, True
        for below, better, (a, b), (r, t) in self._down:
            if r * q > p * t and a * den <= num * b:
                return below, better, False
        return None


def points_ratio(points: Points) -> _Ratio:
    """A number of points as (numerator, denominator > 0)."""
    return (points, 1) if type(points) is int else points.as_integer_ratio()


def gain(better: Points, points: Points) -> Points:
    """better − points: an int when both are, else exactly a Fraction."""
    if type(better) is int and type(points) is int:
        return better - points
    (a, b), (c, d) = points_ratio(better), points_ratio(points)
    return exact(a * d - c * b, b * d)


def _ratio(value: Fraction | None) -> _Ratio | None:
    return None if value is None else (value.numerator, value.denominator)


_HUNDREDTH = Fraction(1, 100)


def _sum(values: Iterable[Points | None]) -> tuple[int, int]:
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


def weighted_ratio(
    findings: Sequence[Finding],
    scored: Sequence[int],
    bonuses: Sequence[int],
    weights: dict[str, Decimal],
) -> tuple[int, int] | None:
    """0–100 from the score rules' findings at `scored` by group weight plus the
    bonuses' at `bonuses`, capped at 100, as the integer ratio (numerator,
    denominator > 0); None when there is nothing to score. A group whose score rules
    all do not apply is left out and the other weights count in its place (scaled to
    add up to 100), as a rule that does not apply is left out of an unweighted score:
    it judges nothing, so it costs nothing. (`Scorer` sums the unweighted score
    itself, in one pass.)"""
    inapplicable = Status.NOT_APPLICABLE
    counted = [
        f for f in map(findings.__getitem__, scored) if f.status is not inapplicable
    ]
    bonus_num, bonus_den = _sum([findings[i].points for i in bonuses])
    if not counted:
        if not bonuses:
            return None
        return (100, 1) if bonus_num > 100 * bonus_den else (bonus_num, bonus_den)
    num, den = 0, 1
    weighed_num, weighed_den = 0, 1  # the weights of the groups that count
    for group, weight in weights.items():
        in_group = [f for f in counted if f.group == group]
        top_num, top_den = _sum([f.max_points for f in in_group])
        if top_num:
            got_num, got_den = _sum([f.points for f in in_group])
            # weight · got / top, the weight a Decimal read exactly
            w_num, w_den = weight.as_integer_ratio()
            part_num, part_den = (
                w_num * got_num * top_den,
                w_den * got_den * top_num,
            )
            if part_den < 0:
                part_num, part_den = -part_num, -part_den
            num, den = num * part_den + part_num * den, den * part_den
            weighed_num, weighed_den = (
                weighed_num * w_den + w_num * weighed_den,
                weighed_den * w_den,
            )
    if weighed_num <= 0:  # no weighted group has a rule that applies
        return (100, 1) if bonus_num > 100 * bonus_den else (bonus_num, bonus_den)
    # × 100 / the weights that count (the same when every group counts)
    num, den = num * 100 * weighed_den, den * weighed_num
    return _capped(num, den, bonus_num, bonus_den)


def _capped(num: int, den: int, bonus_num: int, bonus_den: int) -> tuple[int, int]:
    """num/den + bonus_num/bonus_den (both denominators > 0) held within 0–100."""
    num, den = num * bonus_den + bonus_num * den, den * bonus_den
    if num < 0:
        return 0, 1
    if num > 100 * den:
        return 100, 1
    return num, den


class Scorer:
    """The score for one rule set's scored and bonus rules, read once: without group
    weights the sums are made in one pass of integer arithmetic over the findings."""

    def __init__(
        self,
        scored: Sequence[int],
        bonuses: Sequence[int],
        weights: dict[str, Decimal] | None,
    ) -> None:
        self.scored = tuple(scored)
        self.bonuses = tuple(bonuses)
        self.weights = weights

    @classmethod
    def for_kinds(
        cls,
        kinds: Sequence[Any],  # screening.kinds.RuleKind
        weights: dict[str, Decimal] | None,
    ) -> Scorer:
        """The scorer of a rule set whose rules, in order, are of `kinds` (their
        `scored` and `bonus` flags): what the decision and a remedy's rise both use."""
        return cls(
            [index for index, kind in enumerate(kinds) if kind.scored],
            [index for index, kind in enumerate(kinds) if kind.bonus],
            weights,
        )

    def ratio(self, findings: Sequence[Finding]) -> tuple[int, int] | None:
        """The score of one project's findings as (numerator, denominator > 0), or None."""
        if self.weights:
            return weighted_ratio(findings, self.scored, self.bonuses, self.weights)
        inapplicable = _NOT_APPLICABLE
        top_num, top_den, got_num, got_den = 0, 1, 0, 1
        counted = False
        for index in self.scored:
            finding = findings[index]
            if finding.status is inapplicable:
                continue
            counted = True
            top, got = finding.max_points, finding.points
            if type(top) is int:
                top_num += top * top_den
            elif top is not None:
                a, b = top.as_integer_ratio()
                top_num, top_den = top_num * b + a * top_den, top_den * b
            if type(got) is int:
                got_num += got * got_den
            elif got is not None:
                a, b = got.as_integer_ratio()
                got_num, got_den = got_num * b + a * got_den, got_den * b
        bonus_num, bonus_den = 0, 1
        for index in self.bonuses:
            got = findings[index].points
            if type(got) is int:
                bonus_num += got * bonus_den
            elif got is not None:
                a, b = got.as_integer_ratio()
                bonus_num, bonus_den = bonus_num * b + a * bonus_den, bonus_den * b
        if not counted:
            if not self.bonuses:
                return None
            return (100, 1) if bonus_num > 100 * bonus_den else (bonus_num, bonus_den)
        # 100 · got / top + bonus, as one ratio
        if top_num:
            num, den = 100 * got_num * top_den, got_den * top_num
            if den < 0:
                num, den = -num, -den
        else:
            num, den = 0, 1
        return _capped(num, den, bonus_num, bonus_den)

    def rise(self, findings: Sequence[Finding], index: int, more: Points) -> Points:
        """How much the 0–100 score rises when the finding at `index` earns `more`
        points (a score remedy's gain): on the score's own scale, weights, the rules
        that apply and the cap at 100 counted, exactly. `more` itself (the same
        object) when the rules' points are the score: unweighted, the applicable
        rules' most points adding up to 100, and the cap not reached."""
        if not self.weights and self._on_scale(findings, more):
            return more
        before = self.ratio(findings)
        finding = findings[index]
        raised = list(findings)
        raised[index] = finding._replace(points=(finding.points or 0) + more)
        after = self.ratio(raised)
        if before is None or after is None:
            return 0
        return Fraction(*after) - Fraction(*before)

    def _on_scale(self, findings: Sequence[Finding], more: Points) -> bool:
        """Whether, unweighted, a point of a rule is a point of the score for this
        raise: the applicable score rules' most points add up to 100, the score is not
        below 0 and `more` more does not pass the cap (sums as integer ratios)."""
        top_num, top_den = 0, 1
        got_num, got_den = 0, 1
        inapplicable = _NOT_APPLICABLE
        for at in self.scored:
            finding = findings[at]
            if finding.status is inapplicable:
                continue
            top_num, top_den = _plus(top_num, top_den, finding.max_points)
            got_num, got_den = _plus(got_num, got_den, finding.points)
        if top_num != 100 * top_den:
            return False
        for at in self.bonuses:
            got_num, got_den = _plus(got_num, got_den, findings[at].points)
        if got_num < 0:
            return False
        raised_num, raised_den = _plus(got_num, got_den, more)
        return raised_num <= 100 * raised_den


def _plus(num: int, den: int, value: Points | None) -> tuple[int, int]:
    """num/den + value (None: nothing), as an integer ratio with den > 0."""
    if value is None:
        return num, den
    if type(value) is int:
        return num + value * den, den
    a, b = value.as_integer_ratio()
    return num * b + a * den, den * b


_NOT_APPLICABLE = Status.NOT_APPLICABLE
