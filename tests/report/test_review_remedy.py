"""A triggered review rule's way around the review reads alike in the XLSX 通过所需,
the JSON summary and the HTML report's 整改方向: the finding's own remedy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from screening.report.sheetml import sheet_label
from tests.cli.test_screen_cli import invoke
from tests.conftest import ROOT
from tests.report.test_main_reasons import _summary

_CASE = (
    "cases/national/n20-provincial-review-exact.yaml"  # 10,000 tce: provincial review
)
_EXPECTED = {
    "zh": "省级节能审查：须人工复核，或年综合能源消费量需低于 10000 tce",
    "en": "provincial energy review: needs human review, or annual energy use below 10000 tce",
}
_REMEDY = {
    "zh": "年综合能源消费量需低于 10000 tce",
    "en": "annual energy use below 10000 tce",
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_review_rule_says_what_avoids_the_review_in_every_output(
    tmp_path: Path, lang: str
) -> None:
    folder = tmp_path / "leads"
    folder.mkdir()
    shutil.copy(ROOT / _CASE, folder)
    xlsx, jsonl, html = (tmp_path / f"out.{k}" for k in ("xlsx", "jsonl", "html"))
    invoke(
        ["batch", str(folder), "--rules", "national", "--lang", lang,
         "-o", str(xlsx), "-o", str(jsonl), "-o", str(html)]
    )  # fmt: skip
    [line] = jsonl.read_text(encoding="utf-8").splitlines()
    result = json.loads(line)
    assert result["decision"] == "review"
    [review] = [
        f for f in result["findings"] if f["rule"] == "energy.provincial_review"
    ]
    assert review["remedy"] == _REMEDY[lang]
    assert result["summary"] == _EXPECTED[lang]
    [row] = _summary(xlsx, lang).values()
    assert row[sheet_label("to_pass", lang)] == _EXPECTED[lang]
    assert _REMEDY[lang] in html.read_text(encoding="utf-8")
