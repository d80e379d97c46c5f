"""What an evaluation produces: frozen records per firm, per track and for the whole run.

Counts reconcile: rows = rated + not rated + invalid + skipped (totals rows).
Renderers (`report`, `xlsx`, `html`) read these; nothing here evaluates or renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from screening.evaluation.evaluate import Measured, Points
from screening.evaluation.population import Benchmark, Statistic
from screening.evaluation.scheme import TrackDef


@dataclass(frozen=True)
class BadRow:
    """A row that was not evaluated: where and why."""

    source: str
    row: int
    column: str | None
    reason: str


@dataclass(frozen=True)
class Previous:
    """A firm's result last year, as read from last year's evaluation."""

    class_id: str | None
    score: Fraction | None
    track: str | None = None


@dataclass(frozen=True)
class FirmResult:
    """One firm: rated with points, score, rank and class, or not rated and why."""

    measured: Measured
    track: TrackDef | None
    points: tuple[Points, ...] = ()
    bonus: Fraction = Fraction(0)
    deduction: Fraction = Fraction(0)
    score: Fraction | None = None
    rank: int | None = None
    of: int | None = None  # rated firms in the track
    ranked_class: str | None = None  # the class rule's verdict, before any override
    class_id: str | None = None  # the final class
    class_rule: str | None = None  # score / rank_share / small_population
    override: str | None = None  # the override id that set the class
    tied: int = 1  # firms sharing its score and tie-break values (itself included)
    previous: Previous | None = None
    promise: Any = None  # a promises.PromiseCheck when promises were given

    @property
    def firm_id(self) -> str:
        """The credit code, or the name."""
        return self.measured.firm_id

    @property
    def rated(self) -> bool:
        """Whether the firm was rated (has a class)."""
        return self.class_id is not None


@dataclass(frozen=True)
class Histogram:
    """Counts of scores in bins of equal width: [low, low + width), the last one closed."""

    low: Fraction
    width: Fraction
    counts: tuple[int, ...]


@dataclass
class TrackSummary:
    """One track's population: benchmarks, statistics, classes, cut-offs, histogram."""

    track: TrackDef
    rated: int = 0
    not_rated: int = 0
    statistics: list[Statistic] = field(default_factory=list)
    benchmarks: list[Benchmark | None] = field(default_factory=list)
    averages: list[Fraction | None] = field(
        default_factory=list
    )  # mean points per indicator
    rule: str | None = (
        None  # the class rule used: score / rank_share / small_population
    )
    places: dict[str, int] = field(
        default_factory=dict
    )  # rank shares → cumulative places
    ranked_counts: dict[str, int] = field(default_factory=dict)  # by the class rule
    counts: dict[str, int] = field(default_factory=dict)  # final, after overrides
    cutoffs: dict[str, tuple[Fraction, Fraction]] = field(
        default_factory=dict
    )  # class → (min, max)
    histogram: Histogram | None = None
    # the last class's firms: indicator id → (firms below benchmark, Σ points short of weight)
    shortfalls: dict[str, tuple[int, Fraction]] = field(default_factory=dict)
    movers: dict[tuple[str, str], int] = field(
        default_factory=dict
    )  # (last year, this year) → firms
    new: int = 0  # rated this year, not found last year


@dataclass
class Counts:
    """Rows in = rated + not rated + invalid + skipped (totals rows), as batch counts."""

    rows: int = 0
    rated: int = 0
    not_rated: int = 0
    invalid: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts by name, in a fixed order."""
        return {
            "rows": self.rows,
            "rated": self.rated,
            "not_rated": self.not_rated,
            "invalid": self.invalid,
            "skipped": self.skipped,
        }
