"""Text, JSON and Markdown outputs compared whole against reviewed golden files."""

from __future__ import annotations

import pytest

from tests.golden.regenerate import GOLDEN, ROOT, render


@pytest.mark.parametrize(("name", "args"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_output_matches_golden(name: str, args: list[str]) -> None:
    expected = (ROOT / "tests/golden/screen" / name).read_text(encoding="utf-8")
    assert render(args) == expected, "run `python tests/golden/regenerate.py` and review the diff if this change is intended"
