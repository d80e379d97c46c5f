"""The project contract: normalisation, derived industry parts, errors at file lines."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from screening.cases import CASE_KEYS, load_case
from screening.errors import ProjectError
from screening.model.project import (
    FIELDS,
    INDUSTRY_CODES,
    Project,
    derive_fields,
    flatten,
    normalise_industry,
)
from screening.model.units import parse_amount
from screening.source import load_yaml_file


def test_flatten_normalises_units_and_derives_industry_parts() -> None:
    project = Project.model_validate(
        {
            "id": 7,
            "industry": "3841",
            "investment": {"total": "3.5亿元"},
            "land": {"area_ha": 2},
            "environment": {
                "catalogue": "鼓励类",
                "in_red_line": "否",
                "eia_category": "报告表",
            },
        }
    )
    assert flatten(project) == {
        "id": "7",
        "investment.total": Decimal("35000.0"),
        "land.area_mu": Decimal("30"),
        "environment.in_red_line": False,
        "environment.catalogue": "encouraged",
        "environment.eia_category": "report_table",
        "industry.code": "C3841",
        "industry.section": "C",
        "industry.division": "38",
        "industry.group": "384",
    }


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("C3841", "C3841"),
        ("c2613", "C2613"),
        ("D4411", "D4411"),
        ("26", "C26"),
        (3841, "C3841"),
    ],
)
def test_industry_codes(code: object, expected: str) -> None:
    assert normalise_industry(code) == expected


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("X12", "格式不符"),
        ("C4411", "属于门类 D"),
        ("C99", "不存在"),
        ("C38411", "格式不符"),
    ],
)
def test_bad_industry_codes(code: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalise_industry(code)


def test_every_canonical_field_is_in_the_catalogue() -> None:
    for path in (
        "investment.fixed_assets",
        "land.area_mu",
        "output.annual_tax",
        "environment.energy_tce",
        "environment.emissions.vocs_t",
        "industry.division",
        "region_class",
    ):
        assert path in FIELDS
    assert FIELDS["land.area_mu"].unit == "亩"
    assert "land.area_ha" not in FIELDS  # an input spelling only


def test_errors_name_the_field_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "id: p1\nland:\n  area_mu: -5\n  plot_ratio: abc\ninvestment: {total: .nan}\nfoo: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(ProjectError) as info:
        load_case(path)
    lines = [str(d) for d in info.value.diagnostics]
    assert any(
        line.startswith(f"{path}:3:12: [PRJ] 数值应不小于 0")
        and "(land.area_mu)" in line
        for line in lines
    )
    assert any(
        line.startswith(f"{path}:4:15: [PRJ] 无法识别的数值 'abc'") for line in lines
    )
    assert any(f"{path}:5:" in line and "(investment.total)" in line for line in lines)
    assert any(line.startswith(f"{path}:6:1: [PRJ] 未知的键 'foo'") for line in lines)


def test_absurd_magnitude_is_an_error() -> None:
    with pytest.raises(ValueError, match="investment.fixed_assets"):
        Project.model_validate({"investment": {"fixed_assets": "1e300"}})


def test_fractions_above_one_are_refused() -> None:
    with pytest.raises(ValueError, match="building_coverage"):
        Project.model_validate({"land": {"building_coverage": 45}})


def test_area_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="area_mu 与 area_ha 只能填写一个"):
        Project.model_validate({"land": {"area_mu": 10, "area_ha": 1}})


@pytest.mark.parametrize(
    "text", ["0", "4500", "12.5", "0.0001", "007", "99999999.9999"]
)
def test_plain_numbers_read_exactly_as_parse_amount_reads_them(text: str) -> None:
    # amounts without unit or separator take a shortcut past parse_amount: same Decimal, digit for digit
    read = Project.model_validate({"investment": {"total": text}}).investment
    assert read is not None and str(read.total) == str(parse_amount(text, "money"))


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("涉及", True),
        ("不涉及", False),
        ("不 涉 及", False),
        ("ＹＥＳ", True),
        ("是", True),
    ],
)
def test_yes_no_words_offices_use(word: str, value: bool) -> None:
    project = Project.model_validate({"environment": {"in_red_line": word}})
    assert project.environment is not None
    assert project.environment.in_red_line is value


def test_full_width_amounts_in_a_project() -> None:
    project = Project.model_validate({"investment": {"total": "２．４亿元"}})
    assert flatten(project)["investment.total"] == Decimal("24000")


def _flatten_by_dump(project: Project) -> dict[str, Any]:
    """The reading `flatten` replaced: pydantic's dump without None, walked."""
    values: dict[str, Any] = {}

    def walk(block: dict[str, Any], prefix: str) -> None:
        for name, value in block.items():
            if name == "extra" and not prefix:
                values.update(
                    {f"extra.{k}": v for k, v in value.items() if v is not None}
                )
            elif type(value) is dict:
                walk(value, f"{prefix}{name}.")
            else:
                values[f"{prefix}{name}"] = value

    walk(project.model_dump(exclude_none=True), "")
    return derive_fields(values)


_CASES = sorted(Path(__file__).resolve().parents[2].joinpath("cases").rglob("*.yaml"))


@pytest.mark.parametrize("path", _CASES[:40], ids=lambda p: p.name)
def test_flatten_reads_what_the_dump_holds(path: Path) -> None:
    data = load_yaml_file(path).data
    if not isinstance(data, dict):
        pytest.skip("not a mapping")
    data = {k: v for k, v in data.items() if k not in CASE_KEYS}
    try:
        project = Project.model_validate(data)
    except ValidationError:
        pytest.skip("a case of a refused project")
    got = flatten(project)
    expected = _flatten_by_dump(project)
    assert list(got.items()) == list(expected.items())


def test_flatten_of_sparse_and_extra_projects() -> None:
    for data in (
        {},
        {"land": {}},
        {"environment": {"emissions": {"so2_t": 3}}, "extra": {"a": None, "b": "x"}},
        {"industry": "C38", "region_class": 2, "extra": {}},
    ):
        project = Project.model_validate(data)
        assert list(flatten(project).items()) == list(_flatten_by_dump(project).items())


def test_every_listed_code_of_a_division_or_finer_is_already_normal() -> None:
    # normalise_industry returns such a code as it is given: the slow path agrees
    for code in INDUSTRY_CODES:
        if len(code) >= 3:
            assert normalise_industry(code.lower()) == code
            assert normalise_industry(code) == code


@pytest.mark.parametrize(
    ("given", "mu"),
    [("5", 75), (" 5 ", 75), (".5", Decimal("7.5")), ("２．４", 36), ("1,000", 15000),
     ("3公顷", 45), ("2平方米", Decimal("0.003")), (2.5, Decimal("37.5"))],
)  # fmt: skip
def test_hectares_without_a_unit_are_hectares(given: object, mu: Decimal) -> None:
    assert Project.model_validate({"land": {"area_ha": given}}).land.area_mu == mu  # type: ignore[union-attr]
