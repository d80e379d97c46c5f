"""Screening a lead's earlier values again (same rule set) makes that screening the
current one once more, though the register keeps one copy of it: the lead page, the
pipeline and the export all show it as current."""

from __future__ import annotations

import io

import openpyxl

from tests.web.conftest import Web
from tests.web.test_pages import FORM, screen_form

A = FORM  # 2.49亿 on 100 亩: below the intensity threshold
B = {**FORM, "investment.fixed_assets": "2.8亿元"}


def test_the_values_screened_last_are_current(sqlite_web: Web) -> None:
    for values in (A, B, A):
        assert screen_form(sqlite_web, values).status_code == 303
    lead = sqlite_web.app.state.register.lead("bh-007")
    first, second = lead["screenings"]  # A is stored once
    assert first["decision"] != second["decision"]
    assert [s["current"] for s in lead["screenings"]] == [True, False]
    assert lead["decision"] == first["decision"]
    client = sqlite_web.client("committee")
    page = client.get("/leads/bh-007").text
    assert f'?screening={first["id"]}">{first["id"]}</a> ★' in page
    assert f'?screening={second["id"]}">{second["id"]}</a> ★' not in page
    assert "正在查看历史筛查" not in page  # the sheet shown is the current one
    pipeline = client.get("/pipeline").text
    assert f'<span class="badge {first["decision"]}">' in pipeline
    export = client.get("/pipeline/export.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    (lead_row,) = list(book["项目"].iter_rows(min_row=2, values_only=True))
    decision_column = [c.value for c in book["项目"][1]].index("筛查结论")
    assert lead_row[decision_column] == {"pass": "通过", "reject": "否决"}.get(
        first["decision"], first["decision"]
    )
    header = [c.value for c in book["筛查"][1]]
    current = {
        row[0]: row[header.index("当前")]
        for row in book["筛查"].iter_rows(min_row=2, values_only=True)
    }
    assert current == {first["id"]: True, second["id"]: False}
