"""Sentences: custom templates with format specs, broken templates, text that JSON must escape."""

from __future__ import annotations

from screening.findings import Status
from screening.model.project import Project
from screening.report.explain import Explainer
from screening.screener import Screener
from tests.conftest import MINIMAL

RULES = MINIMAL + """\
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


def _messages(screener: Screener, explainer: Explainer, fixed_assets: int) -> dict[str, str]:
    project = Project.model_validate({"investment": {"fixed_assets": fixed_assets}, "land": {"area_mu": 7}})
    return {f.rule: explainer.message(f) for f in screener.screen(project).findings}


def test_sentences_with_a_hole_read_as_written_out(write_ruleset) -> None:
    ruleset = write_ruleset(RULES)
    screener = Screener(ruleset)
    shared = Explainer(ruleset, "zh")  # one explainer for every figure: its memos fill up
    seen = {}
    for fixed_assets in (1000, 1001, 1400, 1000, 1750, 2000):
        messages = _messages(screener, shared, fixed_assets)
        assert messages == _messages(screener, Explainer(ruleset, "zh"), fixed_assets)  # as a fresh one writes
        seen[fixed_assets] = messages
    assert seen[1000]["inv.plain"] == "投资强度：142.8571 万元/亩，要求不低于 250 万元/亩，不符合".replace(
        "投资强度", "inv.plain")
    assert seen[1001]["inv.plain"].startswith("inv.plain：143 万元/亩")
    assert seen[1000]["inv.padded"] == "inv.padded：[ 142.8571] 不足 250 万元/亩"  # the spec pads this figure…
    assert seen[1001]["inv.padded"] == "inv.padded：[      143] 不足 250 万元/亩"  # …and this one alike
    assert seen[1400]["inv.twice"] == "200 万元/亩（200）低于 250"
    assert seen[1000]["inv.broken"] == "{actual 未闭合"  # not a template: shown as written
    assert seen[1750]["inv.plain"].endswith("，符合")


def test_a_title_holding_the_hole_character_is_still_shown_whole(write_ruleset) -> None:
    ruleset = write_ruleset(RULES.replace("{id: inv.plain, group:", '{id: inv.plain, title: "强度\\0", group:'))
    screener = Screener(ruleset)
    explainer = Explainer(ruleset, "zh")
    for fixed_assets, expected in ((1000, "强度\0：142.8571 万元/亩"), (1001, "强度\0：143 万元/亩")):
        finding = screener.screen(Project.model_validate(
            {"investment": {"fixed_assets": fixed_assets}, "land": {"area_mu": 7}})).findings[0]
        assert finding.status is Status.FAIL
        assert explainer.message(finding).startswith(expected)


def test_a_finding_whose_text_json_must_escape_is_escaped(write_ruleset) -> None:
    import json
    from decimal import Decimal

    from screening.findings import Finding
    from screening.report.contract import contract_line, to_contract

    ruleset = write_ruleset(RULES.replace("{id: inv.plain, group:", '{id: inv.plain, title: "说 \\"hi\\"", group:'))
    odd = Finding("inv.plain", "investment_intensity", "gate", Status.PASS, Decimal(300), Decimal(250), ">=")
    decision = Screener(ruleset).screen(Project.model_validate(
        {"investment": {"fixed_assets": 2100}, "land": {"area_mu": 7}}))
    decision = decision._replace(findings=(odd,) + decision.findings[1:])
    line = contract_line(decision, ruleset)
    assert line == json.dumps(to_contract(decision, ruleset), ensure_ascii=False)
    assert '说 \\"hi\\"' in line


def test_contract_lines_of_padded_and_holed_rules_are_the_contract_in_json(write_ruleset) -> None:
    import json

    from screening.report.contract import contract_line, to_contract

    for text in (RULES, RULES.replace("{id: inv.plain, group:", '{id: inv.plain, title: "强度\\0", group:')):
        ruleset = write_ruleset(text)
        screener = Screener(ruleset)
        for fixed_assets in (1000, 1001, 1400, 1000, 1750, 2000, 1001):
            decision = screener.screen(Project.model_validate(
                {"investment": {"fixed_assets": fixed_assets}, "land": {"area_mu": 7}}))
            assert contract_line(decision, ruleset) == json.dumps(to_contract(decision, ruleset), ensure_ascii=False)
