"""The language the 2023 content needs: `info`, `require_any`, parameter figures in
bands and linear points, parameters left 未配置, declared shares shown as percentages,
declared units."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from screening.errors import ProjectError, RuleSetError
from screening.findings import Outcome, Status
from screening.model.project import Project
from screening.report.contract import contract_bytes, to_contract
from screening.report.explain import explainer
from screening.screener import Screener
from screening.validate import check_ruleset
from tests.conftest import MINIMAL, ROOT

EITHER_OR = (
    MINIMAL
    + """\
    inputs:
      extra.zone: {type: text, values: [国家级, 区管省级]}
    metrics:
      intensity: {expr: investment.fixed_assets / land.area_mu, unit: 万元/亩}
      tax_per_mu: {expr: output.annual_tax / land.area_mu, unit: 万元/亩}
    tables:
      intensity_min: {keys: [zone], unit: 万元/亩, values: {国家级: 300, 区管省级: 150}}
      tax_min: {keys: [zone], unit: 万元/亩, values: {国家级: 30}}
    rules:
      - id: land.either
        group: investment_intensity
        kind: gate
        title: 投资强度或亩均税收
        require_any:
          - name: intensity
            title: 投资强度
            require: intensity >= lookup(intensity_min, extra.zone)
          - name: tax
            title: 亩均税收
            require: tax_per_mu >= lookup(tax_min, extra.zone)
    """
)


def _project(**sections: object) -> Project:
    return Project.model_validate(sections)


def _either(
    screener: Screener,
    fixed: object,
    tax: object,
    zone: str | None = "国家级",
    area: object = 100,
):
    data: dict[str, object] = {
        "land": {"area_mu": area},
        "investment": {},
        "output": {},
    }
    if fixed is not None:
        data["investment"] = {"fixed_assets": fixed}
    if tax is not None:
        data["output"] = {"annual_tax": tax}
    if zone is not None:
        data["extra"] = {"zone": zone}
    return screener.screen(Project.model_validate(data))


def test_either_or_passes_on_one_branch_whatever_the_other_holds(write_ruleset) -> None:
    screener = Screener(write_ruleset(EITHER_OR))
    # 投资强度 exactly 300 (不低于): met; the tax figure is absent and does not matter
    decision = _either(screener, 30000, None)
    finding = decision.findings[0]
    assert finding.status is Status.PASS and decision.outcome is Outcome.PASS
    assert (
        finding.actual == 300 and finding.threshold == 300 and finding.unit == "万元/亩"
    )
    assert [b.status for b in finding.branches] == [Status.PASS, Status.MISSING]
    message = explainer(screener.ruleset, "zh").message(finding)
    assert (
        message
        == "投资强度或亩均税收：投资强度 300 万元/亩，要求不低于 300 万元/亩，符合"
        "（满足其一即可）"
    )
    # the tax branch alone: intensity 200 < 300 fails, tax 30 = 30 meets it
    finding = _either(screener, 20000, 3000).findings[0]
    assert finding.status is Status.PASS and [b.status for b in finding.branches] == [
        Status.FAIL,
        Status.PASS,
    ]
    assert "亩均税收 30 万元/亩" in explainer(screener.ruleset, "zh").message(finding)


def test_either_or_fails_when_no_branch_holds_and_gives_a_remedy_per_branch(
    write_ruleset,
) -> None:
    screener = Screener(write_ruleset(EITHER_OR))
    decision = _either(screener, 20000, 2500)
    finding = decision.findings[0]
    assert finding.status is Status.FAIL and decision.outcome is Outcome.REJECT
    assert (
        finding.actual is None
        and finding.remedy is not None
        and finding.remedy.code == "any"
    )
    zh = explainer(screener.ruleset, "zh")
    assert zh.message(finding) == (
        "投资强度或亩均税收：均不符合（投资强度 200 万元/亩，要求不低于 300 万元/亩，"
        "不符合；"
        "亩均税收 25 万元/亩，要求不低于 30 万元/亩，不符合），满足其一即可"
    )
    remedy = zh.remedy(finding)
    assert remedy is not None and remedy.startswith("满足下列任一项即可：投资强度——")
    assert (
        "固定资产投资需不低于 30000 万元" in remedy
        and "年税收需不低于 3000 万元" in remedy
    )
    # the rejected gate's summary line carries the per-branch remedy
    assert any(
        line.startswith("投资强度或亩均税收：满足下列任一项即可")
        for line in zh.summary(decision)
    )
    en = explainer(screener.ruleset, "en").remedy(finding)
    assert en is not None and en.startswith("Any one of: ")


def test_either_or_missing_while_no_branch_holds_and_one_lacks_data(
    write_ruleset,
) -> None:
    screener = Screener(write_ruleset(EITHER_OR))
    decision = _either(
        screener, 20000, None
    )  # intensity fails, tax unknown: it could still pass
    finding = decision.findings[0]
    assert finding.status is Status.MISSING and finding.missing == (
        "output.annual_tax",
    )
    assert decision.outcome is Outcome.REVIEW and decision.missing == (
        "output.annual_tax",
    )
    assert "缺少数据" in explainer(screener.ruleset, "zh").message(finding)


def test_a_branch_with_no_cell_for_the_project_is_not_applicable(write_ruleset) -> None:
    screener = Screener(write_ruleset(EITHER_OR))
    # 区管省级 has no tax cell: judged on intensity alone
    finding = _either(screener, 10000, 9000, zone="区管省级").findings[0]
    assert finding.status is Status.FAIL
    assert [b.status for b in finding.branches] == [Status.FAIL, Status.NOT_APPLICABLE]
    assert "亩均税收不适用" in explainer(screener.ruleset, "zh").message(finding)


def test_either_or_findings_match_the_engine_and_the_contract(write_ruleset) -> None:
    screener = Screener(write_ruleset(EITHER_OR))
    for fixed, tax in (
        (30000, None),
        (20000, 3000),
        (20000, 2500),
        (40000, 4000),
        (20000, None),
        (None, None),
    ):
        decision = _either(screener, fixed, tax)
        again = _either(screener, fixed, tax)
        assert (
            again.findings[0] == decision.findings[0]
        )  # the same inputs, the same finding
        reference = Screener(screener.ruleset, reference=True)
        assert _either(reference, fixed, tax) == decision  # as the reference judges it
        line = contract_bytes(decision, screener.ruleset)
        assert (
            line
            == (
                json.dumps(to_contract(decision, screener.ruleset), ensure_ascii=False)
                + "\n"
            ).encode()
        )


def test_require_any_needs_two_named_branches_and_one_condition_kind(
    write_ruleset,
) -> None:
    with pytest.raises(RuleSetError) as info:
        write_ruleset(
            MINIMAL
            + """\
            rules:
              - id: a.b
                group: land_use
                kind: gate
                require: land.plot_ratio >= 1
                require_any:
                  - {name: x, require: land.plot_ratio >= 1}
                  - {name: x, require: land.plot_ratio >= 2}
            """
        )
    assert "需要 require 或 fail_if 之一" in str(info.value.diagnostics[0].message)
    with pytest.raises(RuleSetError) as info:
        write_ruleset(
            MINIMAL
            + """\
            rules:
              - id: a.b
                group: land_use
                kind: gate
                require_any:
                  - {name: x, require: land.plot_ratio >= 1}
                  - {name: y, require: land.plot_ratio >= "a"}
            """
        )
    assert info.value.diagnostics[0].field == "rules[0].require_any[1].require"


INFO = (
    MINIMAL
    + """\
    parameters:
      exempt_tce: {value: 1000, unit: tce}
    rules:
      - id: energy.exempt
        group: energy
        kind: info
        title: 免于单独节能审查
        when: environment.energy_tce < exempt_tce
        message: 免于单独节能审查（年综合能耗不满 1000 吨标准煤）
        otherwise: 须单独进行节能审查，取得审查意见前不得开工
      - id: env.flag
        group: environment
        kind: info
        title: 报告书
        when: environment.eia_category == "report"
    """
)


def test_info_rules_say_their_fact_and_change_nothing(write_ruleset) -> None:
    screener = Screener(write_ruleset(INFO))
    zh = explainer(screener.ruleset, "zh")
    exempt = screener.screen(
        _project(environment={"energy_tce": 800, "eia_category": "report"})
    )
    assert [f.kind for f in exempt.findings] == ["info", "info"]
    assert [f.status for f in exempt.findings] == [Status.PASS, Status.PASS]
    assert (
        zh.message(exempt.findings[0])
        == "免于单独节能审查（年综合能耗不满 1000 吨标准煤）"
    )
    assert zh.message(exempt.findings[1]) == "报告书：是"
    reviewed = screener.screen(
        _project(environment={"energy_tce": 1000, "eia_category": "report_table"})
    )
    assert (
        zh.message(reviewed.findings[0]) == "须单独进行节能审查，取得审查意见前不得开工"
    )
    assert zh.message(reviewed.findings[1]) == "报告书：否"
    unknown = screener.screen(_project())
    assert [f.status for f in unknown.findings] == [Status.MISSING, Status.MISSING]
    for decision in (
        exempt,
        reviewed,
        unknown,
    ):  # information: no decision, score or missing list moves
        assert (
            decision.outcome is Outcome.PASS
            and decision.score is None
            and decision.missing == ()
        )
        assert (
            contract_bytes(decision, screener.ruleset)
            == (
                json.dumps(to_contract(decision, screener.ruleset), ensure_ascii=False)
                + "\n"
            ).encode()
        )
    assert to_contract(exempt, screener.ruleset)["findings"][0]["kind"] == "info"


BANDS = (
    MINIMAL
    + """\
    parameters:
      pass_mark: 60
      tax_low: {value: 10, unit: 万元/亩}
      tax_full: {value: 20, unit: 万元/亩}
      full_points: {value: 100, unit: ""}
    metrics:
      tax_per_mu: {expr: output.annual_tax / land.area_mu, unit: 万元/亩}
    rules:
      - id: tax.banded
        group: tax_yield
        kind: score
        value: tax_per_mu
        bands:
          - {max: tax_low, points: 0}
          - {min: tax_low, max: tax_full, points: 50}
          - {min: tax_full, points: full_points}
      - id: tax.linear
        group: tax_yield
        kind: score
        value: tax_per_mu
        linear: [{at: tax_low, points: 0}, {at: tax_full, points: 100}]
    """
)


def test_bands_and_linear_points_take_parameters(write_ruleset, tmp_path) -> None:
    rs = write_ruleset(BANDS)
    screener = Screener(rs)
    decision = screener.screen(
        _project(land={"area_mu": 10}, output={"annual_tax": 150})
    )  # 15 万元/亩
    assert [f.points for f in decision.findings] == [Fraction(50), Fraction(50)]
    assert rs.rules[0].spec.max_points == 100
    assert [f.code for f in check_ruleset(rs) if f.severity == "error"] == []
    # a county changes one parameter, and every band and point using it moves
    child = tmp_path / "county.yaml"
    child.write_text(
        f"id: county\ntitle: 县\nversion: '1'\nextends: [{tmp_path / 'test.yaml'}]\n"
        "parameters: {tax_full: {value: 15, unit: 万元/亩}}\n",
        encoding="utf-8",
    )
    from screening.loader import load_ruleset

    county = Screener(load_ruleset(str(child)))
    decision = county.screen(_project(land={"area_mu": 10}, output={"annual_tax": 150}))
    assert [f.points for f in decision.findings] == [Fraction(100), Fraction(100)]


@pytest.mark.parametrize(
    ("figure", "message"),
    [
        ("tax_hgh", "未定义的参数 'tax_hgh'"),
        ("full_points", "单位"),  # a dimensionless parameter as a bound in 万元/亩
    ],
)
def test_band_parameters_are_checked(write_ruleset, figure: str, message: str) -> None:
    with pytest.raises(RuleSetError) as info:
        write_ruleset(
            BANDS.replace(
                "{min: tax_full, points: full_points}",
                f"{{min: {figure}, points: full_points}}",
            )
        )
    assert any(message in d.message for d in info.value.diagnostics)


def test_linear_points_must_still_increase_once_parameters_are_in(
    write_ruleset,
) -> None:
    with pytest.raises(RuleSetError, match="递增"):
        write_ruleset(
            BANDS.replace(
                "[{at: tax_low, points: 0}, {at: tax_full, points: 100}]",
                "[{at: tax_full, points: 0}, {at: tax_low, points: 100}]",
            )
        )


UNSET = (
    MINIMAL
    + """\
    parameters:
      coverage_min: {value: null, unit: "", pending: 2023 版数值未取得}
      fallback_class: {value: null, unit: ""}
    rules:
      - id: land.coverage
        group: land_use
        kind: gate
        title: 建筑系数
        require: land.building_coverage >= coverage_min
      - id: land.class
        group: land_use
        kind: review
        require: coalesce(region_class, fallback_class) >= 1
    """
)


def test_a_parameter_without_a_value_leaves_its_rule_unconfigured(
    write_ruleset,
) -> None:
    rs = write_ruleset(UNSET)
    screener = Screener(rs)
    decision = screener.screen(
        _project(land={"building_coverage": 0.1}, region_class=3)
    )
    coverage, fallback = decision.findings
    assert (
        coverage.status is Status.NOT_APPLICABLE
        and coverage.reason == "parameter_not_configured"
    )
    assert (
        explainer(rs, "zh").message(coverage)
        == "建筑系数：未配置（参数「coverage_min」尚待主管部门填写），不作判断"
    )
    assert (
        fallback.status is Status.PASS
    )  # inside coalesce, an unset parameter is a fallback not taken
    assert decision.outcome is Outcome.PASS
    notes = [d.message for d in check_ruleset(rs) if d.code == "CFG"]
    assert any(
        "参数 coverage_min 未配置：规则 land.coverage（建筑系数）" in m
        and "原因：2023 版数值未取得" in m
        for m in notes
    )


SHARES = (
    MINIMAL
    + """\
    inputs:
      extra.density: {type: number, unit: "", percent: true}
      extra.rate: {type: number, unit: 万元/亩}
      extra.money: {type: number, unit: 万元}
    rules:
      - id: land.density
        group: land_use
        kind: gate
        title: 建筑密度
        require: between(extra.density, 35%, 65%)
      - id: inv.rate
        group: investment_intensity
        kind: gate
        require: extra.rate > 249
      - id: inv.money
        group: investment_scale
        kind: gate
        require: extra.money > 9999
    """
)


def test_a_declared_share_is_shown_as_a_percentage(write_ruleset) -> None:
    screener = Screener(write_ruleset(SHARES))
    decision = screener.screen(
        _project(extra={"density": 0.7, "rate": 300, "money": "1.2亿元"})
    )
    zh = explainer(screener.ruleset, "zh")
    density = decision.findings[0]
    assert zh.message(density) == "建筑密度：70%，要求在 35%–65%，不符合"
    assert zh.remedy(density) == "extra.density需不超过 65%"  # the remedy's figure too
    assert (
        to_contract(decision, screener.ruleset)["findings"][0]["actual"] == 0.7
    )  # JSON keeps the fraction
    assert (
        decision.findings[2].status is Status.PASS
    )  # "1.2亿元" for a 万元 input is 12000


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"rate": "65%"}, "extra.rate"),  # a percentage is no 万元/亩
        ({"rate": "280 万元/公顷"}, "extra.rate"),
        ({"money": "65%"}, "extra.money"),
        ({"density": "很高"}, "extra.density"),
    ],
)
def test_a_declared_number_in_a_unit_it_does_not_take_is_refused(
    write_ruleset, extra: dict, field: str
) -> None:
    screener = Screener(write_ruleset(SHARES))
    with pytest.raises(ProjectError) as info:
        screener.screen(_project(extra=extra))
    assert info.value.diagnostics[0].field == field


def test_a_declared_number_written_in_its_own_unit_is_read(write_ruleset) -> None:
    screener = Screener(write_ruleset(SHARES))
    decision = screener.screen(_project(extra={"rate": "280 万元/亩"}))
    assert (
        decision.findings[1].status is Status.PASS
        and decision.findings[1].actual == 280
    )


def test_percent_is_only_for_a_dimensionless_number(write_ruleset) -> None:
    with pytest.raises(RuleSetError, match="percent"):
        write_ruleset(
            MINIMAL + "inputs:\n  extra.x: {type: number, unit: 万元, percent: true}\n"
        )


def test_an_unconfigured_item_is_named_by_its_title() -> None:
    # the national baseline's four 未配置 rules, on every national screening's sheet:
    # the parameter or table by its title, not its id (building_coverage_min_2023)
    from screening.cases import load_case
    from screening.loader import load_ruleset

    rs = load_ruleset("national")
    project = load_case(ROOT / "cases/beihai/bh01-iron-phosphate-pass.yaml").project
    decision = Screener(rs).screen(project)
    zh, en = explainer(rs, "zh"), explainer(rs, "en")
    said = {f.rule: (zh.message(f), en.message(f)) for f in decision.findings}
    assert said["land_use.building_coverage_2023"] == (
        "建筑系数（2023 年版）：未配置（参数「建筑系数下限（2023 年版）」尚待主管部门填写），不作判断",
        "building coverage (2023 edition): not configured (the parameter “minimum "
        "building coverage (2023 edition)” is still to be set by the authority); not "
        "judged",
    )
    assert (
        "查找表「容积率控制值（2023 年版，未配置）」"
        in said["land_use.plot_ratio_2023"][0]
    )
    assert not any("_2023" in zh_text for zh_text, _ in said.values())
