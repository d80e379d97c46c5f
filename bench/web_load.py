"""The web app under load, on loopback only, bounded in count and time.

    python bench/web_load.py                       # 32 clients, 2 workers, SQLite
    python bench/web_load.py --requests 3000 --clients 32 --workers 2
    python bench/web_load.py --backend postgresql  # a private PostgreSQL server
    python bench/web_load.py --upload-rows 10000   # also: XLSX upload vs CLI batch

Starts `screening serve --workers N` on a free 127.0.0.1 port with a fresh register,
then drives it with C concurrent keep-alive connections from one asyncio process (a
few dozen lines of HTTP/1.1 on uvloop rather than an HTTP library, so the client
takes as little of the two cores as it can), in the same run:

1. a trivial endpoint of the same app, GET /api/v1/whoami (token checked, nothing
   else): the baseline;
2. POST /api/v1/screenings: one Beihai candidate each (distinct ids), screened and
   stored in the register — p50/p95/p99 latency, screenings/s, errors, and the ratio
   of the two rates;
3. afterwards, the register's rows counted: one stored screening per 200 response;
4. with --upload-rows: an N-row XLSX uploaded through the API (until its job is done)
   against `screening batch` of the same file (`--jobs 2`, XLSX and HTML, `--register`),
   alternately.

CPU seconds of the server's process tree and of the client are printed beside the
wall-clock figures: on a shared 2-core machine they say what the wall time cannot.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RULES = "parks/beihai-tieshangang-2023"
AS_OF = "2025-06-30"
MAX_SECONDS = 120.0  # per phase, whatever --requests says
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def candidates(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """n Beihai candidates (the park's cases, figures moved), each with its own id."""
    from screening.cases import case_files, load_case

    rng = random.Random(seed)
    base = [
        load_case(p).project.model_dump(mode="json", exclude_none=True)
        for p in case_files([ROOT / "cases/beihai"])
    ]
    base = [b for b in base if "land" in b and "investment" in b]
    out = []
    for i in range(n):
        project = json.loads(json.dumps(rng.choice(base)))
        project["id"] = f"LOAD-{i:07d}"
        project["park"] = ("铁山港工业区", "临海工业区")[i % 2]
        fixed = float(project["investment"]["fixed_assets"])
        project["investment"]["fixed_assets"] = str(int(fixed * rng.uniform(0.7, 1.3)))
        out.append(project)
    return out


# --- the server -----------------------------------------------------------------------


class Server:
    """`screening serve` on loopback, with an officer and a token."""

    def __init__(self, db: str, folder: Path, workers: int) -> None:
        from screening.register.store import Register
        from screening.web.accounts import AccountStore

        register = Register.open(db, create=True)
        store = AccountStore(register)
        if not any(a["name"] == "bench" for a in store.list()):
            store.create("bench", "officer", "bench password 1", "bench")
        self.token = store.create_token("bench", "load", "bench")
        register.close()
        self.port = free_port()
        self.log = (folder / "serve.log").open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "screening", "serve", "--db", db,
                "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", str(workers), "--data", str(folder / "data"),
                "--max-upload-mb", "200", "--max-rows", "1000000",
            ],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                url = f"http://127.0.0.1:{self.port}/api/v1/health"
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200 and self.listening() >= workers:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("the server did not start: see " + str(folder / "serve.log"))

    def listening(self) -> int:
        """Sockets listening on the port (each worker has its own on Linux): the
        first worker up answers the health check before the others are."""
        try:
            rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
        except OSError:
            return 1 << 30  # not Linux: the health check alone
        mine = f":{self.port:04X}"
        return sum(r.split()[1].endswith(mine) and r.split()[3] == "0A" for r in rows)

    def cpu(self) -> float:
        """CPU seconds used so far by the server's process tree (workers and batch
        runners included, those that have exited too)."""
        total = 0.0
        for pid in _tree(self.process.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # utime, stime, and cutime, cstime: the children it has reaped
            ticks = sum(int(f) for f in fields[11:15])
            total += ticks / os.sysconf("SC_CLK_TCK")
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


# --- the client: keep-alive HTTP/1.1, one asyncio protocol per connection -----------


class Connection(asyncio.Protocol):
    """One keep-alive connection sending a request and reading its answer at a time:
    the bytes as they arrive, the head parsed once (status, Content-Length), no
    stream reader layered on top, so the client takes as little CPU as it can."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiting: asyncio.Future[tuple[int, bytes]] | None = None
        self.head: tuple[int, int, int] | None = None  # status, body start, length

    @classmethod
    async def open(cls, port: int) -> Connection:
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(cls, "127.0.0.1", port)
        return connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send one request; its status and body."""
        if self.transport is None or self.transport.is_closing():
            raise ConnectionResetError("the connection is closed")
        self.waiting = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiting

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if self.head is None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            at = head.find(b"\r\ncontent-length:")
            length = 0
            if at > 0:
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : stop if stop > 0 else len(head)])
            self.head = (int(head[9:12]), end + 4, length)
        status, start, length = self.head
        if len(buffer) - start < length:
            return
        body = bytes(buffer[start : start + length])
        del buffer[: start + length]
        self.head = None
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_result((status, body))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_exception(exc or ConnectionResetError("closed"))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def run(coroutine: Any) -> Any:
    """`asyncio.run` on uvloop (the server's loop too): a leaner client."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def get(path: str, token: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\n\r\n"
    ).encode()


def post(path: str, token: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def drive(port: int, requests: list[bytes], clients: int) -> dict[str, Any]:
    """Send `requests` over `clients` connections; latencies, statuses, wall time."""
    queue = list(reversed(requests))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    deadline = time.monotonic() + MAX_SECONDS

    async def client() -> None:
        connection = await Connection.open(port)
        try:
            while queue and time.monotonic() < deadline:
                request = queue.pop()
                start = time.perf_counter()
                try:
                    status, body = await connection.exchange(request)
                except OSError as exc:
                    errors.append(repr(exc))
                    connection.close()
                    connection = await Connection.open(port)
                    continue
                latencies.append(time.perf_counter() - start)
                statuses[status] = statuses.get(status, 0) + 1
                if status != 200 and len(errors) < 5:
                    errors.append(f"{status}: {body[:200]!r}")
        finally:
            connection.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - start
    return {
        "latencies": latencies,
        "statuses": statuses,
        "errors": errors,
        "wall": wall,
    }


async def paced(
    port: int, requests: list[bytes], clients: int, rate: float
) -> dict[str, Any]:
    """Send `requests` at `rate` per second in all, spread over `clients` connections
    (an open loop: each request has its time; latency counts from that time, so a
    server that falls behind is not flattered by clients that wait for it)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    start = time.perf_counter() + 0.2
    deadline = time.monotonic() + MAX_SECONDS

    async def client(index: int) -> None:
        connection = await Connection.open(port)
        try:
            for n, request in enumerate(requests[index::clients]):
                due = start + (n * clients + index) / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                if time.monotonic() > deadline:
                    return
                status, body = await connection.exchange(request)
                latencies.append(time.perf_counter() - due)
                statuses[status] = statuses.get(status, 0) + 1
                if status != 200 and len(errors) < 5:
                    errors.append(f"{status}: {body[:200]!r}")
        finally:
            connection.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    return {
        "latencies": latencies,
        "statuses": statuses,
        "errors": errors,
        "wall": time.perf_counter() - start,
    }


def summary(name: str, result: dict[str, Any], cpu: float) -> dict[str, float]:
    lat = sorted(result["latencies"])
    n = len(lat)
    ok = result["statuses"].get(200, 0)
    figures = {
        "n": n,
        "ok": ok,
        "rate": ok / result["wall"],
        "p50": 1000 * lat[n // 2],
        "p95": 1000 * lat[min(n - 1, int(n * 0.95))],
        "p99": 1000 * lat[min(n - 1, int(n * 0.99))],
        "server_cpu_ms": 1000 * cpu / max(n, 1),
    }
    print(
        f"{name:<34} {ok:>6}/{n:<6} ok  {figures['rate']:8.1f}/s  "
        f"p50 {figures['p50']:6.1f} ms  p95 {figures['p95']:6.1f} ms  "
        f"p99 {figures['p99']:6.1f} ms  "
        f"server CPU {figures['server_cpu_ms']:.2f} ms/req  "
        f"statuses {result['statuses']}"
    )
    for error in result["errors"][:3]:
        print("   error:", error)
    return figures


# --- the upload against the CLI -------------------------------------------------------


def xlsx_of(rows: list[dict[str, Any]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    heads = ["项目编号", "项目名称", "企业名称", "行业代码", "地区分类",
             "总投资（万元）", "固定资产投资（万元）", "用地面积（亩）", "容积率",
             "建筑系数", "年营业收入（万元）", "年税收（万元）", "从业人数",
             "年综合能源消费量（吨标准煤）"]  # fmt: skip
    sheet.append(heads)
    for p in rows:
        inv, land, out = p["investment"], p["land"], p.get("output", {})
        env = p.get("environment", {})
        sheet.append([p["id"], p["name"], p["company"], p["industry"],
                      p.get("region_class"), inv.get("total"), inv.get("fixed_assets"),
                      land.get("area_mu"), land.get("plot_ratio"),
                      land.get("building_coverage"), out.get("annual_revenue"),
                      out.get("annual_tax"), out.get("employees"),
                      env.get("energy_tce")])  # fmt: skip
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def upload(port: int, token: str, path: Path) -> float:
    """Seconds from the upload's first byte to its job done."""
    import httpx

    start = time.perf_counter()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
        with path.open("rb") as handle:
            response = client.post(
                "/api/v1/batches",
                headers={"Authorization": f"Bearer {token}"},
                files={"file": (path.name, handle)},
                data={"ruleset": RULES, "as_of": AS_OF},
            )
        response.raise_for_status()
        key = response.json()["key"]
        while time.perf_counter() - start < 900:
            job = client.get(
                f"/api/v1/batches/{key}", headers={"Authorization": f"Bearer {token}"}
            ).json()
            if job["status"] in ("done", "failed"):
                if job["status"] != "done":
                    raise SystemExit(f"upload failed: {job['error']}")
                return time.perf_counter() - start
            time.sleep(0.1)
    raise SystemExit("upload did not finish in 900 s")


def cli_batch(path: Path, db: str, folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds of `screening batch` on the file (its workers included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "screening", "batch", str(path), "--rules", RULES,
         "--as-of", AS_OF, "-o", str(folder / "cli.xlsx"),
         "-o", str(folder / "cli.html"), "--jobs", "2", "--register", db],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    wall = time.perf_counter() - start
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = used.ru_utime + used.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


# --- the run --------------------------------------------------------------------------


def count_rows(db: str, run_kind: str = "web") -> tuple[int, int, list[int]]:
    """(screenings stored by runs of `run_kind`, distinct leads they belong to, and
    how many each run stored: a worker has one run, so that is each worker's share)."""
    from sqlalchemy import func, select

    from screening.register.schema import runs, screenings
    from screening.register.store import Register

    register = Register.open(db)
    with register.read() as conn:
        stored = conn.execute(
            select(func.count(), func.count(func.distinct(screenings.c.lead_id)))
            .select_from(screenings)
            .join(runs, runs.c.id == screenings.c.run_id)
            .where(runs.c.kind == run_kind)
        ).one()
        shares = conn.execute(
            select(func.count())
            .select_from(screenings)
            .join(runs, runs.c.id == screenings.c.run_id)
            .where(runs.c.kind == run_kind)
            .group_by(screenings.c.run_id)
        ).scalars()
        share = sorted((int(n) for n in shares), reverse=True)
    register.close()
    return int(stored[0]), int(stored[1]), share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--upload-rows", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="upload/CLI pairs")
    parser.add_argument("--rate", type=float, default=300.0, help="offered per second")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="screening-web-load-"))
    pg = None
    if args.backend == "postgresql":
        sys.path.insert(0, str(ROOT / "bench"))
        from register_speed import Postgres

        pg = Postgres()
        db = pg.fresh("web_load")
    else:
        db = str(folder / "register.db")
    print(f"web load: {args.clients} clients, {args.workers} workers, {args.backend}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    server = Server(db, folder, args.workers)
    try:
        token, port = server.token, server.port
        projects = candidates(args.requests + 200)
        bodies = [
            post("/api/v1/screenings", token,
                 json.dumps({"project": p, "ruleset": RULES, "as_of": AS_OF}).encode())
            for p in projects
        ]  # fmt: skip
        # warm every worker: its rule set compiled, its writer and run started
        run(drive(port, bodies[: 4 * args.clients], args.clients))
        run(drive(port, [get("/api/v1/whoami", token)] * 200, args.clients))
        half = args.requests // 2
        whoami = get("/api/v1/whoami", token)
        clients, rate = args.clients, args.rate
        phases = (
            ("trivial, as fast as it goes",
             lambda: drive(port, [whoami] * args.requests, clients)),
            ("screenings, as fast as they go",
             lambda: drive(port, bodies[200 : 200 + half], clients)),
            (f"trivial at {rate:.0f}/s",
             lambda: paced(port, [whoami] * half, clients, rate)),
            (f"screenings at {rate:.0f}/s",
             lambda: paced(port, bodies[200 + half :], clients, rate)),
        )  # fmt: skip
        results = {}
        for name, phase in phases:
            cpu = server.cpu()
            before = resource.getrusage(resource.RUSAGE_SELF)
            result = run(phase())
            used = resource.getrusage(resource.RUSAGE_SELF)
            results[name] = summary(name, result, server.cpu() - cpu)
            client = used.ru_utime + used.ru_stime - before.ru_utime - before.ru_stime
            per_request = 1000 * client / max(len(result["latencies"]), 1)
            print(f"{'':34} client CPU {per_request:.2f} ms/req")
        top_trivial, top_screen = (results[name] for name, _ in phases[:2])
        at_trivial, at_screen = (results[name] for name, _ in phases[2:])
        ratio = top_screen["rate"] / top_trivial["rate"]
        print(f"throughput: {top_screen['rate']:.0f} screenings/s (target ≥ 300), "
              f"trivial {top_trivial['rate']:.0f}/s: ratio {ratio:.2f}")  # fmt: skip
        print(f"at {rate:.0f}/s offered by {clients} clients: screening p95 "
              f"{at_screen['p95']:.1f} ms (target < 50), "
              f"trivial p95 {at_trivial['p95']:.1f} ms; closed loop ({clients} "
              f"always waiting) p95 {top_screen['p95']:.1f} ms")  # fmt: skip
        stored, leads, share = count_rows(db)
        sent = 4 * args.clients + top_screen["ok"] + at_screen["ok"]
        print(f"register: {stored} screenings stored by the web runs, {leads} leads, "
              f"for {sent} screenings answered 200 (warm-up included): "
              f"{'none lost' if stored == sent == leads else 'MISMATCH'}; "
              f"by worker {' / '.join(map(str, share))}")  # fmt: skip
        if args.upload_rows:
            rows = candidates(args.upload_rows, seed=11)
            for row in rows:
                row["id"] = row["id"].replace("LOAD", "UPL")
            path = folder / f"upload-{args.upload_rows}.xlsx"
            path.write_bytes(xlsx_of(rows))
            for i in range(args.repeat):
                cli_db = str(folder / f"cli-{i}.db") if args.backend == "sqlite" else db
                first, second = ("cli", "web") if i % 2 == 0 else ("web", "cli")
                times, cpus = {}, {}
                for which in (first, second):
                    if which == "cli":
                        times["cli"], cpus["cli"] = cli_batch(path, cli_db, folder)
                    else:
                        copy = folder / f"upload-{i}.xlsx"
                        shutil.copyfile(path, copy)
                        cpu = server.cpu()
                        times["web"] = upload(port, token, copy)
                        cpus["web"] = server.cpu() - cpu
                print(f"{args.upload_rows}-row XLSX: upload {times['web']:.1f} s "
                      f"(server CPU {cpus['web']:.1f} s), CLI batch "
                      f"{times['cli']:.1f} s (CPU {cpus['cli']:.1f} s): "
                      f"{times['web'] / times['cli']:.2f}× by wall time (target ≤ 2×), "
                      f"{cpus['web'] / cpus['cli']:.2f}× by CPU")  # fmt: skip
    finally:
        server.stop()
        if pg is not None:
            pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
