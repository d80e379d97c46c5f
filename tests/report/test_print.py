"""The printed report, as headless Chromium prints it (`page.pdf()`): pages counted.

200 projects must print on about 200 A4 pages — the summary, then one sheet a project —
not the 1,073 pages the report printed before it had a print layout.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from screening.cases import case_files, load_case
from screening.loader import load_ruleset
from screening.model.project import Project
from screening.report.contract import to_contract
from screening.report.html import render_batch_html, render_project_html
from screening.screener import Screener

RULES = "parks/beihai-tieshangang-2023"
AS_OF = dt.date(2025, 6, 30)
SHARES = ("building_coverage", "admin_share", "green_ratio", "rd_share")


def print_pages(browser: Any, html: str, tmp_path: Path) -> int:
    """How many A4 pages Chromium prints `html` on."""
    source = tmp_path / "report.html"
    source.write_text(html, encoding="utf-8")
    page = browser.new_page()
    page.goto(source.as_uri())
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    page.close()
    # one "/Type /Page" object a page ("/Pages" is the page tree, not counted)
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def _projects(n: int, seed: int = 10) -> list[Project]:
    """n leads: the Beihai case projects with every figure moved by up to ±25 %."""
    rng = random.Random(seed)
    base = [
        load_case(p).project.model_dump(mode="json", exclude_none=True)
        for p in case_files(["cases/beihai"])
    ]
    out = []
    for i in range(n):
        data = {
            **rng.choice(base),
            "id": f"bh-{i:04d}",
            "company": f"广西某新材料有限公司{i}",
        }
        for section in ("investment", "land", "output", "environment"):
            values = dict(data.get(section) or {})
            for key, value in values.items():
                if isinstance(value, str) and value.replace(".", "", 1).isdigit():
                    scaled = Decimal(value) * (1 + Decimal(rng.randint(-25, 25)) / 100)
                    if key in SHARES:
                        scaled = min(scaled, Decimal(1))
                    values[key] = str(
                        scaled.quantize(
                            Decimal(1) if key == "employees" else Decimal("0.0001")
                        )
                    )
            if values:
                data[section] = values
        out.append(Project.model_validate(data))
    return out


@pytest.fixture(scope="module")
def screened() -> tuple[Any, list[dict[str, Any]]]:
    ruleset = load_ruleset(RULES, as_of=AS_OF)
    screener = Screener(ruleset)
    return ruleset, [to_contract(screener.screen(p), ruleset) for p in _projects(200)]


def test_200_projects_print_on_about_200_pages(
    browser: Any, screened: Any, tmp_path: Path
) -> None:
    ruleset, results = screened
    meta = {
        "ruleset": {
            "id": ruleset.id,
            "version": ruleset.version,
            "sha256": ruleset.sha256,
        },
        "as_of": AS_OF.isoformat(),
        "input": "leads.xlsx",
    }
    errors = [
        {
            "source": "leads.xlsx",
            "row": 203,
            "column": None,
            "reason": "合计行",
            "kind": "skipped",
        }
    ]
    pages = print_pages(
        browser, render_batch_html(results, errors, meta, ruleset=ruleset), tmp_path
    )
    # every project starts a page of its own; the summary (counts, top rules, the list
    # at one or two lines a project) takes a few; a sheet that flows over is rare
    assert len(results) <= pages <= len(results) + len(results) // 20 + 4, pages


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_sheet_is_one_page(
    browser: Any, screened: Any, tmp_path: Path, lang: str
) -> None:
    ruleset, results = screened
    busiest = max(
        results, key=lambda r: sum(f["status"] != "pass" for f in r["findings"])
    )
    assert sum(f["status"] == "fail" for f in busiest["findings"]) >= 3
    assert (
        print_pages(browser, render_project_html([busiest], lang, [ruleset]), tmp_path)
        == 1
    )


def test_a_sheet_with_very_many_failed_rules_flows_to_a_second_page(
    browser: Any, screened: Any, tmp_path: Path
) -> None:
    ruleset, results = screened
    result = max(
        results, key=lambda r: sum(f["status"] == "fail" for f in r["findings"])
    )
    failing = [
        f for f in result["findings"] if f["status"] == "fail" and f["kind"] == "gate"
    ]
    # sixteen failed gates with their remedies and basis: more than a page holds, so the
    # table flows on (its header repeated) and the signature block stays whole
    result = {
        **result,
        "findings": [
            {**failing[i % len(failing)], "rule": f"extra.rule_{i}"} for i in range(16)
        ],
    }
    assert (
        print_pages(browser, render_project_html([result], "zh", [ruleset]), tmp_path)
        == 2
    )
