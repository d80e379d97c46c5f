"""The workbook's summary names each failed rule by its title, and an industry rule's
remedy says which industries it allows rather than repeating the rule's title."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from screening import load_project, load_ruleset, screen
from screening.expr.parser import parse
from screening.findings import Remedy
from screening.kinds.check import industry_remedy
from screening.report import xlsx_rows
from screening.report.contract import to_contract
from screening.report.explain import explainer
from screening.report.labels import Labels
from screening.report.sheetml import sheet_label
from tests.cli.test_screen_cli import invoke

_BEIHAI = "parks/beihai-tieshangang-2023"
_WRONG_INDUSTRY = "cases/beihai/bh10-lithium-battery-wrong-industry.yaml"
_INDUSTRY_RULE = "industry_fit.parcel_industry"

# bh-010's summary cells: its main failed rule (a rule with a message of its own) and
# what it takes to pass
_BH10 = {
    "zh": (
        "地块规定行业（化学原料和化学制品制造业）：2023GC07007 地块限化学原料和化学制品"
        "制造业（大类 26），本项目行业不符",
        "地块规定行业（化学原料和化学制品制造业）：行业须属于 化学原料和化学制品制造业"
        "（大类 26）",
    ),
    "en": (
        "parcel industry (chemical raw materials and products): Parcel 2023GC07007 is"
        " for chemical raw materials and chemical products (division 26) only",
        "parcel industry (chemical raw materials and products): The industry must be in"
        " GB/T 4754-2017 division 26",
    ),
}


def _summary(path: Path, lang: str) -> dict[str, dict[str, str | None]]:
    sheet = openpyxl.load_workbook(path)[sheet_label("summary_sheet", lang)]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    return {row[0]: dict(zip(header, row, strict=False)) for row in rows}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_main_failed_rule_is_named_by_its_title(
    tmp_path: Path, lang: str
) -> None:
    out = tmp_path / "out.xlsx"
    invoke(
        ["batch", "cases/beihai", "--rules", _BEIHAI, "--lang", lang, "-o", str(out)]
    )
    titles = set(explainer(load_ruleset(_BEIHAI), lang).titles.values())
    colon = "：" if lang == "zh" else ": "
    failed, to_pass = (sheet_label(k, lang) for k in ("main_failed", "to_pass"))
    summary = _summary(out, lang)
    reasons = [
        line for row in summary.values() for line in (row[failed] or "").splitlines()
    ]
    assert len(reasons) >= 10
    for line in reasons:
        assert any(line.startswith(title + colon) for title in titles), line
    assert (summary["bh-010"][failed], summary["bh-010"][to_pass]) == _BH10[lang]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_summary_from_a_contract_names_the_rule_as_from_a_decision(
    lang: str,
) -> None:
    ruleset = load_ruleset(_BEIHAI)
    decision = screen(load_project(_WRONG_INDUSTRY), ruleset)
    fast = xlsx_rows.DecisionRows(ruleset, lang).render(decision)
    slow = xlsx_rows.result_rows(
        to_contract(decision, ruleset, lang), lang, Labels([ruleset], lang)
    )
    assert fast == slow
    assert _BH10[lang][0].encode() in fast.summary


def test_a_contract_without_its_rule_set_does_not_repeat_the_message() -> None:
    # the title is then read from the message's first clause: not put before it again
    ruleset = load_ruleset(_BEIHAI)
    decision = screen(load_project(_WRONG_INDUSTRY), ruleset)
    summary = xlsx_rows.result_rows(to_contract(decision, ruleset, "zh")).summary
    assert summary.count(b"2023GC07007") == 1


@pytest.mark.parametrize(
    ("condition", "negated", "expected"),
    [
        ('industry.division == "26"', False, Remedy("industry", target=("C26",))),
        (
            'industry.division in ["38", "34", "36"]',
            False,
            Remedy("industry", target=("C38", "C34", "C36")),
        ),
        ('industry.division == "26"', True, Remedy("industry_not", target=("C26",))),
        (
            'industry.group not in ["261"]',
            False,
            Remedy("industry_not", target=("C261",)),
        ),
        ('industry.section == "C"', False, Remedy("industry", target=("C",))),
        ('industry.code == "C2613"', False, Remedy("industry", target=("C2613",))),
        ('industry.division == "99"', False, None),  # no such division: not named
        ('industry.division == "261"', False, None),  # a group's digits: never equal
        ("industry.division == region_class", False, None),
        ("land.plot_ratio >= 1", False, None),
    ],
)
def test_an_industry_test_has_the_industries_as_its_remedy(
    condition: str, negated: bool, expected: Remedy | None
) -> None:
    assert industry_remedy(parse(condition), negated) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "zh",
            "行业须属于 电气机械和器材制造业（大类 38）、通用设备制造业（大类 34）、"
            "汽车制造业（大类 36）",
        ),
        (
            "en",
            "The industry must be in GB/T 4754-2017 division 38, division 34, division 36",
        ),
    ],
)
def test_an_industry_remedy_names_each_industry_allowed(
    lang: str, expected: str
) -> None:
    ruleset = load_ruleset("parks/wenling-east-2021")
    project = load_project("cases/wenling/wl01-motors-pass.yaml")
    data = project.model_dump(mode="python", exclude_none=True)
    data["industry"] = "C2613"  # a chemical: not one of the parcels' industries
    project = type(project).model_validate(data)
    decision = screen(project, ruleset)
    finding = next(f for f in decision.findings if f.rule == _INDUSTRY_RULE)
    assert explainer(ruleset, lang).remedy(finding) == expected
