"""screening beside GoRules zen-engine and hand-written Python, on the same eleven checks.

The same candidates (figures that rarely repeat, as in real leads) go through:
* screening: the findings (`Screener.screen_values`), and the JSON contract lines
  (`contract_bytes`), from validated values;
* zen-engine (a bench-only extra: `pip install '.[bench]'`): the same checks as a JDM
  expression node, evaluated with and without `trace=True`, and its traced response
  serialised to JSON;
* a hand-written exact evaluation (Fractions) of the same checks.
Each contestant runs over all candidates once a round, alternating, for several rounds;
rates are medians over the rounds, per core (one process, its CPU time: on a shared
machine wall time also counts the time other processes hold the core, unevenly
between contestants). Decisions are compared:
any disagreement fails the run.

Run: python bench/peers.py [N] [--rounds R]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
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


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()  # all the process's threads: zen-engine's too
    result = work()
    return time.process_time() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
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
    seconds: dict[str, list[float]] = {name: [] for name in contestants}
    outputs: dict[str, Any] = {}
    for _ in range(args.rounds):
        for name, work in contestants.items():
            elapsed, outputs[name] = _timed(work)
            seconds[name].append(elapsed)

    ours = [d.outcome.value for d in outputs["screening findings"]]
    theirs = [r["result"]["decision"] for r in outputs["zen trace=True"]]
    hand = outputs["hand-written exact"]
    disagree_hand = sum(a != b for a, b in zip(ours, hand, strict=True))
    disagree_zen = sum(a != b for a, b in zip(ours, theirs, strict=True))
    rate = {name: args.n / statistics.median(times) for name, times in seconds.items()}

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"one process; {args.n:,} candidates × {args.rounds} rounds (medians)"
    )
    counts = {k: ours.count(k) for k in ("pass", "review", "reject")}
    print(
        f"decisions: {counts}; disagreements: hand-written {disagree_hand}, zen-engine {disagree_zen}"
    )
    for name, value in rate.items():
        print(f"  {name:24} {value:>10,.0f} candidates/s")
    findings = rate["screening findings"] / rate["zen trace=True"]
    lines = rate["screening JSON lines"] / rate["zen trace=True + JSON"]
    print(
        f"findings ÷ zen trace=True:          {findings:.2f}×  (target ≥ 1.0×, stretch ≥ 1.5×)"
    )
    print(f"JSON lines ÷ zen trace=True + JSON: {lines:.2f}×  (target ≥ 1.5×)")
    print(
        f"hand-written ÷ screening findings:  {rate['hand-written exact'] / rate['screening findings']:.1f}×"
    )
    if disagree_hand or disagree_zen:
        raise SystemExit("the contestants disagree on some decisions")


if __name__ == "__main__":
    main()
