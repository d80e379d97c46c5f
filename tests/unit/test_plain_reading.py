"""The plain reading of a project's parts: what the part's own validation gives, or a refusal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from screening.model.project import (
    AmountValidator,
    Emissions,
    Environment,
    Investment,
    Land,
    Output,
    Project,
)

_PARTS: dict[str, type[BaseModel]] = {
    "investment": Investment,
    "land": Land,
    "output": Output,
    "environment": Environment,
}

# values near every edge of the plain forms: bounds (1, 20, 10**6 ...), leading zeros,
# points, signs, exponents, whitespace, units, 是/否, choices and their aliases
_FIGURES = st.sampled_from(
    ["0", "1", "1.0", "0.999", "1.0001", "9", "10", "19.99", "20", "20.5", "21",
     "999999", "1000000", "1000000.0", "1000001", "99999999.9999", "100000000",
     "100000001", "0012", "00.5", "12.", ".5", "+5", "-5", "-0", "1e3", " 12", "12 ",
     "1,000", "1_000", "٣", "１２", "3.5亿元", "12%", "45亩", "5公顷", "220人",
     "2024-03-05", "", "abc", "NaN", "Infinity"]
)  # fmt: skip
_VALUES = st.one_of(
    _FIGURES,
    st.integers(min_value=-5, max_value=10**13),
    st.sampled_from([0, 1, 20, 21, 10**6, 10**8, 10**8 + 1, 10**12, 10**12 + 1]),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.sampled_from(
        [
            "是",
            "否",
            "yes",
            "on",
            " 是 ",
            "permitted",
            " permitted",
            "鼓励类",
            "report",
            "报告表",
            "report_table",
            "Report",
            "encouraged",
            "catalogue item",
            "C3841",
        ]
    ),  # fmt: skip
    st.just({"so2_t": "3"}),
    st.just({"so2_t": "3万吨"}),
    st.just({"nox_t": 2, "cod_t": None}),
    st.just({"vocs_t": True}),
    st.just([]),
)


def _part(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    keys = [*model.model_fields, "unknown"]
    return st.dictionaries(st.sampled_from(keys), _VALUES, max_size=len(keys))


def _shown(model: BaseModel) -> tuple[Any, ...]:
    """Everything a reader of the part could tell apart: values with their exact
    digits and types, which fields were given, the repr."""
    values = {
        name: (type(value), str(value) if isinstance(value, Decimal) else value)
        for name, value in model
    }
    return values, model.model_fields_set, repr(model), type(model)


@settings(deadline=None)
@given(st.sampled_from(sorted(_PARTS)).flatmap(lambda name: st.tuples(st.just(name), _part(_PARTS[name]))))  # fmt: skip
def test_a_part_reads_as_its_own_validation_reads_it(case: tuple[str, Any]) -> None:
    name, data = case
    try:
        expected = _PARTS[name].model_validate(data)
    except ValidationError as exc:
        with pytest.raises(ValidationError) as raised:
            Project.model_validate({name: data})
        assert [(e["loc"], e["type"], e["msg"], repr(e["input"])) for e in raised.value.errors()] == [
            ((name, *e["loc"]), e["type"], e["msg"], repr(e["input"])) for e in exc.errors()
        ]  # fmt: skip
        return
    got = getattr(Project.model_validate({name: data}), name)
    assert _shown(got) == _shown(expected)
    if isinstance(expected, Environment) and expected.emissions is not None:
        assert got.emissions is not None
        assert _shown(got.emissions) == _shown(expected.emissions)


def test_a_plain_row_is_read_without_the_python_validators(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    called: list[object] = []
    full = AmountValidator.__call__

    def counted(self: AmountValidator, value: object) -> object:
        called.append(value)
        return full(self, value)

    monkeypatch.setattr(AmountValidator, "__call__", counted)
    plain = {
        "investment": {"total": "28878.0800", "fixed_assets": 29950},
        "land": {"area_mu": "122.6860", "plot_ratio": "1.1087", "green_ratio": "0"},
        "output": {"annual_revenue": "33810.1428", "employees": "220"},
        "environment": {
            "energy_tce": "6028.6350",
            "in_red_line": False,
            "catalogue": "permitted",
            "eia_category": "report",
            "catalogue_item": "二、...",
            "emissions": {"so2_t": "12.5", "co2_t": 3},
        },
    }
    project = Project.model_validate(plain)
    assert called == []
    assert project.land is not None and project.land.area_mu == Decimal("122.6860")
    assert isinstance(project.environment, Environment)
    assert isinstance(project.environment.emissions, Emissions)
    assert str(project.environment.emissions.so2_t) == "12.5"
    # a figure with a unit, past its plain bound, or a 是/否 is read the full way
    for part, field, value in (
        ("investment", "total", "3.5亿元"),
        ("land", "plot_ratio", "20"),
        ("environment", "in_red_line", "否"),
    ):
        called.clear()
        row = {**plain, part: {**plain[part], field: value}}
        assert Project.model_validate(row) == Project.model_validate(
            {**row, part: _PARTS[part].model_validate(row[part])}
        )
        assert called
