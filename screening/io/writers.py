"""Atomic file writes; streaming JSONL/CSV writers of result dicts (the JSON contract).

A file is written to a temporary sibling, flushed to disk and renamed over the target,
so a reader never sees half a report and a failed run leaves the old file in place.
Layout only: nothing here screens or chooses a language.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

# Kinds whose `fail` is a shortcoming, most severe first: a bonus not earned or a
# derived fact that is false is no failure.
FAILING_KINDS = ("veto", "gate", "review", "score")


def is_failure(finding: Mapping[str, Any]) -> bool:
    """A failed veto, gate, review or score rule; a missed bonus is no failure."""
    return finding.get("status") == "fail" and finding.get("kind") in FAILING_KINDS


def failed_findings(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A result's failures, vetoes first, in rule-set order within a kind."""
    failures = [f for f in result.get("findings", ()) if is_failure(f)]
    return sorted(failures, key=lambda f: FAILING_KINDS.index(f["kind"]))


def _read_umask() -> int:
    # Only settable, so read by setting it back: done once, at import, before any
    # thread (a progress bar) could create a file under the wrong mask.
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


# mkstemp creates 0600; a report should get the mode any new file gets.
_NEW_FILE_MODE = 0o666 & ~_read_umask()


def _sync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on every platform.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_open(
    path: Path | str,
    mode: str = "w",
    *,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Open `path` for writing via a temp file in its folder, renamed on success."""
    if mode not in ("w", "wt", "wb"):
        raise ValueError(f"atomic_open writes only ('w', 'wt', 'wb'), not {mode!r}")
    target = Path(path)
    fd, temp = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        binary = "b" in mode
        with os.fdopen(
            fd,
            mode,
            encoding=None if binary else encoding,
            newline=None if binary else newline,
        ) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, _NEW_FILE_MODE)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _sync_dir(target.parent)


def atomic_write(path: Path | str, data: bytes | str) -> None:
    """Write all of `data` (str as UTF-8, newlines untouched) atomically."""
    if isinstance(data, bytes):
        with atomic_open(path, "wb") as handle:
            handle.write(data)
    else:
        with atomic_open(path, "w", newline="") as handle:
            handle.write(data)


class _StreamWriter:
    """An atomic file that results are written to one at a time; committed at close."""

    mode = "w"
    encoding = "utf-8"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.count = 0
        self._stack = contextlib.ExitStack()
        self._handle: IO[Any] = self._stack.enter_context(
            atomic_open(self.path, self.mode, encoding=self.encoding, newline="")
        )

    def write(self, result: Mapping[str, Any]) -> None:
        """Append one result."""
        raise NotImplementedError

    def write_all(self, results: Iterable[Mapping[str, Any]]) -> int:
        """Append every result; returns how many were written."""
        for result in results:
            self.write(result)
        return self.count

    def close(self) -> None:
        """Commit: the file appears at its path now."""
        self._stack.close()

    def discard(self) -> None:
        """Drop everything written; the path keeps what it had."""
        self._stack.__exit__(RuntimeError, RuntimeError("discarded"), None)

    def __enter__(self) -> _StreamWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self._stack.__exit__(kind, exc, tb)


class JsonlWriter(_StreamWriter):
    """One JSON contract dict per line, keys in given order, Chinese kept readable."""

    def write(self, result: Mapping[str, Any]) -> None:
        """Append one result as a line."""
        self._handle.write(json.dumps(result, ensure_ascii=False) + "\n")
        self.count += 1


CSV_COLUMNS = (
    "id",
    "name",
    "decision",
    "score",
    "vetoed_by",
    "missing",
    "failed",
    "summary",
)
# Excel runs a cell starting with these as a formula (CSV injection): a project name
# comes from whoever filled the spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: object) -> str:
    value = "" if text is None else str(text)
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_row(result: Mapping[str, Any]) -> list[str]:
    """One project's CSV row, in CSV_COLUMNS order; lists joined with ';'."""
    project = result.get("project") or {}
    score = result.get("score")
    return [
        _safe(project.get("id")),
        _safe(project.get("name")),
        str(result.get("decision") or ""),
        "" if score is None else str(score),
        ";".join(result.get("vetoed_by") or ()),
        ";".join(result.get("missing") or ()),
        ";".join(f["rule"] for f in failed_findings(result)),
        _safe(result.get("summary")),
    ]


class CsvWriter(_StreamWriter):
    """One row per project: CSV_COLUMNS; UTF-8 with BOM so Excel shows the Chinese."""

    encoding = "utf-8-sig"

    def __init__(self, path: Path | str) -> None:
        super().__init__(path)
        self._csv = csv.writer(self._handle, lineterminator="\r\n")
        self._csv.writerow(CSV_COLUMNS)

    def write(self, result: Mapping[str, Any]) -> None:
        """Append one project's row."""
        self._csv.writerow(csv_row(result))
        self.count += 1
