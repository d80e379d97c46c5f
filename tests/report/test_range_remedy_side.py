"""A range rule whose figure no single input can move (its remedy names the rule's own
figure) says which way the figure must go: down to the upper bound when it is above the
range, up to the lower bound when below — not always 不低于."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening import load_ruleset
from screening.model.project import Project
from screening.report.contract import contract_bytes
from screening.report.explain import Prose, explainer
from screening.screener import Screener

# the plot ratio occurs twice, so no input is solved for
_RULES = """\
id: ranges
title: {zh: 区间, en: ranges}
version: "1"
rules:
  - id: land_use.plot_ratio_squared
    group: land_use
    kind: gate
    title: {zh: 容积率平方, en: plot ratio squared}
    require: between(land.plot_ratio * land.plot_ratio, 0.5, 1)
"""
_CASES = {
    ("2", "zh"): "须使容积率平方不超过 1",  # 4, above the range
    ("0.5", "zh"): "须使容积率平方不低于 0.5",  # 0.25, below it
    ("2", "en"): "plot ratio squared must be at most 1",
    ("0.5", "en"): "plot ratio squared must be at least 0.5",
}


@pytest.mark.parametrize(("plot_ratio", "lang"), list(_CASES))
def test_a_range_remedy_points_back_into_the_range(
    tmp_path: Path, plot_ratio: str, lang: str
) -> None:
    path = tmp_path / "ranges.yaml"
    path.write_text(_RULES, encoding="utf-8")
    ruleset = load_ruleset(str(path))
    project = Project.model_validate({"land": {"plot_ratio": plot_ratio}})
    decision = Screener(ruleset).screen(project)
    (finding,) = decision.findings
    expected = _CASES[(plot_ratio, lang)]
    assert explainer(ruleset, lang).remedy(finding) == expected
    assert Prose(explainer(ruleset, lang)).remedy(finding) == expected
    line = json.loads(contract_bytes(decision, ruleset, lang))
    assert line["findings"][0]["remedy"] == expected


_THIRDS = """\
id: thirds
title: {zh: 三分之一, en: thirds}
version: "1"
rules:
  - id: land_use.plot_ratio_squared
    group: land_use
    kind: gate
    title: {zh: 容积率平方, en: plot ratio squared}
    require: land.plot_ratio * land.plot_ratio >= 1 / 3
"""


def test_the_figure_it_names_is_rounded_on_its_safe_side(tmp_path: Path) -> None:
    path = tmp_path / "thirds.yaml"
    path.write_text(_THIRDS, encoding="utf-8")
    ruleset = load_ruleset(str(path))
    project = Project.model_validate({"land": {"plot_ratio": "0.5"}})
    (finding,) = Screener(ruleset).screen(project).findings
    # at least 1/3: 0.3333 (half to even) would not be enough, 0.3334 is
    assert explainer(ruleset, "zh").remedy(finding) == "须使容积率平方不低于 0.3334"
