"""A summary's 提分途径 says how far the 0–100 score rises, on the scale of its 差 X 分:
with weights (or rule points not adding up to 100) a rule's own "可多得 N 分" is on
another scale, and a remedy that alone makes the project pass read as too small."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from screening.model.project import Project
from screening.report.contract import contract_bytes, to_contract
from screening.screener import Screener
from tests.conftest import MINIMAL

RULES = (
    MINIMAL
    + """\
    parameters:
      pass_mark: 60
      review_band: 10
    metrics:
      intensity: {expr: investment.fixed_assets / land.area_mu, unit: 万元/亩}
      tax_per_mu: {expr: output.annual_tax / land.area_mu, unit: 万元/亩}
    weights: {investment_intensity: 50, tax_yield: 50}
    rules:
      - id: inv.score
        group: investment_intensity
        kind: score
        value: intensity
        linear: [{at: 100, points: 0}, {at: 300, points: 20}]
      - id: tax.score
        group: tax_yield
        kind: score
        value: tax_per_mu
        bands: [{max: 10, points: 0}, {min: 10, max: 20, points: 5}, {min: 20, points: 10}]
    """
)

PROJECT = {
    "investment": {"fixed_assets": 3000},
    "land": {"area_mu": 20},
    "output": {"annual_tax": 300},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_rise_of_the_score_is_said_and_true(write_ruleset, lang: str) -> None:
    ruleset = write_ruleset(RULES)
    screener = Screener(ruleset)
    decision = screener.screen(Project.model_validate(PROJECT))
    assert decision.score == Fraction(75, 2)  # 150 万元/亩: 5/20 and 15 万元/亩: 5/10
    line = contract_bytes(decision, ruleset, lang)
    assert (
        line
        == (
            json.dumps(to_contract(decision, ruleset, lang), ensure_ascii=False) + "\n"
        ).encode()
    )
    summary = json.loads(line)["summary"].split("\n")
    if lang == "zh":
        assert summary[0] == "总分 37.5，通过线 60，差 22.5 分"
        assert summary[1].endswith("可多得 15 分（总分可提高 37.5 分）"), summary
        assert summary[2].endswith("可多得 5 分（总分可提高 25 分）"), summary
    else:
        assert summary[1].endswith("for 15 more points (the score rises by 37.5)")
    # the tax remedy alone (300 → 400 万元 tax: 20 万元/亩) lifts the score by 25: a pass
    taxed = {**PROJECT, "output": {"annual_tax": 400}}
    after = screener.screen(Project.model_validate(taxed))
    assert after.score - decision.score == 25 and after.outcome.value == "pass"


def test_where_the_rule_points_are_the_score_nothing_more_is_said(
    write_ruleset,
) -> None:
    ruleset = write_ruleset(
        RULES.replace(
            "    weights: {investment_intensity: 50, tax_yield: 50}\n", ""
        ).replace("points: 20}", "points: 90}")
    )
    decision = Screener(ruleset).screen(Project.model_validate(PROJECT))
    summary = json.loads(contract_bytes(decision, ruleset, "zh"))["summary"]
    assert "可多得" in summary and "总分可提高" not in summary
