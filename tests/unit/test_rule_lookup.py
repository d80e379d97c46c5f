"""Where a rule-set reference is looked for: a bare id is always the shipped rule set."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.errors import RuleSetError
from screening.loader import find_ruleset, load_ruleset, shipped_ids
from tests.conftest import MINIMAL, ROOT


def _shadow(folder: Path) -> Path:
    """A `rules/` folder with an edited national.yaml and a rule set of its own."""
    rules = folder / "rules"
    rules.mkdir(parents=True)
    national = (ROOT / "rules" / "national.yaml").read_text(encoding="utf-8")
    edited = national.replace("value: 10000", "value: 100", 1)
    assert edited != national
    (rules / "national.yaml").write_text(edited, encoding="utf-8")
    (rules / "mine.yaml").write_text(
        MINIMAL.replace("id: test", "id: mine"), encoding="utf-8"
    )
    return rules


def test_a_rules_folder_in_the_current_folder_does_not_replace_the_shipped_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = load_ruleset("national")
    _shadow(tmp_path)
    monkeypatch.chdir(tmp_path)
    found = load_ruleset("national")
    assert found.sha256 == shipped.sha256 and found.path is None
    assert find_ruleset("national").resolve() == ROOT / "rules" / "national.yaml"
    ids = shipped_ids()
    assert "starter" in ids and "national" in ids and "mine" not in ids
    with pytest.raises(RuleSetError, match="找不到规则集 'mine'"):
        find_ruleset("mine")


def test_a_rule_set_in_a_local_rules_folder_is_named_and_labelled_by_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = load_ruleset("national")
    _shadow(tmp_path)
    monkeypatch.chdir(tmp_path)
    own = load_ruleset("rules/national.yaml")
    assert own.path == "rules/national.yaml" and own.sha256 != shipped.sha256
    assert load_ruleset("rules/mine.yaml").path == "rules/mine.yaml"
