"""Storing screened rows in bulk, on the driver's own cursor.

This is the batch's hot path (a few thousand rows per transaction, every row of a
100,000-row batch): statements are plain SQL with the driver's parameters, values are
converted here as the schema's types would convert them, and nothing is compiled per
call. On SQLite rows go in by `executemany` (a loop in C, in the process); on
PostgreSQL every step is one statement whatever the number of rows — the rows travel
as one binary array per column (`unnest`), so the server parses and plans a statement
once per transaction, not once per row. It runs inside a transaction the register
began; see `Register.store` for the steps and what makes them idempotent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Table,
)
from sqlalchemy.types import TypeDecorator

from screening.register.records import Renamed, fold, generated_key, screening_key
from screening.register.schema import (
    companies,
    leads,
    run_leads,
    screenings,
    to_scaled,
)

_IN = 500  # values per IN (…) list (SQLite)


def _array_type(column: Any) -> str:
    """The PostgreSQL array type a column's values travel in (text for VARCHAR(n):
    inserting text into the column checks the length, where a cast would cut it)."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    for base, name in (
        (Boolean, "bool"),
        (BigInteger, "int8"),
        (Integer, "int4"),
        (DateTime, "timestamp"),
        (Date, "date"),
        (LargeBinary, "bytea"),
        (String, "text"),  # Text too
    ):
        if isinstance(kind, base):
            return name + "[]"
    raise TypeError(f"no array type for {column}")


class Bulk:
    """Statements and conversions for one backend (SQLite or PostgreSQL)."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"
        self.mark = "?" if self.sqlite else "%s"

    # values as the schema's column types store them
    def day(self, value: dt.date | None) -> Any:
        if value is None or not self.sqlite:
            return value
        return value.isoformat()

    def time(self, value: dt.datetime) -> Any:
        if not self.sqlite:
            return value
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")

    def flag(self, value: bool) -> Any:
        return int(value) if self.sqlite else value

    def marks(self, count: int) -> str:
        return ", ".join([self.mark] * count)

    def insert(
        self,
        cur: Any,
        table: Table,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
        conflict: str = "key",
        returning: str | None = None,
    ) -> list[tuple[Any, ...]]:
        """Insert rows, skipping those whose `conflict` column is taken; on PostgreSQL
        the `returning` columns of the rows inserted (on SQLite, nothing)."""
        names = _quoted(columns)
        if self.sqlite:
            marks = self.marks(len(columns))
            cur.executemany(
                f"INSERT INTO {table.name} ({names}) VALUES ({marks}) "
                f"ON CONFLICT ({conflict}) DO NOTHING",
                rows,
            )
            return []
        arrays = ", ".join(f"%b::{_array_type(table.c[n])}" for n in columns)
        cur.execute(
            f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT ({conflict}) DO NOTHING"
            + (f" RETURNING {returning}" if returning else ""),
            [list(values) for values in zip(*rows, strict=True)],
        )
        return cur.fetchall() if returning else []

    def copy_all(
        self,
        cur: Any,
        table: Table,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> bool:
        """PostgreSQL: COPY every row in (binary, the cheapest way in for the server
        and the client); False, with nothing written, if another writer took one of
        their keys since we looked (the caller then inserts with ON CONFLICT)."""
        import psycopg

        names = _quoted(columns)
        cur.execute("SAVEPOINT bulk_copy")
        try:
            with cur.copy(
                f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types([_array_type(table.c[n])[:-2] for n in columns])
                for row in rows:
                    copy.write_row(row)
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT bulk_copy")
            return False
        cur.execute("RELEASE SAVEPOINT bulk_copy")
        return True

    def update(
        self,
        cur: Any,
        table: Table,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """Set `columns` of the rows whose id ends each tuple (in the order given)."""
        if self.sqlite:
            sets = ", ".join(f'"{n}" = ?' for n in columns)
            cur.executemany(f"UPDATE {table.name} SET {sets} WHERE id = ?", rows)
            return
        # the rows locked in id order first, as one writer after another would
        cur.execute(
            f"SELECT id FROM {table.name} WHERE id = ANY(%b) ORDER BY id FOR UPDATE",
            [[row[-1] for row in rows]],
        )
        arrays = ", ".join(f"%b::{_array_type(table.c[n])}" for n in (*columns, "id"))
        names = ", ".join(f'"{n}"' for n in (*columns, "id"))
        sets = ", ".join(f'"{n}" = new."{n}"' for n in columns)
        cur.execute(
            f"UPDATE {table.name} SET {sets} FROM unnest({arrays}) AS new({names}) "
            f"WHERE {table.name}.id = new.id",
            [list(values) for values in zip(*rows, strict=True)],
        )

    def select_in(
        self, cur: Any, sql: str, values: Sequence[Any], fetch: bool = True
    ) -> list[tuple[Any, ...]]:
        """`sql` (with `{}` where a column's test against `values` goes: `IN (…)`, or
        on PostgreSQL `= ANY(array)`) for all of `values`; all rows (when `fetch`)."""
        if not values:
            return []
        if not self.sqlite:
            cur.execute(sql.format("= ANY(%b)"), [list(values)])
            return cur.fetchall() if fetch else []
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(values), _IN):
            part = values[start : start + _IN]
            cur.execute(sql.format(f"IN ({self.marks(len(part))})"), tuple(part))
            if fetch:
                rows.extend(cur.fetchall())
        return rows


_LEAD_COLUMNS = (
    "key",
    "project_id",
    "identity",
    "name",
    "company_id",
    "park",
    "industry",
    "investment_total",
    "registered_at",
    "registered_on",
    "registered_by",
    "decision",
    "score",
    "screened_at",
    "stage",
    "stage_on",
    "updated_at",
)
_SCREENING_COLUMNS = (
    "key",
    "lead_id",
    "run_id",
    "snapshot_id",
    "source_row",
    "source_file",
    "lang",
    "decision",
    "score",
    "vetoed",
    "missing",
    "findings",
    "values",
    "contract_sha256",
    "adopted",
    "screened_at",
    "actor",
)
_UPDATE_COLUMNS = (
    "project_id",
    "name",
    "company_id",
    "park",
    "industry",
    "investment_total",
    "decision",
    "score",
    "screened_at",
    "updated_at",
    "current_screening_id",
)


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def store_rows(
    bulk: Bulk, cur: Any, run: Any, items: Sequence[Any], now: dt.datetime
) -> tuple[dict[str, int], list[str], list[Renamed]]:
    """Store `items` (register.store.Pending) for `run`; returns the counts, each
    item's lead and the leads a row gave another name or company."""
    counts = {"stored": 0, "duplicates": 0, "new_leads": 0, "updated_leads": 0}
    stamp, on = bulk.time(now), bulk.day(now.date())
    # 1. companies, by folded name
    names: dict[str, str] = {}
    for item in items:
        company = item.record.ident[2]
        if company:
            names.setdefault(fold(company), company)
    company_ids: dict[str, int] = {}
    if names:
        keys = sorted(names)
        sql = "SELECT name_key, id FROM companies WHERE name_key {}"
        company_ids.update(bulk.select_in(cur, sql, keys))
        new_keys = [k for k in keys if k not in company_ids]
        if new_keys:
            bulk.insert(
                cur,
                companies,
                ("name", "name_key", "recorded_at", "actor"),
                [(names[k], k, stamp, run.actor) for k in new_keys],
                conflict="name_key",
            )
            company_ids.update(bulk.select_in(cur, sql, new_keys))
    # 2. leads: by id, by company + name, or by where the row came from
    prepared = []
    for item in items:
        pid = item.record.ident[0]
        identity = item.record.identity
        candidate = (
            item.lead
            or pid
            or generated_key(
                identity, run.input_sha256, item.row, item.record.values_sha
            )
        )
        prepared.append(
            (
                item,
                None if item.lead else pid,
                None if item.lead else identity,
                candidate,
            )
        )
    found: dict[int, tuple[Any, ...]] = {}
    lead_sql = "SELECT id, key, project_id, identity, name, company_id FROM leads WHERE {} {{}}"
    for row in bulk.select_in(
        cur, lead_sql.format("key"), sorted({p[3] for p in prepared})
    ):
        found[row[0]] = row
    known_keys = {row[1] for row in found.values()}
    # rows not found by key: a lead given an id later, or one found by company + name
    # (for a row with an id, only a lead that has none yet; for a row without, the
    # first registered)
    missing = [p for p in prepared if p[3] not in known_keys]
    pids = sorted({p[1] for p in missing if p[1]})
    for row in bulk.select_in(cur, lead_sql.format("project_id"), pids):
        found[row[0]] = row
    free: dict[str, tuple[Any, ...]] = {}  # identity → a lead without an id
    first: dict[str, tuple[Any, ...]] = {}  # identity → the first lead registered
    with_id = sorted({p[2] for p in missing if p[2] and p[1]})
    for row in bulk.select_in(
        cur, lead_sql.format("project_id IS NULL AND identity"), with_id
    ):
        if row[3] not in free or row[0] < free[row[3]][0]:
            free[row[3]] = row
    without_id = sorted({p[2] for p in missing if p[2] and not p[1]})
    for row in bulk.select_in(
        cur,
        "SELECT id, key, project_id, identity FROM leads WHERE id IN "
        "(SELECT min(id) FROM leads WHERE identity {} GROUP BY identity)",
        without_id,
    ):
        first[row[3]] = row
    by_key = {row[1]: row for row in found.values()}
    by_pid: dict[str, tuple[Any, ...]] = {}
    for row in sorted(found.values(), reverse=True):  # the first registered wins
        if row[2]:
            by_pid[row[2]] = row
    # each screening once, in the order of the last row that gave it: a row screening
    # again what an earlier row here did is its lead's latest row, as it is when a later
    # transaction holds it (A, B, A again ends with that A current, not B)
    keyed_by: dict[bytes, tuple[bytes, Any, str, int | None, str | None]] = {}
    first_identity: dict[str, str | None] = {}  # a lead's key → its first row's
    lead_keys: list[str] = []  # each item's lead, in input order
    # the leads this input found or made in its earlier rows, matched as stored ones
    # are (one project twice in one input is one lead, as in two inputs): key and
    # database id (None: made here)
    here_pid: dict[str, tuple[str, int | None]] = {}  # by the id a row gave
    here_first: dict[str, tuple[str, int | None]] = {}  # identity → the first
    here_free: dict[str, tuple[str, int | None]] = {}  # identity → made without an id
    pid_of: dict[int, str | None] = {}  # a stored lead's id, or the one it takes here
    for item, pid, identity, candidate in prepared:
        lead = by_key.get(candidate) or (by_pid.get(pid) if pid else None)
        here = here_pid.get(pid) if pid and lead is None else None
        if lead is None and here is None and identity is not None:
            if pid:  # a lead without an id takes it, and is free no more
                lead = free.pop(identity, None)
                here = None if lead else here_free.pop(identity, None)
            else:
                lead = first.get(identity)
                here = None if lead else here_first.get(identity)
        if lead is not None:
            key, lead_id = lead[1], lead[0]
            if pid_of.get(lead_id) is None:
                pid_of[lead_id] = lead[2] or pid
        elif here is not None:
            key, lead_id = here
        else:
            key, lead_id = candidate, None
            if identity is not None and not pid:
                here_free[identity] = (key, None)
        if pid:
            here_pid.setdefault(pid, (key, lead_id))
        if identity is not None:
            here_first.setdefault(identity, (key, lead_id))
        lead_keys.append(key)
        first_identity.setdefault(key, identity)
        skey = screening_key(key, run.ruleset_sha256, item.record.values_sha)
        if skey in keyed_by:  # stored from its first row, in this row's place
            counts["duplicates"] += 1
            keyed_by[skey] = keyed_by.pop(skey)
        else:
            keyed_by[skey] = (skey, item, key, lead_id, identity)
    keyed = list(keyed_by.values())
    # 3. screenings stored already (a rerun, another writer) are not stored again
    existing = {  # key → (adopted, id)
        bytes(row[0]): (row[1], row[2])
        for row in bulk.select_in(
            cur,
            "SELECT key, adopted, id FROM screenings WHERE key {}",
            [k[0] for k in keyed],
        )
    }
    fresh = [k for k in keyed if k[0] not in existing]
    counts["duplicates"] += len(keyed) - len(fresh)
    adopted = run.adopted
    # adopting a screening stored before as a trial (a rescreen, then --adopt): the
    # same screening, now current
    promoted = (
        [k for k in keyed if k[0] in existing and not existing[k[0]][0]]
        if adopted
        else []
    )
    # an adopted screening screened again (its values and rule set once more): current
    # again, as the latest screening would be
    again = (
        {k[0] for k in keyed if k[0] in existing and existing[k[0]][0] and k[3]}
        if adopted
        else set()
    )
    again_ids = {existing[k][1] for k in again}
    if promoted:
        bulk.select_in(
            cur,
            f"UPDATE screenings SET adopted = {bulk.flag(True)} WHERE key {{}}",
            [k[0] for k in promoted],
            fetch=False,
        )

    def lead_values(item: Any) -> tuple[Any, ...]:
        _pid, name, company, park, industry, total = item.record.ident
        return (
            name,
            company_ids.get(fold(company)) if company else None,
            park,
            industry,
            to_scaled(total, floor=True),
            item.decision if adopted else None,
            to_scaled(item.record.score) if adopted else None,
            stamp if adopted else None,
        )

    # 4. new leads, with the values of their last row here
    new: dict[str, tuple[Any, ...]] = {}
    for _skey, item, key, lead_id, _identity in fresh:
        if lead_id is None:
            earlier = new.get(key)
            registered = (stamp, on, run.actor) if earlier is None else earlier[8:11]
            values = lead_values(item)
            new[key] = (
                key,
                # the id one of its rows gave, the company + name of its first
                (earlier[1] if earlier else None) or item.record.ident[0],
                first_identity[key],
                *values[:5],
                *registered,
                *values[5:],
                "洽谈",
                on,
                stamp,
            )
    lead_ids: dict[str, int] = {}
    raced: set[str] = set()
    if new:
        keys = sorted(new)  # one lock order for every writer
        lead_rows = [new[k] for k in keys]
        if bulk.sqlite:  # the writer holds the write lock: every lead is new
            bulk.insert(cur, leads, _LEAD_COLUMNS, lead_rows)
            assert cur.rowcount == len(keys), (cur.rowcount, len(keys))
        if bulk.sqlite or bulk.copy_all(cur, leads, _LEAD_COLUMNS, lead_rows):
            lead_ids.update(
                bulk.select_in(cur, "SELECT key, id FROM leads WHERE key {}", keys)
            )
        else:
            returned = bulk.insert(
                cur, leads, _LEAD_COLUMNS, lead_rows, returning="key, id"
            )
            lead_ids.update(returned)
            # another writer's leads (created between our look-up and insert) are
            # existing ones
            raced = {k for k in keys if k not in lead_ids}
            lead_ids.update(
                bulk.select_in(
                    cur, "SELECT key, id FROM leads WHERE key {}", sorted(raced)
                )
            )
        counts["new_leads"] = len(keys) - len(raced)
    # 5. the screenings
    rows = []
    # lead → (its latest row here, its current screening when that is not its latest
    # adopted one)
    last_of_lead: dict[int, tuple[Any, int | None]] = {}
    flag = bulk.flag(adopted)
    for skey, item, key, lead_id, _identity in fresh:
        lid = lead_id if lead_id is not None else lead_ids[key]
        record = item.record
        rows.append(
            (
                skey,
                lid,
                run.id,
                run.snapshot_id,
                item.row,
                item.file,
                run.lang,
                item.decision,
                to_scaled(record.score),
                record.vetoed,
                record.missing,
                record.findings,
                record.values,
                record.contract_sha256,
                flag,
                stamp,
                run.actor,
            )
        )
    # existing leads take their latest row here (new ones were made from it)
    promoted_keys = {k[0] for k in promoted}
    fresh_keys = {row[0] for row in rows}
    refreshed: set[int] = set()  # existing leads with a new screening here
    for skey, item, key, lead_id, _identity in keyed:
        if skey in promoted_keys or skey in again:
            lid = lead_id if lead_id is not None else lead_ids[key]
            last_of_lead[lid] = (item, existing[skey][1])
        elif skey in fresh_keys and (lead_id is not None or key in raced):
            lid = lead_id if lead_id is not None else lead_ids[key]
            last_of_lead[lid] = (item, None)
            refreshed.add(lid)
    # leads whose latest row here only screened one of their adopted screenings again
    screened_again = {
        lid: entry[1]
        for lid, entry in last_of_lead.items()
        if lid not in refreshed and entry[1] is not None and entry[1] in again_ids
    }
    if rows:
        if bulk.sqlite:  # the writer holds the write lock: every screening is new
            bulk.insert(cur, screenings, _SCREENING_COLUMNS, rows)
            assert cur.rowcount == len(rows), (cur.rowcount, len(rows))
            stored = len(rows)
        elif bulk.copy_all(cur, screenings, _SCREENING_COLUMNS, rows):
            stored = len(rows)
        else:  # another writer stored some meanwhile
            returned = bulk.insert(
                cur, screenings, _SCREENING_COLUMNS, rows, returning="key"
            )
            stored = len(returned)
        counts["stored"] = stored
        counts["duplicates"] += len(rows) - stored
    # 6. existing leads take the values and decision of their latest row
    renamed: list[Renamed] = []
    for lid in _already_current(bulk, cur, screened_again):
        del last_of_lead[lid]  # a rerun of the same input changes no lead
    if last_of_lead and adopted:
        bulk.update(
            cur,
            leads,
            _UPDATE_COLUMNS,
            [
                (
                    pid_of.get(lid) or item.record.ident[0],
                    *lead_values(item),
                    stamp,
                    current,
                    lid,
                )
                for lid, (item, current) in sorted(last_of_lead.items())
            ],
        )
        counts["updated_leads"] = len(last_of_lead)
        renamed = _renamed(bulk, cur, found, last_of_lead, company_ids)
        # a row stored on a lead it names (an edit) gives the lead its company + name
        # to be found by: renamed, a later row of the new names is that lead
        known_as = [
            (item.record.identity, lid)
            for lid, (item, _current) in sorted(last_of_lead.items())
            if item.lead is not None and item.record.identity is not None
        ]
        if known_as:
            bulk.update(cur, leads, ("identity",), known_as)
    # 7. the run's leads, those whose screening was stored already among them
    unknown = sorted({k[2] for k in keyed if k[3] is None and k[2] not in lead_ids})
    if unknown:  # a lead and its screening another writer stored since we looked
        lead_ids.update(
            bulk.select_in(cur, "SELECT key, id FROM leads WHERE key {}", unknown)
        )
    screened = sorted({k[3] if k[3] is not None else lead_ids[k[2]] for k in keyed})
    if screened:
        bulk.insert(
            cur,
            run_leads,
            ("run_id", "lead_id"),
            [(run.id, lid) for lid in screened],
            conflict="run_id, lead_id",
        )
    return counts, lead_keys, renamed


def _already_current(bulk: Bulk, cur: Any, named: dict[int, int]) -> list[int]:
    """The leads of `named` (lead → a screening of its) whose current screening it
    already is: the one the lead names, else its latest adopted."""
    if not named:
        return []
    ids = sorted(named)
    now = dict(
        bulk.select_in(
            cur,
            f"SELECT lead_id, max(id) FROM screenings WHERE adopted = "
            f"{bulk.flag(True)} AND lead_id {{}} GROUP BY lead_id",
            ids,
        )
    )
    sql = "SELECT id, current_screening_id FROM leads WHERE id {}"
    now.update((lid, sid) for lid, sid in bulk.select_in(cur, sql, ids) if sid)
    return [lid for lid in ids if now.get(lid) == named[lid]]


def _renamed(
    bulk: Bulk,
    cur: Any,
    found: dict[int, tuple[Any, ...]],
    last_of_lead: dict[int, tuple[Any, int | None]],
    company_ids: dict[str, int],
) -> list[Renamed]:
    """The leads found by their id (`found`: id, key, project id, identity, name,
    company id) that their row here gave another name or company, in row order."""
    changed = []
    for lid, (item, *_rest) in last_of_lead.items():
        old = found.get(lid)
        if old is None or item.lead is not None:  # a new lead, or a rescreen
            continue
        _pid, name, company, *_rest = item.record.ident
        company_id = company_ids.get(fold(company)) if company else None
        if (old[4] is not None and (name is None or fold(name) != fold(old[4]))) or (
            old[5] is not None and company_id != old[5]
        ):
            changed.append((old, item, name, company))
    if not changed:
        return []
    names = dict(
        bulk.select_in(
            cur,
            "SELECT id, name FROM companies WHERE id {}",
            sorted({old[5] for old, *_ in changed if old[5] is not None}),
        )
    )
    return sorted(
        (
            Renamed(old[1], item.row, old[4], name, names.get(old[5]), company)
            for old, item, name, company in changed
        ),
        key=lambda r: (r.row is None, r.row or 0, r.lead),
    )
