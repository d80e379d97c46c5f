"""A batch page names the leads whose id a row shares under another name or company
(the lead took the row's): the id, the old and the new name or company, in the page's
language."""

from __future__ import annotations

from tests.web.conftest import Web, wait_job
from tests.web.test_batches import _rows, _xlsx, upload


def test_the_batch_page_names_the_leads_a_row_renamed(sqlite_web: Web) -> None:
    rows = _rows(3)
    old_name, old_company = rows[1][1], rows[2][2]
    first = upload(sqlite_web, "招商会.xlsx", _xlsx(rows))
    assert wait_job(sqlite_web, first)["status"] == "done"
    rows[1][1] = "电解液溶剂二期项目"
    rows[2][2] = "北海新材料有限公司"
    again = upload(sqlite_web, "招商会（更正）.xlsx", _xlsx(rows))
    assert wait_job(sqlite_web, again)["status"] == "done"
    client = sqlite_web.client("committee")
    assert "名称或企业与项目库中不同" not in client.get(f"/batches/{first}").text
    page = client.get(f"/batches/{again}").text
    assert "编号已在项目库中、名称或企业与项目库中不同的行（已按本次上传更新）" in page
    assert f"<td>{old_name} → 电解液溶剂二期项目</td>" in page
    assert f"<td>{old_company} → 北海新材料有限公司</td>" in page
    assert '<td class="mono">X-0001</td>' in page and "X-0000" not in page
    client.get("/lang?to=en")
    english = client.get(f"/batches/{again}").text
    assert "already in the register under another name or company" in english
    assert f"{old_name} → 电解液溶剂二期项目" in english


def test_the_api_batch_status_names_the_leads_a_row_renamed(sqlite_web: Web) -> None:
    rows = _rows(2)
    old_name = rows[1][1]
    first = upload(sqlite_web, "招商会.xlsx", _xlsx(rows))
    assert wait_job(sqlite_web, first)["status"] == "done"
    rows[1][1] = "电解液溶剂二期项目"
    again = upload(sqlite_web, "招商会（更正）.xlsx", _xlsx(rows))
    assert wait_job(sqlite_web, again)["status"] == "done"
    api = sqlite_web.client(None)
    token = sqlite_web.api("officer")
    before = api.get(f"/api/v1/batches/{first}", headers=token).json()
    assert before["renamed"] == [] and before["renamed_count"] == 0
    after = api.get(f"/api/v1/batches/{again}", headers=token).json()
    assert after["renamed_count"] == 1
    assert after["renamed"] == [
        {"row": 4, "lead": "X-0001", "name": [old_name, "电解液溶剂二期项目"]}
    ]
