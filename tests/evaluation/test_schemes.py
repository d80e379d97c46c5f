"""Scheme files: every problem at file:line:column with its field, and the shipped schemes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from screening.evaluation.loader import (
    SchemeError,
    find_scheme,
    load_scheme,
    shipped_scheme_ids,
)
from screening.evaluation.validate import validate_scheme
from screening.loader import shipped_ids
from tests.conftest import ROOT

SHIPPED = shipped_scheme_ids()
ILLUSTRATIVE = re.compile(r"示例|illustrative", re.IGNORECASE)


def _problems(tmp_path: Path, text: str) -> list[str]:
    folder = tmp_path / "evaluations"
    folder.mkdir(exist_ok=True)
    path = folder / "test.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemeError) as raised:
        load_scheme(str(path))
    return [
        f"{d.span.line}:{d.span.column}: {d.message} ({d.field})"
        for d in raised.value.diagnostics
    ]


def _huangyan(**replace: str) -> str:
    text = (ROOT / "rules/evaluations/huangyan.yaml").read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_the_issue_schemes_are_shipped_and_not_taken_for_rule_sets() -> None:
    assert SHIPPED == ["huaian-2024", "huangyan"]
    assert not [rid for rid in shipped_ids() if rid.startswith("evaluations/")]


@pytest.mark.parametrize("sid", SHIPPED)
def test_shipped_schemes_load_and_validate_cleanly(sid: str) -> None:
    scheme = load_scheme(sid)
    assert scheme.id == sid
    assert validate_scheme(f"evaluations/{sid}").diagnostics == ()


@pytest.mark.parametrize("sid", SHIPPED)
def test_every_shipped_rule_cites_a_document_or_says_it_is_illustrative(
    sid: str,
) -> None:
    model = load_scheme(sid).source
    items = [model, *model.exclusions, *model.adjustments, *model.overrides]
    items += [m for c in model.classes for m in c.measures] + list(
        model.promise_measures
    )
    for track in model.tracks:
        items += [track.classes, *track.indicators]
    for item in items:
        assert item.basis and len(item.basis) > 4, item


@pytest.mark.parametrize("sid", SHIPPED)
def test_figures_the_reference_does_not_give_are_labelled_illustrative(
    sid: str,
) -> None:
    # No reached text caps an indicator or gives small-population rules (reference §8.2);
    # 黄岩's cut-offs and 淮安's bonus points were not found either.
    model = load_scheme(sid).source
    for track in model.tracks:
        for ind in track.indicators:
            assert ILLUSTRATIVE.search(ind.note or ""), (
                f"{ind.id}: the cap is this project's choice"
            )
        rule = track.classes
        if rule.by == "score":
            assert ILLUSTRATIVE.search(rule.basis or ""), "score thresholds"
        else:
            assert ILLUSTRATIVE.search(rule.note or ""), "rounding, ties"
            assert ILLUSTRATIVE.search(rule.small_population.basis or ""), (
                "small populations"
            )
    for item in (*model.adjustments, *model.overrides):
        assert ILLUSTRATIVE.search(f"{item.basis} {item.note}"), item.id
    if model.limits.bonus is not None:
        assert ILLUSTRATIVE.search(model.limits.basis or "")


def test_huangyan_carries_the_verified_2022_benchmarks_and_weights() -> None:
    tracks = {t.id: t for t in load_scheme("huangyan").tracks}
    above = {i.id: (i.weight, i.benchmark.fixed) for i in tracks["above"].indicators}
    assert [(int(w), str(b)) for w, b in above.values()] == [
        (30, "24.097"), (20, "136.16"), (20, "2.694"), (10, "4929.81"), (10, "18.14"), (10, "0.0302"),
    ]  # fmt: skip
    below = [
        (int(i.weight), str(i.benchmark.fixed)) for i in tracks["below"].indicators
    ]
    assert below == [(50, "11.5932"), (50, "0.2352")]
    emissions = next(
        i for i in tracks["above"].indicators if i.id == "emission_productivity"
    )
    assert (
        emissions.missing == "average"
    )  # a 规上 firm without emission data: the average score


def test_huaian_carries_the_verified_weights_shares_and_benchmark_rule() -> None:
    track = load_scheme("huaian-2024").tracks[0]
    assert [(i.id, int(i.weight)) for i in track.indicators] == [
        ("tax_per_mu", 45), ("revenue_per_mu", 35), ("tax_per_energy", 20),
    ]  # fmt: skip
    assert all(
        i.benchmark.statistic == "previous_aggregate" and i.multiple == 2
        for i in track.indicators
    )
    assert [(c, str(s)) for c, s in track.classes.upper] == [
        ("A", "1/5"),
        ("B", "3/5"),
        ("C", "19/20"),
    ]


@pytest.mark.parametrize(
    ("replace", "expected"),
    [
        ({"        weight: 30\n": "        wieght: 30\n"},
         ["28:9: 缺少必填项 'weight' / required key missing (tracks[0].indicators[0].weight)",
          "32:9: 未知的键 'wieght'（是否想写 weight？/ did you mean weight?） / unknown key "
          "(tracks[0].indicators[0].wieght)"]),
        ({"        cap: 2\n": ""},
         ["28:9: 缺少必填项 'cap' / required key missing (tracks[0].indicators[0].cap)"]),
        ({"        missing: not_rated\n": "        missing: skip\n"},
         ["38:18: 取值应为 'not_rated', 'zero' or 'average' / not an allowed value "
          "(tracks[0].indicators[0].missing)"]),
    ],
)  # fmt: skip
def test_schema_errors_are_placed_with_a_did_you_mean(
    tmp_path: Path, replace: dict[str, str], expected: list[str]
) -> None:
    assert _problems(tmp_path, _huangyan(**replace)) == expected


def test_expression_unit_and_reference_errors_are_all_reported_at_once(
    tmp_path: Path,
) -> None:
    text = _huangyan(
        **{
            "expr: added_value / land_mu": "expr: added_valu / land_mu",
            "unit: 万元/吨标煤": "unit: 万元/亩",
            "thresholds: {A: 130, B: 100, C: 60}": "thresholds: {A: 130, B: 140, C: 60}",
            "    class: D\n": "    class: E\n",
            "when: production_months < 24": "when: production_months < 24 和",
        }
    )
    assert _problems(tmp_path, text) == [
        "43:15: 未知的名称 'added_valu'（是否想写 added_value？/ did you mean added_value?） / unknown name "
        "(tracks[0].indicators[1].expr)",
        "57:15: 指标声明单位 '万元/亩'，但表达式得到 '万元/tce' / declared unit does not match the expression "
        "(tracks[0].indicators[2].unit)",
        "108:31: 类别 A 与 B 的界限应严格递减 / cut-offs must be strictly decreasing from best to worst "
        "(tracks[0].classes.thresholds.B)",
        "158:34: 无法识别的字符 '和'，请使用英文标点 / use ASCII punctuation / unexpected character "
        "(exclusions[1].when)",
        "167:12: 未定义的类别 'E'；classes 中有 A、B、C、D / unknown class (overrides[0].class)",
    ]


def test_rank_shares_must_state_ties_and_small_populations(tmp_path: Path) -> None:
    text = (ROOT / "rules/evaluations/huaian-2024.yaml").read_text(encoding="utf-8")
    text = text.replace("      ties: worse\n", "").replace("      count: floor\n", "")
    problems = _problems(tmp_path, text)
    assert (
        len(problems) == 1
        and "必须写明 count, ties" in problems[0]
        and "(tracks[0].classes)" in problems[0]
    )


def test_a_mean_needs_stated_decimals_and_an_aggregate_a_ratio(tmp_path: Path) -> None:
    text = _huangyan(
        **{
            "          fixed: 24.097\n": "          statistic: mean\n",
            "        decimals: 3\n": "",
        }
    )
    text = text.replace(
        "          fixed: 136.16\n", "          statistic: aggregate\n", 1
    )
    text = text.replace(
        "expr: added_value / land_mu", "expr: added_value / land_mu * 2", 1
    )
    problems = _problems(tmp_path, text)
    assert len(problems) == 2
    assert (
        "均值基准需要 decimals" in problems[0]
        and "(tracks[0].indicators[0].benchmark.statistic)" in problems[0]
    )
    assert (
        "总量比基准需要形如 A / B 的指标" in problems[1]
        and "indicators[1].benchmark.statistic" in problems[1]
    )


def test_unknown_scheme_ids_suggest_the_closest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(SchemeError, match=r"是否想写 huangyan"):
        find_scheme("huangyang")


def test_validate_reports_weights_that_do_not_add_up(tmp_path: Path) -> None:
    folder = tmp_path / "evaluations"
    folder.mkdir()
    path = folder / "huangyan.yaml"
    path.write_text(
        _huangyan(**{"        weight: 30\n": "        weight: 35\n"}), encoding="utf-8"
    )
    report = validate_scheme(str(path))
    assert [(d.severity, d.message.split(" / ")[0]) for d in report.diagnostics] == [
        ("warning", "above 的权重合计为 105，不是 100")
    ]
