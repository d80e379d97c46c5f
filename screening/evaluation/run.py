"""Two passes over a population: measure every firm, then score, rank and class them.

Rank classes need the whole population, so pass 1 (`batch`, in worker processes
for a large input: `parallel`) measures firms a batch of rows at a time and the
run spills what it found to unnamed temporary files (gone when the run ends, even
if killed): each firm's row, from which an output measures it again in full, and
per track the indicator values as integer columns. Memory holds only what ranking
needs: one exact score per rated firm, a few small integers, and each firm's id
and name packed as bytes. Pass 2 reads the columns once to score, and once more
for what pulls the last class down; outputs read the rows in rank order. Every
row ends as rated, not rated, invalid or skipped (a totals row).
"""

from __future__ import annotations

import marshal
import os
import tempfile
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from itertools import accumulate, compress, groupby, islice, repeat
from operator import eq, floordiv, sub
from pathlib import Path
from typing import IO, Any, NamedTuple

from screening.errors import Diagnostic, SourceSpan
from screening.evaluation.batch import (
    CODE_COLUMN,
    NAME_COLUMN,
    Batch,
    Outcome,
    Plan,
    TrackFirms,
    load_record,
    outcome_of_row,
    table_columns,
)
from screening.evaluation.evaluate import Measured, Scored, score
from screening.evaluation.fields import DERIVED_FROM
from screening.evaluation.firms import FirmRow, _firm, read_firms
from screening.evaluation.parallel import CHUNK
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
from screening.evaluation.totalrows import Fold
from screening.expr.nodes import names as names_in

HISTOGRAM_BINS = 20  # at most; bins are 10 points wide unless the range needs wider


@dataclass
class PreviousYear:
    """Last year's evaluation, as far as it is known: results by firm, statistics."""

    source: str | None = None
    results: dict[str, Previous] = field(default_factory=dict)
    statistics: dict[tuple[str, str], Any] = field(default_factory=dict)
    # folded name → key of a result known by its name only (no credit code last year)
    by_name: dict[str, str] = field(default_factory=dict)

    def find(self, firm_id: str, name: str | Callable[[], str]) -> Previous | None:
        """A firm's result last year: by its id, else (a row without a credit code) by
        its folded name, as promises are matched. `name` may be a callable (lazy)."""
        found = self.results.get(firm_id)
        if found is None and self.by_name:
            text = name() if callable(name) else name
            key = self.by_name.get(fold_name(text)) if text else None
            found = self.results.get(key) if key is not None else None
        return found


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
    seqs: array[int] = field(default_factory=lambda: array("q"))  # rated, by position
    not_rated: list[int] = field(default_factory=list)  # slots; sorted by firm id
    accumulators: list[Accumulator] = field(default_factory=list)
    unrated: tuple[str, str] | None = None  # (reason, indicator): no firm can be rated
    ranked: Ranked | None = None
    overrides: array[int] = field(default_factory=lambda: array("b"))  # by position
    previous: array[int] = field(
        default_factory=lambda: array("b")
    )  # last year's class
    matched: int = 0  # rated firms found in last year's results
    summary: TrackSummary | None = None
    scorer: TrackScorer | None = None
    scores: list[Score] = field(default_factory=list)  # by position, in 1 / scale
    scale: int = 1


class _Spill:
    """Each firm's spill record on disk, by sequence number (slot); read back by pread.

    A record is its row's cells (measured again by the general path when an output
    asks for the firm: `remeasure`) or, for rows given as FirmRows, the Measured
    tuple itself. Read with pread, not mapped: mapped pages would count in the
    run's resident memory.
    """

    def __init__(self) -> None:
        # unnamed: nothing is left behind, even by a killed run
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.offsets = array("q", [0])  # record i is bytes offsets[i]:offsets[i + 1]
        self.remeasure: Callable[[int, int, Any], Measured] | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def extend(self, records: list[bytes]) -> None:
        """Append records, as the next slots."""
        self.file.write(b"".join(records))
        _extend_offsets(self.offsets, records)

    def _load(self, seq: int) -> Any:
        self.file.flush()
        start = self.offsets[seq]
        data = os.pread(self.file.fileno(), self.offsets[seq + 1] - start, start)
        return load_record(data)

    def get(self, seq: int) -> Measured:
        """The firm in slot `seq`, measured."""
        record = self._load(seq)
        if len(record) == 2:  # (row number, cells)
            assert self.remeasure is not None
            return self.remeasure(seq, *record)
        return Measured(seq, *record[1:])

    def row_of(self, seq: int) -> int:
        """The row number the firm in slot `seq` was read from."""
        record = self._load(seq)
        row: int = record[0] if len(record) == 2 else record[1]
        return row

    def close(self) -> None:
        self.file.close()


def _extend_offsets(offsets: array[int], items: list[bytes]) -> None:
    ends = accumulate(map(len, items), initial=offsets[-1])
    next(ends)  # the last offset, already there
    offsets.extend(ends)


class _Blocks:
    """Pass 1's per-track columns, batch by batch, on disk: written once, read in order."""

    def __init__(self) -> None:
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.sizes: list[int] = []

    def add(self, track: int, firms: TrackFirms) -> None:
        data = marshal.dumps(
            (track, len(firms), firms.values, firms.adjustments, firms.overrides)
        )
        self.file.write(data)
        self.sizes.append(len(data))

    def __iter__(self) -> Iterator[tuple[int, int, list[list[Any]], Any, Any]]:
        self.file.flush()
        fd, offset = self.file.fileno(), 0
        for size in self.sizes:
            yield marshal.loads(os.pread(fd, size, offset))
            offset += size

    def close(self) -> None:
        self.file.close()


class _Names:
    """Each slot's firm id and name, packed as UTF-8 (a few dozen bytes per firm)."""

    def __init__(self) -> None:
        self.ids, self.names = bytearray(), bytearray()
        self.id_at, self.name_at = array("q", [0]), array("q", [0])

    def extend(self, ids: list[str], names: list[str]) -> None:
        for blob, at, texts in (
            (self.ids, self.id_at, ids),
            (self.names, self.name_at, names),
        ):
            encoded = list(map(str.encode, texts))
            blob += b"".join(encoded)
            _extend_offsets(at, encoded)

    def firm_id(self, seq: int) -> str:
        return self.ids[self.id_at[seq] : self.id_at[seq + 1]].decode()

    def name(self, seq: int) -> str:
        return self.names[self.name_at[seq] : self.name_at[seq + 1]].decode()


class _Seen:
    """Firm ids already read: their hashes, checked a batch at a time.

    A hash seen before is checked against the stored id, so no firm is mistaken
    for another; kept only during pass 1.
    """

    def __init__(self, names: _Names, spill: _Spill) -> None:
        self.names, self.spill = names, spill
        self.hashes: set[int] = set()
        self.by_slot = array("q")  # hash of each slot's id
        # A firm once with its credit code and once by name only is one firm: once
        # both kinds of row have been read, each folded name's hash → its first slot,
        # for the firms known by code and those known by name only.
        self.any_coded = self.any_named = False
        self.coded_names: dict[int, int] | None = None
        self.named_names: dict[int, int] = {}
        self.named: set[int] = set()  # indices of the last batch repeating by name

    def add(
        self,
        ids: list[str],
        numbers: list[int],
        names: list[str] | None = None,
        coded: list[bool] | None = None,
    ) -> list[tuple[int, int]]:
        """Record a batch's ids; (index in the batch, first row) of those seen before.

        The ids of the batch not seen before are the next slots, in order. Once rows
        with and without a credit code have both been read, a row without one whose
        folded name is an earlier firm's, or a row with one whose name is that of an
        earlier row without, repeats that firm too (its index is in `named`).
        """
        hashes = list(map(hash, ids))
        self.named = set()
        if names is not None and coded is not None:
            self.any_coded = self.any_coded or any(coded)
            self.any_named = self.any_named or not all(coded)
        by_name = names is not None and self.any_coded and self.any_named
        if (
            not by_name
            and len(set(hashes)) == len(hashes)
            and self.hashes.isdisjoint(hashes)
        ):
            self.hashes.update(hashes)
            self.by_slot.extend(hashes)
            return []
        if by_name and self.coded_names is None:
            self._index_names()
        repeated: list[tuple[int, int]] = []
        here: dict[str, int] = {}  # the batch's own ids: first row
        here_names: dict[tuple[str, bool], int] = {}  # (folded name, coded): first row
        kept = []
        slot = len(self.by_slot)
        for i, (key, firm_id) in enumerate(zip(hashes, ids, strict=True)):
            first = here.get(firm_id)
            if first is None and key in self.hashes:
                first = self._earlier(key, firm_id)
            folded = ""
            if first is None and by_name:
                assert names is not None and coded is not None
                folded = fold_name(names[i]) if names[i] else ""
                first = self._earlier_name(folded, coded[i], here_names)
                if first is not None:
                    self.named.add(i)
            if first is not None:
                repeated.append((i, first))
                continue
            here[firm_id] = numbers[i]
            if folded:
                assert coded is not None
                here_names.setdefault((folded, coded[i]), numbers[i])
                index = self.coded_names if coded[i] else self.named_names
                assert index is not None
                index.setdefault(hash(folded), slot)
            kept.append(key)
            slot += 1
        self.hashes.update(kept)
        self.by_slot.extend(kept)
        return repeated

    def _index_names(self) -> None:
        """The folded names of the slots read so far, by kind (the first mixed batch)."""
        self.coded_names = {}
        for at in range(len(self.by_slot)):
            name = self.names.name(at)
            if name:
                index = (
                    self.named_names
                    if self.names.firm_id(at) == name
                    else self.coded_names
                )
                index.setdefault(hash(fold_name(name)), at)

    def _earlier_name(
        self, folded: str, coded: bool, here: dict[tuple[str, bool], int]
    ) -> int | None:
        """The first row of an earlier firm this row repeats by name, or None: any
        row of that name for a row without a code, a row without a code for one with."""
        if not folded:
            return None
        kinds = (False,) if coded else (False, True)
        for kind in kinds:
            if (folded, kind) in here:
                return here[(folded, kind)]
        for kind in kinds:
            index = self.coded_names if kind else self.named_names
            at = index.get(hash(folded)) if index is not None else None
            if (
                at is not None
                and at < len(self.by_slot)
                and fold_name(self.names.name(at)) == folded
            ):
                return self.spill.row_of(at)
        return None

    def _earlier(self, key: int, firm_id: str) -> int | None:
        at = 0
        while True:
            try:
                at = self.by_slot.index(key, at)
            except ValueError:
                return None
            if self.names.firm_id(at) == firm_id:
                return self.spill.row_of(at)
            at += 1


class _Ties(Sequence[tuple[Any, ...]]):
    """Tie-break values per position, from one column per tie-break indicator."""

    def __init__(self, columns: list[list[Any]]) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return len(self.columns[0])

    def __getitem__(self, i: int) -> tuple[Any, ...]:  # type: ignore[override]
        return tuple(column[i] for column in self.columns)


class Evaluation:
    """A finished evaluation: counts, per-track summaries, bad rows, and its firms."""

    def __init__(
        self,
        scheme: Scheme,
        year: int,
        source: str,
        states: list[_TrackState],
        spill: _Spill,
        names: _Names,
        no_track: list[int],
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
        self._names = names
        self._no_track = no_track
        self.absent: frozenset[str] = frozenset()  # fields no column of the input holds
        self.promises: Mapping[str, Any] = {}  # key → PromiseRecord
        self.promised: set[str] = set()  # keys of the records matched to a firm
        self._by_name: dict[str, str] | None = None
        self.promise_check: Any = (
            None  # a callable (firm record, result) → PromiseCheck
        )

    def firms(self) -> Iterator[FirmResult]:
        """Every valid firm: each track's rated firms by rank (ties by id), then not rated."""
        for state in self._states:
            yield from self._rated(state)
            for seq in state.not_rated:
                yield self._unrated(self._spill.get(seq), state)
        for seq in self._no_track:
            yield self._unrated(self._spill.get(seq), None)

    def class_list(self) -> Iterator[Placed]:
        """Each rated firm's place, in the order of `firms` — without the per-indicator
        detail (nor reading the spill), so a million firms are listed in seconds."""
        final_of = [item.class_id for item in self.scheme.overrides]
        names = self._names
        ids, id_at, texts, text_at = names.ids, names.id_at, names.names, names.name_at
        make = tuple.__new__  # Placed's own constructor, without its Python frame
        for state in self._states:
            ranked = state.ranked
            if ranked is None:
                continue
            of = len(ranked.order)
            order, seqs = ranked.order, state.seqs
            ranks, classes, chosen = ranked.ranks, ranked.classes, state.overrides
            scores, scale, track_id = state.scores, state.scale, state.track.id
            for start, end in ranked.groups:
                # one key, so one score, for the whole group
                score = Fraction(scores[order[start]], scale)
                if end - start == 1:
                    pos = order[start]
                    group: Iterable[tuple[int, int]] = ((pos, seqs[pos]),)
                else:
                    group = self._group(state, ranked, start, end)
                for pos, seq in group:
                    override = chosen[pos]
                    yield make(
                        Placed,
                        (
                            ids[id_at[seq] : id_at[seq + 1]].decode(),
                            texts[text_at[seq] : text_at[seq + 1]].decode(),
                            track_id,
                            ranks[pos],
                            of,
                            final_of[override] if override >= 0 else classes[pos],
                            score,
                        ),
                    )

    def _group(
        self, state: _TrackState, ranked: Ranked, start: int, end: int
    ) -> Iterator[tuple[int, int]]:
        """A group of equal keys by firm id: (position, slot).

        A group can hold a large share of a population (every firm at the cap of every
        indicator): only the ids are held while it is sorted.
        """
        seqs, order = state.seqs, ranked.order
        if end - start == 1:
            yield order[start], seqs[order[start]]
            return
        firm_id = self._names.firm_id
        ids = sorted((firm_id(seqs[order[at]]), order[at]) for at in range(start, end))
        for _, pos in ids:
            yield pos, seqs[pos]

    def _rated(self, state: _TrackState) -> Iterator[FirmResult]:
        ranked, summary = state.ranked, state.summary
        if ranked is None or summary is None:
            return
        for start, end in ranked.groups:
            for pos, seq in self._group(state, ranked, start, end):
                firm = self._spill.get(seq)
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
        previous = self.previous.find(result.firm_id, result.measured.name)
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
    from screening.evaluation.parallel import batches

    table = read_firms(path, scheme.fields, sheet)
    source = table.table.source
    columns = table_columns(table)
    general = [(c.index, c.header, c.name, c.read) for c in columns]
    plan = Plan(scheme, year)

    def remeasure(seq: int, number: int, cells: Sequence[Any]) -> Measured:
        outcome = outcome_of_row(_firm(source, number, cells, general), scheme, year)
        assert outcome[0] == "firm", outcome  # it was one when first read
        return Measured(seq, *outcome[4][1:])

    try:
        ev = _evaluate(
            batches(table, plan, jobs),
            scheme,
            year,
            source=str(path),
            previous=previous,
            benchmarks=benchmarks,
            warnings=list(table.warnings),
            remeasure=remeasure,
            totals=Fold(plan.totals_of(columns)),
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
            needed = sorted(names_in(item.when.node))
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
    plan = Plan(scheme, year)

    def batches() -> Iterator[Batch]:
        rest = iter(rows)
        for chunk in iter(lambda: list(islice(rest, CHUNK)), []):
            # a batch names one source (for its duplicates' errors)
            for _, same in groupby(chunk, key=lambda row: row.source):
                yield plan.measure_firm_rows(list(same))

    return _evaluate(
        batches(),
        scheme,
        year,
        source=source,
        previous=previous,
        benchmarks=benchmarks,
        warnings=warnings,
    )


def _evaluate(
    batches: Iterable[Batch],
    scheme: Scheme,
    year: int,
    *,
    source: str,
    previous: PreviousYear | None,
    benchmarks: Given | None,
    warnings: list[Diagnostic] | None,
    remeasure: Callable[[int, int, Any], Measured] | None = None,
    totals: Fold | None = None,
) -> Evaluation:
    previous = previous or PreviousYear()
    given = benchmarks or {}
    states = [
        _TrackState(track, accumulators=[Accumulator(ind) for ind in track.indicators])
        for track in scheme.tracks
    ]
    spill, names, blocks = _Spill(), _Names(), _Blocks()
    spill.remeasure = remeasure
    try:
        counts, errors, skipped, no_track = _measure_all(
            batches, states, spill, names, blocks, totals
        )
        _unratable(states)
        _score_all(scheme, states, blocks, names, previous.statistics, given, previous)
        for state in states:
            _summarise(scheme, state, blocks)
        warnings = warnings if warnings is not None else []
        if previous.results and not _any_previous(previous, states, names, no_track):
            warnings.append(
                Diagnostic(
                    "PREV",
                    "上年结果与本年企业无一匹配（按统一社会信用代码，无代码的按企业名称）："
                    "所有企业按上年无记录处理 / last year's results match no firm of this "
                    "year (by credit code, or by name where last year had no code): "
                    "every firm is taken as new",
                    SourceSpan(previous.source or source),
                    None,
                    "warning",
                )
            )
    except BaseException:
        spill.close()
        raise
    finally:
        blocks.close()
    # by firm id, as every other list of firms: input order never shows
    for state in states:
        state.not_rated.sort(key=lambda seq: (names.firm_id(seq), seq))
    no_track.sort(key=lambda seq: (names.firm_id(seq), seq))
    counts.rated = sum(s.summary.rated for s in states if s.summary)
    counts.not_rated = sum(len(s.not_rated) for s in states) + len(no_track)
    return Evaluation(
        scheme,
        year,
        source,
        states,
        spill,
        names,
        no_track,
        counts,
        errors,
        skipped,
        warnings,
        previous,
        given,
    )


def _any_previous(
    previous: PreviousYear,
    states: list[_TrackState],
    names: _Names,
    no_track: list[int],
) -> bool:
    """Whether last year's results hold any firm of this year (rated ones counted
    while scoring; the others looked up only when no rated firm matched)."""
    if any(state.matched for state in states):
        return True
    others = [seq for s in states for seq in (*s.seqs, *s.not_rated)] + no_track
    return any(
        previous.find(names.firm_id(seq), partial(names.name, seq)) is not None
        for seq in others
    )


def _measure_all(
    batches: Iterable[Batch],
    states: list[_TrackState],
    spill: _Spill,
    names: _Names,
    blocks: _Blocks,
    totals: Fold | None,
) -> tuple[Counts, list[BadRow], list[BadRow], list[int]]:
    counts = Counts()
    errors: list[BadRow] = []
    skipped: list[BadRow] = []
    no_track: list[int] = []
    seen = _Seen(names, spill)
    for batch in batches:
        events = [outcome for _, outcome in batch.events]
        if totals is not None and batch.totals is not None:
            sums = totals.skipped(batch.totals)
            if sums:  # rows whose figures are the sums of the rows above
                events, batch = _skip_sums(batch, events, sums)
        repeated = seen.add(batch.ids, batch.numbers, batch.names, batch.coded)
        counts.rows += len(batch) + len(events)
        if events or repeated:
            items = list(events)
            for i, first in repeated:
                firm_id = batch.ids[i]
                reason = f"与第 {first} 行为同一企业（{firm_id}）/ the same firm as row {first}"
                by_code = batch.coded[i] and i not in seen.named
                column = CODE_COLUMN if by_code else NAME_COLUMN
                items.append(("bad", batch.source, batch.numbers[i], column, reason))
            items.sort(key=lambda outcome: outcome[2])  # input order: by row number
            for outcome in items:
                if outcome[0] == "skip":
                    counts.skipped += 1
                    skipped.append(BadRow(*outcome[1:]))
                else:
                    errors.append(BadRow(*outcome[1:]))
            if repeated:
                batch = batch.without([i for i, _ in repeated])
        base = len(spill)
        spill.extend(batch.records)
        names.extend(batch.ids, batch.names)
        for t, firms in enumerate(batch.by_track):
            if not firms.members:
                continue
            state = states[t]
            state.seqs.extend(map(base.__add__, firms.members))
            for accumulator, values, parts in zip(
                state.accumulators, firms.values, firms.parts, strict=True
            ):
                accumulator.add_column(values, parts)
            blocks.add(t, firms)
        tracks = batch.tracks
        for i in compress(range(len(batch)), [not r for r in batch.rated]):
            (no_track if tracks[i] < 0 else states[tracks[i]].not_rated).append(
                base + i
            )
    counts.invalid = len(errors)
    return counts, errors, skipped, no_track


def _skip_sums(
    batch: Batch, events: list[Outcome], sums: dict[int, str]
) -> tuple[list[Outcome], Batch]:
    """The batch with the rows in `sums` (row number → reason) skipped: a bad row's
    outcome replaced, a firm taken out of the batch."""
    events = [
        ("skip", e[1], e[2], None, sums.pop(e[2])) if e[2] in sums else e
        for e in events
    ]
    firms = sorted(bisect_left(batch.numbers, number) for number in sums)
    events += [("skip", batch.source, n, None, reason) for n, reason in sums.items()]
    return events, batch.without(firms) if firms else batch


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
            state.not_rated.extend(state.seqs)
            state.seqs = array("q")


def _score_all(
    scheme: Scheme,
    states: list[_TrackState],
    blocks: _Blocks,
    names: _Names,
    previous_stats: PreviousStats,
    given: Given,
    previous: PreviousYear,
) -> None:
    pending: list[list[tuple[int, list[int]]]] = []  # (position, indicators averaged)
    point_sums: list[list[Score]] = []
    point_counts: list[list[int]] = []
    ties: list[list[list[Any]]] = []  # per track, per tie-break indicator, by position
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
        given_values = [b.value if b else None for b in summary.benchmarks]
        state.scorer = (
            TrackScorer(scheme, state.track, given_values) if len(state.seqs) else None
        )
        pending.append([])
        point_sums.append([0] * len(state.track.indicators))
        point_counts.append([0] * len(state.track.indicators))
        ties.append([[] for _ in state.track.classes.tie_break])
    results = previous.results
    for index, size, values, adjustments, overrides in blocks:
        state = states[index]
        scorer = state.scorer
        if scorer is None or state.unrated is not None:
            continue
        start = len(state.scores)
        totals, points, averaged = scorer.score_columns(size, values, adjustments)
        sums, counts = point_sums[index], point_counts[index]
        for i, ind in enumerate(state.track.indicators):
            if ind.missing == "average":
                got = [p for p in points[i] if p is not None]
                sums[i] += sum(got)
                counts[i] += len(got)
        state.scores.extend(totals)
        pending[index].extend((start + k, items) for k, items in averaged)
        for column, i in zip(ties[index], state.track.classes.tie_break, strict=True):
            if state.track.indicators[i].decimals is not None:
                column.extend(values[i])  # k of k / 10^p: compared within the indicator
            else:
                column.extend(None if v is None else Fraction(*v) for v in values[i])
        state.overrides.extend(overrides if overrides is not None else [-1] * size)
        if results:
            found = [
                previous.find(names.firm_id(seq), partial(names.name, seq))
                for seq in state.seqs[start : start + size]
            ]
            state.matched += size - found.count(None)
            state.previous.extend(
                _class_index(scheme, last.class_id if last else None) for last in found
            )
        else:
            state.previous.extend([-1] * size)
    for index, state in enumerate(states):
        assert state.summary is not None
        summary = state.summary
        scorer = state.scorer
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
        scores = state.scores
        if (
            pending[index] and scale != 1
        ):  # an average is not a whole multiple of 1/scale
            scores = [Fraction(value, scale) for value in scores]
            scale = 1
        for position, indicators in pending[index]:
            for i in indicators:
                scores[position] += summary.averages[i]  # type: ignore[operator]
        summary.rated = len(state.seqs)
        summary.not_rated = len(state.not_rated)
        state.scores, state.scale = scores, scale
        if state.seqs:
            state.ranked = rank(
                scores,
                _Ties(ties[index]) if ties[index] else None,
                state.track.classes,
                scheme.class_ids,
                scale,
            )
            _classes(scheme, state, scores, scale)


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
    classes, chosen, before = ranked.classes, state.overrides, state.previous
    final_of = [item.class_id or "" for item in scheme.overrides]  # each names one
    finals = (
        [final_of[o] if o >= 0 else c for c, o in zip(classes, chosen, strict=True)]
        if max(chosen, default=-1) >= 0
        else classes
    )
    ranked_counts = dict.fromkeys(ids, 0) | Counter(classes)
    counts = dict.fromkeys(ids, 0) | Counter(finals)
    if max(before, default=-1) < 0:
        summary.new += len(classes)
    else:
        for last, final in zip(before, finals, strict=True):
            if last < 0:
                summary.new += 1
            else:
                move = (ids[last], final)
                summary.movers[move] = summary.movers.get(move, 0) + 1
    lows: dict[str, Score] = {}
    highs: dict[str, Score] = {}
    for c in ids:  # a few passes in C rather than one in Python
        held = list(compress(scores, map(eq, classes, repeat(c))))
        if held:
            lows[c], highs[c] = min(held), max(held)
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
    if type(start) is int and type(step) is int and set(map(type, scores)) == {int}:
        found = Counter(map(floordiv, map(sub, scores, repeat(start)), repeat(step)))
        for at, many in found.items():
            counts[min(at, bins - 1)] += many
    else:
        for value in scores:
            counts[min(int((value - start) // step), bins - 1)] += 1
    return Histogram(Fraction(low_bin), Fraction(width), tuple(counts))


def _summarise(scheme: Scheme, state: _TrackState, blocks: _Blocks) -> None:
    """What pulls the last class down: its firms below each benchmark, points short."""
    ranked, summary, scorer = state.ranked, state.summary, state.scorer
    if ranked is None or summary is None or scorer is None:
        return
    last = scheme.class_ids[-1]
    overrides = scheme.overrides
    lasts = [
        (overrides[o].class_id if o >= 0 else c) == last
        for c, o in zip(ranked.classes, state.overrides, strict=True)
    ]
    indicators = state.track.indicators
    below = [0] * len(indicators)
    short: list[Score] = [0] * len(indicators)  # in 1 / scale, but for averaged items
    averaged = [0] * len(indicators)  # times an item was scored by the average
    counted = [0] * len(indicators)  # times an item was scored by its value
    weights = [ind.weight * scorer.scale for ind in indicators]
    track = scheme.tracks.index(state.track)
    start = 0
    for index, size, values, _, _ in blocks:
        if index != track:
            continue
        chosen = list(compress(range(size), lasts[start : start + size]))
        start += size
        if not chosen:
            continue
        taken = [[column[k] for k in chosen] for column in values]
        _, points, _ = scorer.score_columns(len(chosen), taken, None)
        for i, (column, got) in enumerate(zip(taken, points, strict=True)):
            below[i] += scorer.count_below(i, column)
            scored = [p for p in got if p is not None]
            averaged[i] += len(got) - len(scored)
            counted[i] += len(scored)
            short[i] -= sum(scored)
    # Σ (weight − points) over the scored items, the weights added once at the end
    short = [s + w * c for s, w, c in zip(short, weights, counted, strict=True)]
    totals = [
        Fraction(short[i]) / scorer.scale
        + averaged[i] * (ind.weight - (summary.averages[i] or 0))
        for i, ind in enumerate(indicators)
    ]
    summary.shortfalls = {
        ind.id: (below[i], totals[i]) for i, ind in enumerate(indicators)
    }
