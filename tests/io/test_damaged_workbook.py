"""A workbook whose sheet is damaged inside its zip is refused by name, whichever
inflater reads it (ISA-L's raises errors of its own, not zlib's)."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest

from screening.errors import ScreeningError
from screening.io.readers import read_rows

SHEET = "xl/worksheets/sheet1.xml"


def _workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["项目编号", "项目名称", "总投资(万元)"])
    for i in range(300):  # enough XML for a deflate stream with room to damage
        sheet.append([f"p-{i}", f"项目{i}", 1000 + i])
    book.save(path)
    return path


def _member(data: bytes, name: str) -> zipfile.ZipInfo:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.getinfo(name)


def _read(path: Path) -> list[object]:
    with read_rows(str(path)) as rows:
        return list(rows)


def test_the_workbook_reads_before_it_is_damaged(tmp_path: Path) -> None:
    rows = _read(_workbook(tmp_path / "ok.xlsx"))
    assert len(rows) == 300


def test_a_damaged_deflate_stream_is_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "bad.xlsx")
    data = bytearray(path.read_bytes())
    info = _member(bytes(data), SHEET)
    name_length, extra_length = struct.unpack(
        "<HH", data[info.header_offset + 26 : info.header_offset + 30]
    )
    start = info.header_offset + 30 + name_length + extra_length
    # the stream's first block header and what follows: no longer valid deflate
    data[start : start + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    with pytest.raises(ScreeningError) as caught:
        _read(path)
    assert "bad.xlsx" in str(caught.value)
    assert "损坏" in str(caught.value)


def test_a_sheet_whose_crc_does_not_match_is_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "crc.xlsx")
    data = bytearray(path.read_bytes())
    info = _member(bytes(data), SHEET)
    wrong = struct.pack("<I", info.CRC ^ 1)
    # the CRC in the sheet's central directory entry (offset 16) and local header (14)
    entry = data.find(b"PK\x01\x02")
    while entry >= 0:
        (length,) = struct.unpack("<H", data[entry + 28 : entry + 30])
        if data[entry + 46 : entry + 46 + length] == SHEET.encode():
            data[entry + 16 : entry + 20] = wrong
        entry = data.find(b"PK\x01\x02", entry + 4)
    data[info.header_offset + 14 : info.header_offset + 18] = wrong
    path.write_bytes(bytes(data))
    with pytest.raises(ScreeningError) as caught:
        _read(path)
    assert "crc.xlsx" in str(caught.value)
    assert "损坏" in str(caught.value)
