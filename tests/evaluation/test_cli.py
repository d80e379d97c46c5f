"""`screening evaluate`: every output, bad rows reported, nothing half-written, year over year."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from tests.cli.test_screen_cli import invoke
from tests.conftest import ROOT

HY = ROOT / "cases/evaluations/huangyan"
HA = ROOT / "cases/evaluations/huaian"
POPULATION = str(HY / "hy-population-2025.csv")


def test_every_output_is_written_and_the_rows_reconcile(tmp_path: Path) -> None:
    outs = [
        tmp_path / f"out.{ext}"
        for ext in ("xlsx", "html", "json", "jsonl", "csv", "txt")
    ]
    result = invoke(["evaluate", POPULATION, "--scheme", "huangyan", "--year", "2025",
                     *[a for o in outs for a in ("-o", str(o))]])  # fmt: skip
    assert all(o.exists() and o.stat().st_size > 0 for o in outs)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        o.name for o in outs
    )  # no temp files left
    assert "共 20 行 = 参评 12 + 不参评 4 + 无效 3 + 跳过 1（合计行）" in result.stderr
    # a bad row is reported with its row, column and reason, whatever the output format
    assert f"{POPULATION}:14 [用地面积(亩)]: 用地面积应大于 0" in result.stderr
    doc = json.loads(outs[2].read_text(encoding="utf-8"))
    assert [(e["row"], e["column"]) for e in doc["errors"]] == [
        (14, "用地面积(亩)"),
        (15, "统一社会信用代码"),
        (16, "统一社会信用代码"),
    ]
    records = [
        json.loads(line)["record"]
        for line in outs[3].read_text(encoding="utf-8").splitlines()
    ]
    assert (
        records == ["evaluation"] + ["firm"] * 16 + ["action"] * 3
    )  # the three D firms
    book = openpyxl.load_workbook(outs[0], read_only=True)
    assert book.sheetnames == [
        "评价结果",
        "指标明细",
        "分类统计",
        "承诺兑现",
        "反制清单",
        "无效行",
        "跳过的行",
        "方案",
    ]
    rows = list(book["评价结果"].iter_rows(values_only=True))
    assert rows[0][:8] == (
        "评价序列",
        "排名",
        "参评数",
        "企业名称",
        "统一社会信用代码",
        "状态",
        "得分",
        "类别",
    )
    assert rows[1][3:8] == (
        "示例黄岩甲机械有限公司（虚构）",
        "91331003000000001Y",
        "参评",
        130,
        "A类（优先发展类）",
    )
    html = outs[1].read_text(encoding="utf-8")
    assert "<h2>规上工业企业</h2>" in html and "<svg" in html and "得分分布" in html
    with outs[4].open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0][:4] == ["track", "rank", "of", "id"] and len(table) == 1 + 16


def test_each_firm_explains_itself_in_chinese_and_english(tmp_path: Path) -> None:
    zh = invoke(
        ["evaluate", POPULATION, "--scheme", "huangyan", "--year", "2025"]
    ).stdout
    assert (
        "亩均税收 48.194 万元/亩，基准 24.097（固定基准），比值 2，得 60 分（权重 30，比值封顶 2）"
        in zh
    )
    assert "A类（优先发展类）：得分 ≥ 130" in zh
    assert (
        "发生重大安全生产或环境污染事故的直接列为 D 类：由 B类（提升发展类） 调整为 D类（倒逼整治类）"
        in zh
    )
    assert (
        "单位排放增加值 缺数据（未提供 主要污染物排放当量），按方案取本序列平均得分 10 分（权重 10）"
        in zh
    )
    en = invoke(
        [
            "evaluate",
            POPULATION,
            "--scheme",
            "huangyan",
            "--year",
            "2025",
            "--lang",
            "en",
        ]
    ).stdout
    assert (
        "tax per mu 48.194 ×10k CNY/mu, benchmark 24.097 (fixed benchmark), ratio 2, 60 points"
        in en
    )
    assert "A (priority development): score ≥ 130" in en


def test_outputs_never_overwrite_an_input_and_failures_write_nothing(
    tmp_path: Path,
) -> None:
    source = tmp_path / "firms.csv"
    shutil.copy(POPULATION, source)
    result = invoke(
        [
            "evaluate",
            str(source),
            "--scheme",
            "huangyan",
            "--year",
            "2025",
            "-o",
            str(source),
        ],
        code=2,
    )
    assert "输出会覆盖输入文件" in result.stderr
    out = tmp_path / "out.json"
    result = invoke(
        [
            "evaluate",
            str(source),
            "--scheme",
            "huaian-2024",
            "--year",
            "2025",
            "-o",
            str(out),
        ],
        code=2,
    )
    assert (
        "基准为上年总量比" in result.stderr
        and "--benchmark tax_per_mu=" in result.stderr
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["firms.csv"]


def test_an_unknown_scheme_suggests_the_closest() -> None:
    result = invoke(
        ["evaluate", POPULATION, "--scheme", "huangyang", "--year", "2025"], code=2
    )
    assert "是否想写 huangyan" in result.stderr


def test_last_years_json_gives_the_benchmarks_and_the_movers(tmp_path: Path) -> None:
    # 2024 evaluated with last year's figures of 2023, written as JSON; 2025 reads it back
    last = tmp_path / "2024.json"
    invoke(["evaluate", str(HA / "ha-population-2025.csv"), "--scheme", "huaian-2024", "--year", "2025",
            "--previous-figures", str(HA / "ha-figures-2024.csv"), "-o", str(last)])  # fmt: skip
    doc = json.loads(last.read_text(encoding="utf-8"))
    stats = {s["indicator"]: s for s in doc["tracks"][0]["statistics"]}
    # Σ税收 ÷ Σ用地 of this year's 21 rated firms: 2222 万元 on 20 × 10 + 3 亩
    assert stats["tax_per_mu"]["aggregate_exact"] == "2222/203"
    out = tmp_path / "next.json"
    invoke(["evaluate", str(HA / "ha-population-2025.csv"), "--scheme", "huaian-2024", "--year", "2025",
            "--previous", str(last), "-o", str(out)])  # fmt: skip
    again = json.loads(out.read_text(encoding="utf-8"))
    benchmark = again["tracks"][0]["benchmarks"][0]
    assert (benchmark["value_exact"], benchmark["source"]) == (
        "4444/203",
        "previous_aggregate",
    )  # × 2
    movers = {(m["from"], m["to"]): m["firms"] for m in again["tracks"][0]["movers"]}
    assert sum(movers.values()) + again["tracks"][0]["new"] == 21
    firm = next(f for f in again["firms"] if f["id"] == "91320800000000001C")
    assert firm["previous"]["class"] == "A" and firm["previous"]["move"] in (
        "up",
        "same",
        "down",
    )


def test_promises_and_the_action_list_from_a_spreadsheet(tmp_path: Path) -> None:
    actions = tmp_path / "反制清单.xlsx"
    result = invoke(["evaluate", str(HA / "ha-population-2025.csv"), "--scheme", "huaian-2024", "--year", "2025",
                     "--previous-figures", str(HA / "ha-figures-2024.csv"), "--promises",
                     str(HA / "ha-promises-2025.csv"), "--tolerance", "10%", "--grace-days", "30",
                     "--actions", str(actions)])  # fmt: skip
    # 07Y's new project (started 2024-03-10) promised production by 2025-06-30 and has
    # none: the firms table's 投产日期 2012-06-01 is an earlier plant's, so it is listed
    assert "反制清单 5 家" in result.stderr
    book = openpyxl.load_workbook(actions, read_only=True)
    rows = list(book["反制清单"].iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == [
        "91320800000000007Y", "91320800000000011D", "91320800000000020B", "91320800000000021E", "91320800000000050E",
    ]  # fmt: skip
    assert "差别化电价、水价（较大幅度加价）" in rows[3][4] and "约谈企业" in rows[3][4]
    promises = list(book["承诺兑现"].iter_rows(values_only=True))
    short = [r for r in promises if r[1] == "91320800000000020B"]
    assert short == [
        (
            "示例淮安酉铸造有限公司（虚构）",
            "91320800000000020B",
            "投资强度(万元/亩)",
            300,
            200,
            -100,
            -33.33,
            "未达承诺",
        )
    ]


@pytest.mark.parametrize("fmt", ["--tolerance", "--benchmark"])
def test_option_values_are_checked(fmt: str) -> None:
    value = "ten" if fmt == "--tolerance" else "tax_per_mu"
    result = invoke(
        ["evaluate", POPULATION, "--scheme", "huangyan", "--year", "2025", fmt, value],
        code=2,
    )
    assert "Invalid value" in result.stderr


def test_the_readme_command_runs_on_the_shipped_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(
        x
        for x in readme.splitlines()
        if x.startswith("screening evaluate cases/evaluations/sample")
    )
    args = line.split()[1:]
    args = [str(ROOT / a) if a.startswith("cases/") else a for a in args]
    monkeypatch.chdir(tmp_path)
    result = invoke(args)
    assert "共 61 行 = 参评 57 + 不参评 2 + 无效 1 + 跳过 1（合计行）" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "反制清单.xlsx",
        "回头看.html",
        "回头看.xlsx",
    ]
    book = openpyxl.load_workbook(tmp_path / "反制清单.xlsx", read_only=True)
    rows = list(book["反制清单"].iter_rows(values_only=True))[1:]
    reasons = {r[1]: r[3] for r in rows}
    assert any("投资强度" in r for r in reasons.values()) and any(
        "末类" in r for r in reasons.values()
    )


def test_the_sample_is_what_its_script_writes(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_sample", ROOT / "cases/evaluations/make_sample.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    module.HERE = tmp_path
    module.main()
    for name in ("sample-firms-2025.xlsx", "sample-promises-2025.xlsx"):
        fresh = openpyxl.load_workbook(tmp_path / name, read_only=True).active
        shipped = openpyxl.load_workbook(
            ROOT / "cases/evaluations" / name, read_only=True
        ).active
        assert list(fresh.iter_rows(values_only=True)) == list(
            shipped.iter_rows(values_only=True)
        )


def test_jobs_give_the_same_outputs_and_are_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from screening.evaluation import csvblocks, parallel

    # a pool for the 19-row sample: the parent measures 5 rows, workers the rest
    monkeypatch.setattr(parallel, "SERIAL_ROWS", 5)
    monkeypatch.setattr(csvblocks, "BLOCK", 256)
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs-{jobs}.json"
        invoke(["evaluate", POPULATION, "--scheme", "huangyan", "--year", "2025",
                "--jobs", jobs, "-o", str(out)])  # fmt: skip
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert b'"row": 14' in outputs[0] or b'"row":14' in outputs[0]  # its bad rows too
    result = invoke(
        ["evaluate", POPULATION, "--scheme", "huangyan", "--year", "2025",
         "--jobs", "0", "-o", str(tmp_path / "x.json")],
        code=2,
    )  # fmt: skip
    assert "Invalid value" in result.stderr
