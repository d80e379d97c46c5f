"""A field reads the same wherever a page names it: the form's label and the history's
name for a changed field, on the web page and in `register history`, are one lookup
(`model.project.field_title`)."""

from __future__ import annotations

import pytest

from screening.web.fields import model_fields
from screening.web.views import field_title


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_history_names_a_field_as_the_form_labels_it(lang: str) -> None:
    for form in model_fields():
        shown = form.title_en if lang == "en" else form.title_zh
        assert field_title(form.path, lang) == shown, form.path
    assert field_title("name", "zh") == "项目名称"
    assert field_title("industry", lang) == (
        "industry code" if lang == "en" else "行业代码"
    )
    assert field_title("extra.own_input", lang) == "own_input"
