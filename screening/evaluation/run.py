"""Two passes over a population: measure every firm, then score, rank and class them.

Rank classes need the whole population, so the firms measured in pass 1 are
spilled to an unnamed temporary file (gone when the run ends, even if killed),
and memory holds only what ranking needs: one exact score per rated firm and a
few small integers. Pass 2 reads the spill once to score; the output pass reads
it again in rank order. Every row ends as rated, not rated or invalid.
"""

from __future__ import annotations

import pickle
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

from screening.errors import Diagnostic, SourceSpan
from screening.evaluation.evaluate import Measured, Scored, measure, score
from screening.evaluation.fields import DERIVED_FROM
from screening.evaluation.firms import FirmRow, read_firms
from screening.evaluation.population import Accumulator, Given, PreviousStats, benchmark
from screening.evaluation.ranking import Ranked, rank
from screening.evaluation.results import (
    BadRow,
    Counts,
    FirmResult,
    Histogram,
    Previous,
    TrackSummary,
)
from screening.evaluation.scheme import Scheme, TrackDef
from screening.expr.nodes import names

HISTOGRAM_BINS = 20  # at most; bins are 10 points wide unless the range needs wider


@dataclass
class PreviousYear:
    """Last year's evaluation, as far as it is known: results by firm, statistics."""

    source: str | None = None
    results: dict[str, Previous] = field(default_factory=dict)
    statistics: dict[tuple[str, str], Any] = field(default_factory=dict)


@dataclass
class _TrackState:
    """A track during the run: its rated firms by position, and what ranking needs."""

    track: TrackDef
    seqs: array[int] = field(
        default_factory=lambda: array("q")
    )  # rated firms, by position
    not_rated: list[tuple[str, int]] = field(default_factory=list)  # (firm id, seq)
    accumulators: list[Accumulator] = field(default_factory=list)
    unrated: tuple[str, str] | None = (
        None  # (reason, indicator) when no firm can be rated
    )
    ranked: Ranked | None = None
    overrides: array[int] = field(default_factory=lambda: array("b"))  # by position
    previous: array[int] = field(
        default_factory=lambda: array("b")
    )  # last year's class index
    summary: TrackSummary | None = None


class _Spill:
    """Measured firms on disk, read back by sequence number."""

    def __init__(self) -> None:
        self.file: IO[bytes] = (
            tempfile.TemporaryFile()
        )  # unnamed: nothing is left behind
        self.offsets = array("q")
        self._end = 0

    def add(self, firm: Measured) -> None:
        data = pickle.dumps(tuple(firm), pickle.HIGHEST_PROTOCOL)
        self.offsets.append(self._end)
        self.file.write(data)
        self._end += len(data)

    def get(self, seq: int) -> Measured:
        self.file.flush()
        self.file.seek(self.offsets[seq])
        return Measured(*pickle.load(self.file))

    def sequential(self) -> Iterator[Measured]:
        self.file.flush()
        self.file.seek(0)
        for _ in range(len(self.offsets)):
            yield Measured(*pickle.load(self.file))

    def close(self) -> None:
        self.file.close()


class Evaluation:
    """A finished evaluation: counts, per-track summaries, bad rows, and its firms."""

    def __init__(
        self,
        scheme: Scheme,
        year: int,
        source: str,
        states: list[_TrackState],
        spill: _Spill,
        no_track: list[tuple[str, int]],
        counts: Counts,
        errors: list[BadRow],
        skipped: list[BadRow],
        warnings: list[Diagnostic],
        previous: PreviousYear,
        benchmarks_given: Given,
    ) -> None:
        self.scheme = scheme
        self.year = year
        self.source = source
        self.counts = counts
        self.errors = errors
        self.skipped = skipped
        self.warnings = warnings
        self.previous = previous
        self.benchmarks_given = benchmarks_given
        self.tracks = [state.summary for state in states]
        self._states = states
        self._spill = spill
        self._no_track = no_track
        self.absent: frozenset[str] = frozenset()  # fields no column of the input holds
        self.promises: Mapping[str, Any] = {}
        self.promise_check: Any = (
            None  # a callable (firm record, result) → PromiseCheck
        )

    def firms(self) -> Iterator[FirmResult]:
        """Every valid firm: each track's rated firms by rank (ties by id), then not rated."""
        for state in self._states:
            yield from self._rated(state)
            for _, seq in state.not_rated:
                yield self._unrated(self._spill.get(seq), state)
        for _, seq in self._no_track:
            yield self._unrated(self._spill.get(seq), None)

    def _rated(self, state: _TrackState) -> Iterator[FirmResult]:
        ranked, summary = state.ranked, state.summary
        if ranked is None or summary is None:
            return
        for start, end in ranked.groups:
            group = [
                (ranked.order[at], self._spill.get(state.seqs[ranked.order[at]]))
                for at in range(start, end)
            ]
            group.sort(key=lambda item: item[1].firm_id)
            for pos, firm in group:
                scored = self._score(state, firm)
                override = state.overrides[pos]
                ranked_class = ranked.classes[pos]
                item = self.scheme.overrides[override] if override >= 0 else None
                yield self._attach(
                    FirmResult(
                        firm,
                        state.track,
                        scored.points,
                        scored.bonus,
                        scored.deduction,
                        scored.score,
                        ranked.ranks[pos],
                        len(ranked.order),
                        ranked_class,
                        item.class_id if item else ranked_class,
                        ranked.rule,
                        item.id if item else None,
                        tied=end - start,
                    )
                )

    def _score(self, state: _TrackState, firm: Measured) -> Scored:
        summary = state.summary
        assert summary is not None
        scored = score(
            self.scheme,
            state.track,
            firm,
            [b.value if b else None for b in summary.benchmarks],
            summary.averages,
        )
        return scored

    def _unrated(self, firm: Measured, state: _TrackState | None) -> FirmResult:
        if state is not None and state.unrated is not None and firm.reason is None:
            firm = firm._replace(reason=state.unrated)
        return self._attach(FirmResult(firm, state.track if state else None))

    def _attach(self, result: FirmResult) -> FirmResult:
        previous = self.previous.results.get(result.firm_id)
        promise = None
        if self.promise_check is not None:
            record = self.promises.get(result.firm_id)
            if record is not None:
                promise = self.promise_check(record, result)
        if previous is None and promise is None:
            return result
        return FirmResult(
            **{**result.__dict__, "previous": previous, "promise": promise}
        )

    def close(self) -> None:
        """Remove the spill file."""
        self._spill.close()

    def __enter__(self) -> Evaluation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def evaluate_file(
    path: Path | str,
    scheme: Scheme,
    year: int,
    *,
    sheet: str | None = None,
    previous: PreviousYear | None = None,
    benchmarks: Given | None = None,
) -> Evaluation:
    """Read a firms spreadsheet and evaluate it (see `evaluate_rows`)."""
    table = read_firms(path, scheme.fields, sheet)
    try:
        ev = evaluate_rows(
            table,
            scheme,
            year,
            source=str(path),
            previous=previous,
            benchmarks=benchmarks,
            warnings=list(table.warnings),
        )
    finally:
        table.close()
    present = {column.field for column in table.columns}
    absent = {name for name in scheme.fields if name not in present}
    absent |= {name for name, source in DERIVED_FROM.items() if source in absent}
    ev.absent = frozenset(absent)
    ev.warnings.extend(_absent_conditions(scheme, ev.absent, str(path)))
    return ev


def _absent_conditions(
    scheme: Scheme, absent: frozenset[str], source: str
) -> list[Diagnostic]:
    """One warning per condition the input cannot decide for anyone: its column is missing."""
    out = []
    for kind, items in (
        ("exclusion", scheme.exclusions),
        ("adjustment", scheme.adjustments),
        ("override", scheme.overrides),
    ):
        for item in items:
            needed = sorted(names(item.when.node))
            if needed and absent.issuperset(needed):
                fields = [DERIVED_FROM.get(n, n) for n in needed]
                titles = "、".join(scheme.fields[n].zh for n in fields)
                out.append(
                    Diagnostic(
                        "COL",
                        f"输入表没有「{titles}」列：「{item.title.zh}」对所有企业按未适用处理 / "
                        f"no column for {', '.join(fields)}: this {kind} applies to no firm",
                        SourceSpan(source),
                        item.id,
                        "warning",
                    )
                )
    return out


def evaluate_rows(
    rows: Iterable[FirmRow],
    scheme: Scheme,
    year: int,
    *,
    source: str = "<rows>",
    previous: PreviousYear | None = None,
    benchmarks: Given | None = None,
    warnings: list[Diagnostic] | None = None,
) -> Evaluation:
    """Evaluate a population of firm rows with `scheme` for `year`."""
    previous = previous or PreviousYear()
    given = benchmarks or {}
    states = [
        _TrackState(track, accumulators=[Accumulator(ind) for ind in track.indicators])
        for track in scheme.tracks
    ]
    spill = _Spill()
    try:
        counts, errors, skipped, no_track = _measure_all(
            rows, scheme, year, states, spill
        )
        _unratable(states)
        _score_all(scheme, states, spill, previous.statistics, given, previous)
        for state in states:
            _summarise(scheme, state, spill, given)
    except BaseException:
        spill.close()
        raise
    counts.rated = sum(s.summary.rated for s in states if s.summary)
    counts.not_rated = sum(len(s.not_rated) for s in states) + len(no_track)
    return Evaluation(
        scheme,
        year,
        source,
        states,
        spill,
        no_track,
        counts,
        errors,
        skipped,
        warnings or [],
        previous,
        given,
    )


def _measure_all(
    rows: Iterable[FirmRow],
    scheme: Scheme,
    year: int,
    states: list[_TrackState],
    spill: _Spill,
) -> tuple[Counts, list[BadRow], list[BadRow], list[tuple[str, int]]]:
    counts = Counts()
    errors: list[BadRow] = []
    skipped: list[BadRow] = []
    no_track: list[tuple[str, int]] = []
    first_row: dict[str, int] = {}
    seq = 0
    for row in rows:
        if row.skipped is not None:
            counts.skipped += 1
            skipped.append(BadRow(row.source, row.number, None, row.skipped))
            continue
        counts.rows += 1
        if row.values is None:
            errors.append(BadRow(row.source, row.number, row.column, row.reason or ""))
            continue
        stated_year = row.values.get("year")
        if stated_year is not None and stated_year != year:
            errors.append(
                BadRow(
                    row.source,
                    row.number,
                    "年度",
                    f"年度 {stated_year} 与评价年度 {year} 不符 / the row is for another year",
                )
            )
            continue
        firm_id = row.firm_id
        if firm_id in first_row:
            errors.append(
                BadRow(
                    row.source,
                    row.number,
                    "统一社会信用代码" if "credit_code" in row.values else "企业名称",
                    f"与第 {first_row[firm_id]} 行为同一企业（{firm_id}）/ the same firm as row {first_row[firm_id]}",
                )
            )
            continue
        first_row[firm_id] = row.number
        firm = measure(scheme, seq, row.number, row.values, year)
        spill.add(firm)
        if firm.track < 0:
            no_track.append((firm.firm_id, seq))
        else:
            state = states[firm.track]
            if firm.reason is None:
                state.seqs.append(seq)
                for i, (value, accumulator) in enumerate(
                    zip(firm.values, state.accumulators)
                ):
                    if value is not None:
                        accumulator.add(value, firm.parts[i] if firm.parts else None)
            else:
                state.not_rated.append((firm.firm_id, seq))
        seq += 1
    counts.invalid = len(errors)
    return counts, errors, skipped, no_track


def _unratable(states: list[_TrackState]) -> None:
    """A track where no firm has an indicator scored by its average cannot rate anyone."""
    for state in states:
        for ind, accumulator in zip(state.track.indicators, state.accumulators):
            if ind.missing == "average" and accumulator.count == 0 and len(state.seqs):
                state.unrated = ("no_average", ind.id)
                break
        if state.unrated is not None:
            state.not_rated.extend(
                ("", seq) for seq in state.seqs
            )  # ids filled in below
            state.seqs = array("q")


def _score_all(
    scheme: Scheme,
    states: list[_TrackState],
    spill: _Spill,
    previous_stats: PreviousStats,
    given: Given,
    previous: PreviousYear,
) -> None:
    scores: list[list[Fraction]] = []
    ties: list[list[tuple[Fraction | None, ...]]] = []
    pending: list[
        list[tuple[int, tuple[int, ...]]]
    ] = []  # (position, indicators averaged)
    point_sums: list[list[Fraction]] = []
    point_counts: list[list[int]] = []
    positions: list[dict[int, int]] = []
    for state in states:
        summary = state.summary = TrackSummary(state.track)
        summary.statistics = [a.statistic() for a in state.accumulators]
        summary.benchmarks = [
            benchmark(state.track, ind, stat, previous_stats, given)
            if len(state.seqs)
            else None
            for ind, stat in zip(state.track.indicators, summary.statistics)
        ]
        scores.append([])
        ties.append([])
        pending.append([])
        point_sums.append([Fraction(0)] * len(state.track.indicators))
        point_counts.append([0] * len(state.track.indicators))
        positions.append({seq: pos for pos, seq in enumerate(state.seqs)})
    unrated_ids: dict[int, str] = {}
    for firm in spill.sequential():
        if firm.track < 0:
            continue
        index = firm.track
        state = states[index]
        position = positions[index].get(firm.seq)
        if position is None:
            unrated_ids[firm.seq] = firm.firm_id
            continue
        summary = state.summary
        assert summary is not None
        scored = score(
            scheme,
            state.track,
            firm,
            [b.value if b else None for b in summary.benchmarks],
            [None] * len(state.track.indicators),
        )
        averaged = []
        for i, points in enumerate(scored.points):
            if points.substituted == "average":
                averaged.append(i)
            elif points.substituted is None and points.points is not None:
                point_sums[index][i] += points.points
                point_counts[index][i] += 1
        partial = (
            sum((p.points for p in scored.points if p.points is not None), Fraction(0))
            + scored.bonus
            - scored.deduction
        )
        scores[index].append(partial)
        if averaged:
            pending[index].append((position, tuple(averaged)))
        if state.track.classes.tie_break:
            ties[index].append(
                tuple(
                    Fraction(*firm.values[i]) if firm.values[i] is not None else None
                    for i in state.track.classes.tie_break
                )
            )
        state.overrides.append(firm.override)
        last_year = previous.results.get(firm.firm_id)
        state.previous.append(
            _class_index(scheme, last_year.class_id if last_year else None)
        )
    for index, state in enumerate(states):
        summary = state.summary
        assert summary is not None
        summary.averages = [
            (total / n if n else None) if ind.missing == "average" else None
            for ind, total, n in zip(
                state.track.indicators, point_sums[index], point_counts[index]
            )
        ]
        for position, averaged in pending[index]:
            for i in averaged:
                scores[index][position] += summary.averages[i]  # type: ignore[operator]
        state.not_rated = sorted(
            (firm_id or unrated_ids.get(seq, ""), seq)
            for firm_id, seq in state.not_rated
        )
        summary.rated = len(state.seqs)
        summary.not_rated = len(state.not_rated)
        if state.seqs:
            state.ranked = rank(
                scores[index],
                ties[index] or None,
                state.track.classes,
                scheme.class_ids,
            )
            _classes(scheme, state, scores[index])


def _class_index(scheme: Scheme, class_id: str | None) -> int:
    ids = scheme.class_ids
    return ids.index(class_id) if class_id in ids else -1


def _classes(scheme: Scheme, state: _TrackState, scores: list[Fraction]) -> None:
    ranked, summary = state.ranked, state.summary
    assert ranked is not None and summary is not None
    summary.rule = ranked.rule
    summary.places = dict(ranked.places)
    ids = scheme.class_ids
    summary.ranked_counts = {c: 0 for c in ids}
    summary.counts = {c: 0 for c in ids}
    lows: dict[str, Fraction] = {}
    highs: dict[str, Fraction] = {}
    for pos, class_id in enumerate(ranked.classes):
        summary.ranked_counts[class_id] += 1
        override = state.overrides[pos]
        final = scheme.overrides[override].class_id if override >= 0 else class_id
        summary.counts[final] += 1  # type: ignore[index]
        before = state.previous[pos]
        if before < 0:
            summary.new += 1
        else:
            move = (ids[before], final)
            summary.movers[move] = summary.movers.get(move, 0) + 1  # type: ignore[index]
        value = scores[pos]
        if class_id not in lows or value < lows[class_id]:
            lows[class_id] = value
        if class_id not in highs or value > highs[class_id]:
            highs[class_id] = value
    summary.cutoffs = {c: (lows[c], highs[c]) for c in ids if c in lows}
    summary.histogram = _histogram(scores)


def _histogram(scores: list[Fraction]) -> Histogram:
    low, high = min(scores), max(scores)
    low_bin = (low // 10) * 10
    width = Fraction(10)
    while (high - low_bin) / width >= HISTOGRAM_BINS:
        width *= 2
    bins = int((high - low_bin) // width) + 1
    counts = [0] * bins
    for value in scores:
        counts[min(int((value - low_bin) // width), bins - 1)] += 1
    return Histogram(Fraction(low_bin), width, tuple(counts))


def _summarise(scheme: Scheme, state: _TrackState, spill: _Spill, given: Given) -> None:
    """What pulls the last class down, and movers against last year (needs final classes)."""
    ranked, summary = state.ranked, state.summary
    if ranked is None or summary is None:
        return
    last = scheme.class_ids[-1]
    short: dict[str, list[Any]] = {
        ind.id: [0, Fraction(0)] for ind in state.track.indicators
    }
    for pos, class_id in enumerate(ranked.classes):
        override = state.overrides[pos]
        final = scheme.overrides[override].class_id if override >= 0 else class_id
        if final != last:
            continue
        firm = spill.get(state.seqs[pos])
        scored = score(
            scheme,
            state.track,
            firm,
            [b.value if b else None for b in summary.benchmarks],
            summary.averages,
        )
        for points in scored.points:
            entry = short[points.indicator.id]
            if points.ratio is not None and points.ratio < 1:
                entry[0] += 1
            if points.points is not None:
                entry[1] += points.indicator.weight - points.points
    summary.shortfalls = {k: (v[0], v[1]) for k, v in short.items()}
