"""A figure no Excel cell can hold — read, or an indicator made of read ones — makes its
row invalid, naming the field and why, in every output; every other firm is rated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.cli.test_screen_cli import invoke

HEADER = (
    "企业名称,统一社会信用代码,企业规模,用地面积(亩),税收实际贡献(万元),营业收入(万元),"
    "工业增加值(万元),综合能耗(吨标煤),主要污染物排放当量(吨),研发经费(万元),年平均职工人数"
)
FIRM = "甲公司,91331003MA2000001E,规上,{area},{tax},40453.07,8177.98,2348.8,2.049,1003.17,501"
OTHER = (
    "乙公司,91331003MA2000002H,规上,{area},335.03,8330.5,1886.24,524.3,0.273,284.36,80"
)
FORMATS = ("xlsx", "html", "json", "jsonl", "csv", "txt")


def _run(tmp_path: Path, area: str, tax: str = "1661.63", other: str = "16.43") -> Any:
    source = tmp_path / "firms.csv"
    source.write_text(
        "\n".join([HEADER, FIRM.format(area=area, tax=tax), OTHER.format(area=other)])
        + "\n",
        encoding="utf-8",
    )
    outs = [tmp_path / f"out.{ext}" for ext in FORMATS]
    result = invoke(["evaluate", str(source), "--scheme", "huangyan", "--year", "2025",
                     *[a for o in outs for a in ("-o", str(o))]])  # fmt: skip
    assert all(o.exists() and o.stat().st_size > 0 for o in outs)
    assert "共 2 行 = 参评 1 + 不参评 0 + 无效 1 + 跳过 0（合计行）" in result.stderr
    doc = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert [f["name"] for f in doc["firms"]] == ["乙公司"]
    [error] = doc["errors"]
    assert error["row"] == 2
    # the invalid row in the workbook, as in the JSON
    book = openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)
    invalid = list(book["无效行"].iter_rows(values_only=True))[1:]
    assert [row[1:4] for row in invalid] == [(2, error["column"], error["reason"])]
    for ext in ("html", "txt", "jsonl"):
        text = (tmp_path / f"out.{ext}").read_text(encoding="utf-8")
        assert "乙公司" in text and "甲公司" not in text
    return result, error


@pytest.mark.parametrize(
    "area",
    [
        "1e-310",  # a column of plain numbers (read at once)
        "1e-310亩",  # a cell with its unit (read cell by cell)
    ],
)
def test_an_area_no_cell_can_hold_is_refused_when_read(
    tmp_path: Path, area: str
) -> None:
    result, error = _run(tmp_path, area)
    assert error["column"] == "用地面积(亩)"
    assert "超出 Excel 单元格可表示的范围" in error["reason"]
    assert "firms.csv:2 [用地面积(亩)]: 用地面积数值超出" in result.stderr


def test_a_figure_too_large_for_a_cell_is_refused_when_read(tmp_path: Path) -> None:
    _, error = _run(tmp_path, "16.43", tax="1e400")
    assert error["column"] == "税收实际贡献(万元)"
    assert "超出 Excel 单元格可表示的范围" in error["reason"]


@pytest.mark.parametrize("other", ["16.43", "16.43亩"])  # column path, general path
def test_an_indicator_no_cell_can_hold_makes_the_row_invalid(
    tmp_path: Path, other: str
) -> None:
    # 1e-306 亩 is read (a cell holds it), but 亩均税收 = 1661.63 ÷ 1e-306 is not
    _, error = _run(tmp_path, "1e-306", other=other)
    assert error["column"] == "用地面积"
    assert error["reason"].startswith("亩均税收 约为 1.662E+309 万元/亩，超出 Excel")
    assert "tax per mu of about 1.662E+309 ×10k CNY/mu" in error["reason"]
