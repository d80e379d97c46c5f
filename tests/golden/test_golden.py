"""Text, JSON and Markdown outputs compared whole against reviewed golden files."""

from __future__ import annotations

import pytest

from tests.golden.regenerate import GOLDEN, ROOT, VALIDATE, render, render_validate


@pytest.mark.parametrize(("name", "args"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_output_matches_golden(name: str, args: list[str]) -> None:
    expected = (ROOT / "tests/golden/screen" / name).read_text(encoding="utf-8")
    assert render(args) == expected, (
        "run `python tests/golden/regenerate.py` and review the diff if this change is intended"
    )


@pytest.mark.parametrize("path", VALIDATE, ids=[p.stem for p in VALIDATE])
def test_validate_messages_match_golden(path) -> None:
    expected = path.with_suffix(".expected.txt").read_text(encoding="utf-8")
    assert render_validate(path) == expected, (
        "run `python tests/golden/regenerate.py` and review the diff"
    )


def test_every_error_class_has_a_golden_file() -> None:
    codes = " ".join(
        p.with_suffix(".expected.txt").read_text(encoding="utf-8") for p in VALIDATE
    )
    for code in ("[YML]", "[RUL]", "[EXP]", "[BND]", "[TBL]", "[WGT]", "[DOM]"):
        assert code in codes
