"""`screening batch`: formats in and out, bad rows, reconciled counts, determinism across --jobs."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from tests.cli.test_screen_cli import invoke

HEADER = "项目编号,项目名称,企业名称,行业代码,总投资(亿元),固定资产投资(万元),用地面积(亩),年营业收入(万元),年税收(万元),年综合能耗(吨标煤),是否位于生态保护红线,产业目录类别\n"
ROWS = [
    "L1,年产2万吨磷酸铁锂,某新能源公司,C3985,5.2,45000,150,63000,3600,6800,否,鼓励类",
    "L2,年产5万吨电子化学品,某化工公司,C2661,0.6,4500,18,8000,400,12000,否,允许类",
    "L3,坏数据行,某公司,C3841,abc,1000,10,,,,否,允许类",
    "L4,红线内项目,某公司,C2821,8,60000,200,120000,6000,9000,是,允许类",
    "L5,负面积,某公司,C3841,1,1000,-5,100,10,100,否,允许类",
]


@pytest.fixture
def leads(tmp_path: Path) -> Path:
    path = tmp_path / "leads.csv"
    path.write_bytes((HEADER + "\n".join(ROWS) + "\n").encode("gb18030"))  # as Excel in a Chinese office saves it
    return path


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_gbk_csv_to_every_output(leads: Path, tmp_path: Path) -> None:
    outs = [tmp_path / f"out.{ext}" for ext in ("jsonl", "csv", "xlsx", "html")]
    result = invoke(["batch", str(leads), "--rules", "starter", "--jobs", "1", "--as-of", "2025-01-01",
                     *[arg for out in outs for arg in ("-o", str(out))]])
    assert "编码 / encoding gb18030" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "共 5 行：筛查 3 行（通过 1，复核 1，否决 1），无效 2 行，跳过 0 行 / 5 rows: 3 screened, 2 invalid, 0 skipped")
    results = _jsonl(outs[0])
    assert [(r["project"]["id"], r["decision"]) for r in results] == [("L1", "pass"), ("L2", "review"), ("L4", "reject")]
    assert results[0]["as_of"] == "2025-01-01"
    csv_lines = outs[1].read_text(encoding="utf-8-sig").splitlines()
    assert csv_lines[0] == "id,name,company,decision,score,vetoed_by,missing,failed,summary"
    assert csv_lines[1].startswith("L1,年产2万吨磷酸铁锂,某新能源公司,pass,")
    book = openpyxl.load_workbook(outs[2])
    assert book.sheetnames == ["汇总", "明细", "错误", "规则集"]
    errors = list(book["错误"].iter_rows(values_only=True))[1:]
    assert [(row[1], row[2], row[3]) for row in errors] == [
        (4, "总投资(亿元)", "无法识别的数值 'abc' / not a number"),
        (6, "用地面积(亩)", "数值应不小于 0 / must not be negative"),
    ]
    html = outs[3].read_text(encoding="utf-8")
    assert "<script" not in html and "http" not in html.split("</head>")[0]  # self-contained
    assert "年产5万吨电子化学品" in html


def test_output_is_the_same_whatever_the_jobs(leads: Path, tmp_path: Path) -> None:
    lines = leads.read_bytes().decode("gb18030").splitlines()
    many = tmp_path / "many.csv"
    body = [lines[0]] + [row.replace("L", f"R{i}-", 1) for i in range(150) for row in lines[1:]]
    many.write_text("\n".join(body) + "\n", encoding="utf-8")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    invoke(["batch", str(many), "--rules", "starter", "--jobs", "1", "--as-of", "2025-01-01", "-o", str(one),
            "-o", str(tmp_path / "one.xlsx")])
    invoke(["batch", str(many), "--rules", "starter", "--jobs", "2", "--as-of", "2025-01-01", "-o", str(two),
            "-o", str(tmp_path / "two.xlsx")])
    assert one.read_bytes() == two.read_bytes()
    assert len(_jsonl(one)) == 450  # 750 rows, 300 invalid
    # the reader refuses some rows (abc), the model others (negative area): one list, in input order
    errors = [_error_rows(tmp_path / name) for name in ("one.xlsx", "two.xlsx")]
    assert errors[0] == errors[1]
    assert [row[1] for row in errors[0]] == sorted(row[1] for row in errors[0])
    assert len(errors[0]) == 300 and {row[2] for row in errors[0]} == {"总投资(亿元)", "用地面积(亩)"}


def _error_rows(path: Path) -> list[tuple]:
    sheet = openpyxl.load_workbook(path, read_only=True)["错误"]
    return [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] is not None]


def test_jsonl_and_folder_inputs(tmp_path: Path) -> None:
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"id": "a", "industry": "C3841", "investment": {"fixed_assets": 4500}, "land": {"area_mu": 15}}\n'
                     'not json\n', encoding="utf-8")
    out = tmp_path / "a.jsonl"
    result = invoke(["batch", str(jsonl), "--rules", "starter", "--jobs", "1", "-o", str(out)])
    assert "2 rows: 1 screened, 1 invalid, 0 skipped" in result.stderr
    out2 = tmp_path / "b.jsonl"
    invoke(["batch", "cases/starter", "--rules", "starter", "--jobs", "1", "-o", str(out2)])
    assert len(_jsonl(out2)) == 9


def test_bad_output_format_and_missing_rules_are_errors(leads: Path, tmp_path: Path) -> None:
    assert "不支持的输出格式" in invoke(["batch", str(leads), "--rules", "starter", "-o", str(tmp_path / "x.pdf")], code=2).stderr
    assert "找不到规则集" in invoke(["batch", str(leads), "--rules", "nope", "-o", str(tmp_path / "x.csv")], code=2).stderr
    assert not (tmp_path / "x.csv").exists()


def test_a_failed_run_leaves_no_partial_output(leads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import screening.batch as batch

    def boom(rows):  # a worker crash half way
        raise RuntimeError("worker died")

    monkeypatch.setattr(batch, "_screen_chunk", boom)
    out = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError):
        invoke(["batch", str(leads), "--rules", "starter", "--jobs", "1", "-o", str(out)])
    assert list(tmp_path.iterdir()) == [leads]  # neither the output nor a temp file
