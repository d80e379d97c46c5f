"""The workbook's words follow --lang: units in English in an English workbook."""

from __future__ import annotations

import pytest

from screening import load_project, load_ruleset, screen
from screening.report import xlsx_rows
from screening.report.contract import to_contract
from screening.report.labels import Labels

_CASE = "cases/wenling/wl01-motors-pass.yaml"


@pytest.mark.parametrize(
    ("lang", "shown", "not_shown"),
    [("en", "×10k CNY/mu", "万元/亩"), ("zh", "万元/亩", "×10k CNY/mu")],
)
def test_unit_column_is_in_the_workbook_language(
    lang: str, shown: str, not_shown: str
) -> None:
    ruleset = load_ruleset("parks/wenling-east-2021")
    decision = screen(load_project(_CASE), ruleset)
    fast = xlsx_rows.DecisionRows(ruleset, lang).render(decision)
    slow = xlsx_rows.result_rows(
        to_contract(decision, ruleset, lang), lang, Labels((ruleset,), lang)
    )
    assert fast == slow
    cells = b"".join(fast.findings).decode()
    # a unit cell holds the unit alone (a basis may quote 万元/亩 in its own words)
    assert f"<t>{shown}</t>" in cells
    assert f"<t>{not_shown}</t>" not in cells
