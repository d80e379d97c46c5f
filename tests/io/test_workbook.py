"""XLSX: calamine and openpyxl read alike; bombs are refused before parsing."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.io import workbook
from screening.io.readers import RowError, read_rows
from screening.io.tables import InputError, Limits, Overlong, open_table
from tests.io import rawxlsx

LONG = "单元格超过 32,767 个字符，无法读取 / cell longer than 32,767 characters"


def _cells(path: Path, **kwargs: Any) -> list[tuple[int, list[Any]]]:
    with open_table(path, lambda text: text or None, min_known=1, **kwargs) as table:
        return list(table)


@pytest.fixture(params=["calamine", "openpyxl"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with both readers: openpyxl when calamine may hold no cell."""
    if request.param == "openpyxl":
        monkeypatch.setattr(workbook, "CALAMINE_CELLS", 0)
    return str(request.param)


def test_both_readers_give_the_same_cells(tmp_path: Path, reader: str) -> None:
    path = tmp_path / "p.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    # data away from A1: calamine starts its rows at the first used column
    ws["B3"], ws["C3"], ws["D3"], ws["E3"] = "名称", "金额", "比例", "日期"
    ws.append([None, "甲", 4500, 0.125, dt.datetime(2024, 3, 5)])
    ws.append([None, "乙", 41000.5, 0.3, dt.datetime(2024, 3, 5, 9, 30)])
    ws.append([None, "丙", 1e-310, None, "=1/0"])
    ws["D4"].number_format = ws["D5"].number_format = "0.0%"
    book.save(path)
    # openpyxl leaves "=1/0" uncomputed: give it the value Excel would have saved
    _set_error(path, "E6", "#DIV/0!")
    rows = [(n, [c if c != "" else None for c in cells]) for n, cells in _cells(path)]
    date = dt.date(2024, 3, 5) if reader == "calamine" else dt.datetime(2024, 3, 5)
    assert rows == [
        (4, [None, "甲", 4500, "12.5%", date]),
        (5, [None, "乙", 41000.5, "30%", dt.datetime(2024, 3, 5, 9, 30)]),
        (6, [None, "丙", 1e-310, None, "#DIV/0!"]),
    ]


def _set_error(path: Path, ref: str, text: str) -> None:
    """Give a formula cell a cached error value, as Excel saves one."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    start = sheet.index(f'<c r="{ref}"')
    end = sheet.index("</c>", start) + 4
    cell = f'<c r="{ref}" t="e"><f>1/0</f><v>{text}</v></c>'
    parts["xl/worksheets/sheet1.xml"] = (sheet[:start] + cell + sheet[end:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_percent_and_error_cells_found_by_the_scan(tmp_path: Path, reader: str) -> None:
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>率</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>额</t></is></c></row>'
        '<row r="2"><c r="A2" s="1"><v>0.15</v></c><c r="B2"><v>0.15</v></c></row>'
        '<row r="3"><c r="A3" s="1" t="e"><v>#N/A</v></c>'
        '<c r="B3" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
        '<row r="4"><c r="A4" s="1"/><c r="B4" t="e"/></row>'
    )
    path = rawxlsx.write(tmp_path / "s.xlsx", rawxlsx.sheet_xml(rows))
    got = [(n, [c if c != "" else None for c in cells]) for n, cells in _cells(path)]
    # openpyxl gives row 4 (styled, empty); calamine ends at the last value
    assert [(n, cells) for n, cells in got if any(cells)] == [
        (2, ["15%", 0.15]),
        (3, ["#N/A", "#DIV/0!"]),
    ]


def test_a_long_cell_spoils_its_row_only(tmp_path: Path, reader: str) -> None:
    long = "长" * 40_000
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        f'<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="inlineStr"><is><t>{long}'
        "</t></is></c></row>"
        '<row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3"><v>7</v></c></row>'
        '<row r="4"><c r="A4" t="s"><v>4</v></c><c r="B4"><v>8</v></c></row>'
    )
    strings = rawxlsx.strings_xml(["项目名称", "总投资", "甲", "乙", "丙" * 33_000])
    path = rawxlsx.write(tmp_path / "long.xlsx", rawxlsx.sheet_xml(rows), strings)
    assert _cells(path)[0] == (2, ["甲", Overlong(40_000, 32_767)])
    with read_rows(path) as stream:
        got = [(r.number, r.data, r.error) for r in stream]
    assert got == [
        (
            2,
            None,
            RowError(
                "总投资",
                LONG,
            ),
        ),
        (3, {"name": "乙", "investment": {"total": "7"}, "id": "long-row3"}, None),
        (
            4,
            None,
            RowError(
                "项目名称",
                LONG,
            ),
        ),
    ]


def test_calamine_is_chosen_for_small_sheets_only(tmp_path: Path) -> None:
    path = rawxlsx.write(
        tmp_path / "a.xlsx",
        rawxlsx.sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'),
    )
    assert _scan(path).fits_calamine()
    far = '<row r="1"><c r="A1"><v>1</v></c><c r="XFD1048576"><v>2</v></c>'
    hidden = '<row r="1"><c r="A1"><v>1</v></c><c r="ZZ900"><v>2</v></c>'
    for rows in (far + "</row>", hidden + '<c r="B1"><v>3</v></c></row>'):
        path = rawxlsx.write(tmp_path / "b.xlsx", rawxlsx.sheet_xml(rows))
        # a cell far away would make calamine's grid huge: openpyxl reads the sheet
        assert not _scan(path).fits_calamine()


def _scan(path: Path) -> Any:
    import zipfile

    with zipfile.ZipFile(path) as z:
        infos = {i.filename: i for i in z.infolist()}
    book = workbook._Book.read(path, infos)
    return workbook._scan_sheet(path, infos[book.sheet(path, None)[1]], book, Limits())


# ---- bombs, each read in a child process with its memory capped -------------------

_READ = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))
from screening.io.readers import read_rows
from screening.errors import ScreeningError
try:
    with read_rows(sys.argv[1]) as stream:
        rows = [[r.number, r.error.reason if r.error else None] for r in stream]
    print(json.dumps({"rows": rows}))
except ScreeningError as exc:
    print(json.dumps({"error": str(exc)}))
"""


def _read_guarded(path: Path) -> dict[str, Any]:
    """Read `path` in a child process limited to 2 GiB of address space."""
    done = subprocess.run(
        [sys.executable, "-c", _READ, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def _blank_rows(first: int, count: int) -> Iterator[bytes]:
    for start in range(first, first + count, 50_000):
        stop = min(start + 50_000, first + count)
        yield "".join(f'<row r="{n}"/>' for n in range(start, stop)).encode()


def _header_then(rows: Iterator[bytes]) -> Iterator[bytes]:
    yield (
        f'<worksheet xmlns="{rawxlsx.MAIN}"><sheetData><row r="1">'
        '<c r="A1" t="inlineStr"><is><t>项目名称</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>总投资</t></is></c></row>'
    ).encode()
    yield from rows
    yield b"</sheetData></worksheet>"


def test_a_blank_row_bomb_is_refused(tmp_path: Path) -> None:
    # as the bomb (4 MB inflating to 1 GiB of blank rows), a quarter the size:
    # it is refused by its compression ratio, which does not depend on the size
    def rows() -> Iterator[bytes]:
        block = b'<row r="2" s="1" customFormat="1" ht="15"/>' * 25_000
        for _ in range((1 << 28) // len(block)):
            yield block

    path = rawxlsx.write(tmp_path / "bomb.xlsx", _header_then(rows()), level=1)
    assert path.stat().st_size < 2_000_000
    error = _read_guarded(path)["error"]
    assert "xl/worksheets/sheet1.xml" in error and "疑为压缩炸弹" in error
    assert "refused as a zip bomb" in error


def test_more_rows_than_excel_holds_is_refused(tmp_path: Path) -> None:
    path = rawxlsx.write(
        tmp_path / "rows.xlsx", _header_then(_blank_rows(2, 1_100_000))
    )
    assert _read_guarded(path) == {
        "error": f"{path}: [INP] 工作表超过 1,048,576 行（Excel 的上限；batch 与 "
        "register import 可用 --max-rows 调高）/ the sheet has more than 1,048,576 "
        "rows (Excel's limit; batch and register import take --max-rows to raise it)"
    }


def test_a_row_past_the_last_excel_row_is_refused(tmp_path: Path) -> None:
    sheet = rawxlsx.sheet_xml(
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="2000000"/>'
    )
    with pytest.raises(InputError, match="more than 1,048,576 rows"):
        read_rows(rawxlsx.write(tmp_path / "r.xlsx", sheet))


def test_a_column_past_xfd_is_refused(tmp_path: Path) -> None:
    sheet = rawxlsx.sheet_xml(
        '<row r="1"><c r="A1"><v>1</v></c><c r="XFE1"><v>2</v></c></row>'
    )
    with pytest.raises(InputError, match="more than 16,384 columns"):
        read_rows(rawxlsx.write(tmp_path / "c.xlsx", sheet))


def test_a_gibibyte_cell_is_refused(tmp_path: Path) -> None:
    # the second bomb: 1 MB holding one shared string of 1 GiB
    def strings() -> Iterator[bytes]:
        yield f'<sst xmlns="{rawxlsx.MAIN}"><si><t>'.encode()
        block = b"A" * (1 << 24)
        for _ in range(64):
            yield block
        yield b"</t></si></sst>"

    sheet = rawxlsx.sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    path = rawxlsx.write(tmp_path / "cell.xlsx", sheet, strings(), level=1)
    assert path.stat().st_size < 8_000_000
    error = _read_guarded(path)["error"]
    assert "xl/sharedStrings.xml" in error and "refused as a zip bomb" in error


def test_a_large_shared_string_past_the_row_bound_is_refused(tmp_path: Path) -> None:
    strings = rawxlsx.strings_xml(["项目名称", "x" * 3_000_000])
    sheet = rawxlsx.sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    path = rawxlsx.write(tmp_path / "s.xlsx", sheet, strings)
    with pytest.raises(InputError, match="a shared string holds more than 1 MiB"):
        read_rows(path, limits=Limits(max_row_bytes=1 << 20))


def test_a_fifty_megabyte_cell_spoils_its_row_only(tmp_path: Path) -> None:
    text = "".join(map(chr, range(0x4E00, 0x4E00 + 20_000))) * 850  # 51 MB of UTF-8
    strings = rawxlsx.strings_xml(["项目名称", "总投资", "甲", text])
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>5</v></c></row>'
        '<row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3"><v>6</v></c></row>'
    )
    path = rawxlsx.write(tmp_path / "big.xlsx", rawxlsx.sheet_xml(rows), strings)
    assert _read_guarded(path) == {
        "rows": [
            [2, None],
            [
                3,
                LONG,
            ],
        ]
    }


def test_a_part_that_inflates_past_its_declared_size_is_refused(tmp_path: Path) -> None:
    rows = "".join(
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 500)
    )
    path = rawxlsx.write(tmp_path / "lie.xlsx", rawxlsx.sheet_xml(rows))
    rawxlsx.declare_size(path, "xl/worksheets/sheet1.xml", 1000)
    with pytest.raises(InputError, match="inflates past its declared size"):
        read_rows(path)


def test_a_declared_size_past_the_cap_is_refused_before_inflating(
    tmp_path: Path,
) -> None:
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(99))
    noise = random.Random(0).randbytes(40_000_000)  # incompressible: no ratio to see
    sheet = rawxlsx.sheet_xml(rows).encode() + noise
    path = rawxlsx.write(tmp_path / "big.xlsx", sheet, level=1)
    rawxlsx.declare_size(path, "xl/worksheets/sheet1.xml", 3_000_000_000)
    with pytest.raises(InputError) as caught:
        read_rows(path)
    assert "over the limit of 2048 MiB" in str(caught.value)


def test_encrypted_or_old_workbooks_say_so(tmp_path: Path) -> None:
    path = tmp_path / "secret.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(InputError, match="encrypted or an old .xls"):
        read_rows(path)


def test_limits_can_be_raised_for_a_legitimate_file(tmp_path: Path) -> None:
    sheet = rawxlsx.sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>项目名称</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>总投资</t></is></c></row>'
        + "".join(f'<row r="{n}"><c r="B{n}"><v>{n}</v></c></row>' for n in range(2, 8))
    )
    path = rawxlsx.write(tmp_path / "p.xlsx", sheet)
    with pytest.raises(InputError, match="more than 5 rows"):
        read_rows(path, limits=Limits(max_rows=5))
    assert len(list(read_rows(path, limits=Limits(max_rows=10)))) == 6


_CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**18), 10**18),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=20),
    st.sampled_from(["合计", "是", "涉及", "２．４亿元", "C3725", "-", "#N/A", "15%"]),
)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(_CELLS, min_size=5, max_size=5), max_size=6))
def test_both_readers_read_any_sheet_alike(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[Any]]
) -> None:
    """Whatever the cells, both readers give the same rows, each a project, a row
    error or a skip, and nothing else escapes."""
    path = tmp_path_factory.mktemp("x") / "any.xlsx"
    book = openpyxl.Workbook()
    book.active.append(
        ["项目名称", "总投资", "是否位于生态保护红线", "行业代码", "绿地率"]
    )
    for row in rows:
        book.active.append(row)
    book.save(path)

    def read() -> list[tuple[int, Any, Any, Any]]:
        with read_rows(path) as stream:
            return [(r.number, r.data, r.error, r.skip) for r in stream]

    by_calamine = read()
    original = workbook.CALAMINE_CELLS
    workbook.CALAMINE_CELLS = 0
    try:
        by_openpyxl = read()
    finally:
        workbook.CALAMINE_CELLS = original
    assert by_calamine == by_openpyxl
    assert all(
        sum(part is not None for part in (data, error, skip)) == 1
        for _, data, error, skip in by_calamine
    )


def test_no_marks_are_kept_for_a_sheet_openpyxl_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the marks grow with the rows: kept only while calamine may read the sheet
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" s="1"><v>0.5</v></c><c r="B{n}" t="e"><v>#N/A</v>'
        "</c></row>"
        for n in range(1, 2001)
    )
    path = rawxlsx.write(tmp_path / "p.xlsx", rawxlsx.sheet_xml(rows))
    scan = _scan(path)
    assert scan.fits_calamine() and len(scan.percent) == len(scan.errors) == 2000
    monkeypatch.setattr(workbook, "CALAMINE_CELLS", 1000)
    scan = _scan(path)
    assert not scan.fits_calamine() and not scan.percent and not scan.errors


# a cell: none, a plain figure, or a percent-styled one with its reference first or last
_STYLED = st.lists(
    st.lists(st.sampled_from(["", "plain", "percent", "percent-s-first"]), max_size=4),
    max_size=8,
)


@settings(max_examples=40, deadline=None)
@given(_STYLED)
def test_the_scan_finds_every_percent_cell(
    tmp_path_factory: pytest.TempPathFactory, layout: list[list[str]]
) -> None:
    """Whichever cells are styled as percentages, and however their attributes are
    ordered, the scan marks exactly those (row → bit of each 0-based column), and
    calamine reads them as openpyxl does."""
    xml = ['<row r="1"><c r="A1" t="inlineStr"><is><t>表头</t></is></c></row>']
    expected: dict[int, int] = {}
    for number, kinds in enumerate(layout, 2):
        cells = []
        for column, kind in enumerate(kinds):
            ref = f"{'ABCD'[column]}{number}"
            if kind == "plain":
                cells.append(f'<c r="{ref}"><v>0.25</v></c>')
            elif kind == "percent":
                cells.append(f'<c r="{ref}" s="1"><v>0.25</v></c>')
            elif kind == "percent-s-first":
                cells.append(f'<c s="1" r="{ref}"><v>0.25</v></c>')
            if kind.startswith("percent"):
                expected[number] = expected.get(number, 0) | 1 << column
        xml.append(f'<row r="{number}">{"".join(cells)}</row>')
    folder = tmp_path_factory.mktemp("p")
    path = rawxlsx.write(folder / "p.xlsx", rawxlsx.sheet_xml("".join(xml)))
    assert _scan(path).percent == expected
    by_calamine = _cells(path)
    original = workbook.CALAMINE_CELLS
    workbook.CALAMINE_CELLS = 0
    try:
        by_openpyxl = _cells(path)
    finally:
        workbook.CALAMINE_CELLS = original
    assert _filled(by_calamine) == _filled(by_openpyxl)


def _filled(rows: list[tuple[int, list[Any]]]) -> list[tuple[int, list[Any]]]:
    """The rows with a value, without the trailing empty cells openpyxl keeps."""
    kept = []
    for number, cells in rows:
        values = [None if c == "" else c for c in cells]
        while values and values[-1] is None:
            values.pop()
        if values:
            kept.append((number, values))
    return kept
