"""run_batch in the caller's process (--jobs 1) leaves the interpreter as it found it."""

from __future__ import annotations

import gc
from pathlib import Path

from screening.batch import run_batch
from screening.io.readers import read_rows
from tests.conftest import ROOT


def test_an_in_process_batch_leaves_the_garbage_collector_alone() -> None:
    before = (gc.get_threshold(), gc.get_freeze_count())
    screened: list[object] = []
    with read_rows(str(ROOT / "cases/starter")) as rows:
        counts = run_batch(rows, "starter", None, 1, screened.append, screened.append)
    assert counts.screened == len(screened) == 9
    assert (
        gc.get_threshold(),
        gc.get_freeze_count(),
    ) == before  # workers tune theirs; a caller's is its own


def test_figures_too_large_for_decimal_arithmetic_are_bad_rows_not_a_crash(
    tmp_path,
) -> None:
    source = tmp_path / "rows.jsonl"
    source.write_text(
        '{"id": "a", "investment": {"total": "1e999999亿元"}}\n'
        '{"id": "b", "investment": {"total": "100"}}\n'
        '{"id": "c", "extra": {"two_high_conditions_met": true, "building_density": "1e1000002"}}\n',
        encoding="utf-8",
    )
    screened: list[object] = []
    invalid: list[object] = []
    with read_rows(str(source), deferred=True) as rows:
        counts = run_batch(
            rows,
            "parks/beihai-tieshangang-2023",
            None,
            1,
            screened.append,
            invalid.append,
        )
    assert (counts.rows, counts.screened, counts.invalid) == (3, 1, 2)
    assert [(i.number, i.field) for i in invalid] == [
        (1, "investment.total"),
        (3, "extra.building_density"),
    ]
    assert ["过大" in i.reason or "超出合理范围" in i.reason for i in invalid] == [
        True,
        True,
    ]


def test_a_folder_reports_a_refused_file_at_its_line_and_what_it_did_not_read(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "projs"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "deep.yaml").write_text("id: deep\n", encoding="utf-8")
    (folder / "a.yaml").write_text("id: a\nname: 甲\n", encoding="utf-8")
    (folder / "j.json").write_text('{"id": "j", "land": {"area_mu": -5}}')
    (folder / "k.yaml").write_text("id: k\nland:\n  area_mu: -3\n", encoding="utf-8")
    (folder / "l.yaml").write_text("id: l\nname: [\n", encoding="utf-8")
    (folder / "leads.csv").write_text("项目名称\n甲\n", encoding="utf-8")
    (folder / ".a.yaml.swp").write_text("x", encoding="utf-8")
    with read_rows(folder) as stream:
        rows = [(Path(r.source).name, r.number, r.error) for r in stream]
        warnings = [str(w) for w in stream.warnings]
    assert [(name, number) for name, number, _ in rows] == [
        ("a.yaml", 1),
        ("j.json", 1),  # the line of a one-line file, not its place in the folder (2)
        ("k.yaml", 3),  # the line of the value refused
        ("l.yaml", 3),  # the line of the syntax error
    ]
    assert rows[0][2] is None
    assert rows[1][2] is not None and rows[1][2].column == "land.area_mu"
    assert rows[2][2] is not None and rows[2][2].column == "land.area_mu"
    assert warnings == [
        f"{folder}: [INP] 文件夹中 2 项未读取：1 个子文件夹（不逐层读取）、"
        "1 个表格（CSV/XLSX/JSONL 请单独给出）；只读 .yaml .yml .json 项目文件 / "
        "2 entries of the folder not read (1 subfolder(s), not read recursively; "
        "1 table(s): give a CSV, XLSX or JSONL as the input itself); "
        "only .yaml, .yml and .json project files are"
    ]
