"""Where a batch row's time goes, stage by stage, as multiples of the hand-written evaluation.

    python bench/batch_stages.py [N]     # N candidates per round (default 4,000)

One process, the Beihai park rule set, the bench's generated candidates. Each round
takes fresh candidates and times every stage of a worker's loop in CPU time, then the
hand-written evaluation of the same rules on the same candidates. The medians over
the rounds are printed in µs and as a ratio to the hand-written time: this machine's
noise moves absolute figures by tens of percent, the ratios much less.

    loads     JSON text → dict (the JSONL reader)
    validate  dict → Project (pydantic, units): the one reader of rows
    values    Project → flat values, declared inputs converted
    screen    values → Decision (facts, durable-rules, findings)
    line      Decision → the JSON-contract line (messages, remedies, summary)
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from batch_speed import AS_OF, OUT, RULES, generate, hand_written, machine  # noqa: E402

from screening.inputs import convert_inputs  # noqa: E402
from screening.loader import load_ruleset  # noqa: E402
from screening.model.project import Project, flatten  # noqa: E402
from screening.report.contract import contract_bytes  # noqa: E402
from screening.screener import Screener  # noqa: E402

ROUNDS = 5


def _timed(
    results: dict[str, list[float]],
    label: str,
    step: Callable[[Any], Any],
    items: list[Any],
) -> list[Any]:
    start = time.process_time()
    out = [step(item) for item in items]
    results.setdefault(label, []).append(
        (time.process_time() - start) / len(items) * 1e6
    )
    return out


def main(n: int) -> None:
    import datetime as dt

    OUT.mkdir(parents=True, exist_ok=True)
    source = OUT / f"stages-{n * (ROUNDS + 1)}.jsonl"
    if not source.exists():
        generate(source, n * (ROUNDS + 1), seed=13)
    lines = source.read_text(encoding="utf-8").splitlines()
    ruleset = load_ruleset(RULES, as_of=dt.date.fromisoformat(AS_OF))
    screener = Screener(ruleset)
    results: dict[str, list[float]] = {}
    for round_ in range(ROUNDS + 1):  # round 0 warms the caches and is not counted
        timings: dict[str, list[float]] = results if round_ else {}
        batch = lines[round_ * n : (round_ + 1) * n]
        raw = _timed(timings, "loads", json.loads, batch)
        projects = _timed(timings, "validate", Project.model_validate, raw)
        values = _timed(
            timings,
            "values",
            lambda p: convert_inputs(flatten(p), ruleset.inputs),
            projects,
        )
        decisions = _timed(timings, "screen", screener.screen_values, values)
        _timed(timings, "line", lambda d: contract_bytes(d, ruleset), decisions)
        _timed(timings, "hand-written", hand_written, values)
    hand = statistics.median(results.pop("hand-written"))
    print(
        f"machine: {machine()}; rule set {RULES}; {ROUNDS} rounds of {n:,} candidates, one process, CPU time"
    )
    print(f"{'hand-written':>12}: {hand:7.1f} µs/candidate  (1.00x)")
    total = 0.0
    for label, values in results.items():
        cost = statistics.median(values)
        total += cost
        print(f"{label:>12}: {cost:7.1f} µs/candidate  ({cost / hand:.2f}x)")
    print(
        f"{'worker total':>12}: {total:7.1f} µs/candidate  ({total / hand:.2f}x) → one core ≈ {1e6 / total:,.0f}/s"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4_000)
