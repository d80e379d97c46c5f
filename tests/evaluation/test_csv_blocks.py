"""Plain CSV blocks give the rows the table reader gives, numbered as it numbers them.

`csvblocks` cuts a plain CSV at line ends and splits the lines itself; wherever the
file stops being plain (a quote, a lone CR, a long line, undecodable bytes) the rest
is read by the table reader. Either way the rows — their numbers and cells — must
be the reader's own, whatever the block size.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.evaluation import csvblocks, parallel
from screening.evaluation.firms import read_firms
from screening.evaluation.run import evaluate_file
from screening.io.tables import InputError
from tests.evaluation import rowwise
from tests.evaluation.test_column_path import HUAIAN, HUANGYAN, _outputs, _write
from tests.evaluation.test_column_path import _code as code

HEADER = "企业名称,统一社会信用代码,用地面积(亩),税收实际贡献(万元)"
CODE = "91331003000000001Y"


def _by_reader(path: Path) -> Any:
    try:
        table = read_firms(path)
    except InputError as exc:
        return ("refused", str(exc))
    try:
        return [(n, list(cells)) for n, cells in table.table.rows]
    except InputError as exc:
        return ("refused", str(exc))
    finally:
        table.close()


def _by_blocks(path: Path) -> tuple[Any, int]:
    """The rows `parallel` measures, and how many of them came in plain blocks."""
    try:
        table = read_firms(path)
    except InputError as exc:
        return ("refused", str(exc)), 0
    plain = csvblocks.plain_csv(table)
    rows: list[tuple[int, list[Any]]] = []
    blocked = 0
    try:
        for item in parallel._work_items(table, plain):
            if isinstance(item, csvblocks.Block):
                assert plain is not None
                got = csvblocks.block_rows(item, plain.encoding, plain.delimiter)
                blocked += len(got)
            else:
                got = item
            rows.extend((n, list(cells)) for n, cells in got)
    except InputError as exc:
        return ("refused", str(exc)), blocked
    finally:
        table.close()
    return rows, blocked


LF = f"{HEADER}\n甲,{CODE},10,5\n乙,,12,\n\n  \n丙,,3,1"
CASES = {
    "lf, blank and space lines, no final line end": (LF.encode(), True),
    "crlf": (LF.replace("\n", "\r\n").encode() + b"\r\n", True),
    "bom": (b"\xef\xbb\xbf" + LF.encode() + b"\n", True),
    "gbk with title rows": (
        f"2025年度亩均效益评价\n\n序号,{HEADER},备注\n1,乙公司,{CODE},12,3,无\n".encode(
            "gbk"
        ),
        True,
    ),
    "a quoted cell half way": (
        f'{HEADER}\n甲,,1,2\n乙,,3,4\n丙,,"1,000",5\n丁,,"多\n行",6\n戊,,7,8\n'.encode(),
        True,
    ),
    "quotes in the header": (f'"企业名称",统一社会信用代码\n甲,{CODE}\n'.encode(), False),
    "a lone cr": (f"{HEADER}\n甲,,1,2\r乙,,3,4\n丙,,5,6\n".encode(), False),
    "an over-long line": (f"{HEADER}\n甲,,1,2\n{'乙' * 40_000},,3,4\n丙,,5,6\n".encode(), None),
    "a stray byte (read as gb18030)": (f"{HEADER}\n甲,,1,2\n".encode() + b"\xff,,3,4\n", False),
    "tabs": (LF.replace(",", "\t").encode(), True),
}  # fmt: skip


@pytest.mark.parametrize("block", [16, 64, 1 << 20])
@pytest.mark.parametrize("name", list(CASES))
def test_blocks_give_the_readers_rows(
    name: str, block: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, plain_start = CASES[name]
    path = tmp_path / ("firms.tsv" if name == "tabs" else "firms.csv")
    path.write_bytes(data)
    monkeypatch.setattr(csvblocks, "BLOCK", block)
    rows, blocked = _by_blocks(path)
    assert rows == _by_reader(path)
    if plain_start and block > 16:  # 16 bytes hold no whole line
        assert blocked > 0  # the plain stretch was cut in blocks
    if plain_start is False:
        assert blocked == 0


_PIECES = st.sampled_from(
    ["甲", "a", "1", ",", ",", " ", '"', '""', "\n", "\n", "\r\n", "\r", "\t", "\xff"]
)


@settings(deadline=None, max_examples=60)
@given(
    body=st.lists(_PIECES, max_size=60).map("".join),
    block=st.sampled_from([8, 32, 1 << 20]),
    crlf=st.booleans(),
)
def test_any_text_is_read_as_the_reader_reads_it(
    body: str, block: int, crlf: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "firms.csv"
        data = (HEADER + ("\r\n" if crlf else "\n") + body).encode("utf-8")
        path.write_bytes(data.replace("\xff".encode(), b"\xff"))
        original = csvblocks.BLOCK
        csvblocks.BLOCK = block
        try:
            assert _by_blocks(path)[0] == _by_reader(path)
        finally:
            csvblocks.BLOCK = original


@pytest.mark.parametrize("scheme", [HUAIAN, HUANGYAN], ids=["huaian", "huangyan"])
def test_workers_on_blocks_then_the_reader_give_the_row_by_row_outputs(
    scheme: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # plain blocks through the pool, then (from a quoted cell on) rows from the reader
    rows: list[list[str]] = []
    for i in range(300):
        figures = [str((i * 37 + k * 11) % 300) for k in range(6)]
        rows.append([
            f"企业{i}" if i != 200 else "企业,200", code(i % 290), ["规上", "规下"][i % 3 == 0],
            ["3", "10", "12.5"][i % 3], *figures[:4], ["0.276197", "1"][i % 2], figures[4],
            str(5 + i % 90), str(10_000 + 2_352 * i), ["2015-03-01", "2024-01-01"][i % 7 == 0],
            ["否", "是"][i % 50 == 0], ["是", "否"][i % 4 == 0], ["否", "是"][i % 97 == 0],
        ])  # fmt: skip
    path = tmp_path / "firms.csv"
    _write(path, rows)
    assert b'"' in path.read_bytes()  # the quoted name
    monkeypatch.setattr(parallel, "SERIAL_ROWS", 40)
    monkeypatch.setattr(csvblocks, "BLOCK", 4096)
    fast = _outputs(evaluate_file, path, scheme, jobs=2)
    assert fast == _outputs(rowwise.evaluate_file, path, scheme)


@settings(deadline=None, max_examples=200)
@given(
    lengths=st.lists(
        st.sampled_from([0, 1, 100, 16383, 16384, 16385, 32766, 32767, 32768, 40000]),
        min_size=1,
        max_size=5,
    ),
    last_end=st.booleans(),
)
def test_the_window_check_finds_every_long_line(
    lengths: list[int], last_end: bool
) -> None:
    data = b"\n".join(b"x" * n for n in lengths) + (b"\n" if last_end else b"")
    longest = max(map(len, data.split(b"\n")))
    assert csvblocks._short_lines(data) == (longest <= csvblocks._PLAIN_LINE)
