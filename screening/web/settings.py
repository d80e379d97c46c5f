"""What one web app is configured with: its register, its folders and its bounds.

`screening serve` builds a `Settings` from its options; with several workers it passes
them to each worker process through the environment (`SCREENING_WEB_SETTINGS`, JSON).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ENV = "SCREENING_WEB_SETTINGS"


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass(frozen=True)
class Settings:
    """One web app's configuration (paths as given, bounds in bytes, rows, seconds)."""

    db: str | None = None  # a path or URL; None: $SCREENING_DB or ./screening.db
    data_dir: str = "screening-web"  # uploads, reports, drafts, adopted rule sets
    targets: str | None = None  # a KPI targets file (YAML), as `register kpi --targets`
    pdf_browser: str | None = field(default_factory=_browser)  # None: no server PDF
    max_upload_bytes: int = 50 << 20
    max_rows: int = 100_000  # rows of one uploaded batch
    max_json_bytes: int = 1 << 20  # an API or form request that is not an upload
    batch_jobs: int = max(1, os.cpu_count() or 1)  # worker processes of an upload
    session_hours: float = 12.0
    login_failures_per_name: int = 5  # within login_window seconds
    login_failures_per_ip: int = 20
    login_window: int = 15 * 60
    secure_cookies: bool = False  # Secure cookies even on plain HTTP (behind TLS)
    root_path: str = ""  # the path prefix behind a reverse proxy ("/screening")
    start_jobs: bool = True  # start the background batch runner (tests may not)

    @property
    def data(self) -> Path:
        return Path(self.data_dir)

    def to_env(self) -> str:
        """These settings as the worker processes read them."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_env(cls) -> Settings:
        """The settings `screening serve` passed to this worker."""
        raw: dict[str, Any] = json.loads(os.environ.get(ENV) or "{}")
        return cls(**raw)
