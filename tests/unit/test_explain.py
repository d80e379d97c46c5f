"""Sentences: custom templates with format specs, broken templates, text that JSON must escape."""

from __future__ import annotations

from screening.findings import Status
from screening.model.project import Project
from screening.report.explain import Explainer
from screening.screener import Screener
from tests.conftest import MINIMAL

RULES = (
    MINIMAL
    + """\
    metrics:
      intensity: {expr: investment.fixed_assets / land.area_mu, unit: 万元/亩}
    rules:
      - {id: inv.plain, group: investment_intensity, kind: gate, require: intensity >= 250}
      - id: inv.padded
        group: investment_intensity
        kind: gate
        require: intensity >= 250
        message: "{title}：[{actual:>9}] 不足 {threshold}{unit}"
      - id: inv.twice
        group: investment_intensity
        kind: gate
        require: intensity >= 250
        message: "{actual} 万元/亩（{actual}）低于 {threshold}"
      - id: inv.broken
        group: investment_intensity
        kind: gate
        require: intensity >= 250
        message: "{actual 未闭合"
    """
)


def _messages(
    screener: Screener, explainer: Explainer, fixed_assets: int
) -> dict[str, str]:
    project = Project.model_validate(
        {"investment": {"fixed_assets": fixed_assets}, "land": {"area_mu": 7}}
    )
    return {f.rule: explainer.message(f) for f in screener.screen(project).findings}


def test_sentences_with_a_hole_read_as_written_out(write_ruleset) -> None:
    ruleset = write_ruleset(RULES)
    screener = Screener(ruleset)
    shared = Explainer(
        ruleset, "zh"
    )  # one explainer for every figure: its memos fill up
    seen = {}
    for fixed_assets in (1000, 1001, 1400, 1000, 1750, 2000):
        messages = _messages(screener, shared, fixed_assets)
        assert messages == _messages(
            screener, Explainer(ruleset, "zh"), fixed_assets
        )  # as a fresh one writes
        seen[fixed_assets] = messages
    assert seen[1000][
        "inv.plain"
    ] == "投资强度：142.8571 万元/亩，要求不低于 250 万元/亩，不符合".replace(
        "投资强度", "inv.plain"
    )
    assert seen[1001]["inv.plain"].startswith("inv.plain：143 万元/亩")
    assert (
        seen[1000]["inv.padded"] == "inv.padded：[ 142.8571] 不足 250 万元/亩"
    )  # the spec pads this figure…
    assert (
        seen[1001]["inv.padded"] == "inv.padded：[      143] 不足 250 万元/亩"
    )  # …and this one alike
    assert seen[1400]["inv.twice"] == "200 万元/亩（200）低于 250"
    assert (
        seen[1000]["inv.broken"] == "{actual 未闭合"
    )  # not a template: shown as written
    assert seen[1750]["inv.plain"].endswith("，符合")


def test_a_title_holding_the_hole_character_is_still_shown_whole(write_ruleset) -> None:
    ruleset = write_ruleset(
        RULES.replace(
            "{id: inv.plain, group:", '{id: inv.plain, title: "强度\\0", group:'
        )
    )
    screener = Screener(ruleset)
    explainer = Explainer(ruleset, "zh")
    for fixed_assets, expected in (
        (1000, "强度\0：142.8571 万元/亩"),
        (1001, "强度\0：143 万元/亩"),
    ):
        finding = screener.screen(
            Project.model_validate(
                {"investment": {"fixed_assets": fixed_assets}, "land": {"area_mu": 7}}
            )
        ).findings[0]
        assert finding.status is Status.FAIL
        assert explainer.message(finding).startswith(expected)


def test_a_finding_whose_text_json_must_escape_is_escaped(write_ruleset) -> None:
    import json
    from decimal import Decimal

    from screening.findings import Finding
    from screening.report.contract import contract_line, to_contract

    ruleset = write_ruleset(
        RULES.replace(
            "{id: inv.plain, group:", '{id: inv.plain, title: "说 \\"hi\\"", group:'
        )
    )
    odd = Finding(
        "inv.plain",
        "investment_intensity",
        "gate",
        Status.PASS,
        Decimal(300),
        Decimal(250),
        ">=",
    )
    decision = Screener(ruleset).screen(
        Project.model_validate(
            {"investment": {"fixed_assets": 2100}, "land": {"area_mu": 7}}
        )
    )
    decision = decision._replace(findings=(odd,) + decision.findings[1:])
    line = contract_line(decision, ruleset)
    assert line == json.dumps(to_contract(decision, ruleset), ensure_ascii=False)
    assert '说 \\"hi\\"' in line


def test_contract_lines_of_padded_and_holed_rules_are_the_contract_in_json(
    write_ruleset,
) -> None:
    import json

    from screening.report.contract import contract_line, to_contract

    for text in (
        RULES,
        RULES.replace(
            "{id: inv.plain, group:", '{id: inv.plain, title: "强度\\0", group:'
        ),
    ):
        ruleset = write_ruleset(text)
        screener = Screener(ruleset)
        for fixed_assets in (1000, 1001, 1400, 1000, 1750, 2000, 1001):
            decision = screener.screen(
                Project.model_validate(
                    {
                        "investment": {"fixed_assets": fixed_assets},
                        "land": {"area_mu": 7},
                    }
                )
            )
            assert contract_line(decision, ruleset) == json.dumps(
                to_contract(decision, ruleset), ensure_ascii=False
            )


SHARES = (
    MINIMAL
    + """\
    metrics:
      rd: {expr: output.rd_share, unit: ""}
      per_head: {expr: output.annual_revenue / output.employees, unit: 万元/人}
      tax_per_mu: {expr: output.annual_tax / land.area_mu, unit: 万元/亩}
    rules:
      - id: rd.share
        title: {zh: 研发投入, en: R&D}
        group: industry_fit
        kind: gate
        require: output.rd_share >= 0.022
      - {id: rd.metric, group: industry_fit, kind: gate, require: rd >= 0.0372}
      - {id: staff.cap, group: industry_fit, kind: gate, require: per_head >= 12.1}
      - id: tax.mu
        title: {zh: 亩均税收, en: tax per mu}
        group: tax
        kind: gate
        require: tax_per_mu >= 20
    """
)


def _findings(
    write_ruleset, lang: str, **values: object
) -> dict[str, tuple[str, str | None]]:
    ruleset = write_ruleset(SHARES)
    explainer = Explainer(ruleset, lang)
    project = Project.model_validate({key: value for key, value in values.items()})
    return {
        f.rule: (explainer.message(f), explainer.remedy(f))
        for f in Screener(ruleset).screen(project).findings
    }


def test_a_share_remedy_is_rounded_as_a_percentage_in_the_safe_direction(
    write_ruleset,
) -> None:
    found = _findings(write_ruleset, "zh", output={"rd_share": "0.01"})
    assert found["rd.share"] == (
        "研发投入：1%，要求不低于 2.2%，不符合",
        "研发投入占营业收入比重需不低于 2.2%",
    )
    assert found["rd.metric"][1] == "研发投入占营业收入比重需不低于 3.72%"


def test_a_remedy_in_people_is_a_whole_number_rounded_the_safe_way(
    write_ruleset,
) -> None:
    # 4003 / 12.1 = 330.82…: at most 330 people keeps 12.1 万元/人 met; 331 would not
    found = _findings(
        write_ruleset, "zh", output={"annual_revenue": 4003, "employees": 400}
    )
    assert (
        found["staff.cap"][1]
        == "年营业收入需不低于 4840 万元；或从业人数需不超过 330 人"
    )
    # 3313.31 / 12.1 = 273.8…: down to 273 people; the revenue needed is 12.1 × 331
    found = _findings(
        write_ruleset, "zh", output={"annual_revenue": 3313.31, "employees": 331}
    )
    assert (
        found["staff.cap"][1]
        == "年营业收入需不低于 4005.1 万元；或从业人数需不超过 273 人"
    )


def test_a_division_by_zero_names_the_input_that_is_zero(write_ruleset) -> None:
    found = _findings(
        write_ruleset,
        "zh",
        output={"annual_revenue": 100, "employees": 0, "annual_tax": 10},
        land={"area_mu": 5},
    )
    assert found["staff.cap"][0] == "staff.cap：从业人数为 0，无法计算staff.cap"
    assert found["tax.mu"][0].startswith(
        "亩均税收：2 万元/亩"
    )  # the other divisor is not zero
    found = _findings(
        write_ruleset, "en", output={"annual_tax": 10}, land={"area_mu": 0}
    )
    assert (
        found["tax.mu"][0]
        == "tax per mu: land area is 0, so tax per mu cannot be computed"
    )


def test_a_zero_divisor_in_a_comparison_and_in_arithmetic_is_named_alike(
    write_ruleset,
) -> None:
    # `tax_per_mu >= 20` is decided cross-multiplied (compile.py); `min(…)` divides
    ruleset = write_ruleset(
        SHARES.replace(
            "require: tax_per_mu >= 20", "require: min(tax_per_mu, 100) >= 20"
        )
    )
    project = Project.model_validate(
        {"output": {"annual_tax": 1}, "land": {"area_mu": 0}}
    )
    for rs in (write_ruleset(SHARES), ruleset):
        finding = next(
            f for f in Screener(rs).screen(project).findings if f.rule == "tax.mu"
        )
        assert finding.reason_params == (("divisor", ("land.area_mu",)),)


def test_contract_lines_carry_the_zero_divisor_as_the_contract_does(
    write_ruleset,
) -> None:
    import json

    from screening.report.contract import contract_line, to_contract

    ruleset = write_ruleset(SHARES)
    screener = Screener(ruleset)
    for area, employees in ((0, 3), (2, 0), (0, 3), (0, 0)):
        project = Project.model_validate(
            {
                "output": {
                    "annual_tax": 1,
                    "annual_revenue": 50,
                    "employees": employees,
                },
                "land": {"area_mu": area},
            }
        )
        decision = screener.screen(project)
        line = contract_line(decision, ruleset)
        assert line == json.dumps(to_contract(decision, ruleset), ensure_ascii=False)
        assert ("用地面积为 0" in line) == (area == 0)
        assert ("从业人数为 0" in line) == (employees == 0)


def test_english_output_writes_units_in_english(write_ruleset) -> None:
    found = _findings(
        write_ruleset, "en", output={"annual_tax": 10}, land={"area_mu": 1}
    )
    assert found["tax.mu"] == (
        "tax per mu: 10 ×10k CNY/mu, required at least 20 ×10k CNY/mu: not met",
        "land area at most 0.5 mu; or annual tax at least 20 ×10k CNY",
    )
