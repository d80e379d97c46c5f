"""A rule whose condition has no figure to change (a compound `and`, a test of words)
says what would flip it: for a `require`, that it be met; for a `fail_if` (a review or
veto trigger), that it no longer hold — never "须满足" the trigger itself."""

from __future__ import annotations

import pytest

from screening.model.project import Project
from screening.report.explain import explainer
from screening.screener import Screener
from tests.conftest import MINIMAL

RULES = (
    MINIMAL
    + """\
    rules:
      - id: r.compound
        title: {zh: 化工高能耗复核, en: chemical high-energy review}
        group: environment
        kind: review
        fail_if: 'startswith(industry.code, "C26") and environment.energy_tce >= 10000'
      - id: g.both
        title: {zh: 容积率与建筑系数, en: plot ratio and coverage}
        group: land_use
        kind: gate
        require: land.plot_ratio >= 1.0 and land.building_coverage >= 40%
    """
)


@pytest.mark.parametrize(
    ("lang", "trigger", "requirement"),
    [
        ("zh", "须不再属于「化工高能耗复核」所指情形", "须满足：容积率与建筑系数"),
        (
            "en",
            "Must no longer be a case of: chemical high-energy review",
            "Must satisfy: plot ratio and coverage",
        ),
    ],
)
def test_a_trigger_s_remedy_is_that_it_no_longer_holds(
    write_ruleset, lang: str, trigger: str, requirement: str
) -> None:
    ruleset = write_ruleset(RULES)
    project = Project.model_validate(
        {
            "industry": "C2613",
            "environment": {"energy_tce": 12000},
            "land": {"plot_ratio": 0.8, "building_coverage": 0.3},
        }
    )
    review, gate = Screener(ruleset).screen(project).findings
    words = explainer(ruleset, lang)
    assert words.remedy(review) == trigger
    assert words.remedy(gate) == requirement
