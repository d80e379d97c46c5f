"""The commands find shipped rule sets by id from any folder, never ./rules instead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from screening.cli import main
from tests.conftest import ROOT

CASE = str(ROOT / "cases/beihai/bh01-iron-phosphate-pass.yaml")


def invoke(args: list[str], code: int = 0) -> Result:
    """Run the CLI and check its exit code, showing stderr when it differs."""
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def _shadow(folder: Path) -> None:
    # the tester's ./rules: national with its energy-review threshold at 100 tce
    (folder / "rules").mkdir()
    text = (ROOT / "rules/national.yaml").read_text(encoding="utf-8")
    (folder / "rules/national.yaml").write_text(
        text.replace("value: 10000", "value: 100", 1), encoding="utf-8"
    )


def test_a_rules_folder_here_does_not_pass_for_the_shipped_rule_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = json.loads(
        invoke(["screen", CASE, "--rules", "national", "--format", "json"]).stdout
    )
    _shadow(tmp_path)
    monkeypatch.chdir(tmp_path)
    here = json.loads(
        invoke(["screen", CASE, "--rules", "national", "--format", "json"]).stdout
    )
    assert here["ruleset"] == expected["ruleset"]
    assert here["ruleset"]["path"] is None
    assert here["decision"] == expected["decision"] == "pass"
    listed = invoke(["rules"]).stdout
    assert "parks/beihai-tieshangang-2023" in listed and "starter" in listed


def test_a_rules_folder_here_is_read_by_path_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _shadow(tmp_path)
    monkeypatch.chdir(tmp_path)
    args = ["screen", CASE, "--rules", "rules/national.yaml", "--format", "json"]
    data = json.loads(invoke(args).stdout)
    assert data["ruleset"]["id"] == "national"
    assert data["ruleset"]["path"] == "rules/national.yaml"
    assert data["decision"] == "review"  # 8000 tce is over the edited 100


def _layer(folder: Path) -> Path:
    # the tester's layer/: a copy of national under another id, and the 北海 park
    # extending it by file name
    layer = folder / "layer"
    layer.mkdir()
    national = (ROOT / "rules/national.yaml").read_text(encoding="utf-8")
    (layer / "nat.yaml").write_text(
        national.replace("\nid: national\n", "\nid: nat-local\n", 1), encoding="utf-8"
    )
    park = (ROOT / "rules/parks/beihai-tieshangang-2023.yaml").read_text("utf-8")
    assert "\nextends: [national]\n" in park
    (layer / "child.yaml").write_text(
        park.replace("\nextends: [national]\n", "\nextends: [nat.yaml]\n"), "utf-8"
    )
    return layer


@pytest.mark.parametrize("inside", [False, True])
def test_validate_and_screen_read_extends_beside_the_file_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inside: bool
) -> None:
    layer = _layer(tmp_path)
    monkeypatch.chdir(layer if inside else tmp_path)
    ref = "child.yaml" if inside else "layer/child.yaml"
    assert "0 error(s)" in invoke(["validate", ref]).stdout
    data = json.loads(
        invoke(["screen", CASE, "--rules", ref, "--format", "json"]).stdout
    )
    assert data["ruleset"]["path"] == ref and data["decision"] == "pass"
