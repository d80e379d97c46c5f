"""A remedy's bound below 0.0001 (a tiny threshold, an emissions figure per unit) is
shown with two significant digits, rounded in the safe direction, never as 0."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from screening import load_ruleset
from screening.model.project import Project
from screening.report.contract import contract_bytes
from screening.report.explain import Prose, explainer
from screening.report.figures import tiny_bound
from screening.screener import Screener

_RULES = """\
id: tiny
title: {zh: 微小限值, en: tiny limits}
version: "1"
rules:
  - id: emissions.cod
    group: emissions
    kind: gate
    title: {zh: 化学需氧量排放, en: COD emissions}
    require: environment.emissions.cod_t <= 0.00003
  - id: emissions.cod_per_mu
    group: emissions
    kind: gate
    title: {zh: 亩均化学需氧量排放, en: COD per mu}
    require: environment.emissions.cod_t / land.area_mu <= 0.0002
  - id: emissions.cod_squared
    group: emissions
    kind: gate
    title: {zh: 化学需氧量排放平方, en: COD squared}
    require: environment.emissions.cod_t * environment.emissions.cod_t <= 0.000000001
"""
# COD 0.5 t on 0.1 亩: every rule fails; the third has no input to solve for (COD
# occurs twice), so its remedy names the rule's own figure
_PROJECT = {"land": {"area_mu": "0.1"}, "environment": {"emissions": {"cod_t": "0.5"}}}
_REMEDIES = {
    "zh": {
        "emissions.cod": "化学需氧量排放需不超过 0.00003 t",
        "emissions.cod_per_mu": "化学需氧量排放需不超过 0.00002 t；或用地面积需不低于 2500 亩",
        "emissions.cod_squared": "须使化学需氧量排放平方不超过 0.000000001 t·t",
    },
    "en": {
        "emissions.cod": "COD emissions at most 0.00003 t",
        "emissions.cod_per_mu": "COD emissions at most 0.00002 t; or land area at least 2500 mu",
        "emissions.cod_squared": "COD squared must be at most 0.000000001 t·t",
    },
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_tiny_bound_is_not_shown_as_zero(tmp_path: Path, lang: str) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(_RULES, encoding="utf-8")
    ruleset = load_ruleset(str(path))
    decision = Screener(ruleset).screen(Project.model_validate(_PROJECT))
    explain = explainer(ruleset, lang)
    prose = Prose(explain)
    failed = {f.rule: f for f in decision.findings if f.remedy is not None}
    # the explainer, the compiled words (XLSX, JSON line) and the contract agree
    assert {rule: explain.remedy(f) for rule, f in failed.items()} == _REMEDIES[lang]
    assert {rule: prose.remedy(f) for rule, f in failed.items()} == _REMEDIES[lang]
    contract = json.loads(contract_bytes(decision, ruleset, lang))
    assert {
        f["rule"]: f["remedy"] for f in contract["findings"] if f["remedy"]
    } == _REMEDIES[lang]


@pytest.mark.parametrize(
    ("num", "den", "up", "expected"),
    [
        (1, 270000, False, "0.0000037"),
        (1, 270000, True, "0.0000038"),
        (3, 100000, False, "0.00003"),
        (1, 10**12, True, "0.000000000001"),
        (999, 10**7, True, "0.0001"),  # up to the next power of ten
    ],
)
def test_a_tiny_bound_keeps_two_digits_on_its_safe_side(
    num: int, den: int, up: bool, expected: str
) -> None:
    shown = tiny_bound(num, den, up)
    assert shown == expected
    assert (
        (Fraction(shown) >= Fraction(num, den))
        if up
        else (0 < Fraction(shown) <= Fraction(num, den))
    )
