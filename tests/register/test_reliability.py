"""A killed batch, two writers at once, busy waits and unreachable databases, on SQLite
and PostgreSQL, each in real subprocesses."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from screening.register import Register
from tests.register.conftest import ROOT, beihai_rows, run_cli, write_jsonl

AS_OF = "2025-06-30"
BEIHAI = "parks/beihai-tieshangang-2023"


def _counts(url: str) -> tuple[int, int, int, int]:
    """Screenings, leads, distinct screening keys and runs left unfinished."""
    from sqlalchemy import text

    with Register.open(url) as register, register.read() as conn:
        return tuple(
            int(conn.execute(text(q)).scalar_one())
            for q in (  # type: ignore[return-value]
                "SELECT count(*) FROM screenings",
                "SELECT count(*) FROM leads",
                "SELECT count(DISTINCT key) FROM screenings",
                "SELECT count(*) FROM runs WHERE finished_at IS NULL",
            )
        )


def _stored(url: str) -> int:
    try:
        return _counts(url)[0]
    except Exception:  # not created yet, or locked for a moment
        return 0


def _batch(
    source: Path, out: Path, url: str, jobs: int = 2, env: dict[str, str] | None = None
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "screening",
        "batch",
        str(source),
        "--rules",
        BEIHAI,
        "--as-of",
        AS_OF,
        "-o",
        str(out),
        "--jobs",
        str(jobs),
        "--register",
        url,
    ]


def test_a_batch_killed_halfway_leaves_whole_screenings_and_a_rerun_completes_it(
    db_url: str, backend: str, tmp_path: Path
) -> None:
    n, per_transaction = 4000, 250
    source = write_jsonl(tmp_path / "in.jsonl", beihai_rows(n))
    out = tmp_path / "out.jsonl"
    env = {
        **os.environ,
        "SCREENING_REGISTER_BATCH": str(per_transaction),
        "SCREENING_USER": "测试员",
    }
    process = subprocess.Popen(
        _batch(source, out, db_url),
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while (
        _stored(db_url) < per_transaction
        and time.monotonic() < deadline
        and process.poll() is None
    ):
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the batch and its workers, mid-run
    process.wait()
    assert process.returncode == -signal.SIGKILL, (
        "the batch finished before it could be killed"
    )
    if backend == "sqlite":
        with sqlite3.connect(db_url) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    screenings, leads, keys, unfinished = _counts(db_url)
    assert (
        0 < screenings < n and screenings % per_transaction == 0
    )  # whole transactions only
    assert (
        leads == screenings == keys and unfinished == 1
    )  # each stored row has its lead and one screening
    assert not out.exists()  # the batch's own outputs appear only when it finishes
    with Register.open(db_url) as register:
        for row in (
            1,
            screenings // 2,
            screenings,
        ):  # stored screenings are whole: each is reproduced
            lead = register.lead(f"bh-{row - 1:06d}")
            line, same = register.reproduce(lead["screenings"][0]["id"])
            assert same
    done = subprocess.run(
        _batch(source, out, db_url), cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (
        f"新存 {n - screenings} 次筛查" in done.stderr
        and f"已有 {screenings}" in done.stderr
    )
    assert _counts(db_url) == (
        n,
        n,
        n,
        1,
    )  # nothing twice; the killed run stays on record, unfinished
    assert len(out.read_bytes().splitlines()) == n


def test_two_writers_at_once_lose_nothing_and_duplicate_nothing(
    db_url: str, tmp_path: Path
) -> None:
    rows = beihai_rows(1500)
    first = write_jsonl(tmp_path / "a.jsonl", rows[:1000])
    second = write_jsonl(tmp_path / "b.jsonl", rows[500:])  # 500 rows in both
    env = {**os.environ, "SCREENING_REGISTER_BATCH": "100", "SCREENING_USER": "测试员"}
    Register.open(db_url, create=True).close()
    processes = [
        subprocess.Popen(
            # each run its own output: two runs on one output refuse each other (issue 10)
            _batch(src, tmp_path / f"{src.stem}.{index}.out.jsonl", db_url, jobs=1),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index, src in enumerate((first, second, first))
    ]  # and the first input twice
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    assert _counts(db_url) == (1500, 1500, 1500, 0)


def test_a_writer_waits_for_another_within_the_busy_timeout(
    db_url: str, backend: str, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", beihai_rows(2))
    assert (
        run_cli(
            "register",
            "import",
            str(source),
            "--rules",
            BEIHAI,
            "--as-of",
            AS_OF,
            "--db",
            db_url,
            "--jobs",
            "1",
        ).returncode
        == 0
    )
    held, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        if backend == "sqlite":
            conn = sqlite3.connect(db_url, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
        else:
            import psycopg

            conn = psycopg.connect(
                db_url.replace("postgresql+psycopg://", "postgresql://")
            )
            conn.execute("SELECT id FROM leads WHERE key = 'bh-000000' FOR UPDATE")
        held.set()
        release.wait(30)
        conn.rollback() if backend != "sqlite" else conn.execute("ROLLBACK")
        conn.close()

    # a short timeout: the writer gives up with one line, writing nothing
    thread = threading.Thread(target=hold_lock)
    thread.start()
    held.wait(10)
    refused = run_cli(
        "register",
        "stage",
        "bh-000000",
        "签约",
        "--date",
        "2025-01-10",
        "--db",
        db_url,
        env={"SCREENING_DB_TIMEOUT": "0.3"},
    )
    release.set()
    thread.join()
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert (
        len(refused.stderr.strip().splitlines()) == 1
        and "无法连接或写入数据库" in refused.stderr
    )
    # a long one: it waits until the lock is released, then writes
    release.clear()
    held.clear()
    thread = threading.Thread(target=hold_lock)
    thread.start()
    held.wait(10)
    waiting = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "screening",
            "register",
            "stage",
            "bh-000000",
            "签约",
            "--date",
            "2025-01-10",
            "--db",
            db_url,
        ],
        cwd=ROOT,
        text=True,
        env={**os.environ, "SCREENING_DB_TIMEOUT": "60"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.5)
    assert waiting.poll() is None  # still waiting for the lock
    release.set()
    thread.join()
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    with Register.open(db_url) as register:
        assert register.lead("bh-000000")["stage"] == "签约"
        assert len(register.lead("bh-000000")["stages"]) == 1


def test_an_unreachable_database_is_one_line() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free, and closed again: nothing listens there
    result = run_cli(
        "register",
        "list",
        "--db",
        f"postgresql+psycopg://postgres@127.0.0.1:{port}/nothing",
        env={"SCREENING_DB_TIMEOUT": "2"},
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "无法连接" in result.stderr


@pytest.mark.parametrize(
    "args, words",
    [
        (["register", "list", "--db", "/nonexistent/folder/r.db"], "找不到项目库"),
        (
            [
                "register",
                "import",
                "cases/beihai",
                "--rules",
                BEIHAI,
                "--db",
                "/nonexistent/folder/r.db",
            ],
            "文件夹不存在",
        ),
        (["register", "list", "--db", "mysql://x@localhost/db"], "不支持的数据库"),
        (["register", "list", "--db", "sqlite:///rules/national.yaml"], "无法连接"),
    ],
)
def test_bad_databases_are_refused_in_one_line(args: list[str], words: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2 and words in result.stderr, result.stderr
    assert (
        "Traceback" not in result.stderr
        and len(result.stderr.strip().splitlines()) == 1
    )
