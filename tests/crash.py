"""A worker that dies on one row, as a crash in durable-rules' C core would."""

from __future__ import annotations

from pathlib import Path


def crash_hook(folder: Path, method: str, argument: str, condition: str) -> Path:
    """A folder whose `sitecustomize` makes `Screener.<method>(self, <argument>)` end
    its process (`os._exit(3)`) when `condition` (Python over `argument`) holds. Put it
    on the workers' PYTHONPATH: sitecustomize runs in every Python process started with
    that path, the batch's workers too."""
    hook = folder / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import os\n"
        "from screening.screener import Screener\n"
        f"_original = Screener.{method}\n"
        f"def _dies(self, {argument}):\n"
        f"    if {condition}:\n"
        "        os._exit(3)\n"
        f"    return _original(self, {argument})\n"
        f"Screener.{method} = _dies\n",
        encoding="utf-8",
    )
    return hook
