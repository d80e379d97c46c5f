"""The lead page lists a screening made with a rule-set file (a rescreen with a draft)
with that file, in its screenings table and its history, as `register show` does: it
is not the shipped rule set of the same id."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from screening.register.rescreen import rescreen
from screening.register.store import Filters
from tests.web.conftest import Web
from tests.web.test_lead_pages import _english, text_of
from tests.web.test_pages import BEIHAI, FORM, screen_form


def rescreen_with_a_draft(web: Web, tmp_path: Path) -> Path:
    """Every stored lead rescreened (and adopted) under a stricter copy of the Beihai
    rule set's file; the file."""
    draft = tmp_path / "beihai-draft.yaml"
    text = Path(f"rules/{BEIHAI}.yaml").read_text(encoding="utf-8")
    stricter = text.replace(
        "require: investment_intensity >= 250", "require: investment_intensity >= 300"
    )
    assert stricter != text
    draft.write_text(stricter, encoding="utf-8")
    rescreen(
        web.app.state.register,
        str(draft),
        dt.date(2025, 6, 30),
        Filters(),
        "zh",
        "测试员",
        True,
    )
    return draft


def test_the_lead_page_names_the_rule_set_file(sqlite_web: Web, tmp_path: Path) -> None:
    assert screen_form(sqlite_web, FORM).status_code == 303
    draft = rescreen_with_a_draft(sqlite_web, tmp_path)
    client = sqlite_web.client("committee")
    shown = text_of(client.get("/leads/bh-007").text)
    assert shown.count(f"（文件 {draft}）") == 2  # the table and the history
    _english(client)
    assert f" (file {draft})" in text_of(client.get("/leads/bh-007").text)
