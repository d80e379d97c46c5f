"""The register's tables (SQLAlchemy Core): companies, leads, rule set snapshots,
screenings, stages, committee decisions, promises and actuals.

Times are stored in UTC without a zone (SQLite keeps no zone; PostgreSQL gets the
same values), dates as plain dates. Amounts are exact: scaled integers in 万元 (亩,
tce …) with four decimals, so sums and band comparisons (≥ 3000万) are exact on both
backends. The migrations in `migrations/versions` build these tables; this module is
the shape the code reads and writes, and a test checks the two agree.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Named constraints, so that migrations (batch mode on SQLite) can refer to them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

SCALE = 4


class Amount(TypeDecorator[Decimal]):
    """An exact Decimal with four decimals, stored as a scaled BIGINT.

    A value with more decimals is refused (the register validates before writing);
    `floor=True` instead floors it, for columns only ever compared with round bands.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, floor: bool = False) -> None:
        super().__init__()
        self.floor = floor

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return to_scaled(Decimal(value), self.floor)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value).scaleb(-SCALE)


def to_scaled(value: Decimal | None, floor: bool = False) -> int | None:
    """The stored integer of an amount (as `Amount` binds it), for bulk writes."""
    if value is None:
        return None
    scaled = value.scaleb(SCALE)
    whole = (
        int(scaled)
        if not floor
        else int(scaled.to_integral_value(rounding=ROUND_FLOOR))
    )
    if not floor and whole != scaled:
        raise ValueError(f"more than {SCALE} decimals: {value}")
    return whole


def _now_columns() -> list[Column[Any]]:
    return [
        Column("recorded_at", DateTime, nullable=False),  # UTC
        Column("actor", String(100), nullable=False),
    ]


companies = Table(
    "companies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(500), nullable=False),
    # the name with spaces and full-width forms folded: one company however it is typed
    Column("name_key", String(500), nullable=False, unique=True),
    Column("credit_code", String(32)),  # 统一社会信用代码, when known
    *_now_columns(),
)

snapshots = Table(
    "ruleset_snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("ruleset_id", String(200), nullable=False),
    Column("version", String(50), nullable=False),
    Column("as_of", Date),
    Column("title", String(500), nullable=False),
    # JSON list of [id, kind, zh title, en title] per rule in effective order: the
    # order of a screening's findings
    Column("rules", Text, nullable=False),
    *_now_columns(),
)

snapshot_files = Table(
    "ruleset_snapshot_files",
    metadata,
    Column(
        "snapshot_id", Integer, ForeignKey("ruleset_snapshots.id"), primary_key=True
    ),
    Column("position", Integer, primary_key=True),  # 0 = the root of the extends chain
    Column("ruleset_id", String(200), nullable=False),
    Column("path", String(1000), nullable=False),  # as it was loaded, for the record
    Column("content", LargeBinary, nullable=False),  # the file's bytes, exactly
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # batch | import | add | rescreen
    Column("input", String(1000)),
    Column("input_sha256", String(64)),
    Column("rules_ref", String(1000), nullable=False),
    Column("snapshot_id", Integer, ForeignKey("ruleset_snapshots.id"), nullable=False),
    Column("lang", String(2), nullable=False),
    Column("started_at", DateTime, nullable=False),  # UTC
    Column("finished_at", DateTime),  # UTC; null: the run did not finish
    Column("actor", String(100), nullable=False),
    Column("rows", Integer),
    Column("stored", Integer),
    Column("duplicates", Integer),
    Column("invalid", Integer),
)

STAGES = ("洽谈", "签约", "供地", "开工", "投产", "达产")
ENDINGS = ("终止", "退出")

leads = Table(
    "leads",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "key", String(200), nullable=False, unique=True
    ),  # the stable lead id users type
    Column(
        "project_id", String(200), index=True
    ),  # the id the project was given, if any
    # digest of company + name (folded): how a lead without an id is found again
    Column("identity", String(32)),
    Column("name", String(500)),
    Column("company_id", Integer, ForeignKey("companies.id"), index=True),
    Column("park", String(200)),
    Column("industry", String(10)),
    Column(
        "investment_total", Amount(floor=True)
    ),  # 万元, from the latest screened values
    Column("registered_at", DateTime, nullable=False),  # UTC
    Column("registered_on", Date, nullable=False),  # 洽谈 from
    Column("registered_by", String(100), nullable=False),
    # the latest screening that counts (imports; a rescreen only with --adopt)
    Column("decision", String(6)),
    Column("score", Amount()),
    Column("screened_at", DateTime),  # UTC
    Column("stage", String(4), nullable=False),
    Column("stage_on", Date, nullable=False),
    # the date each stage was reached (null: not reached), for KPIs as of any day
    Column("signed_on", Date),
    Column("land_on", Date),
    Column("started_on", Date),
    Column("producing_on", Date),
    Column("full_on", Date),
    Column("ended_on", Date),  # 终止 / 退出
    Column("committee", String(8)),  # the latest committee decision
    Column("committee_on", Date),
    # from the latest promise
    Column("promised_total", Amount()),
    Column("promised_start", Date),
    Column("promised_production", Date),
    Column("updated_at", DateTime, nullable=False),  # UTC
    # the current screening when it is not the latest adopted: an earlier one screened
    # again (migration 0007; no foreign key, see there). Read through
    # store.current_screenings.
    Column("current_screening_id", Integer),
)

screenings = Table(
    "screenings",
    metadata,
    Column("id", Integer, primary_key=True),
    # idempotence: sha256(lead key, rule set sha256 (which covers as-of), values)[:16]
    Column("key", LargeBinary(16), nullable=False, unique=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), nullable=False),
    Column("run_id", Integer, ForeignKey("runs.id")),
    Column("snapshot_id", Integer, ForeignKey("ruleset_snapshots.id"), nullable=False),
    Column("source_row", Integer),  # the row of the run's input
    # a folder input's file the row came from, its name (migration 0008)
    Column("source_file", String(255)),
    Column("lang", String(2), nullable=False),
    Column("decision", String(6), nullable=False),
    Column("score", Amount()),  # as the contract shows it (2 decimals)
    Column("vetoed", Text, nullable=False),  # JSON list of rule ids
    Column("missing", Text, nullable=False),  # JSON list of field paths
    # JSON list, one entry per rule in the snapshot's order: [status, actual, points],
    # trailing nulls dropped; messages are regenerated from the snapshot
    Column("findings", Text, nullable=False),
    Column("values", Text, nullable=False),  # the flat canonical values screened (JSON)
    Column("contract_sha256", LargeBinary(32), nullable=False),
    Column(
        "adopted", Boolean, nullable=False
    ),  # counts as the lead's current screening
    Column("screened_at", DateTime, nullable=False),  # UTC
    Column("actor", String(100), nullable=False),
    Index("ix_screenings_lead_id_id", "lead_id", "id"),
)

# The leads each run screened: those it stored a screening for and those whose
# screening it found stored already (a screening keeps only the run that stored it), so
# that a batch's leads can be listed (migration 0006).
run_leads = Table(
    "run_leads",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id"), primary_key=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), primary_key=True),
)

stage_events = Table(
    "stage_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), nullable=False, index=True),
    Column("stage", String(4), nullable=False),
    Column("on", Date, nullable=False),
    Column("reason", Text),  # 终止 / 退出
    Column("note", Text),
    Column("override", Boolean, nullable=False),  # recorded out of order, with a note
    *_now_columns(),
)

COMMITTEE = {"同意": "agree", "不同意": "disagree", "暂缓": "defer"}

committee_decisions = Table(
    "committee_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), nullable=False, index=True),
    Column("decision", String(8), nullable=False),  # 同意 | 不同意 | 暂缓
    Column("meeting_on", Date, nullable=False),
    Column("note", Text),
    Column(
        "screening_id", Integer, ForeignKey("screenings.id")
    ),  # what the committee saw
    *_now_columns(),
    # the meeting it was taken at (none when recorded without one: CLI, API)
    Column(
        "meeting_id",
        Integer,
        ForeignKey("meetings.id", name="fk_committee_decisions_meeting_id"),
    ),
)

promises = Table(
    "promises",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), nullable=False, index=True),
    Column("signed_on", Date),
    Column("total_investment", Amount()),  # 万元
    Column("fixed_assets", Amount()),  # 万元
    Column("land_mu", Amount()),  # 亩
    Column("annual_output", Amount()),  # 万元 a year at full production
    Column("annual_tax", Amount()),  # 万元 a year at full production
    Column("employees", Integer),
    Column("energy_tce", Amount()),  # tce a year
    Column("start_by", Date),
    Column("production_by", Date),
    Column("note", Text),
    *_now_columns(),
)

actuals = Table(
    "actuals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), nullable=False, index=True),
    Column("reported_on", Date, nullable=False),
    Column("year", Integer),  # the year the yearly figures are for
    Column("invested", Amount()),  # 万元 in place, cumulative
    Column("fixed_assets_invested", Amount()),  # 万元 in place, cumulative
    Column("annual_output", Amount()),  # 万元 in `year`
    Column("annual_tax", Amount()),  # 万元 in `year`
    Column("employees", Integer),
    Column("energy_tce", Amount()),
    Column("note", Text),
    *_now_columns(),
)

# What `register list` and `kpi` filter and group on (migration 0002; the query plans
# are in docs/register.md). Stage dates are indexed only where set.
Index(
    "ix_leads_identity_project_id", leads.c.identity, leads.c.project_id
)  # migration 0001
Index(  # migration 0004: also the stock by the end of a period
    "ix_leads_park_stage_decision_registered_on",
    leads.c.park,
    leads.c.stage,
    leads.c.decision,
    leads.c.registered_on,
)
Index("ix_leads_decision", leads.c.decision)
Index("ix_leads_stage", leads.c.stage)
Index("ix_leads_industry_investment_total", leads.c.industry, leads.c.investment_total)
Index("ix_leads_registered_on", leads.c.registered_on)
Index("ix_leads_investment_total", leads.c.investment_total)
Index("ix_committee_decisions_meeting_on", committee_decisions.c.meeting_on)
# a cohort is read from its index alone: each carries what the KPIs read
for _column, _carried in {
    "signed_on": ("park", "started_on", "promised_total", "investment_total"),
    "started_on": ("park", "promised_total", "investment_total"),
    "producing_on": ("park", "promised_total", "investment_total"),
    "promised_start": ("park", "started_on"),
    "promised_production": ("park", "producing_on"),
}.items():
    _where = leads.c[_column].is_not(None)
    Index(
        f"ix_leads_{_column}",
        leads.c[_column],
        *(leads.c[name] for name in _carried),
        sqlite_where=_where,
        postgresql_where=_where,
    )
# the leads that moved on after the day they were registered, with the days each stage
# was reached: the stage at a past period's end, for those reaching theirs after it
# (migration 0004; a new lead is not in it)
_moved = leads.c.stage_on > leads.c.registered_on
Index(
    "ix_leads_moved",
    *(
        leads.c[name]
        for name in (
            "stage_on",
            "registered_on",
            "park",
            "stage",
            "ended_on",
            "full_on",
            "producing_on",
            "started_on",
            "land_on",
            "signed_on",
        )
    ),
    sqlite_where=_moved,
    postgresql_where=_moved,
)

# --- the web app (`screening serve`, migration 0003) -----------------------------------
# Accounts and their sessions and API tokens, the audit log of who changed what, batch
# uploads run in the background, committee meetings and their agendas, rule set
# adoptions. In the register's database, so `screening db upgrade` covers them.

ROLES = ("officer", "committee", "policy", "admin")  # 招商专员 委员 政策专员 管理员

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),  # the login name
    Column("display_name", String(200)),
    Column("role", String(16), nullable=False),  # one of ROLES
    Column(
        "password_hash", String(200), nullable=False
    ),  # argon2id, never the password
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),  # UTC
    Column("created_by", String(100), nullable=False),
    Column("password_changed_at", DateTime, nullable=False),  # UTC
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "token_sha256", String(64), nullable=False, unique=True
    ),  # of the cookie's id
    Column(
        "account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True
    ),
    Column("csrf", String(64), nullable=False),  # the token every form carries
    Column("created_at", DateTime, nullable=False),  # UTC
    Column("expires_at", DateTime, nullable=False),  # UTC
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True
    ),
    Column("label", String(200), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),  # shown, to tell tokens apart
    Column("created_at", DateTime, nullable=False),  # UTC
    Column("created_by", String(100), nullable=False),
    Column("revoked_at", DateTime),  # UTC
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),  # UTC
    Column("actor", String(100), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target", String(200)),
    Column("detail", Text),  # JSON
    Column("ip", String(64)),
    # login rate limits count recent failures by name and by address
    Index("ix_audit_log_action_target_at", "action", "target", "at"),
    Index("ix_audit_log_action_ip_at", "action", "ip", "at"),
    Index("ix_audit_log_at", "at"),
)

web_settings = Table(
    "web_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

web_batches = Table(
    "web_batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "key", String(32), nullable=False, unique=True
    ),  # random: URLs, folder names
    Column("owner", String(100), nullable=False),
    Column("filename", String(255), nullable=False),  # as uploaded: shown, never a path
    Column("format", String(8), nullable=False),  # .xlsx .csv .tsv .jsonl
    Column("rules_ref", String(1000), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("lang", String(2), nullable=False),
    Column("status", String(8), nullable=False),  # queued | running | done | failed
    Column("total_rows", Integer),
    Column("done_rows", Integer, nullable=False),
    Column("counts", Text),  # JSON: the batch's reconciled counts
    Column("summary", Text),  # JSON: top reasons, invalid and skipped rows
    Column("error", Text),
    Column("run_id", Integer, ForeignKey("runs.id")),
    Column("pid", Integer),
    Column("created_at", DateTime, nullable=False),  # UTC
    Column("started_at", DateTime),  # UTC
    Column("finished_at", DateTime),  # UTC
    Column("heartbeat_at", DateTime),  # UTC: a running job's last sign of life
    Index("ix_web_batches_status_id", "status", "id"),
)

meetings = Table(
    "meetings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("meeting_on", Date, nullable=False),
    Column("title", String(200), nullable=False),
    *_now_columns(),
)

meeting_items = Table(
    "meeting_items",
    metadata,
    Column("meeting_id", Integer, ForeignKey("meetings.id"), primary_key=True),
    Column("lead_id", Integer, ForeignKey("leads.id"), primary_key=True),
    Column("position", Integer, nullable=False),
)

ruleset_adoptions = Table(
    "ruleset_adoptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ruleset_id", String(200), nullable=False, index=True),
    Column("version", String(50), nullable=False),
    Column("sha256", String(64), nullable=False),  # of the effective rule set
    Column("path", String(1000), nullable=False),  # the adopted file, kept as it was
    Column("note", Text),
    Column("rescreen_run_id", Integer, ForeignKey("runs.id")),  # when made current
    *_now_columns(),
)
