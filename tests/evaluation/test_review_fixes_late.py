"""Later fixes to the yearly review from the exploratory tester (/tmp/explore-review):
finding 10 and minors (b), (c), (e)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import openpyxl

from tests.cli.test_screen_cli import invoke
from tests.conftest import ROOT
from tests.evaluation.test_review_fixes import FIRM_HEADER, _write

HY_HEADER = [
    "企业规模", "企业名称", "统一社会信用代码", "用地面积(亩)", "税收实际贡献(万元)",
    "营业收入(万元)", "工业增加值(万元)", "综合能耗(吨标煤)", "主要污染物排放当量(吨)",
    "研发经费(万元)", "年平均职工人数", "用电量(万千瓦时)", "投产日期",
]  # fmt: skip


def _evaluate(tmp_path: Path, firms: str, *more: str) -> dict:
    out = tmp_path / "out.json"
    invoke(["evaluate", firms, "--scheme", "huangyan", "--year", "2025",
            *more, "-o", str(out)])  # fmt: skip
    return json.loads(out.read_text(encoding="utf-8"))


def test_firms_under_a_merged_size_cell_are_all_rated(tmp_path: Path) -> None:
    # finding 10: 规上 merged over A2:A4, 规下 over A5:A6
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(HY_HEADER)
    d = datetime.date(2015, 3, 1)
    above = [10, 240.97, 10000, 1361.6, 505.4, 0.276197, 302, 75.06, None, d]
    below = [10, 115.932, None, None, None, None, None, None, 492.9, d]
    ws.append(["规上", "甲机械有限公司", "91331003000000001Y", *above])
    ws.append([None, "乙模具有限公司", "913310030000000022", *above])
    ws.append([None, "丙塑业有限公司", "913310030000000035", *above])
    ws.append(["规下", "丁五金有限公司", "913310030000000048", *below])
    ws.append([None, "戊电器有限公司", "91331003000000005B", *below])
    ws.merge_cells("A2:A4")
    ws.merge_cells("A5:A6")
    path = tmp_path / "firms.xlsx"
    book.save(path)
    doc = _evaluate(tmp_path, str(path))
    assert [(f["row"], f["status"], f["track"]) for f in doc["firms"]] == [
        (2, "rated", "above"),
        (3, "rated", "above"),
        (4, "rated", "above"),
        (5, "rated", "below"),
        (6, "rated", "below"),
    ]


def test_a_firm_named_with_a_totals_word_first_is_rated(tmp_path: Path) -> None:
    # minor (e): 汇总物流设备有限公司 and 总计量检测有限公司 (no credit code) are firms
    row = ",,规上,10,240.97,10000,1361.6,505.4,0.276197,302,75.06,2015-03-01,否,否"
    firms = _write(
        tmp_path / "firms.csv",
        FIRM_HEADER,
        "汇总物流设备有限公司" + row,
        "总计量检测有限公司" + row,
        "合计" + row,
    )
    doc = _evaluate(tmp_path, firms)
    assert sorted((f["row"], f["name"], f["status"]) for f in doc["firms"]) == [
        (2, "汇总物流设备有限公司", "rated"),
        (3, "总计量检测有限公司", "rated"),
    ]
    assert [s["row"] for s in doc["skipped"]] == [4]


def _sample_text(tmp_path: Path, *more: str) -> list[str]:
    out = tmp_path / "回头看.txt"
    samples = ROOT / "cases" / "evaluations"
    invoke(["evaluate", str(samples / "sample-firms-2025.xlsx"), "--scheme", "huangyan",
            "--year", "2025", "--promises", str(samples / "sample-promises-2025.xlsx"),
            "--tolerance", "10%", *more, "-o", str(out)])  # fmt: skip
    return out.read_text(encoding="utf-8").splitlines()


def test_the_text_action_list_says_why_each_firm_is_on_it(tmp_path: Path) -> None:
    # minor (b): the measures were listed without the reasons the XLSX and HTML give
    lines = _sample_text(tmp_path)
    at = lines.index("反制清单：")
    assert lines[at + 1].startswith("  示例黄岩医药化工03有限公司（虚构）")
    assert lines[at + 2] == (
        "    原因：投资强度 实际 330，承诺 400 万元/亩（-17.5%）；"
        "亩均税收 实际 23.3905，承诺 30 万元/亩（-22.03%）；"
        "开工日期 承诺 2018-03-01，实际 2018-04-10（逾期 40 天）；"
        "投产日期 承诺 2019-06-30，实际 2019-08-01（逾期 32 天）"
    )
    assert lines[at + 3].startswith("  示例黄岩鞋服26有限公司（虚构）")
    assert lines[at + 4] == "    原因：末类"
    assert (
        "    原因：" in lines[at + 6]
        and "未见实际日期（逾期 1461 天）" in lines[at + 6]
    )
    english = _sample_text(tmp_path, "--lang", "en")
    at = english.index("actions:")
    assert english[at + 2].startswith(
        "    why: investment intensity 330 ×10k CNY/mu against 400 promised (-17.5%);"
    )
    assert english[at + 4] == "    why: last class"


def test_a_missing_production_date_names_the_column_to_fill(tmp_path: Path) -> None:
    # minor (c): the why named the derived 投产满月数（至评价年度末）, not 投产日期
    row = ",,规上,10,240.97,10000,1361.6,505.4,0.276197,302,75.06,,否,否"
    firms = _write(tmp_path / "firms.csv", FIRM_HEADER, "乙公司" + row)
    for lang, wanted, derived in (
        ("zh", "（未提供 投产日期）", "投产满月数"),
        ("en", "(start of production not given)", "months in production"),
    ):
        doc = _evaluate(tmp_path, firms, "--lang", lang)
        (firm,) = doc["firms"]
        (line,) = [w for w in firm["why"] if wanted in w]
        assert derived not in line
