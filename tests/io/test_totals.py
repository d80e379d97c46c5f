"""Totals rows are skipped with their reason; offices' numbers and words are read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from screening.io.columns import Column, HeaderMap
from screening.io.readers import RowError, read_rows
from screening.io.totals import Roles, Totals, totals_label

HEAD = ["序号", "项目名称", "总投资(万元)", "用地面积(亩)", "从业人数", "绿地率"]
ROWS: list[list[Any]] = [
    [1, "锂电池项目", 52000, 120, 300, 0.12],
    [2, "铸造项目", 18000, 60, 150, 0.15],
    ["小计", None, 70000, 180, 450, None],
    [3, "物流中心", 9000, 45.5, 80, 0.2],
    [4, "化工项目", 1000.5, 10, 20, 0.1],
    [None, None, 10000.5, 55.5, 100, None],  # a subtotal with no label: its sums say so
    ["合 计：", None, 80000.5, 235.5, 550, 0.14],
    [5, "数据汇总中心建设项目", 5, 1, 2, 0.3],  # 汇总 in a project's name
]


def _rows(path: Path) -> list[tuple[int, Any, Any, Any]]:
    with read_rows(path) as stream:
        return [
            (r.number, r.data and r.data.get("name"), r.error, r.skip) for r in stream
        ]


SUMS = (
    "总投资(万元)、用地面积(亩)、从业人数 等于上方 2 行之和，视为合计行，不是项目 / "
    "总投资(万元)、用地面积(亩)、从业人数 equal the sums of the 2 rows above: "
    "a totals row, not a project"
)
EXPECTED = [
    (2, "锂电池项目", None, None),
    (3, "铸造项目", None, None),
    (4, None, None, "合计行（小计），不是项目 / a totals row (小计), not a project"),
    (5, "物流中心", None, None),
    (6, "化工项目", None, None),
    (7, None, None, SUMS),
    (
        8,
        None,
        None,
        "合计行（合 计：），不是项目 / a totals row (合 计：), not a project",
    ),
    (9, "数据汇总中心建设项目", None, None),
]


def test_totals_rows_in_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    book = openpyxl.Workbook()
    book.active.append(HEAD)
    for row in ROWS:
        book.active.append(row)
    book.save(path)
    assert _rows(path) == EXPECTED


def test_totals_rows_in_gbk_csv(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    lines = [",".join(HEAD)] + [
        ",".join("" if v is None else str(v) for v in row) for row in ROWS
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    assert _rows(path) == EXPECTED


def test_a_grand_total_after_subtotals_by_its_sums(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text(
        "项目名称,总投资,用地面积\n甲,10,1\n乙,20,2\n,30,3\n丙,5,4\n丁,6,5\n,11,9\n,41,12\n",
        encoding="utf-8",
    )
    skipped = [n for n, _, _, skip in _rows(path) if skip]
    assert skipped == [4, 7, 8]


@pytest.mark.parametrize(
    "rows",
    [
        # one row above: equal to it, not its sum
        "甲,10,1\n,10,1\n",
        # a named project whose two figures happen to be the sums: three are needed
        "甲,10,1\n乙,20,2\n丙,30,3\n",
        # zeros sum to zero
        "甲,0,0\n乙,0,0\n,0,0\n",
    ],
)
def test_rows_that_are_not_totals(tmp_path: Path, rows: str) -> None:
    path = tmp_path / "n.csv"
    path.write_text("项目名称,总投资,用地面积\n" + rows, encoding="utf-8")
    assert all(skip is None for _, _, _, skip in _rows(path))


def test_a_totals_row_with_an_unreadable_cell_is_still_skipped(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text(
        "项目名称,总投资,地区分类\n甲,10,2\n合计,10,—共—\n", encoding="utf-8"
    )
    assert [(n, skip is not None) for n, _, _, skip in _rows(path)] == [
        (2, False),
        (3, True),
    ]


@pytest.mark.parametrize(
    "text",
    ["合计", "合 计", "合　计", "总计:", "小计（一季度）", "本页小计", "全年合计",
     "平均", "平均值", "汇总", "共计", "Total", "SUBTOTAL", "Grand Total",
     "一季度小计", "汇总：", "合计（万元）", "总 计 (全年)"],
)  # fmt: skip
def test_totals_labels(text: str) -> None:
    assert totals_label(text)


@pytest.mark.parametrize(
    "text",
    ["数据汇总中心建设项目", "年产5万吨锂电池项目", "合计1", "NB-001", "Sumitomo",
     "总部经济平均收益提升工程项目", "total investment", "",
     # a company name that starts with a totals word (review minor (e))
     "汇总物流设备有限公司", "总计量检测有限公司", "小计中心", "合计收购项目"],
)  # fmt: skip
def test_not_totals_labels(text: str) -> None:
    assert not totals_label(text)


# ---- numbers and words as offices write them ---------------------------------------


def test_full_width_numbers_and_yes_no_words(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text(
        "项目名称,总投资,用地面积(亩),是否涉及生态保护红线\n"
        "甲,２．４亿元,４５００,不涉及\n乙,1200,１２．５,涉及\n",
        encoding="utf-8",
    )
    with read_rows(path) as stream:
        rows = [r.data for r in stream]
    assert [(r["investment"], r["land"], r["environment"]) for r in rows] == [
        ({"total": "2.4亿元"}, {"area_mu": "4500"}, {"in_red_line": False}),
        ({"total": "1200"}, {"area_mu": "12.5"}, {"in_red_line": True}),
    ]


def test_a_date_in_a_number_column(tmp_path: Path) -> None:
    message = (
        "应为数字，实际是日期 2024-03-05 / expected a number, got a date 2024-03-05"
    )
    xlsx = tmp_path / "d.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["项目名称", "总投资"])
    book.active.append(["甲", dt.datetime(2024, 3, 5)])
    book.save(xlsx)
    csv = tmp_path / "d.csv"
    csv.write_text("项目名称,总投资\n甲,2024-03-05\n乙,2024/3/5\n", encoding="utf-8")
    for path in (xlsx, csv):
        with read_rows(path) as stream:
            errors = [r.error for r in stream]
        assert set(errors) == {RowError("总投资", message)}


def test_many_unknown_columns_make_one_warning(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    extra = [f"备用{i}" for i in range(10_000)]
    path.write_text(
        ",".join(["项目名称", "总投资", *extra]) + "\n甲,1" + ",x" * 10_000 + "\n",
        encoding="utf-8",
    )
    with read_rows(path) as stream:
        warnings = [str(w) for w in stream.warnings]
        assert [r.data for r in stream] == [
            {"name": "甲", "investment": {"total": "1"}, "id": "wide-row2"}
        ]
    assert warnings == [
        f"{path}:1:3: [COL] 10,000 列未识别，已忽略（如 备用0、备用1、备用2、备用3、"
        "备用4 等）/ 10,000 unknown headers ignored (the first shown) "
        "(备用0、备用1、备用2、备用3、备用4)"
    ]


def test_a_label_does_not_skip_a_row_with_an_id_and_a_company_or_industry(
    tmp_path: Path,
) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(
        "项目编号,项目名称,企业名称,行业代码,总投资(亿元),用地面积(亩)\n"
        "B5,汇总表说明,戊公司,C3985,1,50\n"  # a project: id, company, industry code
        "B6,合计收购项目,,C3985,1,50\n"  # id and industry code
        "B7,小计中心,己公司,,1,50\n"  # id and company
        "合计,,,,3,150\n"  # the id column holds the label: no project id
        ",合计,,,3,150\n"
        "B8,汇总,-,,3,150\n"  # a placeholder is no company
        ",汇总表说明,戊公司,C3985,1,50\n",  # no id: the label decides
        encoding="utf-8",
    )
    with read_rows(path) as stream:
        rows = [(r.number, r.data and r.data.get("id"), r.skip) for r in stream]
    skipped = [number for number, _, skip in rows if skip and skip.startswith("合计行")]
    assert [(n, i) for n, i, skip in rows if skip is None] == [
        (2, "B5"),
        (3, "B6"),
        (4, "B7"),
    ]
    assert skipped == [5, 6, 7, 8]


def test_a_labelled_row_with_an_unreadable_figure_keeps_the_same_rule(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "项目编号,项目名称,企业名称,行业代码,总投资(亿元)\n"
        "B5,汇总表说明,戊公司,C3985,abc\n"  # a project with a bad figure: invalid
        "合计,,,,abc\n",  # a totals row with a bad figure: skipped
        encoding="utf-8",
    )
    with read_rows(path) as stream:
        rows = list(stream)
    assert rows[0].skip is None and rows[0].error is not None
    assert rows[0].error.column == "总投资(亿元)"
    assert rows[1].skip is not None and rows[1].error is None


def test_a_table_of_other_fields_gives_their_kinds_and_roles() -> None:
    """The yearly evaluation's firm tables: their own field names and kinds, and a
    firm (its name is its company) where batch has a project."""
    header = HeaderMap(
        (
            Column(0, "企业名称", "name"),
            Column(1, "统一社会信用代码", "credit_code"),
            Column(2, "用地面积(亩)", "land_mu"),
            Column(3, "税收(万元)", "tax"),
        )
    )
    kinds = {"name": "text", "credit_code": "text", "land_mu": "area", "tax": "money"}
    roles = Roles(
        ("name", "credit_code"), ("credit_code",), ("name",), ("企业", "a firm")
    )
    assert Totals(header).figure_fields == ()  # no project field among them
    totals = Totals(header, kinds, roles)
    assert totals.figure_fields == ("land_mu", "tax")
    rows = [["甲", "X1", 10, 5], ["乙", "X2", 20, 7.5], [None, None, 30, 12.5]]
    assert [
        totals.skip_figures(row, [Decimal(str(row[2])), Decimal(str(row[3]))])
        for row in rows
    ] == [
        None,
        None,
        "用地面积(亩)、税收(万元) 等于上方 2 行之和，视为合计行，不是企业 / "
        "用地面积(亩)、税收(万元) equal the sums of the 2 rows above: "
        "a totals row, not a firm",
    ]
    assert totals.labelled(["合计", None]) == (
        "合计行（合计），不是企业 / a totals row (合计), not a firm"
    )
    assert totals.labelled(["合计", "X3"]) is None  # a credit code and a name: a firm
    # rows summed elsewhere count as if summed here, one by one
    chunked = Totals(header, kinds, roles)
    chunked.add([Decimal(30), Decimal("12.5")], 2)
    assert chunked.summed([Decimal(30), Decimal("12.5")], named=False) is not None
