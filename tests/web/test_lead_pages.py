"""The lead page's forms and history, the pipeline and the KPI page as a user reads
them: refusals worded for the page (its checkbox and fields, not the CLI's options),
shown on the form with what was typed kept; figures with the forms' labels and units;
scores as the reports write them; English on English pages."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
from typing import Any

import pytest

from screening.cases import load_case
from tests.web.conftest import ROOT, Web
from tests.web.test_pages import FORM, post_form, screen_form

TODAY = str(dt.date.today())


def text_of(page: str) -> str:
    """A page's visible text, tags out and spaces folded."""
    page = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S)
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", page)))


def _lead(web: Web) -> Any:
    assert screen_form(web, FORM).status_code == 303
    return web.client("officer")


def _post(client: Any, what: str, data: dict[str, str]) -> Any:
    return post_form(client, f"/leads/bh-007/{what}", data, "/leads/bh-007")


def _english(client: Any) -> None:
    assert client.get("/lang?to=en&next=/").status_code == 303


# --- 1. refusals worded for the page, on the form, the input kept -----------------------


def test_a_skipped_stage_names_the_checkbox_not_the_cli_option(
    sqlite_web: Web,
) -> None:
    client = _lead(sqlite_web)
    refused = _post(client, "stage", {"stage": "开工", "on": TODAY, "note": "先记"})
    assert refused.status_code == 422
    shown = text_of(refused.text)
    assert "--override" not in shown and "--note" not in shown
    assert (
        "跳过了 签约、供地" in shown and "请勾选「越序记录」并在备注中写明原因" in shown
    )
    # on the lead page's own form, with what was typed
    assert 'id="stage"' in refused.text and "推进阶段" in shown
    assert re.search(r'<option value="开工" selected>', refused.text)
    assert (
        'id="s-on" name="on" type="text" placeholder="YYYY-MM-DD" value="' + TODAY
        in (refused.text)
    )
    assert 'value="先记"' in refused.text
    _english(client)
    english = text_of(_post(client, "stage", {"stage": "开工", "on": TODAY}).text)
    assert "skips signed, land supplied" in english and "tick “out of order”" in english
    assert "如确需记录" not in english and "--override" not in english


def test_an_ending_without_a_reason_points_at_the_reason_field(sqlite_web: Web) -> None:
    client = _lead(sqlite_web)
    refused = _post(client, "stage", {"stage": "终止", "on": TODAY})
    assert refused.status_code == 422
    shown = text_of(refused.text)
    assert "--reason" not in shown and "终止需要填写原因" in shown
    assert re.search(r'id="es-reason" role="alert">终止需要填写原因', refused.text)
    note = _post(client, "stage", {"stage": "开工", "on": TODAY, "override": "1"})
    assert "勾选「越序记录」时须在备注中写明原因" in text_of(note.text)
    assert sqlite_web.app.state.register.lead("bh-007")["stage"] == "洽谈"


def test_promise_and_actual_errors_use_the_form_s_labels_beside_the_field(
    sqlite_web: Web,
) -> None:
    client = _lead(sqlite_web)
    typed = {"total_investment": "3亿美元", "employees": "3.5", "land_mu": "80亩"}
    refused = _post(client, "promise", typed)
    assert refused.status_code == 422
    shown = text_of(refused.text)
    assert "employees:" not in shown and "total_investment:" not in shown
    assert re.search(r'id="ep-employees" role="alert">应为整数', refused.text)
    assert re.search(
        r'id="ep-total_investment" role="alert">单位 \S+亿美元\S+ 不适用', refused.text
    )
    assert 'value="3亿美元"' in refused.text and 'value="80亩"' in refused.text
    assert "签约承诺" in shown and "需要更正" in shown
    actual = _post(client, "actual", {"reported_on": "昨天", "invested": "-5"})
    assert actual.status_code == 422
    assert re.search(r'id="ea-reported_on" role="alert">应为日期', actual.text)
    assert re.search(r'id="ea-invested" role="alert">应不小于 0', actual.text)
    assert "reported_on" not in text_of(actual.text)
    _english(client)
    english = _post(client, "promise", typed).text
    assert re.search(r'id="ep-employees" role="alert">must be a whole number', english)
    assert "应为整数" not in english


def test_a_refusal_the_register_gives_keeps_the_form_and_links_back(
    sqlite_web: Web,
) -> None:
    client = _lead(sqlite_web)
    future = str(dt.date.today() + dt.timedelta(days=3))
    refused = _post(client, "actual", {"reported_on": future, "invested": "100"})
    assert refused.status_code == 422
    assert "晚于今天" in text_of(refused.text) and 'value="100"' in refused.text
    bad = client.get("/kpi", params={"year": "abc"})
    assert bad.status_code == 422 and 'href="/kpi"' in bad.text


# --- the KPI page's period and the pipeline's page ------------------------------------


@pytest.mark.parametrize(
    ("query", "heading"),
    [
        ({"year": "2025", "quarter": "2"}, "2025Q2（2025-04-01 – 2025-06-30）"),
        ({"year": "2025", "quarter": "2025Q3"}, "2025Q3（2025-07-01"),
        ({"year": "2024", "month": "3"}, "2024-03（2024-03-01 – 2024-03-31）"),
        ({"year": "2025", "month": "2025-11"}, "2025-11（2025-11-01"),
        ({"year": "2025"}, "2025（2025-01-01 – 2025-12-31）"),
        ({"quarter": "Q1"}, f"{dt.date.today().year}Q1"),
    ],
)
def test_the_kpi_period_combines_the_year_with_a_quarter_or_month(
    sqlite_web: Web, query: dict[str, str], heading: str
) -> None:
    page = sqlite_web.client("committee").get("/kpi", params=query)
    assert page.status_code == 200, text_of(page.text)[-300:]
    assert heading in text_of(page.text)


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/kpi?year=abc", "年度应为四位数的年份，如 2025"),
        ("/kpi?year=99999", "年度应为四位数的年份"),
        ("/kpi?quarter=2025Q9", "季度应为 1–4"),
        ("/kpi?year=2025&quarter=2026Q2", "季度 2026Q2 不在所填年度 2025 内"),
        ("/kpi?quarter=2&month=3", "季度与月份只能填一项"),
        ("/pipeline?page=abc", "页码应为正整数"),
        ("/pipeline?from=xx", "登记起应为日期"),
    ],
)
def test_a_bad_period_or_page_is_worded_for_the_page(
    sqlite_web: Web, path: str, words: str
) -> None:
    page = sqlite_web.client("committee").get(path)
    assert page.status_code == 422
    shown = text_of(page.text)
    assert words in shown
    for raw in ("invalid literal", "out of range", "--year", "--quarter"):
        assert raw not in shown
    assert "返回考核指标" in shown or "返回项目库" in shown


# --- 2. the history's figures ----------------------------------------------------------


def test_the_history_shows_the_forms_labels_with_units(sqlite_web: Web) -> None:
    client = _lead(sqlite_web)
    promise = {"total_investment": "3.5亿", "land_mu": "79.5亩", "employees": "300"}
    assert _post(client, "promise", promise).status_code == 303
    actual = {
        "reported_on": TODAY,
        "invested": "1.5亿",
        "fixed_assets_invested": "10000",
        "annual_output": "0",
        "year": str(dt.date.today().year),
        "note": "ok",
    }
    assert _post(client, "actual", actual).status_code == 303
    shown = text_of(client.get("/leads/bh-007").text)
    assert (
        "累计到位资金 15,000 万元，累计固定资产投资 10,000 万元，当年产值 0 万元"
        in shown
    )
    assert f"年度 {dt.date.today().year}，备注 ok" in shown
    assert "总投资 35,000 万元，用地 79.5 亩，就业人数 300 人" in shown
    for internal in ("invested 15000", "land_mu", "total_investment", ".0000"):
        assert internal not in shown
    _english(client)
    english = text_of(client.get("/leads/bh-007").text)
    assert "invested to date 15,000 ×10k CNY" in english
    assert "land 79.5 mu" in english and "employees 300 people" in english


# --- 3. scores as the reports write them -----------------------------------------------


def _scored(web: Web, case: str) -> str:
    found = load_case(ROOT / case)
    data = found.project.model_dump(mode="json", exclude_none=True)
    body = {"project": data, "ruleset": found.ruleset, "as_of": "2025-06-30"}
    done = web.client(None).post(
        "/api/v1/screenings", json=body, headers=web.api("officer")
    )
    assert done.status_code == 200, done.text[:500]
    return str(data["id"])


def test_scores_show_without_trailing_zeros(sqlite_web: Web) -> None:
    key = _scored(sqlite_web, "cases/tuanfeng/tf02-furniture-exact-pass-mark.yaml")
    other = _scored(sqlite_web, "cases/tuanfeng/tf03-furniture-just-below.yaml")
    client = sqlite_web.client("committee")
    lead = client.get(f"/leads/{key}").text
    assert '<td class="num">60</td>' in lead and "60.0000" not in lead
    assert "通过 60 ·" in text_of(lead)
    rows = client.get("/pipeline").text
    score = sqlite_web.app.state.register.lead(other)["screenings"][0]["score"]
    plain = f"{score:f}".rstrip("0").rstrip(".")
    assert f'<td class="num">{plain}</td>' in rows and ".0000" not in rows


# --- 4. English pages in English ------------------------------------------------------


def test_english_pages_show_stages_committee_bands_and_units_in_english(
    sqlite_web: Web,
) -> None:
    client = _lead(sqlite_web)
    assert _post(client, "stage", {"stage": "签约", "on": TODAY}).status_code == 303
    _english(client)
    lead = client.get("/leads/bh-007").text
    shown = text_of(lead)
    assert "registered (negotiating)" in shown and "stage → signed" in shown
    assert '<option value="供地">land supplied</option>' in lead
    assert "Reason (for terminated / exited)" in shown
    for stage in ("洽谈", "签约", "供地", "开工", "投产", "达产", "终止", "退出"):
        assert stage not in shown, stage
    pipeline = client.get("/pipeline").text
    assert '<option value="暂缓">deferred</option>' in pipeline
    assert "<td>signed</td>" in pipeline
    for stage in ("洽谈", "签约", "终止"):
        assert f">{stage}<" not in pipeline
    kpi = text_of(client.get("/kpi").text)
    assert "signed ≥ 30M CNY" in kpi and "started ≥ 100M CNY" in kpi
    assert "≥3000万" not in kpi and "签约" not in kpi and "洽谈" not in kpi
    assert "negotiating" in kpi and "(no park)" in kpi and "to date" in kpi
    assert "Decisions (1)" in kpi and "（" not in kpi
    form = client.get("/leads/new").text
    assert "total investment (×10k CNY)" in text_of(form) and "（万元）" not in form
    refused = screen_form(sqlite_web, {**FORM, "investment.total": "abc"})
    assert refused.status_code == 422
    error = re.search(r'id="e-investment.total"[^>]*>([^<]+)<', refused.text)
    assert error and "无法识别" not in error.group(1)
    assert "not a number" in error.group(1)


# --- 5. the lead form: every error at once, each once ---------------------------------


def test_a_bad_date_on_the_lead_form_hides_no_other_error(sqlite_web: Web) -> None:
    bad = {**FORM, "as_of": "2025-13-01", "investment.total": "3.5亿美元"}
    refused = screen_form(sqlite_web, bad)
    assert refused.status_code == 422
    assert 'id="e-investment.total"' in refused.text
    assert "应为日期，如 2025-06-30" in refused.text
    assert sqlite_web.app.state.register.leads()[0] == 0
    only_date = screen_form(sqlite_web, {**FORM, "as_of": "not a date"})
    assert only_date.status_code == 422 and "应为日期" in only_date.text
    assert sqlite_web.app.state.register.leads()[0] == 0


def test_a_rule_set_out_of_force_is_said_once(sqlite_web: Web) -> None:
    data = {**FORM, "ruleset": "starter", "as_of": "2020-01-01"}
    refused = screen_form(sqlite_web, data)
    assert refused.status_code == 422
    shown = text_of(refused.text)
    assert shown.count("不在有效期内") == 1, shown


def test_an_unknown_lead_names_the_pipeline_not_the_cli(sqlite_web: Web) -> None:
    page = sqlite_web.client("committee").get("/leads/no-such-lead")
    assert page.status_code == 404
    shown = text_of(page.text)
    assert "screening register" not in shown and "见项目库" in shown


def test_the_history_names_changed_fields_by_their_titles(web: Web) -> None:
    assert screen_form(web, FORM).status_code == 303
    changed = {
        **FORM,
        "investment.total": "3.2亿元",
        "land.admin_share": "6%",
        "extra.building_density": "43%",
    }
    assert screen_form(web, changed).status_code == 303
    client = web.client("officer")
    page = client.get("/leads/bh-007").text
    assert "变更字段" in page and "总投资" in page
    assert "investment.total" not in page and "land.admin_share" not in page
    # the rule set's own input by its title in that rule set
    changed_line = re.search(r"变更字段：([^<]*)", page)
    assert changed_line is not None, page
    assert "建筑密度（建筑物基底面积占用地面积比例）" in changed_line[1]
    assert "building_density" not in changed_line[1]
    client.get("/lang?to=en")
    english = client.get("/leads/bh-007").text
    assert re.search(r"Total investment</dt><dd>32,000 ×10k CNY<", english)
    client.get("/lang?to=zh")
