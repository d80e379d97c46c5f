"""Where the register lives and how it is opened: URL, engine, pragmas, schema version.

SQLite by default (`screening.db` in the working folder, `--db PATH|URL` or
`SCREENING_DB`), PostgreSQL by URL (`postgresql+psycopg://…`). SQLite runs in WAL mode
with foreign keys on and a busy timeout, and every write transaction starts with
BEGIN IMMEDIATE, so two writers queue instead of failing. A database is created at the
current schema when it is new; one at an older revision is refused until
`screening db upgrade` migrates it (never recreated).
"""

from __future__ import annotations

import contextlib
import getpass
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
)

from screening.errors import ScreeningError

DEFAULT_FILE = "screening.db"
# How long a writer waits for another to finish (SQLite busy_timeout, PostgreSQL
# lock_timeout), in seconds; SCREENING_DB_TIMEOUT overrides.
DEFAULT_TIMEOUT = 60.0
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest migration, so that opening a current register need not import Alembic (a
# test checks it against the migrations themselves).
HEAD = "0008"


class RegisterError(ScreeningError):
    """The register refused a request or could not be reached (exit 2, one line)."""

    code = "REG"


class NotFound(RegisterError):
    """What was asked for (a lead, a screening, a snapshot) is not in the register."""


def resolve_url(db: str | None) -> str:
    """`--db` (a path or a URL), else $SCREENING_DB, else ./screening.db, as a URL."""
    value = db or os.environ.get("SCREENING_DB") or DEFAULT_FILE
    if "://" in value:
        return value
    return str(URL.create("sqlite", database=str(Path(value))))


def actor_name(actor: str | None = None) -> str:
    """Who is writing: `--actor`, else $SCREENING_USER, else the OS user."""
    name = actor or os.environ.get("SCREENING_USER")
    if not name:
        try:
            name = getpass.getuser()
        except Exception:  # no login name (a container without passwd entry)
            name = f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return name[:100]


def timeout_seconds() -> float:
    """The busy / lock timeout in seconds."""
    raw = os.environ.get("SCREENING_DB_TIMEOUT")
    try:
        return float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        raise RegisterError(
            f"SCREENING_DB_TIMEOUT 应为秒数：{raw!r} / expected seconds"
        ) from None


def shown_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def make_engine(url: str) -> Engine:
    """An engine for `url` with the register's connection settings."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise RegisterError(
            f"数据库地址无法识别 / not a database URL or path: {url!r}"
        ) from None
    timeout = timeout_seconds()
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": timeout})
        _sqlite_settings(engine, timeout)
    elif backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(
            parsed,
            connect_args={
                "connect_timeout": 10,
                # no JIT: compiling a KPI's plan took longer than running it
                "options": f"-c lock_timeout={int(timeout * 1000)} -c TimeZone=UTC"
                " -c jit=off",
            },
            pool_pre_ping=True,
        )
    else:
        raise RegisterError(
            f"不支持的数据库 {backend!r}（可用 SQLite 文件或 postgresql+psycopg://…）/ unsupported database"
        )
    return engine


def _sqlite_settings(engine: Engine, timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        # the driver's own transaction handling off: BEGIN is issued below
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        # in WAL mode NORMAL loses no committed transaction to a killed process (only,
        # perhaps, the last ones to a power cut) and never corrupts the file
        cursor.execute("PRAGMA synchronous = NORMAL")
        # a batch inserts into indexes keyed by digests, all over the file: a page cache
        # of 64 MB (the default is 2 MB) keeps them in memory well past a million rows
        cursor.execute("PRAGMA cache_size = -65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # a writer takes the write lock at once (and waits its turn for it): a deferred
        # transaction that read first could not upgrade later and would fail at once
        immediate = conn.get_execution_options().get("register_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    """Whether the register is a SQLite file."""
    return engine.dialect.name == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    return Path(parsed.database)


@contextlib.contextmanager
def reachable(url: str) -> Iterator[None]:
    """Connection failures become one RegisterError line naming the database.

    A deadlock or serialisation failure between writers is passed on as it is: the
    caller retries the transaction (see `is_retryable`).
    """
    try:
        yield
    except (OperationalError, DatabaseError) as exc:
        if is_retryable(exc) or isinstance(exc, (IntegrityError, ProgrammingError)):
            raise
        if exc.connection_invalidated:
            raise RegisterError(
                f"与数据库 {shown_url(url)} 的连接中断 / connection to the database lost"
            ) from None
        reason = (
            str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        )
        raise RegisterError(
            f"无法连接或写入数据库 {shown_url(url)}：{reason} / cannot use the database"
        ) from None


def is_retryable(exc: DBAPIError) -> bool:
    """A deadlock or serialisation failure: the transaction may simply be run again."""
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")


# --- the schema version ---------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """A database's schema revision against the code's."""

    current: str | None  # None: no register tables yet
    head: str
    has_tables: bool

    @property
    def is_current(self) -> bool:
        return self.current == self.head


def _alembic_config(url: str, connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration this code knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def version_of(engine: Engine) -> Version:
    """The revision a database is at."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        tables = set(inspect(conn).get_table_names())
    return Version(current, head_revision(), bool(tables - {"alembic_version"}))


def upgrade(engine: Engine, url: str, revision: str = "head") -> tuple[str | None, str]:
    """Apply migrations up to `revision`; returns (from, to) revisions."""
    from alembic import command

    before = version_of(engine).current
    with engine.connect() as conn:
        command.upgrade(_alembic_config(url, conn), revision)
        conn.commit()
    with engine.connect() as conn:  # new indexes: the planner's statistics too
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return before, version_of(engine).current or ""


def check_version(engine: Engine, url: str, create: bool) -> None:
    """Refuse a database at another revision; create the schema when it is new and `create`."""
    with engine.connect() as conn:  # the common case, without importing Alembic
        try:
            found = (
                conn.execute(text("SELECT version_num FROM alembic_version"))
                .scalars()
                .all()
            )
        except DBAPIError:
            found = []
        conn.rollback()
    if found == [HEAD]:
        return
    version = version_of(engine)
    if version.is_current:
        return
    if version.current is None:
        if version.has_tables:
            raise RegisterError(
                f"{shown_url(url)} 不是项目库（含有其他表）/ not a screening register"
            )
        if not create:
            raise RegisterError(
                f"{shown_url(url)} 中还没有项目库；先用 screening register import 或 batch --register 存入项目 / "
                "no register there yet"
            )
        upgrade(engine, url)
        return
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(url))
    known = {rev.revision for rev in script.walk_revisions()}
    if version.current not in known:
        raise RegisterError(
            f"{shown_url(url)} 由更新版本的 screening 写入（版本 {version.current}）/ "
            "written by a newer version of screening: upgrade screening"
        )
    raise RegisterError(
        f"项目库 {shown_url(url)} 的结构版本为 {version.current}，当前为 {version.head}：请先运行 "
        f"screening db upgrade --db {shown_url(url)} / the register is out of date: run `screening db upgrade`"
    )


def ping(engine: Engine) -> None:
    """Connect once (raises OperationalError when the database cannot be reached)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
