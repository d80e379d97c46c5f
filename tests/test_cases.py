"""Every case file under cases/ is screened and must meet its `expect:` block."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path

import pytest

from screening.casecheck import check_case
from screening.cases import load_case
from screening.errors import ProjectError
from screening.loader import load_ruleset
from screening.screener import Screener

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(
    p for p in (ROOT / "cases").rglob("*.yaml") if "evaluations" not in p.parts
)  # tests/evaluation
AS_OF = dt.date(2025, 6, 30)  # a fixed day, so cases do not change with the calendar


@cache
def _screener(ruleset_id: str, day: dt.date) -> Screener:
    return Screener(load_ruleset(ruleset_id, as_of=day))


@pytest.mark.parametrize(
    "path",
    CASES,
    ids=[str(p.relative_to(ROOT / "cases").with_suffix("")) for p in CASES],
)
def test_case(path: Path) -> None:
    case = load_case(path)
    assert case.expect is not None, "a case file needs an expect: block"
    assert case.ruleset is not None, "a case file names its ruleset:"
    screener = _screener(case.ruleset, case.as_of or AS_OF)  # a case's own day wins
    decision = screener.screen(case.project)
    mismatches = check_case(case, decision)
    assert not mismatches, "\n".join(str(m) for m in mismatches)


def test_the_library_is_not_empty() -> None:
    assert len(CASES) >= 2


# --- a case's own as_of --------------------------------------------------------------

CASE_2008 = """\
ruleset: national
as_of: 2023-06-24
id: as-of-case
industry: C3311
land: {area_mu: 60, plot_ratio: 0.9, building_coverage: 0.28, admin_share: 0.06}
environment: {in_red_line: false, access_list_conflict: false, catalogue: permitted}
expect:
  decision: reject
  findings:
    land_use.building_coverage: fail
"""


def test_a_case_file_carries_its_own_day(tmp_path: Path) -> None:
    (tmp_path / "case.yaml").write_text(CASE_2008, encoding="utf-8")
    assert load_case(tmp_path / "case.yaml").as_of == dt.date(2023, 6, 24)
    (tmp_path / "case.json").write_text(
        '{"ruleset": "national", "as_of": "2022-06-30"}', encoding="utf-8"
    )
    assert load_case(tmp_path / "case.json").as_of == dt.date(2022, 6, 30)
    (tmp_path / "bad.yaml").write_text(
        "ruleset: national\nas_of: 下周\n", encoding="utf-8"
    )
    with pytest.raises(ProjectError) as info:
        load_case(tmp_path / "bad.yaml")
    assert str(info.value.diagnostics[0].span).endswith("bad.yaml:2:8")


def test_test_and_diff_screen_a_case_on_its_own_day(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from screening.cli import main

    (tmp_path / "case.yaml").write_text(CASE_2008, encoding="utf-8")
    runner = CliRunner()
    # the 2008 建筑系数 gate exists only up to 2023-06-24: the case passes only if its
    # own day is used,
    # whatever --as-of says for cases without one
    result = runner.invoke(
        main, ["test", str(tmp_path / "case.yaml"), "--as-of", "2026-01-01"]
    )
    assert result.exit_code == 0 and result.output.strip().endswith(
        "1 passed, 0 failed"
    ), result.output
    # without its as_of the same project is screened today: no 2008 gate, so the
    # expectation fails
    (tmp_path / "today.yaml").write_text(
        CASE_2008.replace("as_of: 2023-06-24\n", ""), encoding="utf-8"
    )
    result = runner.invoke(main, ["test", str(tmp_path / "today.yaml")])
    assert result.exit_code == 1 and "absent (no such rule in force)" in result.output
    # diff screens the case on its day too: the rule set against itself changes nothing
    result = runner.invoke(
        main,
        [
            "diff",
            "national",
            "national",
            str(tmp_path / "case.yaml"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0 and json.loads(result.output)["projects"] == 1
    # screen: --as-of wins when given; else the case's own day
    result = runner.invoke(
        main, ["screen", str(tmp_path / "case.yaml"), "--format", "json"]
    )
    assert (
        json.loads(result.output)["as_of"] == "2023-06-24"
        and json.loads(result.output)["decision"] == "reject"
    )
    result = runner.invoke(
        main,
        [
            "screen",
            str(tmp_path / "case.yaml"),
            "--format",
            "json",
            "--as-of",
            "2025-01-01",
        ],
    )
    assert json.loads(result.output)["as_of"] == "2025-01-01"


DATED = [p for p in CASES if load_case(p).as_of is not None]


DATED_IDS = [str(p.relative_to(ROOT / "cases")) for p in DATED]


@pytest.mark.parametrize("path", DATED, ids=DATED_IDS)
def test_dated_cases_sit_on_both_sides_of_the_2023_edition(path: Path) -> None:
    # every dated shipped case is screened on its own day, not the suite's AS_OF
    case = load_case(path)
    decision = _screener(case.ruleset, case.as_of).screen(case.project)
    assert decision.as_of == case.as_of


def test_the_shipped_dated_cases_cover_both_sides_of_2023_06_25() -> None:
    days = {load_case(p).as_of for p in CASES} - {None}
    assert any(day < dt.date(2023, 6, 25) for day in days)
    assert any(day >= dt.date(2023, 6, 25) for day in days)
