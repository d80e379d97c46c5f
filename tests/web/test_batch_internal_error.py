"""A batch that fails for an unexpected reason says where its trace was written: the
runner is a detached process, so the server's console never shows it."""

from __future__ import annotations

import io

import pytest

from screening.batch_output import BatchOutputs
from screening.web import jobs
from tests.web.conftest import Web


def test_an_internal_error_names_the_file_that_holds_its_trace(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = web.app.state.jobs
    monkeypatch.setattr(queue, "start_runner", lambda: None)  # run it here instead
    csv = "项目编号,项目名称,行业代码,总投资(亿元),用地面积(亩)\nA-1,甲项目,C2613,3.2,100\n"
    submitted = web.client(None).post(
        "/api/v1/batches",
        headers=web.api("officer"),
        files={"file": ("fair.csv", io.BytesIO(csv.encode("gbk")), "text/csv")},
        data={"ruleset": "national", "as_of": "2025-06-30"},
    )
    assert submitted.status_code == 202, submitted.text
    key = submitted.json()["key"]

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug nobody foresaw")

    monkeypatch.setattr(BatchOutputs, "run", broken)
    job = queue.get(key)
    with pytest.raises(RuntimeError):
        jobs.run_job(web.app.state.register, queue.settings, job)
    failed = queue.get(key)
    assert failed["status"] == "failed"
    assert f"batches/{key}/error.log" in failed["error"]
    trace = (queue.folder(key) / "error.log").read_text(encoding="utf-8")
    assert "a bug nobody foresaw" in trace
    status = web.client(None).get(f"/api/v1/batches/{key}", headers=web.api("officer"))
    assert f"batches/{key}/error.log" in status.text
