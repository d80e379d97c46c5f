"""A formula saved without its result (a workbook a script wrote) is not an empty cell:
`screening evaluate` refuses its row naming the cell, as `screening batch` does."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from tests.cli.test_screen_cli import invoke
from tests.evaluation.test_totals_rows import HEAD, _number, _table


def test_a_formula_without_its_result_makes_its_row_invalid(tmp_path: Path) -> None:
    firms = [row for row in _table() if row[1]]  # the four firms, no totals rows
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEAD)
    for row in firms:
        sheet.append([_number(c) if 4 <= i < 12 else c or None
                      for i, c in enumerate(row)])  # fmt: skip
    sheet["F3"] = "=F2"  # 乙公司's tax as a formula openpyxl saves with no result
    path = tmp_path / "firms.xlsx"
    book.save(path)
    out = tmp_path / "out.json"
    result = invoke(["evaluate", str(path), "--scheme", "huangyan", "--year", "2025",
                     "-o", str(out)])  # fmt: skip
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["counts"]["rated"] == 3 and doc["counts"]["invalid"] == 1
    [error] = doc["errors"]
    assert error["row"] == 3
    assert "单元格 F3 是公式但没有计算结果" in error["reason"]
    assert "F3" in result.stderr
