"""The screener's and the batch renderer's memos never change a result, and stay bounded."""

from __future__ import annotations

import importlib
import json
from collections import defaultdict
from decimal import Decimal
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.cases import case_files, load_case
from screening.engine import Engine
from screening.loader import load_ruleset
from screening.model.project import Project
from screening.report import explain as explain_module
from screening.report.contract import contract_line, to_contract
from screening.screen import Screener

screen_module = importlib.import_module("screening.screen")  # the package's `screen` is a function


def _cases_by_ruleset() -> dict[str, list]:
    by_ruleset: dict[str, list] = defaultdict(list)
    for path in case_files(["cases"]):
        case = load_case(path)
        by_ruleset[case.ruleset].append(case.project)
    return by_ruleset


CASES = _cases_by_ruleset()


@pytest.mark.parametrize("ruleset_id", sorted(CASES))
def test_a_shared_screener_gives_every_project_what_a_fresh_one_gives(ruleset_id: str) -> None:
    ruleset = load_ruleset(ruleset_id)
    projects = CASES[ruleset_id]
    expected = [json.dumps(to_contract(Screener(ruleset, Engine()).screen(p), ruleset), ensure_ascii=False)
                for p in projects]
    shared = Screener(ruleset, Engine())
    # forwards, backwards and forwards again: each project after others have filled the memos
    for order in (projects, projects[::-1], projects):
        lines = {p.id: contract_line(shared.screen(p), ruleset) for p in order}
        assert [lines[p.id] for p in projects] == expected


def test_contract_line_is_the_contract_in_json_in_english_too() -> None:
    ruleset = load_ruleset("parks/beihai-tieshangang-2023")
    screener = Screener(ruleset, Engine())
    for project in CASES["parks/beihai-tieshangang-2023"]:
        decision = screener.screen(project)
        assert contract_line(decision, ruleset, "en") == json.dumps(to_contract(decision, ruleset, "en"), ensure_ascii=False)


def test_memos_are_bounded_and_a_full_memo_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screen_module, "FINDING_MEMO", 5)
    monkeypatch.setattr(explain_module, "RULE_MEMO_LIMIT", 5)
    monkeypatch.setattr("screening.report.contract.RULE_MEMO_LIMIT", 5)
    ruleset = load_ruleset("parks/beihai-tieshangang-2023")
    screener = Screener(ruleset, Engine())
    template = CASES["parks/beihai-tieshangang-2023"][0]
    for step in range(40):  # 40 different fixed-asset figures: the intensity rules never repeat
        land = template.land.model_copy(update={"area_mu": Decimal(50 + step)}) if template.land else None
        project = template.model_copy(update={"land": land})
        line = contract_line(screener.screen(project), ruleset)
        fresh = Screener(ruleset, Engine()).screen(project)
        assert line == json.dumps(to_contract(fresh, ruleset), ensure_ascii=False)
    assert max(len(memo) for memo in screener._memos) <= 5
    assert max(len(memo) for stratum in screener._atom_memos for memo in stratum) <= 5
    encoded = explain_module.explainer(ruleset, "zh").encoded
    assert max(len(memo) for memo in encoded) <= 5


# Few distinct figures, so that rules' inputs repeat across examples and the memos hit.
_figure = st.sampled_from(["0", "1", "2.5", "15", "18", "250", "300", "4500", "12000"])


@st.composite
def _projects(draw: st.DrawFn) -> dict:
    return {
        "id": "m", "industry": draw(st.sampled_from(["C2613", "C2661", "C3841", "C2110", "D4411"])),
        "investment": {"fixed_assets": draw(_figure)}, "land": {"area_mu": draw(_figure)},
        "output": {"annual_tax": draw(_figure), "annual_revenue": draw(_figure)},
        "environment": {"in_red_line": draw(st.booleans()), "energy_tce": draw(_figure),
                        "catalogue": draw(st.sampled_from(["encouraged", "permitted", "restricted"]))},
        "extra": draw(st.sampled_from([{}, {"two_high_conditions_met": True}, {"building_density": "0.4"}])),
    }


@cache
def _screeners(ruleset_id: str) -> tuple[Screener, Screener]:
    ruleset = load_ruleset(ruleset_id)
    return Screener(ruleset, Engine()), Screener(ruleset, Engine())


@settings(max_examples=150, deadline=None)
@given(_projects(), st.sampled_from(["starter", "national", "parks/beihai-tieshangang-2023"]))
def test_memoised_lines_equal_lines_screened_afresh(data: dict, ruleset_id: str) -> None:
    shared, afresh = _screeners(ruleset_id)  # shared: its memos hold every earlier example's findings
    for memo in (*afresh._memos, *(m for stratum in afresh._atom_memos for m in stratum)):
        memo.clear()  # afresh: nothing remembered
    project = Project.model_validate(data)
    line = contract_line(shared.screen(project), shared.ruleset)
    assert line == json.dumps(to_contract(afresh.screen(project), afresh.ruleset), ensure_ascii=False)
