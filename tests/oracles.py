"""Hand-written evaluations of shipped rule sets, for tests to hold the screener to.

Written from the YAML by hand, in plain Python and exact Fractions, sharing no code
with the screener; `tests/test_oracles.py` checks each against its rule set's cases.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

TWO_HIGH = ("C25", "C26", "C30", "C31", "C32", "D4411")


def starter(v: dict[str, Any]) -> str:
    """rules/starter.yaml's decision for a project's flat values (those its rules read
    present, or the missing-data outcome its gates and reviews give)."""
    F = Fraction
    catalogue = v.get("environment.catalogue")
    red_line = v.get("environment.in_red_line")
    if red_line or catalogue in ("restricted", "eliminated"):
        return "reject"
    area, fixed = v.get("land.area_mu"), v.get("investment.fixed_assets")
    if area is not None and fixed is not None and F(fixed) / F(area) < 250:
        return "reject"
    review = red_line is None or catalogue is None or area is None or fixed is None
    energy = v.get("environment.energy_tce")
    if energy is None or F(energy) >= 10000:
        review = True
    code = v.get("industry.code")
    if code is None:
        review = True
    elif code.startswith(TWO_HIGH) and not v.get(
        "extra.two_high_conditions_met", False
    ):
        review = True  # not met, or missing
    if review:
        return "review"
    points = F(0)
    tax, revenue = v.get("output.annual_tax"), v.get("output.annual_revenue")
    if tax is not None:
        per_mu = F(tax) / F(area)
        points += F(0) if per_mu < 10 else (F(30) if per_mu < 20 else F(60))
    if revenue is not None:
        out = F(revenue) / F(area)
        points += (
            F(0) if out <= 200 else (F(40) if out >= 400 else F(40) * (out - 200) / 200)
        )
    score = min(F(100), points + (5 if catalogue == "encouraged" else 0))
    return "pass" if score >= 60 else ("review" if score >= 50 else "reject")
