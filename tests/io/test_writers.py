"""Atomic writes and the streaming JSONL / CSV result writers."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from screening.io import writers
from screening.io.writers import (
    CSV_COLUMNS,
    CsvWriter,
    JsonlWriter,
    append_file,
    atomic_open,
    atomic_write,
    csv_row,
    failed_findings,
)

FIXTURE = Path(__file__).parent / "fixtures" / "batch_results.json"


@pytest.fixture
def results() -> list[dict[str, Any]]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["results"]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize(
    ("data", "expected"),
    [("项目\r\n结论\n", "项目\r\n结论\n".encode()), (b"\x00\xff", b"\x00\xff")],
)
def test_atomic_write(tmp_path: Path, data: str | bytes, expected: bytes) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old", encoding="utf-8")
    atomic_write(path, data)
    assert path.read_bytes() == expected
    assert _leftovers(tmp_path) == []


def test_atomic_file_gets_the_usual_mode(tmp_path: Path) -> None:
    atomic_write(tmp_path / "report.html", "x")
    (tmp_path / "plain.html").write_text("x")  # what open() would have made
    modes = [
        (tmp_path / n).stat().st_mode & 0o777 for n in ("report.html", "plain.html")
    ]
    assert modes[0] == modes[1]  # not mkstemp's 0600 (under the usual umask 022)


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text("上一次的结果", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_open(path, "w") as handle:
        handle.write("一半")
        raise RuntimeError("screening failed")
    assert path.read_text(encoding="utf-8") == "上一次的结果"
    assert _leftovers(tmp_path) == []


def test_nothing_appears_until_the_file_is_complete(tmp_path: Path) -> None:
    path = tmp_path / "new.jsonl"
    with atomic_open(path, "w") as handle:
        handle.write("{}\n")
        assert not path.exists()
        assert len(_leftovers(tmp_path)) == 1
    assert path.read_text(encoding="utf-8") == "{}\n"


@pytest.mark.parametrize("mode", ["r", "a", "w+", "x"])
def test_atomic_open_only_writes(tmp_path: Path, mode: str) -> None:
    with pytest.raises(ValueError) as caught, atomic_open(tmp_path / "f", mode):
        pass
    assert (
        str(caught.value) == f"atomic_open writes only ('w', 'wt', 'wb'), not {mode!r}"
    )


def test_jsonl_round_trip_keeps_key_order(
    tmp_path: Path, results: list[dict[str, Any]]
) -> None:
    path = tmp_path / "results.jsonl"
    with JsonlWriter(path) as writer:
        assert writer.write_all(iter(results)) == 4
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == results
    assert lines[0].startswith(
        '{"project": {"id": "NB-2024-001", '
        '"name": "年产5万吨高性能锂电池正极材料项目"}, '
        '"ruleset": {"id": "parks/ningbo-hightech-2024", '
        '"version": "2024.1", "sha256": '
    )
    assert list(json.loads(lines[0])) == [
        "project",
        "ruleset",
        "as_of",
        "decision",
        "score",
        "vetoed_by",
        "missing",
        "findings",
        "summary",
    ]


def test_writer_error_leaves_no_file(
    tmp_path: Path, results: list[dict[str, Any]]
) -> None:
    path = tmp_path / "results.jsonl"

    def broken() -> Any:
        yield results[0]
        raise KeyError("worker died")

    with pytest.raises(KeyError), JsonlWriter(path) as writer:
        writer.write_all(broken())
    assert not path.exists()
    assert _leftovers(tmp_path) == []


def test_discard(tmp_path: Path, results: list[dict[str, Any]]) -> None:
    path = tmp_path / "results.csv"
    writer = CsvWriter(path)
    writer.write(results[0])
    writer.discard()
    assert not path.exists()
    assert _leftovers(tmp_path) == []


def test_csv_rows(tmp_path: Path, results: list[dict[str, Any]]) -> None:
    path = tmp_path / "results.csv"
    with CsvWriter(path) as writer:
        writer.write_all(results)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,name,company,decision,score,")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows == [
        list(CSV_COLUMNS),
        [
            "NB-2024-001",
            "年产5万吨高性能锂电池正极材料项目",
            "",
            "pass",
            "86.5",
            "",
            "",
            "",
            "",
        ],
        [
            "NB-2024-002",
            "汽车零部件精密铸造扩建项目",
            "",
            "review",
            "55",
            "",
            "environment.energy_tce",
            "intensity.tax",
            "总分 55，通过线 60，差 5 分\n须补充数据：年综合能源消费量",
        ],
        [
            "NB-2024-003",
            "精细化工中间体生产项目",
            "",
            "reject",
            "62",
            "environment.red_line",
            "",
            "environment.red_line",
            "一票否决（生态保护红线）：任何数值调整都无法通过",
        ],
        [
            "NB-2024-004",
            "智能仓储物流中心",
            "",
            "reject",
            "18",
            "",
            "",
            "land.plot_ratio;intensity.investment",
            "容积率：用地面积需不超过 27 亩；或建筑面积需不低于 48000 平方米\n"
            "提分途径：投资强度达到200万元/亩，可多得 10 分",
        ],
    ]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ('=HYPERLINK("http://x","点此")', '\'=HYPERLINK("http://x","点此")'),
        ("+86 园区项目", "'+86 园区项目"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("普通项目", "普通项目"),
    ],
)
def test_csv_cells_never_run_as_formulas(name: str, shown: str) -> None:
    result = {
        "project": {"id": "X", "name": "普通项目", "company": name},
        "decision": "pass",
        "score": None,
    }
    result["project"]["name"] = name
    assert csv_row(result) == ["X", shown, shown, "pass", "", "", "", "", ""]


def test_failed_findings_most_severe_first() -> None:
    result = {
        "findings": [
            {"rule": "s1", "kind": "score", "status": "fail"},
            {"rule": "b1", "kind": "bonus", "status": "fail"},
            {"rule": "g1", "kind": "gate", "status": "fail"},
            {"rule": "d1", "kind": "derive", "status": "fail"},
            {"rule": "v1", "kind": "veto", "status": "pass"},
            {"rule": "r1", "kind": "review", "status": "fail"},
            {"rule": "v2", "kind": "veto", "status": "fail"},
            {"rule": "g2", "kind": "gate", "status": "missing"},
        ]
    }
    assert [f["rule"] for f in failed_findings(result)] == ["v2", "g1", "r1", "s1"]


def test_temp_files_carry_their_owner_and_dead_owners_files_are_removed(
    tmp_path: Path,
) -> None:
    import os
    import subprocess
    import sys

    from screening.io.writers import remove_stale, temp_file

    mine = temp_file(tmp_path / "r.xlsx", "sheet1")
    assert mine.name.startswith(f".screening-{os.getpid()}-")
    assert mine.name.endswith(".sheet1.tmp")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    left = tmp_path / f".screening-{dead_pid}-abc123.results.tmp"
    left.write_bytes(b"half a run")
    alive = tmp_path / ".screening-1-xyz.results.tmp"  # pid 1 lives: kept
    alive.write_bytes(b"another run")
    user = tmp_path / ".screening-notes.txt"  # not ours
    user.write_text("x", encoding="utf-8")
    assert remove_stale(tmp_path) == [left]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [mine.name, alive.name, user.name]
    )


def test_errors_csv(tmp_path: Path) -> None:
    from screening.io.writers import ErrorsCsvWriter

    path = tmp_path / "r.errors.csv"
    with ErrorsCsvWriter(path) as writer:
        writer.write({"source": "a.csv", "row": 3, "column": "=名称", "reason": "x"})
        writer.write(
            {
                "source": "a.csv",
                "row": 9,
                "column": None,
                "reason": "合计",
                "kind": "skipped",
            }
        )
    assert path.read_bytes().decode("utf-8-sig").splitlines() == [
        "source,row,column,reason,kind",
        "a.csv,3,'=名称,x,invalid",
        "a.csv,9,,合计,skipped",
    ]


def test_append_file_appends_a_part_after_what_is_buffered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writers, "_APPEND_BLOCK", 1 << 16)  # several blocks
    part = tmp_path / "part"
    part.write_bytes("一行\n".encode() * 50_000 + b"not this")
    length = part.stat().st_size - len(b"not this")
    out = tmp_path / "out"
    with out.open("wb", buffering=1 << 20) as handle:
        handle.write(b"before\n")  # still in the buffer: it must go first
        append_file(handle, part, length)
        handle.write(b"after\n")
    assert out.read_bytes() == b"before\n" + "一行\n".encode() * 50_000 + b"after\n"


def test_append_file_refuses_a_part_shorter_than_said(tmp_path: Path) -> None:
    part = tmp_path / "part"
    part.write_bytes(b"short\n")
    with (
        (tmp_path / "out").open("wb") as handle,
        pytest.raises(OSError, match="6 of 10"),
    ):
        append_file(handle, part, 10)
