"""The batch fast path: what it reads itself, what it leaves to the model, and that it is used."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from screening.cases import case_files, load_case
from screening.inputs import convert_inputs
from screening.io.readers import read_rows
from screening.loader import load_ruleset
from screening.model.project import Project, flatten, input_kinds
from screening.model.ruleset import InputField
from screening.row_values import plain_values
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from batch_speed import RULES, generate  # noqa: E402

BEIHAI = "parks/beihai-tieshangang-2023"


@cache
def inputs_of(ruleset: str) -> dict[str, InputField]:
    return load_ruleset(ruleset).inputs


def model_values(data: dict[str, Any], ruleset: str = BEIHAI) -> dict[str, Any]:
    return convert_inputs(flatten(Project.model_validate(data)), inputs_of(ruleset))


def exactly(values: dict[str, Any]) -> list[tuple[str, type, Any]]:
    return [(k, type(v), v.as_tuple() if isinstance(v, Decimal) else v) for k, v in values.items()]


@pytest.mark.parametrize(("data", "path", "value"), [
    ({"investment": {"total": "0012.50"}}, "investment.total", Decimal("12.50")),
    ({"investment": {"total": Decimal("4500.0000")}}, "investment.total", Decimal("4500.0000")),
    ({"investment": {"total": Decimal("-0")}}, "investment.total", Decimal("-0")),
    ({"investment": {"total": 4500}}, "investment.total", Decimal(4500)),
    ({"investment": {"total": "100000000"}}, "investment.total", Decimal(100000000)),
    ({"output": {"employees": "5.0"}}, "output.employees", Decimal("5.0")),
    ({"environment": {"in_red_line": " YES "}}, "environment.in_red_line", True),
    ({"environment": {"in_red_line": "否"}}, "environment.in_red_line", False),
    ({"environment": {"in_red_line": "不涉及"}}, "environment.in_red_line", False),
    ({"environment": {"in_red_line": "涉及"}}, "environment.in_red_line", True),
    ({"environment": {"in_red_line": "ＹＥＳ"}}, "environment.in_red_line", True),
    ({"environment": {"catalogue": " 鼓励类 "}}, "environment.catalogue", "encouraged"),
    ({"environment": {"eia_category": "\u3000报告表"}}, "environment.eia_category", "report_table"),
    ({"industry": {"code": "c2613"}}, "industry.group", "261"),
    ({"industry": 3841}, "industry.code", "C3841"),
    ({"region_class": 5}, "region_class", Decimal(5)),
    ({"id": 7}, "id", "7"),
    ({"id": Decimal("NaN")}, "id", "NaN"),
    ({"name": "项" * 500}, "name", "项" * 500),
    ({"extra": {"two_high_conditions_met": "是"}}, "extra.two_high_conditions_met", True),
    ({"extra": {"building_density": "0.45"}}, "extra.building_density", Decimal("0.45")),
    ({"extra": {"building_density": "45%"}}, "extra.building_density", Decimal("0.45")),
    ({"extra": {"rating": 80, "note": "x"}}, "extra.rating", 80),
    ({"extra": {"rating": 1.5}}, "extra.rating", Decimal("1.5")),  # the model's own float → Decimal
])
def test_plain_rows_are_read_as_the_model_reads_them(data: dict[str, Any], path: str, value: Any) -> None:
    values = plain_values(data, inputs_of(BEIHAI))
    assert values is not None
    assert exactly(values) == exactly(model_values(data))
    assert exactly({path: values[path]}) == exactly({path: value})


@pytest.mark.parametrize("data", [
    {"investment": {"total": "5.2亿元"}},
    {"investment": {"total": "4,500"}},
    {"investment": {"total": " 12"}},
    {"investment": {"total": 12.5}},
    {"land": {"area_ha": 2}},
    {"environment": {"in_red_line": "on"}},
    {"environment": {"in_red_line": 1}},
    {"extra": {"note": "\ud800"}},
    {"investment": {"total": "２．４亿元"}},
    {"investment": {"total": "４５００"}},
])
def test_rows_the_model_reads_otherwise_are_left_to_it(data: dict[str, Any]) -> None:
    model_values(data)  # valid
    assert plain_values(data, inputs_of(BEIHAI)) is None


@pytest.mark.parametrize("data", [
    {"investment": {"total": "-3"}},
    {"investment": {"total": Decimal("NaN")}},
    {"investment": {"total": Decimal("-1")}},
    {"investment": {"total": "100000000.0001"}},
    {"investment": {"total": True}},
    {"investment": {"total": "12", "bogus": None}},
    {"land": {"building_coverage": 45}},
    {"output": {"employees": "5.5"}},
    {"environment": {"catalogue": 1}},
    {"environment": {"catalogue_item": 5}},
    {"region_class": True},
    {"region_class": 8},
    {"industry": "C99"},
    {"industry": {"code": "C38", "x": 1}},
    {"id": "x" * 201},
    {"id": "\ud800"},
    {"id": 10**5000},
    {"extra": {"building_density": "abc"}},
    {"extra": {"building_density": Decimal("1E+13")}},
    {"extra": {"building_density": Decimal("1E+1000002")}},  # decimal.Overflow on the model path too
    {"extra": {1: 5}},
    {"oops": 1},
    {"land": []},
    [],
])
def test_rows_the_model_refuses_are_left_to_it(data: Any) -> None:
    with pytest.raises(Exception):  # noqa: B017 - ValidationError, ProjectError, decimal.Overflow
        model_values(data)
    assert plain_values(data, inputs_of(BEIHAI)) is None


def test_a_row_giving_every_field_plainly_is_read() -> None:
    # a field the fast path does not know would send every row giving it to the model
    plain = {"bool": "是", "catalogue": "鼓励类", "eia": "报告表", "integer": 3, "text": "C2613", "count": "12"}
    data: dict[str, Any] = {"extra": {"note": "x"}}
    for path, kind in input_kinds().items():
        if path != "land.area_ha":
            *blocks, name = path.split(".")
            node = data
            for block in blocks:
                node = node.setdefault(block, {})
            node[name] = plain.get(kind, "0.5")
    values = plain_values(data, {})
    assert values is not None
    assert exactly(values) == exactly(model_values(data, "starter"))
    assert len(values) == len(input_kinds()) - 2 + 4 + 1  # no area_ha, industry as 4 parts, extra.note


def _as_the_batch_reads(path: Path) -> list[dict[str, Any]]:
    with read_rows(str(path)) as rows:
        return [row.data for row in rows if row.data is not None]


def test_every_shipped_case_is_read_by_the_fast_path(tmp_path: Path) -> None:
    cases = [load_case(p) for p in case_files([ROOT / "cases"])]
    source = tmp_path / "cases.jsonl"
    source.write_text("".join(json.dumps(c.project.model_dump(mode="json", exclude_none=True), ensure_ascii=False)
                              + "\n" for c in cases), encoding="utf-8")
    declined = []
    for case, data in zip(cases, _as_the_batch_reads(source), strict=True):
        inputs = inputs_of(case.ruleset or "starter")
        values = plain_values(data, inputs)
        if values is None:
            declined.append(case.path)
        else:
            assert exactly(values) == exactly(convert_inputs(flatten(case.project), inputs)), case.path
    assert len(cases) > 50 and not declined


def test_every_generated_bench_row_is_read_by_the_fast_path(tmp_path: Path) -> None:
    source = tmp_path / "rows.jsonl"
    generate(source, 300, seed=3)
    inputs = inputs_of(RULES)
    for data in _as_the_batch_reads(source):
        values = plain_values(data, inputs)
        assert values is not None, data
        assert exactly(values) == exactly(model_values(data, RULES))
