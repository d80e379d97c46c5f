"""The audit log words a rule-set adoption's detail by title, in the page's language."""

from __future__ import annotations

from screening.web.pages.admin import shown_entry

ENTRY = {
    "action": "ruleset_adopted",
    "target": "parks/beihai-tieshangang-2023",
    "detail": {
        "version": "2023.1",
        "adoption": 7,
        "cases": 16,
        "failing_cases": ["bh01-pass", "bh07-land"],
    },
}


def test_an_adoption_s_cases_are_labelled_in_chinese() -> None:
    shown = dict(shown_entry(ENTRY, "zh")["details"])
    assert shown["采用记录"] == "#7"
    assert shown["用例数"] == "16"
    assert shown["未通过用例"] == "bh01-pass、bh07-land"
    assert not {"adoption", "cases", "failing_cases"} & set(shown)


def test_an_adoption_s_cases_are_labelled_in_english() -> None:
    shown = dict(shown_entry(ENTRY, "en")["details"])
    assert shown["adoption"] == "#7"
    assert shown["cases"] == "16"
    assert shown["failing cases"] == "bh01-pass, bh07-land"
