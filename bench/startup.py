"""Start-up time of `screening screen ONE_CASE`, against the bare interpreter, in one run.

    python bench/startup.py [N] [CASE]   # N rounds (default 15), a Beihai case by default

Each round runs, one after the other (so that the machine's load falls on all alike):
* `python -c pass`: the bare interpreter, the floor every command pays;
* `python -c "import click, yaml, pydantic, rich"`: the libraries `screen` needs anyway;
* the same and one pydantic model declared and validated (plugins off, as `screen` has
  them): pydantic imports most of itself, and the plugin loader `importlib.metadata`,
  only when it builds its first validator, which `screen` cannot avoid;
* `screening screen CASE` with a warm rule-set cache (the usual run);
* the same with an empty cache (the first run after a rule-set file changed);
* the same with the cache off (`SCREENING_CACHE=0`);
* the README's first command's `screen` step (two cases), warm;
* a diagnostic: `screen CASE --format json`, warm, the same run but for the text
  table (rich): the difference to the warm line is what rendering the table costs.

The cache lives in a temporary folder for the run (`SCREENING_CACHE_DIR`), so the
user's own cache is neither read nor written. Wall time is per run; CPU time is the
child's user + system time (`os.wait4`). Medians are printed, and each as a multiple of
the bare interpreter's median in the same run: on a shared machine the ratio moves
less than the seconds. The target (issue 15) is a median wall under 0.4 s for the warm
run on a quiet machine.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASE = "cases/beihai/bh01-iron-phosphate-pass.yaml"
README_CASES = [CASE, "cases/beihai/bh07-intensity-below.yaml"]
LIBRARIES_AND_A_MODEL = """
import click, yaml, rich.table
from pydantic import BaseModel, Field
class Model(BaseModel):
    name: str | None = Field(default=None, max_length=10)
Model.model_validate({"name": "x"})
"""


def screening_command() -> list[str]:
    """The installed `screening` script beside this interpreter, else `python -m`."""
    script = Path(sys.executable).with_name("screening")
    return [str(script)] if script.exists() else [sys.executable, "-m", "screening"]


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `command` (its output discarded)."""
    start = time.perf_counter()
    child = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert child.stderr is not None
    errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{errors.decode()}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    """Run the rounds and print the medians and ratios."""
    args = sys.argv[1:]
    rounds = int(args[0]) if args else 15
    case = args[1] if len(args) > 1 else CASE
    screen = screening_command()
    cache = Path(tempfile.mkdtemp(prefix="screening-bench-cache-"))
    empty = cache / "empty"
    base = {**os.environ, "SCREENING_CACHE_DIR": str(cache / "warm")}
    base.pop("SCREENING_CACHE", None)
    variants: dict[str, tuple[list[str], dict[str, str]]] = {
        "python -c pass": ([sys.executable, "-c", "pass"], base),
        "import click, yaml, pydantic, rich": (
            [
                sys.executable,
                "-c",
                "import click, yaml, rich.table; from pydantic import BaseModel, Field",
            ],
            base,
        ),
        "the same + one pydantic model": (
            [sys.executable, "-c", LIBRARIES_AND_A_MODEL],
            {**base, "PYDANTIC_DISABLE_PLUGINS": "__all__"},
        ),
        "screen CASE (warm cache)": ([*screen, "screen", case], base),
        "screen CASE (empty cache)": (
            [*screen, "screen", case],
            {**base, "SCREENING_CACHE_DIR": str(empty)},
        ),
        "screen CASE (SCREENING_CACHE=0)": (
            [*screen, "screen", case],
            {**base, "SCREENING_CACHE": "0"},
        ),
        "README screen step (warm)": ([*screen, "screen", *README_CASES], base),
        "screen CASE --format json (warm)": (
            [*screen, "screen", case, "--format", "json"],
            base,
        ),
    }
    run(*variants["screen CASE (warm cache)"])  # fills the warm cache
    walls: dict[str, list[float]] = {name: [] for name in variants}
    cpus: dict[str, list[float]] = {name: [] for name in variants}
    try:
        for _ in range(rounds):
            for name, (command, env) in variants.items():
                shutil.rmtree(empty, ignore_errors=True)
                wall, cpu = run(command, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{rounds} rounds, {os.cpu_count()} cores, load average {load:.2f} at the end;"
        f" case {case}; PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}"
    )
    floor_wall = statistics.median(walls["python -c pass"])
    floor_cpu = statistics.median(cpus["python -c pass"])
    print(f"{'':38} {'wall s':>8} {'× bare':>7} {'CPU s':>8} {'× bare':>7}")
    for name in variants:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(
            f"{name:38} {wall:8.3f} {wall / floor_wall:7.2f} "
            f"{cpu:8.3f} {cpu / floor_cpu:7.2f}"
        )


if __name__ == "__main__":
    main()
