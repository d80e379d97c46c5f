"""Fuzzing: malformed projects, rule sets and YAML fail with a clear, placed error —
never a traceback, a hang or a silent pass.

Short form by default; SCREENING_SLOW=1 runs thousands of examples per test.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from screening.cases import project_from_mapping
from screening.errors import ScreeningError
from screening.findings import Outcome, Status
from screening.loader import load_ruleset
from screening.screener import Screener
from screening.source import load_yaml_text
from tests.conftest import ROOT

FIELDS = {
    "investment": ["total", "fixed_assets", "bogus"],
    "land": [
        "area_mu",
        "area_ha",
        "plot_ratio",
        "building_coverage",
        "admin_share",
        "green_ratio",
    ],
    "output": ["annual_revenue", "annual_tax", "added_value", "employees", "rd_share"],
    "environment": [
        "energy_tce",
        "electricity_kwh",
        "in_red_line",
        "access_list_conflict",
        "catalogue",
        "eia_category",
    ],
}
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "3.5亿元",
            "80 亩",
            "5.3 公顷",
            "1.2万吨标准煤",
            "45%",
            "-3",
            "1e400",
            "是",
            "鼓励类",
            "报告书",
            "encouraged",
            "abc亩",
            "12 kg",
            "NaN",
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@st.composite
def messy_projects(draw: st.DrawFn) -> dict:
    data: dict = {}
    for key in draw(
        st.lists(
            st.sampled_from(
                ["id", "name", "industry", "region_class", "extra", "oops"]
            ),
            max_size=4,
        )
    ):
        data[key] = draw(
            st.one_of(values, st.sampled_from(["C2613", "C99", "X1", "3841", 3841]))
        )
    for section, keys in FIELDS.items():
        if draw(st.booleans()):
            data[section] = {
                k: draw(values)
                for k in draw(st.lists(st.sampled_from(keys), max_size=4, unique=True))
            }
    return data


@cache
def starter() -> Screener:
    return Screener(load_ruleset(str(ROOT / "rules/starter.yaml")))


def _placed(error: ScreeningError) -> None:
    for diagnostic in error.diagnostics:
        assert diagnostic.span is not None and diagnostic.span.line is not None, str(
            diagnostic
        )
        assert diagnostic.message


def _load_via_yaml(data: dict):
    text = yaml.safe_dump(data, allow_unicode=True)
    return project_from_mapping(
        load_yaml_text(text, "fuzz.yaml").data, load_yaml_text(text, "fuzz.yaml")
    )


@given(messy_projects())
def test_messy_projects_are_screened_or_refused_with_a_place(data: dict) -> None:
    try:
        project = _load_via_yaml(data)
    except ScreeningError as error:
        _placed(error)
        return
    decision = starter().screen(project)
    hard = [f for f in decision.findings if f.kind in ("veto", "gate")]
    if any(f.status is Status.MISSING for f in hard):
        assert (
            decision.outcome is not Outcome.PASS
        )  # missing data never passes silently


@given(st.text(max_size=200))
def test_arbitrary_text_is_yaml_or_a_placed_yaml_error(text: str) -> None:
    try:
        load_yaml_text(text, "fuzz.yaml")
    except ScreeningError as error:
        assert (
            error.diagnostics[0].span is not None
            and error.diagnostics[0].span.path == "fuzz.yaml"
        )


TOKENS = [
    "investment.fixed_assets",
    "land.area_mu",
    "output.annual_tax",
    "environment.catalogue",
    "industry.code",
    "environment.in_red_line",
    "two_high",
    "limit",
    "lookup(t, industry.division)",
    "250",
    "0.3",
    "30%",
    '"encouraged"',
    '["a", "b"]',
    ">=",
    "<",
    "==",
    "!=",
    "+",
    "-",
    "*",
    "/",
    "and",
    "or",
    "not",
    "in",
    "(",
    ")",
    'startswith(industry.code, "C26")',
    "between(land.plot_ratio, 0.7, 1.8)",
    "min(",
    ",",
    "land.area",
    "＞",
    "@",
]


@st.composite
def expressions(draw: st.DrawFn) -> str:
    return " ".join(draw(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=7)))


@st.composite
def rule_fragments(draw: st.DrawFn) -> dict:
    kind = draw(
        st.sampled_from(
            ["veto", "gate", "review", "score", "bonus", "derive", "bogus", None]
        )
    )
    rule: dict = {
        "id": draw(st.sampled_from(["a.b", "a.c", "Bad Id", "x"])),
        "group": draw(st.sampled_from(["land_use", "9x"])),
    }
    if kind:
        rule["kind"] = kind
    key = draw(
        st.sampled_from(["require", "fail_if", "when", "value", "applies_if", "requir"])
    )
    rule[key] = draw(expressions())
    if draw(st.booleans()):
        rule["bands"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {"min": st.integers(0, 50), "points": st.integers(0, 10)}
                ),
                max_size=3,
            )
        )
    if kind == "derive":
        rule["sets"] = draw(st.sampled_from(["two_high", "9bad"]))
    if kind == "bonus" and draw(st.booleans()):
        rule["points"] = draw(st.integers(0, 5))
    return rule


@given(st.lists(rule_fragments(), min_size=1, max_size=4))
def test_rule_set_fragments_load_or_fail_with_a_place(
    tmp_path_factory, rules: list[dict]
) -> None:
    data = {
        "id": "fuzz",
        "title": "模糊测试",
        "version": "1",
        "parameters": {"limit": 100},
        "tables": {
            "t": {"keys": ["division"], "unit": "万元/亩", "values": {"26": 200}}
        },
        "rules": rules,
    }
    path: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        ruleset = load_ruleset(str(path))
        screener = Screener(ruleset)
    except ScreeningError as error:
        _placed(error) if error.diagnostics[0].span and error.diagnostics[
            0
        ].span.line else None
        assert all(d.message for d in error.diagnostics)
        return
    project = _load_via_yaml(
        {
            "industry": "C2613",
            "investment": {"fixed_assets": 5000},
            "land": {"area_mu": 20},
        }
    )
    decision = screener.screen(project)
    assert decision.outcome in (Outcome.PASS, Outcome.REVIEW, Outcome.REJECT)
    assert all(not (f.status is Status.PASS and f.missing) for f in decision.findings)
    assert not math.isnan(float(decision.score)) if decision.score is not None else True
