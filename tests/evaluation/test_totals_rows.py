"""Totals rows of a firms table are skipped, reported with their row and reason, and
counted: rows = rated + not rated + invalid + skipped, as `screening batch` counts.

A labelled row (小计 in the 序号 column) and rows whose figures are the column sums of
the rows above (no label at all) are both totals rows; the batches of a large table,
measured apart and in worker processes, find the same rows as one pass row by row.
"""

from __future__ import annotations

import csv
import json
import tempfile
from decimal import Decimal
from pathlib import Path
from unittest import mock

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.evaluation import csvblocks, parallel
from screening.evaluation.loader import load_scheme
from screening.evaluation.outputs import write_outputs
from screening.evaluation.run import evaluate_file
from tests.cli.test_screen_cli import invoke
from tests.evaluation import rowwise

HUANGYAN = load_scheme("huangyan")
HEAD = ["序号", "企业名称", "统一社会信用代码", "企业规模", "用地面积(亩)", "税收实际贡献(万元)",
        "营业收入(万元)", "工业增加值(万元)", "综合能耗(吨标煤)", "主要污染物排放当量(吨)",
        "研发经费(万元)", "年平均职工人数", "投产日期", "是否公用事业企业",
        "是否发生重大安全生产或环境污染事故"]  # fmt: skip
FIRMS = [
    ("甲公司", "91331003000000001Y", ["10", "481.94", "10000", "1361.6", "505.4", "0.276197", "302", "75.06"]),
    ("乙公司", "913310030000000022", ["10", "240.97", "10000", "1361.6", "505.4", "0.276197", "302", "75.06"]),
    ("丙公司", "913310030000000035", ["12", "200.5", "9000", "1200", "480", "0.25", "280", "70"]),
    ("丁公司", "913310030000000048", ["8", "300", "12000", "1500", "600", "0.3", "310", "80"]),
]  # fmt: skip


def _sums(rows: list[list[str]]) -> list[str]:
    return [str(sum(map(Decimal, column))) for column in zip(*rows, strict=True)]


def _table() -> list[list[str]]:
    figures = [f for _, _, f in FIRMS]
    tail = ["", "", ""]

    def firm(i: int) -> list[str]:
        name, code, own = FIRMS[i]
        return [str(i + 1), name, code, "规上", *own, "2015-03-01", "否", "否"]

    return [
        firm(0),
        firm(1),
        ["小计", "", "", "", *_sums(figures[:2]), *tail],  # row 4: labelled
        firm(2),
        firm(3),
        ["", "", "", "", *_sums(figures[2:]), *tail],  # row 7: the sums of rows 5-6
        ["", "", "", "", *_sums(figures), *tail],  # row 8: of all four firms
    ]


def _write_xlsx(path: Path, rows: list[list[str]]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEAD)
    for row in rows:  # figures as numbers, as a workbook holds them
        sheet.append([_number(cell) if 4 <= i < 12 else cell or None
                      for i, cell in enumerate(row)])  # fmt: skip
    book.save(path)


def _number(cell: str) -> float | int | None:
    if not cell:
        return None
    return float(cell) if "." in cell else int(cell)


def _write_csv(path: Path, rows: list[list[str]], encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEAD)
        out.writerows(rows)


SUMS_OF = "用地面积(亩)、税收实际贡献(万元)、营业收入(万元) 等于上方 {n} 行之和，视为合计行，不是企业"


@pytest.mark.parametrize("kind", ["xlsx", "gbk csv"])
def test_labelled_and_unlabelled_totals_rows_are_skipped_and_counted(
    kind: str, tmp_path: Path
) -> None:
    if kind == "xlsx":
        path = tmp_path / "firms.xlsx"
        _write_xlsx(path, _table())
    else:
        path = tmp_path / "firms.csv"
        _write_csv(path, _table(), "gbk")
    out = tmp_path / "out.json"
    result = invoke(["evaluate", str(path), "--scheme", "huangyan", "--year", "2025",
                     "-o", str(out), "-o", str(tmp_path / "out.xlsx")])  # fmt: skip
    doc = json.loads(out.read_text(encoding="utf-8"))
    skipped = [(row["row"], row["reason"].split(" / ")[0]) for row in doc["skipped"]]
    assert skipped == [
        (4, "合计行（小计），不是企业"),
        (7, SUMS_OF.format(n=2)),
        (8, SUMS_OF.format(n=4)),
    ]
    assert doc["errors"] == []
    assert doc["counts"] == {
        "rows": 7, "rated": 4, "not_rated": 0, "invalid": 0, "skipped": 3
    }  # fmt: skip
    for number, reason in skipped:  # each on stderr with its row, as batch lists them
        assert f"{path}:{number}: {reason} / " in result.stderr
    assert (
        "共 7 行 = 参评 4 + 不参评 0 + 无效 0 + 跳过 3（合计行）；反制清单 0 家 / "
        "rows 7 = rated 4 + not rated 0 + invalid 0 + skipped 3 (totals rows)"
    ) in result.stderr
    book = openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)
    listed = list(book["跳过的行"].iter_rows(values_only=True))[1:]
    assert [(row[1], row[2].split(" / ")[0]) for row in listed] == skipped


def test_a_totals_row_is_no_firm_of_its_own_even_with_a_name() -> None:
    """A firm's name is its company: a credit code and a name keep a row a firm."""
    from screening.evaluation.fields import FIRM_FIELDS
    from screening.evaluation.totalrows import firm_totals

    columns = [(0, "序号", "seq", None), (1, "企业名称", "name", None),
               (2, "统一社会信用代码", "credit_code", None)]  # fmt: skip
    totals = firm_totals(columns, FIRM_FIELDS)
    assert totals.labelled(["", "合计", ""]) is not None
    assert totals.labelled(["合计", "", ""]) is not None
    assert totals.labelled(["", "合计", "91331003000000001Y"]) is None


# --- batches measured apart give what one pass row by row gives ----------------------

_FIGURE = st.sampled_from(["0", "1", "2", "3", "5", "10", "2.5", ""])
_FIRM = st.tuples(
    st.sampled_from(["1", "2", "3", "10"]),  # 用地面积: never empty, never 0
    st.lists(_FIGURE, min_size=7, max_size=7),
    st.integers(0, 30),  # 0: a bad cell (the row counts towards no sums)
    st.integers(0, 20),  # 0: a quoted name (the rest read by the table reader)
)
_ENDS = st.sampled_from(["sums", "all", "label", "named", "none"])


@st.composite
def _population(draw: st.DrawFn) -> list[list[str]]:
    """Blocks of firms with small figures (sums of rows above are often matched by
    chance), each closed by a subtotal or a total of all firms so far, labelled or
    not, named or not, or by nothing."""
    rows: list[list[str]] = []
    every: list[list[str]] = []
    blocks = draw(st.lists(st.tuples(st.lists(_FIRM, min_size=1, max_size=5), _ENDS),
                           min_size=1, max_size=7))  # fmt: skip
    for firms, end in blocks:
        block = []
        for land, figures, bad, quoted in firms:
            i = len(rows)
            own = [land, *figures] if bad else [land, "abc", *figures[1:]]
            name = f"企业{i}" if quoted else f"企业,{i}"
            rows.append([str(i), name, FIRMS[i][1] if i < 4 else "", "规上",
                         *own, "2015-03-01", "否", "否"])  # fmt: skip
            if bad:
                block.append(own)
                every.append(own)
        counted = every if end == "all" else block
        if end == "none" or not counted:
            continue
        sums = [
            str(sum(Decimal(c or 0) for c in column))
            for column in zip(*counted, strict=True)
        ]
        seq, name = "", ""
        if end == "label":
            seq = draw(st.sampled_from(["小计", "合计", "总 计"]))
        elif end == "named":
            name = f"汇总{len(rows)}"
        rows.append([seq, name, "", "", *sums, "", "", ""])
    return rows


def _json(evaluate, path: Path) -> bytes:  # type: ignore[no-untyped-def]
    out = path.with_suffix(f".{evaluate.__module__.rsplit('.', 1)[-1]}.json")
    with evaluate(path, HUANGYAN, 2025) as ev:
        write_outputs(ev, [("json", out)], "zh")
    return out.read_bytes()


@settings(deadline=None, max_examples=60)
@given(rows=_population(), block=st.integers(40, 400), chunk=st.integers(1, 5))
def test_batches_find_the_totals_rows_one_pass_finds(
    rows: list[list[str]], block: int, chunk: int
) -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        mock.patch.object(csvblocks, "BLOCK", block),
        mock.patch.object(parallel, "CHUNK", chunk),
    ):
        path = Path(folder) / "firms.csv"
        _write_csv(path, rows, "utf-8")
        assert _json(evaluate_file, path) == _json(rowwise.evaluate_file, path)


def test_worker_processes_find_the_same_totals_rows(tmp_path: Path) -> None:
    rows: list[list[str]] = []
    block: list[list[str]] = []
    for i in range(300):
        if i % 37 == 36:  # the sums of the rows since the last: a subtotal, no label
            sums = [
                str(sum(map(Decimal, column))) for column in zip(*block, strict=True)
            ]
            rows.append(["", "", "", "", *sums, "", "", ""])
            block = []
            continue
        figures = [str(1 + i % 5), *(str((i * 7 + k) % 13) for k in range(7))]
        rows.append(
            [str(i), f"企业{i}", "", "规上", *figures, "2015-03-01", "否", "否"]
        )
        block.append(figures)
    path = tmp_path / "firms.csv"
    _write_csv(path, rows, "utf-8")
    with (
        mock.patch.object(parallel, "SERIAL_ROWS", 50),
        mock.patch.object(csvblocks, "BLOCK", 700),
    ):
        with evaluate_file(path, HUANGYAN, 2025, jobs=2) as ev:
            assert ev.counts.skipped == 8
            out = tmp_path / "jobs.json"
            write_outputs(ev, [("json", out)], "zh")
        assert out.read_bytes() == _json(rowwise.evaluate_file, path)
