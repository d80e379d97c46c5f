"""A batch writes the same lines and the same errors with the fast path as without it."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest

import screening.batch
import screening.row_values
from screening.batch import run_batch
from screening.io.readers import read_rows
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from batch_speed import AS_OF, RULES, generate  # noqa: E402

ODD_ROWS = [  # left to the model: read by it, or refused with its words
    {"id": "units", "industry": "C2613", "investment": {"fixed_assets": "2.6亿元"}, "land": {"area_ha": "6.7"}},
    {"id": "negative", "industry": "C2613", "investment": {"fixed_assets": "-3"}},
    {"id": "unknown", "industry": "C2613", "bogus": 1},
    {"id": "bad-code", "industry": "C99"},
    {"id": "bad-input", "industry": "C2613", "extra": {"building_density": "abc"}},
]


def _batch(source: Path) -> tuple[list[tuple[int, bytes]], list[Any]]:
    lines: list[tuple[int, bytes]] = []
    invalid: list[Any] = []
    with read_rows(str(source)) as rows:
        run_batch(rows, RULES, dt.date.fromisoformat(AS_OF), 1, lambda r: lines.append((r.number, r.line)),
                  invalid.append)
    return lines, invalid


def test_the_fast_path_changes_no_line_and_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "rows.jsonl"
    generate(source, 200, seed=19)
    with source.open("a", encoding="utf-8") as out:
        out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in ODD_ROWS)
    read = screening.row_values.plain_values
    taken: list[bool] = []

    def counted(data: Any, inputs: Any) -> Any:
        values = read(data, inputs)
        taken.append(values is not None)
        return values

    monkeypatch.setattr(screening.batch, "plain_values", counted)
    fast = _batch(source)
    assert taken.count(True) == 200 and len(fast[0]) == 201 and len(fast[1]) == 4
    monkeypatch.setattr(screening.batch, "plain_values", lambda data, inputs: None)
    assert _batch(source) == fast
