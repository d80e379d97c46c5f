"""A JSONL input handed out as blocks of lines (`RowStream.blocks`), split by workers.

Split where they are screened, the blocks give the rows `read_rows(deferred=True)`
gives, number for number, whatever the lines hold (CRLF, a lone CR, blank lines, a
byte-order mark, bytes that are not UTF-8, lines past the line limit or longer than
a block); a batch fed blocks writes the bytes of one fed rows, counts every row, and
a row that kills its worker inside a block is that row's alone.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import batch
from screening.batch import Invalid, Screened, run_batch
from screening.io import readers
from screening.io.readers import LineBlock, Row, block_rows, read_rows
from screening.io.tables import Limits
from tests.conftest import ROOT
from tests.crash import crash_hook

sys.path.insert(0, str(ROOT / "bench"))
from batch_speed import AS_OF, RULES, generate  # noqa: E402

AS = dt.date.fromisoformat(AS_OF)
SMALL = Limits(max_line_chars=12)


def _split(items: list[Row | LineBlock]) -> list[Row]:
    rows: list[Row] = []
    for item in items:
        rows += block_rows(item)[0] if isinstance(item, LineBlock) else [item]
    return rows


def _rows(path: Path, limits: Limits, blocks: bool) -> list[Row]:
    with read_rows(path, deferred=True, limits=limits) as stream:
        return _split(list(stream.blocks())) if blocks else list(stream)


_PIECES = st.sampled_from(
    ["{}", '{"a": 1}', "x", "中文", " ", "\t", "\n", "\r\n", "\r", "\xff", "\ufeff"]
)


@settings(deadline=None, max_examples=150)
@given(
    pieces=st.lists(_PIECES, max_size=40),
    bom=st.booleans(),
    block=st.integers(1, 24),
)
def test_blocks_split_into_the_rows_read_line_by_line(
    tmp_path_factory: pytest.TempPathFactory,
    pieces: list[str],
    bom: bool,
    block: int,
) -> None:
    path = tmp_path_factory.mktemp("blocks") / "rows.jsonl"
    data = "".join(pieces).encode("utf-8", "surrogateescape")
    data = data.replace("\xff".encode(), b"\xff")  # a byte that is not UTF-8
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    original = readers.LINE_BLOCK
    readers.LINE_BLOCK = block  # blocks of a few bytes: many, and lines longer
    try:
        got = _rows(path, SMALL, blocks=True)
    finally:
        readers.LINE_BLOCK = original
    assert got == _rows(path, SMALL, blocks=False)


def test_a_plain_file_comes_as_blocks_of_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"a": 1}\r\n\n{"b": 2}\n' * 3000 + b'{"c": 3}')
    with read_rows(path, deferred=True) as stream:
        items = list(stream.blocks())
    assert len(items) > 1 and all(isinstance(i, LineBlock) for i in items)
    blocks = [i for i in items if isinstance(i, LineBlock)]
    assert [b.first for b in blocks[1:]] == [
        b.first + b.lines for b in blocks[:-1]
    ]  # numbered on, line after line
    assert sum(b.lines for b in blocks) == 9001
    rows = _split(list(items))
    assert [r.number for r in rows][-3:] == [8998, 9000, 9001]  # 8999 is blank
    assert rows[-1].text == '{"c": 3}' and rows[0].text == '{"a": 1}'


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Candidates with a blank line and a bad line among them."""
    folder = tmp_path_factory.mktemp("line-blocks")
    plain = folder / "plain.jsonl"
    generate(plain, 300, seed=5, distinct=True)
    lines = plain.read_bytes().splitlines(keepends=True)
    lines.insert(120, b"\n")
    lines.insert(200, b"{not json\n")
    path = folder / "candidates.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def _batch(
    source: Path, jobs: int, blocks: bool
) -> tuple[list[Screened], list[Invalid], bytes, batch.BatchCounts]:
    screened: list[Screened] = []
    invalid: list[Invalid] = []
    with read_rows(source, deferred=True) as stream:
        counts = run_batch(
            stream.blocks() if blocks else stream,
            RULES,
            AS,
            jobs,
            screened.append,
            invalid.append,
        )
    lines = b"".join(item.line or b"" for item in screened)
    return screened, invalid, lines, counts


@pytest.fixture(scope="module")
def reference(source: Path) -> tuple[list[Screened], list[Invalid], bytes]:
    screened, invalid, lines, _ = _batch(source, 1, blocks=False)
    return screened, invalid, lines


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_batch_of_blocks_is_the_batch_of_rows(
    source: Path,
    reference: tuple[list[Screened], list[Invalid], bytes],
    jobs: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(readers, "LINE_BLOCK", 40_000)  # several blocks
    screened, invalid, lines, counts = _batch(source, jobs, blocks=True)
    assert lines == reference[2]
    assert [s.number for s in screened] == [s.number for s in reference[0]]
    assert invalid == reference[1] and [i.number for i in invalid] == [201]
    assert (counts.rows, counts.screened, counts.invalid) == (301, 300, 1)


def test_a_row_that_kills_its_worker_inside_a_block_is_that_rows_alone(
    source: Path,
    reference: tuple[list[Screened], list[Invalid], bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(readers, "LINE_BLOCK", 40_000)
    hook = crash_hook(tmp_path, "screen", "project", "project.id == 'bh-0000150'")
    monkeypatch.setenv("PYTHONPATH", str(hook))
    screened, invalid, lines, counts = _batch(source, 2, blocks=True)
    crashed = 152  # the 151st candidate: after the blank line, on line 152
    assert [(i.number, i.reason) for i in invalid] == [
        (
            crashed,
            "筛查进程处理此行时意外退出 / the screening process died on this row",
        ),
        (201, reference[1][0].reason),
    ]
    assert [s.number for s in screened] == [
        s.number for s in reference[0] if s.number != crashed
    ]
    expected = [s.line for s in reference[0] if s.number != crashed]
    assert lines == b"".join(line or b"" for line in expected)
    assert (counts.rows, counts.screened, counts.invalid) == (301, 299, 2)
