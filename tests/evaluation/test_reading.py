"""Firms spreadsheets as a 亩均办 receives them: headers, units, encodings, bad cells."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from screening.evaluation.fields import FIRM_FIELDS
from screening.evaluation.firms import (
    CellError,
    convert,
    converter,
    credit_code,
    read_firms,
)
from screening.io.tables import InputError

CODE = "91331003000000001Y"


def _rows(path: Path) -> list:
    table = read_firms(path)
    try:
        return list(table)
    finally:
        table.close()


def test_units_in_headers_are_converted_exactly(tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    path.write_text(
        "企业名称,统一社会信用代码,用地面积(平方米),税收实际贡献(元),用电量(万千瓦时),综合能耗(万吨标准煤),营业收入\n"
        f'甲,{CODE},20000,7229100,12.5,0.0016,"1,234.5"\n',
        encoding="utf-8",
    )
    [row] = _rows(path)
    assert row.values == {
        "name": "甲", "credit_code": CODE, "land_mu": Decimal("30"), "tax": Decimal("722.91"),
        "electricity_kwh": Decimal("125000"), "energy_tce": Decimal("16"), "revenue": Decimal("1234.5"),
    }  # fmt: skip


def test_a_gbk_export_with_title_rows_is_read(tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    text = (
        "2025年度亩均效益评价数据\n\n序号,企业名称,统一社会信用代码,用地面积(亩),备注\n"
        f"1,乙公司,{CODE},12,无\n"
    )
    path.write_bytes(text.encode("gbk"))
    table = read_firms(path)
    rows = list(table)
    table.close()
    assert [r.values for r in rows] == [
        {"name": "乙公司", "credit_code": CODE, "land_mu": Decimal(12)}
    ]
    assert table.warnings == []  # 序号 and 备注 are not worth a warning


def test_an_xlsx_with_numbers_dates_and_percent_cells(tmp_path: Path) -> None:
    path = tmp_path / "firms.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        [
            "企业名称",
            "统一社会信用代码",
            "用地面积(亩)",
            "投产日期",
            "是否公用事业企业",
            "神秘列",
        ]
    )
    sheet.append(["丙", CODE, 15.5, dt.datetime(2023, 12, 1), "否", "x"])
    book.save(path)
    table = read_firms(path)
    [row] = list(table)
    table.close()
    assert row.values == {
        "name": "丙", "credit_code": CODE, "land_mu": Decimal("15.5"),
        "production_start": dt.date(2023, 12, 1), "utility": False,
    }  # fmt: skip
    assert [(w.span.line, w.span.column, w.field) for w in table.warnings] == [
        (1, 6, "神秘列")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2023-05-01", dt.date(2023, 5, 1)), ("2023/5/1", dt.date(2023, 5, 1)), ("2023年5月1日", dt.date(2023, 5, 1)),
     ("2023年5月", dt.date(2023, 5, 1)), ("2023.05", dt.date(2023, 5, 1)), ("20230501", dt.date(2023, 5, 1)),
     (45047, dt.date(2023, 5, 1))],
)  # fmt: skip
def test_dates_as_offices_write_them(text: object, expected: dt.date) -> None:
    field = FIRM_FIELDS["production_start"]
    assert convert(text, field, None) == expected
    assert converter(field, None)(text) == expected


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("land_mu", "0", "用地面积应大于 0"),
        ("land_mu", "-3", "用地面积应大于 0"),
        ("revenue", "-1", "营业收入不能为负数"),
        ("tax", "abc", "无法识别的数值 'abc'"),
        ("tax", "12吨", "单位 '吨' 不适用"),
        ("production_start", "去年", "应为日期"),
        ("utility", "也许", "应为 是/否"),
        ("scale", "中型", "应为 规上 或 规下"),
        ("credit_code", "9133100300000000", "应为 18 位"),
        ("credit_code", "913310030000000010", "校验位不符（应为 Y）"),
        ("name", "坏\ufffd字", "无法解码的字节"),
    ],
)
def test_a_bad_cell_says_why(field: str, value: str, message: str) -> None:
    with pytest.raises(CellError, match=message):
        convert(value, FIRM_FIELDS[field], None)
    with pytest.raises(CellError, match=message):
        converter(FIRM_FIELDS[field], None)(value)


@pytest.mark.parametrize("value", ["", "-", "—", "/", "N/A", "无数据", None])
def test_placeholders_are_absent_never_zero(value: object) -> None:
    assert convert(value, FIRM_FIELDS["tax"], None) is None


def test_credit_codes_are_normalised() -> None:
    assert credit_code(" 91331003 00000000 1y ") == CODE


def test_the_fast_path_reads_what_the_general_one_reads() -> None:
    for field, unit, values in (
        ("tax", None, ["12", "12.50", "１２", "1e3", 7, 7.25, "1,234", "3万元", " 8 "]),
        ("tax", "元", ["12", "7229100", 7]),
        ("land_mu", "平方米", ["20000", 666.67]),
    ):
        fast = converter(FIRM_FIELDS[field], unit)
        for value in values:
            assert fast(value) == convert(value, FIRM_FIELDS[field], unit), (
                field,
                unit,
                value,
            )
    for refused in (
        "1_000",
        "NaN",
        "Infinity",
    ):  # Decimal reads these; a figure they are not
        with pytest.raises(CellError):
            converter(FIRM_FIELDS["tax"], None)(refused)


def test_rows_without_an_identity_or_totals_lines(tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    path.write_text(
        "企业名称,统一社会信用代码,用地面积(亩),税收实际贡献(万元)\n,,10,5\n合计,,50,99\n,,,\n",
        encoding="utf-8",
    )
    first, total = _rows(path)
    assert (first.number, first.values, first.reason) == (
        2,
        None,
        "缺少统一社会信用代码和企业名称 / neither a credit code nor a firm name",
    )
    assert total.skipped is not None and total.number == 3


def test_a_workbook_that_inflates_beyond_reason_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (64 << 20))
    with pytest.raises(InputError, match="压缩炸弹"):
        read_firms(path)


def test_an_overlong_cell_spoils_its_row_only(tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    long_name = "甲" * 40_000
    path.write_text(
        f"企业名称,统一社会信用代码,用地面积(亩)\n{long_name},,10\n乙,{CODE},12\n",
        encoding="utf-8",
    )
    bad, good = _rows(path)
    assert (
        bad.values is None and bad.column == "企业名称" and "超过" in (bad.reason or "")
    )
    assert good.values == {"name": "乙", "credit_code": CODE, "land_mu": Decimal(12)}


def test_not_a_spreadsheet(tmp_path: Path) -> None:
    for name, message in (("firms.xls", "另存为 .xlsx"), ("firms.txt", "不支持的")):
        (tmp_path / name).write_text("x", encoding="utf-8")
        with pytest.raises(InputError, match=message):
            read_firms(tmp_path / name)
    (tmp_path / "nohead.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="没有表头"):
        read_firms(tmp_path / "nohead.csv")
