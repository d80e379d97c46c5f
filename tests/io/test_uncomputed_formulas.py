"""XLSX: a formula saved without its result spoils its row, naming the cell.

Programs that write workbooks without computing them (openpyxl, scripts) leave a
formula's cached value out; read as an empty cell, the figure would go missing
unnoticed. A formula whose result is an empty string stays an empty cell.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from screening.io import workbook
from screening.io.readers import RowError, read_rows
from screening.io.tables import Limits, open_table
from tests.cli.test_screen_cli import invoke
from tests.io import rawxlsx

FIXED = "固定资产投资(万元)"


def _uncomputed(ref: str) -> str:
    return (
        f"单元格 {ref} 是公式但没有计算结果：请在 Excel 中打开并保存后再导入 / "
        f"cell {ref} holds a formula without a computed value: open and save the "
        "file in Excel, then import it again"
    )


@pytest.fixture(params=["calamine", "openpyxl"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with both readers: openpyxl when calamine may hold no cell."""
    if request.param == "openpyxl":
        monkeypatch.setattr(workbook, "CALAMINE_CELLS", 0)
    return str(request.param)


def _rows(path: Path) -> list[tuple[int, object, object]]:
    with read_rows(path) as stream:
        return [(r.number, r.data, r.error) for r in stream]


def _openpyxl_book(path: Path) -> Path:
    """A workbook as openpyxl writes one: its formulas saved without results."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["项目编号", "项目名称", "总投资(万元)", FIXED, "备注"])
    ws.append(["P-1", "甲", 100, 80, "=A2"])  # a formula in a column not read
    ws.append(["P-2", "乙", 100, "=C3*0.8", None])
    ws.append(["P-3", "丙", 100, 90, None])
    book.save(path)
    return path


def test_a_formula_saved_by_openpyxl_spoils_its_row(
    tmp_path: Path, reader: str
) -> None:
    path = _openpyxl_book(tmp_path / "p.xlsx")
    assert _rows(path) == [
        (
            2,
            {
                "id": "P-1",
                "name": "甲",
                "investment": {"total": "100", "fixed_assets": "80"},
            },
            None,
        ),
        (3, None, RowError(FIXED, _uncomputed("D3"))),
        (
            4,
            {
                "id": "P-3",
                "name": "丙",
                "investment": {"total": "100", "fixed_assets": "90"},
            },
            None,
        ),
    ]


_HEADER = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>项目名称</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>总投资(万元)</t></is></c></row>'
)


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="B2"><f>1+1</f></c>',  # no <v> at all
        '<c r="B2"><f>1+1</f><v></v></c>',
        '<c r="B2"><f>1+1</f><v/></c>',
        '<c r="B2" t="n"><f>1+1</f><v /></c>',  # as openpyxl writes it
        '<c r="B2"><f t="shared" ref="B2:B3" si="0">1+1</f></c>',
        '<c r="B2"><f t="shared" si="0"/></c>',  # a shared formula's later cell
        '<c r="B2" t="str"><f>"x"</f></c>',  # typed a text, yet no result
    ],
)
def test_each_way_of_saving_no_result_is_found(
    tmp_path: Path, reader: str, cell: str
) -> None:
    rows = (
        f'{_HEADER}<row r="2"><c r="A2" t="inlineStr"><is><t>甲</t></is></c>{cell}'
        '</row><row r="3"><c r="A3" t="inlineStr"><is><t>乙</t></is></c>'
        '<c r="B3"><f>2+2</f><v>4</v></c></row>'
    )
    path = rawxlsx.write(tmp_path / "f.xlsx", rawxlsx.sheet_xml(rows))
    assert _rows(path) == [
        (2, None, RowError("总投资(万元)", _uncomputed("B2"))),
        (3, {"id": "f-row3", "name": "乙", "investment": {"total": "4"}}, None),
    ]


def test_an_empty_text_result_is_an_empty_cell(tmp_path: Path, reader: str) -> None:
    rows = (
        f'{_HEADER}<row r="2"><c r="A2" t="inlineStr"><is><t>甲</t></is></c>'
        '<c r="B2" t="str"><f>""</f><v></v></c></row>'
        '<row r="3"><c r="A3" t="inlineStr"><is><t>乙</t></is></c>'
        '<c r="B3" t="str"><f>""</f><v/></c></row>'
    )
    path = rawxlsx.write(tmp_path / "e.xlsx", rawxlsx.sheet_xml(rows))
    assert _rows(path) == [
        (2, {"id": "e-row2", "name": "甲"}, None),
        (3, {"id": "e-row3", "name": "乙"}, None),
    ]


def test_prefixed_parts_and_cells_past_the_values_are_found(
    tmp_path: Path, reader: str
) -> None:
    # calamine's grid ends at the last value: a formula right of it, or in a row
    # below it, is found all the same
    x = rawxlsx.MAIN
    sheet = (
        f'<x:worksheet xmlns:x="{x}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>项目名称</x:t></x:is></x:c>'
        '<x:c r="B1" t="inlineStr"><x:is><x:t>备注</x:t></x:is></x:c>'
        '<x:c r="C1" t="inlineStr"><x:is><x:t>总投资(万元)</x:t></x:is></x:c></x:row>'
        '<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>甲</x:t></x:is></x:c>'
        '<x:c r="C2"><x:f>1+1</x:f></x:c></x:row>'
        '<x:row r="4"><x:c r="C4"><x:f>1+1</x:f><x:v></x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    path = rawxlsx.write(tmp_path / "x.xlsx", sheet)
    assert _rows(path) == [
        (2, None, RowError("总投资(万元)", _uncomputed("C2"))),
        (4, None, RowError("总投资(万元)", _uncomputed("C4"))),
    ]


def test_a_totals_row_of_uncomputed_sums_is_skipped(
    tmp_path: Path, reader: str
) -> None:
    path = tmp_path / "t.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["项目名称", "总投资(万元)"])
    book.active.append(["甲", 100])
    book.active.append(["合计", "=SUM(B2:B2)"])
    book.save(path)
    with read_rows(path) as stream:
        got = [(r.number, r.error, r.skip is not None) for r in stream]
    assert got == [(2, None, False), (3, None, True)]


def test_no_marks_are_held_for_a_sheet_openpyxl_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the marks grow with the rows: openpyxl's sheets are searched again beside it
    rows = "".join(
        f'<row r="{n}"><c r="A{n}"><v>1</v></c><c r="B{n}"><f>A{n}</f></c></row>'
        for n in range(1, 2001)
    )
    path = rawxlsx.write(tmp_path / "p.xlsx", rawxlsx.sheet_xml(rows))
    scan = _scan(path)
    assert scan.fits_calamine() and len(scan.uncomputed) == 2000
    monkeypatch.setattr(workbook, "CALAMINE_CELLS", 1000)
    scan = _scan(path)
    assert not scan.fits_calamine() and not scan.uncomputed and scan.has_uncomputed


def _scan(path: Path) -> Any:
    with zipfile.ZipFile(path) as z:
        infos = {i.filename: i for i in z.infolist()}
    book = workbook._Book.read(path, infos)
    return workbook._scan_sheet(path, infos[book.sheet(path, None)[1]], book, Limits())


def test_a_table_read_without_asking_keeps_the_empty_cell(
    tmp_path: Path, reader: str
) -> None:
    # `screening evaluate` reads its tables so until it reads the marks
    path = _openpyxl_book(tmp_path / "p.xlsx")
    with open_table(path, lambda text: text or None) as table:
        cells = [cells[3] for _, cells in table]
    assert cells[0] == 80 and cells[1] in ("", None)


def test_batch_reports_the_row_and_the_cell(tmp_path: Path) -> None:
    path = _openpyxl_book(tmp_path / "leads.xlsx")
    result = invoke(
        [
            "batch",
            str(path),
            "--rules",
            "starter",
            "--as-of",
            "2025-01-01",
            "--jobs",
            "1",
            "-o",
            str(tmp_path / "out.jsonl"),
        ]
    )
    assert f"{path}:3: {FIXED}: {_uncomputed('D3')} [无效 / invalid]" in result.stderr
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["project"]["id"] for line in lines] == ["P-1", "P-3"]
