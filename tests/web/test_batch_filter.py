"""The batch page's 「在项目库中查看」 opens the pipeline filtered to that batch's leads
(those it stored and those it found stored already), says so, and can be cleared."""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any

import openpyxl

from tests.web.conftest import Web, wait_job
from tests.web.test_batches import _rows, _xlsx, upload

LINK = re.compile(r'<a class="button plain" href="([^"]+)">在项目库中查看</a>')


def _pipeline_link(web: Web, key: str) -> str:
    page = web.client("committee").get(f"/batches/{key}").text
    found = LINK.search(page)
    assert found, "no link to the pipeline on the batch page"
    return unescape(found.group(1))


def _ids(rows: list[list[Any]]) -> set[str]:
    return {str(row[0]) for row in rows}


def _listed(html: str) -> set[str]:
    return set(re.findall(r'<td class="mono"><a href="/leads/[^"]+">([^<]+)</a>', html))


def test_the_batch_link_lists_only_that_batch_s_leads(web: Web) -> None:
    first = _rows(4)
    second = [[f"Y-{i:04d}", *row[1:]] for i, row in enumerate(_rows(3))]
    one = upload(web, "招商会.xlsx", _xlsx(first))
    assert wait_job(web, one)["status"] == "done"
    two = upload(web, "第二批.xlsx", _xlsx(second))
    assert wait_job(web, two)["status"] == "done"
    client = web.client("committee")
    assert _listed(client.get("/pipeline").text) == _ids(first) | _ids(second)

    link = _pipeline_link(web, one)
    assert link == f"/pipeline?batch={one}"
    page = client.get(link).text
    assert _listed(page) == _ids(first)
    assert "批次：招商会.xlsx" in page and "共 4 个项目" in page
    # the filter stays on when another is chosen (the form carries it), and clears
    assert f'name="batch" value="{one}"' in page
    assert 'href="/pipeline">清除批次筛选</a>' in page
    # its export holds the same leads
    export = client.get(f"/pipeline/export.xlsx?batch={one}")
    assert export.status_code == 200
    leads = openpyxl.load_workbook(io.BytesIO(export.content))["项目"]
    assert {row[0] for row in leads.iter_rows(min_row=2, values_only=True)} == _ids(
        first
    )
    assert _listed(client.get(_pipeline_link(web, two)).text) == _ids(second)


def test_a_batch_uploaded_again_lists_the_leads_it_found_stored(web: Web) -> None:
    rows = _rows(3)
    assert wait_job(web, upload(web, "招商会.xlsx", _xlsx(rows)))["status"] == "done"
    again = upload(web, "招商会（重传）.xlsx", _xlsx(rows))
    job = wait_job(web, again)
    assert job["status"] == "done" and job["summary"]["duplicates"] == 3
    page = web.client("committee").get(_pipeline_link(web, again)).text
    assert _listed(page) == _ids(rows)


def test_an_unknown_batch_is_refused_by_name(sqlite_web: Web) -> None:
    client = sqlite_web.client("officer")
    refused = client.get("/pipeline?batch=nosuchbatch")
    assert refused.status_code == 404 and "没有这个批量任务" in refused.text
    assert client.get("/pipeline/export.xlsx?batch=nosuchbatch").status_code == 404
    assert sqlite_web.client(None).get("/pipeline?batch=x").status_code == 303
