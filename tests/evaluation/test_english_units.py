"""`--lang en`: units in English as the batch writes them (one table, messages/en.yaml
`units`), half-width brackets; in the text report, the workbook and the page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl

from tests.cli.test_screen_cli import invoke
from tests.conftest import ROOT

SAMPLE = str(ROOT / "cases/evaluations/sample-firms-2025.xlsx")
PROMISES = str(ROOT / "cases/evaluations/sample-promises-2025.xlsx")


def test_the_english_text_report_writes_units_and_brackets_in_english() -> None:
    args = ["evaluate", SAMPLE, "--scheme", "huangyan", "--year", "2025"]
    out = invoke([*args, "--lang", "en"]).stdout
    assert "benchmark tax per mu: 24.097 ×10k CNY/mu (fixed benchmark)" in out
    assert "2.694 ×10k CNY/tce (fixed benchmark)" in out
    assert "18.14 ×10k CNY/person (fixed benchmark)" in out
    assert "== industrial firms above designated size (42 rated)" in out
    for chinese in ("万元", "吨标煤", "（", "）"):
        assert not [line for line in out.splitlines()
                    # the scheme's basis and firm names are data, quoted as given
                    if chinese in line.split("basis:")[0].replace("（虚构）", "")
                    and not line.startswith("#")], chinese  # fmt: skip
    zh = invoke(args).stdout
    assert "基准 亩均税收: 24.097 万元/亩（固定基准）" in zh


_CJK = re.compile(
    r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
)  # 汉字, full-width forms


def _english_outputs(tmp_path: Path) -> tuple[Any, str, list[str]]:
    """The sample evaluated in English into XLSX and HTML; the firms' names."""
    book, page = tmp_path / "en.xlsx", tmp_path / "en.html"
    invoke(["evaluate", SAMPLE, "--scheme", "huangyan", "--year", "2025", "--lang", "en",
            "--promises", PROMISES, "-o", str(book), "-o", str(page)])  # fmt: skip
    workbook = openpyxl.load_workbook(book, read_only=True)
    names = [
        row[3] for row in workbook["Results"].iter_rows(min_row=2, values_only=True)
    ]
    return workbook, page.read_text(encoding="utf-8"), names


def test_the_english_workbook_writes_units_in_english(tmp_path: Path) -> None:
    book, _, _ = _english_outputs(tmp_path)
    for sheet in book.worksheets:  # every header, units included
        header = next(sheet.iter_rows(max_row=1, values_only=True))
        assert not [h for h in header if h and _CJK.search(h)], sheet.title
    units = {
        row[5] for row in book["Indicators"].iter_rows(min_row=2, values_only=True)
    }
    assert {"×10k CNY/mu", "×10k CNY/tce", "×10k CNY/t", "×10k CNY/person",
            "×10k CNY/×10k kWh"} <= units  # fmt: skip
    assert not [u for u in units if u and _CJK.search(u)]
    population = [
        row[1] for row in book["Population"].iter_rows(min_row=2, values_only=True)
    ]
    assert "Benchmarks: tax per mu 24.097 ×10k CNY/mu (fixed benchmark)" in population
    assert not [p for p in population if _CJK.search(p)]
    promised = {
        row[2] for row in book["Promises"].iter_rows(min_row=2, values_only=True)
    }
    assert "Investment intensity (×10k CNY/mu)" in promised
    reasons = [row[3] for row in book["Actions"].iter_rows(min_row=2, values_only=True)]
    assert "Investment intensity (×10k CNY/mu), Tax per mu (×10k CNY/mu)" in " ".join(
        reasons
    )
    assert not [r for r in [*promised, *reasons] if _CJK.search(r)]


def test_the_english_page_writes_units_in_english(tmp_path: Path) -> None:
    _, page, names = _english_outputs(tmp_path)
    assert "<td>×10k CNY/tce</td>" in page and "<td>×10k CNY/×10k kWh</td>" in page
    # what users typed (firm names, the scheme's basis, the rows refused) is quoted
    # as given; every word of the page's own is English
    own = page.split("<h2>Invalid rows</h2>")[0]
    for name in names:
        own = own.replace(name, "")
    own = re.sub(r"; basis: [^<]*", "", own)
    assert not _CJK.findall(own), sorted(set(_CJK.findall(own)))
