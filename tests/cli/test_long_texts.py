"""A text over its limit says the limit and its length, and the value is not repeated
whole: a project file, a batch row and the API (tests/web/test_api_refusals.py) alike."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_screen_cli import invoke

LIMIT = "应不超过 500 个字符（实为 3,000 个）/ at most 500 characters (got 3,000)"


def test_a_project_file_with_a_too_long_name_says_the_limit(tmp_path: Path) -> None:
    case = tmp_path / "long.yaml"
    case.write_text(
        json.dumps({"id": "p1", "name": "长" * 3000}, ensure_ascii=False),
        encoding="utf-8",
    )
    result = invoke(["screen", str(case), "--rules", "starter"], code=2)
    assert LIMIT in result.stderr
    assert "长" * 41 not in result.stderr


def test_a_batch_row_with_a_too_long_name_says_the_limit(tmp_path: Path) -> None:
    rows = tmp_path / "leads.jsonl"
    rows.write_text(
        json.dumps({"id": "p1", "name": "长" * 3000}, ensure_ascii=False)
        + "\n"
        + json.dumps({"id": "p2", "name": "短"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = invoke(["batch", str(rows), "--rules", "starter", "-o", str(out)])
    errors = (tmp_path / "out.errors.csv").read_text(encoding="utf-8-sig")
    assert LIMIT in errors and LIMIT in result.stderr
    assert "长" * 41 not in errors
    assert [
        json.loads(line)["project"]["id"] for line in out.read_text().splitlines()
    ] == ["p2"]
