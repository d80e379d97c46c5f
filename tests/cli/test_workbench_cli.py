"""The policy-staff commands: validate, schema, test, diff, rules show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening.schema import SCHEMAS, render_schema
from tests.cli.test_screen_cli import invoke
from tests.conftest import ROOT


def test_validate_exit_codes_and_json(tmp_path: Path) -> None:
    invoke(["validate", "starter"])
    invoke(["validate", "tests/golden/validate/domains.yaml"])  # warnings only
    invoke(["validate", "tests/golden/validate/domains.yaml", "--strict"], code=1)
    out = invoke(
        ["validate", "tests/golden/validate/bands.yaml", "--format", "json"], code=2
    ).stdout
    report = json.loads(out)[0]
    assert report["errors"] == 2 and report["warnings"] == 1
    assert report["diagnostics"][0] == {
        "path": "tests/golden/validate/bands.yaml",
        "line": 9,
        "column": 35,
        "code": "BND",
        "severity": "error",
        "field": "rules[0].bands[1] [tax.overlap]",
        "message": "分档重叠：第 1 档与第 2 档 / bands 1 and 2 overlap",
    }


def test_every_shipped_rule_set_validates_without_errors() -> None:
    invoke(["validate", "all"])


@pytest.mark.parametrize("which", SCHEMAS)
def test_schemas_are_generated_and_current(which: str) -> None:
    assert invoke(["schema", which]).stdout == render_schema(which)
    assert (ROOT / f"schema/{which}.schema.json").read_text(
        encoding="utf-8"
    ) == render_schema(which), (
        f"run `screening schema {which} -o schema/{which}.schema.json`"
    )


def test_shipped_yaml_files_point_editors_at_the_schema() -> None:
    for folder, schema in (("rules", "ruleset"), ("cases", "project")):
        for path in (ROOT / folder).rglob("*.yaml"):
            # 亩均 schemes and their cases have schemas of their own
            expected = (
                {"rules": "evaluation", "cases": "evaluation-case"}[folder]
                if "evaluations" in path.parts
                else schema
            )
            first = path.read_text(encoding="utf-8").splitlines()[0]
            depth = len(path.relative_to(ROOT).parts) - 1
            assert (
                first
                == f"# yaml-language-server: $schema={'../' * depth}schema/{expected}.schema.json"
            ), path


def test_test_command_reports_like_a_test_runner(tmp_path: Path) -> None:
    out = invoke(["test", "cases/starter"]).stdout
    assert out.splitlines()[-1] == "9 passed, 0 failed"
    wrong = tmp_path / "wrong.yaml"
    text = (ROOT / "cases/starter/red-line-veto.yaml").read_text(encoding="utf-8")
    wrong.write_text(
        text.replace("decision: reject", "decision: pass").replace(
            "environment.red_line: fail", "environment.red_line: pass"
        ),
        encoding="utf-8",
    )
    result = invoke(["test", str(wrong)], code=1)
    assert result.stdout.splitlines() == [
        f"FAIL {wrong}: decision: expected pass, got reject",
        f"FAIL {wrong}: finding environment.red_line: expected pass, got fail",
        "0 passed, 1 failed",
    ]


def test_coverage_proves_every_starter_rule_is_exercised() -> None:
    out = invoke(["test", "cases/starter", "--coverage"]).stdout
    assert "every configured rule's pass and fail sides are exercised" in out
    assert (
        "environment.two_high_conditions  review        2       1       1       5"
        in out
    )


def test_diff_of_a_rule_set_with_itself_reports_no_change() -> None:
    out = json.loads(
        invoke(
            ["diff", "starter", "starter", "--format", "json", "--as-of", "2025-01-01"]
        ).stdout
    )
    assert (
        out["changes"] == []
        and out["decision_changes"] == []
        and out["rules_changed_behaviour"] == {}
    )
    assert out["projects"] == 9
    assert out["old"]["path"] is None and out["new"]["path"] is None  # shipped ids


def test_diff_labels_a_rule_set_from_a_file_with_its_path(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    starter = (ROOT / "rules/starter.yaml").read_text(encoding="utf-8")
    mine.write_text(starter, encoding="utf-8")
    args = ["diff", "starter", str(mine), "cases/starter", "--as-of", "2025-01-01"]
    out = json.loads(invoke([*args, "--format", "json"]).stdout)
    assert out["new"]["path"] == str(mine) and out["new"]["id"] == "starter"
    text = invoke(args).stdout
    assert text.splitlines()[0].endswith(f"starter v2026.1（文件 / file {mine}）")


def test_diff_reports_threshold_changes_and_their_impact(tmp_path: Path) -> None:
    stricter = tmp_path / "stricter.yaml"
    text = (ROOT / "rules/starter.yaml").read_text(encoding="utf-8")
    stricter.write_text(
        text.replace(
            "require: investment_intensity >= 250",
            "require: investment_intensity >= 300",
        ).replace('version: "2024.1"', 'version: "2025.1"'),
        encoding="utf-8",
    )
    out = json.loads(
        invoke(
            [
                "diff",
                "starter",
                str(stricter),
                "cases/starter",
                "--format",
                "json",
                "--as-of",
                "2025-01-01",
            ]
        ).stdout
    )
    assert out["changes"] == [
        {
            "what": "rule",
            "name": "investment.intensity",
            "change": "changed",
            "field": "require",
            "before": "investment_intensity >= 250",
            "after": "investment_intensity >= 300",
        }
    ]
    # intensities in [250, 300) now fail: st-002 (250, was review) and st-004 (260, already vetoed)
    assert [d["project"] for d in out["decision_changes"]] == ["st-002"]
    assert out["transitions"] == {"review→reject": 1}
    assert out["rules_changed_behaviour"] == {"investment.intensity": 2}
    md = invoke(
        [
            "diff",
            "starter",
            str(stricter),
            "cases/starter",
            "--format",
            "markdown",
            "--as-of",
            "2025-01-01",
        ]
    ).stdout
    assert "| rule | `investment.intensity` | changed | require |" in md


def test_rules_show_prints_provenance() -> None:
    out = invoke(["rules", "show", "starter"]).stdout
    assert (
        "environment.red_line (veto, environment)    ← rules/starter.yaml:47:5" in out
    )
    data = json.loads(invoke(["rules", "show", "starter", "--format", "json"]).stdout)
    assert data["parameters"]["energy_review_tce"] == {
        "value": 10000,
        "unit": "tce",
        "defined_at": "rules/starter.yaml:22:5",
    }


def test_shipped_cases_cover_every_shipped_rule() -> None:
    out = invoke(["test", "cases", "--coverage", "--as-of", "2025-06-30"]).stdout
    assert "every configured rule's pass and fail sides are exercised" in out
    assert "未覆盖" not in out
    # the only rules no case can exercise are those whose figures the reference lacks:
    # the 2008 表1, the 2023 edition's three control values, 投资强度 (a province's)
    unconfigured = (
        "investment_intensity.control_value",
        "investment_intensity.national_table",
        "land_use.admin_share_2023",
        "land_use.building_coverage_2023",
        "land_use.plot_ratio_2023",
    )
    assert [line for line in out.splitlines() if line.startswith("未配置")] == [
        f"未配置，无法覆盖 / not configured, cannot be exercised: national: {rule}"
        for rule in unconfigured
    ]
    assert out.splitlines()[-1].endswith("0 failed")


def test_schema_output_that_cannot_be_written_is_one_line_and_exit_2(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "no-such-folder" / "x.json"
    result = invoke(["schema", "ruleset", "-o", str(missing)], code=2)
    assert result.stderr.strip().splitlines() == [
        f"[SCR] {missing}: 无法写入（No such file or directory）/ cannot write it"
    ]
    assert not missing.parent.exists()


def test_schema_output_is_written_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "ruleset.schema.json"
    target.write_text("the previous schema", encoding="utf-8")
    written: list[Path] = []

    import screening.io.writers as writers

    real = writers.atomic_write

    def spy(path: Path | str, data: bytes | str) -> None:
        written.append(Path(path))
        real(path, data)

    monkeypatch.setattr(writers, "atomic_write", spy)
    invoke(["schema", "ruleset", "-o", str(target)])
    assert written == [target]
    assert target.read_text(encoding="utf-8") == render_schema("ruleset")
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temp file left


def test_diff_shows_a_score_only_where_a_rule_set_gives_one() -> None:
    # starter scores, national does not: a dash for its side; neither: no brackets
    text = invoke(["diff", "starter", "national", "cases/starter"]).stdout
    assert "st-005: reject → review（得分 0 → —）" in text
    both_unscored = invoke(
        ["diff", "national", "parks/beihai-tieshangang-2023", "cases/national"]
    ).stdout
    changed = [line for line in both_unscored.splitlines() if " → " in line]
    assert changed and not any("得分" in line for line in changed)


@pytest.mark.parametrize("command", ["diff", "test"])
def test_diff_and_test_outside_a_checkout_read_the_shipped_cases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.chdir(tmp_path)  # no cases/ here: the shipped ones are read
    args = ["diff", "starter", "starter"] if command == "diff" else ["test"]
    here = invoke([*args, "--as-of", "2025-01-01"])
    monkeypatch.chdir(ROOT)
    assert here.stdout == invoke([*args, "--as-of", "2025-01-01"]).stdout


def test_diff_shows_a_changed_table_cell_as_the_number_it_is(tmp_path: Path) -> None:
    edited = tmp_path / "national.yaml"
    text = (ROOT / "rules/national.yaml").read_text(encoding="utf-8")
    changed = text.replace('"17": 0.8   # 纺织业', '"17": 0.9   # 纺织业')
    assert changed != text
    edited.write_text(changed, encoding="utf-8")
    args = ["diff", "national", str(edited), "cases/national"]
    out = json.loads(invoke([*args, "--format", "json"]).stdout)
    assert out["changes"] == [
        {
            "what": "table",
            "name": "plot_ratio_min",
            "change": "changed",
            "field": "17",
            "before": 0.8,
            "after": 0.9,
        }
    ]
    assert "changed  table plot_ratio_min.17: 0.8 → 0.9" in invoke(args).stdout


def test_a_markdown_diff_shows_the_band_that_changed(tmp_path: Path) -> None:
    # the minutes: the whole band list, cut to a cell, read the same before and after
    draft = tmp_path / "draft.yaml"
    text = (ROOT / "rules/starter.yaml").read_text(encoding="utf-8")
    assert text.count("{min: 20, points: 60}") == 1
    draft.write_text(
        text.replace("{min: 20, points: 60}", "{min: 20, points: 50}"), encoding="utf-8"
    )
    shown = invoke(["diff", "starter", str(draft), "--format", "markdown"]).stdout
    row = next(line for line in shown.splitlines() if "`tax.per_mu`" in line)
    assert "| bands[3] |" in row, row
    assert '"points": "60"' in row and '"points": "50"' in row


def test_rules_show_prints_each_score_rule_s_points() -> None:
    # bands, linear points and bonus points, as merged: what a band parameter changes
    shown = invoke(["rules", "show", "starter"]).stdout
    assert "分档 / bands: [<10 → 0]  [≥10 <20 → 30]  [≥20 → 60]" in shown
    assert "线性 / linear: (200 → 0)  (400 → 40)" in shown
    assert "加分 / points: 5" in shown
    data = json.loads(invoke(["rules", "show", "starter", "--format", "json"]).stdout)
    rule = next(r for r in data["rules"] if r["id"] == "tax.per_mu")
    assert rule["bands"][2] == {"min": "20", "points": "60"}
