"""On the lead page, a promise whose production date comes before its start date is
refused beside the production date field, in the page's language."""

from __future__ import annotations

import re

from tests.web.conftest import Web
from tests.web.test_lead_pages import _english, _lead, _post


def test_production_before_start_is_refused_beside_its_field(sqlite_web: Web) -> None:
    client = _lead(sqlite_web)
    typed = {"start_by": "2026-01-01", "production_by": "2025-01-01"}
    refused = _post(client, "promise", typed)
    assert refused.status_code == 422
    assert re.search(
        r'id="ep-production_by" role="alert">承诺投产日期 2025-01-01 早于承诺开工日期 '
        r"2026-01-01",
        refused.text,
    )
    assert sqlite_web.app.state.register.lead("bh-007")["promises"] == []
    _english(client)
    english = _post(client, "promise", typed).text
    assert re.search(
        r'id="ep-production_by" role="alert">the promised production date 2025-01-01 '
        r"is before the promised start 2026-01-01",
        english,
    )
