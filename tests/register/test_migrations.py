"""The schema: migrations build what the code reads, a database written by the first
migration is upgraded (its data kept), and other databases are refused, not recreated."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from screening.cli import main
from screening.loader import load_ruleset
from screening.register import Register
from screening.register import db as regdb
from screening.register.schema import metadata
from screening.register.sink import RegisterSink
from screening.register.store import Register as RegisterClass
from tests.register.conftest import beihai_rows, write_jsonl

AS_OF = dt.date(2025, 6, 30)


def downgrade(engine: Engine, url: str, revision: str) -> None:
    """Take a register's schema back to `revision` (its data as that schema holds it)."""
    from alembic import command

    with engine.connect() as conn:
        command.downgrade(regdb._alembic_config(url, conn), revision)
        conn.commit()


def test_the_migrations_build_the_schema_the_code_uses(fresh_url: str) -> None:
    Register.open(fresh_url, create=True).close()
    engine = regdb.make_engine(regdb.resolve_url(fresh_url))
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    engine.dispose()


def test_a_database_written_by_the_first_migration_is_upgraded_with_its_data(
    fresh_url: str, tmp_path: Path
) -> None:
    url = regdb.resolve_url(fresh_url)
    engine = regdb.make_engine(url)
    # data written by the register's own writer (which writes tables later migrations
    # added, run_leads), then the schema taken back to the first version's
    regdb.upgrade(engine, url)
    old = RegisterClass(engine, url)
    ruleset = load_ruleset("parks/beihai-tieshangang-2023", as_of=AS_OF)
    from screening.batch import run_batch
    from screening.io.readers import read_rows

    run = old.start_run(
        "import", ruleset, "parks/beihai-tieshangang-2023", "zh", "测试员"
    )
    sink = RegisterSink(old, run)
    with read_rows(write_jsonl(tmp_path / "in.jsonl", beihai_rows(12))) as rows:
        counts = run_batch(
            rows,
            "parks/beihai-tieshangang-2023",
            AS_OF,
            1,
            sink.add,
            print,
            register=True,
        )
    sink.finish(counts.rows, counts.invalid)
    downgrade(engine, url, "0001")
    assert regdb.version_of(engine).current == "0001"
    engine.dispose()
    # the code refuses it until it is upgraded, and says how
    refused = CliRunner().invoke(main, ["register", "list", "--db", fresh_url])
    assert refused.exit_code == 2 and "screening db upgrade" in refused.stderr
    upgraded = CliRunner().invoke(main, ["db", "upgrade", "--db", fresh_url])
    assert (
        upgraded.exit_code == 0 and f"0001 → {regdb.head_revision()}" in upgraded.stdout
    )
    with Register.open(fresh_url) as register:
        total, leads = register.leads(limit=None)
        assert total == 12
        line, same = register.reproduce(
            register.lead("bh-000003")["screenings"][0]["id"]
        )
        assert same
    again = CliRunner().invoke(main, ["db", "upgrade", "--db", fresh_url])
    assert "已是最新版本" in again.stdout
    status = CliRunner().invoke(main, ["db", "status", "--db", fresh_url])
    assert "最新" in status.stdout


def test_a_new_register_is_created_by_a_command_that_stores_and_not_by_one_that_reads(
    tmp_path: Path,
) -> None:
    path = tmp_path / "new.db"
    result = CliRunner().invoke(main, ["register", "list", "--db", str(path)])
    assert (
        result.exit_code == 2 and "找不到项目库" in result.stderr and not path.exists()
    )
    result = CliRunner().invoke(
        main,
        [
            "register",
            "add",
            "cases/beihai/bh01-iron-phosphate-pass.yaml",
            "--db",
            str(path),
            "--as-of",
            "2025-06-30",
        ],
    )
    assert result.exit_code == 0 and path.exists()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_other_databases_and_newer_ones_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE something (x)")
    for command in (
        ["register", "add", "cases/beihai/bh01-iron-phosphate-pass.yaml"],
        ["db", "upgrade"],
    ):
        result = CliRunner().invoke(main, [*command, "--db", str(other)])
        assert result.exit_code == 2 and "不是项目库" in result.stderr
    newer = tmp_path / "newer.db"
    Register.open(str(newer), create=True).close()
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    result = CliRunner().invoke(main, ["register", "list", "--db", str(newer)])
    assert result.exit_code == 2 and "更新版本" in result.stderr
    with sqlite3.connect(other) as conn:
        assert conn.execute("SELECT count(*) FROM something").fetchone() == (
            0,
        )  # untouched


def test_the_database_comes_from_the_environment_when_not_given(
    tmp_path: Path, monkeypatch: object
) -> None:
    path = tmp_path / "env.db"
    monkeypatch.setenv("SCREENING_DB", str(path))  # type: ignore[attr-defined]
    result = CliRunner().invoke(
        main,
        [
            "register",
            "add",
            "cases/beihai/bh01-iron-phosphate-pass.yaml",
            "--as-of",
            "2025-06-30",
        ],
    )
    assert result.exit_code == 0 and path.exists()
    assert regdb.resolve_url(None) == f"sqlite:///{path}"


def test_the_head_the_code_knows_is_the_newest_migration() -> None:
    assert regdb.head_revision() == regdb.HEAD
