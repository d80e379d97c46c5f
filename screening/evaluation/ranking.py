"""Exact ordering of a track's scores, competition ranks, and classes by rule.

Sorting a million Fractions by comparison is slow; floats sort fast. Rounding to
a float is monotone (a < b ⇒ float(a) ≤ float(b)), so sorting by the float and
then re-sorting exactly every run of equal floats gives the exact order: floats
only speed the sort, they never decide it.

Classes by rank share: with N rated firms, class k takes the places up to
count(share_k × N), where `count` is the scheme's floor / ceil / half_up. A group
of equal scores (after the scheme's tie-break indicators) that straddles a
boundary takes the class of its first place (`ties: better`) or of its last
(`ties: worse`), so input order never decides a class. Fewer rated firms than
`small_population.below`: classed by the fallback thresholds, or all in one class.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import compress, pairwise
from operator import ne
from typing import Any

from screening.evaluation.scheme import ClassRule


def _float(value: Fraction | int) -> float:
    try:
        if type(value) is int:
            return float(value)
        return value.numerator / value.denominator  # correctly rounded
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def exact_sorted(values: Sequence[Fraction]) -> list[Fraction]:
    """`values` in increasing order, exactly."""
    return [values[i] for i in exact_order(values, lambda i: values[i])]


def exact_order(
    values: Sequence[Any],
    exact_key: Callable[[int], Any],
    descending: bool = False,
) -> array[int]:
    """Positions of `values` in order (by float, runs of equal floats by `exact_key`)."""
    floats = array("d", map(_float, values))
    order = sorted(range(len(values)), key=floats.__getitem__, reverse=descending)
    start = 0
    while start < len(order):
        end = start + 1
        first = floats[order[start]]
        while end < len(order) and floats[order[end]] == first:
            end += 1
        if end - start > 1:
            order[start:end] = sorted(
                order[start:end], key=exact_key, reverse=descending
            )
        start = end
    return array("q", order)


@dataclass(frozen=True)
class Ranked:
    """A track's rated firms in rank order, with ranks, tie groups and classes."""

    order: array[int]  # positions (into the track's firms), best first
    ranks: array[int]  # by position: competition rank (1, 2, 2, 4)
    starts: array[
        int
    ]  # where each group of equal keys starts in `order`, then len(order)
    classes: list[str]  # by position: the class the rule gives
    rule: str  # score / rank_share / small_population
    places: dict[str, int]  # by rank share: the cumulative places each class reaches

    @property
    def groups(self) -> Iterator[tuple[int, int]]:
        """[start, end) slices of `order` holding equal keys, best first."""
        starts = self.starts
        return ((starts[i], starts[i + 1]) for i in range(len(starts) - 1))


def rank(
    scores: Sequence[Any],
    tie_values: Sequence[tuple[Any, ...]] | None,
    rule: ClassRule,
    class_ids: Sequence[str],
    scale: int = 1,
) -> Ranked:
    """Order, rank and class a track's rated firms.

    `scores` by position are exact (ints or Fractions) in units of 1 / `scale`;
    `tie_values` hold each firm's tie-break indicator values (None: missing).
    """
    n = len(scores)

    def full_key(i: int) -> tuple[Any, ...]:
        # higher scores first, then higher tie-break values; a missing one ranks last
        extra = tie_values[i] if tie_values else ()
        return (scores[i], *((v is not None, v if v is not None else 0) for v in extra))

    if not tie_values and set(map(type, scores)) <= {int}:
        # integers sort exactly and fast; stable, as exact_order leaves equal keys
        order = array("q", sorted(range(n), key=scores.__getitem__, reverse=True))
        ranked = list(map(scores.__getitem__, order))
        starts = array("q", [0] if n else [])
        starts.extend(compress(range(1, n), map(ne, ranked[1:], ranked)))
        starts.append(n)
    else:
        order = exact_order(scores, full_key, descending=True)
        starts = _starts(scores, order, full_key if tie_values else None)
    ranks = array("q", bytes(8 * n))
    for g in range(len(starts) - 1):
        for place in range(starts[g], starts[g + 1]):
            ranks[order[place]] = starts[g] + 1
    classes = [""] * n
    places: dict[str, int] = {}
    if rule.by == "score" or (rule.small_below is not None and n < rule.small_below):
        thresholds = rule.thresholds if rule.by == "score" else rule.small_thresholds
        # in the scores' units; an integral bound compares as a plain int (fast)
        scaled = [(c, _plain(least * scale)) for c, least in thresholds]
        used = "score" if rule.by == "score" else "small_population"
        single = rule.small_class if rule.by != "score" else None
        if single:
            classes = [single] * n
        elif all(a[1] > b[1] for a, b in pairwise(scaled)):
            # the least scores fall class by class: the class falls along the order
            k, last = 0, len(scaled)
            for pos in order:
                value = scores[pos]
                while k < last and value < scaled[k][1]:
                    k += 1
                classes[pos] = scaled[k][0] if k < last else rule.last
        else:
            for i in range(n):
                classes[i] = by_threshold(scores[i], scaled, rule.last)
        return Ranked(order, ranks, starts, classes, used, places)
    places = {c: _count(share * n, rule.count or "floor") for c, share in rule.upper}
    bounds = [(places[c], c) for c, _ in rule.upper]
    for g in range(len(starts) - 1):
        start, end = starts[g], starts[g + 1]
        place = start + 1 if rule.ties == "better" else end  # 1-based
        class_id = next((c for bound, c in bounds if place <= bound), rule.last)
        for at in range(start, end):
            classes[order[at]] = class_id
    return Ranked(order, ranks, starts, classes, "rank_share", places)


def _starts(
    scores: Sequence[Any],
    order: array[int],
    full_key: Callable[[int], tuple[Any, ...]] | None,
) -> array[int]:
    """Where each group of equal keys starts in `order`, then len(order)."""
    n = len(order)
    starts = array("q")
    start = 0
    while start < n:
        starts.append(start)
        end = start + 1
        first = scores[order[start]]
        if full_key is not None:
            key = full_key(order[start])
            while (
                end < n and scores[order[end]] == first and full_key(order[end]) == key
            ):
                end += 1
        else:
            while end < n and scores[order[end]] == first:
                end += 1
        start = end
    starts.append(n)
    return starts


def by_threshold(
    score: Fraction | int,
    thresholds: Sequence[tuple[str, Fraction | int]],
    last: str,
) -> str:
    """The first class whose least score the firm reaches (≥), else the last class."""
    for class_id, least in thresholds:
        if score >= least:
            return class_id
    return last


def _plain(value: Fraction) -> Fraction | int:
    return value.numerator if value.denominator == 1 else value


def _count(places: Fraction, how: str) -> int:
    if how == "floor":
        return math.floor(places)
    if how == "ceil":
        return math.ceil(places)
    return math.floor(places + Fraction(1, 2))  # half_up
