"""Batch uploads through the pages (SQLite and PostgreSQL): XLSX, GBK CSV and JSONL run
in the background runner, every screened row reaches the register, the summary names
counts, the rules behind rejections and the bad rows, and the reports download."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import openpyxl
from sqlalchemy import func, select, update

from screening.register.schema import screenings, web_batches
from screening.web.jobs import mark_dead
from tests.register.conftest import beihai_rows
from tests.web.conftest import Web, csrf_of, wait_job

BEIHAI = "parks/beihai-tieshangang-2023"
HEADERS = [
    "项目编号",
    "项目名称",
    "企业名称",
    "行业代码",
    "总投资（万元）",
    "固定资产投资（万元）",
    "用地面积（亩）",
    "容积率",
    "年税收（万元）",
    "年营业收入（万元）",
]


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2025年招商会项目汇总表"])  # a title row above the header
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rows(n: int) -> list[list[Any]]:
    out = []
    for i, p in enumerate(beihai_rows(n)):
        inv, land, output = p["investment"], p["land"], p.get("output", {})  # type: ignore[index]
        out.append(
            [
                f"X-{i:04d}",
                p["name"],
                p["company"],
                p["industry"],
                inv["total"],
                inv["fixed_assets"],
                land["area_mu"],
                land.get("plot_ratio"),
                output.get("annual_tax"),
                output.get("annual_revenue"),
            ]
        )
    return out


def upload(web: Web, name: str, content: bytes, ruleset: str = BEIHAI) -> str:
    client = web.client("officer")
    response = client.post(
        "/batches",
        files={"file": (name, io.BytesIO(content), "application/octet-stream")},
        data={
            "csrf": csrf_of(client.get("/batches").text),
            "ruleset": ruleset,
            "as_of": "2025-06-30",
        },
    )
    assert response.status_code == 303, response.text[:1000]
    return str(response.headers["location"].rsplit("/", 1)[1])


def test_an_xlsx_upload_stores_every_row_and_reports(web: Web) -> None:
    rows = _rows(40)
    rows[3][4] = "很多"  # a bad figure: that row is reported, the rest screened
    rows.append(
        ["", "合计", "", "", 123456, "", "", "", "", ""]
    )  # a totals row: skipped
    key = upload(web, "招商会.xlsx", _xlsx(rows))
    job = wait_job(web, key)
    assert job["status"] == "done", job["error"]
    counts = job["counts"]
    assert counts["rows"] == 41 and counts["screened"] == 39 and counts["invalid"] == 1
    assert counts["skipped"] == 1
    assert counts["pass"] + counts["review"] + counts["reject"] == 39
    register = web.app.state.register
    with register.read() as conn:
        stored = conn.execute(
            select(func.count())
            .select_from(screenings)
            .where(screenings.c.run_id == job["run_id"])
        ).scalar_one()
    assert stored == 39 and register.leads()[0] == 39  # every screened row, once
    page = web.client("committee").get(f"/batches/{key}").text
    assert (
        "完成" in page and "招商会.xlsx" in page and "hx-get" not in page
    )  # no more polling
    assert "很多" in page  # the bad row with its reason
    if counts["reject"]:
        assert "否决背后最常见的规则" in page
    client = web.client("committee")
    xlsx = client.get(f"/batches/{key}/report.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "filename*=UTF-8''" in xlsx.headers["content-disposition"]
    html = client.get(f"/batches/{key}/report.html")
    assert html.status_code == 200 and "招商引资项目批量预评估报告" in html.text
    assert "/batches/" not in html.text  # the report names the input, not a server path
    assert client.get(f"/batches/{key}/report.errors.csv").status_code == 200
    assert client.get(f"/batches/{key}/../../register.db").status_code == 404
    assert client.get(f"/batches/{key}/input.xlsx").status_code == 404


def test_a_gbk_csv_and_a_jsonl_upload(web: Web) -> None:
    text = (
        ",".join(HEADERS)
        + "\n"
        + "\n".join(",".join(str(c) for c in r) for r in _rows(5))
        + "\n"
    )
    job = wait_job(web, upload(web, "gbk.csv", text.encode("gbk")))
    assert job["status"] == "done" and job["counts"]["screened"] == 5
    assert any("GB" in note.upper() for note in job["summary"]["notes"])
    lines = "".join(
        json.dumps(r, ensure_ascii=False) + "\n" for r in beihai_rows(4, seed=9)
    )
    job = wait_job(web, upload(web, "rows.jsonl", lines.encode()))
    assert job["status"] == "done" and job["counts"]["screened"] == 4


def test_the_progress_fragment_polls_until_done(sqlite_web: Web) -> None:
    key = upload(sqlite_web, "p.xlsx", _xlsx(_rows(3)))
    wait_job(sqlite_web, key)
    fragment = sqlite_web.client("officer").get(f"/batches/{key}/progress").text
    assert (
        "<html" not in fragment
        and "已筛查" in fragment
        and "下载 XLSX 报告" in fragment
    )


def test_a_job_whose_runner_died_is_marked_failed(sqlite_web: Web) -> None:
    register = sqlite_web.app.state.register
    key = upload(sqlite_web, "d.xlsx", _xlsx(_rows(2)))
    wait_job(sqlite_web, key)
    old = dt.datetime(2020, 1, 1)
    with register.write() as conn:  # as a runner killed mid-run leaves its job
        conn.execute(
            update(web_batches)
            .where(web_batches.c.key == key)
            .values(status="running", heartbeat_at=old)
        )
    assert mark_dead(register) == 1
    job = sqlite_web.app.state.jobs.get(key)
    assert job["status"] == "failed" and "中断" in job["error"]


def test_an_unknown_rule_set_is_refused_at_upload(sqlite_web: Web) -> None:
    client = sqlite_web.client("officer")
    response = client.post(
        "/batches",
        files={"file": ("x.csv", io.BytesIO(b"a,b\n"), "text/csv")},
        data={
            "csrf": csrf_of(client.get("/batches").text),
            "ruleset": "../../etc/passwd",
        },
    )
    assert response.status_code == 422 and "未知规则集" in response.text


def test_an_upload_s_reports_name_the_uploaded_file(sqlite_web: Web) -> None:
    rows = _rows(4)
    rows[1][4] = "很多"  # reported, with the file's name
    rows[2][0] = ""  # no id: the row is named after the file
    key = upload(sqlite_web, "C:\\招商会\\2025招商会.xlsx", _xlsx(rows))
    job = wait_job(sqlite_web, key)
    assert job["status"] == "done" and job["filename"] == "2025招商会.xlsx"
    client = sqlite_web.client("officer")
    errors = client.get(f"/batches/{key}/report.errors.csv").text
    assert "2025招商会.xlsx,4,总投资（万元）" in errors and "input." not in errors
    html = client.get(f"/batches/{key}/report.html").text
    assert "2025招商会.xlsx" in html and "2025招商会-row5" in html
    assert "input.xlsx" not in html and "input-row" not in html
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/batches/{key}/report.xlsx").content)
    )
    cells = {str(c.value) for s in book.worksheets for r in s.iter_rows() for c in r}
    assert "2025招商会.xlsx" in cells and "input.xlsx" not in cells


def test_an_uploaded_name_is_kept_as_a_name_never_a_path() -> None:
    from screening.web.jobs import input_name

    assert input_name("../../etc/招商会.csv", ".csv") == "招商会.csv"
    assert input_name("C:\\fair\\leads.XLSX", ".xlsx") == "leads.XLSX"
    assert input_name(".xlsx", ".xlsx") == "input.xlsx"
    assert input_name("..", ".csv") == "input.csv"
    assert input_name("a\x00b\n.jsonl", ".jsonl") == "ab.jsonl"
    long = input_name("名" * 300 + ".xlsx", ".xlsx")
    assert long.endswith(".xlsx") and len(long.encode()) <= 200
