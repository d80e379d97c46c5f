"""Every evaluation case under cases/evaluations/ must meet its `expect:` block."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from screening.evaluation.cases import check
from tests.conftest import ROOT

CASES = sorted((ROOT / "cases" / "evaluations").rglob("*.yaml"))


@pytest.mark.parametrize(
    "path",
    CASES,
    ids=[
        str(p.relative_to(ROOT / "cases" / "evaluations").with_suffix(""))
        for p in CASES
    ],
)
def test_case(path: Path) -> None:
    mismatches = check(path)
    assert not mismatches, "\n".join(mismatches)


def test_both_shipped_schemes_have_cases() -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in CASES)
    assert "scheme: huangyan" in text and "scheme: huaian-2024" in text


def test_a_wrong_expectation_is_reported(tmp_path: Path) -> None:
    folder = ROOT / "cases/evaluations/huangyan"
    shutil.copy(folder / "hy-population-2025.csv", tmp_path)
    shutil.copy(folder / "hy-classes-2024.csv", tmp_path)
    text = (folder / "hy01-boundaries.yaml").read_text(encoding="utf-8")
    wrong = text.replace(
        '"91331003000000001Y": {status: rated, class: A, score: "130"',
        '"91331003000000001Y": {status: rated, class: B, score: "129.99"',
    ).replace("counts: {A: 2, B: 5, C: 1, D: 3}", "counts: {A: 3, B: 5, C: 1, D: 3}")
    assert wrong != text
    case = tmp_path / "wrong.yaml"
    case.write_text(wrong, encoding="utf-8")
    assert check(case) == [
        "firm 91331003000000001Y: class expected 'B', got 'A'",
        "firm 91331003000000001Y: score expected 129.99, got 130",
        "track above: counts expected {'A': 3, 'B': 5, 'C': 1, 'D': 3}, "
        "got {'A': 2, 'B': 5, 'C': 1, 'D': 3}",
    ]
