"""The score as shown (two decimals) never reads as reaching, or missing, the pass line
or the review line when the exact score does not: an exact 49.99999 rejected under a
review line of 50 is shown as 49.99, not as 50 (which on paper is 复核)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from screening.cases import load_case
from screening.loader import load_ruleset
from screening.report.contract import contract_bytes, to_contract
from screening.report.figures import score_json, shown_score
from screening.screener import Screener

ROOT = Path(__file__).resolve().parents[2]
PASS, BAND = Fraction(60), Fraction(10)


@pytest.mark.parametrize(
    ("score", "shown"),
    [
        (Fraction(4999999, 100000), "49.99"),  # under the review line 50
        (Fraction(5000001, 100000), "50.01"),  # over it
        (Fraction(5999999, 100000), "59.99"),  # under the pass line
        (Fraction(50), "50"),  # on it exactly
        (Fraction(4999, 100), "49.99"),  # already apart
        (Fraction(7012345, 100000), "70.12"),  # nowhere near a line
    ],
)
def test_a_score_is_shown_on_its_own_side_of_each_line(
    score: Fraction, shown: str
) -> None:
    assert score_json(score, PASS, BAND) == shown
    assert shown_score(score, PASS, BAND) == Fraction(shown)
    assert score_json(score) == json.dumps(float(round(score, 2))).removesuffix(".0")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_output_shows_the_same_score(lang: str) -> None:
    ruleset = load_ruleset("starter")
    project = load_case(
        ROOT / "cases/starter/fine-chemical-exact-threshold.yaml"
    ).project
    decision = Screener(ruleset).screen(project)
    edge = decision._replace(
        score=Fraction(4999999, 100000), pass_mark=PASS, review_band=BAND
    )
    line = contract_bytes(edge, ruleset, lang)
    assert (
        line
        == (
            json.dumps(to_contract(edge, ruleset, lang), ensure_ascii=False) + "\n"
        ).encode()
    )
    parsed = json.loads(line)
    assert parsed["score"] == 49.99
    short = "差 10.01 分" if lang == "zh" else "10.01"
    assert short in (parsed["summary"] or ""), parsed["summary"]
