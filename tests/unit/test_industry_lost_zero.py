"""An industry code a spreadsheet kept as a number, its leading zero gone (0610 → 610),
is refused with the code it was most likely typed as."""

from __future__ import annotations

import pytest

from screening.model.project import normalise_industry


@pytest.mark.parametrize(
    ("kept", "typed"), [(610, "0610（B0610）"), ("6", "06（B06）")]
)
def test_a_lost_leading_zero_is_named(kept: object, typed: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalise_industry(kept)
    assert f"如原为 {typed}" in str(caught.value)
    assert "dropped its leading zero" in str(caught.value)


@pytest.mark.parametrize("code", ["H610", "x1", "9999"])
def test_no_hint_where_no_zero_was_lost(code: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalise_industry(code)
    assert "如原为" not in str(caught.value)


def test_a_listed_code_reads_as_before() -> None:
    assert normalise_industry(2614) == "C2614"
    assert normalise_industry("0610") == "B0610"
