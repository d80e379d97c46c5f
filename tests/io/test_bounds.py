"""CSV and JSONL within bounds: a long cell or line spoils its row, the rest is read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from screening.io.readers import RowError, parse_deferred, read_rows
from screening.io.tables import InputError, Limits, Overlong, open_table

SMALL = Limits(max_line_chars=1_000, max_cell_chars=100, max_rows=20)


def _read(path: Path, **kwargs: Any) -> list[tuple[int, Any, Any]]:
    with read_rows(path, **kwargs) as stream:
        return [(row.number, row.data, row.error) for row in stream]


def _long(column: str) -> RowError:
    return RowError(
        column,
        "单元格超过 32,767 个字符，无法读取 / cell longer than 32,767 characters",
    )


def test_a_long_csv_cell_names_its_column(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(
        "项目名称,总投资,园区\n甲,1," + "长" * 40_000 + "\n乙,2,高新区\n",
        encoding="utf-8",
    )
    assert _read(path) == [
        (2, None, _long("园区")),
        (
            3,
            {
                "name": "乙",
                "investment": {"total": "2"},
                "park": "高新区",
                "id": "long-row3",
            },
            None,
        ),
    ]


def test_a_fifty_megabyte_csv_line_is_cut_not_held(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="gbk") as handle:
        handle.write("项目名称,总投资,园区\n甲,1,")
        for _ in range(50):
            handle.write("长" * 1_000_000)
        handle.write("\n乙,2,高新区\n")
    rows = _read(path)
    # the line is cut at the line bound; the cell it was cut in is the one reported
    reason = (
        "所在行超过 2,097,152 个字符，在此列截断，未读取 / the line is longer than "
        "2,097,152 characters (cut in this column), not read"
    )
    assert rows[0] == (2, None, RowError("园区", reason))
    assert rows[1][0] == 3 and rows[1][1]["park"] == "高新区"


def _shown(cells: list[Any]) -> list[Any]:
    """Cells with an Overlong as its bound and kind (its length is "at least")."""
    return [(c.limit, c.line) if isinstance(c, Overlong) else c for c in cells]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # cut inside a quoted cell whose quote closes in the part skipped
        (
            'a,b\n1,"' + "x" * 2_000 + '"\n2,3\n',
            [(2, ["1", (1_000, True)]), (3, ["2", "3"])],
        ),
        # the same, the quote closing in the part kept, a long cell after it
        (
            'a,b\n"1",' + "y" * 2_000 + "\n2,3\n",
            [(2, ["1", (1_000, True)]), (3, ["2", "3"])],
        ),
        # a quote in the middle of a cell is literal, as csv reads it
        ('a,b\n5"寸屏,1\n2,3\n', [(2, ['5"寸屏', "1"]), (3, ["2", "3"])]),
        # under the line bound, over the cell bound
        ("a,b\n1," + "z" * 500 + "\n", [(2, ["1", (100, False)])]),
    ],
)
def test_csv_lines_past_the_bound(
    tmp_path: Path, text: str, expected: list[tuple[int, list[Any]]]
) -> None:
    path = tmp_path / "q.csv"
    path.write_text(text, encoding="utf-8")
    with open_table(path, lambda t: t or None, limits=SMALL) as table:
        assert [(n, _shown(cells)) for n, cells in table] == expected


def test_a_quote_never_closed_spoils_one_row(tmp_path: Path) -> None:
    # the record runs on past the line bound: that row is invalid, the lines after it
    # are read again as rows of their own
    path = tmp_path / "open.csv"
    path.write_text('a,b\n1,"open\n' + "line\n" * 300 + "2,3\n", encoding="utf-8")
    with open_table(
        path, lambda t: t or None, limits=Limits(max_line_chars=1_000)
    ) as t:
        rows = list(t)
    assert (rows[0][0], _shown(rows[0][1])) == (2, ["1", (1_000, True)])
    assert rows[-1][1] == ["2", "3"] and all(len(cells) <= 2 for _, cells in rows)


def test_too_many_csv_rows_are_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("项目名称,总投资\n" + "甲,1\n" * 25, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_rows(path, limits=SMALL)
    assert str(caught.value) == (
        f"{path}: [INP] 超过 20 行（本次读取的上限），请拆分文件 / more than 20 rows "
        "(the limit set for this reading): split the file"
    )


def test_the_default_row_limit_is_excels_and_says_how_to_raise_it(
    tmp_path: Path,
) -> None:
    from screening.io.tables import DEFAULT_LIMITS, rows_bound

    assert DEFAULT_LIMITS.max_rows == 1_048_576
    assert rows_bound(DEFAULT_LIMITS) == (
        "Excel 的上限；batch 与 register import 可用 --max-rows 调高",
        "Excel's limit; batch and register import take --max-rows to raise it",
    )
    # a bound set for one reading (an upload's) is never called Excel's
    assert "Excel" not in "".join(rows_bound(Limits(max_rows=100_000)))


def test_line_breaks_inside_cells_are_not_rows(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text(
        '项目名称,总投资\n"甲\n' + "续\n" * 30 + '",1\n乙,2\n', encoding="utf-8"
    )
    assert [n for n, _, _ in _read(path, limits=SMALL)] == [2, 3]


def test_a_long_jsonl_line_spoils_its_row_only(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    long = json.dumps({"id": "L", "name": "长" * 5_000}, ensure_ascii=False)
    path.write_text(f'{{"id": "A"}}\n{long}\n{{"id": "C"}}\n', encoding="utf-8")
    reason = "行超过 1,000 个字符，未读取 / line longer than 1,000 characters, not read"
    expected = [
        (1, {"id": "A"}, None),
        (2, None, RowError(None, reason)),
        (3, {"id": "C"}, None),
    ]
    assert _read(path, limits=SMALL) == expected
    with read_rows(path, limits=SMALL, deferred=True) as stream:
        deferred = [parse_deferred(row, None) for row in stream]
    assert [(r.number, r.data, r.error) for r in deferred] == expected


@pytest.mark.parametrize("depth", [70, 100_000])
def test_deep_jsonl_nesting_is_a_row_error(tmp_path: Path, depth: int) -> None:
    # 100,000 deep used to kill a worker with RecursionError; 70 is under the decoder's
    # own guard but over ours
    path = tmp_path / "deep.jsonl"
    deep = '{"id": "D", "extra": {"x": ' + "[" * depth + "]" * depth + "}}"
    path.write_text(f'{{"id": "A"}}\n{deep}\n{{"id": "C"}}\n', encoding="utf-8")
    reason = "JSON 嵌套超过 64 层 / nested deeper than 64 levels"
    expected = [
        (1, {"id": "A"}, None),
        (2, None, RowError(None, reason)),
        (3, {"id": "C"}, None),
    ]
    assert _read(path, limits=Limits(max_line_chars=1 << 20)) == expected
    with read_rows(path, deferred=True, limits=Limits(max_line_chars=1 << 20)) as rows:
        assert [parse_deferred(r, None).error for r in rows] == [
            e for _, _, e in expected
        ]


def test_moderate_nesting_is_read(tmp_path: Path) -> None:
    path = tmp_path / "ok.jsonl"
    path.write_text('{"id": "A", "extra": {"x": [[[[1]]]]}}\n', encoding="utf-8")
    assert _read(path)[0][1] == {"id": "A", "extra": {"x": [[[[1]]]]}}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.text(st.characters(codec="utf-8"), max_size=30), max_size=6),
        max_size=8,
    ),
    st.sampled_from([",", "\t"]),
)
@example([["SUBTOTAL"]], ",")  # found by hypothesis in CI: a totals row, skipped
def test_any_csv_gives_rows_or_row_errors(
    tmp_path_factory: pytest.TempPathFactory, records: list[list[str]], sep: str
) -> None:
    """Whatever the cells, a CSV under a header reads as rows, row errors or skipped
    rows (a name cell such as SUBTOTAL makes a totals row): each row exactly one."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep)
    writer.writerow(["项目名称", "总投资(万元)", "是否位于生态保护红线", "地区分类"])
    writer.writerows(records)
    path = tmp_path_factory.mktemp("h") / ("x.tsv" if sep == "\t" else "x.csv")
    path.write_text(out.getvalue(), encoding="utf-8")
    with read_rows(path, limits=SMALL) as stream:
        rows = [(row.number, row.data, row.error, row.skip) for row in stream]
    assert all(
        [data is not None, error is not None, skip is not None].count(True) == 1
        for _, data, error, skip in rows
    )
    assert [n for n, *_ in rows] == sorted({n for n, *_ in rows})


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_after_a_header_never_escape(
    tmp_path_factory: pytest.TempPathFactory, noise: bytes
) -> None:
    """Bytes that are not text, quotes never closed, NULs: rows, row errors, or one
    InputError for the file, never another exception."""
    folder = tmp_path_factory.mktemp("b")
    for name in ("x.csv", "x.jsonl"):
        path = folder / name
        head = "项目名称,总投资\n" if name.endswith(".csv") else '{"id": "A"}\n'
        path.write_bytes(head.encode() + noise)
        try:
            rows = _read(path, limits=SMALL)
        except InputError:
            continue
        assert all((data is None) != (error is None) for _, data, error in rows)
