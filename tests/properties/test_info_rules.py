"""`info` rules never affect a decision: outcome, score, vetoes and fields to obtain
are the same with them and without them, for any project (data missing or not)."""

from __future__ import annotations

import datetime as dt
import tempfile
from functools import cache
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from screening.loader import load_ruleset
from screening.model.project import Project
from screening.screener import Screener

DAY = dt.date(2025, 6, 30)
WITHOUT = """\
id: without-info
title: 无提示规则
version: "1"
extends: [schemes/tuanfeng-access]
disable:
  - {rule: environment.eia_report, reason: 对照}
  - {rule: energy.review_exempt, reason: 对照}
"""
# the shipped info rules plus two more reading the very inputs that decide and score
WITH = """\
id: with-info
title: 多条提示规则
version: "1"
extends: [schemes/tuanfeng-access]
rules:
  - id: investment_intensity.big_project
    group: investment_intensity
    kind: info
    title: 大项目
    when: investment.fixed_assets >= 30000 and land.area_mu <= 100
    message: 大项目，提请关注
    basis: 测试
  - id: environment.red_line_note
    group: environment
    kind: info
    title: 红线提示
    when: environment.in_red_line or environment.catalogue == "restricted"
    basis: 测试
"""


@cache
def screeners() -> tuple[Screener, Screener]:
    folder = Path(tempfile.mkdtemp(prefix="info-rules-"))
    (folder / "without-info.yaml").write_text(WITHOUT, encoding="utf-8")
    (folder / "with-info.yaml").write_text(WITH, encoding="utf-8")
    return (
        Screener(load_ruleset(str(folder / "without-info.yaml"), as_of=DAY)),
        Screener(load_ruleset(str(folder / "with-info.yaml"), as_of=DAY)),
    )


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


@st.composite
def projects(draw: st.DrawFn) -> dict:
    sections = {
        "investment": {
            "total": draw(maybe(st.integers(0, 200_000))),
            "fixed_assets": draw(maybe(st.integers(0, 150_000))),
        },
        "land": {
            "area_mu": draw(maybe(st.integers(1, 500))),
            "plot_ratio": draw(maybe(st.sampled_from([0.3, 0.8, 1.2, 2]))),
            "building_coverage": draw(maybe(st.sampled_from([0.2, 0.3, 0.5]))),
        },
        "output": {
            "annual_tax": draw(maybe(st.integers(0, 20_000))),
            "employees": draw(maybe(st.integers(0, 900))),
            "rd_share": draw(maybe(st.sampled_from([0, 0.01, 0.05]))),
        },
        "environment": {
            "in_red_line": draw(maybe(st.booleans())),
            "access_list_conflict": draw(maybe(st.booleans())),
            "catalogue": draw(
                maybe(st.sampled_from(["encouraged", "permitted", "restricted"]))
            ),
            "energy_tce": draw(maybe(st.integers(0, 60_000))),
            "electricity_kwh": draw(maybe(st.integers(0, 9_000_000))),
            "eia_category": draw(
                maybe(st.sampled_from(["report", "report_table", "registration"]))
            ),
        },
        "extra": {
            "investor_type": draw(maybe(st.sampled_from(["listed", "private"]))),
            "safety_risk": draw(maybe(st.sampled_from(["low", "high"]))),
        },
    }
    data = {
        name: {k: v for k, v in fields.items() if v is not None}
        for name, fields in sections.items()
    }
    return {
        "industry": draw(st.sampled_from(["C2613", "C3841", "C2110", "C1391"])),
        **data,
    }


@given(projects())
def test_info_rules_change_no_decision_score_or_missing_list(data: dict) -> None:
    without, with_info = screeners()
    project = Project.model_validate(data)
    plain, informed = without.screen(project), with_info.screen(project)
    assert sum(f.kind == "info" for f in informed.findings) == 4
    assert not any(f.kind == "info" for f in plain.findings)
    for name in (
        "outcome",
        "score",
        "vetoed_by",
        "rejected_by",
        "reviewed_by",
        "missing",
    ):
        assert getattr(plain, name) == getattr(informed, name), name
    others = [f for f in informed.findings if f.kind != "info"]
    assert [f.check_tuple() for f in others] == [
        f.check_tuple() for f in plain.findings
    ]
