"""Batch uploads, run in a background process that outlives the page (and the web
worker) that started it.

An upload is saved under a random key (`<data>/batches/<key>/input.<suffix>`: the
uploaded file name is never a path from the request). For its run it is linked as
`<key>/named/<name>`, the uploaded name reduced to a plain name (`input_name`: no
folder, no leading dot, no control character, bounded), so that the reports and the
errors CSV name the officer's file (`招商会.xlsx,5,…`) and rows without an id are
named after it. The job is queued in `web_batches`. A
runner process (`python -m screening.web.jobs`, one at a time, holding a lock file)
takes queued jobs in order: it counts the rows within the upload bounds (the batch
path's own `Limits`, which refuse spreadsheet bombs before parsing), then runs the
CLI's batch (`BatchOutputs`: XLSX and HTML reports, every screened row into the
register through its sink), writing progress and a heartbeat as it goes. A job whose
runner died is marked failed when the next runner or web worker starts; running it
again stores only what is missing (the register's storing is idempotent).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from screening.errors import ScreeningError
from screening.register.schema import web_batches
from screening.register.store import Register, utc_now
from screening.web.settings import ENV, Settings

SUFFIXES = (".xlsx", ".xlsm", ".csv", ".tsv", ".jsonl")
STALE = 60  # seconds without a heartbeat after which a running job is presumed dead
SHOWN_ROWS = 500  # invalid and skipped rows kept for the page (the CSV has them all)
TOP = 10
SHOWN_RENAMED = 500  # leads a row gave another name or company, kept for the page
INTERRUPTED = (
    "运行中断（进程已退出）；重新上传即可补齐，已存入的行不会重复 / "
    "interrupted; upload again to complete it (nothing is stored twice)"
)


class UploadRefused(ScreeningError):
    """An upload that is not accepted (its type, its size)."""

    code = "UPL"


class JobQueue:
    """The web side of batch jobs: submit, read, start the runner."""

    def __init__(self, register: Register, settings: Settings) -> None:
        self.register = register
        self.settings = settings
        self.root = settings.data / "batches"

    def folder(self, key: str) -> Path:
        return self.root / key

    def submit(
        self,
        owner: str,
        filename: str,
        suffix: str,
        rules_ref: str,
        as_of: dt.date,
        lang: str,
        save: Any,
    ) -> str:
        """Queue a job; `save(path)` writes the upload there. Returns the job's key."""
        key = secrets.token_hex(12)
        folder = self.folder(key)
        folder.mkdir(parents=True)
        save(folder / f"input{suffix}")
        with self.register.write() as conn:
            conn.execute(
                web_batches.insert().values(
                    key=key,
                    owner=owner,
                    filename=filename[:255],
                    format=suffix,
                    rules_ref=rules_ref,
                    as_of=as_of,
                    lang=lang,
                    status="queued",
                    done_rows=0,
                    created_at=utc_now(),
                )
            )
        self.start_runner()
        return key

    def get(self, key: str) -> dict[str, Any] | None:
        with self.register.read() as conn:
            row = conn.execute(
                select(web_batches).where(web_batches.c.key == key)
            ).first()
        return None if row is None else _job(row)

    def list(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.register.read() as conn:
            rows = conn.execute(
                select(web_batches).order_by(web_batches.c.id.desc()).limit(limit)
            ).fetchall()
        return [_job(r) for r in rows]

    def start_runner(self) -> None:
        """Start a runner process unless one is running (it takes every queued job)."""
        if _runner_alive(self.root):
            return
        log = (self.root / "runner.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "screening.web.jobs"],
            env={**os.environ, ENV: self.settings.to_env()},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # a stopped web server does not stop the run
        )
        log.close()
        # reaped when it ends, so no zombie stays behind in the web worker
        threading.Thread(target=process.wait, daemon=True).start()

    def recover(self) -> None:
        """Mark jobs whose runner died as failed; restart the runner for queued ones."""
        mark_dead(self.register)
        with self.register.read() as conn:
            queued = conn.execute(
                select(web_batches.c.id)
                .where(web_batches.c.status == "queued")
                .limit(1)
            ).first()
        if queued is not None:
            self.start_runner()


_NAME_BYTES = 200  # a file name's bytes on disk (most file systems allow 255)


def input_name(filename: str, suffix: str) -> str:
    """The name an upload is read under in its job's folder: the uploaded name without
    any folder, control character or leading dot, at most _NAME_BYTES bytes, ending
    in the job's `suffix` ("input" + suffix when nothing is left)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    ending = suffix
    if name.lower().endswith(suffix.lower()):
        name, ending = name[: len(name) - len(suffix)], name[len(name) - len(suffix) :]
    stem = name.strip(". ")
    while len(stem.encode()) > _NAME_BYTES - len(ending.encode()):
        stem = stem[:-1]
    return (stem or "input") + ending


def named_input(folder: Path, job: dict[str, Any]) -> Path:
    """The job's upload under its uploaded (plain) name, for the run to read: a link
    to `input<suffix>` in `named/` (a copy where links cannot be made)."""
    source = folder / f"input{job['format']}"
    named = folder / "named" / input_name(job["filename"], job["format"])
    if not named.is_file():
        named.parent.mkdir(exist_ok=True)
        try:
            os.link(source, named)
        except OSError:
            shutil.copyfile(source, named)
    return named


def _job(row: Any) -> dict[str, Any]:
    job = dict(row._mapping)
    job["counts"] = json.loads(job["counts"]) if job["counts"] else None
    job["summary"] = json.loads(job["summary"]) if job["summary"] else None
    return job


def _runner_alive(root: Path) -> bool:
    """Whether a runner holds the lock (checked without taking it for long)."""
    import fcntl

    path = root / "runner.lock"
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def mark_dead(register: Register) -> int:
    """Running jobs without a heartbeat for STALE seconds: failed (interrupted)."""
    cutoff = utc_now() - dt.timedelta(seconds=STALE)
    with register.write() as conn:
        return int(
            conn.execute(
                update(web_batches)
                .where(
                    web_batches.c.status == "running",
                    web_batches.c.heartbeat_at < cutoff,
                )
                .values(
                    status="failed",
                    finished_at=utc_now(),
                    error=INTERRUPTED,
                )
            ).rowcount
        )


# --- the runner process ---------------------------------------------------------------


class ProgressSink:
    """The register's batch sink, counting rows and the rules behind rejections."""

    def __init__(self, sink: Any, rules: list[tuple[str, str, str]]) -> None:
        self.sink = sink
        self.rules = rules  # (id, kind, title) in the rule set's order
        self.done = 0
        self.vetoes: Counter[str] = Counter()
        self.gates: Counter[str] = Counter()

    def add(self, screened: Any, file: str | None = None) -> None:
        self.sink.add(screened, file)
        self.done += 1
        if screened.decision == "reject":
            record = screened.record  # register.records.Record as a tuple
            for entry, (rule, kind, _) in zip(
                json.loads(record[2]), self.rules, strict=False
            ):
                if entry[0] == "f" and kind == "veto":
                    self.vetoes[rule] += 1
                elif entry[0] == "f" and kind == "gate":
                    self.gates[rule] += 1

    def finish(self, rows: int, invalid: int) -> None:
        self.sink.finish(rows, invalid)

    def close(self) -> None:
        self.sink.close()

    def top(self) -> list[dict[str, Any]]:
        titles = {rule: title for rule, _, title in self.rules}
        both = [(n, rule, "veto") for rule, n in self.vetoes.items()] + [
            (n, rule, "gate") for rule, n in self.gates.items()
        ]
        return [
            {"rule": rule, "title": titles.get(rule, rule), "kind": kind, "count": n}
            for n, rule, kind in sorted(both, key=lambda x: (-x[0], x[1]))[:TOP]
        ]


def _set(register: Register, job_id: int, **values: Any) -> None:
    with register.write() as conn:
        conn.execute(
            update(web_batches).where(web_batches.c.id == job_id).values(values)
        )


def _claim(register: Register) -> dict[str, Any] | None:
    """The oldest queued job, now running here (or None)."""
    while True:
        with register.read() as conn:
            row = conn.execute(
                select(web_batches)
                .where(web_batches.c.status == "queued")
                .order_by(web_batches.c.id)
                .limit(1)
            ).first()
        if row is None:
            return None
        now = utc_now()
        with register.write() as conn:
            taken = conn.execute(
                update(web_batches)
                .where(web_batches.c.id == row.id, web_batches.c.status == "queued")
                .values(
                    status="running", pid=os.getpid(), started_at=now, heartbeat_at=now
                )
            ).rowcount
        if taken:
            return _job(row)


def run_job(register: Register, settings: Settings, job: dict[str, Any]) -> None:
    """Count, screen, report and store one job; its row says how it went."""
    from screening.batch_output import SHOWN_IGNORED, BatchOutputs
    from screening.io.columns import UNKNOWN_HEADER
    from screening.io.readers import read_rows
    from screening.io.tables import Limits
    from screening.loader import load_ruleset
    from screening.register.sink import open_sink

    folder = (settings.data / "batches" / job["key"]).resolve()
    state = {"done": 0, "stop": False}

    def beat() -> None:  # progress and a sign of life, once a second
        while not state["stop"]:
            _set(register, job["id"], heartbeat_at=utc_now(), done_rows=state["done"])
            time.sleep(1.0)

    beater = threading.Thread(target=beat, daemon=True)
    beater.start()
    try:
        source = named_input(folder, job)
        limits = Limits(max_rows=settings.max_rows)
        with read_rows(source, limits=limits) as rows:
            total = sum(1 for _ in rows)
        _set(register, job["id"], total_rows=total)
        ruleset = load_ruleset(job["rules_ref"], as_of=job["as_of"])
        sink = open_sink(
            settings.db,
            ruleset,
            job["rules_ref"],
            job["lang"],
            str(source),
            kind="upload",
            actor=job["owner"],
        )
        rules = [(r.id, r.kind, _title(r, job["lang"])) for r in ruleset.rules]
        progress = ProgressSink(sink, rules)

        class Counted:  # BatchOutputs calls add / finish / close on its register
            def add(self, item: Any, file: str | None = None) -> None:
                progress.add(item, file)
                state["done"] = progress.done

            def finish(self, rows: int, invalid: int) -> None:
                progress.finish(rows, invalid)

            def close(self) -> None:
                progress.close()

        outputs = BatchOutputs(
            [("xlsx", folder / "report.xlsx"), ("html", folder / "report.html")],
            ruleset,
            job["as_of"],
            source.name,  # read from its own folder: the reports name the upload only
            job["lang"],
            500,
            register=Counted(),
        )
        with _working_folder(source.parent):
            outputs.run(job["rules_ref"], None, None, settings.batch_jobs)
        counts = outputs.counts.as_dict()
        summary = {
            "top": progress.top(),
            "errors": _errors(outputs.companion),
            "error_count": outputs.error_count,
            "notes": outputs.notes,
            # the sheet's columns read into nothing, for the page to list
            "ignored": [
                {**i, "unknown": i["reason"] == UNKNOWN_HEADER}
                for i in outputs.ignored[:SHOWN_IGNORED]
            ],
            "ignored_count": len(outputs.ignored),
            "stored": sink.counts.stored,
            "duplicates": sink.counts.duplicates,
            "renamed": [
                {"row": r.row, "lead": r.lead, **r.changed()}
                for r in sink.counts.renamed[:SHOWN_RENAMED]
            ],
            "renamed_count": len(sink.counts.renamed),
        }
        state["stop"] = True
        beater.join()
        _set(
            register,
            job["id"],
            status="done",
            finished_at=utc_now(),
            done_rows=counts["rows"],
            total_rows=counts["rows"],
            counts=json.dumps(counts),
            summary=json.dumps(summary, ensure_ascii=False),
            run_id=sink.run.id,
        )
    except ScreeningError as exc:
        state["stop"] = True
        beater.join()
        message = "；".join(d.message for d in exc.diagnostics)
        _set(
            register,
            job["id"],
            status="failed",
            finished_at=utc_now(),
            error=message[:2000],
        )
    except BaseException:
        state["stop"] = True
        beater.join()
        (folder / "error.log").write_text(traceback.format_exc(), encoding="utf-8")
        _set(
            register,
            job["id"],
            status="failed",
            finished_at=utc_now(),
            # the runner is detached from the server's console: say where its trace is
            error=(
                f"内部错误：详情记在服务器数据目录（--data）的 batches/{job['key']}/error.log"
                f" / internal error: see batches/{job['key']}/error.log in the server's"
                " --data folder"
            ),
        )
        raise


@contextlib.contextmanager
def _working_folder(folder: Path) -> Iterator[None]:
    # contextlib.chdir is 3.11's; the runner is its own process, one job at a time
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def _title(rule: Any, lang: str) -> str:
    title = rule.spec.title
    if title is None:
        return str(rule.id)
    return str(title.en or title.zh) if lang == "en" else str(title.zh)


def _errors(companion: Path) -> list[dict[str, Any]]:
    """The first invalid and skipped rows from the run's errors CSV."""
    if not companion.is_file():
        return []
    out = []
    with companion.open(encoding="utf-8-sig", newline="") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            if i >= SHOWN_ROWS:
                break
            out.append(dict(row))
    return out


def _absolute(settings: Settings) -> Settings:
    """The settings with the register and data folder as absolute paths."""
    from dataclasses import replace

    from screening.register.db import resolve_url

    url = resolve_url(settings.db)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        url = "sqlite:///" + str(Path(url[len("sqlite:///") :]).resolve())
    return replace(settings, db=url, data_dir=str(settings.data.resolve()))


def main() -> int:
    """The runner: take queued jobs one by one until none is left."""
    import fcntl

    settings = _absolute(Settings.from_env())  # a job runs in its own folder
    root = settings.data / "batches"
    root.mkdir(parents=True, exist_ok=True)
    register = Register.open(settings.db)
    try:
        with (root / "runner.lock").open("a") as lock:
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    return 0  # another runner has it
                mark_dead(register)
                while (job := _claim(register)) is not None:
                    try:
                        run_job(register, settings, job)
                    except Exception:  # noqa: BLE001 - recorded on the job; next one
                        traceback.print_exc()
                fcntl.flock(lock, fcntl.LOCK_UN)
                # a job queued while the lock was still held found no runner to start:
                # look once more now that it is released
                with register.read() as conn:
                    left = conn.execute(
                        select(web_batches.c.id)
                        .where(web_batches.c.status == "queued")
                        .limit(1)
                    ).first()
                if left is None:
                    return 0
    finally:
        register.close()


if __name__ == "__main__":
    sys.exit(main())
