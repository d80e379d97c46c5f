"""The row-by-row evaluation as it was before the column path: the oracle for it.

A frozen copy of `screening.evaluation.run` at 7298972 (each row converted by its
cells' converters, measured by `evaluate.measure`, scored by `TrackScorer.score`),
kept in the tests only so the column path (`batch`, `cells`, `vector`,
`score_columns`) can be held to it, output for output.
"""

from __future__ import annotations

import marshal
import os
import tempfile
import unicodedata
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import IO, Any, NamedTuple

from screening.errors import Diagnostic, SourceSpan
from screening.evaluation.batch import outcome_of_row
from screening.evaluation.evaluate import Measured, Scored, score
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
from screening.evaluation.scorer import Score, TrackScorer
from screening.expr.nodes import names

HISTOGRAM_BINS = 20

# What pass 1 makes of a row (see screening.evaluation.parallel.outcome_of):
# ("skip", source, row, reason) · ("bad", source, row, column, reason) ·
# ("firm", source, row, identity column, Measured as a tuple)
Outcome = tuple[
    Any, ...
]  # at most; bins are 10 points wide unless the range needs wider


@dataclass
class PreviousYear:
    """Last year's evaluation, as far as it is known: results by firm, statistics."""

    source: str | None = None
    results: dict[str, Previous] = field(default_factory=dict)
    statistics: dict[tuple[str, str], Any] = field(default_factory=dict)


def fold_name(name: str) -> str:
    """A firm name as compared: full-width forms and spaces folded (甲公司 = 甲 公司)."""
    return "".join(unicodedata.normalize("NFKC", name).split()).lower()


class Placed(NamedTuple):
    """A rated firm's place in its track: rank, final class and exact score."""

    firm_id: str
    name: str
    track: str
    rank: int
    of: int
    class_id: str | None
    score: Fraction


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
    """Measured firms on disk (marshalled tuples), read back in order or by sequence number.

    Read with pread, not mapped: mapped pages would count in the run's resident memory.
    """

    def __init__(self) -> None:
        # unnamed: nothing is left behind, even by a killed run
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.offsets = array("q", [0])  # record i is bytes offsets[i]:offsets[i + 1]

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def add(self, firm: tuple[Any, ...], slot: int) -> None:
        """Append a measured firm (as a tuple) as record `slot` (its sequence number)."""
        data = marshal.dumps((slot, *firm[1:]))
        self.file.write(data)
        self.offsets.append(self.offsets[-1] + len(data))

    def get(self, seq: int) -> Measured:
        self.file.flush()
        start = self.offsets[seq]
        data = os.pread(self.file.fileno(), self.offsets[seq + 1] - start, start)
        return Measured(*marshal.loads(data))

    def sequential(self) -> Iterator[Measured]:
        self.file.flush()
        offsets, loads, fd = self.offsets, marshal.loads, self.file.fileno()
        block, base, i, n = b"", 0, 0, len(self)
        while i < n:
            if offsets[i + 1] > base + len(block):  # read the next megabyte of records
                base = offsets[i]
                block = os.pread(fd, max(_BLOCK, offsets[i + 1] - base), base)
            yield Measured(*loads(block[offsets[i] - base : offsets[i + 1] - base]))
            i += 1

    def close(self) -> None:
        self.file.close()


_BLOCK = 1 << 20


class _Seen:
    """Firm ids already read, and their rows: an open-addressing table of 64-bit hashes.

    Eight bytes a slot instead of a dict's hundred or so a string key; a hash seen
    before is checked against the id stored in the spill, so no firm is mistaken
    for another.
    """

    def __init__(self, spill: _Spill) -> None:
        self.spill = spill
        self.hashes = array("q", [0]) * 1024
        self.slots = array("q", [-1]) * 1024
        self.rows = array("q")  # by slot: the row number the firm was read from
        self.used = 0

    def first(self, firm_id: str) -> int | None:
        """The row the id was first read from, or None (the caller then `add`s it)."""
        mask = len(self.hashes) - 1
        key = hash(firm_id)
        at = key & mask
        while self.slots[at] >= 0:
            if self.hashes[at] == key:
                slot = self.slots[at]
                if self.spill.get(slot).firm_id == firm_id:
                    return self.rows[slot]
            at = (at + 1) & mask
        return None

    def add(self, firm_id: str, slot: int, row: int) -> None:
        """Record the id of spill record `slot`, read from `row`."""
        self.rows.append(row)
        if (self.used + 1) * 2 > len(self.hashes):
            self._grow()
        mask = len(self.hashes) - 1
        key = hash(firm_id)
        at = key & mask
        while self.slots[at] >= 0:
            at = (at + 1) & mask
        self.hashes[at], self.slots[at] = key, slot
        self.used += 1

    def _grow(self) -> None:
        hashes, slots = self.hashes, self.slots
        self.hashes = array("q", [0]) * (2 * len(hashes))
        self.slots = array("q", [-1]) * (2 * len(slots))
        mask = len(self.hashes) - 1
        for key, slot in zip(hashes, slots, strict=True):
            if slot >= 0:
                at = key & mask
                while self.slots[at] >= 0:
                    at = (at + 1) & mask
                self.hashes[at], self.slots[at] = key, slot


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
        self.promises: Mapping[str, Any] = {}  # key → PromiseRecord
        self.promised: set[str] = (
            set()
        )  # keys of the records matched to an evaluated firm
        self._by_name: dict[str, str] | None = None
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

    def class_list(self) -> Iterator[Placed]:
        """Each rated firm's place, in the order of `firms` — without the per-indicator
        detail, so a million firms are listed in seconds."""
        overrides = self.scheme.overrides
        for state in self._states:
            ranked = state.ranked
            if ranked is None:
                continue
            of = len(ranked.order)
            for start, end in ranked.groups:
                for pos, firm in self._group(state, ranked, start, end):
                    override = state.overrides[pos]
                    final = (
                        overrides[override].class_id
                        if override >= 0
                        else ranked.classes[pos]
                    )
                    score = Fraction(state.scores[pos]) / state.scale
                    yield Placed(
                        firm.firm_id,
                        firm.name,
                        state.track.id,
                        ranked.ranks[pos],
                        of,
                        final,
                        score,
                    )

    def _group(
        self, state: _TrackState, ranked: Ranked, start: int, end: int
    ) -> Iterator[tuple[int, Measured]]:
        """A group of equal keys by firm id: (position, record), read as they are needed.

        A group can hold a large share of a population (every firm at the cap of every
        indicator): only the ids are held while it is sorted.
        """
        spill, seqs, order = self._spill, state.seqs, ranked.order
        if end - start == 1:
            yield order[start], spill.get(seqs[order[start]])
            return
        ids = sorted(
            (spill.get(seqs[order[at]]).firm_id, order[at]) for at in range(start, end)
        )
        for _, pos in ids:
            yield pos, spill.get(seqs[pos])

    def _rated(self, state: _TrackState) -> Iterator[FirmResult]:
        ranked, summary = state.ranked, state.summary
        if ranked is None or summary is None:
            return
        for start, end in ranked.groups:
            for pos, firm in self._group(state, ranked, start, end):
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
            key = self.promise_key(result.firm_id, result.measured.name)
            if key is not None:
                self.promised.add(key)
                promise = self.promise_check(self.promises[key], result)
        if previous is None and promise is None:
            return result
        return FirmResult(
            **{**result.__dict__, "previous": previous, "promise": promise}
        )

    def promise_key(self, firm_id: str, name: str) -> str | None:
        """The key of the firm's promise record: by credit code, else by folded name."""
        if firm_id in self.promises:
            return firm_id
        if self._by_name is None:
            self._by_name = {
                fold_name(r.name or k): k for k, r in self.promises.items()
            }
        return self._by_name.get(fold_name(name)) if name else None

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
    jobs: int = 1,
) -> Evaluation:
    """Read a firms spreadsheet and evaluate it (see `evaluate_rows`).

    With `jobs` > 1 and a large input, rows are read and measured by that many
    worker processes (`screening.evaluation.parallel`); results are the same.
    """
    table = read_firms(path, scheme.fields, sheet)
    try:
        ev = _evaluate(
            _outcomes(table, scheme, year),
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


def _outcomes(table: Any, scheme: Scheme, year: int) -> Iterator[Outcome]:
    """Every row's outcome in input order, in this process (the old `parallel`); the
    table's rows one by one, totals rows asked row by row (`FirmTable`)."""
    for row in table:
        yield outcome_of_row(row, scheme, year)


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
    items = (outcome_of_row(row, scheme, year) for row in rows)
    return _evaluate(
        items,
        scheme,
        year,
        source=source,
        previous=previous,
        benchmarks=benchmarks,
        warnings=warnings,
    )


def _evaluate(
    items: Iterable[Outcome],
    scheme: Scheme,
    year: int,
    *,
    source: str,
    previous: PreviousYear | None,
    benchmarks: Given | None,
    warnings: list[Diagnostic] | None,
) -> Evaluation:
    previous = previous or PreviousYear()
    given = benchmarks or {}
    states = [
        _TrackState(track, accumulators=[Accumulator(ind) for ind in track.indicators])
        for track in scheme.tracks
    ]
    spill = _Spill()
    try:
        counts, errors, skipped, no_track = _measure_all(items, states, spill)
        _unratable(states)
        _score_all(scheme, states, spill, previous.statistics, given, previous)
        for state in states:
            _summarise(scheme, state, spill, given)
    except BaseException:
        spill.close()
        raise
    no_track.sort()  # by firm id, as every other list of firms: input order never shows
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
    items: Iterable[Outcome], states: list[_TrackState], spill: _Spill
) -> tuple[Counts, list[BadRow], list[BadRow], list[tuple[str, int]]]:
    counts = Counts()
    errors: list[BadRow] = []
    skipped: list[BadRow] = []
    no_track: list[tuple[str, int]] = []
    seen = _Seen(spill)
    for item in items:
        kind = item[0]
        counts.rows += 1
        if kind == "skip":
            counts.skipped += 1
            skipped.append(BadRow(*item[1:]))  # type: ignore[arg-type]
            continue
        if kind == "bad":
            errors.append(BadRow(*item[1:]))  # type: ignore[arg-type]
            continue
        _, source, number, column, firm = item
        firm_id = firm[2]
        first = seen.first(firm_id)
        if first is not None:
            reason = (
                f"与第 {first} 行为同一企业（{firm_id}）/ the same firm as row {first}"
            )
            errors.append(BadRow(source, number, column, reason))
            continue
        slot = len(spill)
        spill.add(firm, slot)
        seen.add(firm_id, slot, number)
        track, reason, values, parts = firm[4], firm[5], firm[6], firm[12]
        if track < 0:
            no_track.append((firm_id, slot))
        else:
            state = states[track]
            if reason is None:
                state.seqs.append(slot)
                for i, (value, accumulator) in enumerate(
                    zip(values, state.accumulators, strict=True)
                ):
                    if value is not None:
                        accumulator.add(value, parts[i] if parts else None)
            else:
                state.not_rated.append((firm_id, slot))
    counts.invalid = len(errors)
    return counts, errors, skipped, no_track


def _unratable(states: list[_TrackState]) -> None:
    """A track where no firm has an indicator scored by its average cannot rate anyone."""
    for state in states:
        for ind, accumulator in zip(
            state.track.indicators, state.accumulators, strict=True
        ):
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
    scorers: list[TrackScorer | None] = []
    scores: list[list[Score]] = []
    ties: list[list[tuple[Any, ...]]] = []
    pending: list[list[tuple[int, list[int]]]] = []  # (position, indicators averaged)
    point_sums: list[list[Score]] = []
    point_counts: list[list[int]] = []
    position_of = array("q", [-1]) * len(spill)  # slot → position in its track
    for state in states:
        summary = state.summary = TrackSummary(state.track)
        summary.statistics = [a.statistic() for a in state.accumulators]
        summary.benchmarks = [
            benchmark(state.track, ind, stat, previous_stats, given)
            if len(state.seqs)
            else None
            for ind, stat in zip(
                state.track.indicators, summary.statistics, strict=True
            )
        ]
        values = [b.value if b else None for b in summary.benchmarks]
        state.scorer = (
            TrackScorer(scheme, state.track, values) if len(state.seqs) else None
        )
        scorers.append(state.scorer)
        scores.append([])
        ties.append([])
        pending.append([])
        point_sums.append([0] * len(state.track.indicators))
        point_counts.append([0] * len(state.track.indicators))
        for pos, slot in enumerate(state.seqs):
            position_of[slot] = pos
    unrated_ids: dict[int, str] = {}
    results = previous.results
    for firm in spill.sequential():
        index = firm.track
        if index < 0:
            continue
        state = states[index]
        position = position_of[firm.seq]
        scorer = scorers[index]
        if position < 0 or scorer is None:
            unrated_ids[firm.seq] = firm.firm_id
            continue
        total, points, averaged = scorer.score(firm)
        sums, counts = point_sums[index], point_counts[index]
        for i, got in enumerate(points):
            if got is not None and firm.values[i] is not None:
                sums[i] += got
                counts[i] += 1
        scores[index].append(total)
        if averaged:
            pending[index].append((position, averaged))
        tie_break = state.track.classes.tie_break
        if tie_break:
            ties[index].append(
                tuple(_tie_value(state.track, i, firm.values[i]) for i in tie_break)
            )
        state.overrides.append(firm.override)
        last_year = results.get(firm.firm_id) if results else None
        state.previous.append(
            _class_index(scheme, last_year.class_id if last_year else None)
        )
    for index, state in enumerate(states):
        summary = state.summary
        scorer = scorers[index]
        assert summary is not None
        scale = scorer.scale if scorer is not None else 1
        summary.averages = [
            (Fraction(total, scale) / n if n else None)
            if ind.missing == "average"
            else None
            for ind, total, n in zip(
                state.track.indicators,
                point_sums[index],
                point_counts[index],
                strict=True,
            )
        ]
        if (
            pending[index] and scale != 1
        ):  # an average is not a whole multiple of 1/scale
            scores[index] = [Fraction(value, scale) for value in scores[index]]
            scale = 1
        for position, averaged in pending[index]:
            for i in averaged:
                scores[index][position] += summary.averages[i]  # type: ignore[operator]
        state.not_rated = sorted(
            (firm_id or unrated_ids.get(seq, ""), seq)
            for firm_id, seq in state.not_rated
        )
        summary.rated = len(state.seqs)
        summary.not_rated = len(state.not_rated)
        state.scores, state.scale = scores[index], scale
        if state.seqs:
            state.ranked = rank(
                scores[index],
                ties[index] or None,
                state.track.classes,
                scheme.class_ids,
                scale,
            )
            _classes(scheme, state, scores[index], scale)


def _tie_value(track: TrackDef, i: int, value: tuple[int, int] | None) -> Any:
    # compared only with values of the same indicator: k of k/10^p when rounded
    if value is None:
        return None
    return value[0] if track.indicators[i].decimals is not None else Fraction(*value)


def _class_index(scheme: Scheme, class_id: str | None) -> int:
    if class_id is None:
        return -1
    ids = scheme.class_ids
    return ids.index(class_id) if class_id in ids else -1


def _classes(
    scheme: Scheme, state: _TrackState, scores: list[Score], scale: int
) -> None:
    ranked, summary = state.ranked, state.summary
    assert ranked is not None and summary is not None
    summary.rule = ranked.rule
    summary.places = dict(ranked.places)
    ids = scheme.class_ids
    ranked_counts = {c: 0 for c in ids}
    counts = {c: 0 for c in ids}
    lows: dict[str, Score] = {}
    highs: dict[str, Score] = {}
    overrides = scheme.overrides
    for pos, class_id in enumerate(ranked.classes):
        ranked_counts[class_id] += 1
        override = state.overrides[pos]
        final = overrides[override].class_id if override >= 0 else class_id
        counts[final] += 1  # type: ignore[index]
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
    summary.ranked_counts, summary.counts = ranked_counts, counts
    summary.cutoffs = {
        c: (Fraction(lows[c]) / scale, Fraction(highs[c]) / scale)
        for c in ids
        if c in lows
    }
    summary.histogram = _histogram(scores, scale)


def _histogram(scores: list[Score], scale: int) -> Histogram:
    low, high = Fraction(min(scores)) / scale, Fraction(max(scores)) / scale
    low_bin = (low // 10) * 10
    width = 10
    while (high - low_bin) / width >= HISTOGRAM_BINS:
        width *= 2
    bins = int((high - low_bin) // width) + 1
    counts = [0] * bins
    start, step = low_bin * scale, width * scale  # in the scores' own units: integers
    for value in scores:
        counts[min(int((value - start) // step), bins - 1)] += 1
    return Histogram(Fraction(low_bin), Fraction(width), tuple(counts))


def _summarise(scheme: Scheme, state: _TrackState, spill: _Spill, given: Given) -> None:
    """What pulls the last class down: its firms below each benchmark, points short."""
    ranked, summary, scorer = state.ranked, state.summary, state.scorer
    if ranked is None or summary is None or scorer is None:
        return
    last = scheme.class_ids[-1]
    indicators = state.track.indicators
    below = [0] * len(indicators)
    short: list[Score] = [0] * len(indicators)  # in 1 / scale, but for averaged items
    averaged = [0] * len(indicators)  # times an item was scored by the average
    weights = [ind.weight * scorer.scale for ind in indicators]
    for pos, class_id in enumerate(ranked.classes):
        override = state.overrides[pos]
        final = scheme.overrides[override].class_id if override >= 0 else class_id
        if final != last:
            continue
        firm = spill.get(state.seqs[pos])
        _, points, _ = scorer.score(firm)
        for i, got in enumerate(points):
            value = firm.values[i]
            if value is not None and scorer.below_benchmark(i, value):
                below[i] += 1
            if got is None:
                averaged[i] += 1
            else:
                short[i] += weights[i] - got
    totals = [
        Fraction(short[i]) / scorer.scale
        + averaged[i] * (ind.weight - (summary.averages[i] or 0))
        for i, ind in enumerate(indicators)
    ]
    summary.shortfalls = {
        ind.id: (below[i], totals[i]) for i, ind in enumerate(indicators)
    }
