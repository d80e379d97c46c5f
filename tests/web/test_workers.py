"""`screening serve --workers 2` on Linux: each worker listens on a socket of its
own, so keep-alive clients connecting at once are spread over both workers (one
shared socket gave a burst of 32 to one worker), a port another server holds is
refused, and what both workers screen is all in the register."""

from __future__ import annotations

import http.client
import json
import os
import socket
import sys
import time
from pathlib import Path

import pytest

from screening.cases import load_case
from screening.register.store import Register
from screening.web.accounts import AccountStore
from tests.web.conftest import ROOT, cli, free_port, start_server, stop_server

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="SO_REUSEPORT balances on Linux"
)
CASE = ROOT / "cases/beihai/bh01-iron-phosphate-pass.yaml"


def _sockets(pid: int) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:"):
            found.add(target)
    return found


def _workers(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # uvicorn's workers (not multiprocessing's resource tracker)
            if (
                int(stat[1]) == parent
                and b"spawn_main" in (entry / "cmdline").read_bytes()
            ):
                pids.append(int(entry.name))
    return sorted(pids)


def _until_listening(port: int, sockets: int) -> None:
    """Wait until `sockets` listening sockets are on `port` (/proc/net/tcp)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
        listening = [
            r for r in rows
            if r.split()[1].endswith(f":{port:04X}") and r.split()[3] == "0A"
        ]  # fmt: skip
        if len(listening) >= sockets:
            return
        time.sleep(0.2)
    raise AssertionError(f"fewer than {sockets} sockets listen on {port}")


def test_two_workers_share_the_clients_and_store_every_screening(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "register.db")
    with Register.open(db, create=True) as register:
        accounts = AccountStore(register)
        accounts.create("zhang", "officer", "a password for the test", "test")
        token = accounts.create_token("zhang", "load", "test")
    process, url = start_server(db, tmp_path / "data", tmp_path / "serve.log", 2)
    try:
        workers = _workers(process.pid)
        assert len(workers) == 2, workers
        port = int(url.rsplit(":", 1)[1])
        _until_listening(port, 2)  # the first to start answered; the other too now
        project = load_case(CASE).project.model_dump(mode="json", exclude_none=True)
        before = {pid: _sockets(pid) for pid in workers}
        # 32 clients connect at once (a burst waiting to be accepted), then ask
        connections = [
            http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(32)
        ]
        for connection in connections:
            connection.connect()
        for i, connection in enumerate(connections):
            body = {"project": {**project, "id": f"W-{i:02d}"},
                    "ruleset": "parks/beihai-tieshangang-2023", "as_of": "2025-06-30"}  # fmt: skip
            connection.request(
                "POST", "/api/v1/screenings", json.dumps(body),
                {"Authorization": f"Bearer {token}",
                 "Content-Type": "application/json"},
            )  # fmt: skip
            answer = connection.getresponse()
            assert answer.status == 200, answer.read()[:300]
            answer.read()  # the connection is kept open (keep-alive)
        held = [len(_sockets(pid) - before[pid]) for pid in workers]
        # the kernel hashes each connection to a worker: 32 split no worse than
        # 26 / 6 but for one run in about 8,000
        assert sum(held) == 32 and min(held) >= 6, held
        for connection in connections:
            connection.close()
        with socket.socket() as other:  # the port is held: a second server is refused
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            with pytest.raises(OSError):
                other.bind(("127.0.0.1", port))
        again = cli("serve", "--db", db, "--port", str(port), "--workers", "2",
                    "--data", str(tmp_path / "data2"))  # fmt: skip
        assert again.returncode != 0 and "无法监听" in again.stderr, again.stderr
    finally:
        stop_server(process)
    with Register.open(db) as register:  # both workers' screenings, every one
        for i in range(32):
            assert len(register.lead(f"W-{i:02d}")["screenings"]) == 1


def test_a_port_already_served_is_refused_before_any_worker_starts(
    tmp_path: Path,
) -> None:
    port = free_port()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        refused = cli("serve", "--db", str(tmp_path / "r.db"), "--port", str(port),
                      "--workers", "2", "--data", str(tmp_path / "data"))  # fmt: skip
    assert refused.returncode != 0 and "无法监听" in refused.stderr, refused.stderr
