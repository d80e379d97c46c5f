"""A folder imported into the register records, for each screening, the file it came
from (`beihai/bh04-plot-ratio-above.yaml`), in `show`, the lead's JSON and the export's
筛查 sheet — it recorded every file as row 1 of the folder (`来源: beihai 第1行`). A file
the reader refuses does not shift the files of those after it. `batch --register` of a
folder records the files too (it recorded the folder only)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.register.test_store import AS_OF, BEIHAI, cli

FILES = (
    "bh01-iron-phosphate-pass.yaml",
    "bh02-electronic-chemicals-lower-bounds.yaml",
    "bh04-plot-ratio-above.yaml",
)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "beihai"
    folder.mkdir()
    for name in FILES:
        shutil.copy(Path("cases/beihai") / name, folder / name)
    (folder / "bh03-broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_each_screening_names_the_file_of_the_folder(
    db_url: str, tmp_path: Path, jobs: str
) -> None:
    folder = _folder(tmp_path)
    cli(
        "register", "import", str(folder), "--rules", BEIHAI, "--as-of", AS_OF,
        "--db", db_url, "--jobs", jobs,
    )  # fmt: skip
    for key, name in (("bh-001", FILES[0]), ("bh-002", FILES[1]), ("bh-004", FILES[2])):
        shown = cli("register", "show", key, "--db", db_url)
        assert f"来源: {folder / name}\n" in shown  # no 第1行 of the folder
        data = json.loads(
            cli("register", "show", key, "--format", "json", "--db", db_url)
        )
        source = data["screenings"][0]["source"]
        assert (source["input"], source["file"]) == (str(folder), str(folder / name))


def test_the_export_names_the_file(db_url: str, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    cli(
        "register", "import", str(folder), "--rules", BEIHAI, "--as-of", AS_OF,
        "--db", db_url, "--jobs", "1",
    )  # fmt: skip
    out = tmp_path / "export.xlsx"
    cli("register", "export", "-o", str(out), "--db", db_url)
    header, *rows = list(
        load_workbook(out, read_only=True)["筛查"].iter_rows(values_only=True)
    )
    sources = {row[1]: row[header.index("来源")] for row in rows}
    assert sources == {
        "bh-001": str(folder / FILES[0]),
        "bh-002": str(folder / FILES[1]),
        "bh-004": str(folder / FILES[2]),
    }


def test_a_table_keeps_its_rows(db_url: str, tmp_path: Path) -> None:
    from tests.register.conftest import beihai_rows, write_jsonl

    source = write_jsonl(tmp_path / "in.jsonl", beihai_rows(2))
    cli(
        "register", "import", str(source), "--rules", BEIHAI, "--as-of", AS_OF,
        "--db", db_url, "--jobs", "1",
    )  # fmt: skip
    assert f"来源: {source} 第2行" in cli(
        "register", "show", "bh-000001", "--db", db_url
    )


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_batch_register_names_the_file_of_the_folder(
    db_url: str, tmp_path: Path, jobs: str
) -> None:
    folder = _folder(tmp_path)
    cli(
        "batch", str(folder), "--rules", BEIHAI, "--as-of", AS_OF,
        "-o", str(tmp_path / "out.jsonl"), "--register", db_url, "--jobs", jobs,
    )  # fmt: skip
    for key, name in (("bh-001", FILES[0]), ("bh-002", FILES[1]), ("bh-004", FILES[2])):
        assert f"来源: {folder / name}\n" in cli(
            "register", "show", key, "--db", db_url
        )
