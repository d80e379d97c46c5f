"""Promises and actuals read from the project register (项目库) into `screening evaluate`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_screen_cli import invoke
from tests.conftest import ROOT

HA = ROOT / "cases/evaluations/huaian"
PROJECT = """\
id: ha-020
name: 年产 2 万吨铸件项目
company: 示例淮安酉铸造有限公司（虚构）
industry: C3391
investment: {total: 3200, fixed_assets: 3000}
land: {area_mu: 10}
"""


def test_promises_from_the_register_are_held_against_the_years_figures(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "register.db")
    project = tmp_path / "ha-020.yaml"
    project.write_text(PROJECT, encoding="utf-8")
    invoke(
        [
            "register",
            "add",
            str(project),
            "--rules",
            "national",
            "--as-of",
            "2023-03-01",
            "--db",
            db,
        ]
    )
    for stage, day in (
        ("签约", "2023-03-10"),
        ("供地", "2023-05-01"),
        ("开工", "2023-09-01"),
        ("投产", "2024-10-01"),
    ):
        invoke(["register", "stage", "ha-020", stage, "--date", day, "--db", db])
    invoke(["register", "promise", "ha-020", "--fixed-assets", "3000", "--land", "10", "--tax", "200",
            "--start-by", "2023-08-01", "--production-by", "2024-06-30", "--db", db])  # fmt: skip
    invoke(["register", "actual", "ha-020", "--date", "2025-06-30", "--fixed-assets", "2000",
            "--db", db])  # fmt: skip
    out = tmp_path / "out.json"
    invoke(["evaluate", str(HA / "ha-population-2025.csv"), "--scheme", "huaian-2024", "--year", "2025",
            "--previous-figures", str(HA / "ha-figures-2024.csv"), "--from-register", "--db", db,
            "--grace-days", "60", "-o", str(out)])  # fmt: skip
    doc = json.loads(out.read_text(encoding="utf-8"))
    firm = next(
        f for f in doc["firms"] if f["id"] == "91320800000000020B"
    )  # matched by name
    items = {i["promise"]: i for i in firm["promise"]["items"]}
    # 投资强度: 2000 in place ÷ 10 亩 against 3000 ÷ 10 promised; 亩均税收: this year's 40 ÷ 10 against 20
    assert (
        items["investment_intensity"]["actual"],
        items["investment_intensity"]["share"],
    ) == (200, -33.33)
    assert (items["tax_per_mu"]["promised"], items["tax_per_mu"]["actual"]) == (20, 4)
    # started a month late (within 60 days); in production 93 days late
    assert (items["start"]["gap"], items["start"]["status"]) == (31, "met")
    assert (items["production"]["gap"], items["production"]["status"]) == (93, "short")
    assert firm["promise"]["short"] == [
        "investment_intensity",
        "tax_per_mu",
        "production",
    ]
    action = next(a for a in doc["actions"] if a["id"] == "91320800000000020B")
    assert action["reasons"] == [
        "last_class",
        "investment_intensity",
        "tax_per_mu",
        "production",
    ]
