"""A web upload under a rule set with declared inputs (北海: 建筑密度 …) reads those
columns by their titles, as the CLI does, with no column map; the batch page lists the
columns it read into nothing (escaped), in the page's language."""

from __future__ import annotations

from tests.batch.test_declared_inputs import HEAD, ROW
from tests.web.conftest import Web, wait_job
from tests.web.test_batches import upload

DECLARED = (
    "建筑密度,行政办公及生活服务设施建筑面积占总建筑面积比例,"
    "两高项目已落实总量控制、区域削减及煤炭消费减量替代等条件"
)


def test_an_upload_reads_declared_inputs_and_lists_ignored_columns(
    sqlite_web: Web,
) -> None:
    sheet = f"{HEAD},{DECLARED},<b>备用</b>\n{ROW},45%,10%,是,x\n"
    key = upload(sqlite_web, "北海.csv", sheet.encode("gb18030"))
    job = wait_job(sqlite_web, key)
    assert job["status"] == "done", job
    assert job["counts"]["pass"] == 1 and job["counts"]["review"] == 0, job["counts"]
    client = sqlite_web.client("officer")
    page = client.get(f"/batches/{key}").text
    assert "未读入的列（已忽略，其内容未用于筛查）（1）" in page
    assert "<td>&lt;b&gt;备用&lt;/b&gt;</td><td>未识别的列名</td>" in page
    assert "<td>建筑密度</td>" not in page
    client.get("/lang?to=en")
    english = client.get(f"/batches/{key}").text
    assert "Columns not read" in english and "<td>unknown header</td>" in english
