"""Defects of the yearly review found by the exploratory tester (/tmp/explore-review)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_screen_cli import invoke
from tests.conftest import ROOT

FIRM_HEADER = (
    "企业名称,统一社会信用代码,企业规模,用地面积(亩),税收实际贡献(万元),营业收入(万元),"
    "工业增加值(万元),综合能耗(吨标煤),主要污染物排放当量(吨),研发经费(万元),"
    "年平均职工人数,实际投产日期,是否公用事业企业,是否发生重大安全生产或环境污染事故"
)


def _write(path: Path, *lines: str) -> str:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _production(
    tmp_path: Path, produced: str, promise_head: str, promise_row: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The production promise check of one firm produced on `produced` (firms table),
    against a promises file of one row, and the run's JSON."""
    firms = _write(
        tmp_path / "firms.csv",
        FIRM_HEADER,
        "台州戊电子有限公司,91331003000000005B,规上,10,240.97,10000,1361.6,505.4,"
        f"0.276197,302,75.06,{produced},否,否",
    )
    promises = _write(tmp_path / "promises.csv", promise_head, promise_row)
    out = tmp_path / "out.json"
    invoke(["evaluate", firms, "--scheme", "huangyan", "--year", "2025",
            "--promises", promises, "-o", str(out)])  # fmt: skip
    doc = json.loads(out.read_text(encoding="utf-8"))
    (firm,) = doc["firms"]
    (item,) = [p for p in firm["promise"]["items"] if p["promise"] == "production"]
    return item, doc


def test_the_firms_production_date_fills_the_promise(tmp_path: Path) -> None:
    # finding 1: produced 2022-03-01, promised by 2022-06-30; the promises file has
    # no 实际投产日期, so the firms table's is used: met, not overdue, no 反制 entry
    item, doc = _production(
        tmp_path,
        "2022-03-01",
        "企业名称,统一社会信用代码,用地面积(亩),承诺投产日期,实际投产日期",
        "台州戊电子有限公司,91331003000000005B,10,2022-06-30,",
    )
    assert item["actual"] == "2022-03-01"
    assert item["status"] == "met" and item["gap"] == -121 and not item["overdue"]
    assert doc["actions"] == []


def test_a_firm_s_earlier_production_is_not_a_later_project_s(tmp_path: Path) -> None:
    # the firm produced in 2012; this promise's project was to start in 2024: the firms
    # table's date is an earlier plant's, so the promise is still overdue
    item, _ = _production(
        tmp_path,
        "2012-03-01",
        "企业名称,统一社会信用代码,用地面积(亩),承诺开工日期,承诺投产日期,实际投产日期",
        "台州戊电子有限公司,91331003000000005B,10,2024-03-01,2025-06-30,",
    )
    assert item["actual"] is None and item["overdue"]


def _readme_command() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(
        x
        for x in readme.splitlines()
        if x.startswith("screening evaluate cases/evaluations/sample")
    )
    return [str(ROOT / a) if a.startswith("cases/") else a for a in line.split()[1:]]


def _action_rows(page: str) -> list[list[str]]:
    """The cells of the HTML 反制清单 table (the table after <h2>反制清单</h2>)."""
    section = page.split("<h2>反制清单</h2>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)[1:]
    return [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", r)] for r in rows]


def test_the_readme_html_joins_a_firms_reasons_readably(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # finding 2: the reasons were joined by {{ L.items }}, the dict's items method
    monkeypatch.chdir(tmp_path)
    invoke(_readme_command())
    page = (tmp_path / "回头看.html").read_text(encoding="utf-8")
    assert "<built-in" not in page and "built-in method" not in html.unescape(page)
    assert "method" not in page
    reasons = [row[3] for row in _action_rows(page)]
    several = [r for r in reasons if "、" in r]
    assert len(several) >= 4
    assert "投资强度(万元/亩)、亩均税收(万元/亩)" in " ".join(several)
    for r in several:
        assert all(part.strip() for part in r.split("、")), r


PREVIOUS_FIRMS = (
    "企业名称,统一社会信用代码,企业规模,用地面积(亩),税收实际贡献(万元),营业收入(万元),"
    "工业增加值(万元),综合能耗(吨标煤),主要污染物排放当量(吨),研发经费(万元),"
    "年平均职工人数,投产日期,是否公用事业企业,是否发生重大安全生产或环境污染事故",
    "台州甲机械有限公司,91331003000000001Y,规上,20,300,20000,2723.2,1010.8,0.552394,"
    "604,150.12,2015-03-01,否,否",
    "台州乙模具有限公司,913310030000000022,规上,10,240.97,10000,1361.6,505.4,0.276197,"
    "302,75.06,2015-03-01,否,否",
    "台州丙塑业（集团）有限公司,913310030000000035,规上,10,240.97,10000,1361.6,505.4,"
    "0.276197,302,75.06,2015-03-01,否,否",
)


def _previous_run(tmp_path: Path, *lines: str) -> tuple[dict[str, dict], str]:
    firms = _write(tmp_path / "firms.csv", *PREVIOUS_FIRMS)
    previous = _write(tmp_path / "2024公示名单.csv", *lines)
    out = tmp_path / "out.json"
    result = invoke(["evaluate", firms, "--scheme", "huangyan", "--year", "2025",
                     "--previous", previous, "-o", str(out)])  # fmt: skip
    doc = json.loads(out.read_text(encoding="utf-8"))
    return {f["name"]: f for f in doc["firms"]}, result.stderr


def test_a_name_only_class_list_matches_firms_with_codes(tmp_path: Path) -> None:
    # finding 3: 企业名称, 得分, 类别 and no code column; this year's table has codes
    firms, stderr = _previous_run(
        tmp_path,
        "企业名称,得分,类别",
        "台州甲机械有限公司,95.5,B类",
        "台州乙 模具有限公司,135,A类",  # a space, folded as promises fold names
    )
    assert firms["台州甲机械有限公司"]["previous"]["class"] == "B"
    assert firms["台州乙模具有限公司"]["previous"] == {
        "class": "A", "score": 135, "change": -35, "move": "down",
    }  # fmt: skip
    assert firms["台州丙塑业（集团）有限公司"]["previous"] is None
    assert "PREV" not in stderr


def test_full_width_and_titled_classes_are_read_as_the_class(tmp_path: Path) -> None:
    firms, _ = _previous_run(
        tmp_path,
        "统一社会信用代码,企业名称,得分,类别",
        "91331003000000001Y,台州甲机械有限公司,88,优先发展类",
        "913310030000000022,台州乙模具有限公司,135,Ａ类",
        "913310030000000035,台州丙塑业（集团）有限公司,70.5,C类（调控帮扶类）",
    )
    assert {n: f["previous"]["class"] for n, f in firms.items()} == {
        "台州甲机械有限公司": "A",
        "台州乙模具有限公司": "A",
        "台州丙塑业（集团）有限公司": "C",
    }
    assert firms["台州乙模具有限公司"]["previous"]["move"] == "down"


def test_an_unknown_class_is_refused_with_its_row(tmp_path: Path) -> None:
    firms = _write(tmp_path / "firms.csv", *PREVIOUS_FIRMS)
    previous = _write(
        tmp_path / "prev.csv",
        "企业名称,得分,类别",
        "台州甲机械有限公司,95.5,B类",
        "台州乙模具有限公司,135,优类",
    )
    result = invoke(["evaluate", firms, "--scheme", "huangyan", "--year", "2025",
                     "--previous", previous, "-o", str(tmp_path / "o.json")], code=2)  # fmt: skip
    assert f"{previous}:3:" in result.stderr and "'优类'" in result.stderr
    assert not (tmp_path / "o.json").exists()


def test_a_previous_file_matching_no_firm_is_warned_of(tmp_path: Path) -> None:
    firms, stderr = _previous_run(
        tmp_path, "企业名称,得分,类别", "台州别的有限公司,95.5,B类"
    )
    assert all(f["previous"] is None for f in firms.values())
    assert "[PREV]" in stderr and "无一匹配" in stderr


def test_a_previous_file_without_score_or_class_is_refused(tmp_path: Path) -> None:
    firms = _write(tmp_path / "firms.csv", *PREVIOUS_FIRMS)
    result = invoke(["evaluate", firms, "--scheme", "huangyan", "--year", "2025",
                     "--previous", firms, "-o", str(tmp_path / "o.json")], code=2)  # fmt: skip
    assert (
        "没有「得分」或「类别」列" in result.stderr
        and "--previous-figures" in result.stderr
    )


_CODE = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _code(n: int) -> str:
    body = f"91320800MA2{n:06d}"
    total = sum(_CODE.index(c) * w for c, w in zip(body, _WEIGHTS, strict=True))
    return body + _CODE[(31 - total % 31) % 31]


HA_HEADER = (
    "企业名称,统一社会信用代码,年度,用地面积(亩),税收实际贡献(万元),营业收入(万元),"
    "综合能耗(吨标煤),投产日期,是否公用事业企业,安全生产标准化达标,节能降碳,科技创新,"
    "受到行政处罚,是否发生重大安全生产或环境污染事故"
)


def _ha_row(name: str, code: str, tax: int = 300) -> str:
    return f"{name},{code},2025,10,{tax},3000,100,2012-06-01,否,否,否,否,否,否"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_firm_once_by_code_and_once_by_name_is_one_firm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    # finding 9: the same firm with its credit code and by name only was rated twice
    from screening.evaluation import csvblocks, parallel

    monkeypatch.setattr(parallel, "SERIAL_ROWS", 5)  # rows measured in workers too
    monkeypatch.setattr(csvblocks, "BLOCK", 256)
    rows = [
        _ha_row(f"淮安企业{i:02d}有限公司", _code(i), 100 + i) for i in range(1, 31)
    ]
    rows[20] = _ha_row(
        "淮安企业01有限公司", ""
    )  # row 22: by name, as row 2 with a code
    rows[3] = _ha_row("淮安无码企业有限公司", "")  # row 5: by name only ...
    rows[25] = _ha_row(
        "淮安无码企业有限公司", _code(99)
    )  # row 27: ... then with a code
    rows[28] = _ha_row("淮安企业 10 有限公司", "")  # row 30: spaces folded: row 11
    firms = _write(tmp_path / "firms.csv", HA_HEADER, *rows)
    out = tmp_path / "out.json"
    result = invoke(["evaluate", firms, "--scheme", "huaian-2024", "--year", "2025",
                     "--benchmark", "tax_per_mu=20", "--benchmark", "revenue_per_mu=200",
                     "--benchmark", "tax_per_energy=1", "--jobs", jobs, "-o", str(out)])  # fmt: skip
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [(e["row"], e["column"]) for e in doc["errors"]] == [
        (22, "企业名称"), (27, "企业名称"), (30, "企业名称"),
    ]  # fmt: skip
    assert "与第 2 行为同一企业" in doc["errors"][0]["reason"]
    assert "与第 5 行为同一企业" in doc["errors"][1]["reason"]
    assert "与第 11 行为同一企业" in doc["errors"][2]["reason"]
    assert f"{firms}:22 [企业名称]: 与第 2 行为同一企业" in result.stderr
    assert len(doc["firms"]) == 27
    ids = [f["id"] for f in doc["firms"]]
    assert len(set(ids)) == 27 and "淮安企业01有限公司" not in ids


HY = ROOT / "cases/evaluations/huangyan"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_xlsx_and_html_show_titles_not_ids(tmp_path: Path, lang: str) -> None:
    # finding 11: 评价序列 above/below, 分类依据 score, 调整原因 major_incident, 变动 up
    import openpyxl

    book, page = tmp_path / "out.xlsx", tmp_path / "out.html"
    invoke(["evaluate", str(HY / "hy-population-2025.csv"), "--scheme", "huangyan",
            "--year", "2025", "--previous", str(HY / "hy-classes-2024.csv"),
            "--lang", lang, "-o", str(book), "-o", str(page)])  # fmt: skip
    wb = openpyxl.load_workbook(book, read_only=True)
    sheets = wb.sheetnames
    rows = list(wb[sheets[0]].iter_rows(values_only=True))
    head = rows[0]
    cells = {h: [r[i] for r in rows[1:]] for i, h in enumerate(head)}
    track, rule, override, move = (
        ("评价序列", "分类依据", "调整原因", "变动")
        if lang == "zh"
        else ("Track", "Class rule", "Override", "Move")
    )
    above = "规上工业企业" if lang == "zh" else "industrial firms above designated size"
    ids = {"above", "below", "score", "rank_share", "major_incident", "same"}
    for column in (track, rule, override, move):
        assert not ids & set(cells[column]), (column, cells[column])
    assert above in cells[track]
    assert ("按分数线" if lang == "zh" else "by score thresholds") in cells[rule]
    incident = (
        "发生重大安全生产或环境污染事故的直接列为 D 类"
        if lang == "zh"
        else "a major safety or environmental incident puts a firm in D"
    )
    assert incident in cells[override]
    ranked, last = ("调整前类别", "上年类别") if lang == "zh" else (
        "Class by rule", "Last year's class"
    )  # fmt: skip
    b_title = "B类（提升发展类）" if lang == "zh" else "B (upgrading)"
    assert b_title in cells[ranked] and b_title in cells[last]
    assert not {"A", "B", "C", "D"} & set(cells[ranked] + cells[last])
    moves = {"上升", "下降", "持平"} if lang == "zh" else {"up", "down", "the same"}
    shown = set(cells[move]) - {None}
    assert shown <= moves and len(shown) >= 2
    detail = list(wb[sheets[1]].iter_rows(values_only=True))
    assert {r[2] for r in detail[1:]} & {above} and not {r[2] for r in detail[1:]} & ids
    text = page.read_text(encoding="utf-8")
    firms = text.split("<h2>企业明细</h2>" if lang == "zh" else "<h2>Firms</h2>", 1)[1]
    firms = firms.split("</table>", 1)[0]
    assert f"<tr><td>{above}</td>" in firms
    assert "<td>above</td>" not in firms and "<td>below</td>" not in firms


def test_rank_shares_are_named_in_the_xlsx(tmp_path: Path) -> None:
    import openpyxl

    ha = ROOT / "cases/evaluations/huaian"
    book = tmp_path / "out.xlsx"
    invoke(["evaluate", str(ha / "ha-population-2025.csv"), "--scheme", "huaian-2024",
            "--year", "2025", "--previous-figures", str(ha / "ha-figures-2024.csv"),
            "-o", str(book)])  # fmt: skip
    rows = list(openpyxl.load_workbook(book, read_only=True)["评价结果"].values)
    rules = {r[rows[0].index("分类依据")] for r in rows[1:]} - {None}
    assert rules == {"按排名份额"}


def test_a_class_range_never_reads_as_reaching_a_threshold(tmp_path: Path) -> None:
    # finding 12: the top B firm has 129.9988 (A ≥ 130); the range read "B类 100–130"
    import openpyxl

    out, book, text = tmp_path / "o.json", tmp_path / "o.xlsx", tmp_path / "o.txt"
    invoke(["evaluate", str(HY / "hy-population-2025.csv"), "--scheme", "huangyan",
            "--year", "2025", "-o", str(out), "-o", str(book), "-o", str(text)])  # fmt: skip
    doc = json.loads(out.read_text(encoding="utf-8"))
    above = next(t for t in doc["tracks"] if t["id"] == "above")
    b = next(c for c in above["classes"] if c["class"] == "B")
    assert (b["min_score"], b["max_score"]) == (100, 129.9988)
    assert max(f["score"] for f in doc["firms"] if f["class"] == "B") == 129.9988
    assert "B类（提升发展类）: 5 (45.45%)  得分 100–129.9988" in text.read_text("utf-8")
    rows = list(openpyxl.load_workbook(book, read_only=True)["分类统计"].values)
    assert ("规上工业企业", "B类（提升发展类）", 5, 45.45, None, 100, 129.9988) in rows
