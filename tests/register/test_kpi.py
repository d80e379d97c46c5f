"""KPIs on a pipeline built step by step, figures checked by hand; targets files."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from screening.cli import main
from screening.register import Register, schema
from screening.register import kpi as kpi_module
from screening.register.kpi import compute_kpis, period_of
from screening.register.targets import load_targets
from tests.register.conftest import beihai_rows, write_jsonl

D = dt.date
TSG, LH = "铁山港工业区", "临海工业区"


@pytest.fixture
def pipeline(db_url: str, tmp_path: Path) -> str:
    """Ten leads in two parks, moved through stages, with promises and actuals."""
    rows = beihai_rows(10)  # even rows in 铁山港, odd rows in 临海
    for i, row in enumerate(rows):
        row["investment"]["total"] = ("2000", "3000", "6000", "12000", "4000")[i % 5]
    runner = CliRunner()
    assert (
        runner.invoke(
            main,
            [
                "register",
                "import",
                str(write_jsonl(tmp_path / "in.jsonl", rows)),
                "--rules",
                "parks/beihai-tieshangang-2023",
                "--as-of",
                "2025-06-30",
                "--db",
                db_url,
                "--jobs",
                "1",
            ],
        ).exit_code
        == 0
    )
    actor = "测试员"
    with Register.open(db_url) as r:
        # 铁山港: 0 signed 2025-02 and started 2025-05; 2 signed 2025-03 not started; 4 signed 2024-12
        # and started 2025-01; 6 signed 2025-06, started 2026-01 (after the period); 8 terminated
        for key, moves in {
            "bh-000000": [
                ("签约", D(2025, 2, 1)),
                ("供地", D(2025, 3, 1)),
                ("开工", D(2025, 5, 1)),
            ],
            "bh-000002": [("签约", D(2025, 3, 1))],
            "bh-000004": [
                ("签约", D(2024, 12, 1)),
                ("供地", D(2024, 12, 20)),
                ("开工", D(2025, 1, 10)),
            ],
            "bh-000006": [
                ("签约", D(2025, 6, 1)),
                ("供地", D(2025, 9, 1)),
                ("开工", D(2026, 1, 5)),
            ],
            "bh-000001": [
                # in negotiation before its committee meeting (2025-03-20, below)
                ("洽谈", D(2025, 3, 1)),
                ("签约", D(2025, 4, 1)),
                ("供地", D(2025, 4, 2)),
                ("开工", D(2025, 4, 3)),
                ("投产", D(2025, 11, 1)),
            ],
        }.items():
            for stage, on in moves:
                r.record_stage(key, stage, on, actor)
        r.record_stage("bh-000008", "终止", D(2025, 7, 1), actor, reason="企业放弃")
        r.record_promise(
            "bh-000000",
            {"total_investment": Decimal(6000)},
            actor,
            start_by=D(2025, 4, 30),
        )
        r.record_promise(
            "bh-000002",
            {"total_investment": Decimal(4000)},
            actor,
            start_by=D(2025, 9, 30),
        )
        r.record_promise(
            "bh-000006",
            {"total_investment": Decimal(10000)},
            actor,
            start_by=D(2025, 12, 31),
            production_by=D(2026, 12, 31),
        )
        r.record_promise(
            "bh-000001",
            {"total_investment": Decimal(5000)},
            actor,
            production_by=D(2025, 12, 1),
        )
        r.record_actual("bh-000000", D(2025, 6, 30), {"invested": Decimal(2000)}, actor)
        r.record_actual(
            "bh-000000", D(2025, 12, 31), {"invested": Decimal(4500)}, actor
        )
        r.record_actual(
            "bh-000000", D(2026, 1, 31), {"invested": Decimal(6000)}, actor
        )  # after the period
        r.record_actual("bh-000006", D(2025, 10, 1), {"invested": Decimal(1000)}, actor)
        r.record_actual("bh-000001", D(2025, 8, 1), {"invested": Decimal(5000)}, actor)
        r.record_committee("bh-000001", "同意", D(2025, 3, 20), actor)
    return db_url


def test_kpis_for_a_year(pipeline: str) -> None:
    with Register.open(pipeline) as register:
        report = compute_kpis(
            register, period_of(2025, None, None, None, None, D(2026, 12, 1))
        )
    parks = {p["park"]: p for p in report["parks"]}
    tsg, lh, total = parks[TSG], parks[LH], parks["合计"]
    # stage at the end of 2025: bh-6 started only in 2026, so it was at 供地 then
    assert tsg["by_stage"] == {
        "洽谈": 0,
        "签约": 1,
        "供地": 1,
        "开工": 2,
        "投产": 0,
        "达产": 0,
        "终止": 1,
        "退出": 0,
    }
    assert tsg["leads"] == 5 and tsg["by_decision"]["none"] == 0
    # 履约率: signed in 2025 = bh-0, bh-2, bh-6; started by 2025-12-31 = bh-0 → 1/3
    assert (tsg["signed"], tsg["signed_started"], tsg["履约率"]) == (
        3,
        1,
        Decimal("33.3"),
    )
    assert (lh["signed"], lh["signed_started"], lh["履约率"]) == (
        1,
        1,
        Decimal("100.0"),
    )
    # 开工率: promised start in 2025 = bh-0, bh-2, bh-6; started by the end = bh-0 → 1/3
    assert (tsg["promised_start"], tsg["promised_start_met"]) == (3, 1)
    # 投产率: bh-1 promised production 2025-12-01 and in production 2025-11-01; bh-6's is in 2026
    assert (lh["promised_production"], lh["promised_production_met"], lh["投产率"]) == (
        1,
        1,
        Decimal("100.0"),
    )
    assert tsg["promised_production"] == 0 and tsg["投产率"] is None
    # 资金到位率 over signed-in-2025 leads with a promise: (4500 + 0 + 1000) / (6000 + 4000 + 10000)
    assert (tsg["invested"], tsg["promised_total"]) == (Decimal(5500), Decimal(20000))
    assert tsg["资金到位率"] == Decimal("27.5")
    # ≥ bands of leads signed in 2025 (promised total, else screened total): 6000, 4000, 10000 in 铁山港
    assert tsg["bands"]["签约"] == {
        "3000": {"count": 3, "target": None},
        "5000": {"count": 2, "target": None},
        "10000": {"count": 1, "target": None},
    }
    assert total["signed"] == 4 and total["committee"]["同意"] == 1
    assert total["by_stage"]["投产"] == 1


def test_kpis_for_a_quarter_and_a_park(pipeline: str) -> None:
    with Register.open(pipeline) as register:
        report = compute_kpis(
            register,
            period_of(None, "2025Q1", None, None, None, D(2026, 12, 1)),
            park=TSG,
        )
    assert [p["park"] for p in report["parks"]] == [TSG]
    tsg = report["parks"][0]
    # signed in Q1: bh-0 (started 2025-05, after the quarter), bh-2 → 0/2
    assert (tsg["signed"], tsg["signed_started"], tsg["履约率"]) == (
        2,
        0,
        Decimal("0.0"),
    )
    assert tsg["by_stage"]["开工"] == 1  # bh-4 started 2025-01-10


def test_the_stock_at_a_past_end_is_each_leads_stage_then(pipeline: str) -> None:
    """The stock (counted from the current stages, corrected for the leads that reached
    theirs after the end) equals one pass giving every lead its stage at the end."""
    with Register.open(pipeline) as r:
        # moves back and out of order (with an override), and an ending undone
        r.record_stage(
            "bh-000004", "签约", D(2025, 8, 1), "测试员", override=True, note="回退"
        )
        r.record_stage(
            "bh-000008", "洽谈", D(2025, 9, 1), "测试员", override=True, note="重启"
        )
        r.record_stage("bh-000003", "签约", D(2024, 7, 1), "测试员")
        r.record_stage("bh-000003", "退出", D(2026, 2, 1), "测试员", reason="迁出")
        ends = [
            D(y, m, d)
            for y in (2024, 2025, 2026)
            for m in range(1, 13)
            for d in (1, 15)
        ]
        ends = [end for end in ends if end < dt.date.today()]
        then = kpi_module._stage_at
        c = schema.leads.c
        for park in (None, TSG):
            for end in ends:
                report = compute_kpis(
                    r, period_of(None, None, None, D(2024, 1, 1), end, end), park=park
                )
                with r.read() as conn:
                    stage_then = then(end)  # one object: the same SQL in GROUP BY
                    query = select(c.park, stage_then, func.count()).group_by(
                        c.park, stage_then
                    )
                    if park is not None:
                        query = query.where(c.park == park)
                    expected: dict[str, dict[str, int]] = {}
                    for name, stage, n in conn.execute(query):
                        if stage is not None:
                            expected.setdefault(name, {})[stage] = n
                for item in report["parks"]:
                    if item["park"] == "合计":
                        continue
                    found = {k: v for k, v in item["by_stage"].items() if v}
                    assert found == expected.pop(item["park"], {}), (park, end)
                    assert item["leads"] == sum(found.values())
                assert expected == {}, (park, end)


def test_targets_against_counts_and_the_cli(pipeline: str, tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text(
        f"targets:\n  - park: {TSG}\n    year: 2025\n    签约: {{3000万: 4, 1亿: 1}}\n"
        f"    started: {{5000万: 2}}\n  - park: {LH}\n    year: 2025\n    签约: {{3000万: 2}}\n",
        encoding="utf-8",
    )
    with Register.open(pipeline) as register:
        report = compute_kpis(
            register,
            period_of(2025, None, None, None, None, D(2026, 12, 1)),
            targets=load_targets(targets),
        )
    parks = {p["park"]: p for p in report["parks"]}
    assert parks[TSG]["bands"]["签约"]["3000"] == {"count": 3, "target": 4}
    assert parks[TSG]["bands"]["签约"]["10000"] == {"count": 1, "target": 1}
    assert parks["合计"]["bands"]["签约"]["3000"] == {"count": 4, "target": 6}
    result = CliRunner().invoke(
        main,
        [
            "register",
            "kpi",
            "--year",
            "2025",
            "--targets",
            str(targets),
            "--db",
            pipeline,
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert (
        "履约率" in result.stdout
        and "33.3%（1/3）" in result.stdout
        and "3/4" in result.stdout
    )
    data = json.loads(
        CliRunner()
        .invoke(
            main,
            ["register", "kpi", "--year", "2025", "--format", "json", "--db", pipeline],
        )
        .stdout
    )
    assert data["period"] == {
        "label": "2025",
        "start": "2025-01-01",
        "end": "2025-12-31",
    }
    out = tmp_path / "kpi.xlsx"
    result = CliRunner().invoke(
        main,
        [
            "register",
            "kpi",
            "--year",
            "2025",
            "--format",
            "xlsx",
            "-o",
            str(out),
            "--db",
            pipeline,
        ],
    )
    from openpyxl import load_workbook

    rows = list(load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    assert rows[1][0] == "园区" and {r[0] for r in rows[2:]} == {TSG, LH, "合计"}


@pytest.mark.parametrize(
    "text, where, words",
    [
        (
            "targets:\n  - park: x\n    year: 2025\n    签约: {3000美元: 1}\n",
            ":4:",
            "单位",
        ),
        (
            "targets:\n  - park: x\n    year: 2025\n    signd: {3000万: 1}\n",
            ":4:",
            "未知的键",
        ),
        ("targets:\n  - park: x\n    year: 二〇二五\n", ":3:", "year"),
        (
            "targets:\n  - park: x\n    year: 2025\n    开工: {1亿: -1}\n",
            ":4:",
            "非负整数",
        ),
        (
            "targets:\n  - {park: x, year: 2025}\n  - {park: x, year: 2025}\n",
            ":3:",
            "重复",
        ),
        ("targets: [\n", ":", "YML"),
    ],
)
def test_a_bad_targets_file_names_the_line(
    tmp_path: Path, text: str, where: str, words: str
) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["register", "kpi", "--targets", str(path), "--db", str(tmp_path / "x.db")],
    )
    assert result.exit_code == 2
    assert f"targets.yaml{where}" in result.stderr and words in result.stderr, (
        result.stderr
    )


@pytest.mark.parametrize(
    "args, period",
    [
        ((2025, None, None, None, None), (D(2025, 1, 1), D(2025, 12, 31))),
        ((None, "2025Q4", None, None, None), (D(2025, 10, 1), D(2025, 12, 31))),
        ((None, None, "2024-02", None, None), (D(2024, 2, 1), D(2024, 2, 29))),
        ((None, None, None, D(2025, 3, 1), None), (D(2025, 3, 1), D(2026, 6, 1))),
        ((None, None, None, None, None), (D(2026, 1, 1), D(2026, 6, 1))),
    ],
)
def test_periods(args: tuple[object, ...], period: tuple[dt.date, dt.date]) -> None:
    found = period_of(*args, today=D(2026, 6, 1))  # type: ignore[misc]
    assert (found.start, found.end) == period
