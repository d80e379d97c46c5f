"""A track's scores for ranking, exactly, as integers over one common denominator.

When every indicator of a track states its `decimals`, each value is k / 10^p,
so weight × min(value ÷ benchmark, cap) is an integer multiple of a constant and
a score is an integer over one denominator D for the whole track: ranking a
million firms is sorting integers, and a class threshold T is compared as
score ≥ T × D, still exactly. A track with an unrounded indicator is scored by
`evaluate.score` in Fractions. Both give the same scores (a property test checks
it); `evaluate.score` also gives the per-indicator detail the reports show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from screening.evaluation.evaluate import Measured, score
from screening.evaluation.scheme import Scheme, TrackDef

Score = int | Fraction


class _Term:
    """One indicator in units of 1/D: points of value k/10^p, its cap and floor."""

    __slots__ = ("coefficient", "cap_at", "cap_points", "floor_at", "floor_points")

    def __init__(
        self,
        coefficient: int,
        cap: tuple[int, int] | None,
        floor: tuple[int, int] | None,
    ) -> None:
        self.coefficient = coefficient  # points × D = coefficient × k
        self.cap_at, self.cap_points = (
            cap if cap else (None, 0)
        )  # k above cap_at: capped
        self.floor_at, self.floor_points = floor if floor else (None, 0)


class TrackScorer:
    """Scores of one track's rated firms: integers over `scale`, or Fractions (scale 1)."""

    def __init__(
        self, scheme: Scheme, track: TrackDef, benchmarks: Sequence[Fraction | None]
    ) -> None:
        self.scheme, self.track, self.benchmarks = scheme, track, list(benchmarks)
        self.integral = all(
            ind.decimals is not None and b is not None
            for ind, b in zip(track.indicators, benchmarks, strict=True)
        )
        self.scale = 1
        self.terms: list[_Term] = []
        if self.integral:
            self._integral()

    def _integral(self) -> None:
        track, scheme = self.track, self.scheme
        per_unit: list[Fraction] = []  # points of one unit of k (1 / 10^p)
        denominators: list[int] = []
        for ind, b in zip(track.indicators, self.benchmarks, strict=True):
            assert ind.decimals is not None and b is not None
            unit = ind.weight / (b * 10**ind.decimals)
            per_unit.append(unit)
            denominators.append(unit.denominator)
            for limit in (ind.cap, ind.floor):
                if limit is not None:
                    denominators.append((ind.weight * limit).denominator)
        for item in scheme.adjustments:
            denominators.append((item.points or Fraction(0)).denominator)
        for limit in (scheme.bonus_limit, scheme.deduction_limit):
            if limit is not None:
                denominators.append(limit.denominator)
        d = math.lcm(*denominators)
        self.scale = d
        for ind, b, unit in zip(
            track.indicators, self.benchmarks, per_unit, strict=True
        ):
            assert ind.decimals is not None and b is not None
            at = b * 10**ind.decimals  # value ÷ benchmark = k ÷ at
            # k is whole: k > cap × at ⟺ k > ⌊cap × at⌋, k < floor × at ⟺ k < ⌈floor × at⌉
            cap = (
                (math.floor(ind.cap * at), int(ind.weight * ind.cap * d))
                if ind.cap is not None
                else None
            )
            floor = (
                (math.ceil(ind.floor * at), int(ind.weight * ind.floor * d))
                if ind.floor is not None
                else None
            )
            self.terms.append(_Term(int(unit * d), cap, floor))
        self.adjustment_points = [int((a.points or 0) * d) for a in scheme.adjustments]
        self.bonus_limit = (
            int(scheme.bonus_limit * d) if scheme.bonus_limit is not None else None
        )
        self.deduction_limit = (
            int(scheme.deduction_limit * d)
            if scheme.deduction_limit is not None
            else None
        )

    def score(self, firm: Measured) -> tuple[Score, list[Score | None], list[int]]:
        """(score without averaged items, points per indicator, indicators to average).

        Points and score are in units of 1 / `scale`. An indicator whose value is
        missing and scored by the track's average has points None here.
        """
        if not self.integral:
            scored = score(
                self.scheme,
                self.track,
                firm,
                self.benchmarks,
                [None] * len(self.benchmarks),
            )
            points = [p.points for p in scored.points]
            total = sum((p for p in points if p is not None), Fraction(0))
            averaged = [
                i for i, p in enumerate(scored.points) if p.substituted == "average"
            ]
            return total + scored.bonus - scored.deduction, points, averaged  # type: ignore[return-value]
        total = 0
        points: list[Score | None] = []
        averaged: list[int] = []
        for i, (term, value) in enumerate(zip(self.terms, firm.values, strict=True)):
            if value is None:
                if self.track.indicators[i].missing == "average":
                    averaged.append(i)
                    points.append(None)
                else:
                    points.append(0)
                continue
            k = value[0]  # the denominator is 10^decimals
            if term.cap_at is not None and k > term.cap_at:
                got = term.cap_points
            elif term.floor_at is not None and k < term.floor_at:
                got = term.floor_points
            else:
                got = term.coefficient * k
            points.append(got)
            total += got
        if firm.adjustments:
            applied = [self.adjustment_points[i] for i in firm.adjustments]
            bonus = sum(p for p in applied if p > 0)
            deduction = -sum(p for p in applied if p < 0)
            if self.bonus_limit is not None:
                bonus = min(bonus, self.bonus_limit)
            if self.deduction_limit is not None:
                deduction = min(deduction, self.deduction_limit)
            total += bonus - deduction
        return total, points, averaged

    def below_benchmark(self, i: int, value: tuple[int, int]) -> bool:
        """Whether indicator `i`'s value (numerator, denominator) is below its benchmark."""
        b = self.benchmarks[i]
        assert b is not None
        num, den = value
        return num * b.denominator < b.numerator * den
