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
from typing import Any

from screening.evaluation.evaluate import Measured, score
from screening.evaluation.scheme import Scheme, TrackDef

Score = int | Fraction


class _Term:
    """One indicator in units of 1/D: points of value k/10^p, its cap and floor."""

    __slots__ = ("coefficient", "cap_at", "cap_points", "floor_at", "floor_points")
    coefficient: int
    cap_at: int | None
    cap_points: int
    floor_at: int | None
    floor_points: int

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
        self._by_mask: dict[int, int] = {}
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
            points: list[Score | None] = [p.points for p in scored.points]
            total: Score = sum((p for p in points if p is not None), Fraction(0))
            averaged = [
                i for i, p in enumerate(scored.points) if p.substituted == "average"
            ]
            return total + scored.bonus - scored.deduction, points, averaged
        total = 0
        points = []
        averaged = []
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
            total += self._net([self.adjustment_points[i] for i in firm.adjustments])
        return total, points, averaged

    def score_columns(
        self, size: int, values: list[list[Any]], adjustments: list[int] | None
    ) -> tuple[list[Score], list[list[Score | None]], list[tuple[int, list[int]]]]:
        """`score` for `size` firms given as columns (see `batch.TrackFirms`).

        `values` per indicator: k of k / 10^decimals (the value's numerator), or
        (numerator, denominator) without decimals, None for a gap; `adjustments` per
        firm a bit mask. Returns the scores, the points per indicator and
        (firm, indicators to average) — as `score` gives them firm by firm.
        """
        if not self.integral:
            return self._score_firms(size, values, adjustments)
        points = [self._points(i, column) for i, column in enumerate(values)]
        filled = [p if None not in p else [x or 0 for x in p] for p in points]
        totals = list(map(sum, zip(*filled, strict=True))) if filled else [0] * size
        if adjustments is not None and any(adjustments):
            adjusted = self._adjusted
            totals = [
                t + adjusted(m) if m else t
                for t, m in zip(totals, adjustments, strict=True)
            ]
        averaged: dict[int, list[int]] = {}
        for i, ind in enumerate(self.track.indicators):
            if ind.missing == "average" and None in values[i]:
                for k, value in enumerate(values[i]):
                    if value is None:
                        averaged.setdefault(k, []).append(i)
        return totals, points, sorted(averaged.items())  # type: ignore[return-value]

    def _points(self, i: int, column: list[Any]) -> list[Score | None]:
        if None in column:  # a gap scores 0, or None until the average is known
            gap = None if self.track.indicators[i].missing == "average" else 0
            got = self._points(i, [0 if k is None else k for k in column])
            return [gap if k is None else p for k, p in zip(column, got, strict=True)]
        term = self.terms[i]
        coefficient, cap_at, floor_at = term.coefficient, term.cap_at, term.floor_at
        cap, floor = term.cap_points, term.floor_points
        if cap_at is not None and floor_at is not None:
            return [
                cap if k > cap_at else floor if k < floor_at else coefficient * k
                for k in column
            ]
        if cap_at is not None:
            return [cap if k > cap_at else coefficient * k for k in column]
        if floor_at is not None:
            return [floor if k < floor_at else coefficient * k for k in column]
        return [coefficient * k for k in column]

    def _adjusted(self, mask: int) -> int:
        """Bonus − deduction, within their limits, of the adjustments in `mask`."""
        found = self._by_mask.get(mask)
        if found is None:
            found = self._by_mask[mask] = self._net(
                [p for j, p in enumerate(self.adjustment_points) if mask >> j & 1]
            )
        return found

    def _net(self, applied: list[int]) -> int:
        """Bonus − deduction of the adjustments `applied`, each within its limit."""
        bonus = sum(p for p in applied if p > 0)
        deduction = -sum(p for p in applied if p < 0)
        if self.bonus_limit is not None:
            bonus = min(bonus, self.bonus_limit)
        if self.deduction_limit is not None:
            deduction = min(deduction, self.deduction_limit)
        return bonus - deduction

    def _score_firms(
        self, size: int, values: list[list[Any]], adjustments: list[int] | None
    ) -> tuple[list[Score], list[list[Score | None]], list[tuple[int, list[int]]]]:
        # Fractions, firm by firm, through `score` (an indicator without decimals)
        scales = [
            10**ind.decimals if ind.decimals is not None else None
            for ind in self.track.indicators
        ]
        gaps = (None,) * len(scales)
        totals: list[Score] = []
        points: list[list[Score | None]] = [[] for _ in scales]
        averaged = []
        for k in range(size):
            firm_values = tuple(
                column[k] if scale is None or column[k] is None else (column[k], scale)
                for column, scale in zip(values, scales, strict=True)
            )
            mask = adjustments[k] if adjustments is not None else 0
            applied = tuple(
                j for j in range(len(self.scheme.adjustments)) if mask >> j & 1
            )
            firm = Measured(
                0, 0, "", "", 0, None, firm_values, gaps, applied, (), -1, ()
            )
            total, got, items = self.score(firm)
            totals.append(total)
            for column, p in zip(points, got, strict=True):
                column.append(p)
            if items:
                averaged.append((k, items))
        return totals, points, averaged

    def count_below(self, i: int, column: list[Any]) -> int:
        """How many of indicator `i`'s values (as in `score_columns`) are below its
        benchmark."""
        b = self.benchmarks[i]
        assert b is not None
        decimals = self.track.indicators[i].decimals
        if decimals is not None:  # k / 10^p < bn / bd ⟺ k × bd < bn × 10^p
            bd, limit = b.denominator, b.numerator * 10**decimals
            return sum(1 for k in column if k is not None and k * bd < limit)
        return sum(
            1
            for v in column
            if v is not None and v[0] * b.denominator < b.numerator * v[1]
        )

    def below_benchmark(self, i: int, value: tuple[int, int]) -> bool:
        """Whether indicator `i`'s value (numerator, denominator) is below its benchmark."""
        b = self.benchmarks[i]
        assert b is not None
        num, den = value
        return num * b.denominator < b.numerator * den
