"""Candidates/second screening the starter rule set, against hand-written Python.

Both sides screen the same generated candidates in the same run, with exact
arithmetic; the script checks they reach the same decisions, then prints
candidates/s for each and their ratio. Run: python bench/screen_speed.py [N]
"""

from __future__ import annotations

import os
import platform
import random
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from screening.loader import load_ruleset  # noqa: E402
from screening.model.project import Project, flatten  # noqa: E402
from screening.report.contract import to_contract  # noqa: E402
from screening.screener import Screener  # noqa: E402

INDUSTRIES = ["C2613", "C2661", "C3985", "C3841", "C1391", "C2110", "C3011", "C3130", "D4411"]
CATALOGUE = ["encouraged", "permitted", "permitted", "permitted", "restricted", "eliminated"]


def candidate(rng: random.Random, i: int) -> dict[str, Any]:
    """A generated project; some fields left out so missing data is exercised too."""
    area = rng.randint(10, 300)
    project: dict[str, Any] = {
        "id": f"c{i}", "industry": rng.choice(INDUSTRIES),
        "investment": {"fixed_assets": area * rng.randint(150, 350)},
        "land": {"area_mu": area},
        "output": {"annual_tax": area * rng.randint(5, 30), "annual_revenue": area * rng.randint(150, 450)},
        "environment": {"in_red_line": rng.random() < 0.03, "catalogue": rng.choice(CATALOGUE),
                        "energy_tce": rng.randint(100, 20000)},
        "extra": {"two_high_conditions_met": rng.random() < 0.7},
    }
    if rng.random() < 0.05:
        del project["environment"]["energy_tce"]
    return project


def hand_written(v: dict[str, Any]) -> str:
    """The starter rules written by hand in plain Python (exact fractions, same semantics)."""
    F = Fraction
    area, fixed = F(v["land.area_mu"]), F(v["investment.fixed_assets"])
    tax, revenue = F(v["output.annual_tax"]), F(v["output.annual_revenue"])
    catalogue = v["environment.catalogue"]
    if v["environment.in_red_line"] or catalogue in ("restricted", "eliminated"):
        return "reject"
    if fixed / area < 250:
        return "reject"
    review = False
    energy = v.get("environment.energy_tce")
    if energy is None or F(energy) >= 10000:
        review = True
    if v["industry.code"].startswith(("C25", "C26", "C30", "C31", "C32", "D4411")) and not v["extra.two_high_conditions_met"]:
        review = True
    if review:
        return "review"
    per_mu = tax / area
    points = F(0) if per_mu < 10 else (F(30) if per_mu < 20 else F(60))
    out = revenue / area
    points += F(0) if out <= 200 else (F(40) if out >= 400 else F(40) * (out - 200) / 200)
    score = min(F(100), points + (5 if catalogue == "encouraged" else 0))
    return "pass" if score >= 60 else ("review" if score >= 50 else "reject")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    rng = random.Random(20241121)
    projects = [Project.model_validate(candidate(rng, i)) for i in range(n)]
    values = [flatten(p) for p in projects]
    screener = Screener(load_ruleset("starter"))

    start = time.perf_counter()
    decisions = [screener.screen_values(v) for v in values]
    engine_s = time.perf_counter() - start

    start = time.perf_counter()
    contracts = [to_contract(d, screener.ruleset) for d in decisions]
    render_s = time.perf_counter() - start

    start = time.perf_counter()
    expected = [hand_written(v) for v in values]
    hand_s = time.perf_counter() - start

    disagree = sum(d.outcome.value != e for d, e in zip(decisions, expected))
    counts = {k: sum(c["decision"] == k for c in contracts) for k in ("pass", "review", "reject")}
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"candidates: {n}  decisions: {counts}  disagreements with hand-written: {disagree}")
    print(f"engine (findings, one process): {n / engine_s:,.0f} candidates/s")
    print(f"engine + JSON contract:         {n / (engine_s + render_s):,.0f} candidates/s")
    print(f"hand-written Python:            {n / hand_s:,.0f} candidates/s")
    print(f"ratio hand-written / engine:    {engine_s / hand_s:.1f}x")
    if disagree:
        raise SystemExit("the engine and the hand-written evaluation disagree")


if __name__ == "__main__":
    main()
