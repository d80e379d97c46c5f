"""The records the screener's hot steps make with `tuple.__new__` (findings.new_record)
hold every field, in order: a field added to a record fails here until they are updated."""

from __future__ import annotations

import gc
import random
import sys
from math import gcd
from pathlib import Path
from typing import Any

from screening.findings import Decision, Finding, Remedy
from screening.loader import load_ruleset
from screening.model.project import Project, flatten
from screening.screener import Screener

ROOT = Path(__file__).resolve().parents[2]

# the order the fast makers in kinds/check.py, kinds/score.py and decision.py write
# the fields in (a remedy option is a plain tuple: see the last test)
MADE_AS = {
    Finding: (
        "rule",
        "group",
        "kind",
        "status",
        "actual",
        "threshold",
        "op",
        "unit",
        "points",
        "max_points",
        "missing",
        "reason",
        "reason_params",
        "remedy",
        "branches",
    ),
    Remedy: ("code", "options", "target", "gain"),
    Decision: (
        "project_id",
        "project_name",
        "project_company",
        "ruleset_id",
        "ruleset_version",
        "ruleset_sha256",
        "as_of",
        "outcome",
        "score",
        "pass_mark",
        "review_band",
        "vetoed_by",
        "rejected_by",
        "reviewed_by",
        "missing",
        "findings",
    ),
}


def test_the_fast_makers_write_every_field_in_order() -> None:
    for record, fields in MADE_AS.items():
        assert record._fields == fields, record.__name__


def _records(value: object) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = []
    if isinstance(value, tuple):
        if type(value) in MADE_AS:
            found.append(value)
        for item in value:
            found.extend(_records(item))
    return found


def _peers() -> object:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import peers
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return peers


def test_records_made_fast_hold_every_field() -> None:
    peers: Any = _peers()
    rng = random.Random(7)
    screener = Screener(load_ruleset(ROOT / "bench" / "peer_rules.yaml"))
    kinds: set[type] = set()
    for i in range(300):
        values = flatten(Project.model_validate(peers.candidate(rng, i)))
        for record in _records(screener.screen_values(values)):
            kinds.add(type(record))
            assert len(record) == len(MADE_AS[type(record)])
            rebuilt = type(record)(**record._asdict())  # type: ignore[attr-defined]
            assert rebuilt == record and type(rebuilt) is type(record)
    assert kinds == set(MADE_AS)  # every fast-made record met


def test_remedy_options_are_untracked_tuples_of_atoms() -> None:
    """A remedy's options are plain tuples (field, relation, numerator, denominator,
    unit), the value in lowest terms: after a collection the collector no longer tracks
    them, nor the tuple of options (a kept decision costs every full collection less)."""
    peers: Any = _peers()
    rng = random.Random(11)
    screener = Screener(load_ruleset(ROOT / "bench" / "peer_rules.yaml"))
    decisions = [
        screener.screen_values(flatten(Project.model_validate(peers.candidate(rng, i))))
        for i in range(200)
    ]
    # a collection untracks a tuple whose items are untracked by then: the options
    # in the first, the tuple of them (visited before its items) at the latest in the next
    gc.collect()
    gc.collect()
    remedies = [
        f.remedy
        for d in decisions
        for f in d.findings
        if f.remedy is not None and f.remedy.options
    ]
    assert len(remedies) > 100
    for remedy in remedies:
        assert type(remedy.options) is tuple and not gc.is_tracked(remedy.options)
        for field, relation, num, den, unit in remedy.options:
            assert (type(field), type(relation), type(unit)) == (str, str, str)
            assert relation in (">=", ">", "<=", "<")
            assert type(num) is int and type(den) is int
            assert den > 0 and gcd(num, den) == 1


def test_input_rows_made_fast_are_the_rows_their_fields_name() -> None:
    """A reader's rows (`io.readers._data_row`, `_text_row`) are made from every field
    in order, as the records above."""
    from screening.io import readers

    assert readers.Row._fields == ("source", "number", "data", "error", "text", "skip")
    made = readers._data_row("leads.xlsx", 7, {"name": "甲"})
    assert made == readers.Row("leads.xlsx", 7, {"name": "甲"})
    assert type(made) is readers.Row and made.error is None and made.skip is None
    line = readers._text_row("leads.jsonl", 3, '{"id": 1}')
    assert line == readers.Row("leads.jsonl", 3, None, text='{"id": 1}')
    assert type(line) is readers.Row and line.data is None
