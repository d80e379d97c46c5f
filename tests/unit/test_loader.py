"""Loading rule sets: schema errors at lines, expression errors at columns, layering, dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from screening.errors import RuleSetError
from screening.loader import find_ruleset, load_ruleset, shipped_ids
from tests.conftest import MINIMAL


def _errors(exc: pytest.ExceptionInfo[RuleSetError]) -> list[str]:
    return [str(d) for d in exc.value.diagnostics]


def test_starter_is_shipped_and_loads() -> None:
    assert "starter" in shipped_ids()
    rs = load_ruleset("starter")
    assert rs.id == "starter" and len(rs.rules) >= 6
    assert {r.kind for r in rs.rules} == {
        "veto",
        "gate",
        "score",
        "bonus",
        "review",
        "derive",
    }


def test_unknown_id_suggests_a_close_one() -> None:
    with pytest.raises(RuleSetError, match="是否想写 starter"):
        find_ruleset("startr")


def test_schema_errors_point_at_lines(write_ruleset) -> None:
    with pytest.raises(RuleSetError) as info:
        write_ruleset(
            MINIMAL
            + """\
            parametrs: {a: 1}
            rules:
              - id: a.b
                group: environment
                kind: veto
                fail_if: environment.in_red_line
                requir: x
              - id: c.d
                group: environment
                kind: gate
            """
        )
    errors = _errors(info)
    assert any(
        ":4:1: [RUL] 未知的键 'parametrs'（是否想写 parameters？" in e for e in errors
    )
    assert any(
        ":10:5: [RUL] 未知的键 'requir'（是否想写 require？" in e for e in errors
    )
    assert any(":11:5: [RUL] 需要 require 或 fail_if 之一" in e for e in errors)


def test_expression_errors_point_at_line_and_column(write_ruleset) -> None:
    with pytest.raises(RuleSetError) as info:
        write_ruleset(
            MINIMAL
            + """\
            rules:
              - id: a.b
                group: investment_intensity
                kind: gate
                require: investment.fixed_assets / land.area_mu >= land.area
              - id: a.c
                group: investment_intensity
                kind: gate
                require: "investment.total >= "
            """
        )
    errors = _errors(info)
    assert any(
        ":8:56: [EXP] 未知的名称 'land.area'（是否想写 land.area_mu？" in e
        and "(rules[0].require)" in e
        for e in errors
    )
    assert any(":12:35: [EXP] 此处应为数值" in e for e in errors)


def test_an_expression_error_in_a_block_scalar_points_at_its_line_and_column(
    write_ruleset,
) -> None:
    with pytest.raises(RuleSetError) as info:
        write_ruleset(
            MINIMAL
            + """\
            rules:
              - id: a.b
                group: investment_intensity
                kind: gate
                require: |
                  investment.fixed_assets / land.area_mu >= 100
                    and land.area >= 1
            """
        )
    assert any(
        ":10:13: [EXP] 未知的名称 'land.area'" in e and "(rules[0].require)" in e
        for e in _errors(info)
    )


def test_metric_unit_must_match_its_expression(write_ruleset) -> None:
    with pytest.raises(
        RuleSetError, match="声明单位 '万元/公顷'，但表达式得到 '万元/亩'"
    ):
        write_ruleset(
            MINIMAL
            + """\
            metrics:
              intensity: {expr: investment.fixed_assets / land.area_mu, unit: 万元/公顷}
            """
        )


def test_layering_overrides_disables_and_provenance(
    write_ruleset, tmp_path: Path
) -> None:
    write_ruleset(
        """\
        id: base
        title: 基础
        version: "1"
        tables:
          limits: {keys: [division], unit: 万元/亩, values: {"26": 200, "38": 150}}
        rules:
          - {id: a.one, group: land_use, kind: gate, require: land.plot_ratio >= 1}
          - {id: a.two, group: land_use, kind: gate, require: land.building_coverage >= 0.3}
          - {id: a.three, group: investment_intensity, kind: gate, require: "investment.fixed_assets / land.area_mu >= lookup(limits, industry.division)"}
        """,
        name="base",
        load=False,
    )
    child = write_ruleset(
        f"""\
        id: child
        title: 园区
        version: "2"
        extends: [{tmp_path / "base.yaml"}]
        tables:
          limits: {{values: {{"38": 180}}}}
        rules:
          - {{id: a.one, group: land_use, kind: gate, require: land.plot_ratio >= 1.2, override: true}}
          - {{id: b.new, group: land_use, kind: review, fail_if: land.green_ratio > 0.2}}
        disable:
          - {{rule: a.two, reason: 园区采用多层厂房，不考核建筑系数}}
        """,
        name="child",
    )
    assert [r.id for r in child.rules] == ["a.three", "a.one", "b.new"]
    assert child.rules[1].spec.require == "land.plot_ratio >= 1.2"  # type: ignore[union-attr]
    assert (
        child.rules[1].source.path.endswith("child.yaml")
        and child.rules[0].origin == "base"
    )
    assert child.tables["limits"].values == {
        "26": 200,
        "38": 180,
    }  # a cell overridden, keys kept
    assert child.tables["limits"].unit == "万元/亩"
    assert [(d.rule, d.reason) for d in child.disabled] == [
        ("a.two", "园区采用多层厂房，不考核建筑系数")
    ]
    assert child.chain == ["base", "child"]


def test_cyclic_and_missing_extends(write_ruleset, tmp_path: Path) -> None:
    write_ruleset(
        f"id: x\ntitle: x\nversion: '1'\nextends: [{tmp_path / 'y.yaml'}]\n",
        name="x",
        load=False,
    )
    write_ruleset(
        f"id: y\ntitle: y\nversion: '1'\nextends: [{tmp_path / 'x.yaml'}]\n",
        name="y",
        load=False,
    )
    with pytest.raises(RuleSetError, match="extends 形成循环：x → y → x"):
        load_ruleset(str(tmp_path / "x.yaml"))
    with pytest.raises(RuleSetError, match="找不到规则集 'natinal'"):
        write_ruleset(MINIMAL + "extends: [natinal]\n")


def test_duplicate_rule_ids_in_one_file(write_ruleset) -> None:
    with pytest.raises(RuleSetError, match="重复"):
        write_ruleset(
            MINIMAL
            + """\
            rules:
              - {id: a.b, group: land_use, kind: gate, require: land.plot_ratio >= 1}
              - {id: a.b, group: land_use, kind: gate, require: land.plot_ratio >= 2}
            """
        )


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (dt.date(2024, 1, 31), ["old.rule"]),
        (dt.date(2024, 2, 1), ["new.rule"]),
        (None, ["old.rule", "new.rule"]),
    ],
)
def test_as_of_selects_rules_in_force_at_boundaries(
    write_ruleset, as_of, expected
) -> None:
    rs = write_ruleset(
        MINIMAL
        + """\
        rules:
          - {id: old.rule, group: industry_fit, kind: veto, fail_if: environment.catalogue == "eliminated", effective: {to: 2024-01-31}}
          - {id: new.rule, group: industry_fit, kind: veto, fail_if: environment.catalogue == "restricted", effective: {from: 2024-02-01}}
        """,
        as_of=as_of,
    )
    assert [r.id for r in rs.rules] == expected


def test_rule_set_not_in_force(write_ruleset) -> None:
    with pytest.raises(RuleSetError, match="不在有效期内"):
        write_ruleset(
            MINIMAL + "effective: {from: 2024-02-01}\n", as_of=dt.date(2023, 12, 31)
        )


def test_a_parent_not_in_force_is_refused_not_half_applied(tmp_path: Path) -> None:
    # a 2025 province disabling the red-line veto, extended by a park: on 2024-06-01
    # its rules were dropped but its disable (and parameters) applied, so a lead in
    # the red line passed; the child is refused that day, as the province alone is
    (tmp_path / "prov.yaml").write_text(
        "id: prov\ntitle: 省\nversion: '1'\neffective: {from: 2025-01-01}\n"
        "extends: [national]\nparameters: {energy_review_tce: {value: 5000, unit: tce}}\n"
        "disable:\n  - {rule: environment.red_line, reason: 省里另行规定}\n",
        encoding="utf-8",
    )
    park = tmp_path / "park.yaml"
    park.write_text(
        "id: park\ntitle: 园区\nversion: '1'\nextends: [prov.yaml]\n", encoding="utf-8"
    )
    with pytest.raises(RuleSetError) as refused:
        load_ruleset(str(park), as_of=dt.date(2024, 6, 1))
    (shown,) = refused.value.diagnostics
    assert "上级规则集 prov 在 2024-06-01 不在有效期内（2025-01-01 至 …）" in str(shown)
    assert str(shown).startswith(f"{tmp_path / 'prov.yaml'}:4:")
    in_force = load_ruleset(str(park), as_of=dt.date(2025, 6, 1))
    assert "environment.red_line" not in {r.id for r in in_force.rules}
    assert in_force.parameter("energy_review_tce") == 5000


def test_validate_reports_a_misspelt_key_and_a_missing_parent_in_one_run(
    tmp_path: Path,
) -> None:
    from screening.validate import validate

    path = tmp_path / "both.yaml"
    path.write_text(
        MINIMAL + "extends: [natinal]\nparametrs: {a: 1}\n", encoding="utf-8"
    )
    lines = [str(d) for d in validate(str(path)).diagnostics]
    assert lines == [
        f"{path}:4:11: [RUL] extends: 找不到规则集 'natinal'"
        "（是否想写 national？/ did you mean national?） / "
        "no such rule set (see `screening rules`) (extends)",
        f"{path}:5:1: [RUL] 未知的键 'parametrs'"
        "（是否想写 parameters？/ did you mean parameters?） / unknown key (parametrs)",
    ]


def test_a_parent_with_schema_errors_is_reported_with_its_child(tmp_path: Path) -> None:
    (tmp_path / "parent.yaml").write_text(
        "id: parent\ntitle: p\nversion: '1'\nrules: {}\n", encoding="utf-8"
    )
    child = tmp_path / "child.yaml"
    parent = tmp_path / "parent.yaml"
    child.write_text(
        f"id: child\ntitle: c\nversion: '1'\nextends: [{parent}]\nnote: 1\nx: 2\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleSetError) as info:
        load_ruleset(str(child))
    paths = {d.span.path for d in info.value.diagnostics if d.span}
    assert paths == {str(tmp_path / "parent.yaml"), str(child)}


@pytest.mark.parametrize("ref", ["parks/fake", "FILE"])
def test_a_file_under_rules_whose_id_is_not_its_path_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ref: str
) -> None:
    rules = tmp_path / "rules"
    (rules / "parks").mkdir(parents=True)
    fake = rules / "parks" / "fake.yaml"
    fake.write_text(MINIMAL.replace("id: test", "id: starter"), encoding="utf-8")
    monkeypatch.setenv("SCREENING_RULES", str(rules))
    with pytest.raises(RuleSetError) as info:
        load_ruleset(str(fake) if ref == "FILE" else ref)
    assert _errors(info) == [
        f"{fake}:1:5: [VAL] 规则集 id 'starter' 与文件位置不符，应为 'parks/fake' / "
        "the id must be the path under rules/ (id)"
    ]


def test_a_fact_whose_derive_rule_is_not_applied_is_named_with_why(
    tmp_path: Path,
) -> None:
    # the readers of a fact set by a rule out of force, or disabled: not "unknown
    # name", but which rule and why, at the reader's line
    dated = tmp_path / "dated.yaml"
    dated.write_text(
        MINIMAL + "rules:\n"
        "  - {id: d.list, group: x, kind: derive, sets: key_project,"
        " when: 'startswith(industry.code, \"C26\")', effective: {to: 2024-12-31}}\n"
        "  - {id: r.key, group: x, kind: review, fail_if: key_project}\n",
        encoding="utf-8",
    )
    assert load_ruleset(str(dated), as_of=dt.date(2024, 6, 1)).rules
    with pytest.raises(RuleSetError) as refused:
        load_ruleset(str(dated), as_of=dt.date(2025, 1, 1))
    (shown,) = refused.value.diagnostics
    assert str(shown).startswith(f"{dated}:6:")
    assert (
        "派生事实 'key_project' 未设定：设定它的规则 d.list 在 2025-01-01 不在有效期内"
        in str(shown)
    )
    park = tmp_path / "park.yaml"
    park.write_text(
        "id: park\ntitle: 园区\nversion: '1'\nextends: [national]\n"
        "disable:\n  - {rule: environment.two_high, reason: 不受理两高项目}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleSetError) as refused:
        load_ruleset(str(park))
    assert all(
        "设定它的规则 environment.two_high 已被 park 停用（disable）" in str(d)
        for d in refused.value.diagnostics
    )
