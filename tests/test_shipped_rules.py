"""The shipped rule sets: sourced, complete where they claim to be, loadable by the engine."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from screening.compile import (
    MAX_CHUNK_PROPERTIES,
    MAX_CHUNK_RULES,
    MAX_ENGINE_RULES,
    compile_ruleset,
)
from screening.findings import Status
from screening.loader import load_ruleset, shipped_ids
from screening.model.project import Project
from screening.screener import Screener

ROOT = Path(__file__).resolve().parent.parent

SHIPPED = shipped_ids()


def test_the_issue_ids_are_shipped() -> None:
    for rid in (
        "national",
        "parks/longchang-neirong-2022",
        "parks/wenling-east-2021",
        "parks/beihai-tieshangang-2023",
        "schemes/tuanfeng-access",
        "parks/hanzhong-hekan-2024",
        "parks/anqing-2019",
    ):
        assert rid in SHIPPED


def test_every_2017_manufacturing_division_maps_or_is_flagged() -> None:
    national = load_ruleset("national")
    crosswalk = national.tables["division_2017_to_2002"]
    plot_min = national.tables["plot_ratio_min"].values
    for division in range(13, 44):
        key = f"{division:02d}"
        assert key in crosswalk.values, (
            f"2017 division {key} is neither mapped nor flagged"
        )
        target = crosswalk.values[key]
        if target == "":
            assert key in (crosswalk.note or ""), (
                f"flagged division {key} must be listed in the table's note"
            )
        else:
            assert target in plot_min, (
                f"{key} maps to 2002 division {target}, which 表2 does not list"
            )


@pytest.mark.parametrize("rid", SHIPPED)
def test_every_shipped_rule_cites_its_basis(rid: str) -> None:
    for rule in load_ruleset(rid).rules:
        assert rule.spec.basis and len(rule.spec.basis) > 10, (
            f"{rid}: {rule.id} has no basis"
        )


@pytest.mark.parametrize("rid", SHIPPED)
def test_shipped_rule_sets_compile_into_chunks_inside_the_engine_limits(
    rid: str,
) -> None:
    compiled = compile_ruleset(load_ruleset(rid))
    assert 0 < compiled.engine_rules <= MAX_ENGINE_RULES
    for chunk in (chunk for chunks in compiled.chunks for chunk in chunks):
        assert len(chunk.definition) <= MAX_CHUNK_RULES
        assert len(chunk.natives) + len(chunk.atoms) <= MAX_CHUNK_PROPERTIES


def test_unsourced_figures_are_labelled_illustrative() -> None:
    # the Tuanfeng bands and pass mark were not published: they say so where they are defined
    tuanfeng = load_ruleset("schemes/tuanfeng-access")
    for name in ("pass_mark", "review_band"):
        basis = tuanfeng.parameters[name].basis or ""
        assert "示例" in basis or "illustrative" in basis.lower(), name


# --- basis: the legal basis and nothing else (issue 14) ------------------------------

# Drafting notes that must never reach the committee through a basis: the reference
# file, its section marks and status marks, and any emoji.
_DRAFTING = ("参考文件", "参考资料", "policy-figures", "§", "docs/")
_EMOJI = re.compile("[\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff\ufe0f]")


def basis_problems(text: str | None) -> list[str]:
    """Why a shipped `basis` is not a plain legal basis (empty list: it is one)."""
    if text is None or not text.strip():
        return ["empty"]
    found = [f"mentions {word!r}" for word in _DRAFTING if word in text]
    found += [f"carries {mark!r}" for mark in sorted(set(_EMOJI.findall(text)))]
    return found


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        (None, "empty"),
        ("  ", "empty"),
        ("北海地块出让条件：投资强度 ≥250（参考文件 §1.7）", "mentions '参考文件'"),
        ("见 ../shared/reference/policy-figures.md", "mentions 'policy-figures'"),
        ("国土资发〔2008〕24号（§1.1）", "mentions '§'"),
        ("原文表述未读到（🧠）", "carries '🧠'"),
        ("已核实 ✅", "carries '✅'"),
        ("未找到 ❌", "carries '❌'"),
        ("来源冲突 ⚠️", "carries '⚠'"),
    ],
)
def test_the_basis_check_catches_drafting_notes(text: str | None, problem: str) -> None:
    assert problem in basis_problems(text)


def _bases(rid: str) -> list[tuple[str, str | None]]:
    """Every basis a rule set carries: its own, and its rules', parameters', tables'
    and metrics'."""
    rs = load_ruleset(rid)
    out: list[tuple[str, str | None]] = (
        [("ruleset", rs.basis)] if rs.basis is not None else []
    )
    out += [(f"rule {rule.id}", rule.spec.basis) for rule in rs.rules]
    for kind, items in (
        ("parameter", rs.parameters),
        ("table", rs.tables),
        ("metric", rs.metrics),
    ):
        out += [
            (f"{kind} {name}", item.basis)
            for name, item in items.items()
            if item.basis is not None
        ]
    return out


@pytest.mark.parametrize("rid", SHIPPED)
def test_no_shipped_basis_carries_a_drafting_note(rid: str) -> None:
    problems = [
        f"{where}: {', '.join(found)}"
        for where, text in _bases(rid)
        if (found := basis_problems(text))
    ]
    assert not problems, "\n".join(problems)


# --- the national baseline across the 2023 edition -----------------------------------

LAST_2008, FIRST_2023 = dt.date(2023, 6, 24), dt.date(2023, 6, 25)
RULES_2008 = {
    "land_use.plot_ratio",
    "land_use.building_coverage",
    "land_use.admin_share",
    "land_use.green_ratio",
    "investment_intensity.national_table",
}
RULES_2023 = {
    "land_use.plot_ratio_2023",
    "land_use.building_coverage_2023",
    "land_use.admin_share_2023",
}


@pytest.mark.parametrize(
    ("day", "present", "absent"),
    [
        (dt.date(2022, 6, 30), RULES_2008, RULES_2023),
        (LAST_2008, RULES_2008, RULES_2023),
        (FIRST_2023, RULES_2023, RULES_2008),
        (dt.date.today(), RULES_2023, RULES_2008),
    ],
)
def test_the_national_land_rules_are_dated_across_the_2023_edition(
    day: dt.date, present: set, absent: set
) -> None:
    ids = {rule.id for rule in load_ruleset("national", as_of=day).rules}
    assert present <= ids and not (absent & ids)
    assert not any(
        "green_ratio" in rule_id for rule_id in ids - RULES_2008
    )  # no 绿地率 gate after 2023


def test_the_2008_rules_end_the_day_before_the_2023_rules_start() -> None:
    rules = {rule.id: rule.spec for rule in load_ruleset("national").rules}
    assert {rules[r].effective.to for r in RULES_2008} == {LAST_2008}
    assert {rules[r].effective.from_ for r in RULES_2023} == {FIRST_2023}
    # the date used is the announcement's, and the note says so and why
    note = load_ruleset("national").sources["national"].data["note"]
    assert "2023-06-25" in note and "2023-05-11" in note and "不采用" in note


def test_the_2023_control_values_are_left_unconfigured_and_say_why() -> None:
    # no verified 2023 figure exists in the reference: none may be filled in without one
    national = load_ruleset("national")
    for name in (
        "building_coverage_min_2023",
        "admin_share_max_2023",
        "investment_intensity_min",
    ):
        assert (
            national.parameters[name].value is None
            and national.parameters[name].pending
        ), name
    for name in ("plot_ratio_min_2023", "intensity_min_2008"):
        assert national.tables[name].values == {} and national.tables[name].pending, (
            name
        )


def test_investment_intensity_is_a_provincial_or_park_figure() -> None:
    rule = next(
        r
        for r in load_ruleset("national").rules
        if r.id == "investment_intensity.control_value"
    )
    assert "推荐性指标" in (rule.spec.basis or "") and "省" in (rule.spec.basis or "")


def test_the_energy_review_doubt_lives_in_the_note_not_the_basis() -> None:
    param = load_ruleset("national").parameters["energy_review_tce"]
    assert (
        param.value == 10000
        and "5000" in (param.note or "")
        and "5000" not in (param.basis or "")
    )


def test_the_county_example_in_the_docs_sets_its_own_intensity(tmp_path) -> None:
    # the worked example in docs/rulesets.md is a working rule set, not prose
    docs = (ROOT / "docs/rulesets.md").read_text(encoding="utf-8")
    block = (
        docs.split("<!-- county-intensity-example -->", 1)[1]
        .split("```yaml\n", 1)[1]
        .split("```", 1)[0]
    )
    (tmp_path / "county.yaml").write_text(block, encoding="utf-8")
    county = load_ruleset(str(tmp_path / "county.yaml"))
    assert county.parameters["investment_intensity_min"].value == 180
    screener = Screener(county)
    low = screener.screen(
        Project.model_validate(
            {"investment": {"fixed_assets": 8000}, "land": {"area_mu": 50}}
        )
    )
    finding = next(
        f for f in low.findings if f.rule == "investment_intensity.control_value"
    )
    assert (
        finding.status is Status.FAIL and finding.threshold == 180
    )  # 160 万元/亩 < 180
