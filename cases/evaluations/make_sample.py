"""Write the README's 回头看 sample: fictional firms' 2025 figures and their promises.

    python cases/evaluations/make_sample.py

Every firm is made up (示例…（虚构）, credit codes with valid check characters but
no real registration). The figures are drawn, with a fixed seed, around the 黄岩
2022 benchmarks, so the classes spread over A–D; a few rows carry what real sheets
carry: a missing emission figure, no R&D figure, a utility, a firm producing for
under two years, a major incident, a typo, a totals line. Output:
sample-firms-2025.xlsx and sample-promises-2025.xlsx beside this script.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
HEADERS = [
    "序号", "企业名称", "统一社会信用代码", "企业规模", "所属乡镇", "用地面积(亩)", "税收实际贡献(万元)",
    "营业收入(万元)", "工业增加值(万元)", "综合能耗(吨标煤)", "主要污染物排放当量(吨)", "研发经费(万元)",
    "年平均职工人数", "用电量(万千瓦时)", "投产日期", "是否公用事业企业", "是否发生重大安全生产或环境污染事故",
]  # fmt: skip
PROMISE_HEADERS = [
    "企业名称", "统一社会信用代码", "用地面积(亩)", "承诺固定资产投资(万元)", "已到位固定资产投资(万元)",
    "承诺亩均税收(万元/亩)", "承诺开工日期", "实际开工日期", "承诺投产日期", "实际投产日期",
]  # fmt: skip
TOWNS = ["东城街道", "南城街道", "新前街道", "江口街道", "院桥镇", "沙埠镇"]
TRADES = [
    "模具",
    "塑料制品",
    "汽车零部件",
    "医药化工",
    "泵业",
    "电器",
    "鞋服",
    "食品",
    "五金",
    "新材料",
]
_CODE = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
FIXED = dt.datetime(2026, 1, 1)  # workbook timestamps, so regenerating changes nothing


def credit_code(n: int) -> str:
    """A fictional 统一社会信用代码 with a valid check character."""
    body = f"91331003MA2{n:06d}"
    total = sum(_CODE.index(c) * w for c, w in zip(body, _WEIGHTS, strict=True))
    return body + _CODE[(31 - total % 31) % 31]


def firms(rng: random.Random) -> list[list[object]]:
    rows: list[list[object]] = []
    for i in range(1, 61):
        above = i <= 45
        land = round(rng.uniform(5, 120), 2)
        level = rng.lognormvariate(0, 0.45)  # around 1: around the benchmarks
        tax = round(
            land * (24.097 if above else 11.5932) * level * rng.uniform(0.7, 1.3), 2
        )
        added = round(land * 136.16 * level * rng.uniform(0.7, 1.3), 2)
        revenue = round(added * rng.uniform(3, 5), 2)
        row: list[object] = [
            i, f"示例黄岩{TRADES[i % len(TRADES)]}{i:02d}有限公司（虚构）", credit_code(i),
            "规上" if above else "规下", TOWNS[i % len(TOWNS)], land, tax, revenue,
            added if above else None,
            round(added / (2.694 * level * rng.uniform(0.7, 1.3)), 1) if above else None,
            round(added / (4929.81 * level * rng.uniform(0.6, 1.4)), 3) if above else None,
            round(revenue * 0.0302 * rng.uniform(0.3, 1.6), 2) if above else None,
            max(5, round(added / (18.14 * level * rng.uniform(0.7, 1.3)))) if above else None,
            None if above else round(tax / (0.2352 * level * rng.uniform(0.7, 1.3)), 2),
            dt.date(rng.randint(2005, 2021), rng.randint(1, 12), 1), "否", "否",
        ]  # fmt: skip
        rows.append(row)
    rows[6][10] = None  # no emission data: scored by the 规上 average, as 黄岩 does
    rows[11][11] = None  # no R&D figure: 0 points, flagged (this project's choice)
    rows[14][15] = "是"  # a water company: not rated
    rows[20][14] = dt.date(2024, 5, 1)  # producing for under two years: not rated
    rows[25][16] = "是"  # a major incident: class D whatever the score
    rows[30][5] = "十二亩"  # a typo: a bad row, reported, the others still evaluated
    rows.append(
        [
            None,
            "合计",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ]
    )
    return rows


def promises(rows: list[list[object]]) -> list[list[object]]:
    def firm(i: int) -> tuple[object, object, object]:
        row = rows[i - 1]
        return row[1], row[2], row[5]

    out = []
    for i, promised, in_place, tax_per_mu, start, started, production, produced in (
        (3, 400, 330, 30, "2018-03-01", "2018-04-10", "2019-06-30", "2019-08-01"),
        (9, 350, 345, 20, "2019-05-01", "2019-05-20", "2020-06-30", "2020-06-15"),
        (17, 500, 260, 40, "2020-03-01", "2020-09-01", "2021-12-31", None),
        (22, 300, 310, 15, "2017-01-01", "2017-01-05", "2018-01-01", "2017-12-20"),
    ):
        name, code, land = firm(i)
        assert isinstance(land, float)
        out.append([
            name, code, land, round(promised * land, 2), round(in_place * land, 2), tax_per_mu,
            dt.date.fromisoformat(start), dt.date.fromisoformat(started),
            dt.date.fromisoformat(production), dt.date.fromisoformat(produced) if produced else None,
        ])  # fmt: skip
    return out


def write(path: Path, title: str, headers: list[str], rows: list[list[object]]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append([f"{title}（示例数据，企业均为虚构）"])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=3):
        for cell in cells:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    book.properties.created = book.properties.modified = FIXED
    book.save(path)


def main() -> None:
    rng = random.Random(2025)
    rows = firms(rng)
    write(
        HERE / "sample-firms-2025.xlsx",
        "2025年度工业企业亩均效益评价数据",
        HEADERS,
        rows,
    )
    write(
        HERE / "sample-promises-2025.xlsx",
        "供地承诺与履约情况",
        PROMISE_HEADERS,
        promises(rows),
    )


if __name__ == "__main__":
    main()
