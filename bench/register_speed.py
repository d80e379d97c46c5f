"""The register's speed: `batch --register` against the same batch without it, the
register's growth per screening, and `register list` / `kpi` over a million screenings.

    python bench/register_speed.py                  # everything: 100,000 rows, a 1,000,000 fill
    python bench/register_speed.py --rows 20000 --fill 200000 --repeat 1
    python bench/register_speed.py --backends sqlite --skip-fill

Speed: `screening batch … --jobs 2 -o out.jsonl` with and without `--register` (SQLite
file; PostgreSQL server started here, on loopback) in alternation, each pair measured in
the same minute: the ratio of rates is the figure (this shared machine's speed drifts
within the hour). CPU of the whole process tree is printed beside wall time.

Fill: real screenings (Beihai park rules, generated candidates) are stored in bulk
through the register's own writer, replicated under new lead ids and spread over 20
parks, with stages, promises and actuals set in bulk; then `register list` filters and
`kpi` are timed through the library (median of 3) and the CLI (one process each), and
the query plans they rely on are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RULES = "parks/beihai-tieshangang-2023"
AS_OF = "2025-06-30"
PARKS = [f"园区{i:02d}" for i in range(20)]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.chdir(ROOT)


# --- a PostgreSQL server of our own ---------------------------------------------------


class Postgres:
    """initdb + pg_ctl in a temporary folder (as the postgres user when run as root)."""

    def __init__(self) -> None:
        import glob

        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise SystemExit(
                "PostgreSQL server binaries not found: apt-get install postgresql"
            )
        self.bin = Path(found[-1]).parent
        self.folder = Path(tempfile.mkdtemp(prefix="screening-bench-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._run(
            "initdb",
            "-D",
            str(self.folder / "data"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        # durability as a real server has it (fsync on): the ratio must not flatter PostgreSQL
        self._run(
            "pg_ctl",
            "-D",
            str(self.folder / "data"),
            "-l",
            str(self.folder / "log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c shared_buffers=512MB",
            "start",
        )
        self.base = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)

    def fresh(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{self.base}/{name}"

    def size(self, url: str) -> int:
        import psycopg

        with psycopg.connect(
            url.replace("postgresql+psycopg://", "postgresql://")
        ) as conn:
            conn.execute("CHECKPOINT")
            return int(
                conn.execute("SELECT pg_database_size(current_database())").fetchone()[
                    0
                ]
            )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def sqlite_size(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


# --- batch --register against batch ---------------------------------------------------


def run_batch(source: Path, register: str | None) -> tuple[float, float]:
    """Wall and process-tree CPU seconds of one `screening batch --jobs 2` run."""
    output = OUT / "register-bench.out.jsonl"
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
        "2",
        "-o",
        str(output),
    ] + (["--register", register] if register else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"batch failed: {done.stderr}")
    output.unlink()  # a page cache full of the last run's output makes the next run's writes dearer
    return seconds, (after.ru_utime + after.ru_stime) - (
        before.ru_utime + before.ru_stime
    )


def speed(rows: int, repeat: int, backends: list[str], pg: Postgres | None) -> None:
    from batch_speed import generate, machine

    OUT.mkdir(parents=True, exist_ok=True)
    source = OUT / f"register-bench-{rows}.jsonl"
    generate(source, rows)
    print(
        f"machine: {machine()}; rule set {RULES}; {rows:,} rows, screening batch --jobs 2 -o out.jsonl"
    )
    ratios: dict[str, list[float]] = {b: [] for b in backends}
    for rep in range(repeat):
        for backend in backends:
            if backend == "sqlite":
                target = OUT / "register-bench.db"
                for leftover in OUT.glob("register-bench.db*"):
                    leftover.unlink()
                url = str(target)
            else:
                assert pg is not None
                url = pg.fresh("bench_speed")
            plain, plain_cpu = run_batch(source, None)
            stored, stored_cpu = run_batch(source, url)
            size = sqlite_size(target) if backend == "sqlite" else pg.size(url)  # type: ignore[union-attr]
            ratio = plain / stored
            ratios[backend].append(ratio)
            print(
                f"  [{rep + 1}] {backend:<10} without register {rows / plain:,.0f}/s (CPU {plain_cpu:.1f} s); "
                f"with --register {rows / stored:,.0f}/s (CPU {stored_cpu:.1f} s): ratio {ratio:.2f} "
                f"(CPU ratio {plain_cpu / stored_cpu:.2f}); register {size / rows:,.0f} bytes/screening"
            )
    for backend, found in ratios.items():
        print(
            f"{backend}: --register runs at {statistics.median(found):.2f}x the rate without it "
            f"(median of {len(found)}; each pair measured back to back; target ≥ 0.70)"
        )
    source.unlink()


# --- a million stored screenings ------------------------------------------------------


def real_records(n: int) -> list[Any]:
    """n screened rows with their register records (this process, one worker's path)."""
    from batch_speed import generate

    from screening.batch import run_batch as screen_rows
    from screening.io.readers import read_rows

    source = OUT / f"register-fill-{n}.jsonl"
    generate(source, n, seed=11)
    items: list[Any] = []
    with read_rows(source, deferred=True) as rows:
        screen_rows(
            rows,
            RULES,
            dt.date.fromisoformat(AS_OF),
            1,
            items.append,
            print,
            register=True,
        )
    source.unlink()
    return items


def fill(
    url: str, total: int, items: list[Any], size_of: Any
) -> list[tuple[int, float]]:
    """Store `total` screenings made from `items` under new lead ids; bytes/screening as it grows."""
    from screening.loader import load_ruleset
    from screening.register.records import Record
    from screening.register.store import Pending, Register

    rng = random.Random(5)
    register = Register.open(url, create=True)
    run = register.start_run(
        "import",
        load_ruleset(RULES, as_of=dt.date.fromisoformat(AS_OF)),
        RULES,
        "zh",
        "bench",
        input_path="fill",
        input_sha256="0" * 64,
    )
    sizes = []
    marks = {total // 10, total // 2, total}
    chunk: list[Pending] = []
    start = time.perf_counter()
    for i in range(total):
        item = items[i % len(items)]
        record = Record._make(item.record)
        pid, name, company, _park, industry, amount = record.ident
        ident = (
            f"F{i:07d}",
            name,
            company,
            PARKS[rng.randrange(len(PARKS))],
            industry,
            amount,
        )
        chunk.append(Pending(i + 1, item.decision, record._replace(ident=ident)))
        if len(chunk) == 10_000:
            register.store(run, chunk)
            chunk = []
        if i + 1 in marks:
            if chunk:
                register.store(run, chunk)
                chunk = []
            sizes.append((i + 1, size_of() / (i + 1)))
    register.close()
    print(
        f"  filled {total:,} screenings in {time.perf_counter() - start:,.0f} s "
        f"({total / (time.perf_counter() - start):,.0f}/s through the register's writer)"
    )
    return sizes


def pipeline(url: str) -> None:
    """Stages, promises and actuals on a share of the leads, in bulk (as years of use would)."""
    from sqlalchemy import text

    from screening.register.store import Register

    sqlite = "://" not in url or url.startswith("sqlite")

    def day(base: str, offset: str) -> str:
        return (
            f"date({base}, '+' || ({offset}) || ' days')"
            if sqlite
            else f"(({base})::date + ({offset}))"
        )

    statements = [
        f"UPDATE leads SET registered_on = {day(chr(39) + '2022-06-01' + chr(39), 'id % 1000')}",
        f"UPDATE leads SET signed_on = {day('registered_on', '200')}, stage = '签约' WHERE id % 5 = 0",
        f"UPDATE leads SET land_on = {day('signed_on', '30')}, started_on = {day('signed_on', '90')}, "
        f"stage = '开工' WHERE id % 10 = 0",
        f"UPDATE leads SET producing_on = {day('started_on', '300')}, stage = '投产' WHERE id % 20 = 0",
        f"UPDATE leads SET ended_on = {day('registered_on', '100')}, stage = '终止' WHERE id % 50 = 1",
        f"UPDATE leads SET promised_total = investment_total, promised_start = {day('signed_on', '120')}, "
        f"promised_production = {day('signed_on', '480')} WHERE signed_on IS NOT NULL",
        "UPDATE leads SET stage_on = COALESCE(ended_on, producing_on, started_on, signed_on, registered_on)",
        "INSERT INTO actuals (lead_id, reported_on, invested, recorded_at, actor) "
        f"SELECT id, {day('signed_on', '365')}, investment_total / 2, registered_at, 'bench' "
        "FROM leads WHERE id % 25 = 0",
        "ANALYZE",
    ]
    start = time.perf_counter()
    with Register.open(url) as register, register.write() as conn:
        for statement in statements[:-1]:
            conn.execute(text(statement))
    with Register.open(url) as register, register.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    print(f"  stages, promises and actuals set in {time.perf_counter() - start:,.0f} s")


LISTS = [
    ("register list", {}),
    (
        "register list --park 园区03 --decision reject",
        {"park": "园区03", "decision": "reject"},
    ),
    ("register list --stage 签约 --park 园区07", {"park": "园区07", "stage": "签约"}),
    (
        "register list --industry C2613 --min-investment 1亿",
        {"industry": "C2613", "min_investment": 10000},
    ),
    (
        "register list --from 2024-01-01 --to 2024-01-31",
        {"registered_from": dt.date(2024, 1, 1), "registered_to": dt.date(2024, 1, 31)},
    ),
    ("register list --decision pass", {"decision": "pass"}),
]


def queries(url: str, label: str) -> None:
    from decimal import Decimal

    from sqlalchemy import event, text

    from screening.register.kpi import compute_kpis, period_of
    from screening.register.store import Filters, Register

    register = Register.open(url)
    statements: list[tuple[str, Any]] = []

    def capture(
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        many: bool,
    ) -> None:
        statements.append((statement, parameters))

    def timed(call: Any) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    today = dt.date.today()
    cases: list[tuple[str, Any]] = []
    for name, given in LISTS:
        if "min_investment" in given:
            given = {**given, "min_investment": Decimal(given["min_investment"])}
        filters = Filters(**given)
        cases.append((name, lambda f=filters: register.leads(f, limit=50)))
    cases += [
        (
            "register kpi --year 2025 (a past period: stages as of its end)",
            lambda: compute_kpis(
                register, period_of(2025, None, None, None, None, today)
            ),
        ),
        (
            f"register kpi --year {today.year} (to date: the current stage, on an index)",
            lambda: compute_kpis(
                register, period_of(today.year, None, None, None, None, today)
            ),
        ),
        (
            "register kpi --year 2025 --park 园区05",
            lambda: compute_kpis(
                register, period_of(2025, None, None, None, None, today), park="园区05"
            ),
        ),
    ]
    print(
        f"{label}: query times through the library (median of 3), and the statements' plans"
    )
    plans: list[str] = []
    for name, call in cases:
        seconds = timed(call)
        statements.clear()
        event.listen(register.engine, "before_cursor_execute", capture)
        result = call()
        event.remove(register.engine, "before_cursor_execute", capture)
        matched = (
            f"{result[0]:,} matched"
            if isinstance(result, tuple)
            else f"{len(result['parks'])} rows"
        )
        print(f"  {name}: {seconds * 1000:,.0f} ms ({matched})")
        plans.append(f"-- {name}")
        with register.engine.connect() as conn:
            for statement, parameters in statements:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                explain = "EXPLAIN QUERY PLAN " if register.is_sqlite else "EXPLAIN "
                rows = conn.exec_driver_sql(explain + statement, parameters).fetchall()
                first_line = " ".join(statement.split())[:160]
                plans.append(f"   {first_line}")
                plans += [
                    "      " + (r[-1] if register.is_sqlite else r[0]) for r in rows
                ]
    for command in (
        ["register", "list", "--park", "园区03", "--decision", "reject"],
        ["register", "kpi", "--year", "2025"],
    ):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "screening", *command, "--db", url],
            capture_output=True,
        )
        seconds = time.perf_counter() - start
        assert done.returncode == 0, done.stderr
        print(
            f"  CLI `screening {' '.join(command)}`: {seconds * 1000:,.0f} ms, process start-up included"
        )
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "screening", "--version"], capture_output=True
    )
    print(
        f"  (`screening --version` alone: {(time.perf_counter() - start) * 1000:,.0f} ms)"
    )
    register.close()
    print("\n".join(plans))
    with Register.open(url) as check, check.read() as conn:
        count = conn.execute(text("SELECT count(*) FROM screenings")).scalar_one()
    print(f"  ({count:,} screenings stored)")


def million(total: int, backends: list[str], pg: Postgres | None) -> None:
    print(f"\nfilling {total:,} screenings per backend")
    items = real_records(min(total, 20_000))
    for backend in backends:
        if backend == "sqlite":
            path = OUT / "register-fill.db"
            for leftover in OUT.glob("register-fill.db*"):
                leftover.unlink()
            url = str(path)

            def size_of(path: Path = path) -> int:
                return sqlite_size(path)
        else:
            assert pg is not None
            url = pg.fresh("bench_fill")

            def size_of(url: str = url) -> int:
                return pg.size(url)  # type: ignore[union-attr]

        print(f"{backend}:")
        sizes = fill(url, total, items, size_of)
        print(
            "  size: "
            + "; ".join(
                f"{n:,} screenings → {b:,.0f} bytes/screening" for n, b in sizes
            )
        )
        pipeline(url)
        queries(url, backend)
        if backend == "sqlite":
            for leftover in OUT.glob("register-fill.db*"):
                leftover.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--fill", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-fill", action="store_true")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    pg = Postgres() if "postgresql" in backends else None
    try:
        if not args.skip_speed:
            speed(args.rows, args.repeat, backends, pg)
        if not args.skip_fill:
            million(args.fill, backends, pg)
    finally:
        if pg is not None:
            pg.stop()


if __name__ == "__main__":
    main()
