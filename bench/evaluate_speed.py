"""回头看 speed and memory: the 黄岩 evaluation of N firms, against hand-written Python.

    python bench/evaluate_speed.py [N] [--jobs J] [--report M]

N fictional firms (default 1,000,000; seeded, clearly fictional names) are written
to bench/out/ as a CSV with the Chinese headers a 亩均办 receives, and evaluated
with the shipped `huangyan` scheme for 2025, each run in its own process whose
process tree's RSS is sampled while it runs:

* engine: `evaluate_file` (read, pass 1 measures every firm, pass 2 scores, ranks
  and classes them) and the class list read back in rank order — what the
  requirement calls evaluated;
* hand-written, exact: the same scheme written directly, with `Fraction`s as a
  careful programmer would (exact, no floats), ranked by sorting;
* hand-written, integers: the same again on the integers of each figure's ratio,
  the fastest plain Python we could write (the engine's own fast path, by hand).

Both hand-written runs must agree with the engine firm by firm (id, class, exact
score, rank: an order-independent checksum) or the benchmark fails. With
`--report M`, the full `screening evaluate … -o out.jsonl` (every firm's indicators,
points and why, in Chinese) is timed on the first M firms too.

Figures: firms per wall second (start-up included), CPU seconds of the process
tree per firm (the engine's also split into its parent and its workers), peak RSS
of the tree, and the engine's ratio to each hand-written run in the same
invocation. The machine is shared: wall figures move with its
load (printed), the CPU ratio least.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import platform
import random
import resource
import subprocess
import sys
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SCHEME = "huangyan"
YEAR = 2025
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

HEADERS = [
    "企业名称", "统一社会信用代码", "企业规模", "用地面积(亩)", "税收实际贡献(万元)", "营业收入(万元)",
    "工业增加值(万元)", "综合能耗(吨标煤)", "主要污染物排放当量(吨)", "研发经费(万元)", "年平均职工人数",
    "用电量(千瓦时)", "投产日期", "是否公用事业企业", "是否发生重大安全生产或环境污染事故",
]  # fmt: skip
_CODE = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code(n: int) -> str:
    """A well-formed (fictional) 统一社会信用代码 with its check character."""
    body = f"91331003{n:09d}"
    total = sum(_CODE.index(c) * w for c, w in zip(body, _WEIGHTS, strict=True))
    return body + _CODE[(31 - total % 31) % 31]


def generate(path: Path, n: int, seed: int = 7) -> None:
    """n fictional firms, figures in realistic ranges, 70 % 规上; a few utilities, new firms."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADERS)
        for i in range(n):
            land = round(rng.uniform(3, 200), 2)
            revenue = round(land * rng.uniform(50, 800), 2)
            out.writerow([
                f"示例企业{i:07d}（虚构）", credit_code(i), "规上" if rng.random() < 0.7 else "规下", land,
                round(revenue * rng.uniform(0.01, 0.08), 2), revenue, round(revenue * rng.uniform(0.1, 0.3), 2),
                round(revenue * rng.uniform(0.02, 0.2), 2), round(rng.uniform(0.01, 5), 3),
                round(revenue * rng.uniform(0, 0.05), 2), rng.randint(5, 800), rng.randint(10_000, 9_000_000),
                f"{rng.randint(2000, 2024)}-{rng.randint(1, 12):02d}-01",
                "是" if rng.random() < 0.005 else "否", "是" if rng.random() < 0.002 else "否",
            ])  # fmt: skip


# --- the engine ---------------------------------------------------------------------------


def run_engine(path: Path, jobs: int) -> dict[str, Any]:
    from screening.evaluation.loader import load_scheme
    from screening.evaluation.run import evaluate_file

    scheme = load_scheme(SCHEME)
    checksum = _Checksum()
    with evaluate_file(path, scheme, YEAR, jobs=jobs) as ev:
        for placed in ev.class_list():
            checksum.add(placed.firm_id, placed.class_id, placed.score, placed.rank)
        counts = ev.counts.as_dict()
    # the parent (reading, pass 2, the class list) and its workers (pass 1), apart
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool was joined
    return {
        "checksum": checksum.hexdigest(),
        "firms": checksum.count,
        "counts": counts,
        "parent_cpu": own.ru_utime + own.ru_stime,
        "workers_cpu": workers.ru_utime + workers.ru_stime,
    }


# --- the same scheme by hand -----------------------------------------------------------------

# 黄岩 2022 benchmarks, weights and decimals as in rules/evaluations/huangyan.yaml; cap 2.
ABOVE = (  # (numerator column, denominator column, weight, benchmark, decimals)
    (4, 3, 30, "24.097", 3), (6, 3, 20, "136.16", 2), (6, 7, 20, "2.694", 3),
    (6, 8, 10, "4929.81", 2), (6, 10, 10, "18.14", 2), (9, 5, 10, "0.0302", 4),
)  # fmt: skip
BELOW = ((4, 3, 50, "11.5932", 4), (4, None, 50, "0.2352", 4))  # None: 用电量 ÷ 10000
CAP = 2
CLASSES = ((130, "A"), (100, "B"), (60, "C"))


def _half_up(value: Fraction, places: int) -> Fraction:
    scale = 10**places
    magnitude = math.floor(abs(value) * scale + Fraction(1, 2))
    return Fraction(magnitude if value >= 0 else -magnitude, scale)


def _months(start: str) -> int:
    year, month = int(start[:4]), int(start[5:7])
    return (YEAR - year) * 12 + (12 - month)


def hand_exact(row: list[str]) -> tuple[str, int, Fraction] | None:
    """One firm with Fractions: (class, track, score), or None when not rated."""
    if row[13] == "是" or _months(row[12]) < 24:
        return None
    track = 0 if row[2] == "规上" else 1
    score = Fraction(0)
    for top, bottom, weight, benchmark, places in ABOVE if track == 0 else BELOW:
        numerator = Fraction(row[top])
        denominator = (
            Fraction(row[bottom]) if bottom is not None else Fraction(row[11]) / 10000
        )
        if denominator == 0:
            return None
        value = _half_up(numerator / denominator, places)
        score += weight * min(value / Fraction(benchmark), CAP)
    cls = next((c for least, c in CLASSES if score >= least), "D")
    return ("D" if row[14] == "是" else cls), track, score


def hand_integer(row: list[str]) -> tuple[str, int, int] | None:
    """One firm on integers: (class, track, score × D) with D common to the track."""
    if row[13] == "是" or _months(row[12]) < 24:
        return None
    track = 0 if row[2] == "规上" else 1
    terms, scale = _TERMS[track]
    total = 0
    for top, bottom, k_cap, cap_points, coefficient, places in terms:
        an, ad = Decimal(row[top]).as_integer_ratio()
        if bottom is not None:
            bn, bd = Decimal(row[bottom]).as_integer_ratio()
        else:
            bn, bd = Decimal(row[11]).scaleb(-4).as_integer_ratio()
        num, den = an * bd, ad * bn
        if den == 0:
            return None
        k = (num * 10**places * 2 + den) // (2 * den)
        total += cap_points if k > k_cap else coefficient * k
    least = next((c for t, c in _THRESHOLDS[track] if total >= t), "D")
    return ("D" if row[14] == "是" else least), track, total


def _terms(spec: tuple[tuple[Any, ...], ...]) -> tuple[list[tuple[Any, ...]], int]:
    units = [Fraction(w) / (Fraction(b) * 10**p) for _, _, w, b, p in spec]
    scale = math.lcm(*(u.denominator for u in units))
    terms = [
        (
            top,
            bottom,
            math.floor(CAP * Fraction(b) * 10**p),
            w * CAP * scale,
            int(u * scale),
            p,
        )
        for (top, bottom, w, b, p), u in zip(spec, units, strict=True)
    ]
    return terms, scale


_TERMS = [_terms(ABOVE), _terms(BELOW)]
_THRESHOLDS = [[(least * scale, c) for least, c in CLASSES] for _, scale in _TERMS]


def run_hand(path: Path, integer: bool) -> dict[str, Any]:
    evaluate = hand_integer if integer else hand_exact
    tracks: list[list[tuple[Any, str, str]]] = [[], []]
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        next(rows)
        for row in rows:
            result = evaluate(row)
            if result is not None:
                cls, track, score = result
                tracks[track].append((score, row[1], cls))
    checksum = _Checksum()
    for track, firms in enumerate(tracks):
        firms.sort(key=lambda firm: firm[0], reverse=True)
        rank, previous = 0, None
        for place, (score, firm_id, cls) in enumerate(firms, 1):
            if score != previous:
                rank, previous = place, score
            exact = Fraction(score, _TERMS[track][1]) if integer else score
            checksum.add(firm_id, cls, exact, rank)
    return {"checksum": checksum.hexdigest(), "firms": checksum.count}


class _Checksum:
    """An order-independent digest of (id, class, exact score, rank) over every rated firm."""

    def __init__(self) -> None:
        self.total = 0
        self.count = 0

    def add(self, firm_id: str, cls: str | None, score: Fraction, rank: int) -> None:
        item = f"{firm_id}|{cls}|{score.numerator}/{score.denominator}|{rank}".encode()
        self.total = (
            self.total
            + int.from_bytes(hashlib.blake2b(item, digest_size=8).digest(), "big")
        ) % 2**64
        self.count += 1

    def hexdigest(self) -> str:
        return f"{self.total:016x}"


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


def measured(command: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (process tree), peak RSS of the tree, stdout of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process.pid))
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    after = resource.getrusage(
        resource.RUSAGE_CHILDREN
    )  # workers were waited for: they count
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err}")
    return seconds, cpu, peak, out


def main(n: int, jobs: int, report: int) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    source = OUT / f"firms-{n}.csv"
    if not source.exists():
        generate(source, n)
    load = os.getloadavg()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load[0]:.1f}; scheme {SCHEME} {YEAR}; {n:,} firms ({source.stat().st_size / 2**20:.0f} MB CSV)"
    )
    me = [sys.executable, str(Path(__file__).resolve())]
    runs = {
        "engine": me + ["--run", "engine", str(source), str(jobs)],
        "hand-written, exact Fractions": me + ["--run", "hand-exact", str(source), "1"],
        "hand-written, integers": me + ["--run", "hand-integer", str(source), "1"],
    }
    results = {}
    for name, command in runs.items():
        seconds, cpu, peak, out = measured(command)
        results[name] = (seconds, cpu, peak, json.loads(out))
    engine = results["engine"]
    for name, (seconds, cpu, peak, data) in results.items():
        line = (
            f"{name}{f' (--jobs {jobs})' if name == 'engine' else ''}: {n / seconds:,.0f} firms/s "
            f"({seconds:,.1f} s wall), CPU {cpu / n * 1e6:.0f} µs per firm, peak RSS {peak / 2**20:.0f} MB"
        )
        if name != "engine":
            line += f"; engine ÷ this: {engine[0] / seconds:.2f}× wall, {engine[1] / cpu:.2f}× CPU"
            if (
                data["checksum"] != engine[3]["checksum"]
                or data["firms"] != engine[3]["firms"]
            ):
                raise SystemExit(
                    f"{name} disagrees with the engine: {data} vs {engine[3]}"
                )
            line += f"; agrees on all {data['firms']:,} rated firms"
        print(line)
    split = engine[3]
    print(
        f"engine CPU per firm: parent {split['parent_cpu'] / n * 1e6:.1f} µs (reading, pass 2, "
        f"class list, start-up), workers {split['workers_cpu'] / n * 1e6:.1f} µs (pass 1)"
    )
    print(f"engine counts: {engine[3]['counts']}")
    if report:
        small = OUT / f"firms-{report}.csv"
        if not small.exists():
            generate(small, report)
        output = OUT / f"report-{report}.jsonl"
        command = [sys.executable, "-m", "screening", "evaluate", str(small), "--scheme", SCHEME,
                   "--year", str(YEAR), "-o", str(output)]  # fmt: skip
        seconds, cpu, peak, _ = measured(command)
        size = output.stat().st_size
        output.unlink()
        print(
            f"screening evaluate -o report.jsonl (indicators, points and why for every firm), {report:,} firms: "
            f"{report / seconds:,.0f} firms/s, CPU {cpu / report * 1e6:.0f} µs per firm, peak RSS "
            f"{peak / 2**20:.0f} MB, {size / report:,.0f} bytes per firm"
        )


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--run"]:
        kind, path, jobs = args[1], Path(args[2]), int(args[3])
        if kind == "engine":
            result = run_engine(path, jobs)
        else:
            result = run_hand(path, integer=kind == "hand-integer")
        print(json.dumps(result))
        sys.exit(0)
    jobs_value = int(args[args.index("--jobs") + 1]) if "--jobs" in args else 2
    report_value = int(args[args.index("--report") + 1]) if "--report" in args else 0
    numbers = [
        a
        for i, a in enumerate(args)
        if a.isdigit() and (i == 0 or args[i - 1] not in ("--jobs", "--report"))
    ]
    main(int(numbers[0]) if numbers else 1_000_000, jobs_value, report_value)
