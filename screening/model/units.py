"""Amounts written with units ("3.5亿元", "5.3 公顷", "1.2万吨标准煤") → canonical units.

Canonical units: 万元 for money, 亩 for area, tce for energy, kWh for electricity,
t for emissions, a fraction 0–1 for shares. Conversions are exact (Decimal).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow, Underflow

# quantity kind → {unit spelling (lower-case, no spaces) → factor to the canonical unit}
UNIT_FACTORS: dict[str, dict[str, Decimal]] = {
    "money": {
        "万元": Decimal(1),
        "万": Decimal(1),
        "亿元": Decimal(10000),
        "亿": Decimal(10000),
        "元": Decimal("0.0001"),
        "千元": Decimal("0.1"),
        "百万元": Decimal(100),
    },
    "area": {
        "亩": Decimal(1),
        "mu": Decimal(1),
        "公顷": Decimal(15),
        "ha": Decimal(15),
        "hm2": Decimal(15),
        "hm²": Decimal(15),
        # 1 亩 = 10000/15 m² exactly, so 1 m² = 0.0015 亩
        "平方米": Decimal("0.0015"),
        "m2": Decimal("0.0015"),
        "m²": Decimal("0.0015"),
        "㎡": Decimal("0.0015"),
        "万平方米": Decimal(15),
    },
    "energy": {
        "tce": Decimal(1),
        "吨标准煤": Decimal(1),
        "吨标煤": Decimal(1),
        "万吨标准煤": Decimal(10000),
        "万吨标煤": Decimal(10000),
        "万tce": Decimal(10000),
    },
    "electricity": {
        "kwh": Decimal(1),
        "千瓦时": Decimal(1),
        "度": Decimal(1),
        "万千瓦时": Decimal(10000),
        "万kwh": Decimal(10000),
        "万度": Decimal(10000),
        "亿千瓦时": Decimal(100000000),
    },
    "mass": {
        "t": Decimal(1),
        "吨": Decimal(1),
        "kg": Decimal("0.001"),
        "公斤": Decimal("0.001"),
        "千克": Decimal("0.001"),
        "万吨": Decimal(10000),
    },
    "fraction": {"%": Decimal("0.01"), "％": Decimal("0.01")},
    "count": {"人": Decimal(1), "名": Decimal(1)},
    "ratio": {},
}

CANONICAL_UNIT = {
    "money": "万元",
    "area": "亩",
    "energy": "tce",
    "electricity": "kWh",
    "mass": "t",
    "fraction": "",
    "count": "人",
    "ratio": "",
}

# The two shapes of a plain figure, one definition each (readers, the model, the
# review): bare digits (`bare_digits`), and a figure as offices type it, without a unit
# (sign, thousands separators, exponent)
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d,，]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def bare_digits(text: str) -> bool:
    """ASCII digits with at most one point, between digits ("4500", "12.5"): a figure
    parse_amount reads as `Decimal(text)` whatever the unit, and refuses nothing of.

    String methods rather than a regex (`[0-9]+(?:\\.[0-9]+)?`, which it equals): it
    is asked of nearly every figure of every row.
    """
    return (
        text.isascii()
        and text.replace(".", "", 1).isdigit()
        and text[0] != "."
        and text[-1] != "."
    )


# a number's thousands separators where they belong: every 3 digits of its whole part
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[,，]\d{3})+(?:\.\d*)?(?:[eE][+-]?\d+)?")


def ungrouped(number_text: str) -> str:
    """`number_text` without its thousands separators (24,097 → 24097); UnitError when
    one is misplaced ("240,97", "2,60,00", "1,0"): a decimal point typed as a comma
    would be read 100 times too large, so it is refused, never guessed."""
    if "," not in number_text and "，" not in number_text:
        return number_text
    if not _GROUPED.fullmatch(number_text):
        raise UnitError(
            f"千分位逗号位置不对：{number_text!r}（逗号每 3 位一个，如 24,097；"
            "小数点请用“.”）/ misplaced thousands separator (use . for a decimal point)"
        )
    return number_text.replace(",", "").replace("，", "")


_AMOUNT = re.compile(
    r"^\s*([+-]?(?:\d[\d,，]*)?(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(.*?)\s*$"
)


class UnitError(ValueError):
    """An amount whose number or unit cannot be read."""


# a date as offices type one: 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, with a time
_DATE = re.compile(
    r"\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*"
)


def date_message(shown: str) -> str:
    """The error for a date where a number belongs (a date typed in a number column)."""
    return f"应为数字，实际是日期 {shown} / expected a number, got a date {shown}"


def _as_date(text: str) -> str | None:
    """2024-03-05 when `text` is a date as typed, else None."""
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def typed_date(text: str) -> dt.date | None:
    """A date as offices type one (2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日), or
    None when `text` is none or names no day of the calendar."""
    shown = _as_date(text)
    if shown is None:
        return None
    try:
        return dt.date.fromisoformat(shown)
    except ValueError:  # 2024-02-30
        return None


def parse_amount(value: object, kind: str) -> Decimal:
    """Read a number or a number-with-unit string of `kind` as a canonical Decimal."""
    if isinstance(value, bool):
        raise UnitError("应为数值，不是布尔值 / expected a number, not a boolean")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        # repr gives the shortest decimal that round-trips, i.e. what the user typed
        return Decimal(repr(value))
    if isinstance(value, (dt.date, dt.datetime)):  # YAML reads 2024-03-05 as a date
        raise UnitError(date_message(value.isoformat()[:10]))
    if not isinstance(value, str):
        raise UnitError(f"应为数值 / expected a number, got {type(value).__name__}")
    if bare_digits(value):  # what the pattern below would read as Decimal(value)
        return Decimal(value)
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)  # full-width digits, ．, ％, ㎡
    match = _AMOUNT.match(value)
    if not match or not match.group(1) or match.group(1) in "+-.":
        raise UnitError(f"无法识别的数值 {value!r} / not a number")
    number_text, unit_text = match.group(1), match.group(2)
    if unit_text and (date := _as_date(value)) is not None:
        raise UnitError(date_message(date))
    try:
        number = Decimal(ungrouped(number_text))
    except InvalidOperation:
        raise UnitError(f"无法识别的数值 {value!r} / not a number") from None
    if not unit_text:
        return number
    factors = UNIT_FACTORS[kind]
    factor = factors.get(unit_text.replace(" ", "").lower())
    if factor is None:
        known = "、".join(sorted(factors)) or "无单位 / none"
        raise UnitError(
            f"单位 {unit_text!r} 不适用（可用：{known}）/ unit not accepted here"
        )
    try:  # exactly: a unit never rounds a figure, and one too large for any context is refused
        return _EXACT.multiply(number, factor)
    except ArithmeticError:
        raise UnitError(
            f"数值过大或位数过多，无法精确换算：{value!r} / number too large or too long to convert exactly"
        ) from None


_EXACT = Context(
    prec=60,
    Emax=10**6,
    Emin=-(10**6),
    traps=[Inexact, InvalidOperation, Overflow, Underflow],
)
