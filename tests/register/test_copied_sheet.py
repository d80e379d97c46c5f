"""The same rows without ids, from a copy of the file under another name or one row
further down, are the screenings stored already: the id a reader makes up for a row
(`leads-row3`) names a row, not a project."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import openpyxl

from tests.cli.test_screen_cli import invoke

_HEADER = ["项目名称", "企业名称", "总投资(万元)", "固定资产投资(万元)", "用地面积(亩)"]
_ROWS = [
    ["甲项目", "甲公司", 30000, 25000, 100],
    ["乙项目", "乙公司", 12000, 9000, 60],
]


def _sheet(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    for row in [_HEADER, *rows]:
        book.active.append(row)
    book.save(path)
    return path


def _batch(path: Path, db: Path) -> str:
    out = path.with_suffix(".jsonl")
    result = invoke(["batch", str(path), "--rules", "starter", "--as-of", "2026-01-01",
                     "-o", str(out), "--register", str(db)])  # fmt: skip
    return result.stderr


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"select count(*) from {table}").fetchone()[0])


def test_a_copy_under_another_name_stores_nothing_new(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    first = _sheet(tmp_path / "leads.xlsx", _ROWS)
    assert "新存 2 次筛查" in _batch(first, db)
    copy = tmp_path / "leads(1).xlsx"
    shutil.copy(first, copy)
    said = _batch(copy, db)
    assert "新存 0 次筛查" in said and "已有 2" in said
    assert (_count(db, "leads"), _count(db, "screenings")) == (2, 2)


def test_a_row_inserted_above_leaves_the_rows_below_as_they_were(
    tmp_path: Path,
) -> None:
    db = tmp_path / "r.db"
    _batch(_sheet(tmp_path / "leads.xlsx", _ROWS), db)
    moved = [["丙项目", "丙公司", 20000, 15000, 80], *_ROWS]
    said = _batch(_sheet(tmp_path / "leads-v2.xlsx", moved), db)
    assert "新存 1 次筛查" in said and "已有 2" in said
    assert (_count(db, "leads"), _count(db, "screenings")) == (3, 3)


def test_changed_figures_are_still_a_new_screening(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    _batch(_sheet(tmp_path / "leads.xlsx", _ROWS), db)
    changed = [_ROWS[0], ["乙项目", "乙公司", 12000, 9500, 60]]
    said = _batch(_sheet(tmp_path / "leads(2).xlsx", changed), db)
    assert "新存 1 次筛查" in said and "已有 1" in said
    assert (_count(db, "leads"), _count(db, "screenings")) == (2, 3)
