"""A screening stored on a lead named for it (`Pending.lead`: an edit on the web page)
gives a lead without an id the company and name it now has, on each backend: the
lead is found by its new names from then on, not split into two."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from screening.cases import load_case
from screening.register.store import Register
from screening.web.service import ScreeningService
from screening.web.writer import StoreWriter

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases/beihai/bh01-iron-phosphate-pass.yaml"


def test_a_lead_without_an_id_takes_the_names_of_its_edit(
    db_url: str, tmp_path: Path
) -> None:
    service = ScreeningService(tmp_path / "rules")
    project = load_case(CASE).project.model_dump(mode="json", exclude_none=True)
    del project["id"]

    def screened(**changes: str) -> object:
        return service.screen(
            {**project, **changes},
            "parks/beihai-tieshangang-2023",
            dt.date(2025, 6, 30),
        )

    with Register.open(db_url) as register:
        writer = StoreWriter(register)
        try:
            key = writer.store(screened(), "zhang", "zh")
            renamed = writer.store(
                screened(company="改正后的公司"), "zhang", "zh", lead=key
            )
            assert renamed == key
            # a later entry under the new names is the same lead (screened alike: no
            # new screening)
            assert writer.store(screened(company="改正后的公司"), "li", "zh") == key
        finally:
            writer.close()
        lead = register.lead(key)
        assert lead["company"] == "改正后的公司" and len(lead["screenings"]) == 2
        assert register.leads()[0] == 1
