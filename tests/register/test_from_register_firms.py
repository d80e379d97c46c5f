"""Acceptance tests for review finding 5 (`evaluate --from-register`), NOT YET FIXED.

Both are strict xfails on AssertionError: they fail today for the reason described, and
turn into a failure (XPASS) once the behaviour is right, so the marker is removed then.

1. A company with two leads (一期, 二期): the evaluated firm is checked against the
   second lead's promise only; the first is listed as a promise of a firm not in the
   evaluation and the 反制清单 names the firm twice. Fixing it needs the evaluation
   (`evaluation/run.py` matches one record per firm, `FirmResult.promise` holds one
   check), not the register source.
2. A 统一社会信用代码 column in `register import` is an unknown header (the Project model
   has no such field), so `companies.credit_code` stays empty and a firm named
   differently by the tax office (股份有限公司 / 有限公司) is never matched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.register.test_store import cli

CODE = "91331003000000001Y"
FIRMS = (
    "企业名称,统一社会信用代码,企业规模,用地面积(亩),税收实际贡献(万元),营业收入(万元),"
    "工业增加值(万元),综合能耗(吨标煤),主要污染物排放当量(吨),研发经费(万元),"
    "年平均职工人数,投产日期\n"
    f"台州甲机械有限公司,{CODE},规上,70,300,20000,2723.2,1010.8,0.552394,604,"
    "150.12,2015-03-01\n"
)


def _evaluate(tmp_path: Path, db: tuple[str, str]) -> dict:
    firms = tmp_path / "firms.csv"
    firms.write_text(FIRMS, encoding="utf-8")
    out = tmp_path / "out.json"
    cli("evaluate", str(firms), "--scheme", "huangyan", "--year", "2025",
        "--from-register", *db, "-o", str(out))  # fmt: skip
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="finding 5.1: one promise check per firm (evaluation/run.py, outputs.py)",
)
def test_a_firm_with_two_leads_is_checked_against_both(
    db_url: str, tmp_path: Path
) -> None:
    db = ("--db", db_url)
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "项目编号,项目名称,企业名称,园区,行业代码,总投资(万元),固定资产投资(万元),用地面积(亩)\n"
        "TSG-L1,一期项目,台州甲机械有限公司,铁山港工业区,C2613,20000,15000,50\n"
        "TSG-L8,二期扩产项目,台州甲机械有限公司,铁山港工业区,C2613,6000,5000,20\n",
        encoding="utf-8",
    )
    cli("register", "import", str(leads), "--rules", "national", *db)
    cli("register", "promise", "TSG-L1", "--fixed-assets", "1.5亿", "--land", "50亩",
        "--tax", "2000万", *db)  # fmt: skip
    cli("register", "actual", "TSG-L1", "--date", "2025-10-01",
        "--fixed-assets", "1亿", *db)  # fmt: skip
    cli("register", "promise", "TSG-L8", "--fixed-assets", "5000万", "--land", "20",
        "--start-by", "2025-04-30", *db)  # fmt: skip
    data = _evaluate(tmp_path, db)
    # neither project is a promise of a firm outside the evaluation
    assert data["unmatched_promises"] == []
    # the firm is named once on the 反制清单, short of both projects' promises
    (action,) = data["actions"]
    assert action["id"] == CODE
    assert {"investment_intensity", "start"} <= set(action["reasons"])


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="finding 5.2: no project field carries 统一社会信用代码 (model, io/columns)",
)
def test_a_lead_is_matched_by_its_companys_credit_code(
    db_url: str, tmp_path: Path
) -> None:
    db = ("--db", db_url)
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "项目编号,项目名称,企业名称,统一社会信用代码,园区,行业代码,总投资(万元),"
        "固定资产投资(万元),用地面积(亩)\n"
        f"TSG-L1,一期项目,台州甲机械股份有限公司,{CODE},铁山港工业区,C2613,"
        "20000,15000,50\n",
        encoding="utf-8",
    )
    cli("register", "import", str(leads), "--rules", "national", *db)
    cli("register", "promise", "TSG-L1", "--fixed-assets", "1.5亿", "--land", "50亩",
        "--tax", "2000万", *db)  # fmt: skip
    cli("register", "actual", "TSG-L1", "--date", "2025-10-01",
        "--fixed-assets", "1亿", *db)  # fmt: skip
    data = _evaluate(tmp_path, db)
    assert data["unmatched_promises"] == []
    (firm,) = data["firms"]
    assert firm["promise"] is not None
    assert "investment_intensity" in [i["promise"] for i in firm["promise"]["items"]]
