"""A row whose project id finds a lead stored under another name or company updates
the lead (the id is the key) and says so on stderr: the id, the old and the new name or
company, in Chinese and English — from `register import` and `batch --register`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from screening.cli import main
from screening.register import Register
from tests.register.conftest import beihai_rows, write_jsonl
from tests.register.test_store import AS_OF, BEIHAI

OLD_NAME = "年产10万吨碳酸酯类锂电池电解液溶剂项目"
OLD_COMPANY = "广西某化学材料有限公司"


def _import(db_url: str, source: Path) -> str:
    result = CliRunner().invoke(
        main,
        [
            "register",
            "import",
            str(source),
            "--rules",
            BEIHAI,
            "--as-of",
            AS_OF,
            "--db",
            db_url,
            "--jobs",
            "1",
        ],  # fmt: skip
        env={"SCREENING_USER": "测试员"},
    )
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result.stderr


def _renamed_rows() -> list[dict[str, object]]:
    rows = beihai_rows(3)
    assert (rows[1]["name"], rows[1]["company"]) == (OLD_NAME, OLD_COMPANY)
    rows[1]["name"] = "电解液溶剂二期项目"
    rows[2]["company"] = "北海新材料有限公司"
    return rows


def test_import_warns_of_a_lead_whose_name_or_company_a_row_changes(
    db_url: str, tmp_path: Path
) -> None:
    first = _import(db_url, write_jsonl(tmp_path / "a.jsonl", beihai_rows(3)))
    assert "bh-000001" not in first
    source = write_jsonl(tmp_path / "b.jsonl", _renamed_rows())
    err = _import(db_url, source).splitlines()
    name_line = next(line for line in err if "bh-000001" in line)
    assert name_line.startswith(f"{source}:2: ")
    assert f"项目名称 {OLD_NAME} → 电解液溶剂二期项目" in name_line
    assert f"name {OLD_NAME} → 电解液溶剂二期项目" in name_line
    assert "企业名称" not in name_line  # its company is unchanged
    assert f"company {OLD_COMPANY}" not in name_line
    company_line = next(line for line in err if "bh-000002" in line)
    its_company = beihai_rows(3)[2]["company"]
    assert f"企业名称 {its_company} → 北海新材料有限公司" in company_line
    assert f"company {its_company} → 北海新材料有限公司" in company_line
    assert "项目名称" not in company_line
    assert not any("bh-000000" in line for line in err)
    # the update itself went ahead: the id is the key
    with Register.open(db_url) as register:
        assert register.lead("bh-000001")["name"] == "电解液溶剂二期项目"
        assert register.lead("bh-000002")["company"] == "北海新材料有限公司"


def test_a_name_written_another_way_is_no_change(db_url: str, tmp_path: Path) -> None:
    _import(db_url, write_jsonl(tmp_path / "a.jsonl", beihai_rows(3)))
    rows = beihai_rows(3)
    rows[1]["name"] = f" {OLD_NAME} "  # spaces around it: the same name
    rows[1]["investment"]["fixed_assets"] = "12345"  # type: ignore[index]
    err = _import(db_url, write_jsonl(tmp_path / "b.jsonl", rows))
    assert "bh-000001" not in err


def test_batch_register_warns_too(db_url: str, tmp_path: Path) -> None:
    _import(db_url, write_jsonl(tmp_path / "a.jsonl", beihai_rows(3)))
    source = write_jsonl(tmp_path / "b.jsonl", _renamed_rows())
    result = CliRunner().invoke(
        main,
        [
            "batch",
            str(source),
            "--rules",
            BEIHAI,
            "--as-of",
            AS_OF,
            "-o",
            str(tmp_path / "out.jsonl"),
            "--jobs",
            "1",
            "--register",
            db_url,
        ],  # fmt: skip
        env={"SCREENING_USER": "测试员"},
    )
    assert result.exit_code in (0, 1), (result.stderr, result.exception)
    line = next(line for line in result.stderr.splitlines() if "bh-000001" in line)
    assert OLD_NAME in line and "电解液溶剂二期项目" in line and " / " in line


def test_add_warns_too(db_url: str, tmp_path: Path) -> None:
    case = Path("cases/beihai/bh01-iron-phosphate-pass.yaml").read_text("utf-8")
    renamed = tmp_path / "bh01-renamed.yaml"
    renamed.write_text(case.replace("年产5万吨电池级磷酸铁项目", "磷酸铁二期项目"))
    for path, warned in (("cases/beihai/bh01-iron-phosphate-pass.yaml", False),
                         (str(renamed), True)):  # fmt: skip
        result = CliRunner().invoke(
            main,
            ["register", "add", path, "--db", db_url, "--as-of", AS_OF],
            env={"SCREENING_USER": "测试员"},
        )
        assert result.exit_code == 0, (result.stderr, result.exception)
        assert (
            "项目名称 年产5万吨电池级磷酸铁项目 → 磷酸铁二期项目" in result.stderr
        ) is warned
