"""`register kpi`, `list`, `show` and `history` with `--lang en` are English but for
what users typed (names, companies, parks, notes, who recorded it): no 考核率 or
履约率, no 同意 / 不同意 / 暂缓 columns, no 合计 or （未填园区）, amounts in ×10k CNY,
land in mu, people for employment, and English punctuation. A promise's bad figure
names the option typed (`--total`), not the register's column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from screening.register import Register
from screening.register.store import Filters
from tests.register.test_store import AS_OF, cli, stored

# CJK characters and full-width forms (（），；：)
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
NOTE = "退回洽谈"


@pytest.fixture
def register_url(db_url: str, tmp_path: Path) -> str:
    """Leads in two parks and one without a park, moved on, promised and reported."""
    folder = tmp_path / "in"
    folder.mkdir()
    stored(db_url, folder, 4)
    cli(
        "register", "add", "cases/beihai/bh01-iron-phosphate-pass.yaml",
        "--as-of", AS_OF, "--db", db_url,
    )  # fmt: skip
    for args in (
        # in negotiation before the committee met (a meeting before it is refused)
        ("stage", "bh-000000", "洽谈", "--date", "2025-01-02"),
        ("stage", "bh-001", "洽谈", "--date", "2025-03-01"),
        ("stage", "bh-000000", "签约", "--date", "2025-02-01"),
        ("stage", "bh-000000", "开工", "--date", "2025-04-01", "--override",
         "--note", NOTE),
        ("committee", "bh-000000", "同意", "--meeting-date", "2025-01-20"),
        ("committee", "bh-001", "暂缓", "--meeting-date", "2025-03-20"),
        ("promise", "bh-000000", "--total", "3.5亿", "--land", "80亩",
         "--employees", "300", "--energy", "1200", "--start-by", "2025-03-31",
         "--production-by", "2025-12-31"),
        ("actual", "bh-000000", "--date", "2025-06-30", "--invested", "1.2亿"),
    ):  # fmt: skip
        cli("register", *args, "--db", db_url)
    return db_url


def _typed(db_url: str) -> list[str]:
    """What users typed, longest first: it stays as typed in English too."""
    with Register.open(db_url) as register:
        leads = register.leads(Filters(), None)[1]
    words = {NOTE, "测试员"}
    for lead in leads:
        words |= {lead["name"], lead["company"], lead["park"]} - {None}
    return sorted(words, key=len, reverse=True)


def _chinese_left(db_url: str, text: str) -> list[str]:
    for word in _typed(db_url):
        text = text.replace(word, "")
    return [line for line in text.splitlines() if CJK.search(line)]


@pytest.mark.parametrize(
    "command",
    [
        ("kpi", "--year", "2025"),
        ("kpi",),  # this year to date
        ("list",),
        ("show", "bh-000000"),
        ("show", "bh-001"),
        ("history", "bh-000000"),
    ],
    ids=["kpi-year", "kpi-to-date", "list", "show", "show-no-park", "history"],
)
def test_english_output_is_english(register_url: str, command: tuple[str, ...]) -> None:
    text = cli("register", *command, "--lang", "en", "--db", register_url)
    assert _chinese_left(register_url, text) == []


def test_english_words_for_the_kpis(register_url: str) -> None:
    text = cli(
        "register", "kpi", "--year", "2025", "--lang", "en", "--db", register_url
    )
    for words in (
        "rates:",
        "signed → started",
        "investment in place",
        "agreed",
        "deferred",
        "all parks",
        "(no park)",
        "signed ≥ 30M CNY",
        "100.0% (1/1)",
    ):
        assert words in text, words


def test_english_units_in_show(register_url: str) -> None:
    text = cli("register", "show", "bh-000000", "--lang", "en", "--db", register_url)
    assert "total investment 35000 ×10k CNY" in text
    assert "land 80 mu" in text and "employees 300 people" in text
    assert "invested to date 12000 ×10k CNY" in text
    chinese = cli("register", "show", "bh-000000", "--db", register_url)
    assert "总投资 35000万元" in chinese and "用地 80亩" in chinese  # as before


def test_a_bad_promise_figure_names_the_option_typed(register_url: str) -> None:
    said = cli(
        "register", "promise", "bh-000000", "--total", "abc", "--db", register_url,
        code=2,
    )  # fmt: skip
    assert said.startswith("[REG] --total: ") or "--total:" in said
    assert "total-investment" not in said and "total_investment" not in said
