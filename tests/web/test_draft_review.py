"""A rule-set draft as policy staff review it: the impact names the current rule set and
the draft apart and weighs only the leads screened under the draft's rule set (its
numbers those of `screening diff`), failing cases must be acknowledged to adopt and
are recorded, case results and messages are in the page's language, and a missing
parent names its field."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from screening.casecheck import Mismatch
from screening.cli import main
from screening.register.intake import add_projects
from screening.validate import validate
from tests.web.conftest import Web
from tests.web.test_pages import DRAFT, _upload_draft, post_form

BEIHAI = "rules/parks/beihai-tieshangang-2023.yaml"
NATIONAL_LEAD = "cases/national/n01-cnc-machine-tools-pass.yaml"


def _text(page: str) -> str:
    """A page's text as read (tags gone, entities decoded)."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _between(page: str, start: str, end: str) -> str:
    return _text(page[page.index(start) : page.index(end)])


def _stricter() -> str:
    """The Beihai park set with its parcel's investment intensity raised (some of its
    own cases then fail)."""
    text = Path(BEIHAI).read_text(encoding="utf-8")
    stricter = text.replace(
        "require: investment_intensity >= 250", "require: investment_intensity >= 400"
    )
    assert stricter != text
    return stricter


def _leads(web: Web) -> Web:
    """The 16 Beihai cases as leads screened under the Beihai set, and one lead
    screened under the national set."""
    add_projects(
        web.app.state.register,
        ["cases/beihai", NATIONAL_LEAD],
        None,
        dt.date.today(),
        "zh",
        "测试员",
    )
    return web


@pytest.fixture
def pipeline(sqlite_web: Web) -> Web:
    return _leads(sqlite_web)


@pytest.fixture
def any_pipeline(web: Web) -> Web:
    """The same pipeline on each backend (SQLite and PostgreSQL)."""
    return _leads(web)


def _draft(web: Web, text: str) -> str:
    response = _upload_draft(web, text)
    assert response.status_code == 303, response.text[-800:]
    return str(response.headers["location"].rsplit("/", 1)[1])


def _impact(web: Web, key: str) -> dict[str, Any]:
    policy = web.client("policy")
    assert post_form(policy, f"/rulesets/drafts/{key}/impact", {}).status_code == 303
    impact: dict[str, Any] = json.loads(
        (web.data / "drafts" / key / "impact.json").read_text(encoding="utf-8")
    )
    return impact


def test_the_impact_weighs_only_the_leads_of_the_draft_s_rule_set_as_diff_does(
    any_pipeline: Web, tmp_path: Path
) -> None:
    web = any_pipeline
    key = _draft(web, _stricter())
    impact = _impact(web, key)
    # the national lead is not part of a change to the Beihai set
    assert impact["leads"] == 16 and impact["others"] == 1
    assert len(impact["groups"]) == 1
    (group,) = impact["groups"]
    assert group["old"]["id"] == "parks/beihai-tieshangang-2023"
    assert "nat-001" not in {d["project"] for d in group["decision_changes"]}
    # nat-001 was not even screened on trial under the draft
    screenings = web.app.state.register.lead("nat-001")["screenings"]
    assert len(screenings) == 1
    # the numbers are `screening diff`'s over the same 16 projects
    draft = tmp_path / "beihai.yaml"
    draft.write_text(_stricter(), encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "diff",
            "parks/beihai-tieshangang-2023",
            str(draft),
            "cases/beihai",
            "--format",
            "json",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    cli = json.loads(result.stdout)
    assert cli["projects"] == group["projects"] == 16
    for part in (
        "changes",
        "decision_changes",
        "transitions",
        "rules_changed_behaviour",
        "score_deltas",
        "old",
    ):
        assert group[part] == cli[part], part
    assert group["decision_changes"]  # the draft does change decisions
    page = _text(web.client("policy").get(f"/rulesets/drafts/{key}").text)
    assert "按其他规则集筛查的 1 个项目不受此草稿影响，未计入" in page


def test_made_current_only_the_leads_of_its_rule_set_are_rescreened(
    any_pipeline: Web,
) -> None:
    web, policy = any_pipeline, any_pipeline.client("policy")
    key = _draft(web, _stricter())
    adopted = post_form(
        policy,
        f"/rulesets/drafts/{key}/adopt",
        {"make_current": "1", "accept_failing": "8"},
    )
    assert adopted.status_code == 303, adopted.text[-800:]
    register = web.app.state.register
    national = register.lead("nat-001")
    assert [s["adopted"] for s in national["screenings"]] == [True]
    beihai = register.lead("bh-001")
    assert beihai["decision"] == "reject"  # now screened under the adopted draft


def test_the_impact_names_the_current_rule_set_and_the_draft(pipeline: Web) -> None:
    web, policy = pipeline, pipeline.client("policy")
    key = _draft(web, _stricter())
    impact = _impact(web, key)
    meta = json.loads((web.data / "drafts" / key / "meta.json").read_text("utf-8"))
    sha = impact["groups"][0]["new"]["sha256"][:8]
    title = "北海铁山港（临海）工业区化工地块项目预评估（2023GC07007）"
    page = policy.get(f"/rulesets/drafts/{key}").text
    shown = _between(page, 'id="impact"', 'id="adopt"')
    assert (
        f"现行规则集 {title} v2026.1 → "
        f"草稿（wang，{meta['uploaded_at']}，SHA-256 {sha}）" in shown
    )
    english = policy.get(f"/rulesets/drafts/{key}?lang=en").text
    shown = _between(english, 'id="impact"', 'id="adopt"')
    assert (
        "current rule set Beihai Tieshangang (coastal) industrial zone: chemical "
        f"parcel 2023GC07007 v2026.1 → draft (wang, {meta['uploaded_at']}, "
        f"SHA-256 {sha})" in shown
    )


def test_a_draft_with_failing_cases_is_adopted_only_when_acknowledged(
    pipeline: Web,
) -> None:
    web, policy = pipeline, pipeline.client("policy")
    key = _draft(web, _stricter())
    page = policy.get(f"/rulesets/drafts/{key}").text
    adopt = _between(page, 'id="adopt"', "草稿内容")
    assert "本草稿有 8 个用例未通过（共 16 个）" in adopt
    assert "bh01-iron-phosphate-pass.yaml" in adopt
    assert "我已知悉 8 个用例未通过，仍然采用" in adopt
    assert 'name="accept_failing" value="8" required' in page
    # not acknowledged (or acknowledged for another count): refused, nothing recorded
    for form in ({"note": "第1版"}, {"note": "第1版", "accept_failing": "6"}):
        refused = post_form(policy, f"/rulesets/drafts/{key}/adopt", form)
        assert refused.status_code == 422
        assert "草稿有 8 个用例未通过" in _text(refused.text)
    assert web.app.state.accounts.audit_entries("ruleset_adopted")[0] == 0
    adopted = post_form(
        policy,
        f"/rulesets/drafts/{key}/adopt",
        {"note": "第1版", "accept_failing": "8"},
    )
    assert adopted.status_code == 303
    audit = web.app.state.accounts.audit_entries("ruleset_adopted")[1][0]["detail"]
    assert audit["cases"] == 16 and len(audit["failing_cases"]) == 8
    assert "bh14-missing-building-density.yaml" in audit["failing_cases"]
    history = _text(policy.get("/rulesets").text)
    assert "采用时 8 个用例未通过（共 16 个）" in history
    assert "bh01-iron-phosphate-pass.yaml" in history
    english = _text(policy.get("/rulesets?lang=en").text)
    assert "adopted with 8 of 16 cases failing" in english


def test_a_draft_whose_cases_pass_is_adopted_without_acknowledging(
    sqlite_web: Web,
) -> None:
    key = _draft(sqlite_web, Path(BEIHAI).read_text(encoding="utf-8"))
    policy = sqlite_web.client("policy")
    assert "我已知悉" not in policy.get(f"/rulesets/drafts/{key}").text
    adopted = post_form(policy, f"/rulesets/drafts/{key}/adopt", {"note": "原样"})
    assert adopted.status_code == 303
    audit = sqlite_web.app.state.accounts.audit_entries("ruleset_adopted")[1][0]
    assert audit["detail"]["failing_cases"] == [] and audit["detail"]["cases"] == 16


def test_case_results_are_in_the_page_s_language(sqlite_web: Web) -> None:
    key = _draft(sqlite_web, _stricter())
    policy = sqlite_web.client("policy")
    page = policy.get(f"/rulesets/drafts/{key}").text
    cases = _between(page, 'id="test"', 'id="impact"')
    assert "未通过" in cases and " 通过 " in cases
    assert "结论：应为 通过，实为 否决" in cases
    assert "投资强度：应为 通过，实为 不通过" in cases  # the rule by its title
    for english in ("PASS", "FAIL", "expected", "got", "investment_intensity.parcel"):
        assert english not in cases, english
    page = policy.get(f"/rulesets/drafts/{key}?lang=en").text
    cases = _between(page, 'id="test"', 'id="impact"')
    assert "PASS" in cases and "FAIL" in cases
    assert "decision: expected pass, got reject" in cases
    assert "finding investment_intensity.parcel: expected pass, got fail" in cases


def test_a_mismatch_in_chinese_and_as_screening_test_prints_it() -> None:
    decision = Mismatch("decision", "review", "reject", "decision")
    finding = Mismatch(
        "finding bh", "pass", "absent (no such rule in force)", "finding", "bh"
    )
    score = Mismatch("score", "[60, …]", "none", "score")
    assert decision.shown("zh") == "结论：应为 复核，实为 否决"
    assert finding.shown("zh", {"bh": "投资强度"}) == (
        "投资强度：应为 通过，实为 未生效（规则集中没有此规则）"
    )
    assert score.shown("zh") == "得分：应在 [60, …] 内，实为 无"
    # English, and the CLI's `screening test`, unchanged
    assert (
        decision.shown("en")
        == str(decision)
        == ("decision: expected review, got reject")
    )
    assert (
        str(finding) == "finding bh: expected pass, got absent (no such rule in force)"
    )


def test_a_missing_parent_names_its_field(sqlite_web: Web, tmp_path: Path) -> None:
    text = DRAFT.replace("[national]", "[parks/no-such-park]")
    path = tmp_path / "draft.yaml"
    path.write_text(text, encoding="utf-8")
    (diagnostic,) = validate(str(path)).diagnostics
    assert diagnostic.field == "extends" and diagnostic.span is not None
    assert diagnostic.span.line == 4
    key = _draft(sqlite_web, text)
    page = sqlite_web.client("policy").get(f"/rulesets/drafts/{key}").text
    row = re.search(r'<tr class="diag error">(.*?)</tr>', page)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
    assert re.fullmatch(r"我的草稿\.yaml:4:\d+", cells[0])
    assert cells[-1] == "extends"


def test_messages_follow_the_page_language(pipeline: Web) -> None:
    web, policy = pipeline, pipeline.client("policy")
    missing = _draft(web, DRAFT.replace("[national]", "[parks/no-such-park]"))
    page = _text(policy.get(f"/rulesets/drafts/{missing}").text)
    assert "extends: 找不到规则集 'parks/no-such-park'" in page
    assert "no such rule set" not in page
    assert "错误 [RUL]" in page and "error [RUL]" not in page
    english = _text(policy.get(f"/rulesets/drafts/{missing}?lang=en").text)
    assert "no such rule set (see `screening rules`)" in english
    assert "找不到规则集" not in english and "error [RUL]" in english
    shown = policy.get("/rulesets/show?ref=national&lang=en").text
    assert re.search(r'<h1 class="page">Nation[^<]*<span', shown)  # its English title
    key = _draft(web, _stricter())
    _impact(web, key)
    shown = _between(policy.get(f"/rulesets/drafts/{key}").text, 'id="impact"', "<h3")
    assert "重新筛查 16 个项目（试算，未改变当前结论）" in shown
    assert "rescreened" not in shown
    shown = _between(
        policy.get(f"/rulesets/drafts/{key}?lang=en").text, 'id="impact"', "<h3"
    )
    assert "rescreened 16 lead(s) (trial, current decisions unchanged)" in shown
    assert "重新筛查" not in shown
    # refusals of these pages too
    refused = _upload_draft(web, DRAFT.replace("[national]", "[./mine.yaml]"))
    assert refused.status_code == 422
    assert "extends 只能引用已发布的规则集 id" in refused.text
    assert "extends names shipped rule set ids" not in refused.text
    gone = policy.get("/rulesets/drafts/" + "0" * 24)
    assert gone.status_code == 404 and "没有草稿" in gone.text
    assert "no such draft" not in gone.text
