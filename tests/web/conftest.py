"""Web app fixtures: an app on a fresh register (SQLite and PostgreSQL, from the
register's fixtures), one account per role with a signed-in client and an API token,
and for the browser tests a real `screening serve` on a free loopback port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.register.conftest import (  # noqa: F401  (fixtures: a register per backend)
    _templates,
    backend,
    db_url,
    postgres_server,
)

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
ROLES = ("officer", "committee", "policy", "admin")
NAMES = {"officer": "zhang", "committee": "li", "policy": "wang", "admin": "root"}


@dataclass
class Web:
    """An app on its own register, with a client and a token for each role."""

    app: Any
    db: str
    data: Path
    clients: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, role: str | None) -> Any:
        """A signed-in client for `role`, or a client signed in as nobody (None)."""
        from fastapi.testclient import TestClient

        if role is None:
            return TestClient(self.app, follow_redirects=False)
        if role not in self.clients:
            client = TestClient(self.app, follow_redirects=False)
            sign_in(client, NAMES[role])
            self.clients[role] = client
        return self.clients[role]

    def api(self, role: str | None) -> dict[str, str]:
        """Headers carrying `role`'s API token (none for nobody)."""
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}


@pytest.fixture(autouse=True)
def _light_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process apps hash with argon2id at its lightest (each test makes four
    accounts and signs them in: at the shipped cost that is seconds of CPU a test).
    Real servers (`screening serve`, `screening users`) keep the shipped cost."""
    from argon2 import PasswordHasher

    from screening.web import accounts

    light = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "_HASHER", light)


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(
    client: Any, name: str, password: str = PASSWORD, root: str = "", next: str = "/"
) -> Any:
    """Sign in through the login page (below the path prefix `root`, if any)."""
    page = client.get(f"{root}/login")
    response = client.post(
        f"{root}/login",
        data={
            "name": name,
            "password": password,
            "csrf": csrf_of(page.text),
            "next": next,
        },
    )
    assert response.status_code == 303, response.text[:500]
    return response


def make_web(db: str, data: Path, **options: Any) -> Web:
    from screening.web.app import create_app
    from screening.web.settings import Settings

    options.setdefault("batch_jobs", 1)  # a test batch is small: no worker processes
    settings = Settings(db=db, data_dir=str(data), **options)
    app = create_app(settings=settings)
    web = Web(app, db, data)
    for role in ROLES:
        app.state.accounts.create(NAMES[role], role, PASSWORD, "test")
        web.tokens[role] = app.state.accounts.create_token(NAMES[role], "test", "test")
    return web


@pytest.fixture
def web(db_url: str, tmp_path: Path) -> Iterator[Web]:  # noqa: F811
    """The app on a fresh register (each backend), one account and token per role."""
    made = make_web(db_url, tmp_path / "data", pdf_browser=None)
    yield made
    for client in made.clients.values():
        client.close()
    made.app.state.writer.close()
    made.app.state.register.close()


@pytest.fixture
def sqlite_web(tmp_path: Path) -> Iterator[Web]:
    """The app on a fresh SQLite register only (tests whose backend does not matter)."""
    made = make_web(str(tmp_path / "register.db"), tmp_path / "data", pdf_browser=None)
    yield made
    for client in made.clients.values():
        client.close()
    made.app.state.writer.close()
    made.app.state.register.close()


def wait_job(web: Web, key: str, timeout: float = 180.0) -> dict[str, Any]:
    """A batch job once it has finished (done or failed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = web.app.state.jobs.get(key)
        if job and job["status"] in ("done", "failed"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.2)
    log = web.data / "batches" / "runner.log"
    raise AssertionError(
        f"batch {key} did not finish: {job}\n{log.read_text() if log.exists() else ''}"
    )


# --- a real server, for the browser ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    db: str
    data: Path
    log: Path


def cli(
    *args: str, stdin: str | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "screening", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def start_server(
    db: str, data: Path, log: Path, workers: int = 1, options: tuple[str, ...] = ()
) -> tuple[subprocess.Popen[bytes], str]:
    """`screening serve` (with `options`) on a free loopback port, once it answers."""
    import urllib.request

    port = free_port()
    handle = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "screening",
            "serve",
            "--db",
            db,
            "--port",
            str(port),
            "--data",
            str(data),
            "--workers",
            str(workers),
            *options,
        ],
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as r:
                if r.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"server did not answer: {log.read_text()}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    import signal

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server (`screening serve`, uvicorn) on a free port, on SQLite: the
    administrator made with `screening users add` as the README says, the others
    in-process (each command is seconds of start-up)."""
    from screening.register.store import Register
    from screening.web.accounts import AccountStore

    folder = tmp_path_factory.mktemp("server")
    db = str(folder / "register.db")
    done = cli("users", "add", NAMES["admin"], "--role", "管理员", "--password-stdin",
               "--db", db, stdin=PASSWORD + "\n")  # fmt: skip
    assert done.returncode == 0 and "管理员" in done.stdout, done.stderr
    with Register.open(db) as register:
        store = AccountStore(register)
        for role in ROLES:
            if role != "admin":
                store.create(NAMES[role], role, PASSWORD, "test")
    process, url = start_server(db, folder / "data", folder / "serve.log")
    try:
        yield Server(url, db, folder / "data", folder / "serve.log")
    finally:
        stop_server(process)
