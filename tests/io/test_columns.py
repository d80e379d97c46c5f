"""Header mapping: aliases, units in headers, two-row headers, --columns files."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.io import columns
from screening.io.columns import (
    Column,
    HeaderIssue,
    HeaderMatch,
    InputError,
    check_field,
    find_header,
    load_column_map,
    map_headers,
    match_header,
    normalise_header,
)
from screening.model.project import FIELDS


@pytest.mark.parametrize(
    ("header", "field", "unit"),
    [
        ("项目编号", "id", None),
        ("项目名称", "name", None),
        ("企业名称", "company", None),
        ("行业代码", "industry", None),
        ("总投资(万元)", "investment.total", None),
        ("总投资（万元）", "investment.total", None),
        ("总投资 (万元)", "investment.total", None),
        ("总投资【万元】", "investment.total", None),
        ("总投资(亿元)", "investment.total", "亿元"),
        ("总投资（亿）", "investment.total", "亿"),
        ("总投资（万元人民币）", "investment.total", None),
        ("其中：固定资产投资(万元)", "investment.fixed_assets", None),
        ("用地面积(亩)", "land.area_mu", None),
        ("用地面积(公顷)", "land.area_ha", None),
        ("用地面积（平方米）", "land.area_mu", "平方米"),
        ("用地面积(m²)", "land.area_mu", "m2"),
        ("容积率", "land.plot_ratio", None),
        ("绿地率(%)", "land.green_ratio", "%"),
        ("年税收（万元/年）", "output.annual_tax", None),
        ("从业人数(人)", "output.employees", None),
        ("年综合能耗(吨标煤)", "environment.energy_tce", None),
        ("年综合能耗(万吨标煤)", "environment.energy_tce", "万吨标煤"),
        ("年综合能耗（当量值，吨标准煤）", "environment.energy_tce", None),
        ("年用电量(万千瓦时)", "environment.electricity_kwh", "万千瓦时"),
        ("是否位于生态保护红线(是/否)", "environment.in_red_line", None),
        ("是否与生态环境准入清单冲突", "environment.access_list_conflict", None),
        ("产业目录类别", "environment.catalogue", None),
        ("环评类别", "environment.eia_category", None),
        ("COD排放量(吨)", "environment.emissions.cod_t", None),
        ("COD排放量(kg)", "environment.emissions.cod_t", "kg"),
        ("VOCs排放量(t/a)", "environment.emissions.vocs_t", None),
        ("行业代码\n(GB/T 4754-2017)", "industry", None),
        ("总投资 *", "investment.total", None),
        ("Total investment (10k CNY)", "investment.total", None),
        ("Land area (ha)", "land.area_ha", None),
        ("investment.total", "investment.total", None),
        ("fixed_assets", "investment.fixed_assets", None),
        ("ammonia_t", "environment.emissions.ammonia_t", None),
    ],
)
def test_match_header_reads_field_and_unit(
    header: str, field: str, unit: str | None
) -> None:
    assert match_header(header) == HeaderMatch(field, unit)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("联系人", "未识别的列名 / unknown header"),
        ("total", "未识别的列名 / unknown header"),
        (
            "总投资(美元)",
            "单位「美元」不适用于 investment.total / "
            "unit not accepted for investment.total",
        ),
        (
            "容积率(计容)",
            "单位「计容」不适用于 land.plot_ratio / "
            "unit not accepted for land.plot_ratio",
        ),
    ],
)
def test_match_header_explains_what_it_cannot_map(header: str, reason: str) -> None:
    assert match_header(header) == HeaderMatch(None, None, reason)


def test_user_map_wins_and_units_in_its_headers_count() -> None:
    extra = {"投资额（亿）": "investment.total", "投资主体类型": "extra.investor_type"}
    assert match_header("投资额(亿)", extra) == HeaderMatch("investment.total", "亿")
    assert match_header("投资主体类型", extra) == HeaderMatch("extra.investor_type")


def test_aliases_are_unambiguous_once_normalised() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for path, names in columns._NAMES.items():
        for name in names:
            key = normalise_header(name)
            if seen.setdefault(key, path) != path:
                clashes.append((name, seen[key], path))
    assert clashes == []


def test_every_contract_field_has_a_kind_and_an_alias() -> None:
    derived = {
        "industry.code",
        "industry.section",
        "industry.division",
        "industry.group",
    }
    inputs = set(FIELDS) - derived | {"industry", "land.area_ha"}
    assert set(columns.FIELD_KINDS) == inputs
    assert set(columns._NAMES) == inputs


def test_map_headers_reports_unknown_and_duplicate_columns() -> None:
    header = map_headers(
        ["序号", "项目编号", "项目名称", "联系人", None, "编号", "总投资(亿元)"]
    )
    assert header.columns == (
        Column(1, "项目编号", "id"),
        Column(2, "项目名称", "name"),
        Column(6, "总投资(亿元)", "investment.total", "亿元"),
    )
    assert header.issues == (
        HeaderIssue(3, "联系人", "未识别的列名 / unknown header"),
        HeaderIssue(
            5,
            "编号",
            "与第 2 列「项目编号」同为 id，已忽略 / "
            "duplicate of column 2 (id), ignored",
        ),
    )
    assert header.column_of("investment.total") == Column(
        6, "总投资(亿元)", "investment.total", "亿元"
    )
    assert header.column_of("land.area_mu") is None


def _fields(
    rows: list[list[object]],
) -> tuple[int, int, list[tuple[int, str, str, str | None]]]:
    location = find_header(rows)
    assert location is not None
    cols = [(c.index, c.header, c.field, c.unit) for c in location.header.columns]
    return location.first, location.height, cols


def test_find_header_skips_title_and_blank_rows() -> None:
    rows: list[list[object]] = [
        ["2024年第二季度招商引资项目汇总表"],
        [],
        ["填报单位：宁波高新区招商局", None, "填报日期：2024-06-30"],
        ["项目编号", "项目名称", "总投资(万元)"],
        ["NB-001", "锂电池正极材料项目", 52000],
    ]
    assert _fields(rows) == (
        3,
        1,
        [
            (0, "项目编号", "id", None),
            (1, "项目名称", "name", None),
            (2, "总投资(万元)", "investment.total", None),
        ],
    )


def test_find_header_joins_a_group_row_above_with_merged_cells() -> None:
    # As openpyxl reads merged cells: the text sits in the first cell of the range only.
    rows: list[list[object]] = [
        ["项目编号", "项目名称", "投资", None, "用地", None],
        [None, None, "总投资(万元)", "固定资产投资(万元)", "面积(亩)", "容积率"],
        ["NB-001", "锂电池正极材料项目", 52000, 41000, 120, 1.2],
    ]
    assert _fields(rows) == (
        0,
        2,
        [
            (0, "项目编号", "id", None),
            (1, "项目名称", "name", None),
            (2, "总投资(万元)", "investment.total", None),
            (3, "固定资产投资(万元)", "investment.fixed_assets", None),
            (4, "用地面积(亩)", "land.area_mu", None),
            (5, "容积率", "land.plot_ratio", None),
        ],
    )


def test_find_header_joins_when_the_first_row_alone_maps_too_little() -> None:
    rows: list[list[object]] = [
        ["项目名称", "投资情况", None],
        [None, "总投资(亿元)", "固定资产投资(万元)"],
        ["锂电池正极材料项目", 5.2, 41000],
    ]
    assert _fields(rows) == (
        0,
        2,
        [
            (0, "项目名称", "name", None),
            (1, "总投资(亿元)", "investment.total", "亿元"),
            (2, "固定资产投资(万元)", "investment.fixed_assets", None),
        ],
    )


def test_find_header_does_not_take_a_data_row_for_a_sub_header() -> None:
    rows: list[list[object]] = [
        ["项目编号", "项目名称", "园区"],
        ["NB-001", "项目", "高新区"],
    ]
    assert _fields(rows)[:2] == (0, 1)


def test_find_header_needs_two_known_columns() -> None:
    assert find_header([["项目名称", "联系人"], ["锂电池项目", "张三"]]) is None


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("investment.total", None),
        ("extra.investor_type", None),
        ("land.area_ha", None),
        (
            "investment.totl",
            "未知字段 'investment.totl'，是否应为 investment.total / "
            "did you mean investment.total / unknown field",
        ),
        ("extra.", "未知字段 'extra.' / unknown field"),
    ],
)
def test_check_field(path: str, problem: str | None) -> None:
    assert check_field(path) == problem


def test_load_column_map_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "columns.yaml"
    path.write_text(
        "投资额（亿）: investment.total\n占地(亩): land.area_mu\n", encoding="utf-8"
    )
    assert load_column_map(path) == {
        "投资额（亿）": "investment.total",
        "占地(亩)": "land.area_mu",
    }


def test_load_column_map_from_gbk_csv_with_title_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "columns.csv"
    text = (
        "列名,字段\n# 本园区表格\n投资额（亿）,investment.total\n\n"
        "投资主体类型,extra.investor_type\n"
    )
    path.write_bytes(text.encode("gbk"))
    assert load_column_map(path) == {
        "投资额（亿）": "investment.total",
        "投资主体类型": "extra.investor_type",
    }


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "c.yaml",
            "投资额: investment.totl\n",
            "c.yaml:1: [INP] 未知字段 'investment.totl'，是否应为 investment.total / "
            "did you mean investment.total / unknown field (投资额)",
        ),
        (
            "c.yaml",
            "- investment.total\n",
            "c.yaml: [INP] 列映射文件应为「列名: 字段」映射 / expected a mapping",
        ),
        (
            "c.yaml",
            "投资额: 3\n",
            "c.yaml:1: [INP] 字段路径应为文本 / field path must be text (投资额)",
        ),
        (
            "c.csv",
            "投资额,investment.total\n占地\n",
            "c.csv:2: [INP] 每行应为「列名,字段」/ expected header,field",
        ),
    ],
)
def test_load_column_map_errors_point_at_the_line(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_column_map(path)
    assert str(caught.value) == str(tmp_path) + "/" + message
