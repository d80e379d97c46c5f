"""What a screening is stored as: values round-trip exactly, findings are compact and
agree with the contract, keys identify a screening."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from screening.loader import load_ruleset
from screening.register.records import (
    FindingCodec,
    decode_values,
    finding_entry,
    fold,
    identity_of,
    record_of,
    screening_key,
    values_json,
)
from screening.register.schema import to_scaled
from screening.report.contract import contract_bytes
from screening.screener import Screener
from tests.register.conftest import beihai_rows

values = st.dictionaries(
    st.text(min_size=1, max_size=12),
    st.one_of(
        st.booleans(),
        st.integers(-(10**12), 10**12),
        st.text(max_size=20),
        st.none(),
        st.decimals(allow_nan=False, allow_infinity=False, places=None),
    ),
    max_size=12,
)


@given(values)
def test_values_round_trip_with_their_types_and_digits(flat: dict[str, object]) -> None:
    back = decode_values(values_json(flat))
    assert list(back) == list(flat)
    for key, value in flat.items():
        assert type(back[key]) is type(value) and back[key] == value
        if isinstance(value, Decimal):
            assert (
                back[key].as_tuple() == value.as_tuple()
            )  # the same digits and exponent


def test_equal_decimals_keep_their_own_digits() -> None:
    assert values_json({"a": Decimal("0.5")}) != values_json({"a": Decimal("0.50")})
    assert (
        decode_values(values_json({"a": Decimal("0.50")}))["a"].as_tuple()
        == Decimal("0.50").as_tuple()
    )


def test_compact_findings_agree_with_the_contract() -> None:
    ruleset = load_ruleset("parks/beihai-tieshangang-2023", as_of=dt.date(2025, 6, 30))
    screener = Screener(ruleset)
    from screening.inputs import convert_inputs
    from screening.model.project import Project, flatten

    codec = FindingCodec()
    for row in beihai_rows(60):
        flat = convert_inputs(flatten(Project.model_validate(row)), ruleset.inputs)
        decision = screener.screen_values(flat)
        line = contract_bytes(decision, ruleset, "zh")
        contract = json.loads(line)
        record = record_of(flat, decision, line, codec)
        stored = json.loads(record.findings)
        assert len(stored) == len(contract["findings"])
        for entry, finding in zip(stored, contract["findings"], strict=True):
            entry = entry + [None] * (3 - len(entry))
            assert entry[0] == finding["status"][0] and entry[1:] == [
                finding["actual"],
                finding["points"],
            ]
        assert (
            json.loads(record.vetoed) == contract["vetoed_by"]
            and json.loads(record.missing) == contract["missing"]
        )
        assert (
            len(record.findings) < len(line) / 20
        )  # compact: messages are regenerated from the snapshot
        assert finding_entry(decision.findings[0]) in record.findings


def test_identity_folds_how_a_name_is_typed() -> None:
    assert fold("广西某 新能源　材料有限公司") == fold("广西某新能源材料有限公司")
    assert fold("ＡＢＣ公司") == fold("abc公司")
    assert (
        identity_of("某公司", "项目") == identity_of("某公司 ", "项目")
        and identity_of(None, "x") is None
    )
    key = screening_key("L1", "a" * 64, b"x")
    assert len(key) == 16 and key != screening_key(
        "L1", "b" * 64, b"x"
    ) != screening_key("L2", "a" * 64, b"x")


def test_amounts_are_exact_scaled_integers() -> None:
    assert (
        to_scaled(Decimal("35000")) == 350_000_000 and to_scaled(Decimal("0.0001")) == 1
    )
    assert (
        to_scaled(Decimal("2999.99999"), floor=True) == 29_999_999
    )  # never rounded up past a band
    import pytest

    with pytest.raises(ValueError):
        to_scaled(Decimal("1.00001"))
