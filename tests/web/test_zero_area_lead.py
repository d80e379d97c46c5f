"""The 录入项目 form with 用地面积 0: the lead is 复核 with 用地面积 to obtain, and the
per-mu gates say they cannot be computed (it was 通过 on gate-only Beihai)."""

from __future__ import annotations

from tests.web.conftest import Web
from tests.web.test_lead_pages import text_of
from tests.web.test_pages import FORM, screen_form


def test_a_lead_entered_with_a_zero_land_area_goes_to_review(web: Web) -> None:
    response = screen_form(web, {**FORM, "land.area_mu": "0"})
    assert response.status_code == 303, response.text[:2000]
    (stored,) = web.app.state.register.lead("bh-007")["screenings"]
    assert stored["decision"] == "review"
    shown = text_of(web.client("officer").get("/leads/bh-007").text)
    assert "用地面积为 0，无法计算投资强度" in shown
    assert "须补充的数据 用地面积 缺少数据的规则：投资强度；产出强度；地均税收" in shown
