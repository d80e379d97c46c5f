"""Amounts with units normalise exactly to 万元, 亩, tce, kWh, t and fractions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from screening.model.units import UnitError, parse_amount


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("3.5亿元", "money", Decimal("35000")),
        ("1,200 万元", "money", Decimal("1200")),
        ("5000元", "money", Decimal("0.5")),
        ("80 亩", "area", Decimal("80")),
        ("5.3 公顷", "area", Decimal("79.5")),
        ("10000 平方米", "area", Decimal("15")),
        ("1.2万吨标准煤", "energy", Decimal("12000")),
        ("800 吨标煤", "energy", Decimal("800")),
        ("450万千瓦时", "electricity", Decimal("4500000")),
        ("500kg", "mass", Decimal("0.5")),
        ("45%", "fraction", Decimal("0.45")),
        (12, "money", Decimal("12")),
        (0.1, "money", Decimal("0.1")),
        ("24,097", "money", Decimal("24097")),
        ("1,234,567.5 万元", "money", Decimal("1234567.5")),
        ("１２，３４５万元", "money", Decimal("12345")),
    ],
)
def test_amounts_normalise(value: object, kind: str, expected: Decimal) -> None:
    assert parse_amount(value, kind) == expected


@pytest.mark.parametrize(
    "typed", ["240,97", "240，97", "1,0", "2,40", "2,60,00", "12,34万元"]
)
def test_a_misplaced_thousands_separator_is_refused_not_read_larger(typed: str) -> None:
    # "240,97" was read as 24,097 万元 (a B firm rated A): a comma is a thousands
    # separator only every 3 digits of the whole part
    with pytest.raises(UnitError, match="千分位逗号位置不对"):
        parse_amount(typed, "money")


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [
        ("3.5 亩", "money", "单位 '亩' 不适用"),
        ("abc", "money", "无法识别的数值"),
        (True, "money", "不是布尔值"),
        ([1], "money", "应为数值"),
        (
            "1e999999亿元",
            "money",
            "数值过大或位数过多",
        ),  # past any context's exponent: refused, not a crash
        (
            "1.000000000000000000000000000000000000000000000000000000000001亿元",
            "money",
            "数值过大或位数过多",
        ),
    ],
)
def test_bad_amounts_say_why(value: object, kind: str, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        parse_amount(value, kind)


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("２．４亿元", "money", Decimal("24000")),
        ("４５００", "money", Decimal("4500")),
        ("１２％", "fraction", Decimal("0.12")),
        ("1.5㎡", "area", Decimal("0.00225")),
    ],
)
def test_full_width_figures_read_as_typed(
    value: str, kind: str, expected: Decimal
) -> None:
    assert parse_amount(value, kind) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2024-03-05",
        "2024/3/5",
        "2024.3.5",
        "2024年3月5日",
        "2024-03-05 00:00:00",
        "2024-03-05T00:00:00",
        dt.date(2024, 3, 5),
        dt.datetime(2024, 3, 5, 8, 30),
    ],
)
def test_a_date_is_not_a_number(value: object) -> None:
    with pytest.raises(UnitError) as caught:
        parse_amount(value, "money")
    assert str(caught.value) == (
        "应为数字，实际是日期 2024-03-05 / expected a number, got a date 2024-03-05"
    )
