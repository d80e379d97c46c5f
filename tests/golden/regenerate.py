"""Regenerate the golden outputs: `python tests/golden/regenerate.py`, then review the diff."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from screening.cli import main  # noqa: E402

# (golden file name, CLI arguments); the as-of date is fixed so outputs do not age
GOLDEN = [
    (
        "starter-pass.json",
        ["screen", "cases/starter/lithium-cathode-pass.yaml", "--format", "json"],
    ),
    (
        "starter-review.txt",
        ["screen", "cases/starter/fine-chemical-exact-threshold.yaml"],
    ),
    (
        "starter-review.en.txt",
        ["screen", "cases/starter/fine-chemical-exact-threshold.yaml", "--lang", "en"],
    ),
    (
        "starter-review.md",
        [
            "screen",
            "cases/starter/fine-chemical-exact-threshold.yaml",
            "--format",
            "markdown",
        ],
    ),
    (
        "starter-reject.json",
        ["screen", "tests/golden/screen/rejected-project.yaml", "--format", "json"],
    ),
]
AS_OF = ["--as-of", "2025-01-01"]
VALIDATE = sorted((ROOT / "tests/golden/validate").glob("*.yaml"))


def render_validate(path: Path) -> str:
    """`screening validate` output for one golden input (exit code 0, 1 or 2 all fine)."""
    result = CliRunner().invoke(
        main, ["validate", str(path.relative_to(ROOT))], catch_exceptions=False
    )
    return f"exit {result.exit_code}\n" + result.stdout


def render(args: list[str]) -> str:
    result = CliRunner().invoke(main, args + AS_OF, catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(f"{args}: exit {result.exit_code}: {result.stderr}")
    return result.stdout


if __name__ == "__main__":
    os.chdir(ROOT)
    for name, args in GOLDEN:
        (ROOT / "tests/golden/screen" / name).write_text(render(args), encoding="utf-8")
        print("wrote", name)
    for path in VALIDATE:
        path.with_suffix(".expected.txt").write_text(
            render_validate(path), encoding="utf-8"
        )
        print("wrote", path.with_suffix(".expected.txt").name)
