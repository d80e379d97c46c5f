"""The column path (cells, vector, batch, score_columns) equals the row-by-row oracle.

Every population is evaluated twice: by `run.evaluate_file` (a batch of rows
converted and measured a column at a time, scored by columns, in worker processes
when asked) and by `rowwise` (the evaluation as it was, each row on its own). The
JSON outputs — every firm's indicators, points, score, rank, class and why, the
errors, the population's statistics — must be byte-identical.
"""

from __future__ import annotations

import csv
import tempfile
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.evaluation import parallel
from screening.evaluation.loader import load_scheme
from screening.evaluation.outputs import write_outputs
from screening.evaluation.run import evaluate_file
from tests.evaluation import rowwise

HUAIAN = load_scheme("huaian-2024")
HUANGYAN = load_scheme("huangyan")
GIVEN = {
    (None, "tax_per_mu"): Fraction(20),
    (None, "revenue_per_mu"): Fraction(200),
    (None, "tax_per_energy"): Fraction(1),
}
HEADERS = ["企业名称", "统一社会信用代码", "企业规模", "用地面积(亩)", "税收实际贡献(万元)", "营业收入(万元)",
           "工业增加值(万元)", "综合能耗(吨标煤)", "主要污染物排放当量(吨)", "研发经费(万元)", "年平均职工人数",
           "用电量(千瓦时)", "投产日期", "是否公用事业企业", "受到行政处罚",
           "是否发生重大安全生产或环境污染事故"]  # fmt: skip
_CODE = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_W = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _code(i: int) -> str:
    body = f"91320800{i:09d}"
    total = sum(_CODE.index(c) * w for c, w in zip(body, _W, strict=True))
    return body + _CODE[(31 - total % 31) % 31]


# Mostly uniform cells (the bulk converters take those columns whole), with now and
# then a cell only the general path reads or refuses: a full-width or grouped figure,
# a placeholder, a bad figure, a bad code, a date in another form, a totals line.
# (24.0975 and 136.165 on one mu are exact halves at 黄岩's 3 and 2 decimals)
_FIGURE = st.sampled_from(
    ["0", "20", "40", "100", "180", "250", "1361.6", "505.4", "24.0975", "136.165"]
)
_ODD = st.sampled_from(["", "—", "1,000", "１００", "abc", "-5", "1e3", " 40 ", "n/a"])


def _cell(usual: st.SearchStrategy[str], odd: bool) -> st.SearchStrategy[str]:
    return st.one_of(usual, _ODD) if odd else usual


@st.composite
def population(draw: st.DrawFn) -> list[list[str]]:
    odd = draw(st.booleans())  # half the populations have only uniform columns
    size = draw(st.integers(1, 40))
    rows = []
    for i in range(size):
        figure = _cell(_FIGURE, odd)
        code = _code(draw(st.integers(0, size + 3)))  # repeats: duplicate firms
        if draw(st.integers(0, 25)) == 0:  # well formed, but the wrong check character
            code = code[:17] + ("0" if code[17] != "0" else "1")
        if odd and draw(st.integers(0, 15)) == 0:
            code = draw(st.sampled_from(["", "abc"]))
        name = f"企业{i}"
        if odd and draw(st.integers(0, 20)) == 0:
            name, code = draw(st.sampled_from(["合计", ""])), ""
        start = draw(
            st.sampled_from(["2015-03-01", "2023-12-31", "2024-01-01", "2019-6", ""])
            if odd
            else st.sampled_from(["2015-03-01", "2023-12-31", "2024-01-01"])
        )
        rows.append([
            name, code, draw(st.sampled_from(["规上", "规下", ""] if odd else ["规上", "规下"])),
            draw(_cell(st.sampled_from(["1", "2.9", "3", "10", "12.5"]), odd)),
            draw(figure), draw(figure), draw(figure), draw(figure),
            draw(_cell(st.sampled_from(["0.276197", "1", "0"]), odd)), draw(figure),
            draw(_cell(st.sampled_from(["75", "100", "8"]), odd)),
            draw(_cell(st.sampled_from(["10000", "2352000", "0"]), odd)), start,
            draw(st.sampled_from(["否", "否", "是"])), draw(st.sampled_from(["是", "否"])),
            draw(st.sampled_from(["是", "否", "否", "否"])),
        ])  # fmt: skip
    return rows


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADERS)
        out.writerows(rows)


def _outputs(evaluate, path: Path, scheme, **options) -> tuple[bytes, list]:
    given = GIVEN if scheme is HUAIAN else None
    out = path.with_suffix(f".{evaluate.__module__.rsplit('.', 1)[-1]}.json")
    with evaluate(path, scheme, 2025, benchmarks=given, **options) as ev:
        placed = list(ev.class_list())
        write_outputs(ev, [("json", out)], "zh")
    return out.read_bytes(), placed


@settings(deadline=None, max_examples=40)
@given(rows=population())
def test_the_column_path_gives_the_row_by_row_outputs_byte_for_byte(
    rows: list[list[str]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "firms.csv"
        _write(path, rows)
        for scheme in (HUAIAN, HUANGYAN):
            fast = _outputs(evaluate_file, path, scheme)
            assert fast == _outputs(rowwise.evaluate_file, path, scheme)


@pytest.mark.parametrize("scheme", [HUAIAN, HUANGYAN], ids=["huaian", "huangyan"])
def test_worker_processes_give_the_row_by_row_outputs(
    scheme, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a few hundred rows through the pool (the parent measures only the first 50)
    rows: list[list[str]] = []
    for i in range(400):
        figures = [str((i * 37 + k * 11) % 300) for k in range(6)]
        rows.append([
            f"企业{i}", _code(i % 390), ["规上", "规下"][i % 3 == 0], ["3", "10", "12.5"][i % 3],
            *figures[:4], ["0.276197", "1"][i % 2], figures[4], str(5 + i % 90),
            str(10_000 + 2_352 * i), ["2015-03-01", "2024-01-01"][i % 7 == 0],
            ["否", "是"][i % 50 == 0], ["是", "否"][i % 4 == 0], ["否", "是"][i % 97 == 0],
        ])  # fmt: skip
    path = tmp_path / "firms.csv"
    _write(path, rows)
    monkeypatch.setattr(parallel, "SERIAL_ROWS", 50)
    monkeypatch.setattr(parallel, "CHUNK", 64)
    fast = _outputs(evaluate_file, path, scheme, jobs=2)
    assert fast == _outputs(rowwise.evaluate_file, path, scheme)
