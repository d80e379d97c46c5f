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
    assert (gc.get_threshold(), gc.get_freeze_count()) == before  # workers tune theirs; a caller's is its own
