"""Properties that must hold for every project: monotonicity, vetoes, missing data, exactness."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from hypothesis import given
from hypothesis import strategies as st

from screening.engine import Engine
from screening.findings import Outcome, Status
from screening.loader import load_ruleset
from screening.model.project import Project, flatten
from screening.report.contract import contract_bytes
from screening.screener import Screener
from tests.conftest import ROOT
from tests.oracles import (
    starter as hand_written,  # the independent, hand-written evaluation
)

amount = st.integers(min_value=1, max_value=500_000)
area = st.integers(min_value=1, max_value=3_000)
catalogue = st.sampled_from(["encouraged", "permitted", "restricted", "eliminated"])
industry = st.sampled_from(
    ["C2613", "C2661", "C3985", "C3841", "C1391", "C2110", "C3011", "C3130", "D4411"]
)


@st.composite
def projects(draw: st.DrawFn) -> dict:
    return {
        "id": "p",
        "industry": draw(industry),
        "investment": {"fixed_assets": draw(amount)},
        "land": {"area_mu": draw(area)},
        "output": {
            "annual_tax": draw(st.integers(0, 100_000)),
            "annual_revenue": draw(st.integers(0, 2_000_000)),
        },
        "environment": {
            "in_red_line": draw(st.booleans()),
            "catalogue": draw(catalogue),
            "energy_tce": draw(st.integers(0, 60_000)),
        },
        "extra": {"two_high_conditions_met": draw(st.booleans())},
    }


@cache
def starter() -> Screener:
    return Screener(load_ruleset(str(ROOT / "rules/starter.yaml")))


@cache
def intensity_scored() -> Screener:
    path = ROOT / "tests/properties/intensity-score.yaml"
    return Screener(load_ruleset(str(path)))


def _screen(screener: Screener, data: dict):
    return screener.screen(Project.model_validate(data))


@given(projects(), st.integers(min_value=0, max_value=1_000_000))
def test_more_fixed_assets_never_lower_intensity_points(data: dict, extra: int) -> None:
    before = _screen(intensity_scored(), data)
    data["investment"]["fixed_assets"] += extra
    after = _screen(intensity_scored(), data)
    points = lambda d: {f.rule: f.points for f in d.findings}  # noqa: E731
    for rule in ("intensity.bands", "intensity.linear"):
        assert points(after)[rule] >= points(before)[rule]


@given(projects())
def test_a_veto_always_rejects(data: dict) -> None:
    data["environment"]["in_red_line"] = True
    decision = _screen(starter(), data)
    assert (
        decision.outcome is Outcome.REJECT
        and "environment.red_line" in decision.vetoed_by
    )


@given(
    projects(),
    st.sampled_from(
        [
            ("land", "area_mu"),
            ("investment", "fixed_assets"),
            ("environment", "in_red_line"),
            ("environment", "catalogue"),
        ]
    ),
)
def test_missing_veto_or_gate_input_never_passes(
    data: dict, field: tuple[str, str]
) -> None:
    del data[field[0]][field[1]]
    decision = _screen(starter(), data)
    assert decision.outcome is not Outcome.PASS
    hard = [f for f in decision.findings if f.kind in ("veto", "gate")]
    assert (
        any(f.status is Status.MISSING for f in hard)
        or decision.outcome is Outcome.REJECT
    )


@given(st.integers(1, 10_000), st.integers(1, 5_000))
def test_a_value_equal_to_its_threshold_meets_it_exactly(
    area_mu: int, hundredths: int
) -> None:
    # intensity = fixed / area, with fixed chosen so that intensity is exactly 250
    data = {"investment": {"fixed_assets": 250 * area_mu}, "land": {"area_mu": area_mu}}
    finding = {f.rule: f for f in _screen(starter(), data).findings}[
        "investment.intensity"
    ]
    assert finding.status is Status.PASS and finding.actual == 250
    data["investment"]["fixed_assets"] = str(
        Decimal(250 * area_mu) - Decimal(hundredths) / 100
    )  # 0.01–50 万元 short
    finding = {f.rule: f for f in _screen(starter(), data).findings}[
        "investment.intensity"
    ]
    assert finding.status is Status.FAIL


@given(projects())
def test_engine_agrees_with_an_independent_evaluation(data: dict) -> None:
    project = Project.model_validate(data)
    assert starter().screen(project).outcome.value == hand_written(flatten(project))


@given(projects())
def test_screening_is_deterministic(data: dict) -> None:
    # two screeners of their own, each with an engine of its own: nothing either has
    # seen before (a remembered engine answer, a compiled sentence) decides for it
    path = str(ROOT / "rules/starter.yaml")
    first = _screen(Screener(load_ruleset(path), engine=Engine()), data)
    second = _screen(Screener(load_ruleset(path), engine=Engine()), data)
    assert first == second
    assert contract_bytes(first, starter().ruleset) == contract_bytes(
        second, starter().ruleset
    )
