"""The batch HTML report: counts, histogram, top rejecting rules, sections, escaping."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from screening.report.html import render_batch_html, rule_title, value_text

FIXTURE = Path(__file__).parents[1] / "io" / "fixtures" / "batch_results.json"


@pytest.fixture
def batch() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _render(batch: dict[str, Any], lang: str = "zh") -> str:
    return render_batch_html(
        batch["results"], batch["errors"], batch["meta"], lang=lang
    )


def _squash(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def test_zh_counts_and_decision_cards(batch: dict[str, Any]) -> None:
    html = _squash(_render(batch))
    assert '<html lang="zh-CN">' in html
    assert "<h1>招商引资项目批量预评估报告</h1>" in html
    for number, text in (("5", "总行数"), ("4", "已评估"), ("1", "无效行")):
        assert f'<div class="n">{number}</div><div class="l">{text}</div>' in html
    assert (
        '<div class="card pass"><div class="n">1</div><div class="l">通过 · 25%</div>'
        in html
    )
    assert (
        '<div class="card review"><div class="n">1</div><div class="l">复核 · 25%</div>'
        in html
    )
    assert (
        '<div class="card reject"><div class="n">2</div><div class="l">否决 · 50%</div>'
        in html
    )


def test_en_labels(batch: dict[str, Any]) -> None:
    html = _squash(_render(batch, lang="en"))
    assert '<html lang="en">' in html
    assert "<h1>Investment project screening: batch report</h1>" in html
    assert '<div class="l">reject · 50%</div>' in html
    assert "Rules most often failed by rejected projects" in html
    assert "：" not in re.sub(
        r"<td>.*?</td>|<p>.*?</p>|<li>.*?</li>|<span class=\"basis\">.*?</span>",
        "",
        html,
    )


def test_histogram_has_ten_bins(batch: dict[str, Any]) -> None:
    html = _render(batch)
    bins = re.findall(r"<title>(\d+)–(\d+): (\d+)</title>", html)
    assert bins == [
        ("0", "10", "0"),
        ("10", "20", "1"),
        ("20", "30", "0"),
        ("30", "40", "0"),
        ("40", "50", "0"),
        ("50", "60", "1"),
        ("60", "70", "1"),
        ("70", "80", "0"),
        ("80", "90", "1"),
        ("90", "100", "0"),
    ]


@pytest.mark.parametrize(
    ("score", "bin_low"), [(0, "0"), (9.99, "0"), (10, "10"), (99.5, "90"), (100, "90")]
)
def test_histogram_bin_edges(batch: dict[str, Any], score: float, bin_low: str) -> None:
    result = batch["results"][0]
    result["score"] = score
    html = render_batch_html([result], [], {})
    filled = re.findall(r"<title>(\d+)–\d+: 1</title>", html)
    assert filled == [bin_low]


def test_unscored_projects_are_counted_apart(batch: dict[str, Any]) -> None:
    result = batch["results"][0]
    result["score"] = None
    html = render_batch_html([result], [], {})
    assert '<p class="muted">无得分：1</p>' in html
    assert re.findall(r"<title>\d+–\d+: (\d+)</title>", html) == ["0"] * 10


def test_rules_that_reject_most_projects(batch: dict[str, Any]) -> None:
    html = _squash(_render(batch))
    rows = re.findall(
        r'<tr> <td>([^<]*)<span class="basis mono">([^<]*)</span></td> '
        r'<td class="num">([^<]*)</td>',
        html,
    )
    assert rows == [
        ("生态保护红线", "environment.red_line · 一票否决", "1 / 2"),
        ("投资强度", "intensity.investment · 评分", "1 / 2"),
        ("容积率", "land.plot_ratio · 硬性门槛", "1 / 2"),
    ]


def test_no_rejections(batch: dict[str, Any]) -> None:
    html = render_batch_html(batch["results"][:2], [], {})
    assert '<p class="muted">没有被否决的项目。</p>' in html


def test_counts_are_computed_when_meta_has_none(batch: dict[str, Any]) -> None:
    errors = batch["errors"] * 2 + [
        {"source": "x.xlsx", "row": 9, "column": None, "reason": "r"}
    ]
    html = _squash(render_batch_html(batch["results"], errors, {}))
    for number, text in (("6", "总行数"), ("4", "已评估"), ("2", "无效行")):
        assert f'<div class="n">{number}</div><div class="l">{text}</div>' in html


def test_project_sections_in_input_order(batch: dict[str, Any]) -> None:
    html = _squash(_render(batch))
    headings = re.findall(
        r'<article id="(p\d)" class="(\w+)"> <header> <h3>([^<]*)</h3>', html
    )
    assert headings == [
        ("p1", "pass", "NB-2024-001 · 年产5万吨高性能锂电池正极材料项目"),
        ("p2", "review", "NB-2024-002 · 汽车零部件精密铸造扩建项目"),
        ("p3", "reject", "NB-2024-003 · 精细化工中间体生产项目"),
        ("p4", "reject", "NB-2024-004 · 智能仓储物流中心"),
    ]
    section = html.split('<article id="p4"')[1]
    assert (
        '<tr class="st-fail"> <td class="mono">land.plot_ratio</td> '
        '<td class="nw">硬性门槛</td> '
        '<td><span class="badge fail">不通过</span></td> <td class="num">0.45</td> '
        '<td class="num">1</td> <td class="num"></td>'
    ) in section
    assert (
        '<tr class="st-soft"> <td class="mono">bonus.rd</td> <td class="nw">加分</td> '
        '<td><span class="badge soft">未加分</span></td>'
    ) in section
    assert (
        '<li><span class="mono">land.plot_ratio</span>：用地面积需不超过 27 亩；'
        "或建筑面积需不低于 48000 平方米</li>"
    ) in section
    assert "<p>提分途径：投资强度达到200万元/亩，可多得 10 分</p>" in section


def test_errors_table(batch: dict[str, Any]) -> None:
    html = _squash(_render(batch))
    assert (
        '<tr><td>2024年第二季度招商项目.xlsx</td><td class="num">7</td>'
        "<td>总投资(万元)</td>"
        "<td>无法识别的数值 &#39;abc&#39; / not a number</td></tr>"
    ) in html


def test_everything_is_escaped(batch: dict[str, Any]) -> None:
    evil = copy.deepcopy(batch["results"][2])
    evil["project"]["name"] = '<script>alert("x")</script> & 园区'
    evil["findings"][0]["message"] = "<img src=x onerror=alert(1)>"
    evil["summary"] = "</div><b>粗体</b>"
    html = render_batch_html(
        [evil], [{"source": "<a>", "row": 1, "column": "<b>", "reason": "<i>"}], {}
    )
    assert "<script" not in html
    assert "<img" not in html
    assert "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; 园区" in html
    assert "&lt;/div&gt;&lt;b&gt;粗体&lt;/b&gt;" in html


def test_self_contained_and_printable(batch: dict[str, Any]) -> None:
    html = _render(batch)
    assert re.findall(r"(?:src|href)=\"(?!#)[^\"]*\"", html) == []
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert "@media print" in html
    assert "article { break-before: page; }" in html


@pytest.mark.parametrize(
    ("value", "lang", "shown"),
    [
        (None, "zh", ""),
        (True, "zh", "是"),
        (False, "en", "no"),
        (86.5, "zh", "86.5"),
        (1200, "zh", "1200"),
        ([0.7, 1.8], "zh", "0.7–1.8"),
        ("C3841", "en", "C3841"),
    ],
)
def test_value_text(value: object, lang: str, shown: str) -> None:
    assert value_text(value, lang) == shown


@pytest.mark.parametrize(
    ("finding", "title"),
    [
        (
            {"rule": "land.plot_ratio", "message": "容积率：0.45，要求不低于1，不符合"},
            "容积率",
        ),
        (
            {
                "rule": "land.plot_ratio",
                "message": "Plot ratio: 0.45, required at least 1",
            },
            "Plot ratio",
        ),
        (
            {
                "rule": "environment.red_line",
                "message": "项目选址位于生态保护红线内，禁止开发性、生产性建设活动",
            },
            "项目选址位于生态保护红线内",
        ),
        (
            {
                "rule": "environment.red_line",
                "message": "Inside the red line, where building is banned",
            },
            "Inside the red line",
        ),
        (
            {"rule": "environment.red_line", "message": "项目选址位于生态保护红线内"},
            "项目选址位于生态保护红线内",
        ),
        ({"rule": "land.plot_ratio", "message": None}, "land.plot_ratio"),
    ],
)
def test_rule_title(finding: dict[str, Any], title: str) -> None:
    assert rule_title(finding) == title
