"""The web app in a real browser against a real server: headless Chromium (Debian's,
through pytest-playwright) and `screening serve` (uvicorn) on a free loopback port.

An officer signs in, types a lead with units, sees the decision and its remedy, uploads
a spreadsheet and waits for it; a committee member builds the agenda, prints it to PDF
(pages counted) and records a decision, the vetoed lead's 同意 not on offer. Every step
is screenshotted into the test's folder (`SCREENING_WEB_DOCS=1` also writes the ones
kept as documentation into docs/web/).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import NAMES, PASSWORD, ROOT, Server
from tests.web.test_batches import _rows, _xlsx

pytestmark = pytest.mark.browser
DOCS = ROOT / "docs/web"
KEEP = {"decision", "batch", "agenda-pdf", "lead-form", "kpi"}  # in docs/web/


@pytest.fixture
def shots(tmp_path: Path) -> Any:
    """shot(page, name): a full-page screenshot, also into docs/web/ when asked."""

    def shot(page: Any, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if os.environ.get("SCREENING_WEB_DOCS") == "1" and name in KEEP:
            DOCS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS / f"{name}.png")
        return path

    return shot


def sign_in(page: Any, server: Server, role: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill("#name", NAMES[role])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url


def pdf_pages(data: bytes) -> int:
    """Pages in a PDF (Chromium's page objects)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def test_an_officer_screens_a_lead_typed_with_units(
    page: Any, server: Server, shots: Any
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, server, "officer")
    page.goto(f"{server.url}/leads/new")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.select_option("#f-ruleset", "parks/beihai-tieshangang-2023")
    page.wait_for_selector("[id='f-extra.building_density']")  # htmx brought its fields
    page.fill("#f-as_of", "2025-06-30")
    typed = {
        "id": "TSG-2025-001",
        "name": "年产5万吨电池级磷酸铁项目",
        "company": "<script>alert('x')</script>广西某新能源材料有限公司",
        "park": "铁山港工业区",
        "industry": "C2613",
        "region_class": "5",
        "investment.total": "3.5亿元",
        "investment.fixed_assets": "2.2亿元",
        "land.area_mu": "80亩",
        "land.plot_ratio": "1.2",
        "land.building_coverage": "55%",
        "output.annual_revenue": "3.2亿元",
        "output.annual_tax": "1500万",
        "environment.energy_tce": "8000吨标准煤",
        "extra.building_density": "45%",
    }
    for name, value in typed.items():
        page.fill(f"[id='f-{name}']", value)
    page.select_option("[id='f-environment.in_red_line']", "false")
    page.select_option("[id='f-environment.catalogue']", "permitted")
    shots(page, "lead-form")
    page.click("text=筛查并存入项目库")
    page.wait_for_url(re.compile(r"/leads/TSG-2025-001"))
    sheet = page.locator("article.sheet")
    assert sheet.locator(".badge.reject").count() == 1
    # 2.2亿 ÷ 80亩 = 275 万元/亩 passes; 1500万 ÷ 80亩 = 18.75 < 20 fails, with its
    # remedy
    failed = sheet.locator(".block.failed")
    assert "18.75" in failed.inner_text() and "1600 万元" in failed.inner_text()
    assert page.get_by_text(
        "<script>alert('x')</script>广西某新能源材料有限公司"
    ).first.is_visible()
    shots(page, "decision")
    # a field typed wrong is marked beside it, in Chinese, the rest kept
    page.goto(f"{server.url}/leads/new")
    page.fill("[id='f-name']", "另一个项目")
    page.fill("[id='f-company']", "某公司")
    page.fill("[id='f-investment.total']", "3.5亿美元")
    page.click("text=筛查并存入项目库")
    error = page.locator("[id='e-investment.total']")
    assert error.is_visible() and "亿美元" in error.inner_text()
    assert page.input_value("[id='f-name']") == "另一个项目"
    shots(page, "lead-form-error")


def test_an_officer_uploads_a_spreadsheet_and_waits_for_it(
    page: Any, server: Server, shots: Any
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, server, "officer")
    page.goto(f"{server.url}/batches")
    rows = _rows(60)
    rows[5][4] = "很多"
    path = Path(server.data).parent / "招商会项目.xlsx"
    path.write_bytes(_xlsx(rows))
    page.set_input_files("#b-file", str(path))
    page.select_option("#b-ruleset", "parks/beihai-tieshangang-2023")
    page.fill("#b-as_of", "2025-06-30")
    page.click("text=上传并筛查")
    page.wait_for_url(re.compile(r"/batches/[0-9a-f]{24}$"))
    page.wait_for_selector(
        "text=下载 XLSX 报告", timeout=180_000
    )  # htmx polled it here
    text = page.locator("#status").inner_text()
    assert "60" in text and "无效行" in text and "很多" in text
    shots(page, "batch")
    with page.expect_download() as download:
        page.click("text=下载 XLSX 报告")
    assert download.value.suggested_filename.endswith(".xlsx")
    page.goto(f"{server.url}/pipeline")
    assert (
        page.locator("table.list tbody tr").count() >= 50
    )  # a page of the stored rows
    shots(page, "pipeline")
    page.goto(f"{server.url}/kpi")
    assert page.locator("svg.chart").count() >= 2
    shots(page, "kpi")


def test_the_committee_prints_the_agenda_and_records_a_decision(
    page: Any, server: Server, shots: Any, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    # two leads through the API: one that passes, one vetoed (inside the red line)
    _api_leads(server)
    sign_in(page, server, "committee")
    page.goto(f"{server.url}/meetings")
    today = dt.date.today().isoformat()
    page.fill("#m-title", "2025年第3次项目联席会议")
    page.fill("#m-on", today)
    page.click("form[action='/meetings'] button[type=submit]")
    page.wait_for_url(re.compile(r"/meetings/\d+"))
    page.fill("#a-keys", "WEB-PASS\nWEB-VETO")
    page.click("form[action$='/items'] button[type=submit]")
    page.wait_for_selector("text=一票否决")
    veto_row = page.locator("tr", has_text="WEB-VETO")
    assert veto_row.locator("option[value='同意']").is_disabled()
    shots(page, "agenda")
    # the printed agenda: a summary page, then one A4 sheet a lead
    meeting = page.url.split("?")[0]
    printer = page.context.new_page()
    printer.goto(f"{meeting}/print")
    printer.emulate_media(media="print")
    data = printer.pdf(format="A4", print_background=True)
    (tmp_path / "agenda.pdf").write_bytes(data)
    assert pdf_pages(data) == 3, pdf_pages(data)
    printer.screenshot(path=str(tmp_path / "agenda-print.png"), full_page=True)
    if os.environ.get("SCREENING_WEB_DOCS") == "1":
        _pdf_page_png(tmp_path / "agenda.pdf", DOCS / "agenda-pdf.png")
    printer.close()
    # and the server's own PDF of the same view
    with page.expect_download() as download:
        page.click("text=下载议程 PDF")
    served = Path(download.value.path()).read_bytes()
    assert served[:5] == b"%PDF-" and pdf_pages(served) == 3
    # a decision, recorded with a note
    row = page.locator("tr", has_text="WEB-PASS")
    row.locator("select[name=decision]").select_option("同意")
    row.locator("input[name=note]").fill("同意引进，按期签约")
    row.locator("button", has_text="记录").click()
    page.wait_for_selector("text=委员会决定已记录")
    assert "同意引进，按期签约" in page.locator("tr", has_text="WEB-PASS").inner_text()
    shots(page, "agenda-decided")


def test_english_switch(page: Any, server: Server, shots: Any) -> None:
    sign_in(page, server, "policy")
    page.goto(f"{server.url}/rulesets")
    page.click("text=English")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Rule sets").first.is_visible()
    shots(page, "rulesets-en")
    page.click("text=中文")


def _api_leads(server: Server) -> None:
    import json
    import subprocess
    import sys

    from screening.cases import load_case

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "screening",
            "users",
            "token",
            NAMES["officer"],
            "--label",
            "test",
            "--db",
            server.db,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    token = done.stdout.strip()
    for key, case in (
        ("WEB-PASS", "cases/beihai/bh01-iron-phosphate-pass.yaml"),
        ("WEB-VETO", "cases/national/n02-red-line-veto.yaml"),
    ):
        loaded = load_case(ROOT / case)
        project = {
            **loaded.project.model_dump(mode="json", exclude_none=True),
            "id": key,
        }
        body = json.dumps(
            {
                "project": project,
                "ruleset": loaded.ruleset or "national",
                "as_of": "2025-06-30",
            }
        ).encode()
        request = urllib.request.Request(
            f"{server.url}/api/v1/screenings",
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200


def _pdf_page_png(pdf: Path, target: Path) -> None:
    """The PDF's first sheet page as a PNG (pdftoppm), for the documentation."""
    import subprocess

    if shutil.which("pdftoppm") is None:
        return
    stem = pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "2", "-l", "2", str(pdf), str(stem)],
        check=True,
    )
    made = sorted(pdf.parent.glob(f"{stem.name}-*.png"))
    if made:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(made[0], target)
