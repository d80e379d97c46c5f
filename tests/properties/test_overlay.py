"""Overlaying a rule set with itself (a child that re-declares everything) changes nothing."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from hypothesis import given

from screening.loader import load_ruleset
from screening.model.project import Project
from screening.screener import Screener
from tests.conftest import ROOT
from tests.properties.test_properties import projects

BASES = ["starter", "national", "parks/beihai-tieshangang-2023"]


def _self_overlay(base_id: str, folder: Path) -> Path:
    """A child of `base_id` that re-declares all its parameters, tables, metrics and rules."""
    base = yaml.safe_load((ROOT / f"rules/{base_id}.yaml").read_text(encoding="utf-8"))
    child = {
        key: base[key]
        for key in ("parameters", "inputs", "tables", "metrics", "weights")
        if key in base
    }
    child.update(
        {
            "id": "overlay",
            "title": "自身叠加",
            "version": base["version"],
            "extends": [base_id],
            "rules": [{**rule, "override": True} for rule in base.get("rules", [])],
        }
    )
    path = folder / "overlay.yaml"
    path.write_text(
        yaml.safe_dump(child, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return path


@cache
def _pair(base_id: str, folder: str) -> tuple[Screener, Screener]:
    overlay = load_ruleset(str(_self_overlay(base_id, Path(folder))))
    return Screener(load_ruleset(base_id)), Screener(overlay)


def test_overlay_keeps_every_rule_in_order(tmp_path: Path) -> None:
    for base_id in BASES:
        base, overlay = (
            load_ruleset(base_id),
            load_ruleset(str(_self_overlay(base_id, tmp_path))),
        )

        def same(rules: list) -> list:
            return [
                (r.id, r.spec.model_copy(update={"override": False})) for r in rules
            ]

        assert same(overlay.rules) == same(base.rules)
        assert overlay.tables == base.tables and overlay.parameters == base.parameters


@given(projects())
def test_overlay_with_itself_decides_the_same(tmp_path_factory, data: dict) -> None:
    folder = str(tmp_path_factory.getbasetemp() / "overlay")
    Path(folder).mkdir(exist_ok=True)
    for base_id in BASES:
        base, overlay = _pair(base_id, folder)
        project = Project.model_validate(data)
        first, second = base.screen(project), overlay.screen(project)
        assert (
            first.outcome,
            first.score,
            [f.check_tuple() for f in first.findings],
        ) == (second.outcome, second.score, [f.check_tuple() for f in second.findings])
