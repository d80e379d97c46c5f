"""coalesce(a, b, …) takes the first argument present: an argument left out while a
later one is present is no missing data. A rule lacking an input outside the coalesce
lists that input only (not 园区门槛, which the rule does not need), and a zero divisor
is still named as such; a value-less parameter inside one is a fallback not taken,
which validate does not note as 未配置."""

from __future__ import annotations

import pytest

from screening.findings import Status
from screening.model.project import Project
from screening.report.explain import explainer
from screening.screener import Screener
from screening.validate import check_ruleset
from tests.conftest import MINIMAL

RULES = (
    MINIMAL
    + """\
    parameters:
      fallback_min: {value: 200, unit: 万元/亩}
      county_min: {value: null, unit: 万元/亩, pending: 县里尚未公布}
    inputs:
      extra.zone_min: {type: number, unit: 万元/亩, title: 园区门槛}
    metrics:
      intensity: {expr: investment.fixed_assets / land.area_mu, unit: 万元/亩}
    rules:
      - id: g.zone
        group: investment_intensity
        kind: gate
        require: intensity >= coalesce(extra.zone_min, county_min, fallback_min)
      - id: g.zone_only
        group: investment_intensity
        kind: gate
        require: intensity >= coalesce(extra.zone_min, county_min)
    """
)


@pytest.mark.parametrize("reference", [False, True])
def test_only_the_inputs_a_rule_needs_are_missing(
    write_ruleset, reference: bool
) -> None:
    ruleset = write_ruleset(RULES)
    screener = Screener(ruleset, reference=reference)
    words = explainer(ruleset, "zh")

    def findings(**project: object) -> tuple:
        return screener.screen(Project.model_validate(project)).findings

    no_area = findings(investment={"fixed_assets": 3000})
    assert no_area[0].status is Status.MISSING and no_area[0].missing == (
        "land.area_mu",
    )
    # with nothing to fall back on, the input is needed too
    assert no_area[1].missing == ("extra.zone_min", "land.area_mu")
    zero = findings(investment={"fixed_assets": 3000}, land={"area_mu": 0})
    assert zero[0].missing == ("land.area_mu",) and zero[0].reason == "division_by_zero"
    assert "用地面积为 0" in words.message(zero[0])
    given = findings(investment={"fixed_assets": 3000}, land={"area_mu": 10})
    assert given[0].status is Status.PASS and given[0].threshold == 200


def test_a_value_less_fallback_is_not_noted_as_unconfigured(write_ruleset) -> None:
    notes = [d for d in check_ruleset(write_ruleset(RULES)) if d.code == "CFG"]
    assert notes == []
