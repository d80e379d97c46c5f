"""A figure a zero divisor leaves uncomputed (用地面积 0 for the per-mu gates) is missing
data for its rule, never not applicable: a gate that cannot be computed never counts as
met, so the lead goes to review with the zero input listed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from screening.cases import load_case
from screening.findings import Outcome, Status
from screening.loader import load_ruleset
from screening.model.project import Project
from screening.report.contract import contract_line
from screening.report.explain import Explainer
from screening.screener import Screener
from tests.conftest import MINIMAL

ROOT = Path(__file__).resolve().parents[2]
PER_MU = ("investment_intensity.parcel", "output.intensity", "tax_yield.per_mu")


def _bh01_with(area: int) -> Project:
    case = load_case(ROOT / "cases" / "beihai" / "bh01-iron-phosphate-pass.yaml")
    data = case.project.model_dump(mode="json", exclude_none=True)
    data["land"]["area_mu"] = area
    return Project.model_validate(data)


def test_a_zero_land_area_on_a_gate_only_rule_set_goes_to_review() -> None:
    ruleset = load_ruleset("parks/beihai-tieshangang-2023", as_of=dt.date(2025, 6, 30))
    screener = Screener(ruleset)
    assert (
        screener.screen(_bh01_with(50)).outcome is Outcome.PASS
    )  # the case as shipped
    decision = screener.screen(_bh01_with(0))
    assert decision.outcome is Outcome.REVIEW  # was 通过, nothing missing
    assert decision.missing == ("land.area_mu",)
    found = {f.rule: f for f in decision.findings}
    for rule in PER_MU:
        assert found[rule].status is Status.MISSING, rule
        assert found[rule].missing == ("land.area_mu",)
    zh, en = Explainer(ruleset, "zh"), Explainer(ruleset, "en")
    intensity = found["investment_intensity.parcel"]
    assert zh.message(intensity) == "投资强度：用地面积为 0，无法计算投资强度"
    assert en.message(intensity).startswith("investment intensity: land area is 0")
    # the JSON contract says the same, and lists the field
    line = json.loads(contract_line(decision, ruleset))
    assert line["decision"] == "review" and line["missing"] == ["land.area_mu"]
    written = {f["rule"]: f for f in line["findings"]}
    assert written["investment_intensity.parcel"]["status"] == "missing"
    assert (
        written["investment_intensity.parcel"]["message"]
        == "投资强度：用地面积为 0，无法计算投资强度"
    )


RULES = (
    MINIMAL
    + """\
    metrics:
      intensity: {expr: investment.fixed_assets / land.area_mu, unit: 万元/亩}
      tax_per_mu: {expr: output.annual_tax / land.area_mu, unit: 万元/亩}
    rules:
      - id: inv.gate
        title: {zh: 投资强度, en: investment intensity}
        group: investment_intensity
        kind: gate
        require: intensity >= 250
      - id: inv.rented
        title: {zh: 租赁厂房投资强度, en: rented intensity}
        group: investment_intensity
        kind: gate
        applies_if: land.area_mu > 0
        require: intensity >= 250
      - id: inv.any
        group: investment_intensity
        kind: gate
        require_any:
          - {name: intensity, require: intensity >= 250}
          - {name: staff, require: output.annual_tax / output.employees >= 1}
      - id: tax.score
        group: tax
        kind: score
        value: tax_per_mu
        bands:
          - {max: 10, points: 0}
          - {min: 10, points: 100}
    """
)


def test_a_rule_declaring_it_does_not_apply_stays_not_applicable(
    write_ruleset,
) -> None:
    screener = Screener(write_ruleset(RULES))
    decision = screener.screen(
        Project.model_validate(
            {
                "investment": {"fixed_assets": 3000},
                "output": {"annual_tax": 200, "employees": 0},
                "land": {"area_mu": 0},
            }
        )
    )
    found = {f.rule: f for f in decision.findings}
    assert found["inv.rented"].status is Status.NOT_APPLICABLE
    assert found["inv.rented"].reason == "applies_if"
    assert found["inv.gate"].status is Status.MISSING
    assert found["inv.gate"].missing == ("land.area_mu",)
    # require_any: neither branch can be computed, so the rule lacks both zero inputs
    assert found["inv.any"].status is Status.MISSING
    assert found["inv.any"].missing == ("land.area_mu", "output.employees")
    assert {b.status for b in found["inv.any"].branches} == {Status.MISSING}
    # a score rule scores nothing and lists the field
    assert (
        found["tax.score"].status is Status.MISSING and found["tax.score"].points == 0
    )
    assert decision.outcome is Outcome.REVIEW
    assert decision.missing == ("land.area_mu", "output.employees")


def test_a_zero_divisor_in_one_branch_leaves_the_other_to_decide(
    write_ruleset,
) -> None:
    screener = Screener(write_ruleset(RULES))
    project = Project.model_validate(
        {
            "investment": {"fixed_assets": 3000},
            "output": {"annual_tax": 200, "employees": 10},
            "land": {"area_mu": 0},
        }
    )
    found = {f.rule: f for f in screener.screen(project).findings}
    assert found["inv.any"].status is Status.PASS  # 20 per head: met
    assert [b.status for b in found["inv.any"].branches] == [
        Status.MISSING,
        Status.PASS,
    ]
    assert found["inv.gate"].status is Status.MISSING


def test_a_zero_metric_divisor_names_the_fields_behind_it(write_ruleset) -> None:
    ruleset = write_ruleset(
        MINIMAL
        + """\
        parameters:
          base: {value: 0, unit: 亩}
        metrics:
          emitted: {expr: environment.emissions.cod_t + environment.emissions.so2_t, unit: t}
        rules:
          - id: per.emission
            group: environment
            kind: gate
            require: output.added_value / emitted >= 1
          - id: per.base
            group: environment
            kind: gate
            require: output.added_value / base >= 1
        """
    )
    decision = Screener(ruleset).screen(
        Project.model_validate(
            {
                "output": {"added_value": 5},
                "environment": {"emissions": {"cod_t": 0, "so2_t": 0}},
            }
        )
    )
    emission, base = decision.findings
    fields = ("environment.emissions.cod_t", "environment.emissions.so2_t")
    assert emission.status is Status.MISSING and emission.missing == fields
    assert decision.missing == fields and decision.outcome is Outcome.REVIEW
    # a rule-set parameter of 0 is no project data to obtain: not applicable, as before
    assert base.status is Status.NOT_APPLICABLE and base.reason == "division_by_zero"


@pytest.mark.parametrize("reference", [False, True])
def test_a_fact_derived_over_a_zero_divisor_is_missing_for_its_readers(
    write_ruleset, reference: bool
) -> None:
    # the derivation's own finding says 用地面积为 0: a gate reading the fact must not
    # fail on it (a reject) but lack it, naming the zero input
    ruleset = write_ruleset(
        MINIMAL
        + """\
        metrics:
          intensity: {expr: investment.fixed_assets / land.area_mu, unit: 万元/亩}
        rules:
          - id: dense
            group: investment_intensity
            kind: derive
            sets: dense
            when: intensity >= 300
          - id: need.dense
            group: investment_intensity
            kind: gate
            require: dense
          - id: dense.veto
            group: investment_intensity
            kind: veto
            fail_if: not dense
        """
    )
    screener = Screener(ruleset, reference=reference)
    decision = screener.screen(
        Project.model_validate(
            {"investment": {"fixed_assets": 3000}, "land": {"area_mu": 0}}
        )
    )
    derived, gate, veto = decision.findings
    assert derived.status is Status.MISSING and derived.reason == "division_by_zero"
    for reader in (gate, veto):
        assert reader.status is Status.MISSING, reader
        assert reader.missing == ("land.area_mu",)
    assert decision.outcome is Outcome.REVIEW
    assert decision.missing == ("land.area_mu",) and decision.vetoed_by == ()
    # a figure it can compute still decides
    dense = screener.screen(
        Project.model_validate(
            {"investment": {"fixed_assets": 3000}, "land": {"area_mu": 5}}
        )
    )
    assert [f.status for f in dense.findings] == [Status.PASS] * 3
