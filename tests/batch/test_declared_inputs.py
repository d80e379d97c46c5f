"""A rule set's declared inputs (`inputs:`, extra.NAME) are read from a spreadsheet by
their titles, with no --columns map; an explicit map still wins, and the columns read
into nothing are listed for the reports (`BatchOutputs.ignored`)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from screening.batch_output import BatchOutputs
from screening.cli import main
from screening.io.columns import declared_headers, match_header, with_declared
from screening.loader import load_ruleset
from screening.workers import WorkerSpec

BEIHAI = "parks/beihai-tieshangang-2023"

HEAD = (
    "项目名称,企业名称,行业代码,总投资(万元),固定资产投资(万元),用地面积(亩),"
    "年营业收入(万元),年税收(万元),容积率,建筑系数,绿地率,"
    "行政办公及生活服务设施用地比例,年综合能耗(吨标煤),年用电量(千瓦时),"
    "是否位于生态保护红线,是否与生态环境准入清单冲突,产业目录类别,环评类别"
)
ROW = (
    "面积正常的项目,某公司,C2613,32000,26000,100,42000,2100,1.2,0.55,0.15,0.05,"
    "8000,30000000,否,否,允许类,报告书"
)


def _sheet(tmp_path: Path, extra_head: str, extra_row: str) -> Path:
    path = tmp_path / "beihai.csv"
    path.write_text(f"{HEAD},{extra_head},备用列\n{ROW},{extra_row},x\n", "utf-8")
    return path


def _batch(tmp_path: Path, sheet: Path, *args: str) -> tuple[Any, list[dict[str, str]]]:
    out = tmp_path / "b.csv"
    result = CliRunner().invoke(
        main, ["batch", str(sheet), "--rules", BEIHAI, "-o", str(out), *args]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig") as f:
        return result, list(csv.DictReader(f))


def test_declared_titles_and_their_short_forms_are_headers() -> None:
    inputs = load_ruleset(BEIHAI).inputs
    headers = with_declared(None, inputs)
    assert headers is not None
    density = "extra.building_density"
    for header in (
        "建筑密度（建筑物基底面积占用地面积比例）",
        "建筑密度",
        "建筑密度(%)",
        "building density (building footprint ÷ site area)",
        "building_density",
        "extra.building_density",
    ):
        assert match_header(header, headers).field == density, header
    assert match_header("建筑密度(%)", headers).unit == "%"
    two_high = "两高项目已落实总量控制、区域削减及煤炭消费减量替代等条件"
    assert match_header(two_high, headers).field == "extra.two_high_conditions_met"
    # without the rule set's inputs, the title is nothing
    assert match_header("建筑密度").field is None


def test_a_declared_title_never_takes_a_built_in_header() -> None:
    class Title:
        zh = "容积率"
        en = "plot ratio"

    class Declared:
        title = Title()

    class Energy:
        zh = "年综合能耗（吨标准煤）"
        en = None

    class Declared2:
        title = Energy()

    headers = declared_headers({"extra.my_ratio": Declared(), "extra.e": Declared2()})
    assert "容积率" not in headers and "plot ratio" not in headers
    assert match_header("容积率", headers).field == "land.plot_ratio"
    assert match_header("my_ratio", headers).field == "extra.my_ratio"
    # a bracketed note on a built-in header is still the built-in field
    assert (
        match_header("年综合能耗（吨标准煤）", headers).field
        == "environment.energy_tce"
    )


def test_a_short_form_two_inputs_share_names_neither() -> None:
    class Title:
        def __init__(self, zh: str) -> None:
            self.zh, self.en = zh, None

    class Declared:
        def __init__(self, zh: str) -> None:
            self.title = Title(zh)

    headers = declared_headers(
        {
            "extra.a": Declared("厂房面积（一期）"),
            "extra.b": Declared("厂房面积（二期）"),
        }
    )
    assert match_header("厂房面积", headers).field is None
    assert match_header("厂房面积（一期）", headers).field == "extra.a"
    assert match_header("厂房面积（二期）", headers).field == "extra.b"


def test_batch_reads_declared_inputs_by_title_without_columns(tmp_path: Path) -> None:
    sheet = _sheet(
        tmp_path,
        "建筑密度,行政办公及生活服务设施建筑面积占总建筑面积比例,"
        "两高项目已落实总量控制、区域削减及煤炭消费减量替代等条件",
        "45%,10%,是",
    )
    result, rows = _batch(tmp_path, sheet)
    assert rows[0]["decision"] == "pass", rows[0]
    assert "建筑密度" not in result.stderr
    assert "备用列" in result.stderr  # a column no input has is still said


def test_a_percent_bracket_is_the_unit_of_plain_numbers(tmp_path: Path) -> None:
    sheet = _sheet(
        tmp_path,
        "建筑密度(%),行政办公及生活服务设施建筑面积占总建筑面积比例(%),"
        "两高项目已落实总量控制、区域削减及煤炭消费减量替代等条件",
        "45,10,是",
    )
    _, rows = _batch(tmp_path, sheet)
    assert rows[0]["decision"] == "pass", rows[0]  # 45 → 45 %, not 4,500 %


def test_an_explicit_column_map_wins(tmp_path: Path) -> None:
    sheet = _sheet(
        tmp_path,
        "建筑密度,行政办公及生活服务设施建筑面积占总建筑面积比例,"
        "两高项目已落实总量控制、区域削减及煤炭消费减量替代等条件",
        "45%,10%,是",
    )
    columns = tmp_path / "columns.yaml"
    columns.write_text("建筑密度: extra.something_else\n", "utf-8")
    _, rows = _batch(tmp_path, sheet, "--columns", str(columns))
    assert rows[0]["decision"] == "review"
    assert "extra.building_density" in rows[0]["missing"]


def test_ignored_columns_are_listed(tmp_path: Path) -> None:
    sheet = _sheet(tmp_path, "建筑密度", "45%")
    ruleset = load_ruleset(BEIHAI, as_of=dt.date.today())
    outputs = BatchOutputs(
        [("csv", tmp_path / "b.csv")], ruleset, dt.date.today(), str(sheet), "zh", 500
    )
    outputs.run(BEIHAI, None, None, 1)
    assert [(i["column"], i["header"]) for i in outputs.ignored] == [(20, "备用列")]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_reports_list_the_columns_not_read(tmp_path: Path, lang: str) -> None:
    # a report on the committee's table must say a column's figures were not used
    sheet = _sheet(tmp_path, "建筑密度,<b>固定资产</b>", "45%,7")
    html, book = tmp_path / "r.html", tmp_path / "r.xlsx"
    result = CliRunner().invoke(
        main,
        ["batch", str(sheet), "--rules", BEIHAI, "--lang", lang]
        + ["-o", str(html), "-o", str(book)],
    )
    assert result.exit_code == 0, result.output
    page = html.read_text("utf-8")
    unknown = "未识别的列名" if lang == "zh" else "unknown header"
    title = "未读入的列" if lang == "zh" else "Columns not read"
    assert (
        title in page
        and f"<td>&lt;b&gt;固定资产&lt;/b&gt;</td><td>{unknown}</td>" in page
    )
    assert '<td class="num">21</td><td>备用列</td>' in page
    sheet_rows = [
        [cell.value for cell in row]
        for row in openpyxl.load_workbook(book, read_only=True).worksheets[-1].rows
    ]
    at = next(i for i, row in enumerate(sheet_rows) if str(row[0]).startswith(title))
    assert sheet_rows[at][1] == 2
    where = (
        "第 20 列「<b>固定资产</b>」" if lang == "zh" else "column 20 “<b>固定资产</b>”"
    )
    assert sheet_rows[at + 1] == [where, unknown]


def test_early_workers_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the CLI starts its workers before the rule set is loaded, with the explicit map:
    # the declared titles added for the reader must not make them look set up otherwise
    answers: list[bool] = []
    same_as = WorkerSpec.same_as

    def recorded(self: WorkerSpec, other: WorkerSpec) -> bool:
        answers.append(same_as(self, other))
        return answers[-1]

    monkeypatch.setattr(WorkerSpec, "same_as", recorded)
    sheet = _sheet(tmp_path, "建筑密度", "45%")
    _batch(tmp_path, sheet, "--jobs", "2")
    assert answers == [True]
