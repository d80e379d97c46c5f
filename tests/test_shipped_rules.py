"""The shipped rule sets: sourced, complete where they claim to be, loadable by the engine."""

from __future__ import annotations

import pytest

from screening.compile import MAX_CHUNK_PROPERTIES, MAX_CHUNK_RULES, MAX_ENGINE_RULES, compile_ruleset
from screening.loader import load_ruleset, shipped_ids

SHIPPED = shipped_ids()


def test_the_issue_ids_are_shipped() -> None:
    for rid in ("national", "parks/longchang-neirong-2022", "parks/wenling-east-2021",
                "parks/beihai-tieshangang-2023", "schemes/tuanfeng-access"):
        assert rid in SHIPPED


def test_every_2017_manufacturing_division_maps_or_is_flagged() -> None:
    national = load_ruleset("national")
    crosswalk = national.tables["division_2017_to_2002"]
    plot_min = national.tables["plot_ratio_min"].values
    for division in range(13, 44):
        key = f"{division:02d}"
        assert key in crosswalk.values, f"2017 division {key} is neither mapped nor flagged"
        target = crosswalk.values[key]
        if target == "":
            assert key in (crosswalk.note or ""), f"flagged division {key} must be listed in the table's note"
        else:
            assert target in plot_min, f"{key} maps to 2002 division {target}, which 表2 does not list"


@pytest.mark.parametrize("rid", SHIPPED)
def test_every_shipped_rule_cites_its_basis(rid: str) -> None:
    for rule in load_ruleset(rid).rules:
        assert rule.spec.basis and len(rule.spec.basis) > 10, f"{rid}: {rule.id} has no basis"


@pytest.mark.parametrize("rid", SHIPPED)
def test_shipped_rule_sets_compile_into_chunks_inside_the_engine_limits(rid: str) -> None:
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
