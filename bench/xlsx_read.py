"""XLSX reading speed and memory: the reader now used against openpyxl, in one run.

    python bench/xlsx_read.py [N]           # rows/s reading N generated rows (100,000)
    python bench/xlsx_read.py --against DIR [N]  # and `rows` by another checkout's code
    python bench/xlsx_read.py --memory [N]  # peak RSS reading N rows (1,000,000)

The workbook is generated once into bench/out/ (shared strings as Excel writes them,
20 columns: the fields of the Beihai cases under their usual Chinese headers). Each
reader runs in a child process of its own, twice (the better run counts):

* cells: `screening.io.tables.open_table`, rows of cells, against the openpyxl
  read-only loop the project used before (`ws.iter_rows()`, each cell's value and
  number format);
* rows: `read_rows`, the project mappings a batch screens, with the reader chosen by
  size (calamine here) against the same with openpyxl forced
  (`workbook.CALAMINE_CELLS = 0`).

Rows per wall second and per CPU second are printed: on a shared machine the CPU
figure moves least with the load (the reading is one process, one core). With
--against, `rows` is also measured with the `screening` package of another checkout
(e.g. `git archive main screening | tar -x -C /tmp/main`), alternating with this one,
and the ratio is printed; the target of issue 10 (20,000 rows/s) is checked against
the CPU figure.

With --memory, the sheet is read with the reader chosen by size (openpyxl for a
million rows: calamine would hold the whole sheet) and with calamine forced, and each
child's peak RSS is printed.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
HEADER = [
    "项目编号", "项目名称", "企业名称", "行业代码", "总投资(万元)",
    "固定资产投资(万元)", "用地面积(亩)", "容积率", "建筑系数",
    "行政办公及生活服务设施用地比例", "绿地率",
    "年营业收入(万元)", "年税收(万元)", "从业人数", "研发投入占比",
    "年综合能耗(吨标煤)", "是否位于生态保护红线", "产业目录类别", "环评类别", "园区",
]  # fmt: skip
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CONTENT_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{_TYPE}.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    f'ContentType="{_TYPE}.sharedStrings+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/></Types>'
)
# style 1 is 0%: the shares are formatted as percentages, as bureaus' sheets often are
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
PERCENT = {"绿地率", "研发投入占比"}


def _row(rng: random.Random, i: int) -> list[object]:
    return [
        f"BH-{i:07d}", f"第{i}号智能制造项目", f"北海铁山港新材料有限公司{i % 5000}",
        rng.choice(["C3841", "C2614", "C3130", "C3985"]), 52000 + rng.randint(0, 999),
        round(41000.5 + rng.random() * 100, 2), 120 + i % 90, 1.2, 0.45, 0.07, 0.12,
        80000.25, 3200, 150 + i % 50, 0.031, 1234.5, "否", "鼓励类", "报告表", "铁山港",
    ]  # fmt: skip


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def generate(path: Path, n: int) -> None:
    """Write a one-sheet workbook of n data rows below the header."""
    strings: dict[str, int] = {}
    letters = [_column(i) for i in range(len(HEADER))]
    rng = random.Random(7)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("xl/styles.xml", STYLES)
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets><sheet name="项目" '
            'sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{DOC}/sharedStrings" '
            'Target="sharedStrings.xml"/><Relationship Id="rId3" '
            f'Type="{DOC}/styles" Target="styles.xml"/></Relationships>',
        )
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
            batch: list[str] = []
            for number in range(1, n + 2):
                values = HEADER if number == 1 else _row(rng, number - 1)
                cells = []
                for letter, name, value in zip(letters, HEADER, values, strict=True):
                    ref = f"{letter}{number}"
                    if isinstance(value, str):
                        index = strings.setdefault(value, len(strings))
                        cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
                    else:
                        style = ' s="1"' if name in PERCENT else ""
                        cells.append(f'<c r="{ref}"{style}><v>{value!r}</v></c>')
                batch.append(f'<row r="{number}">{"".join(cells)}</row>')
                if len(batch) == 10_000:
                    sheet.write("".join(batch).encode())
                    batch.clear()
            sheet.write(("".join(batch) + "</sheetData></worksheet>").encode())
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<sst xmlns="{MAIN}">'.encode())
            for text in strings:
                part.write(f"<si><t>{escape(text)}</t></si>".encode())
            part.write(b"</sst>")


_CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[3])
from screening.io import workbook
from screening.io.readers import read_rows
from screening.io.tables import open_table
from screening.io.columns import header_matcher
kind, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu_start = usage.ru_utime + usage.ru_stime
if kind == "cells-old":
    import openpyxl
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = book.worksheets[0]
    ws.reset_dimensions()
    n = 0
    for row in ws.iter_rows():
        [(c.value, getattr(c, "number_format", None)) for c in row]
        n += 1
    n -= 1  # the header
elif kind.startswith("cells"):
    if kind == "cells-calamine":
        workbook.CALAMINE_CELLS = 10**12
        workbook.CALAMINE_BYTES = 10**12
    with open_table(path, header_matcher()) as table:
        n = sum(1 for _ in table)
else:
    if kind == "rows-openpyxl":
        workbook.CALAMINE_CELLS = 0
    with read_rows(path) as rows:
        n = sum(1 for row in rows if row.data is not None)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu = usage.ru_utime + usage.ru_stime - cpu_start
rss = usage.ru_maxrss * 1024
print(json.dumps({"rows": n, "seconds": seconds, "cpu": cpu, "rss": rss}))
"""


TARGET = 20_000  # rows/s (issue 10)


def measure(kind: str, path: Path, root: Path = ROOT) -> dict[str, float]:
    """One reading in a child process: rows read, seconds, peak RSS in bytes."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, kind.split("@")[0], str(path), str(root)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout))


def _workbook(n: int) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"read-{n}.xlsx"
    if not path.exists():
        started = time.perf_counter()
        generate(path, n)
        print(f"generated {path.name}: {path.stat().st_size / 1e6:.1f} MB in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    return path


def speed(n: int, against: Path | None = None) -> None:
    """Rows per second of each reader on the same workbook, and the ratios."""
    path = _workbook(n)
    print(f"{n:,} rows × {len(HEADER)} columns; {os.cpu_count()} cores, best of 2")
    print(f"load average {os.getloadavg()[0]:.1f} at the start")
    rates: dict[str, float] = {}
    cpu_rates: dict[str, float] = {}
    kinds = ["cells-old", "cells", "rows-openpyxl", "rows"]
    if against is not None:
        kinds.append("rows@against")
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for _ in range(2):  # alternating, so that both see the same load
        for kind in kinds:
            root = against if kind.endswith("@against") and against else ROOT
            runs[kind].append(measure(kind, path, root))
    for kind in kinds:
        best = min(runs[kind], key=lambda run: run["seconds"])
        assert best["rows"] == n, best
        rates[kind] = n / best["seconds"]
        cpu_rates[kind] = n / min(run["cpu"] for run in runs[kind])
        print(
            f"  {kind:14} {rates[kind]:>9,.0f} rows/s ({best['seconds']:.2f} s wall)"
            f"  {cpu_rates[kind]:>9,.0f} rows per CPU second"
        )
    pairs = [("cells", "cells", "cells-old"), ("rows", "rows", "rows-openpyxl")]
    if against is not None:
        pairs.append((f"rows against {against}", "rows", "rows@against"))
    for label, new, old in pairs:
        print(
            f"{label}: {rates[new] / rates[old]:.2f}× by wall time, "
            f"{cpu_rates[new] / cpu_rates[old]:.2f}× by CPU time"
        )
    met = "met" if cpu_rates["rows"] >= TARGET else "not met"
    print(
        f"target {TARGET:,} rows/s (file → rows a batch screens): {met} "
        f"({cpu_rates['rows']:,.0f} rows per CPU second)"
    )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


def memory(n: int) -> None:
    """Peak RSS reading n rows: the reader chosen by size, and calamine forced."""
    path = _workbook(n)
    for kind in ("cells", "cells-calamine"):
        run = measure(kind, path)
        print(f"  {kind:14} peak RSS {run['rss'] / 2**20:,.0f} MiB, "
              f"{n / run['seconds']:,.0f} rows/s")  # fmt: skip


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
    elif args and args[0] == "--memory":
        memory(int(args[1]) if len(args) > 1 else 1_000_000)
    elif args and args[0] == "--against":
        speed(int(args[2]) if len(args) > 2 else 100_000, Path(args[1]))
    else:
        speed(int(args[0]) if args else 100_000)
