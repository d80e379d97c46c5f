"""Hostile rows pushed through the whole `screening batch`, into every output format.

Each example mixes good rows (some with names a spreadsheet would run as formulas,
control characters, Excel escapes) with hostile ones: a figure no Excel cell holds
(an area of 1e-310 mu), a line nested thousands deep, a cell longer than Excel holds,
a lone surrogate, NaN, an integer of thousands of digits, a non-object, broken JSON,
a value of the wrong type. The batch must exit 0, report every hostile row (and only
those) in every output's error report, and screen the good rows as if alone.
Short form by default; SCREENING_SLOW=1 runs many more examples, with huge cells.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.loader import load_ruleset
from screening.screener import Screener
from tests.cli.test_screen_cli import invoke
from tests.conftest import SLOW

RULES = "starter"
GOOD = {
    "industry": "C3985",
    "investment": {"total": "5.2亿元", "fixed_assets": 45000},
    "land": {"area_mu": 150},
    "output": {"annual_revenue": 63000, "annual_tax": 3600},
    "environment": {
        "energy_tce": 6800,
        "in_red_line": False,
        "catalogue": "encouraged",
    },
}
TRICKY_NAMES = [
    '=HYPERLINK("http://evil.example","点此")',
    "+86 园区项目",
    "@SUM(A1)",
    "-1+2",
    "  前后空格  ",
    "换行\n项目",
    "控制\x07字符\x1b",
    "_x0041_ 不是 A",
    "<b>&amp;</b>",
    "年产5万吨项目",
]
LONGEST = 50_000_000 if SLOW else 40_000  # characters in a too-long cell


def _hostile(kind: str, pid: str, size: int) -> str:
    if (
        kind == "tiny_area"
    ):  # 45000 / 1e-310 = 4.5e314: exact in JSON, beyond any double
        return json.dumps({**GOOD, "id": pid, "land": {"area_mu": "1e-310"}})
    if kind == "deep":
        return f'{{"id": "{pid}", "extra": {{"x": ' + "[" * size + "]" * size + "}}"
    if kind == "long_name":
        return json.dumps({**GOOD, "id": pid, "name": "长" * size}, ensure_ascii=False)
    if kind == "surrogate":
        return f'{{"id": "{pid}", "name": "\\ud800 孤立代理项", "industry": "C3985"}}'
    if kind == "nan":
        return f'{{"id": "{pid}", "investment": {{"total": NaN}}}}'
    if kind == "big_int":
        return f'{{"id": "{pid}", "land": {{"area_mu": 1{"0" * size}}}}}'
    if kind == "not_object":
        return f'["{pid}", 1, 2]'
    if kind == "broken":
        return f'{{"id": "{pid}", "name": '
    if kind == "wrong_type":
        return f'{{"id": "{pid}", "land": "一百亩"}}'
    raise AssertionError(kind)


HOSTILE = [
    "tiny_area",
    "deep",
    "long_name",
    "surrogate",
    "nan",
    "big_int",
    "not_object",
    "broken",
    "wrong_type",
]


@st.composite
def batches(draw: Any) -> tuple[list[str], dict[int, str], list[dict[str, Any]], int]:
    """(lines, {row: hostile kind}, good projects in order, jobs)."""
    count = draw(st.integers(3, 12))
    lines: list[str] = []
    hostile: dict[int, str] = {}
    good: list[dict[str, Any]] = []
    for number in range(1, count + 1):
        pid = f"p{number}"
        if draw(st.booleans()):
            kind = draw(st.sampled_from(HOSTILE))
            size = {
                "deep": draw(st.integers(2_000, 100_000)),
                "long_name": draw(st.integers(32_768, LONGEST)),
                "big_int": draw(st.integers(5_000, 20_000)),
            }.get(kind, 0)
            lines.append(_hostile(kind, pid, size))
            hostile[number] = kind
        else:
            name = draw(
                st.one_of(
                    st.sampled_from(TRICKY_NAMES),
                    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
                )
            )
            project = {
                **GOOD,
                "id": pid,
                "name": name,
                "land": {"area_mu": draw(st.integers(1, 400))},
            }
            lines.append(json.dumps(project, ensure_ascii=draw(st.booleans())))
            good.append(project)
    if not hostile:  # at least one of each kind of row
        lines[0] = _hostile("tiny_area", "p1", 0)
        hostile[1] = "tiny_area"
        good = [p for p in good if p["id"] != "p1"]
    return lines, hostile, good, draw(st.sampled_from([1, 2]))


def _csv(path: Path) -> list[list[str]]:
    return list(
        csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline=""))
    )


_SCREENER: list[Screener] = []


def _expected(project: dict[str, Any]) -> str:
    if not _SCREENER:
        _SCREENER.append(Screener(load_ruleset(RULES)))
    from screening.model.project import Project

    return _SCREENER[0].screen(Project.model_validate(project)).outcome.value


@pytest.mark.slow
@settings(
    max_examples=100 if SLOW else 6,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(batch=batches())
def test_hostile_rows_are_reported_in_every_output_and_the_rest_screened(
    tmp_path_factory: pytest.TempPathFactory,
    batch: tuple[list[str], dict[int, str], list[dict[str, Any]], int],
) -> None:
    lines, hostile, good, jobs = batch
    folder = tmp_path_factory.mktemp("hostile")
    source = folder / "leads.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    outs = {ext: folder / f"r.{ext}" for ext in ("jsonl", "csv", "xlsx", "html")}
    result = invoke(
        [
            "batch",
            str(source),
            "--rules",
            RULES,
            "--jobs",
            str(jobs),
            *[arg for out in outs.values() for arg in ("-o", str(out))],
        ]
    )
    ids = [p["id"] for p in good]
    assert result.stderr.splitlines()[-1].endswith(
        f"{len(lines)} rows: {len(good)} screened, {len(hostile)} invalid, 0 skipped"
    )
    # the good rows, intact, in every output
    results = [
        json.loads(line)
        for line in outs["jsonl"].read_text(encoding="utf-8").split("\n")[:-1]
    ]
    assert [r["project"]["id"] for r in results] == ids
    assert [r["decision"] for r in results] == [_expected(p) for p in good]
    assert [row[0] for row in _csv(outs["csv"])[1:]] == ids
    book = openpyxl.load_workbook(outs["xlsx"])
    summary = list(book["汇总"].iter_rows(min_row=2))
    assert [row[0].value for row in summary] == ids
    for row, project in zip(summary, good, strict=True):
        assert row[1].value is None or row[1].data_type == "s"  # a formula stays text
        shown = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", project["name"])
        shown = shown.replace("\r\n", "\n").replace("\r", "\n")  # as XML reads it
        assert (row[1].value or "") == shown.replace("_x0041_", "_x005F_x0041_")
    html = outs["html"].read_text(encoding="utf-8")
    assert all(f">{pid}<" in html for pid in ids)
    # every hostile row, and only those, in every error report
    numbers = sorted(hostile)
    assert [int(row[1]) for row in _csv(folder / "r.errors.csv")[1:]] == numbers
    assert {row[4] for row in _csv(folder / "r.errors.csv")[1:]} <= {"invalid"}
    errors = [row for row in book["错误"].iter_rows(min_row=2, values_only=True)]
    assert [row[1] for row in errors] == numbers
    section = (
        html.split('id="errors"', 1)[1].split("</section>", 1)[0] if numbers else ""
    )
    assert all(f">{n}<" in section for n in numbers)
    assert sorted(p.name for p in folder.iterdir()) == [
        "leads.jsonl",
        "r.csv",
        "r.errors.csv",
        "r.html",
        "r.jsonl",
        "r.xlsx",
    ]
