"""Batch readers: encodings, real-world spreadsheet layouts, bad rows, streaming."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from screening.errors import YamlError
from screening.io.columns import Column, InputError
from screening.io.readers import (
    CellError,
    RowError,
    convert_cell,
    parse_deferred,
    read_rows,
)
from screening.model.project import Project, flatten
from screening.model.units import UnitError, parse_amount
from screening.source import load_yaml_file

HEADER = (
    "项目编号,项目名称,企业名称,行业代码,总投资(万元),用地面积(亩),"
    "是否位于生态保护红线,产业目录类别\n"
)
LINES = (
    "NB-001,年产5万吨锂电池正极材料项目,宁波甬能新材料有限公司,C3841,52000,120,否,鼓励类\n"
    "NB-002,汽车零部件精密铸造扩建项目,浙江精铸科技股份有限公司,C3670,18000,60,是,允许类\n"
)
EXPECTED = [
    {
        "id": "NB-001",
        "name": "年产5万吨锂电池正极材料项目",
        "company": "宁波甬能新材料有限公司",
        "industry": "C3841",
        "investment": {"total": "52000"},
        "land": {"area_mu": "120"},
        "environment": {"in_red_line": False, "catalogue": "encouraged"},
    },
    {
        "id": "NB-002",
        "name": "汽车零部件精密铸造扩建项目",
        "company": "浙江精铸科技股份有限公司",
        "industry": "C3670",
        "investment": {"total": "18000"},
        "land": {"area_mu": "60"},
        "environment": {"in_red_line": True, "catalogue": "permitted"},
    },
]


def _read(path: Path, **kwargs: Any) -> list[tuple[int, Any, Any]]:
    with read_rows(path, **kwargs) as stream:
        return [(row.number, row.data, row.error) for row in stream]


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16"),
    ],
)
def test_csv_encodings(tmp_path: Path, encoding: str, detected: str) -> None:
    path = tmp_path / "projects.csv"
    path.write_bytes((HEADER + LINES).encode(encoding))
    stream = read_rows(path)
    assert (stream.format, stream.encoding, stream.header_rows) == (
        "csv",
        detected,
        (1,),
    )
    assert [(row.number, row.data) for row in stream] == [
        (2, EXPECTED[0]),
        (3, EXPECTED[1]),
    ]


def test_gbk_detected_when_the_first_megabyte_is_ascii(tmp_path: Path) -> None:
    # Chinese appears only after 1 MiB of ASCII: a sample-based guess would say UTF-8.
    path = tmp_path / "late.csv"
    filler = "".join(f"X{i:07d},name{i},1\n" for i in range(80_000))
    path.write_bytes(
        ("id,name,investment.total\n" + filler + "Z1,化工项目,3\n").encode("gbk")
    )
    rows = list(read_rows(path))
    assert read_rows(path).encoding == "gb18030"
    assert (rows[-1].number, rows[-1].data) == (
        80_002,
        {"id": "Z1", "name": "化工项目", "investment": {"total": "3"}},
    )


def test_csv_title_rows_blank_rows_and_missing_ids(tmp_path: Path) -> None:
    path = tmp_path / "二季度.csv"
    path.write_text(
        "2024年第二季度招商项目汇总表,,\n,,\n项目编号,项目名称,总投资（亿元）\n"
        "NB-001,锂电池项目,3.5\n,,\n , ,\n,无编号项目,1.2\n,,-\n",
        encoding="utf-8",
    )
    assert _read(path) == [
        (
            4,
            {"id": "NB-001", "name": "锂电池项目", "investment": {"total": "3.5亿元"}},
            None,
        ),
        (
            7,
            {
                "name": "无编号项目",
                "investment": {"total": "1.2亿元"},
                "id": "二季度-row7",
            },
            None,
        ),
    ]


def _unit_error(text: str, kind: str) -> str:
    # The engine's unit parser words this message; the reader passes it on unchanged.
    with pytest.raises(UnitError) as caught:
        parse_amount(text, kind)
    return str(caught.value)


def test_bad_rows_are_isolated(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "项目编号,总投资(万元),用地面积(亩),是否位于生态保护红线,地区分类\n"
        "A,abc,10,否,2\nB,100,10亩,也许,2\nC,100,80 公斤,否,2\n"
        "D,100,10,否,2.5\nE,-5,10,否,二类\n",
        encoding="utf-8",
    )
    assert _read(path) == [
        (2, None, RowError("总投资(万元)", "无法识别的数值 'abc' / not a number")),
        (
            3,
            None,
            RowError(
                "是否位于生态保护红线", "应为 是/否 / expected yes or no, got '也许'"
            ),
        ),
        (4, None, RowError("用地面积(亩)", _unit_error("80 公斤", "area"))),
        (
            5,
            None,
            RowError(
                "地区分类",
                "应为整数（如 2 或 二类）/ expected a whole number, got '2.5'",
            ),
        ),
        (
            6,
            {
                "id": "E",
                "investment": {"total": "-5"},
                "land": {"area_mu": "10"},
                "environment": {"in_red_line": False},
                "region_class": 2,
            },
            None,
        ),
    ]


def test_unknown_columns_are_warnings_with_their_place(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text(
        "序号,项目名称,总投资(万元),联系人,总投资(美元)\n1,项目,3,张三,4\n",
        encoding="utf-8",
    )
    stream = read_rows(path)
    assert [str(w) for w in stream.warnings] == [
        f"{path}:1:4: [COL] 未识别的列名 / unknown header (联系人)",
        f"{path}:1:5: [COL] 单位「美元」不适用于 investment.total / "
        "unit not accepted for "
        "investment.total (总投资(美元))",
    ]
    assert [row.data for row in stream] == [
        {"name": "项目", "investment": {"total": "3"}, "id": "w-row2"}
    ]


def test_column_map_adds_headers(tmp_path: Path) -> None:
    path = tmp_path / "own.csv"
    path.write_text("编码,投资额（亿）,主体\nP1,2.5,民营\n", encoding="utf-8")
    columns = {
        "编码": "id",
        "投资额（亿）": "investment.total",
        "主体": "extra.investor_type",
    }
    assert _read(path, columns=columns) == [
        (
            2,
            {
                "id": "P1",
                "investment": {"total": "2.5亿"},
                "extra": {"investor_type": "民营"},
            },
            None,
        )
    ]


@pytest.mark.parametrize(
    ("field", "unit", "raw", "expected"),
    [
        ("investment.total", None, "52,000", "52,000"),
        ("investment.total", "亿元", "3.5", "3.5亿元"),
        ("investment.total", "亿元", "1200万元", "1200万元"),
        ("investment.total", None, "４５００", "4500"),
        ("investment.total", None, 4500.0, "4500"),
        ("investment.total", "亿元", 3.25, "3.25亿元"),
        ("land.area_mu", "公顷", 5.3, "5.3公顷"),
        ("land.green_ratio", "%", "15", "15%"),
        ("land.green_ratio", "%", "15％", "15%"),
        ("land.green_ratio", None, 0.15, "0.15"),
        ("environment.energy_tce", "万吨标煤", "1.2", "1.2万吨标煤"),
        ("region_class", None, "3", 3),
        ("region_class", None, "第六类", 6),
        ("region_class", None, 2.0, 2),
        ("environment.in_red_line", None, "是", True),
        ("environment.in_red_line", None, "N", False),
        ("environment.in_red_line", None, "true", True),
        ("environment.in_red_line", None, "×", False),
        ("environment.in_red_line", None, True, True),
        ("environment.in_red_line", None, 0, False),
        ("environment.catalogue", None, "限制类", "restricted"),
        ("environment.catalogue", None, "淘汰", "eliminated"),
        ("environment.eia_category", None, "环境影响报告书", "report"),
        ("environment.eia_category", None, "报告表", "report_table"),
        ("environment.eia_category", None, "登记表", "registration"),
        ("id", None, 1001, "1001"),
        ("industry", None, " C3841 ", "C3841"),
        ("extra.rating", None, "85", 85),
        ("extra.investor_type", None, "listed", "listed"),
    ],
)
def test_convert_cell(
    field: str, unit: str | None, raw: object, expected: object
) -> None:
    value = convert_cell(raw, Column(0, "h", field, unit))
    assert (value, type(value)) == (expected, type(expected)) or (
        field.startswith("extra.") and value == expected
    )


@pytest.mark.parametrize("raw", [None, "", "  ", "-", "—", "/", "N/A", "#N/A"])
def test_placeholders_are_absent_not_zero(raw: object) -> None:
    assert convert_cell(raw, Column(0, "总投资", "investment.total")) is convert_cell(
        None, Column(0, "h", "name")
    )


@pytest.mark.parametrize(
    ("field", "raw", "reason"),
    [
        (
            "environment.catalogue",
            "中等类",
            "无法识别「中等类」（应为 鼓励类/允许类/限制类/淘汰类）/ "
            "not one of the accepted values",
        ),
        (
            "environment.eia_category",
            "备案",
            "无法识别「备案」（应为 报告书/报告表/登记表）/ "
            "not one of the accepted values",
        ),
        (
            "investment.total",
            True,
            "应为数值，不是是/否 / expected a number, not yes/no",
        ),
        ("investment.total", float("nan"), "数值不是有限数 / number is not finite"),
    ],
)
def test_convert_cell_errors(field: str, raw: object, reason: str) -> None:
    with pytest.raises(CellError) as caught:
        convert_cell(raw, Column(0, "h", field))
    assert str(caught.value) == reason


def _workbook(path: Path, build: Any, title: str = "项目") -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    build(sheet)
    book.save(path)


def _merged_export(ws: Any) -> None:
    """A bureau export: a title, a two-row header with merged cells, blank rows."""
    ws["A1"] = "宁波高新区2024年第二季度招商引资项目汇总表"
    ws.merge_cells("A1:G1")
    ws["A2"] = "填报单位：招商局"
    for col, text in (
        ("A", "项目编号"),
        ("B", "项目名称"),
        ("G", "是否位于生态保护红线"),
    ):
        ws[f"{col}3"] = text
        ws.merge_cells(f"{col}3:{col}4")
    ws["C3"] = "投资"
    ws.merge_cells("C3:D3")
    ws["C4"], ws["D4"] = "总投资(万元)", "固定资产投资(万元)"
    ws["E3"] = "用地"
    ws.merge_cells("E3:F3")
    ws["E4"], ws["F4"] = "面积(亩)", "绿地率"
    ws.append(["NB-001", "锂电池正极材料项目", 52000, 41000.5, 120, 0.12, "否"])
    ws["F5"].number_format = "0%"
    ws.append([])
    ws.append([None] * 7)
    ws.append([1002, "精密铸造项目", 18000, None, "5.3公顷", None, "是"])
    ws.append(["NB-003", "化工项目", "待定", 1, 1, None, "否"])


def test_xlsx_merged_two_row_header_and_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    _workbook(path, _merged_export)
    stream = read_rows(path)
    assert (stream.format, stream.header_rows, stream.warnings) == ("xlsx", (3, 4), ())
    assert [(row.number, row.data, row.error) for row in stream] == [
        (
            5,
            {
                "id": "NB-001",
                "name": "锂电池正极材料项目",
                "investment": {"total": "52000", "fixed_assets": "41000.5"},
                "land": {"area_mu": "120", "green_ratio": "12%"},
                "environment": {"in_red_line": False},
            },
            None,
        ),
        (
            8,
            {
                "id": "1002",
                "name": "精密铸造项目",
                "investment": {"total": "18000"},
                "land": {"area_mu": "5.3公顷"},
                "environment": {"in_red_line": True},
            },
            None,
        ),
        (9, None, RowError("总投资(万元)", "无法识别的数值 '待定' / not a number")),
    ]


def test_xlsx_sheet_by_name(tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["说明"])
    data = book.create_sheet("项目清单")
    data.append(["项目编号", "项目名称"])
    data.append(["NB-001", "锂电池项目"])
    book.save(path)
    assert _read(path, sheet="项目清单") == [
        (2, {"id": "NB-001", "name": "锂电池项目"}, None)
    ]
    with pytest.raises(InputError) as caught:
        read_rows(path, sheet="汇总")
    assert (
        str(caught.value)
        == f"{path}: [INP] 没有工作表「汇总」（现有：Sheet、项目清单）/ no such sheet"
    )


def test_jsonl_nested_flat_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    lines = [
        json.dumps({"id": "J1", "investment": {"total": 3.5}, "land": {"area_mu": 80}}),
        "",
        json.dumps(
            {"项目名称": "物流中心", "总投资(亿元)": 1.2, "是否位于生态保护红线": "否"},
            ensure_ascii=False,
        ),
        '{"id": "J3", ',
        "[1, 2]",
        '{"id": "J5", "investment": {"total": NaN}}',
        json.dumps({"id": "J6", "地区分类": "八类"}, ensure_ascii=False),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from decimal import Decimal

    assert _read(path) == [
        (
            1,
            {
                "id": "J1",
                "investment": {"total": Decimal("3.5")},
                "land": {"area_mu": 80},
            },
            None,
        ),
        (
            3,
            {
                "name": "物流中心",
                "investment": {"total": "1.2亿元"},
                "environment": {"in_red_line": False},
                "id": "leads-row3",
            },
            None,
        ),
        (
            4,
            None,
            RowError(
                None,
                "JSON 语法错误 / JSON syntax error: "
                "Expecting property name enclosed in double quotes (列 14)",
            ),
        ),
        (
            5,
            None,
            RowError(None, "每行应为一个 JSON 对象 / each line must be a JSON object"),
        ),
        (6, None, RowError(None, "NaN 不是有限数 / not a finite number")),
        (
            7,
            None,
            RowError(
                "地区分类",
                "应为整数（如 2 或 二类）/ expected a whole number, got '八类'",
            ),
        ),
    ]


def _yaml_error(path: Path) -> str:
    # pyyaml's C and Python loaders word syntax errors differently: ask the loader.
    with pytest.raises(YamlError) as caught:
        load_yaml_file(path)
    span = caught.value.span
    assert span is not None
    return caught.value.diagnostics[0].message  # its line is the row's number


def test_folder_sorted_by_name_with_file_errors(tmp_path: Path) -> None:
    folder = tmp_path / "projects"
    folder.mkdir()
    (folder / "b-铸造.yaml").write_text(
        "name: 精密铸造项目\ninvestment: {total: 1.8亿元}\n", encoding="utf-8"
    )
    (folder / "a.json").write_text(
        '{"id": "A", "name": "锂电池项目"}', encoding="utf-8"
    )
    (folder / "c.yml").write_text("id: C\nname: [未闭合\n", encoding="utf-8")
    (folder / "d.yaml").write_text("- 列表\n", encoding="utf-8")
    (folder / ".e.yaml.swp").write_text("x", encoding="utf-8")
    (folder / "notes.txt").write_text("x", encoding="utf-8")
    rows = list(read_rows(folder))
    assert [(Path(r.source).name, r.number, r.data, r.error) for r in rows] == [
        ("a.json", 1, {"id": "A", "name": "锂电池项目"}, None),
        (
            "b-铸造.yaml",
            1,  # a project file's row is its line: 1, or that of the value refused
            {
                "name": "精密铸造项目",
                "investment": {"total": "1.8亿元"},
                "id": "b-铸造",
            },
            None,
        ),
        ("c.yml", 3, None, RowError(None, _yaml_error(folder / "c.yml"))),
        (
            "d.yaml",
            1,
            None,
            RowError(
                None, "项目文件应为映射（键: 值）/ a project file must be a mapping"
            ),
        ),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.xls", b"x", "不支持旧版 .xls，请另存为 .xlsx / save the workbook as .xlsx"),
        (
            "a.txt",
            b"x",
            "不支持的输入格式 .txt（可用：.csv .tsv .xlsx .jsonl 或文件夹）/ "
            "unsupported input format",
        ),
        (
            "a.xlsx",
            b"not a zip",
            "无法打开工作簿 / cannot open workbook: File is not a zip file",
        ),
        (
            "a.csv",
            "联系人,电话\n张三,1\n".encode(),
            "前 50 行中没有表头（至少需要 2 个可识别的列名，如 项目名称、总投资(万元)；"
            "其他列名可用 --columns 映射）/ "
            "no header row with at least 2 known columns",
        ),
    ],
)
def test_whole_file_problems_raise(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_rows(path)
    assert str(caught.value) == f"{path}: [INP] {message}"


def test_missing_input_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_rows(tmp_path / "nope.csv")
    assert (
        str(caught.value)
        == f"{tmp_path / 'nope.csv'}: [INP] 找不到输入文件 / input not found"
    )


def test_undecodable_bytes_spoil_only_their_row(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(
        "项目编号,项目名称\nA,甲\n".encode("gbk")
        + b"B,\x81\x20\n"
        + "C,丙\n".encode("gbk")
    )
    assert _read(path) == [
        (2, {"id": "A", "name": "甲"}, None),
        (
            3,
            None,
            RowError(
                "项目名称",
                "含无法解码的字节，请检查文件编码 / undecodable bytes in this cell",
            ),
        ),
        (4, {"id": "C", "name": "丙"}, None),
    ]


def test_deferred_jsonl_lines_parse_to_the_rows_read_at_once(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_bytes(
        json.dumps({"id": "J1", "investment": {"total": 3.5}}).encode()
        + b"\n\n"
        + json.dumps(
            {"项目名称": "物流中心", "总投资(亿元)": 1.2}, ensure_ascii=False
        ).encode()
        + b"\r\n"
        + b'{"id": "J3", \n[1, 2]\n{"total": NaN}\n'
        + '{"name": "乙"}\n'.encode("gbk")
    )
    columns = {"物流": "name"}
    with read_rows(path, columns) as rows:
        at_once = list(rows)
    with read_rows(path, columns, deferred=True) as rows:
        deferred = list(rows)
    assert all(r.data is None and r.error is None and r.text for r in deferred)
    assert [parse_deferred(r, columns) for r in deferred] == at_once
    assert len(at_once) == 6 and [r.number for r in at_once] == [1, 3, 4, 5, 6, 7]


def test_jsonl_line_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(
        b'{"id": "A"}\n' + '{"name": "乙"}\n'.encode("gbk") + b'{"id": "C"}\n'
    )
    assert _read(path) == [
        (1, {"id": "A"}, None),
        (
            2,
            None,
            RowError(None, "含无法按 UTF-8 解码的字节 / bytes that are not UTF-8"),
        ),
        (3, {"id": "C"}, None),
    ]


def test_every_format_reads_the_same_projects(tmp_path: Path) -> None:
    """Round trip: the same projects as CSV, XLSX, JSONL and a folder read alike."""
    csv_path = tmp_path / "p.csv"
    csv_path.write_bytes((HEADER + LINES).encode("gbk"))
    xlsx_path = tmp_path / "p.xlsx"

    def fill(ws: Any) -> None:
        for line in (HEADER + LINES).splitlines():
            cells = line.split(",")
            ws.append([float(c) if c.isdigit() else c for c in cells])

    _workbook(xlsx_path, fill)
    jsonl_path = tmp_path / "p.jsonl"
    jsonl_path.write_text(
        "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in EXPECTED),
        encoding="utf-8",
    )
    folder = tmp_path / "folder"
    folder.mkdir()
    for project in EXPECTED:
        (folder / f"{project['id']}.json").write_text(
            json.dumps(project, ensure_ascii=False), encoding="utf-8"
        )

    def projects(path: Path) -> list[dict[str, Any]]:
        return [flatten(Project.model_validate(row.data)) for row in read_rows(path)]

    expected = projects(csv_path)
    assert [p["investment.total"] for p in expected] == [52000, 18000]
    for path in (xlsx_path, jsonl_path, folder):
        assert projects(path) == expected


def test_csv_streams_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="gbk") as handle:
        handle.write("项目编号,项目名称,总投资(万元),用地面积(亩)\n")
        for i in range(80_000):
            handle.write(f"P{i:06d},第{i}号智能制造项目,{1000 + i},{10 + i % 90}\n")
    size = path.stat().st_size
    tracemalloc.start()
    count = sum(1 for _ in read_rows(path))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 80_000
    assert size > 2_500_000
    assert peak < size / 4  # rows are never held
