"""`screening screen` and `screening rules` through click's CliRunner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    first = invoke(["screen", CASE, "--rules", "starter", "--format", "json", "--as-of", "2025-01-01"]).stdout
    second = invoke(["screen", CASE, "--rules", "starter", "--format", "json", "--as-of", "2025-01-01"]).stdout
    assert first == second  # byte-identical
    data = json.loads(first)
    assert list(data) == ["project", "ruleset", "as_of", "decision", "score", "vetoed_by", "missing", "findings", "summary"]
    assert list(data["ruleset"]) == ["id", "version", "sha256"]
    assert list(data["findings"][0]) == [
        "rule", "group", "kind", "status", "actual", "threshold", "unit", "points", "max_points", "message", "basis", "remedy",
    ]
    assert data["decision"] == "review" and data["as_of"] == "2025-01-01"


def test_ruleset_from_the_case_file_when_rules_is_omitted() -> None:
    out = invoke(["screen", CASE, "--format", "json", "--as-of", "2025-01-01"]).stdout
    assert json.loads(out)["ruleset"]["id"] == "starter"


def test_several_projects_give_a_json_list_and_text_tables() -> None:
    data = json.loads(invoke(["screen", "cases/starter", "--format", "json", "--as-of", "2025-01-01"]).stdout)
    assert [d["project"]["id"] for d in data][:2] == ["st-002", "st-001"]  # files in name order
    text = invoke(["screen", "cases/starter", "--as-of", "2025-01-01"]).stdout
    assert "结论：复核" in text and "结论：通过" in text
    english = invoke(["screen", CASE, "--lang", "en", "--as-of", "2025-01-01"]).stdout
    assert "Decision: review" in english


def test_markdown_output() -> None:
    out = invoke(["screen", CASE, "--format", "markdown", "--as-of", "2025-01-01"]).stdout
    assert out.startswith("## 年产5万吨电子级化学品项目（st-002）")
    assert "| `investment.intensity` | 硬性门槛 | 通过 |" in out


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
    result = subprocess.run([sys.executable, "-m", "screening", "rules"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and "starter" in result.stdout
