"""Every case file under cases/ is screened and must meet its `expect:` block."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pytest

from screening.cases import load_case
from screening.casecheck import check_case
from screening.loader import load_ruleset
from screening.screen import Screener

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(p for p in (ROOT / "cases").rglob("*.yaml") if "evaluations" not in p.parts)  # tests/evaluation
AS_OF = dt.date(2025, 6, 30)  # a fixed day, so cases do not change with the calendar


@cache
def _screener(ruleset_id: str) -> Screener:
    return Screener(load_ruleset(ruleset_id, as_of=AS_OF))


@pytest.mark.parametrize("path", CASES, ids=[str(p.relative_to(ROOT / "cases").with_suffix("")) for p in CASES])
def test_case(path: Path) -> None:
    case = load_case(path)
    assert case.expect is not None, "a case file needs an expect: block"
    assert case.ruleset is not None, "a case file names its ruleset:"
    decision = _screener(case.ruleset).screen(case.project)
    mismatches = check_case(case, decision)
    assert not mismatches, "\n".join(str(m) for m in mismatches)


def test_the_library_is_not_empty() -> None:
    assert len(CASES) >= 2
