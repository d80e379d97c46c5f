"""The batch XLSX workbook: sheets, rows, colours, counts, overflow, atomicity."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from string import Formatter
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.report import sheetml, xlsx, xlsx_rows
from screening.report.xlsx import write_xlsx

FIXTURE = Path(__file__).parents[1] / "io" / "fixtures" / "batch_results.json"


@pytest.fixture
def batch() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _write(path: Path, batch: dict[str, Any], lang: str = "zh") -> openpyxl.Workbook:
    # generators: the writer must not need to go over its input twice
    write_xlsx(
        path, iter(batch["results"]), iter(batch["errors"]), batch["meta"], lang=lang
    )
    return openpyxl.load_workbook(path)


def _values(ws: Any) -> list[tuple[Any, ...]]:
    return list(ws.iter_rows(values_only=True))


def test_summary_sheet(tmp_path: Path, batch: dict[str, Any]) -> None:
    book = _write(tmp_path / "batch.xlsx", batch)
    assert book.sheetnames == ["汇总", "明细", "错误", "规则集"]
    ws = book["汇总"]
    assert _values(ws) == [
        (
            "项目编号",
            "项目名称",
            "企业名称",
            "结论",
            "得分",
            "一票否决",
            "主要不符合项",
            "须补充数据",
            "通过所需",
        ),
        (
            "NB-2024-001",
            "年产5万吨高性能锂电池正极材料项目",
            None,
            "通过",
            86.5,
            None,
            None,
            None,
            None,
        ),
        (
            "NB-2024-002",
            "汽车零部件精密铸造扩建项目",
            None,
            "复核",
            55,
            None,
            "亩均税收：12 万元/亩，得 0/30 分",
            "年综合能源消费量",  # fields and rules by title, as in the HTML
            "总分 55，通过线 60，差 5 分\n须补充数据：年综合能源消费量",
        ),
        (
            "NB-2024-003",
            "精细化工中间体生产项目",
            None,
            "否决",
            62,
            "生态保护红线",  # no rule set given: from its finding's message
            "生态保护红线：项目选址位于生态保护红线内",
            None,
            "一票否决（生态保护红线）：任何数值调整都无法通过",
        ),
        (
            "NB-2024-004",
            "智能仓储物流中心",
            None,
            "否决",
            18,
            None,
            "容积率：0.45，要求不低于1，不符合\n投资强度：95 万元/亩，得 0/40 分",
            None,
            "容积率：用地面积需不超过 27 亩；或建筑面积需不低于 48000 平方米\n"
            "提分途径：投资强度达到200万元/亩，可多得 10 分",
        ),
    ]
    assert [ws[f"D{row}"].fill.fgColor.rgb for row in range(2, 6)] == [
        "FFC6EFCE",
        "FFFFEB9C",
        "FFFFC7CE",
        "FFFFC7CE",
    ]
    assert (ws.freeze_panes, ws.auto_filter.ref) == ("A2", "A1:I5")
    assert ws["G5"].alignment.wrap_text is True


def test_findings_sheet(tmp_path: Path, batch: dict[str, Any]) -> None:
    ws = _write(tmp_path / "batch.xlsx", batch)["明细"]
    rows = _values(ws)
    assert rows[0] == (
        "项目编号",
        "项目名称",
        "规则",
        "规则编号",
        "类别",
        "类型",
        "状态",
        "实际值",
        "要求",
        "单位",
        "得分",
        "满分",
        "说明",
        "依据",
        "整改方向",
    )
    assert len(rows) == 1 + sum(len(r["findings"]) for r in batch["results"])
    assert rows[6] == (
        "NB-2024-002",
        "汽车零部件精密铸造扩建项目",
        "容积率",  # the fixture's results come without their rule set: from the message
        "land.plot_ratio",
        "land",  # a group without a label of its own reads as its id
        "硬性门槛",
        "通过",
        0.9,
        "0.7–1.8",
        None,
        None,
        None,
        "容积率：0.9，要求应在0.7–1.8，符合",
        "国土资发〔2008〕24号 表2",
        None,
    )
    assert rows[1][7] == "否"
    assert ws["G10"].value == "不通过" and ws["G10"].fill.fgColor.rgb == "FFFFC7CE"
    assert ws["G8"].value == "缺数据" and ws["G8"].fill.fgColor.rgb == "FFFFEB9C"
    assert (ws["D19"].value, ws["G19"].value, ws["G19"].fill.fill_type) == (
        "bonus.rd",
        "未加分",
        None,
    )


def test_errors_and_ruleset_sheets(tmp_path: Path, batch: dict[str, Any]) -> None:
    book = _write(tmp_path / "batch.xlsx", batch)
    assert _values(book["错误"]) == [
        ("来源", "行号", "列", "原因", "情况"),
        (
            "2024年第二季度招商项目.xlsx",
            7,
            "总投资(万元)",
            "无法识别的数值 'abc' / not a number",
            "无效",
        ),
    ]
    assert _values(book["规则集"]) == [
        ("项目", "值"),
        ("规则集编号", "parks/ningbo-hightech-2024"),
        ("版本", "2024.1"),
        ("SHA-256", "3f7a9c2e5b1d4086a1c9e2f7b3d5a8c0e4f6a2b9c1d3e5f7a9b0c2d4e6f8a1b3"),
        ("评估基准日", "2024-06-30"),
        ("生成时间", "2024-07-01T09:30:00+08:00"),
        ("输入文件", "2024年第二季度招商项目.xlsx"),
        ("总行数", 5),
        ("已评估", 4),
        ("无效行", 1),
        ("跳过的行", 0),
        ("通过", 1),
        ("复核", 1),
        ("否决", 2),
    ]


def test_english_workbook(tmp_path: Path, batch: dict[str, Any]) -> None:
    book = _write(tmp_path / "batch.xlsx", batch, lang="en")
    assert book.sheetnames == ["Summary", "Findings", "Errors", "Rule set"]
    assert _values(book["Summary"])[0] == (
        "Project ID",
        "Project name",
        "Company",
        "Decision",
        "Score",
        "Vetoed by",
        "Main failed rules",
        "Data to obtain",
        "To pass",
    )
    assert [row[3] for row in _values(book["Summary"])[1:]] == [
        "pass",
        "review",
        "reject",
        "reject",
    ]


def test_counts_from_the_streams_when_meta_has_none(
    tmp_path: Path, batch: dict[str, Any]
) -> None:
    batch["meta"].pop("counts")
    batch["errors"].append(
        {"source": "b.csv", "row": 3, "column": "地区分类", "reason": "x"}
    )
    batch["errors"].append(
        {"source": "b.csv", "row": 3, "column": "行业代码", "reason": "y"}
    )
    rows = _values(_write(tmp_path / "batch.xlsx", batch)["规则集"])
    assert rows[7:] == [
        ("总行数", 6),
        ("已评估", 4),
        ("无效行", 2),
        ("跳过的行", 0),
        ("通过", 1),
        ("复核", 1),
        ("否决", 2),
    ]


def test_cells_stay_text_and_control_characters_go(
    tmp_path: Path, batch: dict[str, Any]
) -> None:
    result = copy.deepcopy(batch["results"][0])
    result["project"]["name"] = '=HYPERLINK("http://evil","点此")'
    result["project"]["id"] = "NB\x07-001"
    write_xlsx(tmp_path / "x.xlsx", [result], [], {})
    cell_id, cell_name = openpyxl.load_workbook(tmp_path / "x.xlsx")["汇总"]["A2:B2"][0]
    assert (cell_id.value, cell_name.value, cell_name.data_type) == (
        "NB-001",
        '=HYPERLINK("http://evil","点此")',
        "s",
    )


def test_a_full_sheet_continues_on_the_next(
    tmp_path: Path, batch: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx, "MAX_ROWS", 14)  # header + 13 rows per sheet
    book = _write(tmp_path / "batch.xlsx", batch)
    assert book.sheetnames == ["汇总", "明细", "明细 (2)", "错误", "规则集"]
    first, second = _values(book["明细"]), _values(book["明细 (2)"])
    assert (len(first), len(second), second[0]) == (14, 7, first[0])
    assert [row[3] for row in first[13:] + second[1:]] == [
        "intensity.tax",
        "environment.red_line",
        "land.plot_ratio",
        "intensity.investment",
        "intensity.tax",
        "bonus.rd",
        "land.admin_share",
    ]
    assert (book["明细"].auto_filter.ref, book["明细 (2)"].auto_filter.ref) == (
        "A1:O14",
        "A1:O7",
    )


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_failure_keeps_the_previous_workbook(
    tmp_path: Path, batch: dict[str, Any]
) -> None:
    path = tmp_path / "batch.xlsx"
    path.write_bytes(b"previous report")

    def results() -> Any:
        yield batch["results"][0]
        raise RuntimeError("worker died")

    with pytest.raises(RuntimeError):
        write_xlsx(path, results(), [], batch["meta"])
    assert path.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["batch.xlsx"]


def _sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(path)
    return {ws.title: _values(ws) for ws in book.worksheets}


def test_rows_rendered_from_decisions_equal_rows_from_their_contract(
    tmp_path: Path,
) -> None:
    # A batch's workers render from the Decision (DecisionRows); write_xlsx renders
    # the JSON contract: both must give the same workbook, cell for cell.
    from screening.cases import case_files, load_case
    from screening.loader import load_ruleset
    from screening.report.contract import contract_line
    from screening.screener import Screener

    for ref, folder in (
        ("starter", "cases/starter"),
        ("parks/beihai-tieshangang-2023", "cases/beihai"),
    ):
        ruleset = load_ruleset(ref)
        screener = Screener(ruleset)
        decisions = [
            screener.screen(load_case(p).project) for p in case_files([folder])
        ]
        for lang in ("zh", "en"):
            rows = xlsx_rows.DecisionRows(ruleset, lang)
            book = xlsx.XlsxWorkbook(tmp_path / "from-decisions.xlsx", lang)
            for decision in decisions * 2:  # the second time from the memo
                book.add(decision.outcome.value, rows.render(decision))
            book.close({})
            results = [
                json.loads(contract_line(d, ruleset, lang)) for d in decisions * 2
            ]
            write_xlsx(
                tmp_path / "from-contract.xlsx", results, [], {}, lang, [ruleset]
            )
            made = _sheets(tmp_path / "from-decisions.xlsx")
            expected = _sheets(tmp_path / "from-contract.xlsx")
            assert made == expected, (ref, lang)
            assert (
                len(made[sheetml.sheet_label("findings_sheet", lang)])
                > len(decisions) * 2
            )


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"score": 10**400}, "得分: 数值超出 Excel 单元格可表示的范围"),
        ({"score": -1e308 * 10}, "得分: 数值超出"),
        (
            {"project": {"id": "x", "name": "名" * 32_768}},
            "项目名称: 文本长 32,768 字符",
        ),
        ({"project": {"id": "x", "name": "\ud800"}}, "项目名称: 含无法编码的字符"),
    ],
)
def test_a_value_no_cell_can_hold_is_refused(
    batch: dict[str, Any], change: dict[str, Any], words: str
) -> None:
    result = {**copy.deepcopy(batch["results"][0]), **change}
    with pytest.raises(sheetml.Unrepresentable) as caught:
        xlsx_rows.result_rows(result)
    assert words in str(caught.value)


def test_the_longest_text_and_largest_number_excel_holds_are_written(
    tmp_path: Path, batch: dict[str, Any]
) -> None:
    result = copy.deepcopy(batch["results"][0])
    result["project"]["name"] = "名" * 32_767
    result["score"] = 9.99999999999999e307
    write_xlsx(tmp_path / "x.xlsx", [result], [], {})
    row = _values(openpyxl.load_workbook(tmp_path / "x.xlsx")["汇总"])[1]
    assert (len(row[1]), row[4]) == (32_767, 9.99999999999999e307)


def test_text_is_kept_as_typed(tmp_path: Path, batch: dict[str, Any]) -> None:
    result = copy.deepcopy(batch["results"][0])
    result["project"]["name"] = "  前后空格 & <b>  "
    result["project"]["company"] = "_x0041_ 公司"  # Excel would decode an unescaped one
    write_xlsx(tmp_path / "x.xlsx", [result], [], {})
    with zipfile.ZipFile(tmp_path / "x.xlsx") as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    assert '<t xml:space="preserve">  前后空格 &amp; &lt;b&gt;  </t>' in sheet
    assert "<t>_x005F_x0041_ 公司</t>" in sheet
    assert "<f>" not in sheet  # no formula anywhere: strings are inline strings


def test_a_package_past_4_gib_uses_zip64(
    tmp_path: Path, batch: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from screening.io import ziparchive

    monkeypatch.setattr(ziparchive, "ZIP64_ABOVE", 100)  # as if every member were huge
    _write(tmp_path / "big.xlsx", batch)
    with zipfile.ZipFile(tmp_path / "big.xlsx") as package:
        assert package.testzip() is None
        infos = package.infolist()
    assert any(info.file_size > 100 for info in infos)
    assert _values(openpyxl.load_workbook(tmp_path / "big.xlsx")["汇总"])[1][0] == (
        "NB-2024-001"
    )


def test_the_package_is_well_formed(tmp_path: Path, batch: dict[str, Any]) -> None:
    from xml.etree import ElementTree

    _write(tmp_path / "x.xlsx", batch)
    with zipfile.ZipFile(tmp_path / "x.xlsx") as package:
        assert package.testzip() is None
        names = package.namelist()
        for name in names:
            ElementTree.fromstring(package.read(name))  # every part parses as XML
    assert names[0] == "[Content_Types].xml"
    assert {"xl/workbook.xml", "xl/styles.xml", "xl/worksheets/sheet4.xml"} <= set(
        names
    )


def test_a_failed_workbook_leaves_no_temporary_file(
    tmp_path: Path, batch: dict[str, Any]
) -> None:
    book = xlsx.XlsxWorkbook(tmp_path / "x.xlsx")
    book.add("pass", xlsx_rows.result_rows(batch["results"][0]))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".screening-")]
    book.discard()
    assert list(tmp_path.iterdir()) == []


def _decisions(ref: str, folder: str) -> tuple[Any, list[Any]]:
    from screening.cases import case_files, load_case
    from screening.loader import load_ruleset
    from screening.screener import Screener

    ruleset = load_ruleset(ref)
    screener = Screener(ruleset)
    return ruleset, [
        screener.screen(load_case(p).project) for p in case_files([folder])
    ]


def _contract_rows(decision: Any, ruleset: Any, lang: str) -> Any:
    from screening.report.contract import to_contract
    from screening.report.labels import Labels

    # titles from the rule set, as DecisionRows has them
    labels = Labels([ruleset], lang)
    return xlsx_rows.result_rows(to_contract(decision, ruleset, lang), lang, labels)


@pytest.mark.parametrize(
    ("ref", "folder"),
    [("starter", "cases/starter"), ("parks/beihai-tieshangang-2023", "cases/beihai")],
)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rows_rendered_from_decisions_are_their_contracts_rows_byte_for_byte(
    ref: str, folder: str, lang: str
) -> None:
    # DecisionRows renders from pre-encoded parts; result_rows cell by cell
    ruleset, decisions = _decisions(ref, folder)
    rows = xlsx_rows.DecisionRows(ruleset, lang)
    for decision in decisions * 2:  # the second time with what it keeps
        assert rows.render(decision) == _contract_rows(decision, ruleset, lang)


_HOSTILE_TEXTS = [
    "  前后空格 & <b>  ",
    "_x0041_ 公司",
    "控制\x01字符\x1f",
    "\u3000全角空格",
    "换行\n",
    "\ufffe",
    "名" * 32_767,
    "名" * 32_768,
    "\ud800",
    "",
]


@pytest.mark.parametrize("text", _HOSTILE_TEXTS)
def test_decision_rows_escape_and_refuse_as_the_contracts_rows(text: str) -> None:
    from fractions import Fraction

    ruleset, decisions = _decisions("parks/beihai-tieshangang-2023", "cases/beihai")
    rows = xlsx_rows.DecisionRows(ruleset, "zh")
    decision = decisions[0]
    first = decision.findings[0]
    variants = [
        decision._replace(project_name=text),
        decision._replace(project_company=text, project_id=text),
        decision._replace(
            findings=(first._replace(unit=text or None), *decision.findings[1:])
        ),
        decision._replace(
            findings=(first._replace(actual=Fraction(10) ** 400), *decision.findings)
        ),
    ]
    # a finding not applicable for a reason of the rule set's, with the text as its
    # parameter: the row from the reason's compiled words, or refused alike
    at, reasoned = next(
        (i, f) for i, f in enumerate(decision.findings) if f.reason_params
    )
    (name, _), *_ = reasoned.reason_params
    for params in (((name, text),), ((name, text), ("other", "y")), ((name, (text,)),)):
        findings = list(decision.findings)
        findings[at] = reasoned._replace(reason_params=params)
        variants.append(decision._replace(findings=tuple(findings)))
    for variant in variants:
        try:
            expected = _contract_rows(variant, ruleset, "zh")
        except sheetml.Unrepresentable as exc:
            with pytest.raises(sheetml.Unrepresentable) as caught:
                rows.render(variant)
            assert str(caught.value) == str(exc)
        else:
            assert rows.render(variant) == expected


def test_decision_rows_memos_follow_what_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a rule's threshold, unit and most points are kept as last rendered, its message
    # cells in a bounded memo: a finding that differs must never get the last one's
    from decimal import Decimal
    from fractions import Fraction

    monkeypatch.setattr(xlsx_rows, "_MESSAGES_KEPT", 3)
    ruleset, decisions = _decisions("parks/beihai-tieshangang-2023", "cases/beihai")
    rows = xlsx_rows.DecisionRows(ruleset, "zh")
    changes: list[dict[str, Any]] = [
        {},
        {"threshold": Fraction(7, 3)},
        {"threshold": Decimal("2.3333")},
        {"threshold": 2},
        {"threshold": True},
        {"threshold": None},
        {"unit": "公顷"},
        {"max_points": Fraction(9)},
        {"max_points": 9.0},
        {"points": Fraction(-1, 3)},
        {"actual": -0.0},
        {},
    ]
    for change in changes * 2:
        for decision in decisions:
            changed = decision._replace(
                findings=tuple(f._replace(**change) for f in decision.findings)
            )
            assert rows.render(changed) == _contract_rows(changed, ruleset, "zh")


def _calamine(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return {
        name: [
            tuple(None if value == "" else value for value in row)
            for row in book.get_sheet_by_name(name).to_python()
        ]
        for name in book.sheet_names
    }


def _streamed(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    # openpyxl's streaming reader gives each row up to its last cell: padded here
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        sheets = {ws.title: _values(ws) for ws in book.worksheets}
    finally:
        book.close()
    for title, rows in sheets.items():
        width = max(map(len, rows))
        sheets[title] = [row + (None,) * (width - len(row)) for row in rows]
    return sheets


def _own(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    # screening's own reader (what `batch` reads an XLSX input with), padded
    from screening.io.tables import Limits
    from screening.io.workbook import read_workbook

    with zipfile.ZipFile(path) as package:
        names = re.findall(
            r'<sheet name="([^"]+)"', package.read("xl/workbook.xml").decode()
        )
    sheets = {}
    for name in names:
        rows, close = read_workbook(path, name, Limits())
        try:
            sheets[name] = [tuple(None if v == "" else v for v in row) for row in rows]
        finally:
            close()
        width = max(map(len, sheets[name]))
        sheets[name] = [row + (None,) * (width - len(row)) for row in sheets[name]]
    return sheets


def _chunk_rows(bodies: list[tuple[bytes, list[bytes]]], form: str) -> tuple[Any, Any]:
    """A chunk's rows as a batch hands them to the workbook: as lists (one job) or
    deflated a piece a sheet (from a worker process)."""
    summary = [s for s, _ in bodies]
    findings = [f for _, fs in bodies for f in fs]
    if form == "deflated":
        return xlsx.deflated_rows(summary), xlsx.deflated_rows(findings)
    return summary, findings


@pytest.mark.parametrize("form", ["lists", "deflated"])
def test_rows_and_cells_carry_no_reference_and_every_reader_places_them_alike(
    tmp_path: Path, form: str
) -> None:
    # Rows and cells are written without their optional `r` (an empty cell between
    # two others as <c/>): openpyxl (loading and streaming), calamine and screening's
    # own reader must place every value in the same row and cell, the empty ones
    # included, whether the rows came as lists or as deflated pieces.
    ruleset, decisions = _decisions("parks/beihai-tieshangang-2023", "cases/beihai")
    rows = xlsx_rows.DecisionRows(ruleset, "zh")
    book = xlsx.XlsxWorkbook(tmp_path / "x.xlsx")
    rendered = [rows.render_bodies(d) for d in decisions]
    for at in range(0, len(rendered), 5):  # chunks of five projects
        book.add_rows(*_chunk_rows(rendered[at : at + 5], form))
    book.decisions.update(d.outcome.value for d in decisions)
    book.add_error({"source": "a.csv", "row": 3, "column": None, "reason": "x"})
    book.close({"ruleset": {"id": ruleset.id}, "as_of": None})
    with zipfile.ZipFile(tmp_path / "x.xlsx") as package:
        sheets = [
            package.read(n).decode()
            for n in package.namelist()
            if n.startswith("xl/worksheets/")
        ]
    assert all("<c r=" not in sheet and "<row " not in sheet for sheet in sheets)
    assert all(sheet.count("<row>") == sheet.count("</row>") > 0 for sheet in sheets)
    assert any("<c/>" in sheet for sheet in sheets)  # an empty cell between two others
    loaded = _sheets(tmp_path / "x.xlsx")
    assert loaded == _streamed(tmp_path / "x.xlsx") == _calamine(tmp_path / "x.xlsx")
    assert loaded == _own(tmp_path / "x.xlsx")
    assert len(loaded["汇总"]) == 1 + len(decisions)
    findings = loaded["明细"]
    assert len(findings) == 1 + sum(len(d.findings) for d in decisions)
    # a finding without a figure: its threshold still in column I, its basis in N
    first = decisions[0].findings[0]
    assert findings[1][3] == first.rule and findings[1][13] == (
        ruleset.rules[0].spec.basis
    )
    assert all(len(row) == len(sheetml.FINDINGS) for row in findings)


def test_the_fixture_workbook_reads_the_same_in_calamine(
    tmp_path: Path, batch: dict[str, Any]
) -> None:
    _write(tmp_path / "batch.xlsx", batch)
    expected = _sheets(tmp_path / "batch.xlsx")  # the values test_summary_sheet checks
    assert _calamine(tmp_path / "batch.xlsx") == expected
    assert _streamed(tmp_path / "batch.xlsx") == expected


def _numbered(source: Path, target: Path) -> None:
    """The same workbook with every row numbered (`<row r="N">`), as most writers do."""
    with zipfile.ZipFile(source) as package, zipfile.ZipFile(target, "w") as out:
        for name in package.namelist():
            data = package.read(name)
            if name.startswith("xl/worksheets/"):
                parts = data.split(b"<row>")
                data = parts[0] + b"".join(
                    b'<row r="%d">' % n + part for n, part in enumerate(parts[1:], 1)
                )
            out.writestr(name, data, zipfile.ZIP_DEFLATED)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_reads_unnumbered_rows_as_numbered_ones(tmp_path: Path) -> None:
    # Excel cannot run here; LibreOffice can: every sheet of a batch workbook (rows
    # from deflated pieces, without `r`) converts to the CSV of the same workbook with
    # its rows numbered
    ruleset, decisions = _decisions("parks/beihai-tieshangang-2023", "cases/beihai")
    rows = xlsx_rows.DecisionRows(ruleset, "zh")
    book = xlsx.XlsxWorkbook(tmp_path / "plain.xlsx")
    rendered = [rows.render_bodies(d) for d in decisions]
    for at in range(0, len(rendered), 3):
        book.add_rows(*_chunk_rows(rendered[at : at + 3], "deflated"))
    book.decisions.update(d.outcome.value for d in decisions)
    book.add_error({"source": "a.csv", "row": 3, "column": None, "reason": "x"})
    book.close({"ruleset": {"id": ruleset.id}, "as_of": "2025-06-30"})
    _numbered(tmp_path / "plain.xlsx", tmp_path / "numbered.xlsx")
    # every sheet to its own CSV (the filter's last token, -1), UTF-8 (76)
    csv = (
        "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    )
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--convert-to",
            csv,
            "--outdir",
            str(tmp_path / "csv"),
            str(tmp_path / "plain.xlsx"),
            str(tmp_path / "numbered.xlsx"),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    sheets = ["汇总", "明细", "错误", "规则集"]
    for sheet in sheets:
        plain = (tmp_path / "csv" / f"plain-{sheet}.csv").read_text(encoding="utf-8")
        numbered = (tmp_path / "csv" / f"numbered-{sheet}.csv").read_text("utf-8")
        assert plain == numbered and plain.count("\n") >= 2
    assert (tmp_path / "csv" / "plain-明细.csv").read_text("utf-8").count("\n") == (
        1 + sum(len(d.findings) for d in decisions)
    )


@pytest.mark.parametrize("form", ["lists", "deflated"])
def test_a_batch_chunk_past_a_full_sheet_continues_on_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    # a worker's rows come without their opening tag, or deflated a piece a sheet; the
    # workbook starts 明细 (2) where 明细 is full, as it does row by row (a piece that
    # crosses the end of a part is inflated and its rows added one by one)
    ruleset, decisions = _decisions("parks/beihai-tieshangang-2023", "cases/beihai")
    rows = xlsx_rows.DecisionRows(ruleset, "zh")
    bodies = [rows.render_bodies(d) for d in decisions]
    books = {}
    limit = 12  # 11 rows and the header: 汇总 splits too
    for name, rows_a_sheet in (("whole", sheetml.MAX_ROWS), ("split", limit)):
        monkeypatch.setattr(xlsx, "MAX_ROWS", rows_a_sheet)
        book = xlsx.XlsxWorkbook(tmp_path / f"{name}.xlsx")
        for at in range(0, len(bodies), 2):  # chunks of two projects
            book.add_rows(*_chunk_rows(bodies[at : at + 2], form))
        book.decisions.update(d.outcome.value for d in decisions)
        book.close({})
        books[name] = _sheets(tmp_path / f"{name}.xlsx")
        assert books[name] == _calamine(tmp_path / f"{name}.xlsx")
    split = books["split"]
    for sheet in ("汇总", "明细"):
        whole = books["whole"][sheet]
        parts = [title for title in split if title.startswith(sheet)]
        assert parts[:2] == [sheet, f"{sheet} (2)"]
        assert len(parts) == -(-(len(whole) - 1) // (limit - 1))
        assert all(len(split[title]) <= limit for title in parts)
        assert [row for title in parts for row in split[title][1:]] == whole[1:]
        assert all(split[title][0] == whole[0] for title in parts)
    # each part's filter covers its own rows, header included, and no more
    with zipfile.ZipFile(tmp_path / "split.xlsx") as package:
        workbook = package.read("xl/workbook.xml").decode()
        titles = re.findall(r'<sheet name="([^"]+)"', workbook)
        for i, title in enumerate(titles, 1):
            sheet_xml = package.read(f"xl/worksheets/sheet{i}.xml").decode()
            refs = re.findall(r'<autoFilter ref="A1:([A-Z]+)(\d+)"', sheet_xml)
            if title.startswith(("汇总", "明细")):
                assert refs and int(refs[0][1]) == len(split[title])
                assert f"!$A$1:${refs[0][0]}${refs[0][1]}<" in workbook


_PIECES = st.one_of(
    st.text(alphabet="a_{} %\u3000", max_size=3),
    st.sampled_from(["{actual}", "{other}", "{actual!r}", "{actual:>3}", "{{", "}}"]),
)


@settings(deadline=None, max_examples=200)
@given(st.lists(_PIECES, max_size=6), st.text(alphabet="0.-%是x_", max_size=4))
def test_a_frames_words_join_as_its_sentence_formats(
    pieces: list[str], value: str
) -> None:
    # A frame writes a sentence's message as the figure joined between its words
    # (_split_at); where it splits the sentence, the join must read as the format
    # fills it, and it splits every sentence whose fields are all a bare {actual}.
    template = "".join(pieces)
    try:
        expected = template.format_map({"actual": value})
    except (KeyError, IndexError, ValueError):
        return  # a sentence that does not format has no frame
    words = xlsx_rows._split_at(template, "actual")
    fields = [
        (name, spec, conversion)
        for _, name, spec, conversion in Formatter().parse(template)
        if name is not None
    ]
    assert (words is not None) == all(f == ("actual", "", None) for f in fields)
    if words is not None:
        assert value.join(words) == expected
