"""The JSON contract line written from frames is `json.dumps(to_contract(…))`, byte for
byte, whatever a finding holds: generated findings of every kind and status (missing
data, not applicable, either-or branches, remedies), figures of every type, and
findings that do not fit their rule's frame (another threshold, operator, unit or most
points than the rule's own)."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.compile import COMPUTED, reported_threshold, rule_op
from screening.findings import (
    BranchFinding,
    Decision,
    Finding,
    Outcome,
    Remedy,
    Status,
    remedy_option,
)
from screening.model.effective import RuleSet
from screening.model.project import Project
from screening.report.contract import contract_bytes, to_contract
from screening.report.explain import Prose, explainer
from screening.report.figures import (
    bound_text,
    decimals,
    figure,
    hundredths,
    number,
    number_json,
    percent,
    safe_bound,
    score_json,
    show,
)
from screening.screener import Screener
from tests.conftest import MINIMAL, SLOW

RULES = (
    MINIMAL
    + """\
    parameters:
      pass_mark: {value: 60}
      unset: {value: null, unit: 万元/亩}
    inputs:
      extra.flag: {type: bool}
    metrics:
      intensity: {expr: investment.fixed_assets / land.area_mu, unit: 万元/亩, title: 投资强度}
    tables:
      limits:
        keys: [division]
        unit: 万元/亩
        values: {"26": 300, "38": 1.5}
    rules:
      - {id: v.red, group: environment, kind: veto, fail_if: environment.in_red_line, basis: 红线}
      - id: g.share
        group: land_use
        kind: gate
        title: {zh: 建筑系数, en: building coverage}
        require: land.building_coverage >= 0.3
        basis: '含 "引号"、反斜杠 \\ 与 100% 的依据'
      - {id: g.range, group: land_use, kind: gate, require: "between(land.plot_ratio, 1.2, 3)"}
      - {id: g.table, group: investment_intensity, kind: gate, require: "intensity >= lookup(limits, industry.division)"}
      - {id: g.unset, group: investment_intensity, kind: gate, require: intensity >= unset}
      - id: g.padded
        group: investment_intensity
        kind: gate
        title: '说 "hi" \\ 100%'
        require: intensity >= 250
        message: "{title}：[{actual:>9}] 不足 {threshold}{unit} {{括号}} 50%"
      - id: g.custom
        group: investment_intensity
        kind: gate
        require: intensity >= 250
        message: {zh: "{title}：{actual}（{actual}）低于 {threshold}{unit}", en: "{title}: {actual} below {threshold}"}
      - id: r.energy
        group: energy
        kind: review
        fail_if: environment.energy_tce >= 10000
        applies_if: not extra.flag
      - id: s.tax
        group: tax_yield
        kind: score
        value: output.annual_tax / land.area_mu
        bands:
          - {max: 10, points: 0}
          - {min: 10, max: 20, points: 30}
          - {min: 20, points: 60}
      - {id: b.encouraged, group: industry_fit, kind: bonus, when: environment.catalogue == "encouraged", points: 5}
      - {id: d.high, group: environment, kind: derive, sets: high, when: 'startswith(industry.code, "C26")'}
      - id: i.note
        group: environment
        kind: info
        when: high
        message: "{title}：两高"
        otherwise: "{title}：非两高"
      - id: a.either
        group: land_use
        kind: gate
        require_any:
          - {name: coverage, title: 建筑系数, require: land.building_coverage >= 0.4}
          - {name: ratio, require: land.plot_ratio >= 2}
    """
)

_FIELDS = ("land.area_mu", "land.building_coverage", "output.annual_tax", "extra.flag")
_REASONS = (
    ("applies_if", ()),
    ("table_not_configured", (("table", "limits"),)),
    ("parameter_not_configured", (("parameter", "unset"),)),
    ("key_not_in_table", (("key", "13"), ("table", "limits"))),
    ("division_by_zero", (("divisor", ("land.area_mu",)),)),
)

_decimals = st.decimals(
    min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False
) | st.integers(-(10**18), 10**18).flatmap(
    lambda n: st.integers(-2, 8).map(lambda places: Decimal(n).scaleb(-places))
)
exact = st.one_of(
    st.integers(-(10**16), 10**16),
    st.fractions(max_denominator=10**6).filter(lambda f: abs(f) < 10**13),
    _decimals,
)
numbers = exact | st.floats(allow_nan=False, allow_infinity=False)
figures = st.one_of(
    st.none(), numbers, st.booleans(), st.tuples(exact, exact), st.just("文字")
)


def _other_type(value: Any) -> Any:
    """The same figure as another exact type (written the same), or as a float (not)."""
    if isinstance(value, tuple):
        return tuple(map(_other_type, value))
    if type(value) is int:
        return Fraction(value)
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return value


@st.composite
def remedies(draw: st.DrawFn) -> Remedy | None:
    code = draw(st.sampled_from(["numeric", "veto", "condition", "score", None]))
    if code is None:
        return None
    options = tuple(
        remedy_option(
            draw(st.sampled_from(_FIELDS[:3] + ("output.employees",))),
            draw(st.sampled_from([">=", ">", "<=", "<"])),
            draw(st.fractions(min_value=-(10**6), max_value=10**6)),
            draw(st.sampled_from(["亩", "万元", "人", ""])),
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    return Remedy(
        code,
        options,
        draw(exact),
        draw(st.fractions(min_value=0, max_value=100)),
    )


def _own(rule: Any, ruleset: RuleSet) -> dict[str, Any]:
    """What a finding of `rule` holds of the rule's own (a frame's words hold these)."""
    threshold = reported_threshold(rule, ruleset)
    return {
        "rule": rule.id,
        "group": rule.spec.group,
        "kind": rule.kind,
        "threshold": None if threshold is COMPUTED else threshold,
        "op": rule_op(rule),
        "unit": rule.unit,
        "max_points": getattr(rule.spec, "max_points", None),
        "branches": tuple(
            branch.name for branch in getattr(rule.spec, "require_any", None) or ()
        ),
    }


@st.composite
def findings(draw: st.DrawFn, own: dict[str, Any]) -> Finding:
    """A finding of the rule `own` describes: mostly of the rule's shape, now and then not."""
    status = draw(st.sampled_from(list(Status)))

    def either(name: str, other: st.SearchStrategy[Any]) -> Any:
        mine = own[name]
        if draw(st.integers(0, 3)):
            return draw(st.sampled_from([mine, mine, mine, _other_type(mine)]))
        return draw(other)

    reason, params = (  # not applicable for a reason its message names
        draw(st.sampled_from(_REASONS))
        if status is Status.NOT_APPLICABLE or not draw(st.integers(0, 9))
        else (None, ())
    )
    branches = tuple(
        BranchFinding(
            name,
            draw(st.sampled_from(list(Status))),
            draw(st.none() | exact),
            draw(st.none() | exact),
            draw(st.sampled_from([">=", "<", None])),
            draw(st.sampled_from(["", "亩", None])),
            tuple(draw(st.lists(st.sampled_from(_FIELDS), max_size=2))),
            draw(remedies()),
        )
        for name in own["branches"]
    )
    remedy = draw(remedies())
    if branches and draw(st.booleans()):
        remedy = Remedy("any")
    return Finding(
        own["rule"],
        own["group"] if draw(st.integers(0, 9)) else "other",
        own["kind"] if draw(st.integers(0, 9)) else "gate",
        status,
        draw(figures),
        either("threshold", figures),
        either("op", st.sampled_from([">=", ">", "<=", "<", "between", None])),
        either("unit", st.sampled_from(["", "亩", None])),
        draw(st.none() | st.integers(0, 60) | st.fractions(0, 60)),
        either("max_points", st.none() | st.integers(0, 60) | st.fractions(0, 60)),
        tuple(draw(st.lists(st.sampled_from(_FIELDS), max_size=3, unique=True)))
        if status is Status.MISSING or not draw(st.integers(0, 9))
        else (),
        reason,
        params,
        remedy,
        branches,
    )


def _decision(data: st.DataObject, ruleset: RuleSet, template: Decision) -> Decision:
    ids = [rule.id for rule in ruleset.rules]
    found = tuple(data.draw(findings(_own(rule, ruleset))) for rule in ruleset.rules)
    subset = st.lists(st.sampled_from(ids), max_size=3, unique=True).map(tuple)
    return template._replace(
        outcome=data.draw(st.sampled_from(list(Outcome))),
        score=data.draw(st.none() | st.fractions(0, 100, max_denominator=1000)),
        pass_mark=data.draw(st.none() | st.just(Fraction(60))),
        vetoed_by=data.draw(subset),
        rejected_by=data.draw(subset),
        reviewed_by=data.draw(subset),
        missing=tuple(data.draw(st.lists(st.sampled_from(_FIELDS), max_size=2))),
        findings=found,
        project_name=data.draw(st.sampled_from([None, '项目 "甲"', "a\\b\n"])),
    )


@pytest.fixture(scope="module")
def contract_case(tmp_path_factory: Any) -> tuple[RuleSet, Decision]:
    from screening.loader import load_ruleset

    path = tmp_path_factory.mktemp("contract") / "frames.yaml"
    import textwrap

    path.write_text(MINIMAL + textwrap.dedent(RULES[len(MINIMAL) :]), encoding="utf-8")
    ruleset = load_ruleset(str(path))
    project = Project.model_validate({"land": {"area_mu": 7}})
    return ruleset, Screener(ruleset).screen(project)


def _plain_line(decision: Decision, ruleset: RuleSet, lang: str) -> bytes:
    """The line as the plain path writes it: `json.dumps(to_contract(…))` and a newline."""
    contract = to_contract(decision, ruleset, lang)
    return (json.dumps(contract, ensure_ascii=False) + "\n").encode()


@settings(
    max_examples=1500 if SLOW else 40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), lang=st.sampled_from(["zh", "en"]))
def test_lines_written_from_frames_are_the_contract_in_json(
    contract_case: tuple[RuleSet, Decision], data: st.DataObject, lang: str
) -> None:
    ruleset, template = contract_case
    decision = _decision(data, ruleset, template)
    try:
        expected = _plain_line(decision, ruleset, lang)
    except (TypeError, AttributeError) as problem:  # a figure prose cannot show
        with pytest.raises(type(problem)):
            contract_bytes(decision, ruleset, lang)
        return
    # twice: the second time through frames that have met these findings
    for _ in range(2):
        assert contract_bytes(decision, ruleset, lang) == expected


def test_screened_lines_are_the_contract_in_json(
    contract_case: tuple[RuleSet, Decision],
) -> None:
    ruleset, _ = contract_case
    screener = Screener(ruleset)
    for data in (
        {"land": {"area_mu": 7, "building_coverage": "0.35", "plot_ratio": "1.5"}},
        {"land": {"area_mu": 7, "building_coverage": "0.2"}, "industry": "C2613"},
        {
            "investment": {"fixed_assets": 1000},
            "land": {"area_mu": 3, "plot_ratio": "2.5"},
            "output": {"annual_tax": 50},
            "environment": {"catalogue": "encouraged", "energy_tce": 20000},
            "industry": "C3841",
        },
        {  # r.energy not applicable (applies_if), written from its probe
            "land": {"area_mu": 7, "building_coverage": "0.35"},
            "environment": {"energy_tce": 20000},
            "extra": {"flag": True},
        },
    ):
        decision = screener.screen(Project.model_validate(data))
        for lang in ("zh", "en"):
            assert contract_bytes(decision, ruleset, lang) == _plain_line(
                decision, ruleset, lang
            )


@settings(
    max_examples=1500 if SLOW else 100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), lang=st.sampled_from(["zh", "en"]))
def test_compiled_remedies_and_summaries_read_as_the_explainer_writes_them(
    contract_case: tuple[RuleSet, Decision], data: st.DataObject, lang: str
) -> None:
    ruleset, template = contract_case
    decision = _decision(data, ruleset, template)
    if data.draw(st.integers(0, 3)):  # most often short of the pass mark, or near it
        decision = decision._replace(
            outcome=data.draw(st.sampled_from([Outcome.REVIEW, Outcome.REJECT])),
            pass_mark=data.draw(st.sampled_from([Fraction(60), 60, Fraction(121, 2)])),
            score=data.draw(  # whole points (an int) or a fraction
                st.integers(0, 70) | st.fractions(0, 70, max_denominator=1000)
            ),
        )
    explain = explainer(ruleset, lang)
    prose = Prose(explain)
    for finding in decision.findings:
        assert prose.remedy(finding) == explain.remedy(finding)
    # the summary from every finding's remedy, from some of them, and from none
    written = {f.rule: prose.remedy(f) for f in decision.findings if f.remedy}
    some = dict(list(written.items())[: data.draw(st.integers(0, len(written)))])
    expected = explain.summary(decision)
    assert prose.summary(decision, written) == expected
    assert prose.summary(decision, some) == expected
    assert prose.summary(decision, {}) == expected


@settings(max_examples=3000 if SLOW else 200, deadline=None)
@given(numbers | st.booleans() | st.none() | st.tuples(exact, exact))
def test_a_figure_is_written_as_number_and_show_write_it(value: Any) -> None:
    assert number_json(value) == json.dumps(number(value))
    texts = figure(value)
    if type(value) in (int, Fraction, Decimal):
        assert texts == (json.dumps(number(value)), show(value))
        assert figure(value, share=True) == (json.dumps(number(value)), percent(value))
    else:
        assert texts is None


@pytest.mark.parametrize(
    "value",
    [
        Decimal("-0.00001"),
        Decimal("-0.0"),
        Decimal("99999999999.9999"),
        Decimal("999999999999.9999"),
        Decimal("1.5E+3"),
        Decimal("0.00005"),
        Decimal("0.00015"),
        Fraction(10**15 - 1, 10**4),
        Fraction(10**15 + 1, 10**4),
        Fraction(-1, 20000),
        Fraction(1, 3),
        10**20,
    ],
)
def test_figures_at_the_edges_of_the_short_ways(value: Any) -> None:
    assert figure(value) == (json.dumps(number(value)), show(value))
    assert figure(value, share=True) == (json.dumps(number(value)), percent(value))


@given(st.fractions(max_denominator=10**4) | st.integers(-(10**6), 10**6))
def test_a_score_is_written_to_two_decimals(score: Any) -> None:
    from screening.report.figures import round_score

    assert score_json(score) == json.dumps(number(round_score(score), 2))


@given(
    st.fractions(min_value=-(10**6), max_value=10**6),
    st.sampled_from([">=", ">", "<=", "<"]),
    st.sampled_from([0, 2]),
    st.sampled_from([1, 100]),
)
def test_a_remedy_bound_is_the_safe_bound_shown(
    value: Fraction, relation: str, places: int, factor: int
) -> None:
    bound = safe_bound(value * factor, relation, places)
    shown = bound_text(value, relation, places, factor)
    assert Fraction(shown) == bound
    if bound == 0 or abs(bound) >= Fraction(1, 10**4):  # below, show would read 0
        assert shown == show(bound)


@given(
    st.integers(-(10**20), 10**20)
    | st.sampled_from([10**13 - 1, 10**13, -(10**13) + 1, -(10**13), 150, -150])
)
def test_hundredths_are_shown_as_their_ten_thousandths_are(h: int) -> None:
    assert hundredths(h) == decimals(h * 100)


_WORDS = st.text(st.sampled_from('ab甲{}"\\%\x00\n:'), max_size=6)


@settings(
    max_examples=1500 if SLOW else 40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), lang=st.sampled_from(["zh", "en"]))
def test_findings_not_applicable_for_a_reason_are_the_contract_in_json(
    contract_case: tuple[RuleSet, Decision], data: st.DataObject, lang: str
) -> None:
    """Findings as the screener makes them when a rule is not applicable for a reason
    (未配置, a key not in a table, a zero divisor), whatever the reason's parameters
    say: written from the rule's compiled words, byte for byte the plain line."""
    ruleset, template = contract_case
    found = []
    for rule in ruleset.rules:
        top = getattr(rule.spec, "max_points", None)
        reason, params = data.draw(st.sampled_from(_REASONS))
        values = tuple(
            (name, data.draw(_WORDS | st.just(value)))
            if isinstance(value, str)
            else (name, value)
            for name, value in params
        )
        found.append(
            Finding(
                rule.id,
                rule.spec.group,
                rule.kind,
                Status.NOT_APPLICABLE,
                unit=rule.unit,
                points=None if top is None else data.draw(st.sampled_from([0, 0.0])),
                max_points=None
                if top is None
                else data.draw(st.sampled_from([top, Fraction(top), float(top)])),
                reason=reason,
                reason_params=values,
            )
        )
    decision = template._replace(findings=tuple(found))
    expected = _plain_line(decision, ruleset, lang)
    for _ in range(2):  # the second time from the words compiled the first
        assert contract_bytes(decision, ruleset, lang) == expected
