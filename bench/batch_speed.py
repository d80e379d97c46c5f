"""Batch throughput and memory on a shipped park rule set, against hand-written Python.

    python bench/batch_speed.py [N]            # throughput, --jobs 1 and 2, ratio, agreement
    python bench/batch_speed.py --distinct [N] # the same with figures that almost never repeat
    python bench/batch_speed.py --memory [N]   # streaming: peak RSS screening N candidates (default 1,000,000)
    python bench/batch_speed.py --breakdown [N] # --jobs 2 (distinct figures): whose CPU time it is

Candidates are generated from the Beihai case files with perturbed figures, written to
bench/out/ as JSONL, and screened with `screening batch` (full findings, JSON contract
per line) in a subprocess; its process tree's RSS is sampled while it runs. The
hand-written evaluation of the same rules runs in this process on the same candidates.

Three figures per run, because a shared machine is noisy and start-up is fixed:
* whole run: N / wall seconds, start-up (imports, loading the rules, spawning workers) included;
* steady: candidates per wall second once started, (N − n) / (T_N − T_n) with a short run of n;
* CPU: CPU seconds of the whole process tree (parent and workers) per candidate once
  started (the short run's CPU subtracted, as for "steady"), as a multiple of the hand-written evaluation's CPU time per candidate. This ratio moves least
  with the machine's load; 2 cores ÷ CPU per candidate is what two cores can reach.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RULES = "parks/beihai-tieshangang-2023"
AS_OF = "2025-06-30"
SHORT = 200  # candidates in the short run that measures start-up
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from screening.cases import case_files, load_case  # noqa: E402
from screening.model.project import Project, flatten  # noqa: E402


def templates() -> list[dict[str, Any]]:
    return [
        load_case(p).project.model_dump(mode="json", exclude_none=True)
        for p in case_files(["cases/beihai"])
    ]


def generate(path: Path, n: int, seed: int = 7, distinct: bool = False) -> None:
    """Write n candidates: case projects with every figure moved by up to ±25 %.

    In 1 % steps, so figures repeat across candidates as round figures do in real lists;
    with `distinct`, in steps of a millionth, so that almost none repeats.
    """
    rng = random.Random(seed)
    steps = 1_000_000 if distinct else 100
    base = [t for t in templates() if "land" in t and "investment" in t]
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            project = json.loads(json.dumps(rng.choice(base)))
            project["id"] = f"bh-{i:07d}"
            for section in ("investment", "land", "output", "environment"):
                for key, value in list(project.get(section, {}).items()):
                    if isinstance(value, str) and value.replace(".", "", 1).isdigit():
                        scaled = Decimal(value) * (
                            1 + Decimal(rng.randint(-steps // 4, steps // 4)) / steps
                        )
                        if key in (
                            "building_coverage",
                            "admin_share",
                            "green_ratio",
                            "rd_share",
                        ):
                            scaled = min(scaled, Decimal(1))
                        places = Decimal(1) if key == "employees" else Decimal("0.0001")
                        project[section][key] = str(scaled.quantize(places))
            out.write(json.dumps(project, ensure_ascii=False) + "\n")


# --- the same rules written by hand ------------------------------------------------------

TWO_HIGH = ("D4411", "D4412", "C25", "C26", "C31", "C32", "C30")


def hand_written(v: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The effective Beihai rule set (national + parcel) by hand: decision and statuses."""
    F = Fraction
    status: dict[str, str] = {}

    def check(rule: str, *inputs: str, ok: Any) -> None:
        status[rule] = (
            "missing"
            if any(v.get(i) is None for i in inputs)
            else ("pass" if ok() else "fail")
        )

    check(
        "environment.red_line",
        "environment.in_red_line",
        ok=lambda: not v["environment.in_red_line"],
    )
    check(
        "environment.access_list",
        "environment.access_list_conflict",
        ok=lambda: not v["environment.access_list_conflict"],
    )
    check(
        "industry_fit.catalogue_eliminated",
        "environment.catalogue",
        ok=lambda: v["environment.catalogue"] != "eliminated",
    )
    check(
        "industry_fit.catalogue_restricted",
        "environment.catalogue",
        ok=lambda: v["environment.catalogue"] != "restricted",
    )
    two_high = v.get("industry.code", "").startswith(TWO_HIGH)
    if two_high:
        check(
            "environment.two_high_conditions",
            "extra.two_high_conditions_met",
            ok=lambda: v["extra.two_high_conditions_met"],
        )
        check(
            "energy.two_high_window",
            "environment.energy_tce",
            ok=lambda: F(v["environment.energy_tce"]) < 50000,
        )
    check(
        "energy.provincial_review",
        "environment.energy_tce",
        ok=lambda: F(v["environment.energy_tce"]) < 10000,
    )
    # on AS_OF the national 2008 容积率 and 建筑系数 gates are no longer in force (they end on
    # 2023-06-24), and the 2023 edition's control values are not configured: no national land gate
    check(
        "industry_fit.parcel_industry",
        "industry.division",
        ok=lambda: v["industry.division"] == "26",
    )
    area = "land.area_mu"
    check(
        "investment_intensity.parcel",
        "investment.fixed_assets",
        area,
        ok=lambda: F(v["investment.fixed_assets"]) / F(v[area]) >= 250,
    )
    check(
        "output.intensity",
        "output.annual_revenue",
        area,
        ok=lambda: F(v["output.annual_revenue"]) / F(v[area]) >= 400,
    )
    check(
        "tax_yield.per_mu",
        "output.annual_tax",
        area,
        ok=lambda: F(v["output.annual_tax"]) / F(v[area]) >= 20,
    )
    check(
        "land_use.plot_ratio_range",
        "land.plot_ratio",
        ok=lambda: F(7, 10) <= F(v["land.plot_ratio"]) <= F(18, 10),
    )
    check(
        "land_use.building_density",
        "extra.building_density",
        ok=lambda: F(35, 100) <= F(v["extra.building_density"]) <= F(65, 100),
    )
    check(
        "land_use.green_ratio",
        "land.green_ratio",
        ok=lambda: F(v["land.green_ratio"]) <= F(2, 10),
    )
    check(
        "land_use.admin_share",
        "land.admin_share",
        ok=lambda: F(v["land.admin_share"]) <= F(7, 100),
    )
    check(
        "land_use.admin_floor_share",
        "extra.admin_floor_share",
        ok=lambda: F(v["extra.admin_floor_share"]) <= F(15, 100),
    )
    hard = [
        s
        for r, s in status.items()
        if not r.startswith(("energy.", "environment.two_high"))
    ]
    reviews = [
        status.get(r)
        for r in (
            "environment.two_high_conditions",
            "energy.two_high_window",
            "energy.provincial_review",
        )
    ]
    if "fail" in hard:
        return "reject", status
    if "missing" in hard or "fail" in reviews or "missing" in reviews:
        return "review", status
    return "pass", status


# --- measuring ---------------------------------------------------------------------------


def _tree_rss(pid: int) -> int:
    """Resident memory of a process and its descendants, in bytes (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            with open(f"/proc/{current}/task/{current}/children") as handle:
                stack += [int(c) for c in handle.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def run_batch(source: Path, jobs: int, output: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (the process tree) and peak RSS of one `screening batch` run."""
    command = [
        sys.executable,
        "-m",
        "screening",
        "batch",
        str(source),
        "--rules",
        RULES,
        "--as-of",
        AS_OF,
        "--jobs",
        str(jobs),
        "-o",
        str(output),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process.pid))
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    after = resource.getrusage(
        resource.RUSAGE_CHILDREN
    )  # the batch waited for its workers: they count
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if process.returncode != 0:
        raise SystemExit(
            f"batch failed: {process.stderr.read() if process.stderr else ''}"
        )
    return seconds, cpu, peak


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def throughput(n: int, distinct: bool = False) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    kind = "distinct" if distinct else "beihai"
    source, short = OUT / f"{kind}-{n}.jsonl", OUT / f"{kind}-{SHORT}.jsonl"
    generate(source, n, distinct=distinct)
    generate(short, SHORT, distinct=distinct)
    values = []
    with source.open(encoding="utf-8") as handle:
        for line in handle:
            values.append(flatten(Project.model_validate(json.loads(line))))
    from screening.inputs import convert_inputs
    from screening.loader import load_ruleset

    inputs = load_ruleset(RULES).inputs
    values = [convert_inputs(v, inputs) for v in values]
    timings = []
    for _ in range(
        5
    ):  # a short burst on a shared machine is noisy: the median of five passes
        start = time.process_time()
        expected = [hand_written(v)[0] for v in values]
        timings.append(time.process_time() - start)
    hand_s = statistics.median(timings)
    hand_us = hand_s / n * 1e6
    figures = "figures almost never repeat" if distinct else "figures in 1 % steps"
    print(
        f"machine: {machine()}; rule set {RULES}; {n} candidates ({figures}), full findings, JSONL output"
    )
    print(
        f"hand-written Python (one process, CPU time, median of 5 passes): {n / hand_s:,.0f} candidates/s "
        f"({hand_us:.1f} µs each)"
    )
    for jobs in (1, 2):
        output = OUT / f"{kind}-{n}-jobs{jobs}.out.jsonl"
        started, start_cpu, _ = run_batch(
            short, jobs, OUT / f"{kind}-{SHORT}-jobs{jobs}.out.jsonl"
        )
        seconds, cpu, peak = run_batch(source, jobs, output)
        got = [json.loads(line)["decision"] for line in output.open(encoding="utf-8")]
        # outputs are removed once read: a run writes ~12 KB a candidate, and a page cache full
        # of the last run's output makes the next run's writes cost several times the CPU
        output.unlink()
        (OUT / f"{kind}-{SHORT}-jobs{jobs}.out.jsonl").unlink()
        disagree = sum(a != b for a, b in zip(got, expected, strict=False)) + abs(
            len(got) - len(expected)
        )
        cpu_us = (
            (cpu - start_cpu) / (n - SHORT) * 1e6
        )  # start-up's CPU left out, as in "steady"
        print(
            f"screening batch --jobs {jobs}: whole run {n / seconds:,.0f}/s; "
            f"steady {(n - SHORT) / (seconds - started):,.0f}/s (start-up {started:.1f} s); "
            f"CPU {cpu_us:.0f} µs per candidate = {cpu_us / hand_us:.1f}x hand-written "
            f"(2 cores: {2e6 / cpu_us:,.0f}/s); peak RSS {peak / 2**20:.0f} MB; disagreements {disagree}"
        )
        if disagree:
            raise SystemExit("the engine and the hand-written evaluation disagree")


def _cpu_by_part(pid: int) -> dict[str, float]:
    """CPU seconds so far of a batch's process (its main thread, its other threads: the
    executor's result and queue-feeding threads) and of each of its descendants."""
    tick = os.sysconf("SC_CLK_TCK")

    def seconds(stat: str) -> float:
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime, stime

    parts: dict[str, float] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as handle:
            name = "parent: main thread" if int(tid) == pid else "parent: other threads"
            parts[name] = parts.get(name, 0.0) + seconds(handle.read())
    stack = [pid]
    while stack:
        with open(f"/proc/{stack[-1]}/task/{stack[-1]}/children") as handle:
            kids = [int(c) for c in handle.read().split()]
        stack.pop()
        for kid in kids:
            with open(f"/proc/{kid}/stat") as handle:
                parts[f"child {kid}"] = seconds(handle.read())
            stack.append(kid)
    return parts


def _sampled(source: Path, output: Path) -> dict[str, float]:
    """The last CPU sample of every part of one `--jobs 2` run (sampled every 0.1 s:
    what a part spends after its last sample, at most 0.1 s, is not counted)."""
    command = [sys.executable, "-m", "screening", "batch", str(source), "--rules"]
    command += [RULES, "--as-of", AS_OF, "--jobs", "2", "-o", str(output)]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    last: dict[str, float] = {}
    while process.poll() is None:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            last.update(_cpu_by_part(process.pid))
        time.sleep(0.1)
    if process.returncode != 0:
        raise SystemExit("batch failed")
    output.unlink()
    output.with_name(f"{output.stem}.errors.csv").unlink()
    return last


def breakdown(n: int) -> None:
    """Where the CPU time of a `--jobs 2` batch goes, per candidate once started (the
    short run's CPU subtracted, as for "steady"): the parent's main thread (reading,
    handing out rows, writing the output), its other threads (the executor's), each
    child (the workers and multiprocessing's resource tracker)."""
    OUT.mkdir(parents=True, exist_ok=True)
    source, short = OUT / f"distinct-{n}.jsonl", OUT / f"distinct-{SHORT}.jsonl"
    generate(source, n, distinct=True)
    generate(short, SHORT, distinct=True)
    print(
        f"machine: {machine()}; load {os.getloadavg()[0]:.1f}; {n} candidates, --jobs 2"
    )

    def by_role(parts: dict[str, float]) -> dict[str, float]:
        children = sorted(
            (v for k, v in parts.items() if k.startswith("child")), reverse=True
        )
        roles = {k: v for k, v in parts.items() if k.startswith("parent")}
        # the busiest two children are the workers; the rest: the resource tracker
        roles |= {f"worker {i + 1}": v for i, v in enumerate(children[:2])}
        roles["other children"] = sum(children[2:])
        return roles

    start = by_role(_sampled(short, OUT / "breakdown-short.out.jsonl"))
    whole = by_role(_sampled(source, OUT / "breakdown.out.jsonl"))
    total = 0.0
    for role, cpu in whole.items():
        steady = (cpu - start.get(role, 0.0)) / (n - SHORT) * 1e6
        total += steady
        print(f"{role:>22}: {steady:6.1f} µs per candidate (whole run {cpu:.2f} s)")
    print(f"{'all':>22}: {total:6.1f} µs per candidate")


def memory(n: int) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    source = OUT / f"beihai-{n}.jsonl"
    if not source.exists():
        generate(source, n)
    output = OUT / f"beihai-{n}.out.jsonl"
    seconds, cpu, peak = run_batch(source, 2, output)
    lines = sum(1 for _ in output.open(encoding="utf-8"))
    print(
        f"machine: {machine()}; {n:,} candidates, --jobs 2: {seconds:,.0f} s ({n / seconds:,.0f}/s, "
        f"CPU {cpu / n * 1e6:.0f} µs per candidate), peak RSS of the whole process tree {peak / 2**20:.0f} MB; "
        f"results written {lines:,}"
    )
    output.unlink()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--memory":
        memory(int(args[1]) if len(args) > 1 else 1_000_000)
    elif args and args[0] == "--breakdown":
        breakdown(int(args[1]) if len(args) > 1 else 20_000)
    else:
        distinct = "--distinct" in args
        numbers = [a for a in args if a != "--distinct"]
        throughput(int(numbers[0]) if numbers else 20_000, distinct)
