"""Date options take a date as offices type one, and refuse what names no day."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_screen_cli import CASE, invoke


@pytest.mark.parametrize(
    "typed", ["2025-01-01", "2025/1/1", "2025.1.1", "2025年1月1日"]
)
def test_as_of_reads_a_date_as_typed(typed: str) -> None:
    result = invoke(["screen", CASE, "--rules", "starter", "--as-of", typed,
                     "--format", "json"])  # fmt: skip
    assert json.loads(result.stdout)["as_of"] == "2025-01-01"


@pytest.mark.parametrize("typed", ["2025-02-30", "2025/13/1", "明天", "20250101x"])
def test_a_date_that_is_none_is_refused(typed: str) -> None:
    result = invoke(["screen", CASE, "--rules", "starter", "--as-of", typed], code=2)
    assert "应为日期" in result.output and repr(typed) in result.output
