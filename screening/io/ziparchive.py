"""A zip archive assembled from members deflated as they were produced.

A large member (a worksheet of a million rows) is compressed while it is written, into
a temporary file beside the output, and copied into the archive at the end: memory
stays flat and no member is held whole. Python's `zipfile` can only compress what it is
handed at once or one open member at a time; an XLSX needs several sheets filled side
by side, so the container is written here (ZIP64 where sizes or offsets need it).
Layout only: what the members hold is the caller's.

A member may also take pieces deflated elsewhere (`deflate_piece`, in a batch worker):
each is a run of deflate blocks that ends on a byte boundary and refers to nothing
before its start, so pieces and the member's own output can follow one another; the
member's CRC-32 is combined from the pieces' (`crc32_combine`).
"""

from __future__ import annotations

import shutil
import struct
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Any, NamedTuple

_fast_zlib: ModuleType | None
try:  # ISA-L's deflate and CRC-32: the same format and values, several times as fast
    from isal import isal_zlib as _fast_zlib
except ImportError:  # pragma: no cover - isal is a dependency; zlib serves without it
    _fast_zlib = None
crc32 = _fast_zlib.crc32 if _fast_zlib is not None else zlib.crc32
# what either inflater raises on damaged data (ISA-L's error is not zlib's)
INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error,) + (
    (_fast_zlib.error,) if _fast_zlib is not None else ()
)


def raw_inflater() -> Any:
    """An inflater of a member's raw deflate stream (ISA-L's: about 2.4 times as fast
    as zlib's on a sheet's XML), with zlib's `decompress(data, max_length)`,
    `unconsumed_tail` and `eof`."""
    return (_fast_zlib or zlib).decompressobj(-15)


ZIP64_ABOVE = 0xFFFFFFFF  # a size or offset above this needs ZIP64
_MASK = 0xFFFFFFFF  # what a 32-bit field holds when ZIP64 has the value
_BATCH = 1 << 18  # bytes gathered before each call into the compressor
# ISA-L's level 1: on the office bench's findings sheet (16 KB of XML a row) it takes
# 7.7 µs a row for 17.1 MB, level 0 7.5 µs for 21.3 MB, level 2 8.9 µs for the same
# 17.1 MB, level 3 82 µs for 14.0 MB; zlib's level 1 44 µs for 17.3 MB
LEVEL = 1


@dataclass(frozen=True)
class Packed:
    """A member's raw deflate stream (in memory or in a file) with its CRC and sizes."""

    name: str
    crc: int
    size: int  # uncompressed
    compressed: int
    data: bytes | None = None
    path: Path | None = None


def compressor() -> Any:
    """A raw deflate compressor at LEVEL (ISA-L's when installed)."""
    if _fast_zlib is not None:
        return _fast_zlib.compressobj(LEVEL, _fast_zlib.DEFLATED, -15)
    return zlib.compressobj(LEVEL, zlib.DEFLATED, -15)


class Piece(NamedTuple):
    """Bytes deflated on their own (`deflate_piece`), with their CRC-32 and length."""

    data: bytes  # raw deflate blocks, no final one, ending on a byte boundary
    crc: int
    size: int  # uncompressed


def deflate_piece(parts: Iterable[bytes]) -> Piece:
    """The parts' bytes, one after another, deflated by a fresh compressor and closed
    with a sync flush (an empty stored block): whole bytes, no final block and no
    reference to anything before them, so a member can take them between any other
    pieces (`DeflatedMember.write_piece`).

    Parts of a few hundred KB deflate faster than one large buffer (which would be
    copied once more, into fresh pages, and deflated out of the processor's caches).
    """
    packer = compressor()
    crc = size = 0
    deflated = []
    for data in parts:
        crc = crc32(data, crc)
        size += len(data)
        deflated.append(packer.compress(data))
    deflated.append(packer.flush(zlib.Z_SYNC_FLUSH))
    return Piece(b"".join(deflated), crc, size)


def inflate_piece(piece: Piece) -> bytes:
    """What a piece holds, uncompressed."""
    return zlib.decompressobj(-15).decompress(piece.data)


_POLY = 0xEDB88320  # CRC-32's polynomial, reflected


def _times(a: int, b: int) -> int:
    """a·b modulo CRC-32's polynomial (bit 31 the lowest power: zlib's multmodp)."""
    m, product = 1 << 31, 0
    while True:
        if a & m:
            product ^= b
            if not a & (m - 1):
                return product
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


# x^(2^n) modulo the polynomial, for n = 0 … 31
_X2N = [1 << 30]
for _ in range(31):
    _X2N.append(_times(_X2N[-1], _X2N[-1]))


def _crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC-32 of a + b from a's, b's and b's length (zlib's crc32_combine)."""
    power, n, k = 1 << 31, length2, 3  # x^0; the shift is 8·length2 bits: 2^3 each
    while n:
        if n & 1:
            power = _times(_X2N[k & 31], power)
        n >>= 1
        k += 1
    return _times(power, crc1) ^ crc2


# ISA-L's when it has it (python-isal 1.7 on); the same values
crc32_combine = getattr(_fast_zlib, "crc32_combine", None) or _crc32_combine


def pack(name: str, data: bytes) -> Packed:
    """A small member, deflated in memory."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    deflated = compressor.compress(data) + compressor.flush()
    return Packed(name, zlib.crc32(data), len(data), len(deflated), data=deflated)


class DeflatedMember:
    """A member written piece by piece, deflated into a temporary file."""

    def __init__(self, name: str, temp: Path) -> None:
        self.name = name
        self.path = temp
        self._out: IO[bytes] | None = temp.open("wb", buffering=1 << 20)
        # made when the member deflates bytes itself; dropped at a foreign piece
        self._compressor: Any = None
        self._pending: list[bytes] = []
        self._pending_size = 0
        self.crc = 0
        self.size = 0

    def write(self, data: bytes) -> None:
        """Append uncompressed bytes."""
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= _BATCH:
            self._drain()

    def write_piece(self, piece: Piece) -> None:
        """Append bytes deflated elsewhere (`deflate_piece`), after what came before."""
        self._drain()
        assert self._out is not None
        if self._compressor is not None:
            # its own blocks end on a byte boundary; its history, which would reach
            # back across the piece, goes with it
            self._out.write(self._compressor.flush(zlib.Z_SYNC_FLUSH))
            self._compressor = None
        self._out.write(piece.data)
        self.crc = crc32_combine(self.crc, piece.crc, piece.size)
        self.size += piece.size

    def _drain(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending, self._pending_size = [], 0
        self.crc = crc32(data, self.crc)
        self.size += len(data)
        assert self._out is not None
        if self._compressor is None:
            self._compressor = compressor()
        self._out.write(self._compressor.compress(data))

    def finish(self) -> Packed:
        """Close the stream; the member is ready to be copied into an archive."""
        self._drain()
        assert self._out is not None
        if self._compressor is None:  # nothing of its own since a piece: a final block
            self._compressor = compressor()
        self._out.write(self._compressor.flush())
        self._out.close()
        self._out = None
        return Packed(
            self.name, self.crc, self.size, self.path.stat().st_size, path=self.path
        )

    def discard(self) -> None:
        """Drop the member and its temporary file."""
        if self._out is not None:
            self._out.close()
            self._out = None
        self.path.unlink(missing_ok=True)


def _dos_time(stamp: float) -> tuple[int, int]:
    t = time.localtime(stamp)
    year = max(t.tm_year, 1980)
    return (
        (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2),
        ((year - 1980) << 9) | (t.tm_mon << 5) | t.tm_mday,
    )


def write_zip(out: IO[bytes], members: Iterable[Packed]) -> None:
    """Write an archive of the packed members to `out`, in the given order."""
    clock, day = _dos_time(time.time())
    central: list[bytes] = []
    offset = 0
    count = 0
    for member in members:
        name = member.name.encode()
        big = member.size > ZIP64_ABOVE or member.compressed > ZIP64_ABOVE
        local_extra = (
            struct.pack("<HHQQ", 1, 16, member.size, member.compressed) if big else b""
        )
        version = 45 if big or offset > ZIP64_ABOVE else 20
        header = struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            version,
            0x800,  # names in UTF-8
            8,  # deflate
            clock,
            day,
            member.crc,
            _MASK if big else member.compressed,
            _MASK if big else member.size,
            len(name),
            len(local_extra),
        )
        out.write(header + name + local_extra)
        if member.data is not None:
            out.write(member.data)
        else:
            assert member.path is not None
            with member.path.open("rb") as source:
                shutil.copyfileobj(source, out, 1 << 20)
        far = offset > ZIP64_ABOVE
        wide = [member.size, member.compressed] if big else []
        if far:
            wide.append(offset)
        extra = (
            struct.pack(f"<HH{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
        )
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                version,
                version,
                0x800,
                8,
                clock,
                day,
                member.crc,
                _MASK if big else member.compressed,
                _MASK if big else member.size,
                len(name),
                len(extra),
                0,
                0,
                0,
                0o100644 << 16,  # a plain file, rw-r--r--
                _MASK if far else offset,
            )
            + name
            + extra
        )
        offset += len(header) + len(name) + len(local_extra) + member.compressed
        count += 1
    directory = b"".join(central)
    out.write(directory)
    _end(out, count, len(directory), offset)


def _end(out: IO[bytes], count: int, size: int, start: int) -> None:
    if start > ZIP64_ABOVE or count > 0xFFFF or size > ZIP64_ABOVE:
        zip64_at = start + size
        out.write(
            struct.pack(
                "<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, size, start
            )
        )
        out.write(struct.pack("<IIQI", 0x07064B50, 0, zip64_at, 1))
    out.write(
        struct.pack(
            "<IHHHHIIH",
            0x06054B50,
            0,
            0,
            min(count, 0xFFFF),
            min(count, 0xFFFF),
            min(size, _MASK),
            min(start, _MASK),
            0,
        )
    )
