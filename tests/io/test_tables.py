"""Generic tables: a caller's own header vocabulary, header location, row numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening.io.tables import (
    HeaderLocation,
    HeaderNotFound,
    InputError,
    float_text,
    locate_header,
    number_text,
    open_table,
)

# A vocabulary that is not the project's: a firm's annual figures.
FIRM = {"企业名称": "firm", "年度": "year", "营业收入": "revenue", "纳税额": "tax"}


def firm_match(text: str) -> str | None:
    return FIRM.get(text.replace(" ", ""))


def _rows(path: Path, **kwargs: Any) -> list[tuple[int, list[Any]]]:
    with open_table(path, firm_match, **kwargs) as table:
        return list(table)


def test_csv_with_a_callers_vocabulary(tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    path.write_bytes(
        "企业年度数据,,\n,,\n企业名称,年度,营业收入\n甲公司,2023,1200\n乙公司,2023,800\n".encode(
            "gbk"
        )
    )
    with open_table(path, firm_match) as table:
        assert (table.format, table.encoding, table.header_rows) == (
            "csv",
            "gb18030",
            (3,),
        )
        assert table.header == HeaderLocation(2, 1, ("企业名称", "年度", "营业收入"))
        assert list(table) == [
            (4, ["甲公司", "2023", "1200"]),
            (5, ["乙公司", "2023", "800"]),
        ]


def test_xlsx_two_row_header_with_a_merged_group(tmp_path: Path) -> None:
    path = tmp_path / "firms.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["企业名称", "年度", "财务", None])
    ws.append([None, None, "营业收入", "纳税额"])
    ws.merge_cells("C1:D1")
    ws.append(["甲公司", 2023, 1200.5, 80])
    book.save(path)
    with open_table(path, firm_match) as table:
        assert table.header_rows == (1, 2)
        assert table.header.labels == ("企业名称", "年度", "营业收入", "纳税额")
        assert list(table) == [(3, ["甲公司", 2023, 1200.5, 80])]


def test_min_known_and_no_header(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("企业名称,联系人\n甲,张三\n", encoding="utf-8")
    assert _rows(path, min_known=1) == [(2, ["甲", "张三"])]
    with pytest.raises(HeaderNotFound) as caught:
        open_table(path, firm_match)
    assert isinstance(caught.value, InputError)


def test_locate_header_keeps_one_row_when_the_next_is_data() -> None:
    rows = [["标题"], ["企业名称", "年度"], ["甲公司", "2023"]]
    assert locate_header(rows, firm_match) == HeaderLocation(1, 1, ("企业名称", "年度"))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a.xls", "不支持旧版 .xls，请另存为 .xlsx / save the workbook as .xlsx"),
        (
            "a.ods",
            "不支持的表格格式 .ods（可用：.csv .tsv .xlsx）/ unsupported table format",
        ),
    ],
)
def test_formats_that_are_not_tables(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"x")
    with pytest.raises(InputError) as caught:
        open_table(path, firm_match)
    assert str(caught.value) == f"{path}: [INP] {message}"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_text_is_number_text_of_any_finite_float(value: float) -> None:
    """The readers' fast `float_text` answers as `number_text` does."""
    assert float_text(value) == number_text(value)
