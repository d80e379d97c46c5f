"""A workbook that opens with a notes sheet (填表说明) is read from the first sheet
whose first rows name the columns; a named sheet is read as named."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from screening.io.columns import header_matcher
from screening.io.tables import HeaderNotFound, open_table


def _book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


_NOTES = [["填表说明"], ["1. 金额单位为万元"], ["2. 每个项目一行"]]
_LEADS = [
    ["项目编号", "项目名称", "总投资(万元)"],
    ["p-1", "甲项目", 1000],
    ["p-2", "乙项目", 2000],
]


def test_a_notes_sheet_before_the_leads_is_passed_over(tmp_path: Path) -> None:
    path = _book(tmp_path / "leads.xlsx", {"填表说明": _NOTES, "项目清单": _LEADS})
    with open_table(path, header_matcher()) as table:
        rows = [cells for _, cells in table]
        assert table.sheet == "项目清单"
    assert [row[0] for row in rows] == ["p-1", "p-2"]


def test_the_first_sheet_when_it_has_the_header(tmp_path: Path) -> None:
    path = _book(tmp_path / "leads.xlsx", {"项目清单": _LEADS, "备注": _NOTES})
    with open_table(path, header_matcher()) as table:
        assert table.sheet is None  # the first: nothing to say
        assert len(list(table)) == 2


def test_a_named_sheet_without_a_header_is_refused_as_named(tmp_path: Path) -> None:
    path = _book(tmp_path / "leads.xlsx", {"填表说明": _NOTES, "项目清单": _LEADS})
    with pytest.raises(HeaderNotFound) as caught:
        open_table(path, header_matcher(), sheet="填表说明")
    assert caught.value.sheets == ()


def test_no_sheet_with_a_header_names_every_sheet(tmp_path: Path) -> None:
    path = _book(tmp_path / "notes.xlsx", {"填表说明": _NOTES, "封面": [["2026 年"]]})
    with pytest.raises(HeaderNotFound) as caught:
        open_table(path, header_matcher())
    assert caught.value.sheets == ("填表说明", "封面")


def test_batch_says_which_sheet_it_read_and_every_sheet_it_tried(
    tmp_path: Path,
) -> None:
    from tests.cli.test_screen_cli import invoke

    leads = _book(tmp_path / "leads.xlsx", {"填表说明": _NOTES, "项目清单": _LEADS[:2]})
    said = invoke(["batch", str(leads), "--rules", "starter", "-o", str(tmp_path / "o.jsonl")])  # fmt: skip
    assert "已读取工作表「项目清单」" in said.stderr
    assert "1 row: 1 screened" in said.stderr  # one row, not "1 rows"
    notes = _book(tmp_path / "notes.xlsx", {"填表说明": _NOTES, "封面": [["2026 年"]]})
    refused = invoke(["batch", str(notes), "--rules", "starter", "-o", str(tmp_path / "p.jsonl")], code=2)  # fmt: skip
    assert "工作表 填表说明、封面 的前 50 行中没有表头" in refused.stderr
