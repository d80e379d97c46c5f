"""Screening one project: statuses, missing data, decisions, scores, remedies."""

from __future__ import annotations

from fractions import Fraction

import pytest

from screening.findings import Outcome, Status, option_value
from screening.model.project import Project
from screening.screener import Screener
from tests.conftest import MINIMAL

RULES = (
    MINIMAL
    + """\
    parameters:
      pass_mark: 60
      review_band: 10
      energy_review_tce: {value: 10000, unit: tce}
    inputs:
      extra.conditions_met: {type: bool}
    metrics:
      intensity: {expr: investment.fixed_assets / land.area_mu, unit: 万元/亩}
      tax_per_mu: {expr: output.annual_tax / land.area_mu, unit: 万元/亩}
    rules:
      - {id: env.red_line, group: environment, kind: veto, fail_if: environment.in_red_line}
      - {id: inv.intensity, group: investment_intensity, kind: gate, require: intensity >= 250}
      - id: tax.per_mu
        group: tax_yield
        kind: score
        value: tax_per_mu
        bands: [{max: 10, points: 0}, {min: 10, max: 20, points: 50}, {min: 20, points: 100}]
      - {id: cat.bonus, group: industry_fit, kind: bonus, when: environment.catalogue == "encouraged", points: 5}
      - {id: energy.review, group: energy, kind: review, fail_if: environment.energy_tce >= energy_review_tce}
      - {id: env.two_high, group: environment, kind: derive, sets: two_high, when: 'startswith(industry.code, "C26")'}
      - {id: env.two_high_cond, group: environment, kind: review, applies_if: two_high, require: extra.conditions_met}
    """
)

GOOD = {
    "id": "p",
    "industry": "C3841",
    "investment": {"fixed_assets": 4500},
    "land": {"area_mu": 15},
    "output": {"annual_tax": 300},
    "environment": {"in_red_line": False, "energy_tce": 100, "catalogue": "permitted"},
}


@pytest.fixture
def screener(write_ruleset) -> Screener:
    return Screener(write_ruleset(RULES))


def _screen(screener: Screener, **changes: object):
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in GOOD.items()}
    for path, value in changes.items():
        section, _, key = path.partition("__")
        if key:
            data.setdefault(section, {})
            if value is None:
                data[section].pop(key, None)
            else:
                data[section][key] = value
        elif value is None:
            data.pop(section, None)
        else:
            data[section] = value
    return screener.screen(Project.model_validate(data))


def _status(decision, rule: str) -> Status:
    return {f.rule: f.status for f in decision.findings}[rule]


def test_a_good_project_passes_with_exact_threshold(screener: Screener) -> None:
    decision = _screen(screener)
    assert decision.outcome is Outcome.PASS
    assert [f.check_tuple() for f in decision.findings] == [
        ("env.red_line", "pass"),
        ("inv.intensity", "pass"),
        ("tax.per_mu", "pass"),
        ("cat.bonus", "fail"),
        ("energy.review", "pass"),
        ("env.two_high", "fail"),
        ("env.two_high_cond", "not_applicable"),
    ]
    intensity = decision.findings[1]
    assert (intensity.actual, intensity.threshold, intensity.unit) == (
        300,
        250,
        "万元/亩",
    )
    assert decision.score == 100


def test_veto_rejects_whatever_the_score(screener: Screener) -> None:
    decision = _screen(
        screener, environment__in_red_line=True, environment__catalogue="encouraged"
    )
    assert decision.outcome is Outcome.REJECT
    assert decision.vetoed_by == ("env.red_line",)
    assert decision.findings[0].remedy.code == "veto"  # type: ignore[union-attr]


def test_failed_gate_rejects_with_a_remedy_per_input(screener: Screener) -> None:
    decision = _screen(screener, investment__fixed_assets=3000)  # 200 万元/亩
    assert decision.outcome is Outcome.REJECT and decision.rejected_by == (
        "inv.intensity",
    )
    remedy = decision.findings[1].remedy
    assert remedy is not None and remedy.code == "numeric"
    assert [(o[0], o[1], option_value(o)) for o in remedy.options] == [
        ("investment.fixed_assets", ">=", Fraction(3750)),
        ("land.area_mu", "<=", Fraction(12)),
    ]


def test_missing_gate_input_goes_to_review_never_pass(screener: Screener) -> None:
    decision = _screen(screener, land=None)
    assert decision.outcome is Outcome.REVIEW
    assert _status(decision, "inv.intensity") is Status.MISSING
    assert decision.missing == ("land.area_mu",)


def test_missing_score_input_earns_no_points(screener: Screener) -> None:
    decision = _screen(screener, output=None)
    assert _status(decision, "tax.per_mu") is Status.MISSING
    assert decision.score == 0 and decision.outcome is Outcome.REJECT
    assert "output.annual_tax" in decision.missing


@pytest.mark.parametrize(
    ("tax", "outcome"),
    [(300, Outcome.PASS), (150, Outcome.REVIEW), (149, Outcome.REJECT)],
)
def test_score_against_pass_mark_and_review_band(
    screener: Screener, tax: int, outcome: Outcome
) -> None:
    # 300/15 = 20 → 100 points; 150/15 = 10 → 50 (review band 50–60); 149/15 < 10 → 0
    assert _screen(screener, output__annual_tax=tax).outcome is outcome


def test_score_remedy_names_the_next_band(screener: Screener) -> None:
    decision = _screen(screener, output__annual_tax=150)
    remedy = decision.findings[2].remedy
    assert remedy is not None and remedy.code == "score" and remedy.gain == 50
    assert [(o[0], o[1], option_value(o)) for o in remedy.options] == [
        ("land.area_mu", "<=", Fraction(75, 10)),
        ("output.annual_tax", ">=", Fraction(300)),
    ]


def test_review_rule_triggers_review(screener: Screener) -> None:
    decision = _screen(screener, environment__energy_tce="1万吨标准煤")
    assert decision.outcome is Outcome.REVIEW and decision.reviewed_by == (
        "energy.review",
    )


def test_derived_fact_chains_into_the_next_rule(screener: Screener) -> None:
    decision = _screen(screener, industry="C2613")
    assert _status(decision, "env.two_high") is Status.PASS
    assert (
        _status(decision, "env.two_high_cond") is Status.MISSING
    )  # extra.conditions_met absent
    assert decision.outcome is Outcome.REVIEW
    met = _screen(screener, industry="C2613", extra={"conditions_met": True})
    assert (
        _status(met, "env.two_high_cond") is Status.PASS and met.outcome is Outcome.PASS
    )


def test_unknown_derivation_makes_dependants_missing(screener: Screener) -> None:
    decision = _screen(screener, industry=None)
    assert _status(decision, "env.two_high") is Status.MISSING
    assert _status(decision, "env.two_high_cond") is Status.MISSING
    assert "industry.code" in decision.missing


def test_bonus_adds_points_capped_at_100(screener: Screener) -> None:
    decision = _screen(screener, environment__catalogue="encouraged")
    assert _status(decision, "cat.bonus") is Status.PASS and decision.score == 100
    lower = _screen(
        screener, environment__catalogue="encouraged", output__annual_tax=150
    )
    assert lower.score == 55


def test_zero_land_is_missing_not_a_crash(screener: Screener) -> None:
    # a figure a zero divisor leaves uncomputed is missing data, never not applicable
    decision = _screen(screener, land__area_mu=0)
    finding = decision.findings[1]
    assert finding.status is Status.MISSING and finding.reason == "division_by_zero"
    assert finding.missing == ("land.area_mu",)
    assert decision.outcome is Outcome.REVIEW and "land.area_mu" in decision.missing


def test_unconfigured_table_reports_not_applicable(write_ruleset) -> None:
    rs = write_ruleset(
        MINIMAL
        + """\
        tables:
          intensity_min: {keys: [division], unit: 万元/亩, values: {}}
        rules:
          - id: inv.table
            group: investment_intensity
            kind: gate
            require: investment.fixed_assets / land.area_mu >= lookup(intensity_min, industry.division)
        """
    )
    decision = Screener(rs).screen(Project.model_validate(GOOD))
    assert decision.findings[0].status is Status.NOT_APPLICABLE
    assert decision.findings[0].reason == "table_not_configured"
    assert (
        decision.outcome is Outcome.PASS
    )  # neither passes nor fails the project on its own
    bare = Screener(rs).screen(
        Project.model_validate({"id": "x"})
    )  # inputs absent too: still 未配置, not missing
    assert (
        bare.findings[0].status is Status.NOT_APPLICABLE
        and bare.outcome is Outcome.PASS
    )


def test_rule_set_without_score_rules_has_no_pass_mark(write_ruleset) -> None:
    rs = write_ruleset(
        MINIMAL
        + """\
        parameters: {pass_mark: 60}
        rules:
          - {id: env.red_line, group: environment, kind: veto, fail_if: environment.in_red_line}
        """
    )
    decision = Screener(rs).screen(Project.model_validate(GOOD))
    assert (
        decision.outcome is Outcome.PASS
        and decision.score is None
        and decision.pass_mark is None
    )


def test_linear_points_interpolate(write_ruleset) -> None:
    rs = write_ruleset(
        MINIMAL
        + """\
        rules:
          - id: inv.linear
            group: investment_intensity
            kind: score
            value: investment.fixed_assets / land.area_mu
            linear: [{at: 200, points: 0}, {at: 400, points: 40}]
        """
    )
    decision = Screener(rs).screen(Project.model_validate(GOOD))  # 300 → 20 of 40
    assert decision.findings[0].points == 20 and decision.score == 50


def test_group_weights(write_ruleset) -> None:
    rs = write_ruleset(
        MINIMAL
        + """\
        weights: {investment_intensity: 40, tax_yield: 60}
        rules:
          - {id: a, group: investment_intensity, kind: score, value: investment.fixed_assets, bands: [{min: 5000, points: 10}, {max: 5000, points: 0}]}
          - {id: b, group: tax_yield, kind: score, value: output.annual_tax, bands: [{min: 100, points: 3}, {max: 100, points: 0}]}
        """
    )
    decision = Screener(rs).screen(Project.model_validate(GOOD))  # a: 0/10, b: 3/3
    assert decision.score == 60


@pytest.mark.parametrize("reference", [False, True])
def test_a_weighted_group_that_does_not_apply_costs_nothing(
    write_ruleset, reference: bool
) -> None:
    # rd applies to C26 only; GOOD is C3841: its group is left out and the other
    # weight counts for the whole score, as without weights (it scored 50: 复核)
    rules = """\
        rules:
          - {id: a, group: tax_yield, kind: score, value: output.annual_tax, bands: [{min: 100, points: 3}, {max: 100, points: 0}]}
          - {id: rd, group: innovation, kind: score, applies_if: 'startswith(industry.code, "C26")', value: output.annual_tax, bands: [{min: 200, points: 5}, {max: 200, points: 0}]}
        """
    weighted = write_ruleset(
        MINIMAL + "        weights: {tax_yield: 50, innovation: 50}\n" + rules, name="w"
    )
    plain = write_ruleset(MINIMAL + rules, name="plain")
    for rs in (weighted, plain):
        decision = Screener(rs, reference=reference).screen(
            Project.model_validate(GOOD)
        )
        assert decision.findings[1].status is Status.NOT_APPLICABLE
        assert (decision.score, decision.outcome) == (100, Outcome.PASS), rs.id
    # where both apply, the weights weigh as before: a 3/3 and rd 0/5 → 50
    chemical = Project.model_validate(
        {**GOOD, "industry": "C2613", "output": {"annual_tax": 100}}
    )
    both = Screener(weighted, reference=reference).screen(chemical)
    assert [f.points for f in both.findings] == [3, 0] and both.score == 50


def test_table_thresholds_compare_exactly(write_ruleset) -> None:
    rs = write_ruleset(
        MINIMAL
        + """\
        tables:
          intensity_min: {keys: [division], unit: 万元/亩, values: {"38": 300.0, "26": 250.5}}
        rules:
          - id: inv.table
            group: investment_intensity
            kind: gate
            require: investment.fixed_assets / land.area_mu >= lookup(intensity_min, industry.division)
        """
    )
    decision = Screener(rs).screen(
        Project.model_validate(GOOD)
    )  # C3841: 4500/15 = 300 ≥ 300.0
    assert (
        decision.findings[0].status is Status.PASS
        and decision.findings[0].threshold == 300
    )
    other = Screener(rs).screen(
        Project.model_validate({**GOOD, "industry": "C2613"})
    )  # 300 ≥ 250.5
    assert other.findings[0].threshold == Fraction(501, 2)


def test_no_threshold_for_this_project_beats_missing_data(write_ruleset) -> None:
    rs = write_ruleset(
        MINIMAL
        + """\
        tables:
          rd_min: {keys: [division], values: {"38": 0.02}}
        rules:
          - {id: rd.share, group: innovation, kind: gate, require: "output.rd_share >= lookup(rd_min, industry.division)"}
        """
    )
    screener = Screener(rs)
    glass = screener.screen(
        Project.model_validate({"industry": "C3054"})
    )  # no R&D threshold for 30, no R&D figure
    assert (
        glass.findings[0].status is Status.NOT_APPLICABLE
        and glass.findings[0].reason == "key_not_in_table"
    )
    machinery = screener.screen(
        Project.model_validate({"industry": "C3841"})
    )  # a threshold exists: data is missing
    assert (
        machinery.findings[0].status is Status.MISSING
        and machinery.outcome is Outcome.REVIEW
    )


def test_a_rule_missing_an_input_is_missing_even_if_the_engine_matches_the_rest(
    write_ruleset,
) -> None:
    rs = write_ruleset(
        MINIMAL
        + """\
        rules:
          - {id: env.any, group: environment, kind: veto, fail_if: environment.in_red_line or environment.access_list_conflict}
        """
    )
    decision = Screener(rs).screen(
        Project.model_validate({"environment": {"in_red_line": True}})
    )
    assert decision.findings[0].status is Status.MISSING and decision.missing == (
        "environment.access_list_conflict",
    )
    assert decision.outcome is Outcome.REVIEW


def test_declared_extra_inputs_are_converted_or_refused(screener: Screener) -> None:
    # "否" for a declared boolean is false: the two-high conditions are not met (never a silent pass)
    decision = _screen(screener, industry="C2613", extra={"conditions_met": "否"})
    assert (
        _status(decision, "env.two_high_cond") is Status.FAIL
        and decision.outcome is Outcome.REVIEW
    )
    from screening.errors import ProjectError

    with pytest.raises(ProjectError) as info:
        _screen(screener, industry="C2613", extra={"conditions_met": "也许"})
    assert info.value.diagnostics[0].field == "extra.conditions_met"
    assert "应为 是/否" in info.value.diagnostics[0].message


def test_numbers_and_listed_text_in_extra_inputs(write_ruleset) -> None:
    rs = write_ruleset(
        MINIMAL
        + """\
        inputs:
          extra.density: {type: number}
          extra.investor: {type: text, values: [listed, private]}
        rules:
          - {id: land.density, group: land_use, kind: gate, require: "between(extra.density, 0.35, 0.65)"}
          - {id: inv.listed, group: investor, kind: bonus, when: extra.investor == "listed", points: 1}
        """
    )
    screener = Screener(rs)
    decision = screener.screen(
        Project.model_validate({"extra": {"density": "65%", "investor": "listed"}})
    )
    assert [f.status for f in decision.findings] == [Status.PASS, Status.PASS]
    from screening.errors import ProjectError

    with pytest.raises(ProjectError, match="不在可选值"):
        screener.screen(
            Project.model_validate({"extra": {"density": 0.5, "investor": "state"}})
        )


def test_screening_leaves_the_callers_decimal_context_as_it_was(
    screener: Screener,
) -> None:
    import decimal

    mine = decimal.Context(prec=7)
    decimal.setcontext(mine)
    try:
        _screen(
            screener
        )  # 4500 / 15: exact integer arithmetic inside, whatever the caller's precision
        assert decimal.getcontext() is mine
        with pytest.raises(AttributeError):
            screener.screen_values(None)  # type: ignore[arg-type]
        assert decimal.getcontext() is mine
    finally:
        decimal.setcontext(decimal.DefaultContext)
