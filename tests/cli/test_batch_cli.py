"""`screening batch`: formats in and out, bad rows, reconciled counts, determinism across --jobs."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.cli.test_screen_cli import invoke
from tests.crash import crash_hook

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
    path.write_bytes(
        (HEADER + "\n".join(ROWS) + "\n").encode("gb18030")
    )  # as Excel in a Chinese office saves it
    return path


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_gbk_csv_to_every_output(leads: Path, tmp_path: Path) -> None:
    outs = [tmp_path / f"out.{ext}" for ext in ("jsonl", "csv", "xlsx", "html")]
    result = invoke(
        [
            "batch",
            str(leads),
            "--rules",
            "starter",
            "--jobs",
            "1",
            "--as-of",
            "2025-01-01",
            *[arg for out in outs for arg in ("-o", str(out))],
        ]
    )
    assert "编码 / encoding gb18030" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "共 5 行：筛查 3 行（通过 1，复核 1，否决 1），无效 2 行，跳过 0 行 / 5 rows: 3 screened, 2 invalid, 0 skipped"
    )
    results = _jsonl(outs[0])
    assert [(r["project"]["id"], r["decision"]) for r in results] == [
        ("L1", "pass"),
        ("L2", "review"),
        ("L4", "reject"),
    ]
    assert results[0]["as_of"] == "2025-01-01"
    csv_lines = outs[1].read_text(encoding="utf-8-sig").splitlines()
    assert (
        csv_lines[0]
        == "id,name,company,decision,score,vetoed_by,missing,failed,summary"
    )
    assert csv_lines[1].startswith("L1,年产2万吨磷酸铁锂,某新能源公司,pass,")
    book = openpyxl.load_workbook(outs[2])
    assert book.sheetnames == ["汇总", "明细", "错误", "规则集"]
    errors = list(book["错误"].iter_rows(values_only=True))[1:]
    assert [(row[1], row[2], row[3]) for row in errors] == [
        (4, "总投资(亿元)", "无法识别的数值 'abc' / not a number"),
        (6, "用地面积(亩)", "数值应不小于 0 / must not be negative"),
    ]
    html = outs[3].read_text(encoding="utf-8")
    assert (
        "<script" not in html and "http" not in html.split("</head>")[0]
    )  # self-contained
    assert "年产5万吨电子化学品" in html


def test_output_is_the_same_whatever_the_jobs(leads: Path, tmp_path: Path) -> None:
    lines = leads.read_bytes().decode("gb18030").splitlines()
    many = tmp_path / "many.csv"
    body = [lines[0]] + [
        row.replace("L", f"R{i}-", 1) for i in range(150) for row in lines[1:]
    ]
    many.write_text("\n".join(body) + "\n", encoding="utf-8")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    invoke(
        [
            "batch",
            str(many),
            "--rules",
            "starter",
            "--jobs",
            "1",
            "--as-of",
            "2025-01-01",
            "-o",
            str(one),
            "-o",
            str(tmp_path / "one.xlsx"),
        ]
    )
    invoke(
        [
            "batch",
            str(many),
            "--rules",
            "starter",
            "--jobs",
            "2",
            "--as-of",
            "2025-01-01",
            "-o",
            str(two),
            "-o",
            str(tmp_path / "two.xlsx"),
        ]
    )
    assert one.read_bytes() == two.read_bytes()
    assert len(_jsonl(one)) == 450  # 750 rows, 300 invalid
    # the reader refuses some rows (abc), the model others (negative area): one list, in input order
    errors = [_error_rows(tmp_path / name) for name in ("one.xlsx", "two.xlsx")]
    assert errors[0] == errors[1]
    assert [row[1] for row in errors[0]] == sorted(row[1] for row in errors[0])
    assert len(errors[0]) == 300 and {row[2] for row in errors[0]} == {
        "总投资(亿元)",
        "用地面积(亩)",
    }


def _error_rows(path: Path) -> list[tuple]:
    sheet = openpyxl.load_workbook(path, read_only=True)["错误"]
    return [
        row
        for row in sheet.iter_rows(min_row=2, values_only=True)
        if row[0] is not None
    ]


def test_jsonl_and_folder_inputs(tmp_path: Path) -> None:
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(
        '{"id": "a", "industry": "C3841", "investment": {"fixed_assets": 4500}, "land": {"area_mu": 15}}\n'
        "not json\n",
        encoding="utf-8",
    )
    out = tmp_path / "a.jsonl"
    result = invoke(
        ["batch", str(jsonl), "--rules", "starter", "--jobs", "1", "-o", str(out)]
    )
    assert "2 rows: 1 screened, 1 invalid, 0 skipped" in result.stderr
    out2 = tmp_path / "b.jsonl"
    invoke(
        ["batch", "cases/starter", "--rules", "starter", "--jobs", "1", "-o", str(out2)]
    )
    assert len(_jsonl(out2)) == 9


def test_bad_output_format_and_missing_rules_are_errors(
    leads: Path, tmp_path: Path
) -> None:
    assert (
        "不支持的输出格式"
        in invoke(
            ["batch", str(leads), "--rules", "starter", "-o", str(tmp_path / "x.pdf")],
            code=2,
        ).stderr
    )
    assert (
        "找不到规则集"
        in invoke(
            ["batch", str(leads), "--rules", "nope", "-o", str(tmp_path / "x.csv")],
            code=2,
        ).stderr
    )
    assert not (tmp_path / "x.csv").exists()


def test_a_failed_run_leaves_no_partial_output(
    leads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import screening.batch as batch

    def boom(rows):  # a worker crash half way
        raise RuntimeError("worker died")

    monkeypatch.setattr(batch, "_screen_chunk", boom)
    out = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError):
        invoke(
            ["batch", str(leads), "--rules", "starter", "--jobs", "1", "-o", str(out)]
        )
    assert list(tmp_path.iterdir()) == [leads]  # neither the output nor a temp file


# ---- every row accounted for -------------------------------------------------------


def _companion(path: Path) -> list[list[str]]:
    import csv
    import io

    raw = path.read_bytes()
    assert raw.startswith(
        b"\xef\xbb\xbf"
    )  # UTF-8 with BOM, as the CSV output: Excel reads it
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("ext", ["jsonl", "csv"])
def test_bad_rows_reach_a_companion_file_and_stderr(
    leads: Path, tmp_path: Path, ext: str
) -> None:
    out = tmp_path / f"results.{ext}"
    result = invoke(
        [
            "batch",
            str(leads),
            "--rules",
            "starter",
            "--jobs",
            "1",
            "--as-of",
            "2025-01-01",
            "-o",
            str(out),
        ]
    )
    rows = _companion(tmp_path / "results.errors.csv")
    assert rows == [
        ["source", "row", "column", "reason", "kind"],
        [
            str(leads),
            "4",
            "总投资(亿元)",
            "无法识别的数值 'abc' / not a number",
            "invalid",
        ],
        [
            str(leads),
            "6",
            "用地面积(亩)",
            "数值应不小于 0 / must not be negative",
            "invalid",
        ],
    ]
    lines = result.stderr.splitlines()
    assert (
        f"{leads}:4: 总投资(亿元): 无法识别的数值 'abc' / not a number [无效 / invalid]"
        in lines
    )
    assert (
        f"every invalid and skipped row: {tmp_path / 'results.errors.csv'}" in lines[-2]
    )


def test_a_clean_run_still_writes_the_companion_so_none_is_stale(
    leads: Path, tmp_path: Path
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(HEADER + ROWS[0] + "\n", encoding="utf-8")
    stale = tmp_path / "r.errors.csv"
    stale.write_text("source,row\nold,1\n", encoding="utf-8")
    invoke(
        [
            "batch",
            str(good),
            "--rules",
            "starter",
            "--jobs",
            "1",
            "-o",
            str(tmp_path / "r.jsonl"),
        ]
    )
    assert _companion(stale) == [["source", "row", "column", "reason", "kind"]]


def _skipping(read_rows: Any) -> Any:
    """read_rows whose row 3 is a totals row (as the readers mark 合计 rows)."""

    def read(*args: Any, **kwargs: Any) -> Any:
        stream = read_rows(*args, **kwargs)
        rows = stream._rows
        stream._rows = (
            r._replace(data=None, skip="合计行 / a totals row") if r.number == 3 else r
            for r in rows
        )
        return stream

    return read


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_skipped_rows_are_counted_reported_and_never_screened(
    leads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    import screening.batch_output as batch_output

    monkeypatch.setattr(batch_output, "read_rows", _skipping(batch_output.read_rows))
    out, book = tmp_path / "r.jsonl", tmp_path / "r.xlsx"
    result = invoke(
        [
            "batch",
            str(leads),
            "--rules",
            "starter",
            "--jobs",
            jobs,
            "--as-of",
            "2025-01-01",
            "-o",
            str(out),
            "-o",
            str(book),
        ]
    )
    assert result.stderr.splitlines()[-1] == (
        "共 5 行：筛查 2 行（通过 1，复核 0，否决 1），无效 2 行，跳过 1 行 / "
        "5 rows: 2 screened, 2 invalid, 1 skipped"
    )
    assert [r["project"]["id"] for r in _jsonl(out)] == ["L1", "L4"]
    assert [(row[1], row[4]) for row in _companion(tmp_path / "r.errors.csv")[1:]] == [
        ("3", "skipped"),
        ("4", "invalid"),
        ("6", "invalid"),
    ]
    assert [(row[1], row[3], row[4]) for row in _error_rows(book)] == [
        (3, "合计行 / a totals row", "跳过"),
        (4, "无法识别的数值 'abc' / not a number", "无效"),
        (6, "数值应不小于 0 / must not be negative", "无效"),
    ]
    ruleset = dict(
        openpyxl.load_workbook(book)["规则集"].iter_rows(min_row=2, values_only=True)
    )
    assert (
        ruleset["总行数"],
        ruleset["已评估"],
        ruleset["无效行"],
        ruleset["跳过的行"],
    ) == (5, 2, 2, 1)


def test_company_reaches_the_xlsx_summary_and_the_csv(
    leads: Path, tmp_path: Path
) -> None:
    invoke(
        [
            "batch",
            str(leads),
            "--rules",
            "starter",
            "--jobs",
            "1",
            "-o",
            str(tmp_path / "r.xlsx"),
            "-o",
            str(tmp_path / "r.csv"),
        ]
    )
    summary = list(
        openpyxl.load_workbook(tmp_path / "r.xlsx")["汇总"].iter_rows(values_only=True)
    )
    assert summary[0][2] == "企业名称" and [row[2] for row in summary[1:]] == [
        "某新能源公司",
        "某化工公司",
        "某公司",
    ]
    csv_rows = _companion(tmp_path / "r.csv")
    assert csv_rows[0][2] == "company" and [row[2] for row in csv_rows[1:]] == [
        "某新能源公司",
        "某化工公司",
        "某公司",
    ]


def test_a_ruleset_file_is_labelled_with_its_path_in_the_workbook(
    leads: Path, tmp_path: Path
) -> None:
    rules = tmp_path / "my-rules.yaml"
    rules.write_text(
        (Path("rules") / "starter.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    invoke(
        [
            "batch",
            str(leads),
            "--rules",
            str(rules),
            "--jobs",
            "1",
            "-o",
            str(tmp_path / "r.xlsx"),
        ]
    )
    ruleset = dict(
        openpyxl.load_workbook(tmp_path / "r.xlsx")["规则集"].iter_rows(
            min_row=2, values_only=True
        )
    )
    assert ruleset["规则集文件"] == str(rules)


# ---- no single row can stop a batch ------------------------------------------------


def test_an_area_of_1e_310_is_one_invalid_row_in_every_output(tmp_path: Path) -> None:
    # 45000 万元 / 1e-310 亩 is an exact 4.5e314: JSON holds it, no Excel cell can (its
    # numbers are doubles, at most 9.99999999999999E+307), so the row is refused in all
    source = tmp_path / "in.csv"
    source.write_text(
        HEADER + ROWS[0].replace(",150,", ",1e-310,") + "\n" + ROWS[1] + "\n",
        encoding="utf-8",
    )
    outs = [tmp_path / f"r.{ext}" for ext in ("jsonl", "csv", "xlsx", "html")]
    result = invoke(
        [
            "batch",
            str(source),
            "--rules",
            "starter",
            "--jobs",
            "1",
            *[a for o in outs for a in ("-o", str(o))],
        ]
    )
    assert "2 rows: 1 screened, 1 invalid, 0 skipped" in result.stderr
    assert [r["project"]["id"] for r in _jsonl(outs[0])] == ["L2"]
    assert [row[0] for row in _companion(outs[1])[1:]] == ["L2"]
    [error] = _error_rows(outs[2])
    assert error[1] == 2 and "超出 Excel 单元格可表示的范围" in error[3]
    assert (
        "年产2万吨磷酸铁锂"
        not in outs[3].read_text(encoding="utf-8").split('id="errors"')[0]
    )


def test_an_engine_error_or_any_failure_is_that_rows_alone(
    leads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from screening.errors import EngineError
    from screening.screener import Screener

    original = Screener.screen_values

    def flaky(self: Any, values: Any) -> Any:
        if values.get("id") == "L1":
            raise EngineError("durable.engine.MessageNotHandledException: {'sid': 0}")
        if values.get("id") == "L4":
            raise KeyError("internal detail")
        return original(self, values)

    monkeypatch.setattr(Screener, "screen_values", flaky)
    out = tmp_path / "r.jsonl"
    invoke(["batch", str(leads), "--rules", "starter", "--jobs", "1", "-o", str(out)])
    assert [r["project"]["id"] for r in _jsonl(out)] == ["L2"]
    reasons = {row[1]: row[3] for row in _companion(tmp_path / "r.errors.csv")[1:]}
    assert (
        reasons["2"] == "推理引擎未能筛查此行 / the inference engine failed on this row"
    )
    assert (
        reasons["5"]
        == "此行无法筛查（内部错误）/ this row could not be screened (internal error)"
    )


def test_a_row_that_kills_its_worker_is_found_and_the_rest_screened(
    tmp_path: Path,
) -> None:
    hook = crash_hook(tmp_path, "screen_values", "values", "values.get('id') == 'L2'")
    source = tmp_path / "in.csv"
    source.write_text(
        HEADER + "\n".join([ROWS[0], ROWS[1], ROWS[3]] * 2) + "\n", encoding="utf-8"
    )
    out = tmp_path / "r.jsonl"
    env = {
        **os.environ,
        "PYTHONPATH": f"{hook}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "screening",
            "batch",
            str(source),
            "--rules",
            "starter",
            "--jobs",
            "2",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert [r["project"]["id"] for r in _jsonl(out)] == ["L1", "L4"] * 2
    assert [(row[1], row[3]) for row in _companion(tmp_path / "r.errors.csv")[1:]] == [
        (str(n), "筛查进程处理此行时意外退出 / the screening process died on this row")
        for n in (3, 6)
    ]


# ---- outputs never destroy anything ------------------------------------------------


def _same_file_ways(leads: Path, tmp_path: Path) -> list[tuple[str, str]]:
    os.symlink(leads, tmp_path / "link.csv")
    os.link(leads, tmp_path / "hard.csv")
    return [
        ("same path", str(leads)),
        ("another path", str(tmp_path / "." / ".." / tmp_path.name / leads.name)),
        ("symlink", str(tmp_path / "link.csv")),
        ("hard link", str(tmp_path / "hard.csv")),
    ]


def test_an_output_that_is_the_input_is_refused_before_anything_is_read(
    leads: Path, tmp_path: Path
) -> None:
    before = leads.read_bytes()
    for way, output in _same_file_ways(leads, tmp_path):
        # --rules names no rule set: the refusal comes before anything is loaded or read
        result = invoke(["batch", str(leads), "--rules", "nope", "-o", output], code=2)
        assert (
            "the output is an input file; refusing to overwrite it" in result.stderr
        ), way
        assert leads.read_bytes() == before, way
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "hard.csv",
        "leads.csv",
        "link.csv",
    ]


def test_an_output_that_is_a_file_inside_an_input_folder_is_refused(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "projects"
    folder.mkdir()
    (folder / "a.json").write_text('{"id": "a"}', encoding="utf-8")
    os.link(folder / "a.json", tmp_path / "out.jsonl")
    result = invoke(
        ["batch", str(folder), "--rules", "starter", "-o", str(tmp_path / "out.jsonl")],
        code=2,
    )
    assert "refusing to overwrite" in result.stderr
    assert (folder / "a.json").read_text(encoding="utf-8") == '{"id": "a"}'


def test_the_columns_file_and_the_companion_are_inputs_too(
    leads: Path, tmp_path: Path
) -> None:
    columns = tmp_path / "cols.csv"
    columns.write_text("项目代号,id\n", encoding="utf-8")
    result = invoke(
        [
            "batch",
            str(leads),
            "--rules",
            "starter",
            "--columns",
            str(columns),
            "-o",
            str(columns),
        ],
        code=2,
    )
    assert "refusing to overwrite" in result.stderr
    # results.jsonl's companion is results.errors.csv: an input of that name is kept
    errors_named = tmp_path / "results.errors.csv"
    errors_named.write_bytes(leads.read_bytes())
    result = invoke(
        [
            "batch",
            str(errors_named),
            "--rules",
            "starter",
            "-o",
            str(tmp_path / "results.jsonl"),
        ],
        code=2,
    )
    assert (
        "refusing to overwrite" in result.stderr
        and errors_named.read_bytes() == leads.read_bytes()
    )


def _one_line(result: Any, *words: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert all(word in lines[0] for word in words), lines[0]


def test_an_output_that_cannot_be_written_is_one_clear_line_before_the_run(
    leads: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-folder" / "r.xlsx"
    _one_line(
        invoke(["batch", str(leads), "--rules", "starter", "-o", str(missing)], code=2),
        str(missing),
        "does not exist",
    )
    folder = tmp_path / "a-folder.xlsx"
    folder.mkdir()
    _one_line(
        invoke(["batch", str(leads), "--rules", "starter", "-o", str(folder)], code=2),
        "is a folder",
    )


def _run_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.mark.skipif(not _run_as_root(), reason="chattr and mount need root")
def test_no_permission_and_a_read_only_file_system(leads: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    if (
        subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode
        != 0
    ):
        pytest.skip("chattr +i is not supported here")
    try:  # immutable: not even root may create a file in it
        _one_line(
            invoke(
                [
                    "batch",
                    str(leads),
                    "--rules",
                    "starter",
                    "-o",
                    str(locked / "r.csv"),
                ],
                code=2,
            ),
            str(locked / "r.csv"),
            "cannot write",
        )
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)
    with _tmpfs(tmp_path / "ro", "size=1m,ro") as read_only:
        _one_line(
            invoke(
                [
                    "batch",
                    str(leads),
                    "--rules",
                    "starter",
                    "-o",
                    str(read_only / "r.csv"),
                ],
                code=2,
            ),
            str(read_only / "r.csv"),
            "Read-only file system",
        )


@contextlib.contextmanager
def _tmpfs(where: Path, options: str) -> Any:
    where.mkdir()
    if (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
            capture_output=True,
        ).returncode
        != 0
    ):
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@pytest.mark.skipif(not _run_as_root(), reason="mount needs root")
@pytest.mark.parametrize("ext", ["jsonl", "xlsx", "csv"])
def test_a_full_disk_is_one_clear_line_and_leaves_nothing(
    tmp_path: Path, ext: str
) -> None:
    source = tmp_path / "many.csv"
    source.write_text(
        HEADER + "\n".join(ROWS[0].replace("L1", f"L{i}") for i in range(2000)) + "\n",
        encoding="utf-8",
    )
    with _tmpfs(tmp_path / "small", "size=256k") as small:
        result = invoke(
            [
                "batch",
                str(source),
                "--rules",
                "starter",
                "--jobs",
                "1",
                "-o",
                str(small / f"r.{ext}"),
            ],
            code=2,
        )
        assert (
            "No space left on device" in result.stderr
            and str(small / f"r.{ext}") in result.stderr
        )
        assert "Traceback" not in result.stderr
        assert list(small.iterdir()) == []  # no output, no temporary file, no lock


def test_a_second_batch_on_the_same_output_refuses_naming_the_first(
    leads: Path, tmp_path: Path
) -> None:
    from screening.io.guard import OutputLocks

    out = tmp_path / "r.xlsx"
    out.write_bytes(b"the first run's report")
    with OutputLocks([out]):  # as a run in progress holds it
        result = invoke(
            ["batch", str(leads), "--rules", "starter", "-o", str(out)], code=2
        )
    assert (
        f"another batch (pid {os.getpid()}) is writing this output" in result.stderr
        and str(out) in result.stderr
    )
    assert out.read_bytes() == b"the first run's report"
    invoke(
        ["batch", str(leads), "--rules", "starter", "--jobs", "1", "-o", str(out)]
    )  # free again
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "leads.csv",
        "r.errors.csv",
        "r.xlsx",
    ]


def test_stale_locks_of_killed_runs_go_and_held_ones_stay(tmp_path: Path) -> None:
    from screening.io.guard import OutputLocks, lock_path, remove_stale_locks

    held, stale = tmp_path / "held.xlsx", tmp_path / "stale.xlsx"
    lock_path(stale).write_text("12345\n", encoding="utf-8")  # a SIGKILLed run's
    with OutputLocks([held]):
        assert remove_stale_locks(tmp_path) == [lock_path(stale)]
        assert lock_path(held).exists()
    assert list(tmp_path.iterdir()) == []


def test_max_rows_bounds_the_input_and_raises_excels_limit(
    leads: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r.jsonl"
    result = invoke(
        ["batch", str(leads), "--rules", "starter", "--jobs", "1"]
        + ["--max-rows", "4", "-o", str(out)],
        code=2,
    )
    assert f"{leads}: [INP] 超过 4 行（本次读取的上限），请拆分文件" in result.stderr
    assert "Traceback" not in result.stderr
    # nothing written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.csv"]
    # a header and five data rows: within a bound of six (rows as Excel counts them,
    # the header too), and within Excel's by default
    for bound in (["--max-rows", "6"], []):
        result = invoke(
            ["batch", str(leads), "--rules", "starter", "--jobs", "1", *bound]
            + ["-o", str(out)]
        )
        lines = _jsonl(out)
        assert [line["project"]["id"] for line in lines] == ["L1", "L2", "L4"]
        assert "5" in result.stderr.splitlines()[-1]  # the closing line counts 5 rows


def test_register_import_takes_max_rows_too(leads: Path, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    result = invoke(
        ["register", "import", str(leads), "--rules", "starter", "--jobs", "1"]
        + ["--max-rows", "2", "--db", str(db)],
        code=2,
    )
    assert "超过 2 行（本次读取的上限）" in result.stderr
    invoke(
        ["register", "import", str(leads), "--rules", "starter", "--jobs", "1"]
        + ["--max-rows", "6", "--db", str(db)]
    )


@pytest.mark.parametrize(
    "output",
    ["projects/new.csv", "projects/sub/new.csv", "projects/../projects/new.csv"],
)
def test_an_output_inside_an_input_folder_is_refused_even_before_it_exists(
    tmp_path: Path, output: str
) -> None:
    folder = tmp_path / "projects"
    folder.mkdir()
    (folder / "a.json").write_text('{"id": "a"}', encoding="utf-8")
    os.symlink(folder, tmp_path / "linked")
    for way in (output, output.replace("projects/", "linked/", 1)):
        # --rules names no rule set: the refusal comes before anything is loaded or read
        result = invoke(
            ["batch", str(folder), "--rules", "nope", "-o", str(tmp_path / way)],
            code=2,
        )
        assert result.stderr.strip().splitlines() == [
            f"[OUT] {tmp_path / way}: 输出文件位于输入文件夹 {folder} 内，拒绝写入 / "
            "the output is inside the input folder; refusing to write it there"
        ], way
    assert sorted(p.name for p in folder.iterdir()) == ["a.json"]  # nor a companion


def test_any_output_inside_an_input_folder_refuses_the_run_and_writes_nothing(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "projects"
    folder.mkdir()
    (folder / "a.json").write_text('{"id": "a"}', encoding="utf-8")
    outside = tmp_path / "out.csv"
    result = invoke(
        [
            "batch",
            str(folder),
            "--rules",
            "starter",
            "-o",
            str(outside),
            "-o",
            str(folder / "report.html"),
        ],
        code=2,
    )
    assert "the output is inside the input folder" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["projects"]
    assert sorted(p.name for p in folder.iterdir()) == ["a.json"]


def test_full_width_and_lower_case_industry_codes_read_as_the_figures_do(
    tmp_path: Path,
) -> None:
    source = tmp_path / "leads.csv"
    rows = [
        "W1,全角代码,甲公司,Ｃ２６１３,２．４,4500,18,8000,400,1200,否,允许类",
        "W2,小写代码,乙公司,c2613,2.4,4500,18,8000,400,1200,否,允许类",
        "W3,全角小写带空格,丙公司,ｃ２６　１３,2.4,4500,18,8000,400,1200,否,允许类",
    ]
    source.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "r.jsonl"
    result = invoke(["batch", str(source), "--rules", "starter", "-o", str(out)])
    assert "筛查 3 行" in result.stderr and "无效 0 行" in result.stderr, result.stderr
    assert [r["project"]["id"] for r in _jsonl(out)] == ["W1", "W2", "W3"]
    from screening.model.project import Project

    for code in ("Ｃ２６１３", "c2613", "ｃ２６　１３", "２６１３"):
        assert Project.model_validate({"industry": code}).industry == "C2613", code
