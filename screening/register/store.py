"""The register's API: store screenings, record stages, committee decisions, promises
and actuals, and read leads back. The CLI, the batch, the web app and the 回头看
evaluation all go through `Register`.

Every write is one transaction. On SQLite it begins with BEGIN IMMEDIATE (writers
queue, each waiting up to the busy timeout); on PostgreSQL the lead row is locked
(SELECT … FOR UPDATE) before a stage or decision is checked against it. Stored
screenings are idempotent (see `records.screening_key`): storing the same input again,
from a rerun or a second writer, adds nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import DBAPIError

from screening.model.effective import RuleSet
from screening.register import db
from screening.register.db import NotFound, RegisterError
from screening.register.figures import ACTUAL_FORM, FIGURE_UNITS, PROMISE_FORM
from screening.register.records import (
    Record,
    Renamed,
    decode_findings,
    decode_values,
)
from screening.register.schema import (
    COMMITTEE,
    ENDINGS,
    STAGES,
    actuals,
    committee_decisions,
    companies,
    leads,
    promises,
    run_leads,
    runs,
    screenings,
    snapshot_files,
    snapshots,
    stage_events,
)
from screening.register.snapshot import (
    Snapshot,
    SnapshotFile,
    load_snapshot,
    take_snapshot,
)
from screening.register.stages import plan_move, stage_name

# Rows per transaction when storing a batch: large enough that a commit's cost is
# spread thin, small enough that a killed run loses little and a second writer waits
# little (about a second of screening on two cores).
BATCH_ROWS = 2_000
_IN_LIMIT = 500  # keys per IN (…) list
_BROAD = 20_000  # leads matching a filter above which a page is read in id order


def utc_now() -> dt.datetime:
    """Now in UTC, without a zone (how the register stores times)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def today() -> dt.date:
    """Today on the office's calendar (the local date): later dates are refused."""
    return dt.date.today()


# A committee meeting before this is a typo (0001-01-01, 1025 for 2025): refused, as is
# one after today; the web app's meetings are held to it too.
EARLIEST_MEETING = dt.date(2000, 1, 1)
# The longest note, reason or committee opinion a user may write (characters), in the
# CLI, the web forms (maxlength) and the API alike.
NOTE_LIMIT = 2000


def check_meeting_date(on: dt.date) -> None:
    """Refuse a meeting date before 2000-01-01 (field `meeting_on`)."""
    if on < EARLIEST_MEETING:
        raise RegisterError(
            f"会议日期 {on} 早于 {EARLIEST_MEETING}，请检查年份 / the meeting date "
            f"{on} is before {EARLIEST_MEETING}: check the year",
            field="meeting_on",
        )


_TEXT_TITLES = {
    "note": ("说明", "note"),
    "reason": ("原因", "reason"),
}


def check_text(text: str | None, field: str = "note") -> None:
    """Refuse a note (or a reason) longer than NOTE_LIMIT characters, naming `field`."""
    if text is not None and len(text) > NOTE_LIMIT:
        zh, en = _TEXT_TITLES.get(field, (field, field))
        raise RegisterError(
            f"{zh}不能超过 {NOTE_LIMIT} 个字符（所填 {len(text)} 个）/ the {en} may be "
            f"at most {NOTE_LIMIT:,} characters ({len(text):,} given)",
            field=field,
        )


@dataclass(frozen=True)
class Run:
    """A run that stores screenings (a batch, an import, an add or a rescreen)."""

    id: int
    kind: str
    snapshot_id: int
    ruleset_sha256: str
    lang: str
    input_sha256: str | None
    actor: str
    adopted: bool = True


@dataclass
class StoreCounts:
    """What storing some screened rows did."""

    stored: int = 0
    duplicates: int = 0  # already in the register (a rerun, or another writer)
    new_leads: int = 0
    updated_leads: int = 0
    leads: list[str] = field(
        default_factory=list, repr=False
    )  # each row's lead key (from `store`)
    # rows whose project id found a lead under another name or company (it took theirs)
    renamed: list[Renamed] = field(default_factory=list)

    def add(self, other: StoreCounts) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.new_leads += other.new_leads
        self.updated_leads += other.updated_leads
        self.renamed += other.renamed


class Pending(NamedTuple):
    """One screened row waiting to be stored (a NamedTuple: made for every row)."""

    row: int | None  # its row in the run's input
    decision: str
    record: Record
    # the lead it belongs to, when known: a rescreen, or an edit on the web page (which
    # may rename a lead without an id: it takes the row's company + name)
    lead: str | None = None
    file: str | None = None  # the file it came from, when the input is a folder


class _Unindexed:
    """`leads.c`, each column as `+leads.column`: SQLite then uses no index for it."""

    def __getattr__(self, name: str) -> Any:
        from sqlalchemy import literal_column

        column = leads.c[name]
        return literal_column(f'+leads."{name}"', type_=column.type)


@dataclass(frozen=True)
class Filters:
    """What `list`, `rescreen`, `export` and the web pipeline select leads by."""

    park: str | None = None
    stage: str | None = None
    decision: str | None = None
    industry: str | None = None  # a GB/T 4754 code or its prefix (C38 matches C3841)
    registered_from: dt.date | None = None
    registered_to: dt.date | None = None
    min_investment: Decimal | None = None  # 万元, ≥
    max_investment: Decimal | None = None  # 万元, <
    committee: str | None = None
    # True: the lead's current screening has no committee decision (awaiting the
    # committee: never decided, or decided on an earlier screening of it); False: it has
    awaiting: bool | None = None
    keys: tuple[str, ...] = ()
    run: int | None = None  # the leads a run screened (a web batch's run)

    def where(self, unindexed: bool = False) -> list[Any]:
        """The SQL conditions. `unindexed`: written so that SQLite uses no index for
        them (`+column`), for a page of a filter that matches thousands of leads."""
        c: Any = _Unindexed() if unindexed else leads.c
        out: list[Any] = []
        if self.park is not None:
            out.append(c.park == self.park)
        if self.stage is not None:
            out.append(c.stage == stage_name(self.stage))
        if self.decision is not None:
            out.append(c.decision == self.decision)
        if self.industry is not None:
            code = self.industry.strip().upper()
            # a range on the code, not LIKE: the index serves it on both backends
            out.append(and_(c.industry >= code, c.industry < code + "\uffff"))
        if self.registered_from is not None:
            out.append(c.registered_on >= self.registered_from)
        if self.registered_to is not None:
            out.append(c.registered_on <= self.registered_to)
        if self.min_investment is not None:
            out.append(c.investment_total >= self.min_investment)
        if self.max_investment is not None:
            out.append(c.investment_total < self.max_investment)
        if self.committee is not None:
            out.append(c.committee == committee_name(self.committee))
        if self.awaiting is not None:
            out.append(~decided_now() if self.awaiting else decided_now())
        if self.keys:
            out.append(c.key.in_(self.keys))
        if self.run is not None:
            screened = select(run_leads.c.lead_id).where(run_leads.c.run_id == self.run)
            out.append(c.id.in_(screened))
        return out


UNDECIDED = "未决定"  # a filter's value: awaiting the committee (`Filters.awaiting`)


def current_screening() -> Any:
    """SQL: the id of the query's lead's current screening, as `current_screenings`
    reads it: the earlier one the lead names, else its latest adopted one."""
    adopted = screenings.alias("adopted_screenings")
    latest = (
        select(func.max(adopted.c.id))
        .where(adopted.c.lead_id == leads.c.id, adopted.c.adopted.is_(True))
        .correlate(leads)
        .scalar_subquery()
    )
    return func.coalesce(leads.c.current_screening_id, latest)


def decided_now() -> Any:
    """SQL: the lead (of the query's `leads`) has a committee decision on its current
    screening (`current_screening`)."""
    current = current_screening()
    return (
        select(committee_decisions.c.id)
        .where(
            committee_decisions.c.lead_id == leads.c.id,
            committee_decisions.c.screening_id == current,
        )
        .correlate(leads)
        .exists()
    )


def committee_filter(text: str) -> tuple[str | None, bool | None]:
    """A committee filter as typed (`list --committee`, the pipeline, the API): 未决定
    (undecided) → (None, awaiting True); 同意 / agree … → (its name, None)."""
    if text.strip().lower() in (UNDECIDED, "undecided"):
        return None, True
    return committee_name(text), None


def committee_name(text: str) -> str:
    """同意 / 不同意 / 暂缓 (or agree / disagree / defer) → the Chinese name."""
    value = text.strip()
    if value in COMMITTEE:
        return value
    for zh, en in COMMITTEE.items():
        if value.lower() == en:
            return zh
    raise RegisterError(
        f"委员会决定应为 同意 / 不同意 / 暂缓：{text!r} / expected agree, disagree or defer"
    )


# Figures of a promise and of an actual report: name → unit kind (their dates and note
# are columns of their own)
PROMISE_FIGURES = {f.name: f.kind for f in PROMISE_FORM if f.kind in FIGURE_UNITS}
ACTUAL_FIGURES = {f.name: f.kind for f in ACTUAL_FORM if f.kind in FIGURE_UNITS}


class Register:
    """One register database: open it, then store and query through its methods."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    # --- opening ----------------------------------------------------------------------

    @classmethod
    def open(cls, db_ref: str | None = None, *, create: bool = False) -> Register:
        """Open the register at `db_ref` (a path or URL; default $SCREENING_DB or ./screening.db).

        `create`: make the schema in a new database (commands that store); otherwise a
        missing register is an error. A database at an older schema is refused until
        `screening db upgrade`.
        """
        url = db.resolve_url(db_ref)
        path = db.sqlite_path(url)
        if path is not None and not path.exists():
            if not create:
                raise RegisterError(
                    f"找不到项目库 {path}（先存入项目，或用 --db 指定）/ no register at {path}"
                )
            if not path.parent.is_dir():
                raise RegisterError(f"{path.parent}: 文件夹不存在 / no such folder")
        engine = db.make_engine(url)
        with db.reachable(url):
            db.check_version(engine, url, create)
        return cls(engine, url)

    def close(self) -> None:
        """Release the connections (on SQLite, refreshing the planner's statistics where
        they are stale first: `PRAGMA optimize`, as SQLite advises before closing)."""
        if self.is_sqlite:
            with contextlib.suppress(DBAPIError), self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA optimize")
        self.engine.dispose()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_sqlite(self) -> bool:
        return db.is_sqlite(self.engine)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (committed on success, rolled back on any error)."""
        with db.reachable(self.url), self.engine.connect() as conn:
            conn = conn.execution_options(register_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction: one consistent view."""
        with db.reachable(self.url), self.engine.connect() as conn, conn.begin():
            yield conn

    def _insert(self, table: Any) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    # --- snapshots and runs -----------------------------------------------------------

    def snapshot_id(self, conn: Connection, snapshot: Snapshot, actor: str) -> int:
        """The id of a snapshot, stored once per distinct sha256."""
        found = conn.execute(
            select(snapshots.c.id).where(snapshots.c.sha256 == snapshot.sha256)
        ).scalar()
        if found is not None:
            return int(found)
        inserted = conn.execute(
            self._insert(snapshots)
            .values(
                sha256=snapshot.sha256,
                ruleset_id=snapshot.ruleset_id,
                version=snapshot.version,
                as_of=snapshot.as_of,
                title=snapshot.title,
                rules=snapshot.rules_json,
                recorded_at=utc_now(),
                actor=actor,
            )
            .on_conflict_do_nothing(index_elements=["sha256"])
            .returning(snapshots.c.id)
        ).scalar()
        if inserted is None:  # another writer stored it first
            return int(
                conn.execute(
                    select(snapshots.c.id).where(snapshots.c.sha256 == snapshot.sha256)
                ).scalar_one()
            )
        conn.execute(
            snapshot_files.insert(),
            [
                {
                    "snapshot_id": inserted,
                    "position": i,
                    "ruleset_id": f.ruleset_id,
                    "path": f.path,
                    "content": f.content,
                }
                for i, f in enumerate(snapshot.files)
            ],
        )
        return int(inserted)

    def start_run(
        self,
        kind: str,
        ruleset: RuleSet,
        rules_ref: str,
        lang: str,
        actor: str,
        input_path: str | None = None,
        input_sha256: str | None = None,
        adopted: bool = True,
    ) -> Run:
        """Record the start of a run (committed at once, so a killed run is still on record)."""
        snapshot = take_snapshot(ruleset)
        with self.write() as conn:
            snapshot_id = self.snapshot_id(conn, snapshot, actor)
            run_id = conn.execute(
                runs.insert()
                .values(
                    kind=kind,
                    input=input_path,
                    input_sha256=input_sha256,
                    rules_ref=rules_ref,
                    snapshot_id=snapshot_id,
                    lang=lang,
                    started_at=utc_now(),
                    actor=actor,
                )
                .returning(runs.c.id)
            ).scalar_one()
        return Run(
            int(run_id),
            kind,
            snapshot_id,
            ruleset.sha256,
            lang,
            input_sha256,
            actor,
            adopted,
        )

    def finish_run(
        self, run: Run, rows: int, counts: StoreCounts, invalid: int
    ) -> None:
        """Record the end of a run and its counts."""
        with self.write() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.id == run.id)
                .values(
                    finished_at=utc_now(),
                    rows=rows,
                    stored=counts.stored,
                    duplicates=counts.duplicates,
                    invalid=invalid,
                )
            )

    # --- storing screenings -----------------------------------------------------------

    def store(self, run: Run, items: Sequence[Pending]) -> StoreCounts:
        """Store screened rows in one transaction (run again if writers deadlock)."""
        for attempt in range(5):
            try:
                with self.write() as conn:
                    return self._store(conn, run, items)
            except DBAPIError as exc:  # a deadlock between writers: run it again
                if not db.is_retryable(exc):
                    raise
                if attempt == 4:
                    raise RegisterError(
                        f"写入项目库时多次与其他写入者冲突 / gave up after repeated deadlocks: {exc.orig}"
                    ) from None
        raise AssertionError("unreachable")

    def _store(
        self, conn: Connection, run: Run, items: Sequence[Pending]
    ) -> StoreCounts:
        """The steps, in one transaction:

        1. companies by folded name, created when new;
        2. each row's lead: by the project id it gives (a lead's id, or the id a lead was
           given later), else by company + name, else by the input and row it came from;
        3. each row's idempotence key (lead, rule set sha256, values): rows already
           stored are left out (a rerun, or another writer's run of the same input);
        4. new leads created (ON CONFLICT DO NOTHING: a second writer's leads are found);
        5. the screenings inserted;
        6. existing leads updated to their latest row's values and decision (a row
           that screens an earlier screening again makes that one current: the lead
           names it, `current_screenings`);
        7. the run's leads noted (`run_leads`), those found stored already among them.
        """
        from screening.register.bulk import Bulk, store_rows

        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            done, keys, renamed = store_rows(
                Bulk(self.engine.dialect.name), cursor, run, items, utc_now()
            )
        finally:
            cursor.close()
        return StoreCounts(**done, leads=keys, renamed=renamed)

    # --- reading ----------------------------------------------------------------------

    def lead_row(self, conn: Connection, key: str, lock: bool = False) -> Row[Any]:
        """A lead by its id (or the project id it was given), spaces around it left out
        as they are when storing; unknown ids are an error."""
        ids = {key, key.strip()}  # a lead stored with spaces, before they were stripped
        query = (
            select(leads)
            .where(or_(leads.c.key.in_(ids), leads.c.project_id.in_(ids)))
            .order_by((leads.c.key == key).desc(), leads.c.id)
        )
        if lock and not self.is_sqlite:
            query = query.with_for_update()
        row = conn.execute(query.limit(1)).first()
        if row is None:
            raise NotFound(
                f"项目库中没有项目 {key!r}（见 screening register list）/ no such lead"
            )
        return row

    def lead_known_as(self, identity: str) -> str | None:
        """The first lead registered with this company + name (`identity_of`), by key."""
        with self.read() as conn:
            return conn.execute(
                select(leads.c.key)
                .where(leads.c.identity == identity)
                .order_by(leads.c.id)
                .limit(1)
            ).scalar()

    def leads(
        self, filters: Filters = Filters(), limit: int | None = 50, offset: int = 0
    ) -> tuple[int, list[dict[str, Any]]]:
        """Leads matching `filters`, newest first: (how many match, one page)."""
        where = filters.where()
        with self.read() as conn:
            total = conn.execute(
                select(func.count()).select_from(leads).where(*where)
            ).scalar_one()
            # thousands match: walking the leads newest first finds a page at once,
            # where an index on the filter would sort every match (SQLite's planner
            # cannot weigh the two)
            broad = where and self.is_sqlite and total > _BROAD and limit is not None
            query = (
                select(leads, companies.c.name.label("company"))
                .outerjoin(companies, companies.c.id == leads.c.company_id)
                .where(*(filters.where(unindexed=True) if broad else where))
                .order_by(leads.c.id.desc())
                .offset(offset)
            )
            if limit is not None:
                query = query.limit(limit)
            rows = [lead_dict(row) for row in conn.execute(query)]
        return int(total), rows

    def undecided(self, lead_ids: Sequence[int]) -> set[int]:
        """Of these leads (by `lead_pk`), those whose current screening has no
        committee decision (`Filters.awaiting`)."""
        out: set[int] = set()
        with self.read() as conn:
            for chunk in _chunks(sorted(set(lead_ids))):
                query = select(leads.c.id).where(leads.c.id.in_(chunk), ~decided_now())
                out.update(int(lead_id) for (lead_id,) in conn.execute(query))
        return out

    def iter_leads(
        self, conn: Connection, filters: Filters, batch: int = 2_000
    ) -> Iterator[dict[str, Any]]:
        """Every lead matching `filters`, in id order, a page at a time."""
        after = 0
        while True:
            query = (
                select(leads, companies.c.name.label("company"))
                .outerjoin(companies, companies.c.id == leads.c.company_id)
                .where(*filters.where(), leads.c.id > after)
                .order_by(leads.c.id)
                .limit(batch)
            )
            page = [lead_dict(row) for row in conn.execute(query)]
            if not page:
                return
            yield from page
            after = page[-1]["lead_pk"]

    def lead(self, key: str) -> dict[str, Any]:
        """A lead with every screening (`current` marking the one that counts), stage
        event, committee decision, promise and actual."""
        with self.read() as conn:
            row = self.lead_row(conn, key)
            lead = lead_dict(row)
            if row.company_id is not None:
                lead["company"] = conn.execute(
                    select(companies.c.name).where(companies.c.id == row.company_id)
                ).scalar()
            lead["screenings"] = [
                self._screening_dict(s)
                for s in conn.execute(
                    select(
                        screenings,
                        snapshots.c.ruleset_id,
                        snapshots.c.version,
                        snapshots.c.sha256.label("ruleset_sha256"),
                        snapshots.c.as_of,
                        snapshots.c.rules,
                        runs.c.input,
                        runs.c.kind.label("run_kind"),
                        runs.c.rules_ref,
                    )
                    .join(snapshots, snapshots.c.id == screenings.c.snapshot_id)
                    .outerjoin(runs, runs.c.id == screenings.c.run_id)
                    .where(screenings.c.lead_id == row.id)
                    .order_by(screenings.c.id)
                )
            ]
            current = current_screenings(conn, [row.id]).get(row.id)
            for screening in lead["screenings"]:
                screening["current"] = screening["id"] == current
            for item, table, order in (
                ("stages", stage_events, (stage_events.c.id,)),
                (
                    "committee_decisions",
                    committee_decisions,
                    (committee_decisions.c.id,),
                ),
                ("promises", promises, (promises.c.id,)),
                ("actuals", actuals, (actuals.c.reported_on, actuals.c.id)),
            ):
                query = select(table).where(table.c.lead_id == row.id).order_by(*order)
                lead[item] = [
                    {k: v for k, v in r._mapping.items() if k != "lead_id"}
                    for r in conn.execute(query)
                ]
        return lead

    def _screening_dict(self, row: Row[Any]) -> dict[str, Any]:
        m = row._mapping
        rules = json.loads(m["rules"])
        return {
            "id": m["id"],
            "ruleset": {
                "id": m["ruleset_id"],
                "version": m["version"],
                "sha256": m["ruleset_sha256"],
                "path": ruleset_file(m["rules_ref"]),
            },
            "as_of": m["as_of"],
            "decision": m["decision"],
            "score": m["score"],
            "vetoed_by": json.loads(m["vetoed"]),
            "missing": json.loads(m["missing"]),
            "findings": decode_findings(m["findings"], rules),
            "values": decode_values(m["values"]),
            "source": {
                "input": m["input"],
                "file": folder_file(m["input"], m["source_file"]),
                "row": m["source_row"],
                "run": m["run_id"],
                "kind": m["run_kind"],
            },
            "lang": m["lang"],
            "adopted": m["adopted"],
            "screened_at": m["screened_at"],
            "actor": m["actor"],
            "contract_sha256": bytes(m["contract_sha256"]).hex(),
        }

    def screening(self, screening_id: int) -> dict[str, Any]:
        """One stored screening with its rule set snapshot."""
        with self.read() as conn:
            row = conn.execute(
                select(
                    screenings,
                    snapshots.c.ruleset_id,
                    snapshots.c.version,
                    snapshots.c.sha256.label("ruleset_sha256"),
                    snapshots.c.as_of,
                    snapshots.c.rules,
                    runs.c.input,
                    runs.c.kind.label("run_kind"),
                    runs.c.rules_ref,
                    leads.c.key.label("lead"),
                )
                .join(snapshots, snapshots.c.id == screenings.c.snapshot_id)
                .join(leads, leads.c.id == screenings.c.lead_id)
                .outerjoin(runs, runs.c.id == screenings.c.run_id)
                .where(screenings.c.id == screening_id)
            ).first()
            if row is None:
                raise NotFound(
                    f"项目库中没有筛查记录 {screening_id} / no such screening"
                )
            out = self._screening_dict(row)
            out["lead"] = row.lead
            out["snapshot_id"] = row.snapshot_id
            out["rules_ref"] = row.rules_ref
        return out

    def snapshot_ruleset(self, snapshot_id: int) -> RuleSet:
        """The rule set a snapshot holds, loaded from its stored files."""
        with self.read() as conn:
            head = conn.execute(
                select(snapshots).where(snapshots.c.id == snapshot_id)
            ).first()
            if head is None:
                raise NotFound(
                    f"没有规则集快照 {snapshot_id} / no such rule set snapshot"
                )
            files = tuple(
                SnapshotFile(r.ruleset_id, r.path, bytes(r.content))
                for r in conn.execute(
                    select(snapshot_files)
                    .where(snapshot_files.c.snapshot_id == snapshot_id)
                    .order_by(snapshot_files.c.position)
                )
            )
        return load_snapshot(files, head.as_of, head.sha256)

    def input_titles(self, key: str) -> dict[str, tuple[str, str]]:
        """The (zh, en) titles of the rule sets' own inputs (extra.NAME) that a lead's
        screenings read, from their snapshots: what a page or `register show` names a
        missing or changed one by."""
        with self.read() as conn:
            lead_id = self.lead_row(conn, key).id
            ids = sorted(
                conn.execute(
                    select(screenings.c.snapshot_id)
                    .where(screenings.c.lead_id == lead_id)
                    .distinct()
                ).scalars()
            )
        titles: dict[str, tuple[str, str]] = {}
        for snapshot_id in ids:
            for path, declared in self.snapshot_ruleset(snapshot_id).inputs.items():
                if declared.title is not None and path not in titles:
                    titles[path] = (declared.title.zh, declared.title.get("en"))
        return titles

    def reproduce(
        self, screening_id: int, lang: str | None = None
    ) -> tuple[bytes, bool]:
        """The contract line of a stored screening, made again from its snapshot and values.

        Returns the line (UTF-8, with its newline) and whether its sha256 equals the one
        stored (always so in the screening's own language, unless something is wrong).
        """
        from screening.report.contract import contract_bytes
        from screening.screener import Screener

        stored = self.screening(screening_id)
        ruleset = self.snapshot_ruleset(stored["snapshot_id"])
        # a rule set given as a file was labelled with that path in the line, as again here
        path = stored["ruleset"]["path"]
        if path is not None:
            ruleset.path = path
        decision = Screener(ruleset).screen_values(stored["values"])
        line = contract_bytes(decision, ruleset, lang or stored["lang"])
        import hashlib

        return line, hashlib.sha256(line).hexdigest() == stored["contract_sha256"]

    # --- stages, committee, promises, actuals -----------------------------------------

    def record_stage(
        self,
        key: str,
        stage: str,
        on: dt.date,
        actor: str,
        *,
        reason: str | None = None,
        note: str | None = None,
        override: bool = False,
    ) -> dict[str, Any]:
        """Move a lead to `stage` on `on` (see `stages.plan_move` for what is refused)."""
        target = stage_name(stage)
        check_text(reason, "reason")
        check_text(note)
        with self.write() as conn:
            lead = self.lead_row(conn, key, lock=True)
            move = plan_move(
                lead.stage,
                lead.stage_on,
                target,
                on,
                today=today(),
                reason=reason,
                note=note,
                override=override,
            )
            now = utc_now()
            conn.execute(
                stage_events.insert().values(
                    lead_id=lead.id,
                    stage=target,
                    on=on,
                    reason=reason,
                    note=note,
                    override=move.override,
                    recorded_at=now,
                    actor=actor,
                )
            )
            values: dict[str, Any] = {
                "stage": target,
                "stage_on": on,
                "updated_at": now,
                **move.set_dates,
            }
            values.update(
                {
                    column: None
                    for column in move.clear_dates
                    if column not in move.set_dates
                }
            )
            # 洽谈 from: never after a stage it led to, and never later (going back to
            # 洽谈 keeps the lead in the periods it was in the register)
            if on < lead.registered_on:
                values["registered_on"] = on
            conn.execute(update(leads).where(leads.c.id == lead.id).values(values))
        return {
            "lead": lead.key,
            "from": lead.stage,
            "stage": target,
            "on": on,
            "override": move.override,
        }

    def record_committee(
        self,
        key: str,
        decision: str,
        meeting_on: dt.date,
        actor: str,
        note: str | None = None,
        meeting_id: int | None = None,
    ) -> dict[str, Any]:
        """Record a committee's decision beside the engine's, taken at `meeting_id`
        (a meeting of the web app's) or without one. It becomes the lead's current
        decision unless one of a later meeting is on record.

        同意 is refused for a lead whose latest screening is vetoed: a one-vote veto
        (一票否决) is not the committee's to override. So is a meeting date after today,
        before 2000-01-01 or before the lead was registered (its 洽谈 date), and a note
        longer than NOTE_LIMIT.

        A second decision at the same meeting (the same web meeting; without one, the
        same meeting date) corrects the first: both are kept in the history, and the
        answer's `replaced` gives the one it corrects (else None).
        """
        name = committee_name(decision)
        day = today()
        if meeting_on > day:
            raise RegisterError(
                f"会议日期 {meeting_on} 晚于今天 / a meeting date in the future is refused",
                field="meeting_on",
            )
        check_meeting_date(meeting_on)
        check_text(note)
        with self.write() as conn:
            lead = self.lead_row(conn, key, lock=True)
            # registered on a UTC date: never refuse today's meeting for it
            if meeting_on < min(lead.registered_on, day):
                raise RegisterError(
                    f"会议日期 {meeting_on} 早于项目 {lead.key} 的登记日期 "
                    f"{lead.registered_on}（洽谈起）；如项目洽谈实际更早，请先记录阶段 洽谈 "
                    f"及其日期 / the meeting date {meeting_on} is before {lead.key} was "
                    f"registered ({lead.registered_on}, in negotiation from); if "
                    "negotiation began earlier, record the stage 洽谈 (negotiating) "
                    "with its date first",
                    field="meeting_on",
                )
            latest = conn.execute(
                select(screenings.c.id, screenings.c.vetoed, snapshots.c.rules)
                .join(snapshots, snapshots.c.id == screenings.c.snapshot_id)
                .where(
                    screenings.c.id == current_screenings(conn, [lead.id]).get(lead.id)
                )
            ).first()
            if name == "同意" and latest is not None and json.loads(latest.vetoed):
                # by title, as the pages show them: [id, kind, zh, en] per rule
                titles = {r[0]: (r[2], r[3] or r[2]) for r in json.loads(latest.rules)}
                vetoes = [
                    titles.get(rule, (rule, rule)) for rule in json.loads(latest.vetoed)
                ]
                raise RegisterError(
                    f"项目 {lead.key} 被一票否决（{'、'.join(zh for zh, _ in vetoes)}），"
                    f"委员会不能同意 / {lead.key} is vetoed "
                    f"({', '.join(en for _, en in vetoes)}) and cannot be approved"
                )
            replaced = self._same_meeting(conn, lead.id, meeting_on, meeting_id)
            now = utc_now()
            conn.execute(
                committee_decisions.insert().values(
                    lead_id=lead.id,
                    decision=name,
                    meeting_on=meeting_on,
                    note=note,
                    screening_id=latest.id if latest is not None else None,
                    meeting_id=meeting_id,
                    recorded_at=now,
                    actor=actor,
                )
            )
            # the latest meeting's decision is the lead's (on the same day, the one
            # recorded last); one entered late for an earlier meeting is history only
            latest_meeting = (
                lead.committee_on is None or meeting_on >= lead.committee_on
            )
            conn.execute(
                update(leads)
                .where(leads.c.id == lead.id)
                .values(
                    updated_at=now,
                    **(
                        {"committee": name, "committee_on": meeting_on}
                        if latest_meeting
                        else {}
                    ),
                )
            )
        return {
            "lead": lead.key,
            "decision": name,
            "meeting_on": meeting_on,
            # the screening the committee saw (the lead's current one), and whether
            # this is now the lead's decision (not when a later meeting's is on record)
            "screening_id": latest.id if latest is not None else None,
            "current": latest_meeting,
            "replaced": replaced,
        }

    def _same_meeting(
        self,
        conn: Connection,
        lead_id: int,
        meeting_on: dt.date,
        meeting_id: int | None,
    ) -> dict[str, Any] | None:
        """The lead's latest decision at the same meeting, which a new one corrects:
        at web meeting `meeting_id` (or one recorded without a meeting on its day, as
        the meeting page shows it), else any on `meeting_on`."""
        cd = committee_decisions.c
        same = cd.meeting_on == meeting_on
        if meeting_id is not None:
            same = or_(cd.meeting_id == meeting_id, and_(same, cd.meeting_id.is_(None)))
        row = conn.execute(
            select(cd.decision, cd.meeting_on, cd.note, cd.recorded_at, cd.actor)
            .where(cd.lead_id == lead_id, same)
            .order_by(cd.id.desc())
            .limit(1)
        ).first()
        return dict(row._mapping) if row is not None else None

    def record_promise(
        self,
        key: str,
        figures: dict[str, Any],
        actor: str,
        *,
        signed_on: dt.date | None = None,
        start_by: dt.date | None = None,
        production_by: dt.date | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Record what was promised at signing. A later promise restates the earlier
        one: the figures and dates it gives replace the earlier promise's, the others
        are kept (the earlier promise stays in the history). Returns the promise now
        in force: its figures and dates."""
        _check_figures(figures, PROMISE_FIGURES)
        check_text(note)
        if not figures and start_by is None and production_by is None:
            raise RegisterError("没有给出任何承诺指标 / no figure promised")
        if signed_on is not None and signed_on > today():
            raise RegisterError(
                f"签约日期 {signed_on} 晚于今天 / a date in the future is refused"
            )
        given = {k: v for k, v in figures.items() if v is not None}
        given.update(
            (k, v)
            for k, v in (
                ("signed_on", signed_on),
                ("start_by", start_by),
                ("production_by", production_by),
            )
            if v is not None
        )
        with self.write() as conn:
            lead = self.lead_row(conn, key, lock=True)
            earlier = conn.execute(
                select(promises)
                .where(promises.c.lead_id == lead.id)
                .order_by(promises.c.id.desc())
                .limit(1)
            ).first()
            before = {
                k: v
                for k, v in (earlier._mapping.items() if earlier is not None else ())
                if k in _RESTATED and v is not None
            }
            now_promised = {**before, **given}
            _check_promised_dates(now_promised, given)
            stored = {k: now_promised.get(k) for k in _RESTATED}
            stored["signed_on"] = stored["signed_on"] or lead.signed_on
            now = utc_now()
            conn.execute(
                promises.insert().values(
                    lead_id=lead.id, note=note, recorded_at=now, actor=actor, **stored
                )
            )
            conn.execute(
                update(leads)
                .where(leads.c.id == lead.id)
                .values(
                    promised_total=now_promised.get("total_investment"),
                    promised_start=now_promised.get("start_by"),
                    promised_production=now_promised.get("production_by"),
                    updated_at=now,
                )
            )
        return {
            "lead": lead.key,
            **{k: v for k, v in stored.items() if v is not None},
        }

    def record_actual(
        self,
        key: str,
        reported_on: dt.date,
        figures: dict[str, Any],
        actor: str,
        *,
        year: int | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Record what a project reported on `reported_on` (investment in place is cumulative)."""
        _check_figures(figures, ACTUAL_FIGURES)
        check_text(note)
        if not figures:
            raise RegisterError("没有给出任何实绩指标 / no figure reported")
        if reported_on > today():
            raise RegisterError(
                f"报告日期 {reported_on} 晚于今天 / a date in the future is refused"
            )
        if year is not None and not 1990 <= year <= reported_on.year:
            raise RegisterError(
                f"年度 {year} 不在 1990–{reported_on.year} 之间 / year out of range"
            )
        with self.write() as conn:
            lead = self.lead_row(conn, key, lock=True)
            conn.execute(
                actuals.insert().values(
                    lead_id=lead.id,
                    reported_on=reported_on,
                    year=year,
                    note=note,
                    recorded_at=utc_now(),
                    actor=actor,
                    **figures,
                )
            )
        return {"lead": lead.key, "reported_on": reported_on, "year": year, **figures}

    def history(self, key: str) -> list[dict[str, Any]]:
        """A lead's events in time order: registration, screenings (with changed values),
        stages, committee decisions, promises and actuals."""
        lead = self.lead(key)
        events: list[dict[str, Any]] = [
            {
                "at": lead["registered_at"],
                "on": lead["registered_on"],
                "what": "registered",
                "actor": lead["registered_by"],
                "detail": {"stage": "洽谈"},
            }
        ]
        previous: dict[str, Any] | None = None
        for s in lead["screenings"]:
            changed = None
            if previous is not None:
                changed = sorted(
                    k
                    for k in previous.keys() | s["values"].keys()
                    if previous.get(k) != s["values"].get(k)
                )
            events.append(
                {
                    "at": s["screened_at"],
                    "on": s["screened_at"].date(),
                    "what": "screening",
                    "actor": s["actor"],
                    "detail": {
                        "id": s["id"],
                        "decision": s["decision"],
                        "score": s["score"],
                        "ruleset": s["ruleset"]["id"],
                        "ruleset_path": s["ruleset"]["path"],
                        "changed": changed,
                        "adopted": s["adopted"],
                    },
                }
            )
            previous = s["values"]
        for e in lead["stages"]:
            events.append(
                {
                    "at": e["recorded_at"],
                    "on": e["on"],
                    "what": "stage",
                    "actor": e["actor"],
                    "detail": {
                        "stage": e["stage"],
                        "reason": e["reason"],
                        "note": e["note"],
                        "override": e["override"],
                    },
                }
            )
        for c in lead["committee_decisions"]:
            events.append(
                {
                    "at": c["recorded_at"],
                    "on": c["meeting_on"],
                    "what": "committee",
                    "actor": c["actor"],
                    "detail": {
                        "decision": c["decision"],
                        "note": c["note"],
                        "screening": c["screening_id"],
                    },
                }
            )
        for p in lead["promises"]:
            events.append(
                {
                    "at": p["recorded_at"],
                    "on": p["signed_on"] or p["recorded_at"].date(),
                    "what": "promise",
                    "actor": p["actor"],
                    "detail": _figures_of(
                        p, PROMISE_FIGURES, ("start_by", "production_by")
                    ),
                }
            )
        for a in lead["actuals"]:
            events.append(
                {
                    "at": a["recorded_at"],
                    "on": a["reported_on"],
                    "what": "actual",
                    "actor": a["actor"],
                    "detail": _figures_of(a, ACTUAL_FIGURES, ("year",)),
                }
            )
        return sorted(events, key=lambda e: (e["on"], e["at"]))


def _figures_of(
    row: dict[str, Any], names: dict[str, str], extra: tuple[str, ...]
) -> dict[str, Any]:
    return {k: row[k] for k in (*names, *extra, "note") if row.get(k) is not None}


# what a promise restating an earlier one keeps of it when it does not give it
_RESTATED = (*PROMISE_FIGURES, "signed_on", "start_by", "production_by")


def _check_promised_dates(promised: dict[str, Any], given: dict[str, Any]) -> None:
    """Production before start (a typo in a year, feeding the wrong 投产率 cohort) is
    refused, also when one of the two dates is the earlier promise's."""
    start_by, production_by = promised.get("start_by"), promised.get("production_by")
    if start_by is None or production_by is None or production_by >= start_by:
        return
    kept = [
        (zh, en)
        for name, zh, en in (
            ("start_by", "承诺开工日期", "start"),
            ("production_by", "承诺投产日期", "production date"),
        )
        if name not in given
    ]
    raise RegisterError(
        f"承诺投产日期 {production_by} 早于承诺开工日期 {start_by}"
        + (f"（{kept[0][0]}沿用上次承诺）" if kept else "")
        + f" / the promised production date {production_by} is before the promised "
        f"start {start_by}"
        + (f" (the {kept[0][1]} is the earlier promise's)" if kept else ""),
        field="production_by",
    )


def _check_figures(figures: dict[str, Any], allowed: dict[str, str]) -> None:
    for name, value in figures.items():
        if name not in allowed:
            raise RegisterError(f"未知指标 {name} / unknown figure")
        if value is None:
            continue
        if allowed[name] == "count":
            if not isinstance(value, int) or value < 0:
                raise RegisterError(
                    f"{name} 应为非负整数 / must be a whole number", field=name
                )
        elif (
            not isinstance(value, Decimal)
            or value < 0
            or value != value.quantize(Decimal("0.0001"))
        ):
            raise RegisterError(
                f"{name} 应为不小于 0、至多四位小数的数值 / must be ≥ 0 with at most 4 decimals",
                field=name,
            )


def folder_file(input_path: str | None, name: str | None) -> str | None:
    """The file a screening came from when its run's input is a folder, as the
    folder's reader cites it (the folder / the file's name); else None."""
    return str(Path(input_path or "") / name) if name else None


def ruleset_file(rules_ref: str | None) -> str | None:
    """The rule-set file a run was given (`--rules ./draft.yaml`), as its contract lines
    name it (`ruleset.path`); None for a rule set given by id."""
    if rules_ref and Path(rules_ref).suffix.lower() in (".yaml", ".yml", ".json"):
        return rules_ref
    return None


def current_screenings(conn: Connection, lead_ids: Sequence[int]) -> dict[int, int]:
    """Each lead's current screening: the earlier one it names when that was screened
    again (`leads.current_screening_id`), else its latest adopted one. Leads with no
    adopted screening are left out."""
    out: dict[int, int] = {}
    for chunk in _chunks(sorted(set(lead_ids))):
        latest = (
            select(screenings.c.lead_id, func.max(screenings.c.id))
            .where(screenings.c.lead_id.in_(chunk), screenings.c.adopted.is_(True))
            .group_by(screenings.c.lead_id)
        )
        out.update({lead: sid for lead, sid in conn.execute(latest)})
        named = select(leads.c.id, leads.c.current_screening_id).where(
            leads.c.id.in_(chunk), leads.c.current_screening_id.is_not(None)
        )
        out.update({lead: sid for lead, sid in conn.execute(named)})
    return out


def lead_dict(row: Row[Any]) -> dict[str, Any]:
    """A lead row as the API returns it (its database id as lead_pk)."""
    m = dict(row._mapping)
    m["lead_pk"] = m.pop("id")
    m.pop("identity", None)
    m.pop("current_screening_id", None)  # see current_screenings
    m.setdefault("company", None)
    return m


def _bind(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name)


def _chunks(items: Sequence[Any], size: int = _IN_LIMIT) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


__all__ = [
    "BATCH_ROWS",
    "Filters",
    "Pending",
    "Register",
    "Run",
    "StoreCounts",
    "ENDINGS",
    "STAGES",
]
