"""Workers started before the rows are open (`screening.workers`): used when they were
set up as the run would set its own, stopped otherwise, and silent when the batch
itself refuses its rule set or header map."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from screening.batch import Screened, run_batch
from screening.cli import main
from screening.io.readers import read_rows
from screening.workers import Workers, WorkerSpec, parts_for, useful_workers
from tests.conftest import ROOT

STARTER = str(ROOT / "cases/starter")


def _spec(**changes: object) -> WorkerSpec:
    spec = WorkerSpec("starter", None, "zh", None, ("line",), False)
    return spec._replace(**changes)


def _processes(workers: Workers) -> list[multiprocessing.Process]:
    return list(workers.pool._processes.values())  # kept: a pool shut down forgets them


def _screen(workers: Workers | None, lang: str = "zh") -> list[Screened]:
    screened: list[Screened] = []
    with read_rows(STARTER) as rows:
        counts = run_batch(
            rows,
            "starter",
            None,
            2,
            screened.append,  # type: ignore[arg-type]
            screened.append,  # type: ignore[arg-type]
            lang,
            workers=workers,
        )
    assert counts.screened == len(screened) == 9
    return screened


def test_every_worker_starts_at_once() -> None:
    with Workers.start(2, _spec()) as workers:
        # the executor starts a process only for a task that finds none idle: both
        # are started by the start, not the second at the first chunk
        processes = _processes(workers)
        assert len(processes) == 2
        workers.ready()
        assert [p.is_alive() for p in processes] == [True, True]
    assert [p.is_alive() for p in processes] == [False, False]


def test_workers_set_up_as_the_run_would_screen_it() -> None:
    workers = Workers.start(2, _spec())
    processes = _processes(workers)
    lines = [s.line for s in _screen(workers)]
    assert [p.exitcode for p in processes] == [
        0,
        0,
    ]  # shut down by the run, not stopped
    assert lines == [s.line for s in _screen(None)]


def test_workers_set_up_otherwise_are_stopped_and_never_used() -> None:
    english = Workers.start(2, _spec(lang="en"))
    processes = _processes(english)
    lines = [json.loads(s.line or b"{}") for s in _screen(english, lang="zh")]
    assert [p.is_alive() for p in processes] == [False, False]
    # screened by workers set up in Chinese: the findings' messages say so
    messages = [f["message"] for line in lines for f in line["findings"]]
    assert messages and all(any("\u4e00" <= c <= "\u9fff" for c in m) for m in messages)


def test_a_header_map_file_is_the_same_spec_as_the_map_it_holds(
    tmp_path: Path,
) -> None:
    file = tmp_path / "columns.yaml"
    file.write_text("建筑密度: extra.building_density\n", encoding="utf-8")
    from screening.io.columns import load_column_map

    held = load_column_map(str(file))
    assert _spec(columns=str(file)).same_as(_spec(columns=held))
    assert not _spec(columns=str(file)).same_as(_spec(columns=None))
    assert not _spec(columns=held).same_as(_spec(columns=held, lang="en"))
    assert not _spec().same_as(_spec(as_of=dt.date(2025, 6, 30)))
    assert not _spec().same_as(_spec(parts=parts_for(["xlsx"])))


def test_parts_follow_the_outputs() -> None:
    assert parts_for(["jsonl"]) == ("line",)
    assert parts_for(["xlsx"]) == ("xlsx",)
    assert parts_for(["html", "xlsx"]) == ("line", "xlsx")
    assert parts_for(["csv"]) == ("line",)


def test_a_refused_rule_set_is_reported_once_with_no_trace_from_a_worker(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "broken.yaml"
    rules.write_text("id: broken\nversion: 1\nrules:\n  - id: [\n", encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["batch", STARTER, "--rules", str(rules), "--jobs", "2", "-o", str(tmp_path / "o.jsonl")],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "broken.yaml" in result.output
    assert "Traceback" not in result.output
    assert "initializer" not in result.output
    assert not (tmp_path / "o.jsonl").exists()


def test_a_refused_header_map_is_reported_with_no_trace_from_a_worker(
    tmp_path: Path,
) -> None:
    columns = tmp_path / "columns.yaml"
    columns.write_text("建筑密度: [unclosed\n", encoding="utf-8")
    # a subprocess: the workers' stderr is the command's, which CliRunner does not see
    done = subprocess.run(
        [sys.executable, "-m", "screening", "batch", STARTER, "--rules", "starter",
         "--jobs", "2", "--columns", str(columns), "-o", str(tmp_path / "o.jsonl")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "columns.yaml" in done.stderr
    assert "Traceback" not in done.stderr
    assert "initializer" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["columns.yaml"]


def test_a_finished_batch_leaves_its_register_and_folder_clean(tmp_path: Path) -> None:
    # the command leaves with os._exit once done (cli.run): the register's last
    # connection was closed first (no WAL file left), every output is complete and no
    # temporary file remains
    done = subprocess.run(
        [sys.executable, "-m", "screening", "batch", STARTER, "--rules", "starter",
         "--jobs", "2", "-o", "o.xlsx", "-o", "o.jsonl", "--register", "r.db"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "o.errors.csv",
        "o.jsonl",
        "o.xlsx",
        "r.db",
    ]
    assert len((tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()) == 9
    import sqlite3

    with sqlite3.connect(tmp_path / "r.db") as db:
        assert db.execute("select count(*) from screenings").fetchone() == (9,)


def test_a_small_input_starts_one_worker_now(tmp_path: Path) -> None:
    small = tmp_path / "one.csv"
    small.write_text("项目名称,总投资(万元)\n甲,1\n", encoding="utf-8")
    large = tmp_path / "many.csv"
    large.write_bytes(b"x" * (64 << 10))
    assert useful_workers(small, 64) == 1
    assert useful_workers(large, 64) == 9  # one a chunk of 8 KB, and one more
    assert useful_workers(large, 2) == 2
    assert useful_workers(tmp_path, 4) == 4  # a folder: as many as asked
    with Workers.start(8, _spec(), now=1) as workers:
        assert len(_processes(workers)) == 1  # the rest start as chunks wait
        workers.ready()
