"""`screening screen` and `screening rules` through click's CliRunner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from screening.cli import main
from tests.conftest import ROOT

CASE = "cases/starter/fine-chemical-exact-threshold.yaml"


def invoke(args: list[str], code: int = 0) -> Result:
    """Run the CLI and check its exit code, showing stderr when it differs."""
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def test_screen_json_contract_keys_and_stability() -> None:
    first = invoke(
        [
            "screen",
            CASE,
            "--rules",
            "starter",
            "--format",
            "json",
            "--as-of",
            "2025-01-01",
        ]
    ).stdout
    second = invoke(
        [
            "screen",
            CASE,
            "--rules",
            "starter",
            "--format",
            "json",
            "--as-of",
            "2025-01-01",
        ]
    ).stdout
    assert first == second  # byte-identical
    data = json.loads(first)
    assert list(data) == [
        "project",
        "ruleset",
        "as_of",
        "decision",
        "score",
        "vetoed_by",
        "missing",
        "findings",
        "summary",
    ]
    assert list(data["ruleset"]) == ["id", "version", "sha256", "path"]
    assert data["ruleset"]["path"] is None  # a shipped id
    assert list(data["findings"][0]) == [
        "rule",
        "group",
        "kind",
        "status",
        "actual",
        "threshold",
        "unit",
        "points",
        "max_points",
        "message",
        "basis",
        "remedy",
    ]
    assert data["decision"] == "review" and data["as_of"] == "2025-01-01"


def test_ruleset_from_the_case_file_when_rules_is_omitted() -> None:
    out = invoke(["screen", CASE, "--format", "json", "--as-of", "2025-01-01"]).stdout
    assert json.loads(out)["ruleset"]["id"] == "starter"


def test_several_projects_give_a_json_list_and_text_tables() -> None:
    data = json.loads(
        invoke(
            ["screen", "cases/starter", "--format", "json", "--as-of", "2025-01-01"]
        ).stdout
    )
    assert [d["project"]["id"] for d in data][:2] == [
        "st-002",
        "st-001",
    ]  # files in name order
    text = invoke(["screen", "cases/starter", "--as-of", "2025-01-01"]).stdout
    assert "结论：复核" in text and "结论：通过" in text
    english = invoke(["screen", CASE, "--lang", "en", "--as-of", "2025-01-01"]).stdout
    assert "Decision: review" in english


def test_markdown_output() -> None:
    out = invoke(
        ["screen", CASE, "--format", "markdown", "--as-of", "2025-01-01"]
    ).stdout
    assert out.startswith("## 年产5万吨电子级化学品项目（st-002）")
    assert "| 投资强度<br>`investment.intensity` | 硬性门槛 | 通过 |" in out


def test_bad_input_exits_2_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nland:\n  area_mu: -3\n", encoding="utf-8")
    result = invoke(["screen", str(bad), "--rules", "starter"], code=2)
    assert result.stderr.startswith(f"{bad}:3:12: [PRJ] 数值应不小于 0")
    assert result.stdout == ""
    result = invoke(["screen", CASE, "--rules", "no-such"], code=2)
    assert "找不到规则集 'no-such'" in result.stderr
    result = invoke(["screen", CASE, "--as-of", "2020-01-01"], code=2)
    assert "不在有效期内" in result.stderr


def test_rules_lists_shipped_ids_first_on_each_line() -> None:
    lines = invoke(["rules"]).stdout.splitlines()
    ids = [line.split("\t")[0] for line in lines]
    assert "starter" in ids and ids == sorted(ids)


def test_python_dash_m_works_like_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "screening", "rules"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0 and "starter" in result.stdout


# `run` as the console script calls it, reporting the collector and pydantic's
# documented plugin switch as they are when the command's own code runs (and for
# `screen`, the bytes it wrote before `os._exit`)
_RUN_AND_REPORT = """
import gc, os, sys
from screening import cli
for name in ("rules", "screen"):
    command = cli.main.commands[name]
    def probe(*args, _body=command.callback, **kwargs):
        print(f"collector enabled: {gc.isenabled()}", file=sys.stderr)
        switch = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
        print(f"plugins: {switch!r}", file=sys.stderr)
        return _body(*args, **kwargs)
    command.callback = probe
sys.argv = ["screening", *sys.argv[1:]]
cli.run()
"""


@pytest.mark.parametrize(
    ("args", "enabled"),
    [(["rules"], True), (["screen", CASE, "--lang", "en"], False)],
)
def test_run_pauses_the_collector_for_screen_only_and_screen_writes_the_same(
    args: list[str], enabled: bool
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _RUN_AND_REPORT, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert f"collector enabled: {enabled}" in result.stderr
    assert result.stdout == invoke(args).stdout  # as in-process, collector on


def _fake_shipped(tmp_path: Path, monkeypatch) -> Path:
    """A rules folder whose parks/fake.yaml says it is `starter`, which it is not."""
    rules = tmp_path / "rules"
    (rules / "parks").mkdir(parents=True)
    fake = rules / "parks" / "fake.yaml"
    fake.write_text(
        (ROOT / "rules/starter.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.setenv("SCREENING_RULES", str(rules))
    return fake


@pytest.mark.parametrize("by", ["id", "path"])
@pytest.mark.parametrize("command", ["screen", "batch", "test", "diff"])
def test_a_rule_set_whose_id_is_not_its_path_is_refused_by_every_command(
    tmp_path: Path, monkeypatch, command: str, by: str
) -> None:
    fake = _fake_shipped(tmp_path, monkeypatch)
    ref = "parks/fake" if by == "id" else str(fake)
    args = {
        "screen": ["screen", CASE, "--rules", ref],
        "batch": [
            "batch",
            "cases/starter",
            "--rules",
            ref,
            "-o",
            str(tmp_path / "out.jsonl"),
        ],
        "test": ["test", CASE, "--rules", ref],
        "diff": ["diff", "starter", ref, CASE],
    }[command]
    result = invoke(args, code=2)
    assert "规则集 id 'starter' 与文件位置不符，应为 'parks/fake'" in result.stderr
    assert f"{fake}:4:5: [VAL]" in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_a_rule_set_from_a_file_is_labelled_with_its_path_in_every_format(
    tmp_path: Path,
) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        (ROOT / "rules/starter.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    base = ["screen", CASE, "--rules", str(mine), "--as-of", "2025-01-01"]
    data = json.loads(invoke(base + ["--format", "json"]).stdout)
    assert data["ruleset"]["id"] == "starter" and data["ruleset"]["path"] == str(mine)
    sha = data["ruleset"]["sha256"]
    text = invoke(base).stdout
    assert (
        f"starter v{data['ruleset']['version']} · {sha[:12]} · 文件 {mine}"
        in text.replace("\n", "")
    )
    assert f"文件 `{mine}`" in invoke(base + ["--format", "markdown"]).stdout
    assert f"{mine}" in invoke(base + ["--format", "html"]).stdout
    shipped = invoke(
        ["screen", CASE, "--rules", "starter", "--as-of", "2025-01-01"]
    ).stdout
    assert "文件" not in shipped.splitlines()[1]


def test_rules_show_prints_the_sha256_the_reports_carry() -> None:
    # both as of today (the default): the digest covers the date rules were selected for
    shown = invoke(["rules", "show", "starter"]).stdout
    reported = json.loads(invoke(["screen", CASE, "--format", "json"]).stdout)[
        "ruleset"
    ]["sha256"]
    assert f"  sha256: {reported}" in shown.splitlines()
    as_of = json.loads(
        invoke(
            ["rules", "show", "starter", "--as-of", "2025-01-01", "--format", "json"]
        ).stdout
    )
    assert (
        as_of["sha256"]
        == json.loads(
            invoke(["screen", CASE, "--format", "json", "--as-of", "2025-01-01"]).stdout
        )["ruleset"]["sha256"]
    )


@pytest.mark.parametrize("name", ["leads.xlsx", "leads.csv", "leads.jsonl"])
def test_screen_points_a_spreadsheet_at_batch(tmp_path: Path, name: str) -> None:
    sheet = tmp_path / name
    sheet.write_bytes(b"PK\x03\x04 not yaml \xff")
    result = invoke(["screen", str(sheet), "--rules", "starter"], code=2)
    assert result.stderr.startswith(
        f"{sheet}: [PRJ] 这是表格或 JSONL 文件，请用 `screening batch` 批量筛查"
    )
    assert "UTF-8" not in result.stderr


def test_a_relative_ruleset_in_a_case_is_read_from_the_case_folder(
    tmp_path: Path,
) -> None:
    (tmp_path / "rules-here.yaml").write_text(
        (ROOT / "rules/starter.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    folder = tmp_path / "cases"
    folder.mkdir()
    case = folder / "case.yaml"
    case.write_text(
        (ROOT / CASE)
        .read_text(encoding="utf-8")
        .replace("ruleset: starter", "ruleset: ../rules-here.yaml"),
        encoding="utf-8",
    )
    data = json.loads(
        invoke(
            ["screen", str(case), "--format", "json", "--as-of", "2025-01-01"]
        ).stdout
    )
    assert data["ruleset"]["path"] == str(tmp_path / "rules-here.yaml")
    assert (
        invoke(["test", str(case), "--as-of", "2025-01-01"]).stdout.splitlines()[-1]
        == "1 passed, 0 failed"
    )


@pytest.mark.parametrize("command", ["screen", "test"])
def test_a_case_whose_ruleset_is_refused_names_the_case_file_and_line(
    tmp_path: Path, command: str
) -> None:
    case = tmp_path / "case.yaml"
    text = (ROOT / CASE).read_text(encoding="utf-8")
    case.write_text(
        text.replace("ruleset: starter", "ruleset: startr"), encoding="utf-8"
    )
    line = next(
        i for i, row in enumerate(text.splitlines(), 1) if row.startswith("ruleset:")
    )
    result = invoke([command, str(case)], code=2)
    assert result.stderr.startswith(
        f"{case}:{line}:10: [RUL] ruleset: 找不到规则集 'startr'（是否想写 starter？"
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "id: broken\ntitle: b\nversion: '1'\nrulez: []\n", encoding="utf-8"
    )
    case.write_text(
        text.replace("ruleset: starter", "ruleset: broken.yaml"), encoding="utf-8"
    )
    lines = invoke([command, str(case)], code=2).stderr.splitlines()
    assert lines[0].startswith(
        f"{case}:{line}:10: [CAS] ruleset: 规则集 '{broken}' 无法加载"
    )
    assert lines[1].startswith(f"{broken}:4:1: [RUL] 未知的键 'rulez'")


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_vetoes_and_data_to_obtain_are_shown_by_title(fmt: str) -> None:
    veto, missing = (
        "cases/starter/red-line-veto.yaml",
        "cases/starter/missing-land-review.yaml",
    )
    out = invoke(
        ["screen", veto, missing, "--format", fmt, "--as-of", "2025-01-01"]
    ).stdout
    assert (
        "用地面积" in out and "land.area_mu" not in out
    )  # a field by its title, never its path
    assert "生态保护红线" in out
    if fmt == "text":
        assert (
            "一票否决：生态保护红线 (environment.red_line)" in out
        )  # the id as secondary text
        assert "须补充数据：用地面积" in out
    if fmt == "markdown":
        assert "- **一票否决**: 生态保护红线 (`environment.red_line`)" in out
        assert "- **须补充数据**: 用地面积" in out
    if fmt == "html":
        assert '生态保护红线<span class="id">environment.red_line</span>' in out
        assert '<h4>须补充的数据</h4>\n    <p style="margin: 0">用地面积</p>' in out


def test_english_output_is_english_units_included() -> None:
    out = invoke(["screen", CASE, "--lang", "en", "--as-of", "2025-01-01"]).stdout
    assert "10k CNY/mu" in out and "万元" not in out and "亩" not in out
    html = invoke(
        ["screen", CASE, "--lang", "en", "--format", "html", "--as-of", "2025-01-01"]
    ).stdout
    assert "at least 250 ×10k CNY/mu" in html and "Joint committee review" in html


def test_screen_html_to_a_file_never_over_an_input(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text((ROOT / CASE).read_text(encoding="utf-8"), encoding="utf-8")
    sheet = tmp_path / "sheet.html"
    assert (
        invoke(["screen", str(case), "--format", "html", "-o", str(sheet)]).stdout == ""
    )
    assert sheet.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    before = case.read_bytes()
    result = invoke(["screen", str(case), "--format", "html", "-o", str(case)], code=2)
    assert "输出文件就是输入文件" in result.stderr and case.read_bytes() == before
    result = invoke(
        ["screen", str(case), "-o", str(tmp_path / "no-such-folder" / "x.html")], code=2
    )
    assert "无法写入" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_square_brackets_in_titles_and_messages_are_printed_whole(
    tmp_path: Path, lang: str
) -> None:
    # rich reads `[see art. 5]` as console markup unless told not to: it would vanish
    rules = (ROOT / "rules/starter.yaml").read_text(encoding="utf-8")
    title = "title: {zh: 生态保护红线, en: ecological protection red line}"
    message = "message: {zh: 项目选址位于生态保护红线内，"
    assert title in rules and message in rules
    rules = rules.replace(
        title, 'title: {zh: "[见第5条]红线", en: "[see art. 5] red line"}'
    ).replace(
        message, "message: {zh: '[see art. 5] [bold]项目选址位于生态保护红线内'}\n#"
    )
    mine = tmp_path / "mine.yaml"
    mine.write_text(rules, encoding="utf-8")
    case = (ROOT / "cases/starter/red-line-veto.yaml").read_text(encoding="utf-8")
    case = case.replace("name: 滨海湿地旁", "name: '[b]'\n#")
    (tmp_path / "case.yaml").write_text(case, encoding="utf-8")
    out = invoke(
        ["screen", str(tmp_path / "case.yaml"), "--rules", str(mine)]
        + ["--as-of", "2025-01-01", "--lang", lang]
    ).stdout
    shown = "[见第5条]红线" if lang == "zh" else "[see art. 5] red line"
    assert f"{shown} (environment.red_line)" in out  # the vetoes line
    assert f"│{shown}" in out  # the table's rule column
    assert out.splitlines()[0].endswith("[b] (st-003)")  # the project's name
    assert "│ [see art. 5] [bold]项目选址" in out  # the message column (zh in both)
    assert (f"（{shown}）" if lang == "zh" else f"({shown})") in out  # the summary


@pytest.mark.parametrize(
    ("args", "given", "reported"),
    [
        (["screen", CASE], None, "plugins: '__all__'"),
        (["screen", CASE], "", "plugins: ''"),  # the user's own choice (all on)
        (["screen", CASE], "logfire", "plugins: 'logfire'"),
        (["rules"], None, "plugins: None"),
    ],
)
def test_screen_turns_pydantic_plugins_off_unless_the_user_chose(
    args: list[str], given: str | None, reported: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if given is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = given
    result = subprocess.run(
        [sys.executable, "-c", _RUN_AND_REPORT, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert reported in result.stderr


@pytest.mark.parametrize("command", ["screen", "batch", "test"])
def test_a_rule_set_validate_refuses_is_never_applied(
    tmp_path: Path, command: str
) -> None:
    # overlapping bands and a table cell missing: validate's errors, and until now
    # screen, batch and test used the rule set anyway (exit 0, a gate 不适用 passing)
    rules = tmp_path / "bad.yaml"
    rules.write_text(
        "id: bad\ntitle: 坏规则集\nversion: '1'\n"
        "tables:\n  by_group: {keys: [group], domain: {group: ['384']},"
        " values: {'385': 10}}\n"
        "rules:\n"
        "  - {id: t.gate, group: land_use, kind: gate,"
        " require: 'land.area_mu >= lookup(by_group, industry.group)'}\n"
        "  - id: s.bands\n    group: tax_yield\n    kind: score\n"
        "    value: output.annual_tax\n"
        "    bands: [{max: 100, points: 0}, {min: 50, points: 10}]\n",
        encoding="utf-8",
    )
    case = tmp_path / "case.yaml"
    case.write_text(
        f"ruleset: {rules}\nid: p1\nindustry: C3841\nland: {{area_mu: 50}}\n"
        "expect: {decision: pass}\n",
        encoding="utf-8",
    )
    args = {
        "screen": ["screen", str(case), "--rules", str(rules)],
        "batch": [
            "batch",
            str(case),
            "--rules",
            str(rules),
            "-o",
            str(tmp_path / "o.csv"),
        ],
        "test": ["test", str(case)],
    }[command]
    result = invoke(args, code=2)
    assert "[TBL]" in result.stderr and "[BND] 分档重叠" in result.stderr
    assert not (tmp_path / "o.csv").exists()
