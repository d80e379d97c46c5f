"""A comma is a thousands separator only every 3 digits of a figure's whole part: a
cell typed "240,97" (a decimal point typed as a comma, or with a Chinese IME as ，) is a
bad cell naming its row and column, never read as 24,097 — 100 times the figure."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from screening.cli import main

HEAD = "项目编号,项目名称,企业名称,行业代码,总投资(万元),固定资产投资(万元),用地面积(亩),年税收(万元)"


def test_a_misplaced_comma_is_a_bad_cell_in_a_batch(tmp_path: Path) -> None:
    sheet = tmp_path / "leads.csv"
    sheet.write_text(
        f"{HEAD}\n"
        'p1,甲,甲公司,C2613,30000,26000,100,"2,100"\n'
        'p2,乙,乙公司,C2613,30000,26000,100,"240,97"\n'
        "p3,丙,丙公司,C2613,30000,26000,100,240，97\n",
        encoding="gb18030",
    )
    out = tmp_path / "r.csv"
    result = CliRunner().invoke(
        main, ["batch", str(sheet), "--rules", "national", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig") as handle:
        assert [row["id"] for row in csv.DictReader(handle)] == ["p1"]
    errors = (tmp_path / "r.errors.csv").read_text("utf-8-sig")
    assert errors.count("千分位逗号位置不对") == 2 and "年税收" in errors
    assert "共 3 行：筛查 1 行" in result.stderr and "无效 2 行" in result.stderr
