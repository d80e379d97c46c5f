"""Build XLSX files part by part, for workbooks no spreadsheet program would write."""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterable
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
    f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<workbook xmlns="{MAIN}" xmlns:r="{_DOC}"><sheets>'
    '<sheet name="项目" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/>'
    f'<Relationship Id="rId3" Type="{_DOC}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# style 0: general; style 1: 0% (a built-in percent format)
STYLES = (
    f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/>'
    '<name val="Calibri"/></font></fonts><fills count="1"><fill>'
    '<patternFill patternType="none"/></fill></fills><borders count="1"><border>'
    "<left/><right/><top/><bottom/><diagonal/></border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" '
    'borderId="0" xfId="0"/><xf numFmtId="9" fontId="0" fillId="0" borderId="0" '
    'xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1">'
    '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def sheet_xml(rows: str) -> str:
    """A worksheet part around `rows` (the <row> elements, written by the caller)."""
    return f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'


def strings_xml(strings: Iterable[str]) -> str:
    """A shared-strings part."""
    items = "".join(f"<si><t>{text}</t></si>" for text in strings)
    return f'<sst xmlns="{MAIN}">{items}</sst>'


Part = str | bytes | Iterable[bytes]


def write(path: Path, sheet: Part, strings: Part = "", level: int = 6) -> Path:
    """A one-sheet workbook; a part may be chunks, so a large one is never held."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/styles.xml", STYLES)
        _part(z, "xl/sharedStrings.xml", strings or strings_xml([]))
        _part(z, "xl/worksheets/sheet1.xml", sheet)
    return path


def _part(z: zipfile.ZipFile, name: str, content: Part) -> None:
    if isinstance(content, (str, bytes)):
        z.writestr(name, content)
        return
    with z.open(name, "w", force_zip64=True) as part:
        for chunk in content:
            part.write(chunk)


def declare_size(path: Path, part: str, size: int) -> None:
    """Rewrite the uncompressed size the archive declares for `part` (both headers)."""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(part)
    data = bytearray(path.read_bytes())
    # central directory entry: uncompressed size at offset 24
    name = part.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_length] == name:
            break
        at = data.find(b"PK\x01\x02", at + 4)
    assert at >= 0
    if struct.unpack_from("<I", data, at + 24)[0] == 0xFFFFFFFF:
        raise ValueError("zip64 entries are not rewritten here")
    struct.pack_into("<I", data, at + 24, size)
    local = info.header_offset
    if not info.flag_bits & 0x8:  # sizes in the local header, not a data descriptor
        struct.pack_into("<I", data, local + 22, size)
    path.write_bytes(bytes(data))
