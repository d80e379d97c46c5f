"""Atomic file writes; streaming JSONL/CSV writers of result dicts (the JSON contract).

A file is written to a temporary sibling, flushed to disk and renamed over the target,
so a reader never sees half a report and a failed run leaves the old file in place.
Every temporary file is named `.screening-<pid>-…tmp` after the process that owns it,
so a later run can remove what a killed one left (`remove_stale`). Layout only:
nothing here screens or chooses a language.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from screening.kinds import FAILING

# Kinds whose `fail` is a shortcoming, most severe first: a bonus not earned or a
# derived fact that is false is no failure.
FAILING_KINDS = FAILING


def is_failure(finding: Mapping[str, Any]) -> bool:
    """A failed rule of a kind whose failure counts (veto, gate, review, score); a missed
    bonus is no failure."""
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


TEMP_PREFIX = ".screening-"
_TEMP_NAME = re.compile(r"\.screening-(\d+)-.*\.tmp")


def temp_file(beside: Path | str, purpose: str) -> Path:
    """A new empty temporary file beside `beside`, named after this process."""
    fd, name = _mkstemp(Path(beside).parent, purpose)
    os.close(fd)
    return Path(name)


def _mkstemp(folder: Path, purpose: str) -> tuple[int, str]:
    return tempfile.mkstemp(
        dir=folder or Path("."),
        prefix=f"{TEMP_PREFIX}{os.getpid()}-",
        suffix=f".{purpose}.tmp",
    )


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_stale(folder: Path | str) -> list[Path]:
    """Remove the temporary files in `folder` whose owner process is gone; returns them.

    A run killed outright (SIGKILL, power loss) could not remove its own. A file whose
    owner lives (another run, or an unrelated process that reused the pid) is kept.
    """
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder or "."):
            match = _TEMP_NAME.fullmatch(entry.name)
            if match is None or not entry.is_file(follow_symlinks=False):
                continue
            pid = int(match.group(1))
            if pid != os.getpid() and not _is_alive(pid):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def append_file(handle: IO[bytes], part: Path | str, length: int) -> None:
    """Append the first `length` bytes of the file `part` to the open file `handle`.

    By reads and writes of up to 8 MB: measured here (ext4, 2.4 MB parts), the
    kernel's copy_file_range and sendfile took half as long again. A part-file shorter
    than `length` is an error: the output would silently lack lines.
    """
    done = 0
    with open(part, "rb") as source:
        while done < length:
            block = source.read(min(length - done, _APPEND_BLOCK))
            if not block:
                break
            handle.write(block)
            done += len(block)
    if done != length:
        raise OSError(errno.EIO, f"part-file {part} holds {done} of {length} bytes")


_APPEND_BLOCK = 8 << 20


def public_mode(path: Path | str) -> None:
    """Give a temporary file (mkstemp makes them 0600) the mode any new file gets."""
    os.chmod(path, _NEW_FILE_MODE)


class StagedFile:
    """A file written beside its target and renamed over it only by `commit`.

    `finish` makes the bytes durable; a batch finishes every output first and commits
    them together, so no output appears unless all of them could be written.
    """

    def __init__(
        self,
        path: Path | str,
        mode: str = "wb",
        *,
        encoding: str = "utf-8",
        newline: str | None = None,
    ) -> None:
        if mode not in ("w", "wt", "wb"):
            raise ValueError(f"atomic_open writes only ('w', 'wt', 'wb'), not {mode!r}")
        self.target = Path(path)
        fd, name = _mkstemp(self.target.parent, self.target.name)
        self.temp = Path(name)
        binary = "b" in mode
        try:
            self.handle: IO[Any] = os.fdopen(
                fd,
                mode,
                encoding=None if binary else encoding,
                newline=None if binary else newline,
            )
        except BaseException:
            os.close(fd)
            self.temp.unlink(missing_ok=True)
            raise

    def finish(self) -> StagedFile:
        """Flush and close the temporary file, its bytes on disk; returns self."""
        if not self.handle.closed:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
        public_mode(self.temp)
        return self

    def commit(self) -> None:
        """Rename the finished file over its target."""
        os.replace(self.temp, self.target)
        _sync_dir(self.target.parent)

    def discard(self) -> None:
        """Drop the temporary file; the target keeps what it had."""
        with contextlib.suppress(OSError):
            self.handle.close()
        self.temp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_open(
    path: Path | str,
    mode: str = "w",
    *,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Open `path` for writing via a temp file in its folder, renamed on success."""
    staged = StagedFile(path, mode, encoding=encoding, newline=newline)
    try:
        yield staged.handle
        staged.finish()
        staged.commit()
    except BaseException:
        staged.discard()
        raise


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
        self._file = StagedFile(
            self.path, self.mode, encoding=self.encoding, newline=""
        )
        self._handle: IO[Any] = self._file.handle

    def write(self, result: Mapping[str, Any]) -> None:
        """Append one result."""
        raise NotImplementedError

    def write_all(self, results: Iterable[Mapping[str, Any]]) -> int:
        """Append every result; returns how many were written."""
        for result in results:
            self.write(result)
        return self.count

    def finish(self) -> StagedFile:
        """Complete the file on disk without committing it (see StagedFile)."""
        return self._file.finish()

    def close(self) -> None:
        """Commit: the file appears at its path now."""
        try:
            self._file.finish().commit()
        except BaseException:
            self._file.discard()
            raise

    def discard(self) -> None:
        """Drop everything written; the path keeps what it had."""
        self._file.discard()

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
            self.discard()


class JsonlWriter(_StreamWriter):
    """One JSON contract dict per line, keys in given order, Chinese kept readable."""

    def write(self, result: Mapping[str, Any]) -> None:
        """Append one result as a line."""
        self._handle.write(json.dumps(result, ensure_ascii=False) + "\n")
        self.count += 1


CSV_COLUMNS = (
    "id",
    "name",
    "company",
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
        _safe(project.get("company")),
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


ERROR_COLUMNS = ("source", "row", "column", "reason", "kind")


class ErrorsCsvWriter(_StreamWriter):
    """Invalid and skipped rows, one per line: ERROR_COLUMNS; UTF-8 with BOM, as
    CsvWriter, so Excel shows the Chinese."""

    encoding = "utf-8-sig"

    def __init__(self, path: Path | str) -> None:
        super().__init__(path)
        self._csv = csv.writer(self._handle, lineterminator="\r\n")
        self._csv.writerow(ERROR_COLUMNS)

    def write(self, result: Mapping[str, Any]) -> None:
        """Append one error record (source, row, column, reason, kind)."""
        self._csv.writerow(
            [_safe(result.get("source")), result.get("row")]
            + [_safe(result.get(key)) for key in ("column", "reason")]
            + [result.get("kind") or "invalid"]
        )
        self.count += 1
