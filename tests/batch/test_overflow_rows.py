"""A row whose figure no Excel cell can hold (an area of 1e-310 mu: an intensity of
4.5e314) is reported invalid naming the rule by its title and the input columns the
figure is computed from, as the spreadsheet heads them, like every other invalid row."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

from screening.report.sheetml import sheet_label
from tests.cli.test_screen_cli import invoke

HEADER = "项目编号,项目名称,行业代码,总投资(亿元),固定资产投资(万元),用地面积(亩),年营业收入(万元),年税收(万元),年综合能耗(吨标煤),是否位于生态保护红线,产业目录类别"
GOOD = "L1,正常项目,C3985,5.2,45000,150,63000,3600,6800,否,鼓励类"
TINY = "L2,面积极小,C3985,5.2,45000,1e-310,63000,3600,6800,否,鼓励类"
# the first rule that reports the overflowing figure, by its title in each language
TITLE = {"zh": "投资强度", "en": "investment intensity"}


def _errors(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _batch(source: Path, lang: str, *outputs: Path) -> None:
    args = ["batch", str(source), "--rules", "starter", "--jobs", "1", "--lang", lang]
    invoke([*args, *[arg for out in outputs for arg in ("-o", str(out))]])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_overflowing_figure_names_its_rule_and_spreadsheet_columns(
    tmp_path: Path, lang: str
) -> None:
    source = tmp_path / "leads.csv"
    source.write_text(f"{HEADER}\n{GOOD}\n{TINY}\n", encoding="utf-8")
    _batch(source, lang, tmp_path / "r.xlsx", tmp_path / "r.jsonl")
    [error] = _errors(tmp_path / "r.errors.csv")
    assert (error["row"], error["kind"]) == ("3", "invalid")
    # investment_intensity = investment.fixed_assets / land.area_mu, as headed here
    assert error["column"] == "固定资产投资(万元);用地面积(亩)"
    assert error["reason"].startswith(f"{TITLE[lang]} ")
    assert "investment.intensity" not in error["reason"]
    assert "Excel" in error["reason"]
    # the column it names is headed in the workbook's language (实际值 / Actual)
    assert f" {sheet_label('actual', lang)}: " in error["reason"]
    assert lang == "zh" or "实际值" not in error["reason"]
    # the workbook's 错误 sheet says the same
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    [shown] = book[sheet_label("errors_sheet", lang)].iter_rows(
        min_row=2, values_only=True
    )
    assert shown[1:4] == (3, error["column"], error["reason"])


def test_an_overflowing_figure_of_a_jsonl_row_names_its_field_paths(
    tmp_path: Path,
) -> None:
    # a JSONL row has no header: its columns are the field paths, as for a value of
    # the wrong type
    good = {
        "id": "p1",
        "industry": "C3985",
        "investment": {"total": "5.2亿元", "fixed_assets": 45000},
        "land": {"area_mu": 150},
        "output": {"annual_revenue": 63000, "annual_tax": 3600},
    }
    tiny = {**good, "id": "p2", "land": {"area_mu": "1e-310"}}
    wrong = {**good, "id": "p3", "land": "一百亩"}
    source = tmp_path / "leads.jsonl"
    source.write_text(
        "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in (good, tiny, wrong)),
        encoding="utf-8",
    )
    _batch(source, "zh", tmp_path / "r.xlsx")
    errors = {e["row"]: e for e in _errors(tmp_path / "r.errors.csv")}
    assert errors["2"]["column"] == "investment.fixed_assets;land.area_mu"
    assert errors["2"]["reason"].startswith("投资强度 ")
    assert errors["3"]["column"] == "land"
