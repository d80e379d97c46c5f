"""A project twice in one input is one lead, with the later row's figures, and the
batch says which rows held it."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.register import sink
from tests.cli.test_screen_cli import invoke

_HEADER = "项目编号,项目名称,企业名称,总投资(万元),固定资产投资(万元),用地面积(亩)\n"


def _batch(tmp_path: Path, rows: str) -> str:
    source = tmp_path / "leads.csv"
    source.write_text(_HEADER + rows, encoding="utf-8")
    result = invoke(["batch", str(source), "--rules", "starter", "--as-of", "2026-01-01",
                     "-o", str(tmp_path / "o.jsonl"), "--register", str(tmp_path / "r.db")])  # fmt: skip
    return result.stderr


def test_a_project_by_name_twice_is_named_with_both_rows(tmp_path: Path) -> None:
    said = _batch(
        tmp_path,
        ",甲项目,甲公司,30000,26000,100\n,乙项目,乙公司,12000,9000,60\n"
        ",甲项目,甲公司,30000,20000,100\n",
    )
    assert "leads.csv:4: 与第 2 行是同一项目（甲公司，甲项目）" in said
    assert "leads.csv:3:" not in said
    assert "新项目 2" in said


def test_a_project_by_id_twice_is_named_with_both_rows(tmp_path: Path) -> None:
    said = _batch(
        tmp_path,
        "p-1,甲项目,甲公司,30000,26000,100\np-1,甲项目二期,甲公司,30000,20000,100\n",
    )
    assert "leads.csv:3: 与第 2 行是同一项目（p-1，甲公司，甲项目二期）" in said


def test_different_projects_without_ids_are_no_repeat(tmp_path: Path) -> None:
    said = _batch(tmp_path, ",甲项目,甲公司,1,1,1\n,乙项目,甲公司,1,1,1\n")
    assert "同一项目" not in said


def test_past_the_shown_repeats_a_count_remains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sink, "REPEATS_SHOWN", 1)
    said = _batch(tmp_path, ",甲项目,甲公司,1,1,1\n" * 4)
    assert said.count("同一项目（") == 1
    assert "另有 2 行与前面的行是同一项目" in said
