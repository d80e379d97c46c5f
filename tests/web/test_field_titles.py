"""A field reads the same wherever a page names it: the form's label and the history's
name for a changed field are one lookup (`fields.form_titles`)."""

from __future__ import annotations

import pytest

from screening.web.fields import model_fields
from screening.web.views import field_title


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_history_names_a_field_as_the_form_labels_it(lang: str) -> None:
    for form in model_fields():
        shown = form.title_en if lang == "en" else form.title_zh
        assert field_title(form.path, lang) == shown, form.path
    assert field_title("name", "zh") == "项目名称"  # the model's own title is "name"
    assert field_title("extra.own_input", lang) == "extra.own_input"
