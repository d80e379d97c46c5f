"""The workbook's summary sheet names rules and fields by their titles, never their ids,
as the HTML report does: 一票否决 and 须补充数据 list titles (the English ones with
--lang en), joined as the HTML report joins them; the batch's rows (rendered from
decisions) and `write_xlsx`'s (from contract results) alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from screening.cases import case_files, load_case
from screening.loader import load_ruleset
from screening.model.effective import RuleSet
from screening.report.contract import contract_line
from screening.report.explain import explainer
from screening.report.html import label
from screening.report.sheetml import SUMMARY, sheet_label
from screening.report.xlsx import write_xlsx
from screening.screener import Screener
from tests.cli.test_screen_cli import invoke

# shipped case sets that veto projects and lack data (fields of the project model and
# inputs their rule set declares)
CASE_SETS = [
    ("starter", "cases/starter"),
    ("national", "cases/national"),
]
_COLUMNS = [key for key, _ in SUMMARY]
_VETOED, _FAILED, _MISSING = (
    _COLUMNS.index(key) for key in ("vetoed_by", "main_failed", "missing")
)


def _decisions(ruleset: RuleSet, folder: str) -> list[Any]:
    screener = Screener(ruleset)
    return [screener.screen(load_case(p).project) for p in case_files([folder])]


def _summary(path: Path, lang: str) -> dict[str, tuple[Any, ...]]:
    sheet = openpyxl.load_workbook(path)[sheet_label("summary_sheet", lang)]
    return {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}


def _check(
    rows: dict[str, tuple[Any, ...]], decisions: list[Any], ruleset: RuleSet, lang: str
) -> None:
    explain = explainer(ruleset, lang)
    sep = label("list_sep", lang)
    expected = {
        d.project_id: (
            sep.join(explain.titles[r] for r in d.vetoed_by) or None,
            sep.join(explain.field_title(f) for f in d.missing) or None,
        )
        for d in decisions
    }
    assert {pid: (row[_VETOED], row[_MISSING]) for pid, row in rows.items()} == expected
    # titles, not Nones: the cases veto, lack data, and have titles that are no ids
    assert any(vetoes for vetoes, _ in expected.values())
    assert any(missing for _, missing in expected.values())
    ids = {rule.id for rule in ruleset.rules} | {
        f for d in decisions for f in d.missing
    }
    assert not ids & {title for pair in expected.values() for title in pair}
    for row in rows.values():
        for cell in (row[_VETOED], row[_FAILED], row[_MISSING]):
            assert not [i for i in ids if i in (cell or "")], cell


@pytest.mark.parametrize(("ref", "folder"), CASE_SETS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_batch_workbook_summary_names_rules_and_fields_by_title(
    tmp_path: Path, ref: str, folder: str, lang: str
) -> None:
    out = tmp_path / "out.xlsx"
    args = ["batch", folder, "--rules", ref, "--jobs", "1", "--lang", lang]
    invoke([*args, "-o", str(out)])
    ruleset = load_ruleset(ref)
    _check(_summary(out, lang), _decisions(ruleset, folder), ruleset, lang)


@pytest.mark.parametrize(("ref", "folder"), CASE_SETS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_write_xlsx_summary_names_rules_and_fields_by_title(
    tmp_path: Path, ref: str, folder: str, lang: str
) -> None:
    ruleset = load_ruleset(ref)
    decisions = _decisions(ruleset, folder)
    results = [json.loads(contract_line(d, ruleset, lang)) for d in decisions]
    out = tmp_path / "out.xlsx"
    write_xlsx(out, results, [], {}, lang, rulesets=[ruleset])
    _check(_summary(out, lang), decisions, ruleset, lang)
