"""Workers that write their chunks' lines to part-files (run_batch's spool), and
that deflate their chunks' XLSX rows themselves.

The lines a spooled batch appends are the bytes of an unspooled one, in input order,
whether chunks come back as part-files or, after a worker died, row by row through the
pipe; a run uses a part-file for each chunk in flight, again and again, and none
outlives the run, whether it ends, is interrupted or loses a worker. A workbook made
of the workers' deflated pieces reads as the one made in one process, cell for cell,
across full sheets and after a worker died.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import openpyxl
import pytest

from screening import batch
from screening.batch import Invalid, Screened, SheetRows, run_batch
from screening.io.readers import read_rows
from screening.io.writers import append_file
from screening.report import xlsx
from tests.conftest import ROOT
from tests.crash import crash_hook

sys.path.insert(0, str(ROOT / "bench"))
from batch_speed import AS_OF, RULES, generate  # noqa: E402

CHUNK = 40  # rows a chunk here: more chunks than are in flight at once
N = 16 * CHUNK + 10  # the last chunk a short one
CRASH = 10 * CHUNK + 7  # a row of the eleventh chunk
AS = dt.date.fromisoformat(AS_OF)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spool") / "candidates.jsonl"
    generate(path, N, seed=3, distinct=True)
    return path


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "CHUNK", CHUNK)


@pytest.fixture(scope="module")
def reference(source: Path) -> bytes:
    """The lines of the same rows screened in this process, one job, no spool."""
    lines: list[bytes] = []
    with read_rows(source, deferred=True) as rows:
        run_batch(rows, RULES, AS, 1, lambda r: lines.append(r.line or b""), print)
    return b"".join(lines)


def _spooled(
    source: Path, folder: Path
) -> tuple[bytes, list[Screened], list[Invalid], list[tuple[Path, int]]]:
    spool = folder / "results.tmp"
    screened: list[Screened] = []
    invalid: list[Invalid] = []
    parts: list[tuple[Path, int]] = []

    with (folder / "lines").open("wb", buffering=1 << 20) as handle:

        def on_result(item: Screened) -> None:
            screened.append(item)
            if item.line is not None:
                handle.write(item.line)

        def on_part(part: Path, length: int) -> None:
            assert part.parent == folder and part.name.endswith(".part.tmp")
            parts.append((part, length))
            append_file(handle, part, length)

        with read_rows(source, deferred=True) as rows:
            run_batch(
                rows,
                RULES,
                AS,
                2,
                on_result,
                invalid.append,
                spool=spool,
                on_part=on_part,
            )
    return (folder / "lines").read_bytes(), screened, invalid, parts


def _parts_left(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".part.tmp")]


def test_spooled_lines_are_the_unspooled_bytes_and_no_part_file_is_left(
    source: Path, reference: bytes, tmp_path: Path
) -> None:
    lines, screened, invalid, parts = _spooled(source, tmp_path)
    assert invalid == [] and len(screened) == N
    assert all(item.line is None for item in screened)  # none came through the pipe
    assert len(parts) == 17 and sum(n for _, n in parts) == len(reference)
    # a part-file for each chunk in flight (4 a job at most), used again and again
    assert len({path for path, _ in parts}) <= 4 * 2
    assert lines == reference
    assert _parts_left(tmp_path) == []


def test_a_row_that_kills_its_worker_costs_its_chunks_part_files_not_their_lines(
    source: Path, reference: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = crash_hook(
        tmp_path, "screen", "project", f"project.id == 'bh-{CRASH - 1:07d}'"
    )
    monkeypatch.setenv("PYTHONPATH", str(hook))
    out = tmp_path / "out"
    out.mkdir()
    lines, screened, invalid, parts = _spooled(source, out)
    assert [(i.number, i.reason) for i in invalid] == [
        (CRASH, "筛查进程处理此行时意外退出 / the screening process died on this row")
    ]
    assert [s.number for s in screened] == [n for n in range(1, N + 1) if n != CRASH]
    # the chunks screened again row by row sent their lines back; the others spooled
    assert any(s.line is not None for s in screened) and parts
    expected = reference.splitlines(keepends=True)
    del expected[CRASH - 1]
    assert lines == b"".join(expected)
    assert _parts_left(out) == []


def test_an_interrupted_batch_leaves_no_part_file(source: Path, tmp_path: Path) -> None:
    seen = 0

    def on_result(item: Screened) -> None:
        nonlocal seen
        seen += 1
        if seen == CHUNK + 10:  # chunks in flight, part-files written and not
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), read_rows(source, deferred=True) as rows:
        run_batch(
            rows,
            RULES,
            AS,
            2,
            on_result,
            print,
            spool=tmp_path / "results.tmp",
            on_part=lambda part, length: None,
        )
    assert _parts_left(tmp_path) == []


# ---- XLSX rows deflated by the workers -------------------------------------------


def _workbook(
    source: Path, path: Path, jobs: int
) -> tuple[dict[str, list[tuple[object, ...]]], list[SheetRows], list[Invalid]]:
    """The sheets of a batch's workbook (read by openpyxl), the chunks' rows as they
    came back, and the rows not screened."""
    book = xlsx.XlsxWorkbook(path)
    chunks: list[SheetRows] = []
    invalid: list[Invalid] = []

    def on_sheet_rows(rows: SheetRows) -> None:
        chunks.append(rows)
        book.add_rows(rows.summary, rows.findings)

    def on_invalid(item: Invalid) -> None:
        invalid.append(item)
        book.add_error({"source": "s", "row": item.number, "reason": item.reason})

    try:
        with read_rows(source, deferred=True) as rows:
            run_batch(
                rows,
                RULES,
                AS,
                jobs,
                lambda item: book.decisions.update([item.decision]),
                on_invalid,
                parts=("xlsx",),
                on_sheet_rows=on_sheet_rows,
            )
    except BaseException:
        book.discard()
        raise
    book.close({"ruleset": {"id": RULES}, "as_of": AS_OF, "generated": "-"})
    loaded = openpyxl.load_workbook(path)
    return (
        {ws.title: list(ws.iter_rows(values_only=True)) for ws in loaded.worksheets},
        chunks,
        invalid,
    )


@pytest.fixture(scope="module")
def one_job_book(
    source: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[tuple[object, ...]]]:
    """The workbook of the same rows screened in this process (rows as lists)."""
    path = tmp_path_factory.mktemp("one-job") / "one.xlsx"
    sheets, chunks, invalid = _workbook(source, path, 1)
    assert invalid == [] and chunks
    assert all(type(c.findings) is list for c in chunks)
    return sheets


def _joined(sheets: dict[str, list[tuple[object, ...]]], title: str) -> list[object]:
    """A sheet's header and rows, its continuations (`title (2)`, …) joined on."""
    parts = [name for name in sheets if name == title or name.startswith(title + " (")]
    return sheets[parts[0]][:1] + [row for p in parts for row in sheets[p][1:]]


def test_a_workbook_of_deflated_pieces_reads_as_the_one_made_in_one_process(
    source: Path,
    one_job_book: dict[str, list[tuple[object, ...]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # sheets that fill up every few chunks: pieces that cross a part's end are
    # inflated and added row by row, the others appended as they came
    monkeypatch.setattr(xlsx, "MAX_ROWS", 7 * CHUNK + 3)
    sheets, chunks, invalid = _workbook(source, tmp_path / "two.xlsx", 2)
    assert invalid == [] and len(chunks) == 17
    assert all(type(c.findings) is xlsx.DeflatedRows for c in chunks)
    assert sum(c.summary.rows for c in chunks) == N
    assert "汇总 (2)" in sheets and "明细 (2)" in sheets
    assert all(len(rows) <= 7 * CHUNK + 3 for rows in sheets.values())
    for title in ("汇总", "明细"):
        assert _joined(sheets, title) == one_job_book[title]
    assert sheets["规则集"] == one_job_book["规则集"]


def test_a_row_that_kills_its_worker_leaves_its_rows_out_of_the_workbook_alone(
    source: Path,
    one_job_book: dict[str, list[tuple[object, ...]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    crashed = f"bh-{CRASH - 1:07d}"
    hook = crash_hook(tmp_path, "screen", "project", f"project.id == '{crashed}'")
    monkeypatch.setenv("PYTHONPATH", str(hook))
    sheets, chunks, invalid = _workbook(source, tmp_path / "two.xlsx", 2)
    assert [i.number for i in invalid] == [CRASH]
    # the chunks in flight were redone row by row: a piece a row, deflated all the same
    assert len(chunks) > 17 and all(
        type(c.summary) is xlsx.DeflatedRows for c in chunks
    )
    for title in ("汇总", "明细"):
        expected = [row for row in one_job_book[title] if row[0] != crashed]
        assert len(expected) < len(one_job_book[title])
        assert sheets[title] == expected
    assert [row[1] for row in sheets["错误"][1:]] == [CRASH]
