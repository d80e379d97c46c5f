"""Pass 1 for a run of rows: cells → a `Batch` of measured firms in compact columns.

A batch holds what pass 2 needs of each firm — its id, name, track, whether it is
rated and, per track, the indicator values as integers, the adjustments and the
override — as plain lists (marshalled between processes and to the spill), plus
each firm's spill record: its row's cells, from which the full `Measured` (figures,
reasons, gaps) is made again by the general path when an output asks for it.

Rows are converted a column at a time (`cells`) and measured a column at a time
(`vector`). A row that path cannot take exactly — a cell its column's converter
refuses, a row without a credit code or name, a labelled totals row, a row for
another year — is read and measured by the general path (`firms._firm`,
`parallel.outcome_of_row`), which words its error; so every row's outcome is the
general path's, only faster. Whether a row's figures are the sums of the rows above
depends on the batches before it: a batch carries its `totalrows` summary, and the
run folds the summaries in input order.
"""

from __future__ import annotations

import marshal
import pickle
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal
from itertools import compress
from operator import itemgetter
from typing import Any

from screening.evaluation.cells import Read, read_column
from screening.evaluation.evaluate import Measured, measure
from screening.evaluation.fast import field_ratio
from screening.evaluation.fields import FirmField
from screening.evaluation.firms import (
    LARGEST,
    FirmRow,
    FirmTable,
    _firm,
    converter,
)
from screening.evaluation.scheme import IndicatorDef, Scheme
from screening.evaluation.texts import unit_text
from screening.evaluation.totalrows import Summary, firm_totals, summarise
from screening.evaluation.vector import (
    Columns,
    condition_column,
    indicator_column,
    parts_column,
)
from screening.expr.nodes import names as names_in
from screening.io.totals import Totals

Outcome = tuple[Any, ...]  # ("skip" | "bad", source, row, column, reason)
CODE_COLUMN, NAME_COLUMN = "统一社会信用代码", "企业名称"
# an indicator's value no output can carry (an Excel cell's largest, as in firms)
_LARGEST = int(LARGEST)
_ROUGH = Context(prec=4, Emax=10**7, Emin=-(10**7))  # such a value, as shown


@dataclass(frozen=True)
class Column:
    """One mapped input column: where it is, its header, field and converter."""

    index: int
    header: str
    name: str
    field: FirmField
    unit: str | None
    read: Read


@dataclass
class TrackFirms:
    """A batch's firms rated in one track, in input order, with what scores need."""

    members: list[int] = field(default_factory=list)  # firm indices in the batch
    values: list[list[Any]] = field(default_factory=list)  # per indicator, per member
    parts: list[list[Any] | None] = field(default_factory=list)  # aggregate parts
    adjustments: list[int] | None = None  # per member: bit j when adjustment j applies
    overrides: list[int] | None = None  # per member: the override that applies, or -1

    def __len__(self) -> int:
        return len(self.members)


@dataclass
class Batch:
    """Pass 1 of consecutive rows: bad and skipped rows, and firms in columns."""

    source: str = ""  # the file (or source) of every row of the batch
    events: list[tuple[int, Outcome]] = field(default_factory=list)  # (firms before)
    numbers: list[int] = field(default_factory=list)  # row numbers
    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    coded: list[bool] = field(default_factory=list)  # identified by credit code
    tracks: list[int] = field(default_factory=list)  # -1: in no track
    rated: list[bool] = field(default_factory=list)
    by_track: list[TrackFirms] = field(default_factory=list)
    records: list[bytes] = field(default_factory=list)  # per firm: its spill record
    # which rows could be sums of the rows above (`totalrows`); None: none asked
    totals: Summary | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def wire(self) -> bytes:
        """The batch as bytes (marshal: plain lists, ints and strings)."""
        return marshal.dumps(
            (
                self.source,
                self.events,
                self.numbers,
                self.ids,
                self.names,
                self.coded,
                self.tracks,
                self.rated,
                [
                    (t.members, t.values, t.parts, t.adjustments, t.overrides)
                    for t in self.by_track
                ],
                self.records,
                self.totals,
            )
        )

    @classmethod
    def unwire(cls, data: bytes) -> Batch:
        """The batch `wire` gave."""
        (
            source,
            events,
            numbers,
            ids,
            names,
            coded,
            tracks,
            rated,
            by_track,
            records,
            totals,
        ) = marshal.loads(data)
        firms = [TrackFirms(*t) for t in by_track]
        return cls(
            source,
            events,
            numbers,
            ids,
            names,
            coded,
            tracks,
            rated,
            firms,
            records,
            totals,
        )

    def extend(self, other: Batch) -> None:
        """Append `other`'s rows after this batch's (not its `totals`)."""
        base = len(self)
        self.events.extend((base + at, outcome) for at, outcome in other.events)
        for name in ("numbers", "ids", "names", "coded", "tracks", "rated", "records"):
            getattr(self, name).extend(getattr(other, name))
        for mine, theirs in zip(self.by_track, other.by_track, strict=True):
            _extend_track(mine, theirs, base)

    def sliced(self, start: int, end: int) -> Batch:
        """Firms start..end (no events): a batch of its own."""
        out = Batch(
            self.source, by_track=[_slice_track(t, start, end) for t in self.by_track]
        )
        for name in ("numbers", "ids", "names", "coded", "tracks", "rated", "records"):
            setattr(out, name, getattr(self, name)[start:end])
        return out

    def without(self, dropped: Sequence[int]) -> Batch:
        """The batch without the firms at `dropped` (sorted indices)."""
        out = Batch(
            self.source, by_track=[TrackFirms([], *_empty(t)) for t in self.by_track]
        )
        start = 0
        for at in [*dropped, len(self)]:
            out.extend(self.sliced(start, at))
            start = at + 1
        return out


def _empty(t: TrackFirms) -> tuple[Any, ...]:
    return (
        [[] for _ in t.values],
        [None if p is None else [] for p in t.parts],
        None if t.adjustments is None else [],
        None if t.overrides is None else [],
    )


def _extend_track(mine: TrackFirms, theirs: TrackFirms, base: int) -> None:
    mine.members.extend(base + m for m in theirs.members)
    for a, b in zip(mine.values, theirs.values, strict=True):
        a.extend(b)
    for a, b in zip(mine.parts, theirs.parts, strict=True):  # type: ignore[assignment]
        if a is not None and b is not None:
            a.extend(b)
    if mine.adjustments is not None and theirs.adjustments is not None:
        mine.adjustments.extend(theirs.adjustments)
    if mine.overrides is not None and theirs.overrides is not None:
        mine.overrides.extend(theirs.overrides)


def _slice_track(t: TrackFirms, start: int, end: int) -> TrackFirms:
    lo, hi = bisect_left(t.members, start), bisect_left(t.members, end)
    return TrackFirms(
        [m - start for m in t.members[lo:hi]],
        [v[lo:hi] for v in t.values],
        [None if p is None else p[lo:hi] for p in t.parts],
        None if t.adjustments is None else t.adjustments[lo:hi],
        None if t.overrides is None else t.overrides[lo:hi],
    )


def outcome_of_row(row: FirmRow, scheme: Scheme, year: int) -> Outcome:
    """What pass 1 makes of one read row: skipped, bad, or a measured firm.

    ("skip", source, row, None, reason) · ("bad", source, row, column, reason) ·
    ("firm", source, row, identity column, Measured as a tuple)
    """
    if row.skipped is not None:
        return ("skip", row.source, row.number, None, row.skipped)
    if row.values is None:
        return ("bad", row.source, row.number, row.column, row.reason or "")
    stated = row.values.get("year")
    if stated is not None and stated != year:
        reason = f"年度 {stated} 与评价年度 {year} 不符 / the row is for another year"
        return ("bad", row.source, row.number, "年度", reason)
    column = CODE_COLUMN if "credit_code" in row.values else NAME_COLUMN
    firm = measure(scheme, 0, row.number, row.values, year)
    if firm.track >= 0:  # (an excluded firm has no values: strict=False)
        for ind, value in zip(
            scheme.tracks[firm.track].indicators, firm.values, strict=False
        ):
            if value is not None and abs(value[0]) > _LARGEST * value[1]:
                return ("bad", row.source, row.number, *_beyond(scheme, ind, value))
    return ("firm", row.source, row.number, column, tuple(firm))


def _beyond(scheme: Scheme, ind: IndicatorDef, value: tuple[int, int]) -> Outcome:
    """The column and reason for an indicator value no output can carry.

    Its inputs are each within what a cell holds (`firms.in_range`), so a ratio's
    value is this large only when its denominator is near 0: that field is named.
    """
    shown = format(_ROUGH.divide(Decimal(value[0]), Decimal(value[1])), "E")
    ratio = field_ratio(ind.expr.node)
    names = [ratio[1]] if ratio else sorted(names_in(ind.expr.node))
    fields = [scheme.fields[name] for name in names if name in scheme.fields]
    zh = "、".join(f.zh for f in fields) or ind.title.zh
    en = ", ".join(f.en for f in fields) or ind.title.get("en")
    unit_zh, unit_en = unit_text(ind.unit, "zh"), unit_text(ind.unit, "en")
    reason = (
        f"{ind.title.zh} 约为 {shown}{unit_zh}，超出 Excel 单元格可表示的范围"
        f"（绝对值不超过 9.99999999999999E+307），请核对{zh}（多半是录入错误，"
        f"如数值过小）/ {ind.title.get('en')} of about {shown}{unit_en} is beyond "
        f"what an Excel cell can hold: check {en} (surely a typo, such as a figure "
        "far too small)"
    )
    return (fields[0].zh if len(fields) == 1 else ind.title.zh), reason


class Plan:
    """A scheme compiled for batches: each condition and indicator over columns."""

    def __init__(self, scheme: Scheme, year: int) -> None:
        self.scheme = scheme
        self.year = year
        self.track_when = [
            condition_column(t.when) if t.when is not None else None
            for t in scheme.tracks
        ]
        self.exclusions = [
            (condition_column(e.when), e.if_missing == "exclude")
            for e in scheme.exclusions
        ]
        self.indicators = [
            [indicator_column(ind) for ind in t.indicators] for t in scheme.tracks
        ]
        self.required = [
            [i for i, ind in enumerate(t.indicators) if ind.missing == "not_rated"]
            for t in scheme.tracks
        ]
        self.parts = [
            [parts_column(i) if i.numerator is not None else None for i in t.indicators]
            for t in scheme.tracks
        ]
        self.adjustments = [condition_column(a.when) for a in scheme.adjustments]
        self.overrides = [condition_column(o.when) for o in scheme.overrides]
        # the totals-row finder of the columns last measured (its labels only: sums
        # depend on the batches before, and are folded by the run)
        self._totals: tuple[tuple[Any, ...], Totals] | None = None

    def totals_of(self, columns: Sequence[Column]) -> Totals:
        """A fresh totals-row finder for a table of these columns."""
        return firm_totals(
            ((c.index, c.header, c.name, c.unit) for c in columns), self.scheme.fields
        )

    def _labeller(self, columns: Sequence[Column]) -> Totals:
        key = tuple((c.index, c.header, c.name, c.unit) for c in columns)
        if self._totals is None or self._totals[0] != key:
            self._totals = (key, self.totals_of(columns))
        return self._totals[1]

    def empty(self, source: str) -> Batch:
        """A batch with no rows."""
        return Batch(
            source, by_track=[self._track_firms(t) for t in range(len(self.parts))]
        )

    def _track_firms(self, t: int) -> TrackFirms:
        return TrackFirms(
            [],
            [[] for _ in self.parts[t]],
            [None if p is None else [] for p in self.parts[t]],
            [] if self.adjustments else None,
            [] if self.overrides else None,
        )

    # -- the general path: one measured firm at a time ------------------------------

    def add_outcome(self, batch: Batch, outcome: Outcome, record: bytes) -> None:
        """Append what the general path made of one row (see `outcome_of_row`)."""
        if outcome[0] != "firm":
            batch.events.append((len(batch), outcome))
            return
        firm = Measured(*outcome[4])
        index = len(batch)
        batch.numbers.append(outcome[2])
        batch.ids.append(firm.firm_id)
        batch.names.append(firm.name)
        batch.coded.append(outcome[3] == CODE_COLUMN)
        batch.tracks.append(firm.track)
        batch.rated.append(firm.track >= 0 and firm.reason is None)
        batch.records.append(record)
        if firm.track < 0 or firm.reason is not None:
            return
        track = self.scheme.tracks[firm.track]
        into = batch.by_track[firm.track]
        into.members.append(index)
        for i, (ind, value) in enumerate(
            zip(track.indicators, firm.values, strict=True)
        ):
            if value is not None and ind.decimals is not None:
                into.values[i].append(value[0])  # k of k / 10^decimals
            else:
                into.values[i].append(value)
            bucket = into.parts[i]
            if bucket is not None:
                bucket.append(firm.parts[i] if firm.parts else None)
        if into.adjustments is not None:
            into.adjustments.append(sum(1 << j for j in firm.adjustments))
        if into.overrides is not None:
            into.overrides.append(firm.override)

    # -- the column path -----------------------------------------------------------

    def measure(
        self,
        source: str,
        rows: Sequence[tuple[int, Sequence[Any]]],
        columns: Sequence[Column],
    ) -> Batch:
        """Pass 1 of consecutive table rows (row number, cells)."""
        size = len(rows)
        if not size:
            return self.empty(source)
        numbers = [number for number, _ in rows]
        cells_of = [cells for _, cells in rows]
        width = max((c.index for c in columns), default=-1) + 1
        padded = cells_of
        if min(map(len, cells_of)) < width:
            padded = [
                c if len(c) >= width else [*c, *([None] * (width - len(c)))]
                for c in cells_of
            ]
        values: dict[str, list[Any]] = {}
        bad: set[int] = set()  # rows with a cell their column's converter refuses
        for column in columns:
            cells = list(map(itemgetter(column.index), padded))
            got, refused = read_column(cells, column.field, column.unit, column.read)
            values[column.name] = got
            bad.update(refused)
        slow = set(bad)
        totals = self._labeller(columns)
        labels = totals.labelled_rows(cells_of)
        labelled = {i: r for i, r in enumerate(labels) if r is not None}
        slow.update(labelled)
        codes = values.get("credit_code") or [None] * size
        names = values.get("name") or [None] * size
        if None in codes:  # identified by name: or blank, or no name at all?
            slow.update(
                i for i, code in enumerate(codes) if code is None and names[i] is None
            )
        years = values.get("year")
        if years is not None:
            slow.update(
                i for i, y in enumerate(years) if y is not None and y != self.year
            )
        ids = [c if c is not None else n for c, n in zip(codes, names, strict=True)]
        shown = [n if n is not None else "" for n in names]
        coded = [c is not None for c in codes]
        table = Columns(values, [c.name for c in columns], size, self.year)
        batch = self._measure_columns(table, slow)
        beyond = self._beyond(batch)
        if beyond:  # the general path words why such a row is refused
            slow.update(beyond)
            batch = self._measure_columns(table, slow)
        batch.source = source
        batch.numbers, batch.ids, batch.names, batch.coded = numbers, ids, shown, coded
        try:  # marshal takes plain cells (a CSV's), all at once
            batch.records = list(map(marshal.dumps, rows))  # type: ignore[arg-type]
        except ValueError:
            batch.records = list(map(_record, rows))
        if not slow:
            batch.totals = self._summary(totals, values, cells_of, numbers, set(), {})
            return batch
        # the rows the column path did not take, by the general path, in order
        general = [(c.index, c.header, c.name, c.read) for c in columns]
        out = self.empty(source)
        blank: set[int] = set()
        start = 0
        for i in sorted(slow):
            out.extend(batch.sliced(start, i))
            start = i + 1
            row = _firm(source, numbers[i], cells_of[i], general)
            if row.values == {}:  # a blank row
                blank.add(i)
                continue
            if i in labelled:  # a totals row (its bad cell, if any, does not matter)
                skip = ("skip", source, numbers[i], None, labelled[i])
                self.add_outcome(out, skip, b"")
                continue
            outcome = outcome_of_row(row, self.scheme, self.year)
            self.add_outcome(out, outcome, batch.records[i])
        out.extend(batch.sliced(start, size))
        out.totals = self._summary(
            totals, values, cells_of, numbers, bad | blank, labelled
        )
        return out

    def _summary(
        self,
        totals: Totals,
        values: dict[str, list[Any]],
        cells_of: Sequence[Sequence[Any]],
        numbers: list[int],
        unread: set[int],
        labelled: dict[int, str],
    ) -> Summary | None:
        """The batch's `totalrows` summary: rows with a bad cell or blank (`unread`)
        count towards no sums; a labelled row read whole ends a block."""
        skipped = unread | labelled.keys()
        size = len(numbers)
        counted = (
            [i for i in range(size) if i not in skipped] if skipped else range(size)
        )
        closing = sorted(i for i in labelled if i not in unread)
        return summarise(
            totals,
            self.scheme.fields,
            values,
            counted,
            closing,
            numbers,
            lambda i: totals.named(cells_of[i]),
        )

    def _beyond(self, batch: Batch) -> list[int]:
        """The firms with an indicator value no output can carry (see `_beyond`)."""
        out: list[int] = []
        for t, firms in enumerate(batch.by_track):
            for ind, values in zip(
                self.scheme.tracks[t].indicators, firms.values, strict=True
            ):
                given = (
                    [v for v in values if v is not None] if None in values else values
                )
                if not given:
                    continue
                if ind.decimals is not None:  # k of k / 10^decimals
                    limit = _LARGEST * 10**ind.decimals
                    if -limit <= min(given) and max(given) <= limit:
                        continue
                    out += [
                        firms.members[i]
                        for i, v in enumerate(values)
                        if v is not None and abs(v) > limit
                    ]
                else:  # (numerator, denominator)
                    out += [
                        firms.members[i]
                        for i, v in enumerate(values)
                        if v is not None and abs(v[0]) > _LARGEST * v[1]
                    ]
        return out

    def _measure_columns(self, columns: Columns, slow: set[int]) -> Batch:
        size = columns.size
        tracks = [-1] * size
        for t, when in enumerate(self.track_when):
            if when is None:
                tracks = [t if x < 0 else x for x in tracks]
                break
            held = when(columns)
            tracks = [
                t if x < 0 and h is True else x
                for x, h in zip(tracks, held, strict=True)
            ]
        ok = [x >= 0 for x in tracks]
        for condition, exclude_unknown in self.exclusions:
            held = condition(columns)
            if exclude_unknown:
                ok = [o and h is False for o, h in zip(ok, held, strict=True)]
            else:
                ok = [o and h is not True for o, h in zip(ok, held, strict=True)]
        for i in slow:
            ok[i] = False
        rated = [False] * size
        batch = Batch(tracks=tracks, rated=rated)
        for t, _ in enumerate(self.scheme.tracks):
            members = list(
                compress(
                    range(size), [x == t and o for x, o in zip(tracks, ok, strict=True)]
                )
            )
            firms = self._track(t, columns, members)
            for m in firms.members:
                rated[m] = True
            batch.by_track.append(firms)
        return batch

    def _track(self, t: int, columns: Columns, members: list[int]) -> TrackFirms:
        if not members:
            return self._track_firms(t)
        taken = columns.take(members)
        values = [indicator(taken) for indicator in self.indicators[t]]
        gaps = [values[i] for i in self.required[t] if None in values[i]]
        if gaps:  # a gap in an indicator the firm is not rated without
            alive = [None not in firm for firm in zip(*gaps, strict=True)]
            members = list(compress(members, alive))
            if not members:
                return self._track_firms(t)
            taken = columns.take(members)
            values = [list(compress(v, alive)) for v in values]
        parts = [
            None if p is None else p(taken, values[i])
            for i, p in enumerate(self.parts[t])
        ]
        firms = TrackFirms(members, values, parts)
        if self.adjustments:
            masks = [0] * len(members)
            for j, condition in enumerate(self.adjustments):
                bit = 1 << j
                masks = [
                    m | bit if h is True else m
                    for m, h in zip(masks, condition(taken), strict=True)
                ]
            firms.adjustments = masks
        if self.overrides:
            chosen = [-1] * len(members)
            for j in reversed(range(len(self.overrides))):  # the first that holds
                chosen = [
                    j if h is True else c
                    for c, h in zip(chosen, self.overrides[j](taken), strict=True)
                ]
            firms.overrides = chosen
        return firms

    # -- rows already read (FirmRow), by the general path ----------------------------

    def measure_firm_rows(self, rows: Sequence[FirmRow]) -> Batch:
        """Pass 1 of rows given as FirmRows (any source): the general path."""
        batch = self.empty(rows[0].source if rows else "")
        for row in rows:
            outcome = outcome_of_row(row, self.scheme, self.year)
            record = marshal.dumps(outcome[4]) if outcome[0] == "firm" else b""
            self.add_outcome(batch, outcome, record)
        return batch


def _record(row: tuple[int, Sequence[Any]]) -> bytes:
    # marshal takes plain cells; a workbook's dates (and an over-long cell) need pickle
    try:
        # typed for marshallable values only; at run time any other raises ValueError
        return marshal.dumps(row)  # type: ignore[arg-type]
    except ValueError:
        return pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL)


def load_record(data: bytes) -> Any:
    """A spill record: (row number, cells), or a Measured tuple for a FirmRow."""
    # a pickle stream starts with the PROTO opcode 0x80, which no marshal stream does
    return pickle.loads(data) if data[:1] == b"\x80" else marshal.loads(data)  # noqa: S301 (our own spill)


def table_columns(table: FirmTable) -> list[Column]:
    """The mapped columns of an opened firms table, each with its converter."""
    return [
        Column(c.index, c.header, c.field, f, c.unit, converter(f, c.unit))
        for c in table.columns
        for f in (table.fields[c.field],)
    ]
