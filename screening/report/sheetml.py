"""SpreadsheetML cells and rows as bytes, and the columns of the workbook's sheets.

One cell's XML from a value (`cell_xml`: text as an inline string, never a formula;
numbers as numbers; a `Styled` value with its cell style), a row's from its values
(`row_xml`), escaping only what XML 1.0 or Excel needs. A value no cell can hold (a
figure beyond Excel's range, a text longer than 32,767 characters) is refused with
`Unrepresentable`. Cells and rows carry no reference (see `report.xlsx`). Shared by
the rows of a decision (`report.xlsx_rows`) and the workbook (`report.xlsx`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from screening.io import excel
from screening.report.html import label, value_text

MAX_ROWS = excel.ROWS  # a sheet's rows, header included; past them a sheet continues
MAX_FAILED = 5  # failed rules listed in a summary cell; the findings sheet has them all
EXCEL_CHARS = excel.CELL_CHARS
EXCEL_LARGEST = excel.LARGEST


class Unrepresentable(ValueError):
    """A value that an XLSX cell cannot hold; the message says which and why."""


SUMMARY = (
    ("id", 16),
    ("name", 36),
    ("company", 28),
    ("decision", 8),
    ("score", 8),
    ("vetoed_by", 24),
    ("main_failed", 48),
    ("missing", 28),
    ("to_pass", 56),
)
FINDINGS = (
    ("id", 16),
    ("name", 30),
    ("rule", 28),
    ("rule_id", 24),
    ("group", 14),
    ("kind", 10),
    ("status", 9),
    ("actual", 12),
    ("threshold", 12),
    ("unit", 10),
    ("points", 8),
    ("max_points", 8),
    ("message", 50),
    ("basis", 40),
    ("remedy", 50),
)
ERRORS = (("source", 36), ("row", 8), ("column", 24), ("reason", 70), ("error_kind", 8))
RULESET = (("item", 18), ("value", 70))

# labels only the workbook needs; the others are the HTML report's (html.label)
_LABELS = {
    "zh": {
        "error_kind": "情况",
        "invalid_kind": "无效",
        "skipped_kind": "跳过",
        "ruleset_path": "规则集文件",
        "rule_id": "规则编号",
    },
    "en": {
        "error_kind": "Kind",
        "invalid_kind": "invalid",
        "skipped_kind": "skipped",
        "ruleset_path": "Rule set file",
        "rule_id": "Rule id",
    },
}


def sheet_label(key: str, lang: str) -> str:
    return _LABELS[lang].get(key) or label(key, lang)


# ---- cells ---------------------------------------------------------------------------

# cell styles, by their index in styles.xml's cellXfs
PLAIN, HEADER, WRAP, PASS, REVIEW, REJECT = range(6)
DECISION_STYLE = {"pass": PASS, "review": REVIEW, "reject": REJECT}
STATUS_STYLE = {"pass": PASS, "fail": REJECT, "missing": REVIEW}


class Styled(NamedTuple):
    """A value written with a cell style other than the plain one."""

    value: Any
    style: int


def _column(index: int) -> bytes:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters.encode()


COLUMN_REFS = [_column(i) for i in range(1, 27)]
# Cells carry no reference (SpreadsheetML's `r` is optional: each cell is the column
# after the one before it): a cell left empty between two others is an empty `<c/>`,
# empty cells that end a row are left out. Rows carry no number either.
EMPTY = b"<c/>"
# what opens a text cell, up to its text, by style
TEXT_OPENINGS = [
    b'<c t="inlineStr"' + (b' s="%d"' % style if style else b"") + b"><is><t>"
    for style in range(6)
]
TEXT_END = b"</t></is></c>"
NUMBER_OPENING = b"<c><v>"
NUMBER_END = b"</v></c>"
XML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
# Characters XML 1.0 cannot carry (control characters make Excel refuse the whole
# file): dropped. An "_xHHHH_" in the text, which Excel would decode as an escape: its
# "_" escaped, so Excel shows the text as typed (XlsxWriter does the same).
_SPECIAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


def _special(match: re.Match[str]) -> str:
    return "_x005F_" if match.group() == "_" else ""


# anything text_cell must change; most texts have none of it
NEEDS_WORK = re.compile(
    r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]|_x[0-9A-Fa-f]{4}_"
).search
SPACES = " \t\n\r\u3000"


def text_cell(text: str, style: int) -> bytes:
    if len(text) > EXCEL_CHARS:
        raise Unrepresentable(
            f"文本长 {len(text):,} 字符，超过 Excel 单元格上限 {EXCEL_CHARS:,} / "
            f"a text of {len(text):,} characters: more than an Excel cell holds"
        )
    escaped = text
    if NEEDS_WORK(text) is not None:
        for plain, entity in XML_ESCAPES:
            if plain in escaped:
                escaped = escaped.replace(plain, entity)
        escaped = _SPECIAL.sub(_special, escaped)
    try:
        body = escaped.encode()
    except UnicodeEncodeError:
        raise Unrepresentable(
            "含无法编码的字符 / text with characters that cannot be encoded"
        ) from None
    opening = TEXT_OPENINGS[style]
    if text[0] in SPACES or text[-1] in SPACES:
        opening = opening[:-1] + b' xml:space="preserve">'
    return opening + body + TEXT_END


def number_cell(value: int | float, style: int) -> bytes:
    if not -EXCEL_LARGEST <= value <= EXCEL_LARGEST:
        raise Unrepresentable(
            "数值超出 Excel 单元格可表示的范围（绝对值不超过 9.99999999999999E+307）/ "
            "a figure beyond what an Excel cell can hold"
        )
    text = float.__repr__(value) if type(value) is float else int.__repr__(value)
    styled = b' s="%d"' % style if style else b""
    return b"<c" + styled + b"><v>" + text.encode() + NUMBER_END


def cell_xml(value: Any) -> bytes:
    if type(value) is str:  # the most common: no style
        return text_cell(value, PLAIN) if value else EMPTY
    style = PLAIN
    if type(value) is Styled:
        value, style = value
    if value is None or value == "":
        return EMPTY
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number_cell(value, style)
    return text_cell(str(value), style)


def trimmed(cells: bytes) -> bytes:
    """Cells that end a row without their trailing empty ones."""
    while cells.endswith(EMPTY):
        cells = cells[: -len(EMPTY)]
    return cells


def cells_xml(
    values: Sequence[Any],
    columns: tuple[tuple[str, int], ...],
    first: int = 0,
    ends: bool = True,
    lang: str = "zh",
) -> bytes:
    """The cells of `values` from column `first` (0 for A); `ends`: they end the row.
    A value no cell holds is refused naming its column as the sheet heads it in `lang`."""
    try:
        cells = b"".join([cell_xml(v) for v in values])
    except Unrepresentable as exc:  # say which column: found again, on this rare path
        for i, value in enumerate(values):
            try:
                cell_xml(value)
            except Unrepresentable:
                raise Unrepresentable(
                    f"{sheet_label(columns[first + i][0], lang)}: {exc}"
                ) from None
        raise
    return trimmed(cells) if ends else cells


ROW_OPENING = b"<row>"


def row_body(
    values: Sequence[Any], columns: tuple[tuple[str, int], ...], lang: str = "zh"
) -> bytes:
    """A row without its opening tag (`lang`: the words of a refusal, see `cells_xml`)."""
    return cells_xml(values, columns, lang=lang) + b"</row>"


def row_xml(
    values: Sequence[Any], columns: tuple[tuple[str, int], ...], lang: str = "zh"
) -> bytes:
    return ROW_OPENING + row_body(values, columns, lang)


def number_or_text(value: Any, lang: str) -> Any:
    # Numbers stay numbers so the sheet sorts and filters; lists and booleans: text.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return value_text(value, lang) or None
