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


def test_a_rule_set_found_under_screening_rules_is_labelled_with_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # $SCREENING_RULES puts a folder before the shipped one: what it holds under a
    # shipped id is not the shipped rule set, so every output names its file
    shipped = load_ruleset("national")
    rules = _shadow(tmp_path)
    monkeypatch.setenv("SCREENING_RULES", str(rules))
    found = load_ruleset("national")
    assert found.sha256 != shipped.sha256
    assert found.path is not None
    assert Path(found.path).resolve() == (rules / "national.yaml").resolve()
    monkeypatch.setenv("SCREENING_RULES", str(ROOT / "rules"))
    assert load_ruleset("national").path is None  # the shipped folder itself


def _layered(folder: Path) -> Path:
    """base/parent.yaml, and layer/child.yaml naming it and a sibling by paths."""
    (folder / "base").mkdir(parents=True)
    (folder / "layer").mkdir()
    (folder / "base" / "parent.yaml").write_text(
        MINIMAL.replace("id: test", "id: parent") + "parameters: {pass_mark: 60}\n",
        encoding="utf-8",
    )
    (folder / "layer" / "sibling.yaml").write_text(
        MINIMAL.replace("id: test", "id: sibling") + "extends: [../base/parent.yaml]\n",
        encoding="utf-8",
    )
    child = folder / "layer" / "child.yaml"
    child.write_text(
        MINIMAL.replace("id: test", "id: child") + "extends: [sibling.yaml]\n",
        encoding="utf-8",
    )
    return child


@pytest.mark.parametrize("where", ["root", "above", "beside", "elsewhere"])
def test_a_relative_extends_path_is_read_from_the_folder_of_the_file_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    child = _layered(tmp_path / "work")
    (tmp_path / "elsewhere").mkdir()
    ref = {
        "root": str(child),
        "above": "layer/child.yaml",
        "beside": "child.yaml",
        "elsewhere": str(child),
    }[where]
    folder = {
        "root": ROOT,
        "above": tmp_path / "work",
        "beside": child.parent,
        "elsewhere": tmp_path / "elsewhere",
    }[where]
    monkeypatch.chdir(folder)
    rs = load_ruleset(ref)
    assert rs.chain == ["parent", "sibling", "child"]
    assert {rid: Path(f).resolve() for rid, f in rs.files.items()} == {
        "parent": tmp_path / "work" / "base" / "parent.yaml",
        "sibling": child.parent / "sibling.yaml",
        "child": child,
    }
    assert rs.path == ref


def test_a_missing_extends_file_is_named_beside_the_file_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = _layered(tmp_path)
    (tmp_path / "base" / "parent.yaml").unlink()
    # the path read from the current folder names a file, which is not the one meant
    (tmp_path / "other" / "base").mkdir(parents=True)
    (tmp_path / "other" / "deep").mkdir()
    (tmp_path / "other" / "base" / "parent.yaml").write_text(MINIMAL, "utf-8")
    monkeypatch.chdir(tmp_path / "other" / "deep")
    with pytest.raises(RuleSetError) as info:
        load_ruleset(str(child))
    assert [str(d) for d in info.value.diagnostics] == [
        f"{child.parent / 'sibling.yaml'}:4:11: [RUL] extends: 找不到规则集文件 "
        f"{child.parent / '../base/parent.yaml'} / no such file"
    ]


def test_an_id_in_extends_is_the_shipped_rule_set_whatever_lies_beside(
    tmp_path: Path,
) -> None:
    shipped = load_ruleset("starter")
    (tmp_path / "starter.yaml").write_text(
        MINIMAL.replace("id: test", "id: starter"), encoding="utf-8"
    )
    child = tmp_path / "child.yaml"
    child.write_text(
        MINIMAL.replace("id: test", "id: child") + "extends: [starter]\n",
        encoding="utf-8",
    )
    rs = load_ruleset(str(child))
    assert Path(rs.files["starter"]).resolve() == ROOT / "rules" / "starter.yaml"
    assert [r.id for r in rs.rules] == [r.id for r in shipped.rules]
