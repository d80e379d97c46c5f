"""Spreadsheet rows → firms' yearly figures, each row valid or refused with a reason.

Headers are matched against the firm fields and the scheme's own inputs (units in
headers honoured: 用地面积(平方米) is converted to 亩, 税收(元) to 万元, exactly);
cells are read as numbers, 是/否, dates or text. A row that cannot be read is
reported with its row number, column and why; it never stops the others. A totals
row (合计, or the column sums of the rows above: `totalrows`) is skipped with its
reason. Nothing here evaluates.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow, Underflow
from pathlib import Path
from typing import Any

from screening.errors import Diagnostic
from screening.evaluation.fields import FIRM_FIELDS, INTENSITY, FirmField
from screening.evaluation.table import HeaderColumn, Table, open_table
from screening.evaluation.totalrows import firm_totals
from screening.io import excel
from screening.io.columns import normalise_header
from screening.io.tables import Overlong, UncomputedFormula
from screening.model.units import PLAIN_NUMBER, UNIT_FACTORS, UnitError, parse_amount

# Placeholders offices type for "no value": absent, never zero.
EMPTY = {
    "",
    "-",
    "--",
    "—",
    "——",
    "－",
    "/",
    "n/a",
    "na",
    "#n/a",
    "null",
    "none",
    "无数据",
}
_TRUE = {"是", "有", "y", "yes", "true", "1", "√", "✓", "✔", "发生"}
_FALSE = {"否", "无", "n", "no", "false", "0", "×", "✗", "✘", "未发生"}
_SCALE = {
    "规上": "规上",
    "规模以上": "规上",
    "规上工业": "规上",
    "规上企业": "规上",
    "above": "规上",
    "规下": "规下",
    "规模以下": "规下",
    "规下工业": "规下",
    "规下企业": "规下",
    "below": "规下",
}
_BRACKETED = re.compile(r"^(.*)\(([^()]*)\)$")
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?|\s*月?)?$"
)
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


# Unit conversion that refuses to round (as screening.model.units converts).
_EXACT = Context(
    prec=60,
    Emax=10**6,
    Emin=-(10**6),
    traps=[Inexact, InvalidOperation, Overflow, Underflow],
)


# What an Excel cell holds: a figure beyond these, in magnitude, is no figure any
# output can carry (Excel's specifications: 9.99999999999999E+307 and 2.2251E-308).
LARGEST = Decimal(repr(excel.LARGEST))
SMALLEST = Decimal("2.2251E-308")
OUT_OF_RANGE = (
    "数值超出 Excel 单元格可表示的范围（绝对值应在 2.2251E-308 与 "
    "9.99999999999999E+307 之间），多半是录入错误 / a figure beyond what an Excel "
    "cell can hold (its magnitude must lie between 2.2251E-308 and "
    "9.99999999999999E+307): surely a typo"
)


def in_range(number: Decimal) -> bool:
    """Whether a figure is 0 or of a magnitude an Excel cell holds."""
    magnitude = number.copy_abs()  # not abs(): that rounds, and overflows on 1e1000000
    return not magnitude or SMALLEST <= magnitude <= LARGEST


class CellError(ValueError):
    """A cell that cannot be read for its column."""


@dataclass(frozen=True)
class FirmRow:
    """One data row: its figures (field → value), or why it was not read or skipped."""

    source: str
    number: int
    values: dict[str, Any] | None
    column: str | None = None  # the header of the cell at fault
    reason: str | None = None
    skipped: str | None = None  # not a firm (a totals row): why, never evaluated

    @property
    def firm_id(self) -> str:
        """The credit code, or the name when no code is given."""
        values = self.values or {}
        return str(values.get("credit_code") or values.get("name") or "")


def vocabulary(fields: Mapping[str, FirmField]) -> Any:
    """A header → (field, unit) matcher over `fields` (names and Chinese headers)."""
    index: dict[str, str] = {}
    for field in fields.values():
        for text in (field.name, field.zh, *field.headers):
            index.setdefault(normalise_header(text), field.name)

    def match(text: str) -> tuple[str, str | None] | None:
        name = normalise_header(text)
        if name in index:
            found = index[name]
            bracket = _BRACKETED.match(name)
            unit = _bracket_unit(fields[found], bracket.group(2)) if bracket else None
            return found, unit if unit not in (None, "") else None
        bracket = _BRACKETED.match(name)
        if bracket is None:
            return None
        named = index.get(bracket.group(1)) or index.get(
            re.sub(r"\([^()]*\)", "", bracket.group(1))
        )
        if named is None:
            return None
        field = fields[named]
        if not field.is_amount:
            return named, None  # (是/否), (YYYY-MM-DD): a hint, not a unit
        unit = _bracket_unit(field, bracket.group(2))
        if unit is None:
            return None  # a unit that does not fit the field: the column is reported unknown
        return named, unit or None

    return match


def _bracket_unit(field: FirmField, inside: str) -> str | None:
    """The unit written in a header's bracket: "" when canonical, None when not a unit."""
    if field.kind == INTENSITY:
        return (
            ""
            if inside.replace(" ", "") in ("万元/亩", "万元/亩/年", "万元/亩·年")
            else None
        )
    factors = UNIT_FACTORS.get(field.kind)
    if not factors:
        return None
    for part in re.split(r"[,;、，；]", inside):
        unit = re.sub(r"/(?:a|年|yr|year)$", "", part.lower().replace("人民币", ""))
        if unit in factors:
            return "" if factors[unit] == 1 else unit
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellError("数值不是有限数 / number is not finite")
        return (
            str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        )
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10]
    return unicodedata.normalize("NFKC", str(value)).strip()


def _amount(value: Any, field: FirmField, unit: str | None) -> Decimal:
    if isinstance(value, bool):
        raise CellError("应为数值，不是是/否 / expected a number, not yes/no")
    text = _text(value)
    if unit and PLAIN_NUMBER.fullmatch(text):
        text += unit
    kind = field.kind
    if (
        kind == INTENSITY
    ):  # 万元/亩 is the only unit: written or not, the number is read
        text, kind = text.removesuffix("万元/亩").strip(), "ratio"
    try:
        amount = parse_amount(text, kind)
    except UnitError as exc:
        raise CellError(str(exc)) from None
    if not in_range(amount):
        raise CellError(f"{field.zh}{OUT_OF_RANGE}")
    if field.minimum == "positive" and amount <= 0:
        raise CellError(f"{field.zh}应大于 0 / must be positive")
    if field.minimum == "non_negative" and amount < 0:
        raise CellError(f"{field.zh}不能为负数 / must not be negative")
    return amount


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"应为 是/否 / expected yes or no, got {text!r}")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value < 80000 and value == int(value):  # an Excel serial day
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        text = _text(value)
        if re.fullmatch(r"\d{8}", text):
            value = text
    text = _text(value)
    match = _DATE.match(text) or (
        re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text) if text.isdigit() else None
    )
    if match:
        year, month, day = (int(g) if g else 1 for g in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            pass
    raise CellError(f"应为日期，如 2023-05-01 / expected a date, got {text!r}")


def _integer(value: Any) -> int:
    is_number = isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
    if is_number and math.isfinite(value) and value == int(value):
        return int(value)
    text = _text(value).removesuffix("年").removesuffix("年度")
    if text.isdigit():
        return int(text)
    raise CellError(f"应为整数 / expected a whole number, got {_text(value)!r}")


def _scale(value: Any) -> str:
    text = re.sub(r"\s+", "", _text(value)).lower()
    found = _SCALE.get(text)
    if found is None:
        raise CellError(
            f"应为 规上 或 规下 / expected 规上 or 规下, got {_text(value)!r}"
        )
    return found


_CODE_VALUE = {ch: i for i, ch in enumerate(_CODE_CHARS)}
_CODE_FORM = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")


def credit_code(value: Any) -> str:
    """A 统一社会信用代码, normalised; CellError when its form or check digit is wrong."""
    code = value if type(value) is str and _CODE_FORM.fullmatch(value) else None
    if code is None:
        code = re.sub(r"\s+", "", _text(value)).upper()
    if not _CODE_FORM.fullmatch(code):
        raise CellError(
            f"统一社会信用代码应为 18 位（数字与大写字母，不含 I O Z S V），实际为 {code!r} / "
            "a credit code has 18 characters"
        )
    total = sum(
        map(operator.mul, map(_CODE_VALUE.__getitem__, code[:17]), _CODE_WEIGHTS)
    )
    check = _CODE_CHARS[(31 - total % 31) % 31]
    if code[-1] != check:
        raise CellError(
            f"统一社会信用代码校验位不符（应为 {check}）：{code} / check character does not match"
        )
    return code


def _is_empty(value: Any) -> bool:
    return value is None or (type(value) is str and value.strip().lower() in EMPTY)


def convert(value: Any, field: FirmField, unit: str | None) -> Any:
    """One cell as the evaluation reads it; None for an empty cell."""
    if type(value) is Overlong:
        raise CellError(
            f"单元格超过 {value.limit:,} 个字符，无法读取 / cell longer than {value.limit:,} "
            "characters"
        )
    if type(value) is UncomputedFormula:  # not an empty cell: its figure is unknown
        raise CellError(value.reason)
    if _is_empty(value):
        return None
    if isinstance(value, str) and "\ufffd" in value:
        raise CellError(
            "含无法解码的字节，请检查文件编码 / undecodable bytes in this cell"
        )
    if field.name == "credit_code":
        return credit_code(value)
    if field.is_amount:
        return _amount(value, field, unit)
    if field.kind == "bool":
        return _flag(value)
    if field.kind == "date":
        return _date(value)
    if field.kind == "integer":
        return _integer(value)
    if field.kind == "scale":
        return _scale(value)
    if isinstance(value, str):
        return value.strip()  # names and codes as written
    return _text(value)


def converter(field: FirmField, unit: str | None) -> Any:
    """`convert` for one column, with a fast path for the commonest cells.

    A plain number in an amount column (most cells of a 亩均 sheet) is read by
    Decimal directly; anything else — units, thousands separators, full-width
    digits, placeholders — by `convert`. Both give the same value.
    """
    if field.name == "credit_code":
        return _code_cell
    if field.kind in ("text", "bool", "scale", "date"):
        return _FAST[field.kind](field, unit)
    if not field.is_amount or field.kind == INTENSITY:
        return lambda value: convert(value, field, unit)
    factor = UNIT_FACTORS[field.kind].get(unit.lower()) if unit else None
    minimum = field.minimum

    def amount(value: Any) -> Any:
        kind = type(value)
        if kind is str:
            if "_" in value:  # Decimal reads 1_000; the unit parser, rightly, does not
                return convert(value, field, unit)
            try:
                number = Decimal(value)
            except InvalidOperation:
                return convert(value, field, unit)
        elif kind is int:
            number = Decimal(value)
        elif kind is float and math.isfinite(value):
            number = Decimal(repr(value))
        else:
            return convert(value, field, unit)
        if not number.is_finite() or (unit and factor is None):
            return convert(value, field, unit)
        if factor is not None:
            try:
                number = _EXACT.multiply(number, factor)
            except ArithmeticError:
                return convert(value, field, unit)
        if minimum is not None and (
            number <= 0 if minimum == "positive" else number < 0
        ):
            return convert(value, field, unit)  # worded there
        if not in_range(number):
            return convert(value, field, unit)  # worded there
        return number

    return amount


def _code_cell(value: Any) -> Any:
    if type(value) is str and _CODE_FORM.fullmatch(value):
        return credit_code(value)
    return convert(value, FIRM_FIELDS["credit_code"], None)


def _text_cell(field: FirmField, unit: str | None) -> Any:
    def text(value: Any) -> Any:
        if type(value) is str and "\ufffd" not in value:
            text = value.strip()
            return None if text.lower() in EMPTY else text
        return convert(value, field, unit)

    return text


def _lookup_cell(table: Mapping[str, Any]) -> Any:
    def make(field: FirmField, unit: str | None) -> Any:
        def lookup(value: Any) -> Any:
            if type(value) is str:
                found = table.get(value.strip())
                if found is not None:
                    return found
            return convert(value, field, unit)

        return lookup

    return make


def _date_cell(field: FirmField, unit: str | None) -> Any:
    def date(value: Any) -> Any:
        if type(value) is str and len(value) == 10:
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        return convert(value, field, unit)

    return date


# The cells most sheets hold, read without the general path (also by `cells`).
_YES_NO_CELLS = {"是": True, "否": False}
_SCALE_CELLS = {"规上": "规上", "规下": "规下"}

_FAST = {
    "text": _text_cell,
    "bool": _lookup_cell(_YES_NO_CELLS),
    "scale": _lookup_cell(_SCALE_CELLS),
    "date": _date_cell,
}


def _values(
    cells: Sequence[Any], columns: Sequence[tuple[int, str, str, Any]]
) -> dict[str, Any] | tuple[str, str]:
    """A row's values by field ({} for a blank row), or the header of its first cell
    that cannot be read and why."""
    values: dict[str, Any] = {}
    width = len(cells)
    for index, header, name, read in columns:
        raw = cells[index] if index < width else None
        if raw is None or raw == "":
            continue
        try:
            value = read(raw)
        except CellError as exc:
            return header, str(exc)
        if value is not None:
            values[name] = value
    return values


def _firm(
    source: str,
    number: int,
    cells: Sequence[Any],
    columns: Sequence[tuple[int, str, str, Any]],
) -> FirmRow:
    """One row read (its totals-row question asked by the caller, who knows the rows
    above): a firm, a blank row (values {}), or why it cannot be one."""
    values = _values(cells, columns)
    if isinstance(values, tuple):
        return FirmRow(source, number, None, *values)
    return _identified(source, number, values)


def _identified(source: str, number: int, values: dict[str, Any]) -> FirmRow:
    if values and "credit_code" not in values and "name" not in values:
        return FirmRow(
            source,
            number,
            None,
            None,
            "缺少统一社会信用代码和企业名称 / neither a credit code nor a firm name",
        )
    return FirmRow(source, number, values)


@dataclass
class FirmTable:
    """An opened firms file: its header and warnings, and its rows as FirmRows."""

    table: Table
    fields: Mapping[str, FirmField]

    @property
    def warnings(self) -> list[Diagnostic]:
        """Header columns that map to nothing."""
        return self.table.warnings

    @property
    def columns(self) -> tuple[HeaderColumn, ...]:
        """The mapped columns."""
        return self.table.columns

    def __iter__(self) -> Iterator[FirmRow]:
        """Every row but blank ones, in order; a totals row skipped, with its reason."""
        columns = [
            (c.index, c.header, c.field, converter(self.fields[c.field], c.unit))
            for c in self.table.columns
        ]
        source = self.table.source
        totals = firm_totals(
            ((c.index, c.header, c.field, c.unit) for c in self.table.columns),
            self.fields,
        )
        summed = totals.figure_fields
        for number, cells in self.table.rows:
            values = _values(cells, columns)
            if values == {}:  # a blank row
                continue
            if isinstance(values, tuple):  # a bad cell: only a label skips the row
                label = totals.labelled(cells)
                if label is None:
                    yield FirmRow(source, number, None, *values)
                else:
                    yield FirmRow(source, number, None, skipped=label)
                continue
            reason = totals.skip_figures(cells, [values.get(f) for f in summed])
            if reason is not None:
                yield FirmRow(source, number, None, skipped=reason)
            else:
                yield _identified(source, number, values)

    def close(self) -> None:
        """Release the file."""
        self.table.close()


def read_firms(
    path: Path | str,
    fields: Mapping[str, FirmField] | None = None,
    sheet: str | None = None,
) -> FirmTable:
    """Open a firms spreadsheet; rows come as FirmRows (see `FirmTable`)."""
    fields = fields if fields is not None else FIRM_FIELDS
    return FirmTable(open_table(path, vocabulary(fields), sheet), fields)
