"""The batch HTML report: counts, histogram, top rejecting rules, sections, escaping."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from screening.model.project import Project
from screening.report.contract import to_contract
from screening.report.html import (
    render_batch_html,
    render_project_html,
    rule_title,
    value_text,
)
from screening.screener import Screener
from tests.conftest import MINIMAL

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
    assert "Rules behind the most rejections" in html
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
    unscored, scored = copy.deepcopy(batch["results"][:2])
    unscored["score"] = None
    html = render_batch_html([unscored, scored], [], {})
    assert '<p class="muted">无得分：1</p>' in html
    assert (
        re.findall(r"<title>\d+–\d+: (\d+)</title>", html)
        == ["0"] * 5 + ["1"] + ["0"] * 4
    )


def test_top_rejecting_rules_count_only_vetoes_and_gates(batch: dict[str, Any]) -> None:
    html = _squash(_render(batch))
    rows = re.findall(
        r'<tr> <td>([^<]*)<span class="basis mono">([^<]*)</span></td> '
        r'<td class="num">([^<]*)</td>',
        html,
    )
    # NB-2024-004's score rule (投资强度, 0 points) is not why it is rejected: its gate
    assert rows == [
        ("生态保护红线", "environment.red_line · 一票否决", "1 / 2"),
        ("容积率", "land.plot_ratio · 硬性门槛", "1 / 2"),
    ]


def test_a_rejection_by_score_alone_is_said_so(batch: dict[str, Any]) -> None:
    result = copy.deepcopy(batch["results"][3])
    result["findings"][1]["status"] = "pass"  # no gate fails: only the score rejects
    html = _squash(render_batch_html([result], [], {}))
    assert (
        "另有 1 个被否决的项目没有一票否决项或硬性门槛不符，仅因总分未达通过线。"
        in html
    )


def test_titles_come_from_the_rule_set_applied(write_ruleset) -> None:
    ruleset = write_ruleset(
        MINIMAL
        + """\
        rules:
          - id: env.red
            title: 生态保护红线
            group: environment
            kind: veto
            fail_if: environment.in_red_line
            message: 项目选址位于红线内：禁止建设
        """
    )
    decision = Screener(ruleset).screen(
        Project.model_validate({"environment": {"in_red_line": True}})
    )
    result = to_contract(decision, ruleset)
    html = _squash(render_batch_html([result], [], {}, ruleset=ruleset))
    assert (
        '<td>生态保护红线<span class="basis mono">env.red · 一票否决</span></td>'
        in html
    )
    # without the rule set, a title is read from the message (here: not the title)
    assert "<td>项目选址位于红线内<span" in _squash(render_batch_html([result], [], {}))


def test_no_score_panel_without_scores(batch: dict[str, Any]) -> None:
    results = copy.deepcopy(batch["results"])
    for result in results:
        result["score"] = None
    html = render_batch_html(results, [], {})
    assert "<svg" not in html and "得分分布" not in html
    assert "得分分布" in _render(batch)


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


def test_invalid_and_skipped_rows_are_shown_apart(batch: dict[str, Any]) -> None:
    errors = [
        {**batch["errors"][0], "kind": "invalid"},
        {
            "source": "a.xlsx",
            "row": 12,
            "column": None,
            "reason": "合计行，不是项目",
            "kind": "skipped",
        },
    ]
    html = _squash(render_batch_html(batch["results"], errors, {}))
    for number, text in (
        ("6", "总行数"),
        ("4", "已评估"),
        ("1", "无效行"),
        ("1", "跳过的行"),
    ):
        assert f'<div class="n">{number}</div><div class="l">{text}</div>' in html
    invalid = html.split('<section id="errors">')[1].split("</section>")[0]
    skipped = html.split('<section id="skipped">')[1].split("</section>")[0]
    assert "无法识别的数值" in invalid and "合计行" not in invalid
    assert "跳过的行（不是项目，如合计行；未筛查）" in skipped
    assert (
        '<td>a.xlsx</td><td class="num">12</td><td></td><td>合计行，不是项目</td>'
        in skipped
    )


def _sheet(html: str, anchor: str) -> str:
    return html.split(f'<article id="{anchor}"')[1].split("</article>")[0]


def test_the_list_has_one_line_a_project_with_reason_and_remedy(
    batch: dict[str, Any],
) -> None:
    companies = ("甲公司", "乙公司", "丙公司", "丁公司")
    for result, company in zip(batch["results"], companies, strict=True):
        result["project"]["company"] = company
    html = _squash(_render(batch))
    listed = html.split('<section id="projects">')[1].split("</section>")[0]
    rows = re.findall(
        r'<td title="([^"]*)">[^<]*</td> <td title="([^"]*)">[^<]*</td> '
        r'<td><span class="badge (\w+)">'
        r'.*?<td class="reason" title="([^"]*)">.*?<td class="remedy" title="([^"]*)">',
        listed,
    )
    assert rows == [
        ("年产5万吨高性能锂电池正极材料项目", "甲公司", "pass", "", ""),
        (
            "汽车零部件精密铸造扩建项目",
            "乙公司",
            "review",
            "须补充数据：年综合能源消费量",
            "补齐数据后重新评估",
        ),
        (
            "精细化工中间体生产项目",
            "丙公司",
            "reject",
            "一票否决：生态保护红线",
            "一票否决，无法通过调整数值解决，须改变项目本身（选址、工艺或产业类别）",
        ),
        ("智能仓储物流中心", "丁公司", "reject", "容积率", "用地面积需不超过 27 亩"),
    ]


def test_a_review_sheet_shows_why(batch: dict[str, Any]) -> None:
    sheet = _squash(_sheet(_render(batch), "p2"))
    assert '<h4>须补充的数据</h4> <p style="margin: 0">年综合能源消费量</p>' in sheet
    assert "缺少数据的规则：节能审查" in sheet
    result = copy.deepcopy(batch["results"][1])
    result["findings"][2].update(
        status="fail",
        message="节能审查：年综合能耗达到省级审查门槛，须人工复核",
        remedy="年综合能源消费量需低于 10000 tce",
    )
    result["missing"] = []
    sheet = _squash(_sheet(render_batch_html([result], [], {}), "p1"))
    assert "<h4>须人工复核的规则</h4>" in sheet
    assert '节能审查<span class="id">energy.review</span>' in sheet


def test_a_reject_sheet_has_failed_rules_remedies_basis_and_a_signature_line(
    batch: dict[str, Any],
) -> None:
    sheet = _squash(_sheet(_render(batch), "p4"))
    assert (
        '<div class="caption">招商引资项目预评估单</div> <h3>智能仓储物流中心</h3>'
        in sheet
    )
    failed = sheet.split("<h4>不符合的规则</h4>")[1].split("</table>")[0]
    assert (
        '<td style="width: 36%">容积率<span class="id">land.plot_ratio</span>'
        '<span class="basis">依据：国土资发〔2008〕24号 表2</span></td> '
        '<td class="num">0.45</td> <td class="num">1</td> '
        "<td>用地面积需不超过 27 亩；或建筑面积需不低于 48000 平方米</td>"
    ) in failed
    assert "intensity.investment" not in failed and "bonus.rd" not in failed
    # score and bonus rules: what each earned, in the score's breakdown
    scores = sheet.split("<h4>得分明细")[1].split("</table>")[0]
    assert '<span class="muted">总分 18</span></h4>' in scores
    assert re.findall(
        r'<span class="mono muted">([\w.]+)</span></td> <td class="num">'
        r'([^<]*)</td> <td class="num">([^<]*)</td>',
        scores,
    ) == [
        ("intensity.investment", "95 万元/亩", "0 / 40"),
        ("intensity.tax", "14 万元/亩", "12.6 / 30"),
        ("bonus.rd", "0.01", "0 / 5"),
    ]
    assert "<p>提分途径：投资强度达到200万元/亩，可多得 10 分</p>" in sheet
    sign = sheet.split('<div class="sign">')[1]
    for word in (
        "联席会议审核",
        "审核人：",
        "日期：",
        "会议意见：",
        "同意",
        "不同意",
        "暂缓",
    ):
        assert word in sign


def test_the_sign_off_offers_the_registers_decisions_but_agree_for_a_vetoed_lead(
    batch: dict[str, Any],
) -> None:
    html = _render(batch)
    boxes = re.compile(r'<span class="box"></span>([^<]+)</span>')
    # the words `register committee` and the web form record: 同意 / 不同意 / 暂缓
    open_sign = _sheet(html, "p4").split('<div class="sign">')[1]
    assert boxes.findall(open_sign) == ["同意", "不同意", "暂缓"]
    # p3 is vetoed (生态保护红线): the register refuses 同意, so the sheet has no box for it
    vetoed_sign = _sheet(html, "p3").split('<div class="sign">')[1]
    assert boxes.findall(vetoed_sign) == ["不同意", "暂缓"]
    assert "一票否决项目不能同意" in vetoed_sign
    english = _sheet(_render(batch, "en"), "p3").split('<div class="sign">')[1]
    assert boxes.findall(english) == ["disagree", "defer"]
    assert "a vetoed lead cannot be agreed" in english


def test_the_rule_set_file_and_company_are_shown(batch: dict[str, Any]) -> None:
    for result in batch["results"]:
        result["ruleset"]["path"] = "/home/office/my-rules.yaml"
        result["project"]["company"] = "某某新材料有限公司"
    html = _squash(_render(batch))
    header = html.split("</section>")[0]
    assert '<dt>文件</dt><dd class="mono">/home/office/my-rules.yaml</dd>' in header
    sheet = _sheet(html, "p1")
    assert (
        "<dd>parks/ningbo-hightech-2024 v2024.1 · 文件 /home/office/my-rules.yaml</dd>"
        in _squash(sheet)
    )
    assert "<dt>企业名称</dt><dd>某某新材料有限公司</dd>" in _squash(sheet)


def test_sheets_in_input_order(batch: dict[str, Any]) -> None:
    html = _squash(_render(batch))
    headings = re.findall(
        r'<article id="(p\d)" class="sheet (\w+)">.*?<h3>([^<]*)</h3>', html
    )
    assert headings == [
        ("p1", "pass", "年产5万吨高性能锂电池正极材料项目"),
        ("p2", "review", "汽车零部件精密铸造扩建项目"),
        ("p3", "reject", "精细化工中间体生产项目"),
        ("p4", "reject", "智能仓储物流中心"),
    ]


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
    evil["project"]["company"] = "<b>公司</b>"
    evil["ruleset"]["path"] = "<i>path</i>"
    evil["findings"][0]["message"] = "<img src=x onerror=alert(1)>"
    # the line after the veto's is shown
    evil["summary"] = "一票否决（生态保护红线）\n</div><b>粗体</b>"
    errors = [
        {"source": "<a>", "row": 1, "column": "<b>", "reason": "<i>"},
        {
            "source": "<a>",
            "row": 2,
            "column": "<b>",
            "reason": "<i>",
            "kind": "skipped",
        },
    ]
    for html in (render_batch_html([evil], errors, {}), render_project_html([evil])):
        assert "<script" not in html
        assert "<img" not in html
        assert "<b>" not in html and "<i>" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; 园区" in html
        assert "&lt;/div&gt;&lt;b&gt;粗体&lt;/b&gt;" in html


def test_self_contained_and_printable(batch: dict[str, Any]) -> None:
    html = _render(batch)
    assert re.findall(r"(?:src|href)=\"(?!#)[^\"]*\"", html) == []
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert "@media print" in html and "@page { size: A4;" in html
    assert "article.sheet { break-before: page;" in html


def test_the_single_project_sheet_is_the_batch_sheet(batch: dict[str, Any]) -> None:
    result = batch["results"][3]
    alone = _squash(render_project_html([result]))
    assert alone.startswith('<!DOCTYPE html> <html lang="zh-CN">')
    assert "<title>招商引资项目预评估单 · 智能仓储物流中心</title>" in alone
    in_batch = _sheet(_squash(render_batch_html([result], [], {})), "p1")
    assert _sheet(alone, "p1") == re.sub(
        r' ?<a class="back" href="#projects">↑ 返回一览</a>', "", in_batch
    )


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
