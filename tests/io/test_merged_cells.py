"""A merged cell in the data counts for every cell it covers (review finding 10)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from screening.io import workbook
from screening.io.tables import DEFAULT_LIMITS, open_table


def _grouped(path: Path) -> None:
    """A bureau sheet: a title over the columns, firms grouped under 规上 / 规下."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["2025年度亩均效益评价企业名单"])
    ws.merge_cells("A1:D1")
    ws.append(["企业规模", "企业名称", "用地面积(亩)", "备注"])
    ws.append(["规上", "甲机械有限公司", 10, "同一厂区"])
    ws.append([None, "乙模具有限公司", 12, None])
    ws.append([None, "丙塑业有限公司", 14, None])
    ws.append(["规下", "丁五金有限公司", 8, None])
    ws.append([None, "戊电器有限公司", 9, None])
    ws.merge_cells("A3:A5")
    ws.merge_cells("A6:A7")
    ws.merge_cells("D3:D4")
    ws.append([None, "己科技有限公司", 5, None])  # no range over it
    book.save(path)


@pytest.fixture(params=["calamine", "openpyxl"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "openpyxl":
        monkeypatch.setattr(workbook, "CALAMINE_CELLS", 0)
    return str(request.param)


def test_every_row_under_a_merged_cell_reads_its_value(
    tmp_path: Path, reader: str
) -> None:
    path = tmp_path / "firms.xlsx"
    _grouped(path)
    rows, close = workbook.read_workbook(path, None, DEFAULT_LIMITS)
    try:
        # calamine reads an empty cell as "", openpyxl as None (or not at all)
        cells = [[v if v != "" else None for v in row] + [None] * 4 for row in rows]
    finally:
        close()
    assert cells[0][:4] == ["2025年度亩均效益评价企业名单"] * 4
    by_name = {row[1]: (row[0], row[3]) for row in cells[2:]}
    assert by_name == {
        "甲机械有限公司": ("规上", "同一厂区"),
        "乙模具有限公司": ("规上", "同一厂区"),
        "丙塑业有限公司": ("规上", None),
        "丁五金有限公司": ("规下", None),
        "戊电器有限公司": ("规下", None),
        "己科技有限公司": (None, None),
    }


def test_the_header_is_still_found_under_a_merged_title(tmp_path: Path) -> None:
    path = tmp_path / "firms.xlsx"
    _grouped(path)
    with open_table(path, lambda label: label or None, min_known=4) as table:
        assert table.header.labels == ("企业规模", "企业名称", "用地面积(亩)", "备注")
        assert [row[1][0] or "" for row in table] == ["规上"] * 3 + ["规下"] * 2 + [""]


def test_merged_ranges_are_read_with_any_prefix_and_order() -> None:
    element = (
        b'<x:mergeCells count="3"><x:mergeCell ref="A5:A2"/>'
        b'<x:mergeCell ref="B1:B1"/><x:mergeCell ref="C7:E8"/></x:mergeCells>'
    )
    assert workbook.merged_ranges(element) == [(2, 1, 5, 1), (7, 3, 8, 5)]


def test_merged_ranges_cut_across_inflated_chunks_are_kept() -> None:
    xml = (
        b'</sheetData><pageMargins left="0.7"/><mergeCells count="2">'
        b'<mergeCell ref="A2:A4"/><mergeCell ref="B5:C5"/></mergeCells><drawing/>'
    )
    for size in (1, 3, 7, 16, len(xml)):
        scan = workbook._Scan(DEFAULT_LIMITS, frozenset())
        merged: bytes | None = workbook._merged_part(scan, xml[:size])
        for at in range(size, len(xml), size):
            if merged is not None:
                merged = workbook._merged_part(scan, merged + xml[at : at + size])
        assert merged is None
        assert workbook.merged_ranges(scan.merged) == [(2, 1, 4, 1), (5, 2, 5, 3)]
