"""Every page a role can reach by following links answers without a server error, in
Chinese and in English, on a register holding a lead of every kind the pages show (a
screened lead with stages, promises and actuals, a vetoed one, a meeting with a
decision, a batch, a draft and an adopted rule set). A template that reads a key its
data lacks fails here even where no other test opens that page."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from tests.web.conftest import ROLES, Web, wait_job
from tests.web.test_batches import _rows, _xlsx, upload
from tests.web.test_pages import (
    DRAFT,
    FORM,
    _upload_draft,
    _vetoed,
    post_form,
    screen_form,
)

MAX_PAGES = 400  # per role and language; the seeded register has far fewer
# links that change state or leave the session although they are GETs
SKIP = ("/lang", "/logout")
LINK = re.compile(r'<a\b[^>]*\bhref="([^"#]*)(?:#[^"]*)?"')


def _seed(web: Web) -> None:
    assert screen_form(web, FORM).status_code == 303
    _vetoed(web)
    officer = web.client("officer")
    today = str(dt.date.today())
    assert (
        post_form(
            officer, "/leads/bh-007/stage", {"stage": "签约", "on": today}
        ).status_code
        == 303
    )
    promise = {"total_investment": "3.5亿", "land_mu": "80亩", "start_by": today}
    assert post_form(officer, "/leads/bh-007/promise", promise).status_code == 303
    actual = {"reported_on": today, "invested": "1.2亿"}
    assert post_form(officer, "/leads/bh-007/actual", actual).status_code == 303
    member = web.client("committee")
    made = post_form(
        member, "/meetings", {"title": "第1次联席会议", "meeting_on": today}
    )
    meeting = made.headers["location"].split("?")[0]
    assert post_form(member, f"{meeting}/items", {"keys": "bh-007"}).status_code == 303
    decided = {"lead": "bh-007", "decision": "暂缓", "note": "补充材料"}
    assert post_form(member, f"{meeting}/decisions", decided).status_code == 303
    assert (
        wait_job(web, upload(web, "招商会.xlsx", _xlsx(_rows(3))))["status"] == "done"
    )
    draft = _upload_draft(web, DRAFT).headers["location"]
    adopted = post_form(web.client("policy"), f"{draft}/adopt", {"note": "纪要"})
    assert adopted.status_code == 303
    _upload_draft(web, DRAFT.replace("require: investment", "require: investmnt"))


def _crawl(client: Any) -> tuple[int, list[str]]:
    """Pages reached from the home page by links; the ones answering 5xx."""
    seen: set[str] = set()
    queue = ["/"]
    broken: list[str] = []
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow_redirects=True)
        if response.status_code >= 500:
            broken.append(f"{url} → {response.status_code}")
            continue
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        for href in LINK.findall(response.text):
            target = urljoin(url, unescape(href))
            parts = urlsplit(target)
            if (
                parts.netloc
                or not parts.path.startswith("/")
                or parts.path.startswith(SKIP)
            ):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return len(seen), broken


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_a_role_reaches_answers(sqlite_web: Web, lang: str) -> None:
    _seed(sqlite_web)
    for role in ROLES:
        client = sqlite_web.client(role)
        client.get(f"/lang?to={lang}")
        pages, broken = _crawl(client)
        assert not broken, f"{role} ({lang}): {broken}"
        assert pages > 5, f"{role} reached only {pages} pages"
