"""The records the screener's hot steps make with `tuple.__new__` (findings.new_record)
hold every field, in order: a field added to a record fails here until they are updated."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from screening.findings import Decision, Finding, Remedy, RemedyOption
from screening.loader import load_ruleset
from screening.model.project import Project, flatten
from screening.screener import Screener

ROOT = Path(__file__).resolve().parents[2]

# the order the fast makers in kinds/check.py, kinds/score.py, remedy.py and
# decision.py write the fields in
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
    RemedyOption: ("field", "relation", "value", "unit"),
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


def test_records_made_fast_hold_every_field() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import peers
    finally:
        sys.path.remove(str(ROOT / "bench"))
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
