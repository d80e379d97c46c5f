"""A remedy's bound is rounded in the safe direction, never to a bound no one can meet."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from screening import load_project, load_ruleset, screen
from screening.report.contract import contract_bytes, to_contract
from screening.report.figures import bound_text, small_bound

_CASE = "cases/wenling/wl01-motors-pass.yaml"


@pytest.mark.parametrize(
    ("value", "relation", "places", "factor", "expected"),
    [
        (Fraction(1, 270), "<=", 2, 1, "0.0037"),  # was 0: 不超过 0 亩
        (Fraction(1, 270), "<", 2, 1, "0.0037"),
        (Fraction(1, 270), ">=", 2, 1, "0.01"),  # up: never 0
        (Fraction(1, 10**9), "<=", 2, 1, "0.000000001"),  # was 0: below 0.0001
        (Fraction(1, 270000), "<=", 2, 1, "0.0000037"),  # two significant digits
        (Fraction(1, 10**9), "<=", 2, 100, "0.0000001"),  # a share, in percent
        (Fraction(3, 1000), "<=", 2, 1, "0.003"),
        (Fraction(1, 10**5), "<=", 2, 100, "0.001"),  # a share, in percent
        (Fraction(123, 100), "<=", 2, 1, "1.23"),  # unchanged where it shows
        (Fraction(0), "<=", 2, 1, "0"),
        (Fraction(1, 3), "<=", 0, 1, "0"),  # a count: whole people
    ],
)
def test_a_positive_upper_bound_stays_positive(
    value: Fraction, relation: str, places: int, factor: int, expected: str
) -> None:
    assert bound_text(value, relation, places, factor) == expected


def test_small_bound_is_at_most_the_bound_and_positive() -> None:
    for num, den in [
        (1, 270),
        (7, 9999),
        (1, 101),
        (99, 10**5),
        (5, 1000),
        (1, 270000),
        (1, 10**12),
        (999, 10**7),
    ]:
        shown = Fraction(small_bound(num, den))
        assert 0 < shown <= Fraction(num, den)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_remedy_asks_for_an_area_above_zero(lang: str) -> None:
    project = load_project(_CASE).model_copy(deep=True)
    data = project.model_dump(mode="python", exclude_none=True)
    data["investment"]["fixed_assets"] = 1
    project = type(project).model_validate(data)
    ruleset = load_ruleset("parks/wenling-east-2021")
    decision = screen(project, ruleset)
    contract = to_contract(decision, ruleset, lang)
    assert (
        contract_bytes(decision, ruleset, lang)
        == (json.dumps(contract, ensure_ascii=False) + "\n").encode()
    )
    remedy = next(
        f["remedy"]
        for f in contract["findings"]
        if f["rule"] == "investment_intensity.standard_land"
    )
    assert "0.0037" in remedy, remedy
    assert " 0 亩" not in remedy and " 0 mu" not in remedy, remedy
