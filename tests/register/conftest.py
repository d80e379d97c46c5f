"""Register fixtures: a private PostgreSQL server for the session, and `db_url`, a fresh
register per test on each backend (SQLite file, PostgreSQL database)."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    # initdb refuses to run as root: run the server as the postgres user
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server of our own on a free loopback port: its base URL."""
    bindir = _postgres_bin()
    if bindir is None:
        reason = "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): apt-get install postgresql"
        print(f"\nSKIP register tests on PostgreSQL: {reason}")
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="screening-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    subprocess.run(
        _as_postgres(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _as_postgres(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "log"),
                "-w",
                "-o",
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=50",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_postgres(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
            ),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _create_database(server: str) -> str:
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    plain = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A URL (or path) where no register exists yet, on each backend."""
    if backend == "sqlite":
        return str(tmp_path / "register.db")
    return _create_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def db_url(
    backend: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    _templates: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """A new, empty register at the current schema, on each backend."""
    template = _template(
        backend, _templates, tmp_path_factory.mktemp("template"), request
    )
    if backend == "sqlite":
        target = tmp_path / "register.db"
        shutil.copyfile(template, target)
        return str(target)
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    server = request.getfixturevalue("postgres_server")
    plain = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as conn:
        conn.execute(
            f'CREATE DATABASE "{name}" TEMPLATE "{template.rsplit("/", 1)[1]}"'
        )
    return f"{server}/{name}"


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """`screening …` in a subprocess (as a user runs it)."""
    full = {k: v for k, v in os.environ.items() if k != "SCREENING_DB"}
    full.update({"SCREENING_USER": "测试员", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "screening", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=full,
        timeout=timeout,
    )


def beihai_rows(n: int, seed: int = 3) -> list[dict[str, object]]:
    """n candidate projects made from the Beihai cases, figures moved a little."""
    import random

    from screening.cases import case_files, load_case

    rng = random.Random(seed)
    base = [
        load_case(p).project.model_dump(mode="json", exclude_none=True)
        for p in case_files([ROOT / "cases/beihai"])
    ]
    base = [b for b in base if "land" in b and "investment" in b]
    rows = []
    for i in range(n):
        project = json.loads(json.dumps(rng.choice(base)))
        project["id"] = f"bh-{i:06d}"
        project["park"] = ("铁山港工业区", "临海工业区")[i % 2]
        project["investment"]["fixed_assets"] = str(
            int(float(project["investment"]["fixed_assets"]) * rng.uniform(0.7, 1.3))
        )
        rows.append(project)
    return rows


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
        encoding="utf-8",
    )
    return path


def wait_for(predicate: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Registers migrated once per session, copied for each test (migrating each anew
    would cost a second a test; `test_migrations` migrates from scratch)."""
    return {}


def _template(
    backend: str, templates: dict[str, str], tmp: Path, request: pytest.FixtureRequest
) -> str:
    from screening.register.store import Register

    if backend not in templates:
        if backend == "sqlite":
            url = str(tmp / "template.db")
        else:
            url = _create_database(request.getfixturevalue("postgres_server"))
        Register.open(url, create=True).close()
        templates[backend] = url
    return templates[backend]
