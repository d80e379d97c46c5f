"""docs/extending.md's two worked examples, made exactly as the page shows them.

The package is copied, the page's `warn.py` is added as a new file and its `abs`
entry appended to the copy's builtins.py — nothing else is edited — and projects are
screened with the copy in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import screening

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "extending.md"

RULES = """\
id: example-extending
title: {zh: 扩展示例, en: extending example}
version: "1"
effective: {from: 2024-01-01}
basis: 示例（非政策）/ an example, not policy
parameters:
  pass_mark: {value: 60, title: 通过线, basis: 示例（非政策）}
  review_band: {value: 10, title: 复核区间, basis: 示例（非政策）}
rules:
%s
  - id: land.plot_ratio_near
    group: land
    kind: gate
    title: {zh: 容积率接近 1.5, en: plot ratio near 1.5}
    require: abs(land.plot_ratio - 1.5) <= 0.3
    basis: 示例（非政策）/ an example, not policy
"""


def _doc_blocks(language: str) -> list[str]:
    return re.findall(
        rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S
    )


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package with the page's two changes and nothing else."""
    root = tmp_path_factory.mktemp("extended")
    package = Path(screening.__file__).parent
    shutil.copytree(
        package, root / "screening", ignore=shutil.ignore_patterns("__pycache__")
    )
    blocks = {block.splitlines()[0]: block for block in _doc_blocks("python")}
    kind = blocks.pop("# screening/kinds/warn.py")
    (root / "screening" / "kinds" / "warn.py").write_text(kind, encoding="utf-8")
    (function,) = blocks.values()
    assert function.startswith("# appended to screening/expr/builtins.py")
    with (root / "screening" / "expr" / "builtins.py").open(
        "a", encoding="utf-8"
    ) as out:
        out.write("\n" + function)
    (rule,) = (block for block in _doc_blocks("yaml") if "kind: warn" in block)
    rules = RULES % rule.split("rules:\n", 1)[1].rstrip("\n")
    (root / "rules.yaml").write_text(rules, encoding="utf-8")
    return root


def _run(root: Path, *args: str, project: str) -> subprocess.CompletedProcess[str]:
    (root / "project.yaml").write_text(project, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "screening", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _screen(root: Path, project: str, *extra: str) -> dict:
    done = _run(
        root,
        "screen",
        "project.yaml",
        "--rules",
        "rules.yaml",
        "--format",
        "json",
        *extra,
        project=project,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_new_kind_warns_without_changing_the_decision(extended: Path) -> None:
    result = _screen(
        extended,
        "id: x1\nname: 示例\nland: {area_mu: 100, plot_ratio: 1.3}\n"
        "output: {rd_share: 1%}\n",
    )
    warn, near = result["findings"]
    assert result["decision"] == "pass"
    assert (warn["kind"], warn["status"]) == ("warn", "fail")
    assert warn["remedy"] == "研发投入占营业收入比重需不低于 3%"
    assert (near["status"], near["actual"], near["threshold"]) == ("pass", 0.2, 0.3)


def test_the_new_kind_has_its_own_words_in_both_languages(extended: Path) -> None:
    project = "id: x1\nname: 示例\nland: {plot_ratio: 1.5}\noutput: {rd_share: 1%}\n"
    zh = _run(
        extended,
        "screen",
        "project.yaml",
        "--rules",
        "rules.yaml",
        "--format",
        "markdown",
        project=project,
    )
    en = _run(
        extended,
        "screen",
        "project.yaml",
        "--rules",
        "rules.yaml",
        "--format",
        "markdown",
        "--lang",
        "en",
        project=project,
    )
    assert zh.returncode == en.returncode == 0, zh.stderr + en.stderr
    assert "| 预警 | 预警 |" in zh.stdout.replace("  ", " ")
    assert "warning" in en.stdout


def test_the_new_function_is_exact_and_decides(extended: Path) -> None:
    # |1.81 - 1.5| = 0.31 > 0.3 by exact arithmetic, however close
    result = _screen(
        extended,
        "id: x2\nname: 示例\nland: {plot_ratio: 1.81}\noutput: {rd_share: 3%}\n",
    )
    warn, near = result["findings"]
    assert (warn["status"], near["status"], result["decision"]) == (
        "pass",
        "fail",
        "reject",
    )
    assert near["actual"] == 0.31


def test_the_new_function_is_type_checked_at_its_line(extended: Path) -> None:
    rules = (extended / "rules.yaml").read_text(encoding="utf-8")
    (extended / "bad.yaml").write_text(
        rules.replace("abs(land.plot_ratio - 1.5)", 'abs("C26")'), encoding="utf-8"
    )
    done = _run(extended, "validate", "bad.yaml", project="")
    assert done.returncode == 2
    line = next(i for i, text in enumerate(rules.splitlines(), 1) if "abs(" in text)
    assert f"bad.yaml:{line}:" in done.stdout + done.stderr


def test_without_the_changes_neither_exists(tmp_path: Path) -> None:
    # the page's examples are not shipped: the same rule set is refused by the package
    rule = next(block for block in _doc_blocks("yaml") if "kind: warn" in block)
    (tmp_path / "rules.yaml").write_text(
        RULES % rule.split("rules:\n", 1)[1].rstrip("\n"), encoding="utf-8"
    )
    assert "'warn'" in _refusal(tmp_path)  # an unknown kind, named
    (tmp_path / "rules.yaml").write_text(RULES % "", encoding="utf-8")
    assert "未知的函数 'abs'" in _refusal(tmp_path)


def _refusal(folder: Path) -> str:
    """What the installed package's `validate` says of folder/rules.yaml (refused)."""
    done = subprocess.run(
        [sys.executable, "-m", "screening", "validate", "rules.yaml"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    return done.stdout + done.stderr
