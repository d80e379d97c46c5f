"""The pages, through the app (SQLite and PostgreSQL): the lead form reads units and
refuses values exactly as the CLI does, the decision page is the CLI's sheet, stages,
promises, actuals and committee decisions are stored and audited, a vetoed lead cannot
be approved, rule set drafts are validated, tested, weighed and adopted."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from screening.cases import load_case
from screening.loader import load_ruleset
from screening.report.contract import contract_bytes
from screening.screener import Screener
from tests.web.conftest import ROOT, Web, csrf_of

BEIHAI = "parks/beihai-tieshangang-2023"
AS_OF = "2025-06-30"
# the same project as cases/beihai/bh07, written the way an officer types it
FORM = {
    "ruleset": BEIHAI,
    "as_of": AS_OF,
    "id": "bh-007",
    "name": "年产3万吨工业级磷酸一铵项目",
    "company": "广西某磷化有限公司",
    "industry": "C2613",
    "region_class": "5",
    "investment.total": "3亿元",
    "investment.fixed_assets": "2.49亿元",
    "land.area_mu": "100亩",
    "land.plot_ratio": "1.0",
    "land.building_coverage": "50%",
    "land.admin_share": "5%",
    "land.green_ratio": "0.1",
    "output.annual_revenue": "4.5亿",
    "output.annual_tax": "2200万元",
    "output.added_value": "8000",
    "output.employees": "200",
    "output.rd_share": "2%",
    "environment.energy_tce": "0.7万吨标准煤",
    "environment.electricity_kwh": "3000万千瓦时",
    "environment.in_red_line": "false",
    "environment.access_list_conflict": "false",
    "environment.catalogue": "permitted",
    "environment.eia_category": "report",
    "extra.two_high_conditions_met": "true",
    "extra.building_density": "42%",
    "extra.admin_floor_share": "0.1",
}


def post_form(
    client: Any, url: str, data: dict[str, str], page: str = "/account"
) -> Any:
    return client.post(url, data={**data, "csrf": csrf_of(client.get(page).text)})


def screen_form(web: Web, data: dict[str, str]) -> Any:
    return post_form(web.client("officer"), "/leads/new", data, "/leads/new")


def test_the_form_reads_units_as_the_cli_and_the_decision_is_the_cli_s(
    web: Web,
) -> None:
    response = screen_form(web, FORM)
    assert response.status_code == 303, response.text[:2000]
    assert response.headers["location"].startswith("/leads/bh-007")
    lead = web.app.state.register.lead("bh-007")
    (stored,) = lead["screenings"]
    # 3亿元 → 30000 万元, 100亩, 50% → 0.5, 0.7万吨标准煤 → 7000 tce, as the case
    # file says
    case = load_case(ROOT / "cases/beihai/bh07-intensity-below.yaml")
    rules = load_ruleset(BEIHAI, as_of=dt.date.fromisoformat(AS_OF))
    expected = contract_bytes(Screener(rules).screen(case.project), rules, "zh")
    again, same = web.app.state.register.reproduce(stored["id"])
    assert same and json.loads(again)["findings"] == json.loads(expected)["findings"]
    assert (
        stored["decision"] == "reject" and stored["values"]["investment.total"] == 30000
    )
    page = web.client("officer").get("/leads/bh-007")
    assert page.status_code == 200
    # the remedy (what it would take to pass) is on the page, from the contract
    remedy = next(
        f["remedy"]
        for f in json.loads(expected)["findings"]
        if f["rule"] == "investment_intensity.parcel"
    )
    assert remedy and remedy in page.text
    assert (
        "不符合的规则" in page.text and "联席会议审核" in page.text
    )  # the report's sheet


def test_a_bad_value_is_shown_beside_its_field_in_the_cli_s_words(web: Web) -> None:
    bad = {
        **FORM,
        "investment.total": "3.5亿美元",
        "industry": "X99",
        "land.green_ratio": "-1",
    }
    response = screen_form(web, bad)
    assert response.status_code == 422
    html = response.text
    from pydantic import ValidationError

    from screening.model.diagnose import describe
    from screening.model.project import Project

    with pytest.raises(ValidationError) as caught:
        Project.model_validate({"investment": {"total": "3.5亿美元"}})
    words = describe(caught.value.errors()[0])
    field = re.search(r'id="e-investment.total"[^>]*>([^<]+)<', html)
    assert field and words in field.group(1).replace("&#39;", "'")
    assert 'id="e-industry"' in html and 'id="e-land.green_ratio"' in html
    assert 'value="3.5亿美元"' in html  # what was typed stays in the field
    assert web.app.state.register.leads()[0] == 0  # nothing stored


def test_a_rule_set_s_own_field_is_refused_with_its_own_words(web: Web) -> None:
    response = screen_form(web, {**FORM, "extra.building_density": "很高"})
    assert response.status_code == 422
    assert 'id="e-extra.building_density"' in response.text


def test_a_project_without_id_or_company_and_name_is_not_stored(web: Web) -> None:
    data = {k: v for k, v in FORM.items() if k not in ("id", "company")}
    response = screen_form(web, data)
    assert response.status_code == 422 and "企业名称与项目名称" in response.text


def test_everything_typed_is_shown_as_text(web: Web) -> None:
    evil = "<script>alert('x')</script>"
    response = screen_form(
        web, {**FORM, "company": evil, "name": evil + "项目", "park": evil}
    )
    assert response.status_code == 303
    for path in ("/leads/bh-007", "/pipeline", "/leads/bh-007/print"):
        html = web.client("committee").get(path).text
        assert evil not in html and "&lt;script&gt;alert(" in html, path


def test_stages_promises_and_actuals_are_recorded_and_audited(web: Web) -> None:
    assert screen_form(web, FORM).status_code == 303
    client = web.client("officer")
    today = dt.date.today()
    done = post_form(client, "/leads/bh-007/stage", {"stage": "签约", "on": str(today)})
    assert done.status_code == 303
    refused = post_form(
        client, "/leads/bh-007/stage", {"stage": "投产", "on": str(today)}
    )
    assert refused.status_code == 422  # out of order, no override: the register refuses
    promise = {
        "total_investment": "3.5亿",
        "land_mu": "80亩",
        "employees": "300",
        "start_by": str(today),
    }
    assert post_form(client, "/leads/bh-007/promise", promise).status_code == 303
    actual = {"reported_on": str(today), "invested": "1.2亿"}
    assert post_form(client, "/leads/bh-007/actual", actual).status_code == 303
    lead = web.app.state.register.lead("bh-007")
    assert lead["stage"] == "签约"
    assert lead["promises"][-1]["total_investment"] == 35000
    assert lead["promises"][-1]["land_mu"] == 80
    assert lead["actuals"][-1]["invested"] == 12000
    actions = [e["action"] for e in web.app.state.accounts.audit_entries()[1]]
    assert {"stage", "promise", "actual"} <= set(actions)
    entry = next(e for e in web.app.state.accounts.audit_entries("stage")[1])
    assert entry["actor"] == "zhang" and entry["target"] == "bh-007"


def _vetoed(web: Web) -> None:
    case = load_case(ROOT / "cases/national/n02-red-line-veto.yaml")
    data = case.project.model_dump(mode="json", exclude_none=True)
    api = web.client(None)
    body = {"project": data, "ruleset": "national", "as_of": "2025-06-30"}
    assert (
        api.post(
            "/api/v1/screenings", json=body, headers=web.api("officer")
        ).status_code
        == 200
    )


def test_the_committee_builds_an_agenda_prints_it_and_cannot_approve_a_veto(
    web: Web,
) -> None:
    assert screen_form(web, FORM).status_code == 303
    _vetoed(web)
    vetoed = web.app.state.register.leads()[1]
    key = next(r["key"] for r in vetoed if r["key"] != "bh-007")
    member = web.client("committee")
    today = str(dt.date.today())
    made = post_form(
        member, "/meetings", {"title": "第3次联席会议", "meeting_on": today}
    )
    assert made.status_code == 303
    meeting = made.headers["location"].split("?")[0]
    added = post_form(member, f"{meeting}/items", {"keys": f"bh-007\n{key}"})
    assert added.status_code == 303
    page = member.get(meeting).text
    assert "一票否决" in page and "不能同意" in page
    assert re.search(
        r'<option value="同意" disabled>', page
    )  # not offered for the veto
    printed = member.get(f"{meeting}/print").text
    assert printed.count('class="sheet ') == 2 and "第3次联席会议" in printed
    # the register refuses 同意 for the vetoed lead whatever the form says
    forced = post_form(
        member, f"{meeting}/decisions", {"lead": key, "decision": "同意"}
    )
    assert forced.status_code == 422 and "一票否决" in forced.text
    agreed = post_form(
        member,
        f"{meeting}/decisions",
        {"lead": "bh-007", "decision": "暂缓", "note": "补充材料"},
    )
    assert agreed.status_code == 303
    lead = web.app.state.register.lead("bh-007")
    assert (
        lead["committee"] == "暂缓"
        and lead["committee_decisions"][-1]["note"] == "补充材料"
    )
    assert web.app.state.accounts.audit_entries("committee")[0] == 1
    # an officer prepares agendas but does not decide
    officer = web.client("officer")
    assert (
        post_form(
            officer, f"{meeting}/decisions", {"lead": "bh-007", "decision": "同意"}
        ).status_code
        == 403
    )


DRAFT = """\
id: parks/test-park
title: {zh: 测试园区, en: test park}
version: "0.1"
extends: [national]
basis: 测试用规则集（示意，非真实政策）
parameters:
  min_intensity: {value: 300, unit: 万元/亩, note: 示意值}
rules:
  - id: investment_intensity.test
    kind: gate
    group: investment_intensity
    title: {zh: 投资强度（示意）, en: investment intensity (illustrative)}
    require: investment.fixed_assets / land.area_mu >= min_intensity
    basis: 示意规则
"""


def _upload_draft(web: Web, text: str) -> Any:
    client = web.client("policy")
    files = {"file": ("我的草稿.yaml", text.encode(), "application/x-yaml")}
    return client.post(
        "/rulesets/drafts",
        files=files,
        data={"csrf": csrf_of(client.get("/account").text)},
    )


def test_a_draft_is_validated_with_line_numbers(web: Web) -> None:
    response = _upload_draft(
        web, DRAFT.replace("require: investment", "require: investmnt")
    )
    assert response.status_code == 303
    page = web.client("policy").get(response.headers["location"])
    assert page.status_code == 200
    assert re.search(
        r"我的草稿\.yaml:\d+:\d+", page.text
    )  # the uploaded name, line, column
    assert "error" in page.text and "不能采用" in page.text


def test_a_draft_that_extends_a_file_is_refused(web: Web) -> None:
    response = _upload_draft(web, DRAFT.replace("[national]", "[/etc/secret.yaml]"))
    assert response.status_code == 422 and "不能引用文件" in response.text


def test_a_draft_s_impact_then_adoption_recorded_with_its_sha256(web: Web) -> None:
    assert screen_form(web, FORM).status_code == 303
    key = _upload_draft(web, DRAFT).headers["location"].rsplit("/", 1)[1]
    policy = web.client("policy")
    page = policy.get(f"/rulesets/drafts/{key}")
    assert "没有发现问题" in page.text or "0 个错误" in page.text
    impact = post_form(policy, f"/rulesets/drafts/{key}/impact", {"park": ""})
    assert impact.status_code == 303
    page = policy.get(f"/rulesets/drafts/{key}").text
    # bh-007 is screened under the Beihai set: not part of a change to parks/test-park
    assert "项目库中没有当前按 parks/test-park 筛查的项目" in page
    assert "按其他规则集筛查的 1 个项目不受此草稿影响" in page
    lead = web.app.state.register.lead("bh-007")
    assert lead["decision"] == "reject" and [
        s["adopted"] for s in lead["screenings"]
    ] == [True]
    adopted = post_form(
        policy, f"/rulesets/drafts/{key}/adopt", {"note": "会议纪要第5号"}
    )
    assert adopted.status_code == 303
    from sqlalchemy import select

    from screening.register.schema import ruleset_adoptions

    with web.app.state.register.read() as conn:
        row = conn.execute(select(ruleset_adoptions)).one()
    rules = load_ruleset(row.path, as_of=dt.date.today())
    assert row.ruleset_id == "parks/test-park" and row.sha256 == rules.sha256
    assert row.actor == "wang" and row.note == "会议纪要第5号"
    assert Path(row.path).read_text(encoding="utf-8") == DRAFT  # kept as uploaded
    audit = web.app.state.accounts.audit_entries("ruleset_adopted")[1][0]
    assert audit["detail"]["sha256"] == rules.sha256
    # the adopted rule set can now be chosen for a lead
    data = {**FORM, "ruleset": "local:parks/test-park", "as_of": ""}
    assert screen_form(web, data).status_code == 303


def test_the_print_view_is_the_cli_s_sheet_byte_for_byte(web: Web) -> None:
    assert screen_form(web, FORM).status_code == 303
    from screening.report.html import render_project_html

    lead = web.app.state.register.lead("bh-007")
    line, _ = web.app.state.register.reproduce(lead["screenings"][0]["id"])
    rules = load_ruleset(BEIHAI, as_of=dt.date.fromisoformat(AS_OF))
    expected = render_project_html([json.loads(line)], "zh", [rules])
    assert web.client("committee").get("/leads/bh-007/print").text == expected


def test_english_on_request(web: Web) -> None:
    assert screen_form(web, FORM).status_code == 303
    client = web.client("committee")
    switched = client.get("/lang?to=en&next=/leads/bh-007")
    assert (
        switched.status_code == 303 and switched.headers["location"] == "/leads/bh-007"
    )
    page = client.get("/leads/bh-007").text
    assert '<html lang="en">' in page and "Screenings" in page
    client.get("/lang?to=zh&next=/")
    assert '<html lang="zh-CN">' in client.get("/leads/bh-007").text


def test_the_pipeline_filters_and_exports(web: Web) -> None:
    assert screen_form(web, FORM).status_code == 303
    assert (
        screen_form(web, {**FORM, "id": "bh-100", "park": "临海工业区"}).status_code
        == 303
    )
    client = web.client("policy")
    both = client.get("/pipeline").text
    assert "bh-007" in both and "bh-100" in both
    one = client.get("/pipeline", params={"park": "临海工业区"}).text
    assert "bh-100" in one and "bh-007" not in one
    partial = client.get(
        "/pipeline", params={"decision": "pass"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in partial.text and "没有符合条件的项目" in partial.text
    assert client.get("/pipeline", params={"band": "1亿"}).status_code == 200
    assert client.get("/pipeline", params={"from": "not a date"}).status_code == 422
    export = client.get("/pipeline/export.xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"


def test_the_kpi_page_shows_rates_and_charts(web: Web) -> None:
    assert screen_form(web, FORM).status_code == 303
    client = web.client("committee")
    page = client.get("/kpi", params={"year": str(dt.date.today().year)}).text
    assert "履约率" in page and "<svg" in page and "≥3000万" in page
    assert client.get("/kpi", params={"quarter": "2025Q9"}).status_code == 422


def test_the_administrator_manages_accounts_and_tokens(web: Web) -> None:
    admin = web.client("admin")
    made = post_form(
        admin,
        "/admin/accounts",
        {"name": "zhao", "role": "委员", "password": "another long secret"},
    )
    assert made.status_code == 303
    weak = post_form(
        admin,
        "/admin/accounts",
        {"name": "qian", "role": "officer", "password": "short"},
    )
    assert weak.status_code == 422 and "至少 10 个字符" in weak.text
    page = post_form(admin, "/admin/tokens", {"account": "zhao", "label": "平台"})
    token = re.search(r'class="token">([^<]+)<', page.text).group(1)  # type: ignore[union-attr]
    api = web.client(None)
    assert api.get(
        "/api/v1/whoami", headers={"Authorization": f"Bearer {token}"}
    ).json() == {"name": "zhao", "role": "committee"}
    token_id = max(t["id"] for t in web.app.state.accounts.tokens())
    assert post_form(admin, f"/admin/tokens/{token_id}/revoke", {}).status_code == 303
    assert (
        api.get(
            "/api/v1/whoami", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 401
    )
    # a disabled account cannot sign in, and its sessions end
    assert post_form(admin, "/admin/accounts/zhao", {"active": "0"}).status_code == 303
    assert web.app.state.accounts.verify("zhao", "another long secret") is None
    # the last administrator stays one
    last = post_form(admin, "/admin/accounts/root", {"role": "officer"})
    assert last.status_code == 422 and "最后一个管理员" in last.text
    log = admin.get("/admin/audit").text
    assert "account_created" in log and "token_revoked" in log


def test_a_lead_key_with_a_slash_and_spaces_has_its_pages(web: Web) -> None:
    assert screen_form(web, {**FORM, "id": "铁山港/2025 第1号"}).status_code == 303
    path = "/leads/" + quote("铁山港/2025 第1号", safe="")
    assert web.client("committee").get(path).status_code == 200
    assert web.client("committee").get(path + "/print").status_code == 200
