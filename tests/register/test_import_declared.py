"""`register import` reads a rule set's declared inputs by their titles, as `batch`
does, and names a row that repeats an earlier row's project."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.batch.test_declared_inputs import BEIHAI, _sheet
from tests.cli.test_screen_cli import invoke


def test_import_reads_declared_titles_and_names_repeats(tmp_path: Path) -> None:
    sheet = _sheet(
        tmp_path,
        "建筑密度,行政办公及生活服务设施建筑面积占总建筑面积比例,"
        "两高项目已落实总量控制、区域削减及煤炭消费减量替代等条件",
        "45%,10%,是",
    )
    # the same project a second time, below the first
    sheet.write_text(sheet.read_text("utf-8") + sheet.read_text("utf-8").splitlines()[1]
                     + "\n", "utf-8")  # fmt: skip
    db = tmp_path / "r.db"
    result = invoke(["register", "import", str(sheet), "--rules", BEIHAI,
                     "--as-of", "2025-06-30", "--db", str(db)])  # fmt: skip
    assert "建筑密度" not in result.stderr  # read, not an unknown column
    assert "beihai.csv:3: 与第 2 行是同一项目" in result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("select decision from leads").fetchall() == [("pass",)]
