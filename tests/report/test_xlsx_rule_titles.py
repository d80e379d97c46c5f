"""The 明细 sheet names each rule by its title, then its id, and its group by label."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from screening.report.sheetml import sheet_label
from tests.cli.test_screen_cli import invoke

_HEADERS = {
    "zh": ("项目编号", "项目名称", "规则", "规则编号", "类别", "类型", "状态"),
    "en": ("Project ID", "Project name", "Rule", "Rule id", "Group", "Kind", "Status"),
}
_RED_LINE = {
    "zh": ("生态保护红线", "environment.red_line", "生态环境", "一票否决"),
    "en": (
        "ecological protection red line",
        "environment.red_line",
        "environment",
        "veto",
    ),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rules_by_title_and_id_and_groups_by_label(tmp_path: Path, lang: str) -> None:
    out = tmp_path / "out.xlsx"
    invoke(["batch", "cases/beihai", "--rules", "parks/beihai-tieshangang-2023",
            "--lang", lang, "-o", str(out)])  # fmt: skip
    sheet = openpyxl.load_workbook(out)[sheet_label("findings_sheet", lang)]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == _HEADERS[lang]
    red_line = next(row for row in rows if row[3] == "environment.red_line")
    assert red_line[2:6] == _RED_LINE[lang]
    groups = {row[4] for row in rows[1:]}
    # every shipped group has a label: no id such as industry_fit or land_use shows
    assert not {g for g in groups if "_" in g}, groups
    if lang == "zh":
        assert "土地利用" in groups and "产业准入" in groups
