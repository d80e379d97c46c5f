"""A batch killed mid-run: real processes, real signals, nothing left behind.

SIGTERM and Ctrl-C (SIGINT) stop the workers and remove every temporary file; after a
SIGKILL of the parent, which can clean nothing, the workers and multiprocessing's
resource tracker exit on their own and the next run in the folder removes the
temporary files the killed one left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from batch_speed import RULES, generate  # noqa: E402

ROWS = 12_000  # long enough to be caught mid-run on a fast machine


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kill") / "candidates.jsonl"
    generate(path, ROWS, seed=5)
    return path


def _children(pid: int) -> list[int]:
    """Every descendant of a process (Linux /proc)."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/task/{current}/children") as handle:
                kids = [int(c) for c in handle.read().split()]
        except FileNotFoundError:
            continue
        found += kids
        stack += kids
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as handle:
            state = next(line for line in handle if line.startswith("State:"))
    except (FileNotFoundError, StopIteration):
        return False
    return "Z" not in state.split()[1]  # a zombie has exited; its reaper may be slow


def _start(source: Path, out: Path, jobs: int = 2) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "screening",
            "batch",
            str(source),
            "--rules",
            RULES,
            "--jobs",
            str(jobs),
            "-o",
            str(out),
            "-o",
            str(out.with_suffix(".xlsx")),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _running(process: subprocess.Popen[bytes], folder: Path, jobs: int) -> list[int]:
    """Wait for the run to be under way (workers up, temp files filling); its kids."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        kids = _children(process.pid)
        temps = [p for p in folder.iterdir() if p.name.startswith(".screening-")]
        big = [p for p in temps if p.stat().st_size > 0]
        if len(kids) >= (jobs + 1 if jobs > 1 else 0) and big:
            return kids
        time.sleep(0.2)
    raise AssertionError("the batch never got going")


def _gone(pids: list[int], within: float = 20) -> list[int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        left = [pid for pid in pids if _alive(pid)]
        if not left:
            return []
        time.sleep(0.2)
    return [pid for pid in pids if _alive(pid)]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)]
)
def test_sigterm_and_ctrl_c_stop_workers_and_remove_temp_files(
    source: Path, tmp_path: Path, signum: int, code: int
) -> None:
    out = tmp_path / "r.jsonl"
    process = _start(source, out)
    kids = _running(process, tmp_path, 2)
    if signum == signal.SIGINT:  # Ctrl-C reaches the whole foreground group
        for pid in [process.pid, *kids]:
            os.kill(pid, signum)
    else:
        process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr.decode()
    assert "interrupted" in stderr.decode() and b"Traceback" not in stderr
    assert _gone(kids) == []  # the workers and the resource tracker
    assert _leftovers(tmp_path) == [] and list(tmp_path.iterdir()) == []


def test_after_a_sigkill_workers_exit_and_the_next_run_cleans_up(
    source: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r.jsonl"
    process = _start(source, out)
    kids = _running(process, tmp_path, 2)
    process.kill()
    process.wait(timeout=30)
    assert (
        _gone(kids) == []
    )  # workers die with their parent; so the tracker's pipe closes
    left = _leftovers(tmp_path)
    assert left and all(
        name.startswith(f".screening-{process.pid}-") or name.endswith("screening-lock")
        for name in left
    )
    small = tmp_path / "small.jsonl"
    small.write_text(
        source.read_text(encoding="utf-8").split("\n", 1)[0] + "\n", encoding="utf-8"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "screening",
            "batch",
            str(small),
            "--rules",
            RULES,
            "--jobs",
            "1",
            "-o",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert _leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "r.errors.csv",
        "r.jsonl",
        "small.jsonl",
    ]


def test_two_runs_on_one_output_the_second_refuses(
    source: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r.jsonl"
    first = _start(source, out)
    try:
        _running(first, tmp_path, 2)
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "screening",
                "batch",
                str(source),
                "--rules",
                RULES,
                "-o",
                str(out),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 2
        assert (
            f"another batch (pid {first.pid}) is writing this output" in second.stderr
        )
        assert str(out) in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
