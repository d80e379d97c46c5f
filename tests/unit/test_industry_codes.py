"""The shipped GB/T 4754-2017 code list: complete, and what the project model takes."""

from __future__ import annotations

from collections import Counter

import pytest

from screening.model.project import INDUSTRY_CODES, Project, normalise_industry


def test_every_level_is_complete() -> None:
    assert Counter(len(code) for code in INDUSTRY_CODES) == {
        1: 20,  # 门类
        3: 97,  # 大类
        4: 473,  # 中类
        5: 1381,  # 小类
    }
    # each code's parent is listed too
    for code in INDUSTRY_CODES:
        parent = code[:1] if len(code) == 3 else code[:-1]
        assert len(code) == 1 or parent in INDUSTRY_CODES, code


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("C", "制造业"),
        ("C38", "电气机械和器材制造业"),
        ("C3841", "锂离子电池制造"),
        ("C3985", "电子专用材料制造"),
        ("C3963", "智能无人飞行器制造"),
        ("C3741", "飞机制造"),
        ("C374", "航空、航天器及设备制造"),
        ("C3720", "城市轨道交通设备制造"),
        ("C203", "木质制品制造"),
        ("D4411", "火力发电"),
        ("T9700", "国际组织"),
    ],
)
def test_a_sample_of_codes_and_names(code: str, name: str) -> None:
    assert INDUSTRY_CODES[code] == name


@pytest.mark.parametrize("code", ["C3725", "C1810", "C3999", "A0191", "C384"])
def test_codes_the_2017_edition_does_not_list_are_refused(code: str) -> None:
    if code == "C384":  # a 中类 is a code of its own
        assert normalise_industry(code) == "C384"
        return
    with pytest.raises(ValueError, match="不在 GB/T 4754-2017 中"):
        normalise_industry(code)


def test_an_old_code_is_refused_as_the_industry_field() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        Project.model_validate({"industry": "C3725"})
    error = caught.value.errors()[0]
    assert error["loc"] == ("industry",)
    assert "re-coded in the 2017 edition" in error["msg"]
