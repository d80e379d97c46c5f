"""A loaded evaluation scheme: typed expressions, exact figures, where each was defined.

Built by `screening.evaluation.loader` from a validated `SchemeFile`; everything
the evaluation needs is here as exact rationals and compiled expressions, so the
evaluation never goes back to the YAML.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from screening.errors import SourceSpan
from screening.evaluation import model as spec
from screening.evaluation.fields import FirmField
from screening.expr import nodes as n
from screening.expr.evaluate import Evaluator
from screening.model.ruleset import LocalText


@dataclass(frozen=True)
class Expr:
    """An expression as written, its typed tree and its exact evaluator."""

    text: str
    node: n.Node
    run: Evaluator
    span: SourceSpan
    # a condition's truth from a firm's values (`screening.evaluation.fast`); None for numbers
    test: Callable[[Mapping[str, Any]], Any] | None = None


@dataclass(frozen=True)
class IndicatorDef:
    """One indicator of a track, with its figures as exact rationals."""

    id: str
    title: LocalText
    unit: str  # as the scheme writes it (万元/亩)
    weight: Fraction
    decimals: int | None
    benchmark: spec.Benchmark
    multiple: Fraction
    cap: Fraction | None
    floor: Fraction | None
    missing: str  # not_rated / zero / average
    expr: Expr
    numerator: Expr | None  # for an aggregate benchmark: Σ numerator ÷ Σ denominator
    denominator: Expr | None
    basis: str | None
    note: str | None
    span: SourceSpan
    # the value, rounded to `decimals`, as an integer ratio from a firm's values
    value_of: Callable[[Mapping[str, Any]], tuple[int, int]] | None = None


@dataclass(frozen=True)
class ClassRule:
    """How a track's rated firms are put into classes."""

    by: str  # score / rank_share
    thresholds: tuple[tuple[str, Fraction], ...]  # by score: least score per class
    upper: tuple[tuple[str, Fraction], ...]  # by rank share: cumulative share (0–1)
    count: str | None  # floor / ceil / half_up
    ties: str | None  # better / worse
    tie_break: tuple[int, ...]  # positions of indicators in the track
    small_below: int | None
    small_thresholds: tuple[tuple[str, Fraction], ...]
    small_class: str | None
    last: str  # the class of everyone below the last threshold or share
    spec: spec.Classes


@dataclass(frozen=True)
class TrackDef:
    """A group of firms rated and ranked together."""

    id: str
    title: LocalText
    when: Expr | None
    indicators: tuple[IndicatorDef, ...]
    classes: ClassRule
    basis: str | None
    note: str | None


@dataclass(frozen=True)
class Condition:
    """An exclusion, adjustment or override: a condition and what it brings."""

    id: str
    title: LocalText
    when: Expr
    points: Fraction | None = None  # adjustments
    class_id: str | None = None  # overrides
    if_missing: str | None = None  # exclusions: rate / exclude
    basis: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Scheme:
    """Everything needed to evaluate a population and explain each firm's class."""

    id: str
    title: LocalText
    version: str
    basis: str
    note: str | None
    path: str
    sha256: str
    fields: dict[
        str, FirmField
    ]  # every input a row may hold: standard ones and the scheme's
    tracks: tuple[TrackDef, ...]
    exclusions: tuple[Condition, ...]
    adjustments: tuple[Condition, ...]
    bonus_limit: Fraction | None
    deduction_limit: Fraction | None
    overrides: tuple[Condition, ...]
    classes: tuple[spec.ClassLabel, ...]  # best first
    not_rated: LocalText
    promise_measures: tuple[spec.Measure, ...]
    source: Any  # the SchemeFile, for `rules show`-like listings

    @property
    def class_ids(self) -> tuple[str, ...]:
        """Class ids, best first."""
        return tuple(label.id for label in self.classes)

    def class_label(self, class_id: str) -> spec.ClassLabel:
        """The class with id `class_id`."""
        return next(label for label in self.classes if label.id == class_id)

    def needs_previous(self) -> list[tuple[str, str]]:
        """(track, indicator) pairs whose benchmark is a previous-year statistic."""
        return [
            (track.id, ind.id)
            for track in self.tracks
            for ind in track.indicators
            if (ind.benchmark.statistic or "").startswith("previous_")
        ]
