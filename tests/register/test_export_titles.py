"""The export's 承诺 and 实绩 sheets are titled as the other sheets are: Chinese titles
with their units (总投资(万元)), English ones with `--lang en` (total investment
(×10k CNY)) — they showed the raw column names (signed_on, total_investment …)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.register.test_store import cli, stored

CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


@pytest.fixture
def exported(db_url: str, tmp_path: Path) -> dict[str, dict[str, list[object]]]:
    """The export's header row of each sheet, in Chinese and in English."""
    folder = tmp_path / "in"
    folder.mkdir()
    stored(db_url, folder, 2)
    cli(
        "register", "promise", "bh-000000", "--total", "3.5亿", "--land", "80亩",
        "--employees", "300", "--energy", "1200", "--start-by", "2025-09-30",
        "--db", db_url,
    )  # fmt: skip
    cli(
        "register", "actual", "bh-000000", "--date", "2025-12-31", "--invested",
        "1.2亿", "--db", db_url,
    )  # fmt: skip
    headers = {}
    for lang in ("zh", "en"):
        out = tmp_path / f"{lang}.xlsx"
        cli("register", "export", "-o", str(out), "--lang", lang, "--db", db_url)
        book = load_workbook(out, read_only=True)
        headers[lang] = {
            sheet.title: list(next(sheet.iter_rows(values_only=True)))
            for sheet in book.worksheets
        }
    return headers


def test_promises_and_actuals_are_titled_with_their_units(
    exported: dict[str, dict[str, list[object]]],
) -> None:
    zh = exported["zh"]
    assert zh["承诺"][:5] == [
        "项目编号",
        "签约日期",
        "总投资(万元)",
        "固定资产投资(万元)",
        "用地(亩)",
    ]
    assert "就业人数(人)" in zh["承诺"] and "年综合能耗(吨标准煤)" in zh["承诺"]
    assert zh["实绩"][:4] == ["项目编号", "报告日期", "年度", "累计到位资金(万元)"]
    for title in zh["承诺"] + zh["实绩"]:
        assert not re.fullmatch(r"[a-z_]+", str(title)), title  # no raw column name


def test_english_titles_are_english(
    exported: dict[str, dict[str, list[object]]],
) -> None:
    en = exported["en"]
    assert list(en) == [
        "leads",
        "screenings",
        "stages",
        "committee",
        "promises",
        "actuals",
    ]
    assert "total investment (×10k CNY)" in en["promises"]
    assert "land (mu)" in en["promises"] and "energy use (tce)" in en["promises"]
    assert "invested to date (×10k CNY)" in en["actuals"]
    assert "investment (×10k CNY)" in en["leads"]
    for sheet, titles in en.items():
        for title in titles:
            assert not CJK.search(str(title)), (sheet, title)
