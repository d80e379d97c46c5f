"""run_batch in the caller's process (--jobs 1) leaves the interpreter as it found it."""

from __future__ import annotations

import gc

from screening.batch import run_batch
from screening.io.readers import read_rows
from tests.conftest import ROOT


def test_an_in_process_batch_leaves_the_garbage_collector_alone() -> None:
    before = (gc.get_threshold(), gc.get_freeze_count())
    screened: list[object] = []
    with read_rows(str(ROOT / "cases/starter")) as rows:
        counts = run_batch(rows, "starter", None, 1, screened.append, screened.append)
    assert counts.screened == len(screened) == 9
    assert (
        gc.get_threshold(),
        gc.get_freeze_count(),
    ) == before  # workers tune theirs; a caller's is its own


def test_figures_too_large_for_decimal_arithmetic_are_bad_rows_not_a_crash(
    tmp_path,
) -> None:
    source = tmp_path / "rows.jsonl"
    source.write_text(
        '{"id": "a", "investment": {"total": "1e999999亿元"}}\n'
        '{"id": "b", "investment": {"total": "100"}}\n'
        '{"id": "c", "extra": {"two_high_conditions_met": true, "building_density": "1e1000002"}}\n',
        encoding="utf-8",
    )
    screened: list[object] = []
    invalid: list[object] = []
    with read_rows(str(source), deferred=True) as rows:
        counts = run_batch(
            rows,
            "parks/beihai-tieshangang-2023",
            None,
            1,
            screened.append,
            invalid.append,
        )
    assert (counts.rows, counts.screened, counts.invalid) == (3, 1, 2)
    assert [(i.number, i.field) for i in invalid] == [
        (1, "investment.total"),
        (3, "extra.building_density"),
    ]
    assert ["过大" in i.reason or "超出合理范围" in i.reason for i in invalid] == [
        True,
        True,
    ]
