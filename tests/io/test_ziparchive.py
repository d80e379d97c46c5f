"""Members deflated in pieces: a piece made elsewhere between the member's own bytes
reads back as the bytes written, with the CRC zip readers check."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.io import ziparchive
from screening.io.ziparchive import DeflatedMember, deflate_piece, write_zip

# what a member is given, in order: bytes it deflates itself, or a piece made elsewhere
_STEPS = st.lists(
    st.tuples(st.booleans(), st.lists(st.binary(max_size=3_000), max_size=3)),
    max_size=8,
)


@pytest.fixture(params=["isal", "zlib"])
def deflater(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """ISA-L's deflate and CRC combine, or (without isal) zlib's and the Python one."""
    if request.param == "zlib":
        monkeypatch.setattr(ziparchive, "_fast_zlib", None)
        monkeypatch.setattr(ziparchive, "crc32", zlib.crc32)
        monkeypatch.setattr(ziparchive, "crc32_combine", ziparchive._crc32_combine)
    elif ziparchive._fast_zlib is None:
        pytest.skip("isal is not installed")
    return str(request.param)


# the fixture's setting holds for every example: nothing to reset between them
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=_STEPS, repeat=st.integers(1, 200))
def test_pieces_and_own_bytes_read_back_with_their_crc(
    tmp_path_factory: pytest.TempPathFactory,
    deflater: str,
    steps: list[tuple[bool, list[bytes]]],
    repeat: int,
) -> None:
    folder = tmp_path_factory.mktemp("zip")
    member = DeflatedMember("a.xml", folder / "a.tmp")
    written = b""
    for foreign, parts in steps:
        # repeated: pieces that deflate well, with back-references inside each
        parts = [part * repeat for part in parts]
        if foreign:
            member.write_piece(deflate_piece(parts))
        else:
            for part in parts:
                member.write(part)
        written += b"".join(parts)
    packed = member.finish()
    assert (packed.crc, packed.size) == (zlib.crc32(written), len(written))
    with (folder / "a.zip").open("wb") as out:
        write_zip(out, [packed])
    with zipfile.ZipFile(folder / "a.zip") as archive:  # checks the CRC as it reads
        assert archive.read("a.xml") == written


@settings(max_examples=200, deadline=None)
@given(first=st.binary(max_size=500), second=st.binary(max_size=500))
def test_the_python_crc_combine_is_zlibs(first: bytes, second: bytes) -> None:
    combined = ziparchive._crc32_combine(
        zlib.crc32(first), zlib.crc32(second), len(second)
    )
    assert combined == zlib.crc32(first + second)
    assert ziparchive.crc32_combine(
        zlib.crc32(first), zlib.crc32(second), len(second)
    ) == zlib.crc32(first + second)


def test_the_python_crc_combine_by_doubling_and_past_32_bits() -> None:
    # the CRC of 2^20 zero bytes, doubled up from one: zlib's own value
    zeros, length = zlib.crc32(b"\0"), 1
    while length < 1 << 20:
        zeros = ziparchive._crc32_combine(zeros, zeros, length)
        length *= 2
    assert zeros == zlib.crc32(b"\0" * length)
    fast = getattr(ziparchive._fast_zlib, "crc32_combine", None)
    if fast is not None:  # lengths past what a ZIP's 32-bit field holds (ZIP64)
        for second in (1 << 32, (1 << 33) + 12_345, 3 << 40):
            assert ziparchive._crc32_combine(1234, 5678, second) == fast(
                1234, 5678, second
            )


def test_a_piece_inflates_to_its_bytes(tmp_path: Path) -> None:
    parts = [b"<row>%d</row>" % n * 50 for n in range(100)]
    piece = deflate_piece(parts)
    assert ziparchive.inflate_piece(piece) == b"".join(parts)
    assert piece.data.endswith(b"\x00\x00\xff\xff")  # a sync flush: no final block
