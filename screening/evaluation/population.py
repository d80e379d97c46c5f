"""A track's rated population: exact statistics of each indicator, and benchmarks from them.

Statistics are exact. A mean is taken over values rounded to the scheme's
`decimals` (the loader requires them), so its sum is a sum of integers; an
aggregate is Σ numerator ÷ Σ denominator (全区亩均税收 = Σ税收 ÷ Σ用地); a median of
an even count is the mean of the middle two. Memory per firm: one integer for a
mean, one value for a median, nothing for an aggregate.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from screening.errors import ScreeningError
from screening.evaluation.ranking import exact_sorted
from screening.evaluation.scheme import IndicatorDef, TrackDef


class EvaluationError(ScreeningError):
    """An evaluation cannot be carried out as the scheme states it (a benchmark is unknown)."""

    code = "EVA"


@dataclass(frozen=True)
class Statistic:
    """An indicator over the rated firms that have it: how many, and its statistics."""

    count: int
    mean: Fraction | None = None
    median: Fraction | None = None
    aggregate: Fraction | None = None


@dataclass(frozen=True)
class Benchmark:
    """The benchmark an indicator is scored against, and where it came from."""

    value: Fraction
    source: str  # fixed / mean / median / aggregate / previous_mean / previous_aggregate / given
    base: Fraction | None = None  # the statistic before the multiple
    multiple: Fraction = Fraction(1)


class Accumulator:
    """The statistics of one indicator of one track, gathered firm by firm."""

    def __init__(self, ind: IndicatorDef) -> None:
        self.ind = ind
        self.count = 0
        statistic = ind.benchmark.statistic or ""
        self.scale = 10**ind.decimals if ind.decimals is not None else None
        self.scaled_sum = (
            0  # Σ value × 10^decimals: an integer when decimals are stated
        )
        self.keeps_values = statistic == "median"
        self.scaled: array[int] | None = (
            array("q") if self.keeps_values and self.scale else None
        )
        self.values: list[Fraction] = []
        self.numerators: dict[
            int, int
        ] = {}  # denominator → Σ numerators: sums stay integer
        self.denominators: dict[int, int] = {}

    def add(
        self,
        value: tuple[int, int],
        parts: tuple[tuple[int, int], tuple[int, int]] | None,
    ) -> None:
        """One rated firm's value (numerator, denominator) and its aggregate parts."""
        self.count += 1
        num, den = value
        if self.scale is not None:
            whole = num * (
                self.scale // den
            )  # a rounded value's denominator divides 10^k
            self.scaled_sum += whole
            if self.scaled is not None:
                try:
                    self.scaled.append(whole)
                except OverflowError:  # beyond 64 bits: keep exact values instead
                    self.values = [Fraction(v, self.scale) for v in self.scaled]
                    self.scaled = None
            if self.scaled is None and self.keeps_values:
                self.values.append(Fraction(num, den))
        elif self.keeps_values:
            self.values.append(Fraction(num, den))
        if parts is not None:
            (an, ad), (bn, bd) = parts
            numerators, denominators = self.numerators, self.denominators
            numerators[ad] = numerators.get(ad, 0) + an
            denominators[bd] = denominators.get(bd, 0) + bn

    def add_column(self, values: list[Any], parts: list[Any] | None) -> None:
        """`add` for a column of firms: values as `batch.TrackFirms` holds them (k of
        k / 10^decimals, or (numerator, denominator)), None where a firm has none."""
        present = [v for v in values if v is not None]
        if not present:
            return
        if self.scale is None or self.keeps_values:  # kept one by one, as `add` does
            scale = self.scale
            for v in present:
                self.add(v if scale is None else (v, scale), None)
        else:
            self.count += len(present)
            self.scaled_sum += sum(present)
        if parts is not None:
            numerators, denominators = self.numerators, self.denominators
            for part in parts:
                if part is not None:
                    (an, ad), (bn, bd) = part
                    numerators[ad] = numerators.get(ad, 0) + an
                    denominators[bd] = denominators.get(bd, 0) + bn

    def statistic(self) -> Statistic:
        """The statistics of the values added so far."""
        if not self.count:
            return Statistic(0)
        mean = (
            Fraction(self.scaled_sum, self.scale * self.count) if self.scale else None
        )
        median = self._median() if self.keeps_values else None
        aggregate = None
        if self.numerators:
            denominator = _sum(self.denominators)
            if denominator != 0:
                aggregate = _sum(self.numerators) / denominator
        return Statistic(self.count, mean, median, aggregate)

    def _median(self) -> Fraction:
        if self.scaled is not None and self.scale is not None:
            ordered_ints = sorted(self.scaled)
            middle = len(ordered_ints) // 2
            if len(ordered_ints) % 2:
                return Fraction(ordered_ints[middle], self.scale)
            return Fraction(
                ordered_ints[middle - 1] + ordered_ints[middle], 2 * self.scale
            )
        ordered = exact_sorted(self.values)
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle]
        return (ordered[middle - 1] + ordered[middle]) / 2


def _sum(by_denominator: dict[int, int]) -> Fraction:
    return sum((Fraction(n, d) for d, n in by_denominator.items()), Fraction(0))


PreviousStats = Mapping[tuple[str, str], Statistic]  # (track, indicator) → last year's
Given = Mapping[
    tuple[str | None, str], Fraction
]  # (track or None, indicator) → stated value


def benchmark(
    track: TrackDef,
    ind: IndicatorDef,
    current: Statistic,
    previous: PreviousStats,
    given: Given,
) -> Benchmark | None:
    """The benchmark of one indicator; None when there is nothing to score against.

    A value given on the command line (`--benchmark`) replaces a statistic: it is
    how an office states a published average. EvaluationError when the scheme's
    benchmark cannot be known, or is not positive.
    """
    stated = given.get((track.id, ind.id), given.get((None, ind.id)))
    spec = ind.benchmark
    if spec.fixed is not None and stated is None:
        return Benchmark(Fraction(spec.fixed), "fixed")
    if stated is not None:
        found = Benchmark(stated, "given")
    else:
        statistic = spec.statistic or ""
        if statistic.startswith("previous_"):
            last = previous.get((track.id, ind.id))
            base = (
                getattr(last, statistic.removeprefix("previous_"), None)
                if last
                else None
            )
            if base is None:
                raise EvaluationError(
                    f"{track.id}.{ind.id}：基准为上年{_STAT_ZH[statistic]}，但未提供上年数据 —— "
                    "用 --previous 给出上年评价结果（本工具输出的 JSON/JSONL），"
                    "用 --previous-figures 给出上年企业数据，或用 "
                    f"--benchmark {ind.id}=数值 写明 / the benchmark is last year's "
                    f"{statistic.removeprefix('previous_')}: give --previous, "
                    "--previous-figures or --benchmark"
                )
        else:
            base = getattr(current, statistic)
            if base is None:
                return None  # no rated firm has the value: nothing is scored against it
        found = Benchmark(base * ind.multiple, statistic, base, ind.multiple)
    if found.value <= 0:
        raise EvaluationError(
            f"{track.id}.{ind.id}：基准值为 {found.value}，不能据以计分（应大于 0）/ "
            "the benchmark is not positive"
        )
    return found


_STAT_ZH = {"previous_mean": "均值", "previous_aggregate": "总量比（如 Σ税收 ÷ Σ用地）"}
