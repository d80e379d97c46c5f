"""A printed page as PDF, by the server's headless Chromium (`--print-to-pdf`).

Measured here: about 3 s and 240 MB for a one-page sheet, a browser started for each
document and gone after it. That is robust (nothing stays running, a hung browser is
killed after `TIMEOUT`, at most `PARALLEL` at once per worker, each in a folder of its
own with a profile of its own and no network) and cheap enough for documents people
ask for one at a time. Without a browser on the server the pages say so and offer the
browser's own print-to-PDF of the same A4 print view.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from pathlib import Path

from screening.errors import ScreeningError

TIMEOUT = 60.0  # seconds for one document
PARALLEL = 2  # documents printed at once by one worker
_SLOTS = threading.BoundedSemaphore(PARALLEL)
FLAGS = (
    "--headless",
    "--no-sandbox",  # the service often runs as a user without namespaces (or as root)
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-pdf-header-footer",
    "--proxy-server=127.0.0.1:9",  # nothing to fetch: the pages are self-contained
)


class PdfError(ScreeningError):
    """No PDF could be made (no browser, a timeout, a browser that failed)."""

    code = "PDF"


def html_to_pdf(html: str, browser: str | None) -> bytes:
    """The PDF Chromium prints of `html` (A4, as the page's own @page rules say)."""
    if not browser:
        raise PdfError(
            "服务器上没有 Chromium，请用浏览器的“打印 → 另存为 PDF” / "
            "no Chromium on the server: print to PDF from the browser"
        )
    if not _SLOTS.acquire(timeout=TIMEOUT):
        raise PdfError(
            "正在生成的 PDF 过多，请稍后再试 / too many PDFs at once; try again"
        )
    try:
        with tempfile.TemporaryDirectory(prefix="screening-pdf-") as folder:
            page, out = Path(folder) / "page.html", Path(folder) / "page.pdf"
            page.write_text(html, encoding="utf-8")
            command = [
                browser,
                *FLAGS,
                f"--user-data-dir={Path(folder) / 'profile'}",
                f"--print-to-pdf={out}",
                page.as_uri(),
            ]
            try:
                subprocess.run(
                    command,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=TIMEOUT,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise PdfError(
                    f"生成 PDF 超过 {TIMEOUT:.0f} 秒 / the PDF took too long"
                ) from None
            except OSError as exc:
                raise PdfError(
                    f"无法启动 Chromium（{exc.strerror}）/ cannot start Chromium"
                ) from None
            if not out.is_file() or out.stat().st_size == 0:
                raise PdfError("Chromium 未能生成 PDF / Chromium made no PDF")
            return out.read_bytes()
    finally:
        _SLOTS.release()
