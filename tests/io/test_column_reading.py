"""Rows read a column at a time, and totals told apart a chunk at a time, give what the
cell-by-cell and row-by-row readings give, for any cells (hypothesis)."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.io import readers
from screening.io.columns import FIELD_KINDS, Column, HeaderMap
from screening.io.readers import CellError, RowError, convert_cell
from screening.io.tables import Overlong
from screening.io.totals import Totals
from screening.io.workbook import _beyond, _column_letters, column_number
from screening.model.units import bare_digits

# every kind of field a header can map to, with and without a unit of its own
FIELDS = [
    ("id", None),
    ("name", None),
    ("industry", None),
    ("region_class", None),
    ("investment.total", None),
    ("investment.total", "亿元"),
    ("land.area_mu", "公顷"),
    ("land.green_ratio", None),
    ("land.green_ratio", "%"),
    ("output.employees", None),
    ("environment.in_red_line", None),
    ("environment.catalogue", None),
    ("environment.eia_category", None),
    ("environment.emissions.so2_t", "kg"),
    ("extra.rating", None),
]
assert {FIELD_KINDS.get(field, "extra") for field, _ in FIELDS} >= {
    "text",
    "integer",
    "money",
    "fraction",
    "bool",
    "catalogue",
    "eia",
    "extra",
}

WORDS = st.sampled_from(
    ["", " ", "-", "N/A", "null", "是", "否", "√", "×", "鼓励类", "限制", "报告表",
     "登记表", "report", "第三类", "二", "3", "4500", "12.5", "12.", ".5", "15%",
     "15％", "４５００", "２．４", "52,000", "1e5", "3.5亿元", "120 亩", "2024-03-05",
     "C3841", "abc", "\ufffd", " 项目 ", "1" * 20, "-5", "+7"]
)  # fmt: skip
CELLS = st.one_of(
    st.none(),
    WORDS,
    st.text(max_size=8),
    st.integers(min_value=-(10**17), max_value=10**17),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.1, 0.15, 4500.0, 1e-7, 1e16, 123456789012345.67, -0.0]),
    st.booleans(),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.builds(Overlong, st.integers(32_768, 10**6), st.just(32_767), st.booleans()),
)


def _by_cell(value: object, column: Column) -> object:
    """What `convert_cell` gives, or the error it raises, as a comparable value."""
    try:
        return convert_cell(value, column)
    except CellError as exc:
        return ("error", str(exc))


def _same(a: object, b: object) -> bool:
    if isinstance(a, CellError):
        a = ("error", str(a))
    return type(a) is type(b) and (a == b or (a != a and b != b))


@settings(deadline=None)
@given(st.sampled_from(FIELDS), st.lists(CELLS, min_size=1, max_size=20))
def test_a_column_reads_each_cell_as_convert_cell_does(
    field: tuple[str, str | None], cells: list[object]
) -> None:
    column = Column(0, "h", *field)
    reader = readers._column(column)
    got = list(map(reader.read, cells))
    for value, cell in zip(got, cells, strict=True):
        assert _same(value, _by_cell(cell, column)), cell
    # the errors returned are also noted, in order
    assert [str(e) for e in reader.failures] == [
        str(v) for v in got if isinstance(v, CellError)
    ]


PLAIN_CELLS = st.one_of(
    st.none(),
    WORDS,
    st.sampled_from(["15%", "3.1%", "0%", "12.5%", " 15%", "1" * 15 + "%", "是 "]),
    st.integers(min_value=-(10**17), max_value=10**17),
    st.sampled_from([0, 1, 0.0, 1.0, -0.0, 0.5, 52970.0, 1e15, 1e-7, True, False]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal(1), Decimal("3.0"), Decimal("0.15")]),
)


@settings(deadline=None)
@given(st.sampled_from(FIELDS), st.lists(PLAIN_CELLS, min_size=1, max_size=30))
def test_a_chunk_s_column_reads_as_its_cells_one_by_one(
    field: tuple[str, str | None], cells: list[object]
) -> None:
    # twice: the second reading finds the first one's figures already known
    reader = readers._column(Column(0, "h", *field))
    for _ in range(2):
        got = reader.read_all(cells)
        for value, cell in zip(got, cells, strict=True):
            assert _same(value, _by_cell(cell, Column(0, "h", *field))), cell


@pytest.mark.parametrize("field", FIELDS)
def test_cells_equal_to_a_known_figure_still_read_as_their_own_type(
    field: tuple[str, str | None],
) -> None:
    # True == 1.0 and Decimal("3.0") == 3.0 as keys, but neither reads as the float
    column = Column(0, "h", *field)
    reader = readers._column(column)
    known: list[object] = [1.0, 0.0, 3.0, "15%", 0.5]
    for cells in (known, [True, False, 1, 0, "15%"], [Decimal("3.0"), 3, 1.0]):
        got = reader.read_all(cells)
        for value, cell in zip(got, cells, strict=True):
            assert _same(value, _by_cell(cell, column)), cell


def _row_by_row(
    cells: list[object], columns: list[Column]
) -> tuple[dict[str, Any] | None, RowError | None]:
    """The reading one cell after another (the first unreadable cell reported)."""
    data: dict[str, Any] = {}
    for column in columns:
        raw = cells[column.index] if column.index < len(cells) else None
        try:
            value = convert_cell(raw, column)
        except CellError as exc:
            return None, RowError(column.header, str(exc))
        if value is readers._ABSENT:
            continue
        *parents, leaf = column.field.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return data, None


def _unique_fields(
    fields: list[tuple[str, str | None]],
) -> list[tuple[str, str | None]]:
    seen: dict[str, tuple[str, str | None]] = {}
    for field, unit in fields:
        seen.setdefault(field, (field, unit))
    return list(seen.values())


@settings(deadline=None)
@given(
    st.lists(st.sampled_from(FIELDS), min_size=1, max_size=8).map(_unique_fields),
    st.lists(st.lists(CELLS, max_size=9), min_size=1, max_size=12),
)
def test_rows_read_by_column_are_the_rows_read_cell_by_cell(
    fields: list[tuple[str, str | None]], rows: list[list[object]]
) -> None:
    columns = [Column(i, f"列{i}", f, u) for i, (f, u) in enumerate(fields)]
    readings = tuple(readers._column(c) for c in columns)
    got = readers._projects(rows, readings, readers._Group.of(readings))
    assert got == [_row_by_row(cells, columns) for cells in rows]


def _totals_header() -> HeaderMap:
    return HeaderMap(
        (
            Column(0, "序号", "id"),
            Column(1, "项目名称", "name"),
            Column(2, "总投资(万元)", "investment.total"),
            Column(3, "用地面积(公顷)", "land.area_mu", "公顷"),
            Column(4, "从业人数", "output.employees"),
        )
    )


_FIGURES = st.one_of(
    st.none(),
    st.sampled_from(["", 0, 0.0, 1, 2, 3, 2.5, 5.5, "2", "3.5", "1.2万", "７"]),
    st.integers(0, 5),
)


@st.composite
def _table(draw: Any) -> list[list[object]]:
    """Data rows, some followed by a row of the sums above (or a labelled one)."""
    rows: list[list[object]] = []
    for number in range(draw(st.integers(1, 30))):
        kind = draw(st.sampled_from(["row", "row", "row", "sums", "label"]))
        if kind == "row" or not rows:
            figures = [draw(_FIGURES) for _ in range(3)]
            rows.append(
                [number, draw(st.sampled_from(["项目", "", "汇川项目"])), *figures]
            )
        elif kind == "sums":
            sums = [
                sum(_number(row[i]) for row in rows if not isinstance(row[0], str))
                for i in (2, 3, 4)
            ]
            rows.append([None, None, *(float(s) for s in sums)])
        else:
            rows.append(["合计", None, 1, 2, 3])
    return rows


def _number(value: object) -> Decimal:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value):
        return Decimal(value)
    return Decimal(0)


def _data_rows(
    rows: list[list[object]], header: Any
) -> list[tuple[list[object], dict[str, Any]]]:
    """The rows that read as projects, each with its cells (what Totals is given)."""
    columns = tuple(readers._column(c) for c in header.columns)
    projects = readers._projects(rows, columns, readers._Group.of(columns))
    return [
        (cells, data)
        for cells, (data, error) in zip(rows, projects, strict=True)
        if error is None and data
    ]


@settings(deadline=None)
@given(_table(), st.integers(1, 7))
def test_totals_told_apart_a_chunk_at_a_time_as_row_by_row(
    rows: list[list[object]], size: int
) -> None:
    header = _totals_header()
    data_rows = _data_rows(rows, header)
    one_by_one = Totals(header)
    expected = [one_by_one.skip(cells, data) for cells, data in data_rows]
    chunked = Totals(header)
    got: list[str | None] = []
    for start in range(0, len(data_rows), size):
        got += chunked.skips(data_rows[start : start + size])
    assert got == expected


def test_a_sum_past_exact_arithmetic_stops_the_sums_as_row_by_row() -> None:
    header = _totals_header()
    big = "9" * 59
    rows = [[1, "a", big, 1, 1], [2, "b", big, 2, 2], [3, "c", 5, 3, 3]]
    rows += [[4, "d", 5, 6, 6], [None, None, 10, 9, 9]]
    data_rows = [(cells, {"investment": {"total": str(cells[2])}}) for cells in rows]
    one_by_one = Totals(header)
    expected = [one_by_one.skip(cells, data) for cells, data in data_rows]
    assert Totals(header).skips(data_rows) == expected


@settings(deadline=None)
@given(
    st.integers(1, 16_384),
    st.integers(1, 1_048_576),
    st.integers(1, 16_500),
    st.integers(1, 1_100_000),
    st.booleans(),
)
def test_a_reference_is_beyond_exactly_when_past_the_extent(
    last_column: int, last_row: int, column: int, row: int, with_letters: bool
) -> None:
    letters = _column_letters(column) if with_letters else ""
    reference = f' r="{letters}{row}"'.encode()
    past = row > last_row or (with_letters and column > last_column)
    assert bool(_beyond(last_column, last_row).search(reference)) == past
    assert column_number(_column_letters(column).encode()) == column


@pytest.mark.parametrize("reference", ['A"', '5A"', 'a1"', 'A1 "', '"', 'A-1"'])
def test_a_reference_spelt_otherwise_is_beyond(reference: str) -> None:
    assert _beyond(20, 100).search(f' r="{reference}'.encode())


@settings(deadline=None)
@given(st.text(alphabet="0123456789.٣５a -+e", max_size=8))
def test_bare_digits_is_the_pattern_it_replaces(text: str) -> None:
    assert bare_digits(text) == bool(re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", text))


def test_extra_figures_read_as_offices_type_them() -> None:
    column = Column(0, "评分", "extra.rating")
    assert convert_cell("1,200", column) == Decimal(1200)
    assert convert_cell("85", column) == Decimal(85)
    assert convert_cell("5.", column) == Decimal(5)
    assert convert_cell("一级", column) == "一级"
    assert convert_cell(0.5, column) == Decimal("0.5")
    assert math.isclose(float(convert_cell("1e3", column)), 1000.0)  # type: ignore[arg-type]


def test_a_data_row_made_at_once_is_the_row_its_constructor_makes() -> None:
    data = {"id": "p1", "name": "项目"}
    fast = readers._data_row("leads.xlsx", 7, data)
    assert fast == readers.Row("leads.xlsx", 7, data)
    assert repr(fast) == repr(readers.Row("leads.xlsx", 7, data))
    assert fast.error is fast.text is fast.skip is None


@settings(deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from([0.0, -0.0, 41050.0, 1e15, 1e16, 0.1, 2.5, -3.0]),
        ),
        max_size=6,
    )
)
def test_floats_read_at_once_read_as_each_alone(values: list[float]) -> None:
    from screening.io.tables import float_text, float_texts

    texts = float_texts(values)
    finite = all(map(math.isfinite, values))
    if texts is not None:
        assert finite and texts == [float_text(value) for value in values]
        assert all(len(text) < 16 and "e" not in text for text in texts)
    elif finite:  # refused only for a text past the shortest one
        assert any(len(repr(value)) > 15 or "e" in repr(value) for value in values)


FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.1, 4500.0, -0.0, 1e16, 41015.58, 123456789012345.67]),
)


@settings(deadline=None)
@given(
    st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4).map(_unique_fields),
    st.lists(st.lists(FLOATS, min_size=4, max_size=4), min_size=1, max_size=12),
)
def test_columns_of_floats_read_at_once_as_cell_by_cell(
    fields: list[tuple[str, str | None]], rows: list[list[object]]
) -> None:
    columns = [Column(i, f"列{i}", f, u) for i, (f, u) in enumerate(fields)]
    readings = tuple(readers._column(c) for c in columns)
    for _ in range(2):  # the second time, the figures are known
        got = readers._projects(rows, readings, readers._Group.of(readings))
        assert got == [_row_by_row(cells, columns) for cells in rows]


@settings(deadline=None)
@given(st.lists(st.lists(FLOATS, min_size=3, max_size=3), min_size=1, max_size=20))
def test_totals_of_floats_a_chunk_at_a_time_as_row_by_row(
    figures: list[list[float]],
) -> None:
    header = _totals_header()
    rows = [[n, "项目", *row] for n, row in enumerate(figures)]
    # a row of the sums (as floats add them: exact or not, it is read alike)
    rows += [[None, None, *map(sum, zip(*figures, strict=True))]]
    data_rows = _data_rows(rows, header)
    one_by_one = Totals(header)
    expected = [one_by_one.skip(cells, data) for cells, data in data_rows]
    assert Totals(header).skips(data_rows) == expected
