"""A screening made with a rule-set file (`register rescreen --rules ./draft.yaml`) is
listed with that file wherever the register lists a screening's rule set — `show`,
`history`, the export's 筛查 sheet, the lead's JSON (`ruleset.path`) and the
rescreen's impact — so it is never taken for the shipped rule set of the same id."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook

from tests.register.test_store import AS_OF, BEIHAI, cli, stored


def _draft(db_url: str, tmp_path: Path) -> str:
    """Two leads screened with the shipped rules, then with a stricter draft file."""
    stored(db_url, tmp_path, 2)
    draft = tmp_path / "beihai-draft.yaml"
    text = Path(f"rules/{BEIHAI}.yaml").read_text(encoding="utf-8")
    assert "require: investment_intensity >= 250" in text
    draft.write_text(
        text.replace(
            "require: investment_intensity >= 250",
            "require: investment_intensity >= 300",
        ),
        encoding="utf-8",
    )
    cli(
        "register", "rescreen", "--rules", str(draft), "--as-of", AS_OF,
        "--adopt", "--db", db_url,
    )  # fmt: skip
    return str(draft)


def _screening_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("  #")]


def test_show_history_and_json_name_the_rule_set_file(
    db_url: str, tmp_path: Path
) -> None:
    draft = _draft(db_url, tmp_path)
    shipped, from_file = _screening_lines(
        cli("register", "show", "bh-000000", "--db", db_url)
    )
    assert f"{BEIHAI} v" in shipped and "文件" not in shipped
    assert f"（文件 {draft}）" in from_file
    english = _screening_lines(
        cli("register", "show", "bh-000000", "--lang", "en", "--db", db_url)
    )[1]
    assert f" (file {draft})" in english
    data = json.loads(
        cli("register", "show", "bh-000000", "--format", "json", "--db", db_url)
    )
    assert [s["ruleset"]["path"] for s in data["screenings"]] == [None, draft]
    history = cli("register", "history", "bh-000000", "--db", db_url)
    assert f"（文件 {draft}）" in history.splitlines()[-1]
    events = json.loads(
        cli("register", "history", "bh-000000", "--format", "json", "--db", db_url)
    )
    assert [
        e["detail"]["ruleset_path"] for e in events if e["what"] == "screening"
    ] == [
        None,
        draft,
    ]


def test_the_export_names_the_rule_set_file(db_url: str, tmp_path: Path) -> None:
    draft = _draft(db_url, tmp_path)
    out = tmp_path / "export.xlsx"
    cli("register", "export", "-o", str(out), "--db", db_url)
    sheet = load_workbook(out, read_only=True)["筛查"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    files = [row[header.index("规则集文件")] for row in rows]
    assert sorted(files, key=str) == sorted([None, None, draft, draft], key=str)


def test_rescreen_names_the_file_the_leads_were_screened_with(
    db_url: str, tmp_path: Path
) -> None:
    draft = _draft(db_url, tmp_path)
    impact = cli(
        "register", "rescreen", "--rules", BEIHAI, "--as-of", AS_OF, "--db", db_url,
    )  # fmt: skip
    assert f"（文件 / file {draft}）" in impact
