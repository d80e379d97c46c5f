"""A large batch loses no candidate and screens each as if alone.

Guards the durable-rules duplicate-fact defect (jruizgit/rules#376: distinct facts
rejected as observed after very many asserts) and the parallel path: every row comes
back once, in order, with the totals reconciled, the decision of an independent
hand-written evaluation, and the same bytes as screening it on its own.
Short form by default; SCREENING_SLOW=1 runs 100,000 candidates.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from screening.batch import run_batch
from screening.inputs import convert_inputs
from screening.io.readers import read_rows
from screening.loader import load_ruleset
from screening.model.project import Project, flatten
from screening.report.contract import to_contract
from screening.screener import Screener
from tests.conftest import ROOT, SLOW

sys.path.insert(0, str(ROOT / "bench"))
from batch_speed import AS_OF, RULES, generate, hand_written  # noqa: E402

N = 100_000 if SLOW else 3_000
SAMPLE = 1_000 if SLOW else 200


@pytest.mark.slow
def test_a_large_batch_loses_nothing_and_screens_each_as_if_alone(
    tmp_path: Path,
) -> None:
    import datetime as dt

    source = tmp_path / "candidates.jsonl"
    generate(source, N, seed=11)
    lines: list[str] = []
    invalid: list[object] = []
    with read_rows(source) as rows:
        counts = run_batch(
            rows,
            RULES,
            dt.date.fromisoformat(AS_OF),
            2,
            lambda r: lines.append(r.line.decode()),
            invalid.append,
        )
    assert (counts.rows, counts.screened, counts.invalid, invalid) == (N, N, 0, [])
    results = [json.loads(line) for line in lines]
    assert [r["project"]["id"] for r in results] == [
        f"bh-{i:07d}" for i in range(N)
    ]  # none lost, none twice, in order

    ruleset = load_ruleset(RULES, as_of=dt.date.fromisoformat(AS_OF))
    projects = [
        Project.model_validate(json.loads(line))
        for line in source.open(encoding="utf-8")
    ]
    expected = [
        hand_written(convert_inputs(flatten(p), ruleset.inputs))[0] for p in projects
    ]
    assert [r["decision"] for r in results] == expected
    assert Counter(r["decision"] for r in results) == counts.decisions

    alone = Screener(ruleset)
    for index in random.Random(5).sample(range(N), SAMPLE):
        single = to_contract(alone.screen(projects[index]), ruleset)
        assert json.dumps(single, ensure_ascii=False) + "\n" == lines[index]


def test_a_worker_that_dies_ends_the_batch_with_an_error_not_a_hang(
    tmp_path: Path,
) -> None:
    # Workers load the rule set themselves; here they cannot, so every worker dies at start.
    # multiprocessing.Pool would replace them forever and the batch would never end.
    source = tmp_path / "candidates.jsonl"
    generate(source, 20, seed=3)
    script = (
        "import datetime as dt\n"
        "from screening.batch import run_batch\n"
        "from screening.errors import ScreeningError\n"
        "from screening.io.readers import read_rows\n"
        "if __name__ == '__main__':\n"
        f"    with read_rows({str(source)!r}) as rows:\n"
        "        try:\n"
        f"            run_batch(rows, {str(tmp_path / 'gone.yaml')!r}, None, 2, print, print)\n"
        "        except ScreeningError as exc:\n"
        "            print('ERROR', exc)\n"
    )
    runner = tmp_path / "runner.py"
    runner.write_text(script, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(runner)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert "ERROR" in result.stdout and "worker process died" in result.stdout
