"""Defects of the yearly review found by the exploratory tester (/tmp/explore-review)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_screen_cli import invoke

FIRM_HEADER = (
    "企业名称,统一社会信用代码,企业规模,用地面积(亩),税收实际贡献(万元),营业收入(万元),"
    "工业增加值(万元),综合能耗(吨标煤),主要污染物排放当量(吨),研发经费(万元),"
    "年平均职工人数,实际投产日期,是否公用事业企业,是否发生重大安全生产或环境污染事故"
)


def _write(path: Path, *lines: str) -> str:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_the_firms_production_date_fills_the_promise(tmp_path: Path) -> None:
    # finding 1: produced 2022-03-01, promised by 2022-06-30; the promises file has
    # no 实际投产日期, so the firms table's is used: met, not overdue, no 反制 entry
    firms = _write(
        tmp_path / "firms.csv",
        FIRM_HEADER,
        "台州戊电子有限公司,91331003000000005B,规上,10,240.97,10000,1361.6,505.4,"
        "0.276197,302,75.06,2022-03-01,否,否",
    )
    promises = _write(
        tmp_path / "promises.csv",
        "企业名称,统一社会信用代码,用地面积(亩),承诺投产日期,实际投产日期",
        "台州戊电子有限公司,91331003000000005B,10,2022-06-30,",
    )
    out = tmp_path / "out.json"
    invoke(["evaluate", firms, "--scheme", "huangyan", "--year", "2025",
            "--promises", promises, "-o", str(out)])  # fmt: skip
    doc = json.loads(out.read_text(encoding="utf-8"))
    (firm,) = doc["firms"]
    (item,) = [p for p in firm["promise"]["items"] if p["promise"] == "production"]
    assert item["actual"] == "2022-03-01"
    assert item["status"] == "met" and item["gap"] == -121 and not item["overdue"]
    assert doc["actions"] == []
