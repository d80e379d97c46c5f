"""A shown actual stands to its shown threshold as the exact actual to the exact one.

Figures are rounded half to even for display only; an actual that rounds onto its
threshold while differing from it is shown one step of the last decimal on its own
side (269.9999 against 270, 2.1999% against 2.2%), in the JSON, the message and the
XLSX alike, whichever path (pre-encoded frames or the reference) writes them.
"""

from __future__ import annotations

import json
import operator
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.loader import load_ruleset
from screening.model.project import Project
from screening.report import xlsx_rows
from screening.report.contract import contract_bytes, to_contract
from screening.report.labels import Labels
from screening.screener import Screener
from tests.conftest import SLOW

_INTENSITY = "investment.fixed_assets / land.area_mu"
_OPS = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
_NAMES = {">=": "ge", ">": "gt", "<=": "le", "<": "lt", "==": "eq", "!=": "ne"}


def _rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for op, name in _NAMES.items():
        rules.append(
            {
                "id": f"t.intensity_{name}",
                "title": "投资强度",
                "group": "investment_intensity",
                "kind": "gate",
                "basis": "测试",
                "require": f"{_INTENSITY} {op} 270",
            }
        )
        rules.append(
            {
                "id": f"t.share_{name}",
                "title": "研发占比",
                "group": "innovation",
                "kind": "gate",
                "basis": "测试",
                "require": f"output.rd_share {op} 0.022",
            }
        )
    rules.append(
        {
            "id": "t.between",
            "title": "投资强度区间",
            "group": "investment_intensity",
            "kind": "gate",
            "basis": "测试",
            "require": f"between({_INTENSITY}, 270, 300.5)",
        }
    )
    return rules


_RULESET: Any = None
_SCREENER: Any = None


def _ruleset(folder: Path) -> Any:
    global _RULESET, _SCREENER
    if _RULESET is None:
        document = {
            "id": "apart",
            "title": "就近显示",
            "version": "1",
            "rules": _rules(),
        }
        path = folder / "apart.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
        _RULESET = load_ruleset(str(path))
        _SCREENER = Screener(_RULESET)
    return _RULESET


# offsets from the thresholds, most within half a step of the fourth decimal
offsets = st.one_of(
    st.just(0),
    st.integers(-(10**6), 10**6).map(lambda n: Fraction(n, 10**9)),
    st.integers(-(10**4), 10**4).map(lambda n: Fraction(n, 10**5)),
)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _decimal(value: Fraction) -> str:
    return str(Decimal(value.numerator) / Decimal(value.denominator))


def _relation(a: Fraction, b: Fraction) -> int:
    return (a > b) - (a < b)


@settings(max_examples=300 if SLOW else 80, deadline=None)
@given(
    offsets,
    st.integers(-50, 50).map(lambda n: Fraction(n, 10**8)),
    st.sampled_from(["zh", "en"]),
)
def test_shown_actual_keeps_the_exact_relation_to_the_shown_threshold(
    tmp_path_factory: Any, intensity_offset: Fraction, share_offset: Fraction, lang: str
) -> None:
    ruleset = _ruleset(tmp_path_factory.mktemp("apart"))
    area = Fraction(50)
    fixed = (270 + intensity_offset) * area
    share = Fraction(22, 1000) + share_offset
    project = Project.model_validate(
        {
            "id": "p",
            "investment": {"fixed_assets": _decimal(fixed)},
            "land": {"area_mu": 50},
            "output": {"rd_share": _decimal(share)},
        }
    )
    decision = _SCREENER.screen(project)
    contract = to_contract(decision, ruleset, lang)
    expected = json.dumps(contract, ensure_ascii=False) + "\n"
    assert contract_bytes(decision, ruleset, lang) == expected.encode()
    rows = xlsx_rows.DecisionRows(ruleset, lang).render(decision)
    assert rows == xlsx_rows.result_rows(contract, lang, Labels((ruleset,), lang))
    for finding, fields in zip(decision.findings, contract["findings"], strict=True):
        actual, threshold = finding.actual, finding.threshold
        if actual is None:  # == and != are told as met or not, without figures
            continue
        # the JSON figures, and the sentence's (its first figures: actual, bounds)
        shown_json = Fraction(str(fields["actual"]))
        figures = [
            Fraction(f) for f in _NUMBER.findall(fields["message"].replace("×10k", ""))
        ]
        scale = Fraction(1, 100) if finding.rule.startswith("t.share") else 1
        if finding.op == "between":
            low, high = threshold
            json_low, json_high = (Fraction(str(b)) for b in fields["threshold"])
            said, said_low, said_high = (f * scale for f in figures[:3])
            for shown, bound, exact in (
                (shown_json, json_low, low),
                (shown_json, json_high, high),
                (said, said_low, low),
                (said, said_high, high),
            ):
                assert _relation(shown, bound) == _relation(actual, exact), fields
            met = json_low <= shown_json <= json_high
            assert met == (finding.status.value == "pass"), fields
            continue
        compare = _OPS[finding.op]
        shown_threshold = Fraction(str(fields["threshold"]))
        said, said_threshold = (f * scale for f in figures[:2])
        for shown, bound in ((shown_json, shown_threshold), (said, said_threshold)):
            assert _relation(shown, bound) == _relation(actual, threshold), fields
            assert compare(shown, bound) == (finding.status.value == "pass"), fields
