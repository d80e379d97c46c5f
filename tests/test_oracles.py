"""The hand-written evaluations in tests/oracles.py agree with their rule sets' cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.cases import load_case
from screening.inputs import convert_inputs
from screening.loader import load_ruleset
from screening.model.project import flatten
from tests import oracles
from tests.conftest import ROOT

STARTER_CASES = sorted((ROOT / "cases/starter").glob("*.yaml"))


@pytest.mark.parametrize("path", STARTER_CASES, ids=lambda p: p.stem)
def test_the_starter_oracle_decides_each_starter_case_as_expected(path: Path) -> None:
    case = load_case(path)
    assert case.expect is not None and case.expect.decision is not None
    ruleset = load_ruleset("starter", as_of=case.as_of)
    values = convert_inputs(flatten(case.project), ruleset.inputs)
    assert oracles.starter(values) == case.expect.decision
