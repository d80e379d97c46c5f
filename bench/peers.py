"""screening beside GoRules zen-engine and hand-written Python, on the same eleven checks.

The same candidates (figures that rarely repeat, as in real leads) go through:
* screening: the findings (`Screener.screen_values`), and the JSON contract lines
  (`contract_bytes`), from validated values;
* zen-engine (a bench-only extra: `pip install '.[bench]'`): the same checks as a JDM
  expression node, evaluated with and without `trace=True`, and its traced response
  serialised to JSON;
* a hand-written exact evaluation (Fractions) of the same checks.
Each contestant runs over all candidates once a round, alternating (each round starting
one contestant later), for several rounds; rates are medians over the rounds, per core
(one process, its CPU time: on a shared machine wall time also counts the time other
processes hold the core, unevenly between contestants). Beside each ratio of medians the
ratios within single rounds (the two contestants seconds apart) show how far the
machine's drift moved it. Decisions are compared: any disagreement fails the run.

Two phases, each printed with its own ratios (`--phase` picks one):
* as built: the inputs and every contestant's last outputs stay on the collector's
  heap, so each full collection also walks the bench's own 50,000 project dicts,
  flattened values, zen contexts and the other contestants' outputs; and a full
  collection runs in whichever contestant's time the heap's growth since the last one
  crosses the collector's threshold, growth that earlier contestants left too (with
  one round a contestant may pay for none, or for one another began);
* setup frozen: after the inputs are built the heap is collected and `gc.freeze()`d
  (as screening's batch workers freeze theirs after import), and before each
  contestant the previous outputs are let go and the heap collected, so a contestant's
  collections walk only what it made itself. The same for every contestant; the
  collector stays on throughout.
Per contestant it prints the collections it triggered (gen 0/1/2, a round's median)
and the CPU time they took.

`--tracked` (a diagnostic; nothing else is run) prints how many objects the cyclic
collector tracks that each contestant's result for one candidate keeps alive, and
those objects by type: what a full collection walks again for every result held; and
how many reach the oldest generation still tracked: what counts toward the next full
collection (a tuple of atoms untracked only by a later collection counts too).

Run: python bench/peers.py [N] [--rounds R] [--phase both|built|frozen] [--tracked]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from screening.loader import load_ruleset  # noqa: E402
from screening.model.project import Project, flatten  # noqa: E402
from screening.report.contract import contract_bytes  # noqa: E402
from screening.screener import Screener  # noqa: E402

RULES = "bench/peer_rules.yaml"  # starter's nine rules + two national land gates
INDUSTRIES = [
    "C2613",
    "C2661",
    "C3985",
    "C3841",
    "C1391",
    "C2110",
    "C3011",
    "C3130",
    "D4411",
]
CATALOGUE = [
    "encouraged",
    "permitted",
    "permitted",
    "permitted",
    "restricted",
    "eliminated",
]
TWO_HIGH = ("C25", "C26", "C30", "C31", "C32", "D4411")


def _figure(rng: random.Random, low: float, high: float, places: int) -> str:
    return f"{rng.uniform(low, high):.{places}f}"


def candidate(rng: random.Random, i: int) -> dict[str, Any]:
    """A generated lead whose figures rarely repeat; some inputs absent (missing data)."""
    area = Decimal(_figure(rng, 10, 300, 2))
    project: dict[str, Any] = {
        "id": f"p{i}",
        "industry": rng.choice(INDUSTRIES),
        "investment": {"fixed_assets": str(area * Decimal(_figure(rng, 150, 350, 2)))},
        "land": {
            "area_mu": str(area),
            "building_coverage": _figure(rng, 0.25, 0.6, 4),
            "admin_share": _figure(rng, 0.02, 0.09, 4),
        },
        "output": {
            "annual_tax": str(area * Decimal(_figure(rng, 5, 30, 2))),
            "annual_revenue": str(area * Decimal(_figure(rng, 150, 450, 2))),
        },
        "environment": {
            "in_red_line": rng.random() < 0.03,
            "catalogue": rng.choice(CATALOGUE),
            "energy_tce": _figure(rng, 100, 20000, 2),
        },
        "extra": {"two_high_conditions_met": rng.random() < 0.7},
    }
    if rng.random() < 0.05:
        del project["environment"]["energy_tce"]
    if rng.random() < 0.05:
        del project["land"]["admin_share"]
    return project


# --- hand-written: the eleven checks in plain Python, exact --------------------------


def hand_written(v: dict[str, Any]) -> str:
    """The decision, from the same flat values screening reads, in exact fractions."""
    F = Fraction
    area = F(v["land.area_mu"])
    catalogue = v["environment.catalogue"]
    rejected = (
        v["environment.in_red_line"]
        or catalogue in ("restricted", "eliminated")
        or F(v["investment.fixed_assets"]) / area < 250
        or F(v["land.building_coverage"]) < F(3, 10)
    )
    admin = v.get("land.admin_share")
    review = admin is None
    if admin is not None and F(admin) > F(7, 100):
        rejected = True
    if rejected:
        return "reject"
    energy = v.get("environment.energy_tce")
    if energy is None or F(energy) >= 10000:
        review = True
    if (
        v["industry.code"].startswith(TWO_HIGH)
        and not v["extra.two_high_conditions_met"]
    ):
        review = True
    if review:
        return "review"
    per_mu = F(v["output.annual_tax"]) / area
    points = F(0) if per_mu < 10 else (F(30) if per_mu < 20 else F(60))
    out = F(v["output.annual_revenue"]) / area
    points += (
        F(0) if out <= 200 else (F(40) if out >= 400 else F(40) * (out - 200) / 200)
    )
    score = min(F(100), points + (5 if catalogue == "encouraged" else 0))
    return "pass" if score >= 60 else ("review" if score >= 50 else "reject")


# --- zen-engine: the same checks as one expression node ------------------------------

_ZEN_EXPRESSIONS = [
    ("area", "land.area_mu"),
    (
        "red_line",
        "environment.in_red_line == null ? 'missing' : (environment.in_red_line ? 'fail' : 'pass')",
    ),
    (
        "catalogue",
        "environment.catalogue == null ? 'missing' : "
        "(environment.catalogue in ['restricted', 'eliminated'] ? 'fail' : 'pass')",
    ),
    (
        "intensity_actual",
        "investment.fixed_assets == null or $.area == null ? null : investment.fixed_assets / $.area",
    ),
    (
        "intensity",
        "$.intensity_actual == null ? 'missing' : ($.intensity_actual >= 250 ? 'pass' : 'fail')",
    ),
    (
        "tax_actual",
        "output.annual_tax == null or $.area == null ? null : output.annual_tax / $.area",
    ),
    (
        "tax_points",
        "$.tax_actual == null ? 0 : ($.tax_actual < 10 ? 0 : ($.tax_actual < 20 ? 30 : 60))",
    ),
    ("tax", "$.tax_actual == null ? 'missing' : ($.tax_points > 0 ? 'pass' : 'fail')"),
    (
        "output_actual",
        "output.annual_revenue == null or $.area == null ? null : output.annual_revenue / $.area",
    ),
    (
        "output_points",
        "$.output_actual == null ? 0 : ($.output_actual <= 200 ? 0 : "
        "($.output_actual >= 400 ? 40 : 40 * ($.output_actual - 200) / 200))",
    ),
    (
        "output",
        "$.output_actual == null ? 'missing' : ($.output_points > 0 ? 'pass' : 'fail')",
    ),
    ("bonus_points", "environment.catalogue == 'encouraged' ? 5 : 0"),
    (
        "bonus",
        "environment.catalogue == null ? 'missing' : ($.bonus_points > 0 ? 'pass' : 'fail')",
    ),
    (
        "energy",
        "environment.energy_tce == null ? 'missing' : (environment.energy_tce >= 10000 ? 'fail' : 'pass')",
    ),
    (
        "two_high",
        "industry == null ? 'missing' : (startsWith(industry, 'C25') or startsWith(industry, 'C26') or "
        "startsWith(industry, 'C30') or startsWith(industry, 'C31') or startsWith(industry, 'C32') or "
        "startsWith(industry, 'D4411') ? 'true' : 'false')",
    ),
    (
        "two_high_conditions",
        "$.two_high == 'missing' ? 'missing' : ($.two_high == 'false' ? 'not_applicable' : "
        "(extra.two_high_conditions_met == null ? 'missing' : "
        "(extra.two_high_conditions_met ? 'pass' : 'fail')))",
    ),
    (
        "coverage",
        "land.building_coverage == null ? 'missing' : (land.building_coverage >= 0.3 ? 'pass' : 'fail')",
    ),
    (
        "admin",
        "land.admin_share == null ? 'missing' : (land.admin_share <= 0.07 ? 'pass' : 'fail')",
    ),
    ("score", "min([100, $.tax_points + $.output_points + $.bonus_points])"),
    (
        "decision",
        "$.red_line == 'fail' or $.catalogue == 'fail' or $.intensity == 'fail' or $.coverage == 'fail' "
        "or $.admin == 'fail' ? 'reject' : ($.red_line == 'missing' or $.catalogue == 'missing' or "
        "$.intensity == 'missing' or $.coverage == 'missing' or $.admin == 'missing' or "
        "$.energy != 'pass' or $.two_high_conditions == 'fail' or $.two_high_conditions == 'missing' "
        "? 'review' : ($.score >= 60 ? 'pass' : ($.score >= 50 ? 'review' : 'reject')))",
    ),
]


def zen_engine() -> Any:
    """A zen-engine holding the checks as decision `checks` (static loader: compiled once)."""
    import zen

    content = {
        "nodes": [
            {
                "id": "in",
                "type": "inputNode",
                "name": "lead",
                "position": {"x": 0, "y": 0},
            },
            {
                "id": "checks",
                "type": "expressionNode",
                "name": "checks",
                "position": {"x": 0, "y": 0},
                "content": {
                    "expressions": [
                        {"id": str(i), "key": key, "value": value}
                        for i, (key, value) in enumerate(_ZEN_EXPRESSIONS)
                    ]
                },
            },
            {
                "id": "out",
                "type": "outputNode",
                "name": "decision",
                "position": {"x": 0, "y": 0},
            },
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "checks", "type": "edge"},
            {"id": "e2", "sourceId": "checks", "targetId": "out", "type": "edge"},
        ],
    }
    return zen.ZenEngine({"loader": {"type": "static", "content": {"checks": content}}})


def zen_context(project: dict[str, Any]) -> dict[str, Any]:
    """The lead as zen reads it: numbers as JSON numbers, nothing absent filled in."""

    def number(value: Any) -> Any:
        return float(value) if isinstance(value, str) and value[:1].isdigit() else value

    return {
        key: (
            {k: number(v) for k, v in value.items()}
            if isinstance(value, dict)
            else value
        )
        for key, value in project.items()
    }


# --- the run -------------------------------------------------------------------------


class _Collections:
    """Counts the collector's runs by generation and the CPU time they take (gc.callbacks)."""

    def __init__(self) -> None:
        self.counts = [0, 0, 0]
        self.seconds = 0.0
        self._started = 0.0
        gc.callbacks.append(self._observe)

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.counts[info["generation"]] += 1
            self.seconds += time.process_time() - self._started

    def reset(self) -> None:
        self.counts = [0, 0, 0]
        self.seconds = 0.0


def _timed(
    work: Callable[[], Any], collections: _Collections
) -> tuple[float, Any, tuple[int, int, int], float]:
    collections.reset()
    start = time.process_time()  # all the process's threads: zen-engine's too
    result = work()
    elapsed = time.process_time() - start
    counts = collections.counts
    return elapsed, result, (counts[0], counts[1], counts[2]), collections.seconds


def _tracked(contestants: dict[str, Callable[[], Any]], n: int) -> None:
    """Per contestant, the objects the collector tracks that its n results keep alive
    (the inputs frozen first), per result."""
    gc.collect()
    gc.freeze()
    for name, work in contestants.items():
        reached = _reaching_old(work, n)
        before = len(gc.get_objects())  # the frozen objects are not listed
        kept = work()
        gc.collect()  # untracks the tuples and dicts that hold only atoms
        tracked = gc.get_objects()
        print(
            f"  {name:24} {(len(tracked) - before) / n:6.1f} tracked objects a result"
            f" ({reached:.1f} reach the oldest generation still tracked)"
        )
        by_type = Counter(type(o).__name__ for o in tracked)
        del tracked
        # by type, what a result keeps (types under 0.05 a result: caches made once)
        kinds = [(k, c / n) for k, c in by_type.most_common() if c / n >= 0.05]
        if kinds:
            print("    " + ", ".join(f"{kind} {share:.2f}" for kind, share in kinds))
        del kept
        gc.collect()
    gc.unfreeze()


def _reaching_old(work: Callable[[], Any], n: int) -> float:
    """Of n results made, the objects that reach the oldest generation still tracked,
    per result: what counts toward the next full collection (a tuple of atoms the young
    collections have not untracked yet counts, though a full collection later untracks
    it). No full collection runs meanwhile (its threshold raised for the count only)."""
    gc.collect()
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], 10**9)
    try:
        before = len(gc.get_objects(2))
        kept = work()
        gc.collect(1)  # the young generations' survivors move on, as they would
        reached = len(gc.get_objects(2)) - before
    finally:
        gc.set_threshold(*thresholds)
    del kept
    gc.collect()
    return reached / n


def _decisions(name: str, output: list[Any]) -> list[str]:
    """A contestant's decisions, for the comparison (JSON lines are not compared)."""
    if name == "screening findings":
        return [d.outcome.value for d in output]
    if name == "zen trace=True":
        return [r["result"]["decision"] for r in output]
    if name == "hand-written exact":
        return output
    return []


def _phase(
    label: str,
    contestants: dict[str, Callable[[], Any]],
    rounds: int,
    n: int,
    frozen: bool,
    collections: _Collections,
) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Every contestant, alternating, `rounds` times: rates (medians) and decisions."""
    seconds: dict[str, list[float]] = {name: [] for name in contestants}
    gcs: dict[str, list[tuple[int, int, int]]] = {name: [] for name in contestants}
    gc_seconds: dict[str, list[float]] = {name: [] for name in contestants}
    outputs: dict[str, Any] = {}
    decisions: dict[str, list[str]] = {}
    names = list(contestants)
    for round_ in range(rounds):
        # each round starts one contestant later: none always follows the same one (whose
        # heap growth a full collection in its time would pay for) or runs first
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            work = contestants[name]
            if frozen:  # what earlier contestants made is no part of this one's heap
                outputs.clear()
                gc.collect()
            elapsed, outputs[name], counts, in_gc = _timed(work, collections)
            seconds[name].append(elapsed)
            gcs[name].append(counts)
            gc_seconds[name].append(in_gc)
            decisions[name] = _decisions(name, outputs[name])
    outputs.clear()
    gc.collect()
    print(f"{label}:")
    rate = {name: n / statistics.median(times) for name, times in seconds.items()}
    for name, value in rate.items():
        g0, g1, g2 = (int(statistics.median(c[i] for c in gcs[name])) for i in range(3))
        in_gc = statistics.median(gc_seconds[name])
        share = in_gc / statistics.median(seconds[name])
        print(
            f"  {name:24} {value:>10,.0f} candidates/s   "
            f"collections gen0/1/2 {g0:>5}/{g1:>4}/{g2:>2}, {in_gc:5.2f} s in GC ({share:4.0%})"
        )
    findings = rate["screening findings"] / rate["zen trace=True"]
    lines = rate["screening JSON lines"] / rate["zen trace=True + JSON"]
    print(
        f"  findings ÷ zen trace=True:          {findings:.2f}×  (target ≥ 1.0×, stretch ≥ 1.5×)"
        + _per_round(seconds, "screening findings", "zen trace=True")
    )
    print(
        f"  JSON lines ÷ zen trace=True + JSON: {lines:.2f}×  (target ≥ 1.5×)"
        + _per_round(seconds, "screening JSON lines", "zen trace=True + JSON")
    )
    print(
        f"  hand-written ÷ screening findings:  "
        f"{rate['hand-written exact'] / rate['screening findings']:.1f}×"
    )
    return rate, decisions


def _per_round(seconds: dict[str, list[float]], ours: str, theirs: str) -> str:
    """The ratio within each round, where the two ran seconds apart: how far the
    machine's drift between rounds moves the ratio of medians."""
    if len(seconds[ours]) < 2:
        return ""
    ratios = sorted(t / o for o, t in zip(seconds[ours], seconds[theirs], strict=True))
    return (
        f"; by round {ratios[0]:.2f}–{ratios[-1]:.2f}×,"
        f" median {statistics.median(ratios):.2f}×"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--phase",
        choices=("both", "built", "frozen"),
        default="both",
        help="as built (the heap as the inputs left it), setup frozen, or both (default)",
    )
    parser.add_argument(
        "--tracked",
        action="store_true",
        help="only count the objects the collector tracks per result (a diagnostic)",
    )
    args = parser.parse_args()
    try:
        engine = zen_engine()
    except ImportError:
        raise SystemExit(
            "zen-engine is a bench-only extra: pip install '.[bench]'"
        ) from None

    rng = random.Random(20261201)
    projects = [candidate(rng, i) for i in range(args.n)]
    values = [flatten(Project.model_validate(p)) for p in projects]
    contexts = [zen_context(p) for p in projects]
    ruleset = load_ruleset(RULES)
    screener = Screener(ruleset)
    evaluate = engine.evaluate
    traced = {"trace": True}
    dumps = json.dumps

    contestants: dict[str, Callable[[], Any]] = {
        "screening findings": lambda: [screener.screen_values(v) for v in values],
        "screening JSON lines": lambda: [
            contract_bytes(screener.screen_values(v), ruleset) for v in values
        ],
        "zen trace=True": lambda: [evaluate("checks", c, traced) for c in contexts],
        "zen trace=True + JSON": lambda: [
            dumps(evaluate("checks", c, traced), ensure_ascii=False).encode()
            for c in contexts
        ],
        "zen trace=False": lambda: [evaluate("checks", c) for c in contexts],
        "hand-written exact": lambda: [hand_written(v) for v in values],
    }
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"one process; {args.n:,} candidates × {args.rounds} rounds (medians); "
        f"load average at start {os.getloadavg()[0]:.2f}"
    )
    if args.tracked:
        _tracked(contestants, args.n)
        return
    collections = _Collections()
    ratios: dict[str, float] = {}
    decisions: dict[str, list[str]] = {}
    if args.phase in ("both", "built"):
        rate, decisions = _phase(
            "as built (no freeze; the inputs and the last outputs on the collected heap)",
            contestants,
            args.rounds,
            args.n,
            False,
            collections,
        )
        ratios["as built"] = rate["screening findings"] / rate["zen trace=True"]
    if args.phase in ("both", "frozen"):
        gc.collect()
        gc.freeze()  # the inputs, the engines and the modules: built once, never garbage
        rate, decisions = _phase(
            "setup frozen (gc.freeze() after the inputs are built; outputs let go and "
            "the heap collected before each contestant; the same for every contestant)",
            contestants,
            args.rounds,
            args.n,
            True,
            collections,
        )
        gc.unfreeze()
        ratios["setup frozen"] = rate["screening findings"] / rate["zen trace=True"]

    ours = decisions["screening findings"]
    theirs = decisions["zen trace=True"]
    hand = decisions["hand-written exact"]
    disagree_hand = sum(a != b for a, b in zip(ours, hand, strict=True))
    disagree_zen = sum(a != b for a, b in zip(ours, theirs, strict=True))
    counts = {k: ours.count(k) for k in ("pass", "review", "reject")}
    print(
        f"decisions: {counts}; disagreements: hand-written {disagree_hand}, zen-engine {disagree_zen}"
    )
    print(
        "findings ÷ zen trace=True: "
        + "; ".join(f"{label} {value:.2f}×" for label, value in ratios.items())
    )
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    if disagree_hand or disagree_zen:
        raise SystemExit("the contestants disagree on some decisions")


if __name__ == "__main__":
    main()
