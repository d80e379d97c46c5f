"""Shared fixtures: the repository root, a rule set written from text, a screener."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from screening.loader import load_ruleset
from screening.model.effective import RuleSet

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2025, 1, 1)

# The rule-set cache (screening.rulecache) of a test run lives in a folder of its own,
# never the user's; the commands that tests run as subprocesses inherit it.
_CACHE = tempfile.mkdtemp(prefix="screening-test-cache-")
os.environ["SCREENING_CACHE_DIR"] = _CACHE


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


@pytest.fixture(autouse=True)
def _run_from_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests name cases and rule files by paths relative to the checkout, as a user
    # in a checkout would (shipped ids are found wherever the tests run).
    monkeypatch.chdir(ROOT)


@pytest.fixture
def write_ruleset(tmp_path: Path) -> Callable[..., RuleSet]:
    """Write YAML text to a rule-set file in tmp_path and load it."""

    def write(
        text: str, name: str = "test", as_of: dt.date | None = None, load: bool = True
    ) -> RuleSet | Path:
        path = tmp_path / f"{name}.yaml"
        body = text[len(MINIMAL) :] if text.startswith(MINIMAL) else text
        header = MINIMAL if text.startswith(MINIMAL) else ""
        path.write_text(header + textwrap.dedent(body), encoding="utf-8")
        return load_ruleset(str(path), as_of=as_of) if load else path

    return write  # type: ignore[return-value]


MINIMAL = """\
id: test
title: 测试规则集
version: "1"
"""


# Property and fuzz suites: a short form by default (CI), thousands of examples with
# SCREENING_SLOW=1 (the tests marked `slow` read FUZZ_EXAMPLES).
from hypothesis import HealthCheck, settings  # noqa: E402

SLOW = os.environ.get("SCREENING_SLOW") == "1"
settings.register_profile(
    "short",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "slow",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("slow" if SLOW else "short")


# The browser tests (web pages, the printed report) drive Debian's Chromium through
# pytest-playwright's one session browser: `playwright install` cannot download here,
# and a second sync Playwright started beside pytest-playwright's refuses to run
# inside the event loop it keeps.
CHROMIUM = Path("/usr/bin/chromium")
# the network is closed: without the background-networking flags Chromium keeps retrying
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any],
) -> dict[str, Any]:
    """Debian's Chromium, or every browser test skipped with the reason printed."""
    if not CHROMIUM.exists():
        reason = (
            f"{CHROMIUM} is not installed (apt-get install chromium fonts-noto-cjk)"
        )
        print(f"\nSKIP browser tests: {reason}")
        pytest.skip(reason)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }
