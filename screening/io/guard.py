"""Output paths made safe before a batch reads anything.

An output is refused when it is one of the inputs (the same path, or the same file by
another path, a symlink or a hard link: compared by device and inode), when it lies
inside an input folder (whether or not it exists yet: else a first run writes it there
and the second finds it an input), when its folder is missing or cannot be written,
and while another batch writes it: each output is locked for the whole run
(`fcntl.flock` on a hidden lock file beside it), so the second of two runs refuses at
once, naming the other, rather than silently losing the race at the rename. Nothing
here writes an output.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from screening.errors import ScreeningError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: outputs are not locked there
    fcntl = None  # type: ignore[assignment]


class OutputError(ScreeningError):
    """An output that must not or cannot be written."""

    code = "OUT"


def companion_path(first: Path) -> Path:
    """Where a batch's invalid and skipped rows go: results.xlsx → results.errors.csv."""
    return first.with_name(f"{first.stem}.errors.csv")


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()  # follows symlinks: a link to an input is that input
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _input_files(inputs: Iterable[Path]) -> dict[tuple[int, int], Path]:
    files: dict[tuple[int, int], Path] = {}
    for path in inputs:
        candidates = [path]
        if path.is_dir():
            with contextlib.suppress(OSError):
                candidates += [p for p in path.iterdir() if p.is_file()]
        for candidate in candidates:
            identity = _identity(candidate)
            if identity is not None:
                files.setdefault(identity, candidate)
    return files


def _folder_holding(output: Path, folders: Iterable[Path]) -> Path | None:
    """The input folder `output` would be written inside (at any depth), whether or not
    the output exists yet: compared by real path, so a symlink or `..` hides nothing."""
    real = os.path.realpath(output)
    for folder in folders:
        top = os.path.realpath(folder)
        if os.path.commonpath([real, top]) == top:
            return folder
    return None


def refuse_inputs(outputs: Iterable[Path], inputs: Iterable[Path]) -> None:
    """Raise OutputError if an output is an input file, inside an input folder (whether
    or not it exists yet), a folder, or named twice."""
    inputs = list(inputs)
    files = _input_files(inputs)
    folders = [path for path in inputs if path.is_dir()]
    seen: dict[tuple[int, int] | str, Path] = {}
    for output in outputs:
        if output.is_dir():
            raise OutputError(f"{output}: 输出路径是文件夹 / the output is a folder")
        folder = _folder_holding(output, folders)
        if folder is not None:
            raise OutputError(
                f"{output}: 输出文件位于输入文件夹 {folder} 内，拒绝写入 / "
                "the output is inside the input folder; refusing to write it there"
            )
        identity = _identity(output)
        if identity is not None and identity in files:
            raise OutputError(
                f"{output}: 输出文件就是输入文件 {files[identity]}，拒绝覆盖 / "
                "the output is an input file; refusing to overwrite it"
            )
        key = identity or os.path.abspath(output)
        if key in seen:
            raise OutputError(
                f"{output}: 与输出 {seen[key]} 是同一个文件 / named twice as an output"
            )
        seen[key] = output


def lock_path(output: Path) -> Path:
    """The hidden lock file beside an output."""
    return output.with_name(f".{output.name}.screening-lock")


def cannot_write(path: Path, exc: OSError) -> OutputError:
    """One clear line for an output that could not be written."""
    reason = exc.strerror or type(exc).__name__
    return OutputError(f"{path}: 无法写入（{reason}）/ cannot write: {reason}")


class OutputLocks:
    """Exclusive locks on a batch's outputs, held until `release` (or the with-block
    ends). Acquiring also proves each output's folder exists and can be written."""

    def __init__(self, outputs: Iterable[Path]) -> None:
        self._held: list[tuple[Path, int]] = []
        outputs = list(outputs)
        for output in outputs:  # in the order given: the user's outputs first
            folder = output.parent if str(output.parent) else Path(".")
            if not folder.is_dir():
                raise OutputError(
                    f"{output}: 输出文件夹 {folder} 不存在 / "
                    "the output folder does not exist"
                )
        try:
            # in the order given: a refusal names the user's output, not the companion
            for output in dict.fromkeys(outputs):
                self._held.append((lock_path(output), self._acquire(output)))
        except BaseException:
            self.release()
            raise

    @staticmethod
    def _acquire(output: Path) -> int:
        lock = lock_path(output)
        for _ in range(10):  # the lock file may be replaced under us by its last owner
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                raise cannot_write(output, exc) from None
            if fcntl is None:  # pragma: no cover
                return fd
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
                os.close(fd)
                raise OutputError(
                    f"{output}: 另一个批量任务（进程 {holder}）正在写入此文件，"
                    "请等它结束 / "
                    f"another batch (pid {holder}) is writing this output"
                ) from None
            if _same(fd, lock):
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                return fd
            os.close(fd)  # the file we locked was removed meanwhile: lock the new one
        raise OutputError(f"{output}: 无法锁定输出 / could not lock the output")

    def release(self) -> None:
        """Remove the lock files and let other runs have the outputs."""
        while self._held:
            lock, fd = self._held.pop()
            with contextlib.suppress(OSError):
                os.unlink(lock)  # while still held: nobody can be waiting on this inode
            os.close(fd)

    def __enter__(self) -> OutputLocks:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _same(fd: int, path: Path) -> bool:
    status = os.fstat(fd)
    return _identity(path) == (status.st_dev, status.st_ino)


def remove_stale_locks(folder: Path) -> list[Path]:
    """Remove the lock files in `folder` no run holds (a killed run's); returns them."""
    removed: list[Path] = []
    if fcntl is None:  # pragma: no cover
        return removed
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder if str(folder) else "."):
            name = entry.name
            if not (name.startswith(".") and name.endswith(".screening-lock")):
                continue
            try:
                fd = os.open(entry.path, os.O_RDWR | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # a run holds it
                os.close(fd)
                continue
            if _same(fd, Path(entry.path)):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)  # held: a run opening it now retries
                    removed.append(Path(entry.path))
            os.close(fd)
    return removed
