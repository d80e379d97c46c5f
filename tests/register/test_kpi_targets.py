"""KPI targets for a park no lead is in (a typo, or a park with no signed project yet)
are shown as missed, 0/N, and warned about naming the parks meant; 合计 is held against
the sum of every target; `register kpi --park` naming no park of the register is
refused, naming the parks there are. Before, such targets were dropped silently (合计
read 3/1 against a file summing to 9) and `--park 铁山港` printed a report of zeros."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from screening.cli import main

LEADS = (
    "项目编号,项目名称,企业名称,园区,行业代码,总投资(万元),固定资产投资(万元),用地面积(亩)\n"
    "TSG-01,磷酸铁项目,甲公司,铁山港工业区,C2613,20000,15000,50\n"
    "TSG-02,电子元件项目,乙公司,铁山港工业区,C3985,8000,6000,20\n"
    "HX-01,光伏组件项目,丙公司,海新园区,C3825,50000,40000,100\n"
)
TARGETS = """targets:
  - park: 铁山港        # 简称，与项目库中的「铁山港工业区」不一致
    year: 2025
    签约: {3000万: 6}
  - park: 龙港园区      # 今年尚无项目
    year: 2025
    签约: {3000万: 2}
  - park: 海新园区
    year: 2025
    签约: {3000万: 1}
    开工: {2000万: 1}   # a band of its own, for a park where nothing started
"""


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"SCREENING_USER": "测试员"})


@pytest.fixture
def register(db_url: str, tmp_path: Path) -> str:
    leads = tmp_path / "leads.csv"
    leads.write_text(LEADS, encoding="utf-8")
    done = _run("register", "import", str(leads), "--rules", "national", "--db", db_url)
    assert done.exit_code == 0, done.stderr
    for key, on in (
        ("TSG-01", "2025-02-01"),
        ("TSG-02", "2025-03-01"),
        ("HX-01", "2025-07-01"),
    ):
        assert (
            _run(
                "register", "stage", key, "签约", "--date", on, "--db", db_url
            ).exit_code
            == 0
        )
    return db_url


def test_a_target_park_without_leads_is_missed_and_the_total_sums_every_target(
    register: str, tmp_path: Path
) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text(TARGETS, encoding="utf-8")
    result = _run(
        "register", "kpi", "--year", "2025", "--targets", str(targets),
        "--format", "json", "--db", register,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    parks = {p["park"]: p["bands"] for p in json.loads(result.stdout)["parks"]}
    assert parks["铁山港"]["签约"]["3000"] == {"count": 0, "target": 6}
    assert parks["龙港园区"]["签约"]["3000"] == {"count": 0, "target": 2}
    assert parks["铁山港工业区"]["签约"]["3000"] == {"count": 2, "target": None}
    assert parks["海新园区"]["签约"]["3000"] == {"count": 1, "target": 1}
    assert parks["海新园区"]["开工"]["2000"] == {"count": 0, "target": 1}
    assert parks["合计"]["签约"]["3000"] == {"count": 3, "target": 9}
    assert parks["合计"]["开工"]["2000"] == {"count": 0, "target": 1}
    warned = result.stderr.splitlines()
    typo = next(line for line in warned if "「铁山港」" in line)
    assert "没有项目" in typo and "是否指「铁山港工业区」" in typo and "0/N" in typo
    assert "did you mean 铁山港工业区" in typo
    new = next(line for line in warned if "「龙港园区」" in line)
    assert "是否指" not in new  # no park spelled like it (园区 alone is no likeness)
    assert not any("海新园区" in line and "没有项目" in line for line in warned)
    text = _run(
        "register", "kpi", "--year", "2025", "--targets", str(targets), "--db", register
    )  # fmt: skip
    table = text.stdout.splitlines()
    assert any(line.startswith("铁山港 ") and " 0/6 " in line for line in table)
    assert any(line.startswith("合计 ") and " 3/9 " in line for line in table)


def test_kpi_for_a_park_not_in_the_register_is_refused_naming_the_parks(
    register: str,
) -> None:
    result = _run(
        "register", "kpi", "--year", "2025", "--park", "铁山港", "--db", register
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert "项目库中没有园区「铁山港」" in result.stderr
    assert "是否指「铁山港工业区」" in result.stderr
    assert "现有园区：海新园区、铁山港工业区" in result.stderr
    assert "no park '铁山港' in the register" in result.stderr
    one = _run(
        "register", "kpi", "--year", "2025", "--park", "海新园区", "--db", register
    )
    assert one.exit_code == 0 and "海新园区" in one.stdout
