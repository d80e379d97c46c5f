"""The office path's speed: a GBK CSV screened into XLSX, against JSONL in the same run.

    python bench/office_speed.py [N] [--reps R]   # N rows (default 20,000), R runs each
    python bench/office_speed.py --memory [N]     # XLSX only, peak RSS (1,000,000)
    python bench/office_speed.py --stages [N]     # in one process: what XLSX adds a row
    python bench/office_speed.py [N] --baseline PYTHON  # … and XLSX by another checkout

N candidates (the Beihai park's case projects with perturbed figures, as
`bench/batch_speed.py` makes them) are written as a CSV in GB18030, the way Excel in a
Chinese office saves one, with Chinese headers. `screening batch --jobs 2` then turns
it into `.jsonl` and into `.xlsx`, alternately, R times each (a shared machine drifts:
alternating keeps both kinds under the same load). Printed: the median rows/s of each
(start-up included), the CPU time a row takes in the whole process tree (parent and
workers: moves less with the machine's load than wall time) and how much of it is the
parent's (the batch runs under a bootstrap that records its own CPU time at exit; the
rest is the workers'), the XLSX rate as a multiple of the JSONL rate, and the peak
resident memory of the process tree. `--baseline PYTHON` adds, in the same rounds, the
XLSX run of the checkout that interpreter imports `screening` from (e.g. another
worktree's `.venv/bin/python`), and prints this checkout's XLSX against it. At 3,000 rows/s on 2 cores the parent has at most
333 µs of wall time a row, shared with two workers: its own CPU a row is the figure that
bounds the rate.

`--stages` times, in this process and in CPU time, what each output costs a row once
the rows are screened (N rows, default 2,000, rounds alternating): the worker's JSON
line (`contract_bytes`) against its XLSX rows (`DecisionRows.render_bodies`) and their
deflating, a piece a sheet a chunk (`xlsx.deflated_rows`), the pickling of what a
worker returns for a chunk of each kind there and back (`batch.Chunk`), and the
parent's appending of the pieces to the sheets (`XlsxWorkbook.add_rows`). Start-up and the machine's other load stay out of it, so
the XLSX/JSONL ratio here moves far less than the whole runs' ratio does.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from batch_speed import AS_OF, OUT, RULES, _tree_rss, generate, machine  # noqa: E402

# Chinese headers as bureaus write them; the three park-specific inputs by --columns
HEADERS = {
    "id": "项目编号",
    "name": "项目名称",
    "company": "企业名称",
    "industry": "行业代码",
    "region_class": "地区分类",
    "investment.total": "总投资(万元)",
    "investment.fixed_assets": "固定资产投资(万元)",
    "land.area_mu": "用地面积(亩)",
    "land.plot_ratio": "容积率",
    "land.building_coverage": "建筑系数",
    "land.admin_share": "行政办公及生活服务设施用地比例",
    "land.green_ratio": "绿地率",
    "output.annual_revenue": "年营业收入(万元)",
    "output.annual_tax": "年税收(万元)",
    "output.added_value": "增加值(万元)",
    "output.employees": "从业人数",
    "output.rd_share": "研发投入占比",
    "environment.energy_tce": "年综合能耗(吨标煤)",
    "environment.electricity_kwh": "年用电量(千瓦时)",
    "environment.in_red_line": "是否位于生态保护红线",
    "environment.access_list_conflict": "是否与生态环境准入清单冲突",
    "environment.catalogue": "产业目录类别",
    "environment.eia_category": "环评类别",
    "extra.two_high_conditions_met": "是否落实两高条件",
    "extra.building_density": "建筑密度",
    "extra.admin_floor_share": "行政办公建筑面积占比",
}
EXTRA = {title: path for path, title in HEADERS.items() if path.startswith("extra.")}
_WORDS = {True: "是", False: "否"}
_CATALOGUE = {"encouraged": "鼓励类", "permitted": "允许类", "restricted": "限制类"}
_EIA = {"report": "报告书", "report_table": "报告表", "registration": "登记表"}


def _cell(path: str, value: Any) -> str:
    if isinstance(value, bool):
        return _WORDS[value]
    if path == "environment.catalogue":
        return _CATALOGUE.get(value, value)
    if path == "environment.eia_category":
        return _EIA.get(value, value)
    return "" if value is None else str(value)


def _flat(project: dict[str, Any], path: str) -> Any:
    node: Any = project
    for key in path.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


def write_csv(jsonl: Path, target: Path) -> None:
    """The generated candidates as a GB18030 CSV with Chinese headers."""
    with (
        jsonl.open(encoding="utf-8") as source,
        target.open("w", encoding="gb18030", newline="") as out,
    ):
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADERS.values())
        for line in source:
            project = json.loads(line)
            if isinstance(project.get("industry"), dict):
                project["industry"] = project["industry"].get("code")
            writer.writerow(_cell(p, _flat(project, p)) for p in HEADERS)


def _columns_file() -> Path:
    path = OUT / "office-columns.yaml"
    path.write_text(
        "".join(f"{title}: {field}\n" for title, field in EXTRA.items()),
        encoding="utf-8",
    )
    return path


# runs the command as its console script does (`cli.run`) and writes the parent's own
# CPU seconds to the file named first, at exit however it exits (a finished batch
# leaves with os._exit, which runs no atexit function)
_BOOTSTRAP = (
    "import atexit, os, resource, sys\n"
    "where = sys.argv.pop(1)\n"
    "def mine():\n"
    "    r = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    open(where, 'w').write(repr(r.ru_utime + r.ru_stime))\n"
    "atexit.register(mine)\n"
    "leave = os._exit\n"
    "def quick(code):\n"
    "    mine()\n"
    "    leave(code)\n"
    "os._exit = quick\n"
    "sys.argv[0] = 'screening'\n"
    "from screening.cli import run\n"
    "run()\n"
)


def _run(
    source: Path, output: Path, columns: Path, python: str = sys.executable
) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (parent and workers), the parent's own CPU seconds and
    peak RSS of one `screening batch --jobs 2` (the process tree's RSS, sampled every
    0.1 s), run by `python` from OUT (so that `screening` is the one `python` has
    installed, never a checkout in the working directory)."""
    mine = OUT / "office-parent-cpu.txt"
    mine.unlink(missing_ok=True)
    command = [
        python, "-c", _BOOTSTRAP, str(mine), "batch", str(source), "--rules",
        RULES, "--as-of", AS_OF, "--jobs", "2", "--columns", str(columns), "-o",
        str(output),
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=OUT
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process.pid))
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if process.returncode != 0:
        stderr = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"batch failed: {stderr}")
    parent = float(mine.read_text())
    mine.unlink()
    return seconds, cpu, parent, peak


def _prepare(n: int) -> tuple[Path, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    jsonl, source = OUT / f"office-{n}.jsonl", OUT / f"office-{n}.csv"
    if not source.exists():
        generate(jsonl, n)
        write_csv(jsonl, source)
        jsonl.unlink()
    return source, _columns_file()


def throughput(n: int, reps: int, baseline: str | None = None) -> None:
    source, columns = _prepare(n)
    # what is run: the output's suffix, the interpreter, and the name printed
    kinds = [(".jsonl", sys.executable, "jsonl"), (".xlsx", sys.executable, "xlsx")]
    if baseline is not None:
        kinds.append((".xlsx", baseline, "xlsx, baseline"))
    rates: dict[str, list[float]] = {name: [] for *_, name in kinds}
    cpus: dict[str, list[float]] = {name: [] for *_, name in kinds}
    parents: dict[str, list[float]] = {name: [] for *_, name in kinds}
    peaks: dict[str, int] = {name: 0 for *_, name in kinds}
    started = time.perf_counter()
    for round_ in range(reps):
        # this checkout's XLSX and the baseline's take turns at going first
        order = kinds if round_ % 2 == 0 else [kinds[0], *reversed(kinds[1:])]
        for suffix, python, name in order:
            output = OUT / f"office-{n}.out{suffix}"
            seconds, cpu, parent, peak = _run(source, output, columns, python)
            output.unlink()  # a page cache full of the last output slows the next run
            (OUT / f"office-{n}.out.errors.csv").unlink(missing_ok=True)
            rates[name].append(n / seconds)
            cpus[name].append(cpu / n * 1e6)
            parents[name].append(parent / n * 1e6)
            peaks[name] = max(peaks[name], peak)
    jsonl, xlsx = (statistics.median(rates[s]) for s in ("jsonl", "xlsx"))
    print(
        f"machine: {machine()}; rule set {RULES}; {n:,} rows, GB18030 CSV, "
        f"screening batch --jobs 2, {reps} runs each, alternating "
        f"({time.perf_counter() - started:.0f} s in all)"
    )
    if baseline is not None:
        print(f"  baseline: {baseline}")
    for name in rates:
        rate = statistics.median(rates[name])
        spread = ", ".join(f"{r:,.0f}" for r in rates[name])
        cpu = statistics.median(cpus[name])
        parent = statistics.median(parents[name])
        print(
            f"  {name}: median {rate:,.0f} rows/s ({spread}), start-up "
            f"included; CPU {cpu:.0f} µs a row, parent and workers (2 cores: "
            f"{2e6 / cpu:,.0f}/s), of it the parent {parent:.0f} µs, the workers "
            f"{cpu - parent:.0f} µs; peak RSS {peaks[name] / 2**20:.0f} MB"
        )
    ratio = statistics.median(cpus["jsonl"]) / statistics.median(cpus["xlsx"])
    print(f"  xlsx / jsonl: {xlsx / jsonl:.2f} by wall time, {ratio:.2f} by CPU time")
    if baseline is not None:
        # each round's pair ran back to back, under much the same load
        walls = [
            a / b for a, b in zip(rates["xlsx"], rates["xlsx, baseline"], strict=True)
        ]
        times = [
            b / a for a, b in zip(cpus["xlsx"], cpus["xlsx, baseline"], strict=True)
        ]
        print(
            f"  xlsx / baseline xlsx, the median of the rounds' ratios: "
            f"{statistics.median(walls):.2f} by rate, "
            f"{statistics.median(times):.2f} by CPU time a row (above 1: faster)"
        )


def memory(n: int) -> None:
    source, columns = _prepare(n)
    output = OUT / f"office-{n}.out.xlsx"
    seconds, cpu, parent, peak = _run(source, output, columns)
    size = output.stat().st_size
    output.unlink()
    (OUT / f"office-{n}.out.errors.csv").unlink(missing_ok=True)
    print(
        f"machine: {machine()}; {n:,} rows, GB18030 CSV → XLSX, --jobs 2: "
        f"{seconds:,.0f} s ({n / seconds:,.0f} rows/s, CPU {cpu / n * 1e6:.0f} µs "
        f"a row, the parent {parent / n * 1e6:.0f} µs); peak RSS of the process tree {peak / 2**20:.0f} MB; "
        f"workbook {size / 2**20:,.0f} MB"
    )


def stages(n: int, rounds: int = 5) -> None:
    """What XLSX adds over JSONL a row, stage by stage, in this process (CPU time)."""
    import datetime as dt
    import pickle
    import tempfile

    sys.path.insert(0, str(ROOT))
    from screening import batch
    from screening.io.columns import load_column_map
    from screening.io.readers import read_rows
    from screening.report.contract import contract_bytes
    from screening.report.xlsx import XlsxWorkbook, deflated_rows
    from screening.report.xlsx_rows import DecisionRows

    source, columns_file = _prepare(max(n, 5_000))
    columns = load_column_map(str(columns_file))
    batch.start_worker(RULES, dt.date.fromisoformat(AS_OF), "zh", columns)
    screener = batch._screener
    decisions = []
    with read_rows(str(source), columns, deferred=True) as stream:
        for row in stream:
            read = batch._read(row.source, row.number, row.data)
            if isinstance(read, tuple):
                decisions.append(screener.screen(read[2]))
            if len(decisions) >= n:
                break
    ruleset, rows = screener.ruleset, DecisionRows(screener.ruleset, "zh")

    chunk = batch.CHUNK

    def line() -> Any:
        # what a worker returns for each chunk (batch.Chunk) when the output is JSONL
        return [
            (
                [
                    (i, d.outcome.value, contract_bytes(d, ruleset, "zh"), None)
                    for i, d in enumerate(decisions[at : at + chunk], at)
                ],
                None,
            )
            for at in range(0, len(decisions), chunk)
        ]

    def render() -> Any:
        # … and when it is XLSX: no line; the chunk's rows in two lists (SheetRows)
        chunks = []
        for at in range(0, len(decisions), chunk):
            results, summaries, findings = [], [], []
            for i, d in enumerate(decisions[at : at + chunk], at):
                summary, finding_rows = rows.render_bodies(d)
                summaries.append(summary)
                findings += finding_rows
                results.append((i, d.outcome.value, None, None))
            chunks.append((results, (summaries, findings)))
        return chunks

    def deflate(chunks: Any) -> Any:
        # … which a worker process deflates, a piece a sheet (batch._screen_chunk)
        return [
            (results, (deflated_rows(summaries), deflated_rows(findings)))
            for results, (summaries, findings) in chunks
        ]

    def there_and_back(chunks: Any) -> Any:
        return [pickle.loads(pickle.dumps(c, -1)) for c in chunks]

    def add(chunks: Any) -> None:
        with tempfile.TemporaryDirectory() as folder:
            book = XlsxWorkbook(Path(folder) / "stages.xlsx")
            for results, (summaries, findings) in chunks:
                book.decisions.update(result[1] for result in results)
                book.add_rows(summaries, findings)
            book.discard()

    times: dict[str, list[float]] = {}

    def timed(name: str, step: Any, *args: Any) -> Any:
        start = time.process_time()
        made = step(*args)
        times.setdefault(name, []).append((time.process_time() - start) / n * 1e6)
        return made

    for _ in range(rounds):
        lines = timed("line", line)
        rendered = timed("render", render)
        deflated = timed("deflate", deflate, rendered)
        timed("pickle line", there_and_back, lines)
        timed("pickle xlsx", there_and_back, deflated)
        timed("add", add, deflated)
    med = {name: statistics.median(values) for name, values in times.items()}
    jsonl = med["line"] + med["pickle line"]
    xlsx = med["render"] + med["deflate"] + med["pickle xlsx"] + med["add"]
    print(
        f"machine: {machine()}; rule set {RULES}; {n:,} screened rows, {rounds} "
        f"rounds alternating, median CPU µs a row"
    )
    print(
        f"  jsonl: line {med['line']:.0f} (worker) + pickling there and back "
        f"{med['pickle line']:.0f} = {jsonl:.0f}"
    )
    print(
        f"  xlsx : rows {med['render']:.0f} + deflating {med['deflate']:.0f} (worker) "
        f"+ pickling there and back {med['pickle xlsx']:.0f} + appending "
        f"{med['add']:.0f} (parent) = {xlsx:.0f}"
    )
    print(f"  xlsx / jsonl: {xlsx / jsonl:.2f}; XLSX adds {xlsx - jsonl:.0f} µs a row")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, help="rows (default by mode)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--memory", action="store_true", help="XLSX only, peak RSS (1,000,000 rows)"
    )
    mode.add_argument(
        "--stages",
        action="store_true",
        help="in one process: what XLSX adds a row (2,000 rows)",
    )
    parser.add_argument("--reps", type=int, default=3, help="runs of each kind")
    parser.add_argument(
        "--baseline",
        metavar="PYTHON",
        help="also XLSX by the checkout this interpreter imports screening from",
    )
    args = parser.parse_args()
    if args.stages:
        stages(args.n or 2_000)
    elif args.memory:
        memory(args.n or 1_000_000)
    else:
        throughput(args.n or 20_000, args.reps, args.baseline)


if __name__ == "__main__":
    main()
