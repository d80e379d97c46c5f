"""Pages for policy staff and administrators, in the words their readers use: a draft's
impact (what changed, by title, with old and new values and units), the audit log
(actions and details as labels), and account names that differ only by case."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from screening.web.accounts import AccountError
from tests.web.conftest import PASSWORD, Web, sign_in
from tests.web.test_pages import DRAFT, FORM, _upload_draft, post_form, screen_form


def _text(page: str) -> str:
    """A page's text as read (tags gone, entities decoded)."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_draft_impact_says_what_changed_in_words(sqlite_web: Web) -> None:
    web, policy = sqlite_web, sqlite_web.client("policy")
    key = _upload_draft(web, DRAFT).headers["location"].rsplit("/", 1)[1]
    adopted = post_form(policy, f"/rulesets/drafts/{key}/adopt", {"note": "第1版"})
    assert adopted.status_code == 303
    data = {**FORM, "ruleset": "local:parks/test-park", "as_of": ""}
    assert screen_form(web, data).status_code == 303
    changed = DRAFT.replace('"0.1"', '"0.2"').replace("value: 300", "value: 350")
    changed = changed.replace("投资强度（示意）", "投资强度（示意，第2版）")
    key = _upload_draft(web, changed).headers["location"].rsplit("/", 1)[1]
    assert post_form(policy, f"/rulesets/drafts/{key}/impact", {}).status_code == 303
    page = policy.get(f"/rulesets/drafts/{key}").text
    impact = _text(page[page.index('id="impact"') : page.index('id="adopt"')])
    assert "{'" not in impact and "'value'" not in impact and "None" not in impact
    assert "现行规则集 测试园区 v0.1（本地） → 草稿（wang，" in impact
    assert "参数 min_intensity 修改 300 万元/亩 350 万元/亩" in impact
    assert (
        "规则 投资强度（示意，第2版）：名称 investment_intensity.test 修改 "
        "投资强度（示意） 投资强度（示意，第2版）" in impact
    )
    english = policy.get(f"/rulesets/drafts/{key}?lang=en").text
    impact = _text(english[english.index('id="impact"') : english.index('id="adopt"')])
    assert "current rule set test park v0.1 (local) → draft (wang, " in impact
    assert "parameter min_intensity changed 300 万元/亩 350 万元/亩" in impact
    assert (  # changed in Chinese only: the Chinese is shown, not two equal sides
        "rule investment intensity (illustrative): title "
        "investment_intensity.test changed 投资强度（示意） 投资强度（示意，第2版）"
        in impact
    )


def test_the_audit_log_shows_labels_and_readable_details(sqlite_web: Web) -> None:
    web = sqlite_web
    assert screen_form(web, FORM).status_code == 303
    member = web.client("committee")
    today = str(dt.date.today())
    made = post_form(
        member, "/meetings", {"title": "第3次联席会议", "meeting_on": today}
    )
    meeting = made.headers["location"].split("?")[0]
    assert post_form(member, f"{meeting}/items", {"keys": "bh-007"}).status_code == 303
    admin = web.client("admin")
    post_form(admin, "/admin/accounts/li", {"role": "policy", "active": "1"})
    page = admin.get("/admin/audit").text
    rows = _text(page[page.index("<tbody>") :])
    assert "修改议程" in rows and "加入议程：bh-007" in rows
    assert "修改账户" in rows and "角色：政策专员" in rows
    assert "登录" in rows and "新建联席会议" in rows and "标题：第3次联席会议" in rows
    for raw in ("agenda_changed", "account_changed", "login", "added=", "['"):
        assert raw not in rows, raw
    english = _text(admin.get("/admin/audit?lang=en").text)
    assert "agenda changed" in english and "added: bh-007" in english
    assert "role: policy officer" in english
    # the filter still selects by action
    only = admin.get("/admin/audit", params={"action": "agenda_changed"}).text
    assert _text(only[only.index("<tbody>") :]).count("修改议程") == 1


def test_a_name_differing_only_by_case_is_refused(sqlite_web: Web) -> None:
    web, admin = sqlite_web, sqlite_web.client("admin")
    form = {"name": "off2", "role": "officer", "password": "another long secret"}
    assert post_form(admin, "/admin/accounts", form).status_code == 303
    again = post_form(admin, "/admin/accounts", {**form, "name": "OFF2"})
    assert again.status_code == 422
    assert "用户名 OFF2 与已有的用户名 off2 只差大小写" in again.text
    same = post_form(admin, "/admin/accounts", form)
    assert same.status_code == 422 and "用户名 off2 已存在" in same.text
    names = [a["name"] for a in web.app.state.accounts.list()]
    assert "off2" in names and "OFF2" not in names
    with pytest.raises(AccountError, match="只差大小写"):  # `screening users add` too
        web.app.state.accounts.create("Zhang", "officer", PASSWORD, "cli")
    # signing in matches the name exactly, as before
    assert web.app.state.accounts.verify("off2", "another long secret") is not None
    assert web.app.state.accounts.verify("OFF2", "another long secret") is None
    sign_in(web.client(None), "off2", "another long secret")
