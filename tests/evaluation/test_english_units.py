"""`--lang en`: units in English as the batch writes them, half-width brackets."""

from __future__ import annotations

from tests.cli.test_screen_cli import invoke
from tests.conftest import ROOT

SAMPLE = str(ROOT / "cases/evaluations/sample-firms-2025.xlsx")


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
