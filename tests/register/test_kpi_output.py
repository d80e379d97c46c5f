"""`register kpi -o FILE` writes FILE in the format its extension names, as `screening
batch` does (.xlsx a workbook, .json the JSON), atomically, and never ignores it: an
extension it cannot write, or one that contradicts --format, is refused (exit 2, one
line) with nothing written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from screening.cli import main
from tests.register.test_store import stored


def _kpi(db_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["register", "kpi", "--year", "2025", "--db", db_url, *args]
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def register_url(db_url: str, tmp_path: Path) -> str:
    folder = tmp_path / "in"  # the leads' input, apart from the outputs
    folder.mkdir()
    stored(db_url, folder, 3)
    return db_url


def test_an_xlsx_file_is_a_workbook_without_format(
    register_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "kpi.xlsx"
    out.parent.mkdir()
    code, stdout, stderr = _kpi(register_url, "-o", str(out))
    assert (code, stdout) == (0, "")
    assert f"{out}: 已写出" in stderr
    rows = list(load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    assert rows[1][0] == "园区"
    assert [p.name for p in out.parent.iterdir()] == ["kpi.xlsx"]  # no temp file


def test_an_xlsx_file_in_english_has_english_headers(
    register_url: str, tmp_path: Path
) -> None:
    """--lang en: the title and every header are English (they stayed Chinese), as the
    text report words them; Chinese is unchanged."""
    books = {}
    for lang in ("zh", "en"):
        out = tmp_path / f"kpi-{lang}.xlsx"
        assert _kpi(register_url, "-o", str(out), "--lang", lang)[0] == 0
        books[lang] = list(
            load_workbook(out, read_only=True).active.iter_rows(values_only=True)
        )
    title, header = books["en"][0][0], books["en"][1]
    chinese = [
        h
        for h in (title, *header)
        if re.search(r"[\u3000-\u9fff\uff00-\uffef]", str(h))
    ]
    assert chinese == []
    assert header[:3] == ("park", "stage: negotiating", "stage: signed")
    assert "signed → started %" in header and "committee agreed" in header
    assert books["zh"][1][:3] == ("园区", "阶段:洽谈", "阶段:签约")
    assert "履约率%" in books["zh"][1] and "委员会同意" in books["zh"][1]


@pytest.mark.parametrize("given", [(), ("--format", "json")])
def test_a_json_file_holds_the_json(
    register_url: str, tmp_path: Path, given: tuple[str, ...]
) -> None:
    out = tmp_path / "kpi.json"
    code, stdout, _ = _kpi(register_url, *given, "-o", str(out))
    assert (code, stdout) == (0, "")
    _, printed, _ = _kpi(register_url, "--format", "json")
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(printed)


@pytest.mark.parametrize(
    "name, given, words",
    [
        ("kpi.txt", (), "不支持的输出格式"),
        ("kpi.csv", (), ".xlsx .json"),
        ("kpi.xlsx", ("--format", "json"), "--format json"),
        ("kpi.json", ("--format", "text"), "--format text"),
    ],
)
def test_an_output_it_cannot_write_is_refused(
    register_url: str, tmp_path: Path, name: str, given: tuple[str, ...], words: str
) -> None:
    out = tmp_path / name
    code, stdout, stderr = _kpi(register_url, *given, "-o", str(out))
    assert (code, stdout) == (2, "")
    assert words in stderr and len(stderr.strip().splitlines()) == 1
    assert not out.exists()
