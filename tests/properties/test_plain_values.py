"""The batch fast path gives the model's values exactly, or declines: never another value.

Rows are drawn from the model's own field catalogue: a plausible value per field, then a
few defects — unit strings, ints, Decimals (NaN, -0, huge), floats, bools, yes/no words
in any case and spacing, choice aliases, text at its length limit, lone surrogates,
unknown keys, blocks that are not mappings, good and bad industry codes, extra inputs of
the shipped rule sets. For each, `plain_values` is None or the model path's result — key
order, types and digits included — and None whenever the model path refuses the row.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any, get_args

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, BeforeValidator

from screening.inputs import convert_inputs
from screening.loader import load_ruleset
from screening.model.project import CHOICE_ALIASES, Project, flatten, input_kinds
from screening.model.ruleset import InputField
from screening.row_values import plain_values

RULESETS = ["national", "starter", "parks/beihai-tieshangang-2023", "parks/longchang-neirong-2022",
            "parks/wenling-east-2021", "schemes/tuanfeng-access"]
REFUSED = "refused"


def model_values(data: dict[str, Any], inputs: dict[str, InputField]) -> Any:
    """The pydantic path, as the batch takes it without the fast path; REFUSED if it raises."""
    try:
        return convert_inputs(flatten(Project.model_validate(data)), inputs)
    except Exception:  # noqa: BLE001 - any refusal, even one the batch would not survive
        return REFUSED


def exactly(values: dict[str, Any]) -> list[tuple[str, type, Any]]:
    """Comparable digit for digit: Decimal('4500.0000') is not Decimal('4500')."""
    return [(k, type(v), v.as_tuple() if isinstance(v, Decimal) else v) for k, v in values.items()]


@cache
def declared_inputs() -> list[dict[str, InputField]]:
    return [{}] + [load_ruleset(ref).inputs for ref in RULESETS]


def upper_bound(path: str) -> Decimal:
    """The model's own upper bound of an amount field (kept on its validator)."""
    model: type[BaseModel] = Project
    *blocks, name = path.split(".")
    for block in blocks:
        model = next(a for a in get_args(model.model_fields[block].annotation) if a is not type(None))
    validator = next(m for m in model.model_fields[name].metadata if isinstance(m, BeforeValidator))
    return validator.func.upper  # type: ignore[attr-defined]


# --- values: plausible ones, and defects --------------------------------------------------

PLAIN = st.from_regex(r"[0-9]{1,9}(\.[0-9]{1,5})?", fullmatch=True)
ODD_DECIMALS = st.sampled_from([
    Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("-0"), Decimal("-0.00"),
    Decimal("-1"), Decimal("1E+3"), Decimal("1E-30"), Decimal("1E+1000002"), Decimal("0E-1000000"),
    Decimal("4500.0000"), Decimal("1E+100"),
])
DECIMALS = st.one_of(ODD_DECIMALS, st.decimals(allow_nan=True, allow_infinity=True))
UNIT_TEXT = st.sampled_from([
    "5.2亿元", "4500万元", "80 亩", "5.3 公顷", "1200平方米", "1.2万吨标准煤", "300万千瓦时", "12 kg", "45%", "45 ％",
    "260人", "3.5 ha", "abc亩", "1e1000000万元",
])
ODD_TEXT = st.sampled_from([
    "-3", " 12", "12 ", "+1", "1e3", "1,000", "1，000", "１２", "12.", ".5", "NaN", "inf", "Infinity", "1_000",
    "0x10", "", " ", "abc", "0012.50", "00", "1.2.3",
])
JUNK = st.one_of(st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
YES = sorted(["是", "否", "yes", "no", "y", "n", "true", "false", "1", "0", "有", "无"])
SPACE = st.sampled_from(["", "", " ", "\t", "\u3000", "\n"])


def spaced(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda left, word, upper, right: left + (word.upper() if upper else word) + right,
                     SPACE, words, st.booleans(), SPACE)


YES_NO = spaced(st.sampled_from(YES))
GOOD_CODES = st.sampled_from(["C2613", "c2613", " C 26 13 ", "2613", "C26", "26", "D4411", "C3841", "A0111", "T97",
                              "C3841\n", "C３８４１", "c26 13"])
BAD_CODES = st.sampled_from(["C4411", "C99", "X12", "C38411", "", "U98", "00", "C", "A", "1"])
MESS = st.one_of(
    st.none(), UNIT_TEXT, ODD_TEXT, st.integers(), st.integers(-5, 5), st.just(10**5000), DECIMALS,
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), spaced(st.sampled_from(["on", "off", "t", "maybe"])),
    st.text(max_size=8), st.sampled_from(["\ud800", "a\udfffb", "encouraged", "鼓励类", "report", "C2613"]), JUNK,
)


def amount(path: str, kind: str) -> st.SearchStrategy[Any]:
    typical = min(upper_bound(path), Decimal(10**6))
    decimals = st.decimals(min_value=0, max_value=typical, places=4)
    if kind == "count":  # whole people
        return st.one_of(st.integers(0, 10**5), st.integers(0, 10**5).map(str), st.just(Decimal("5.0")))
    # digits as typed, leading zeros and all: below 100,000, so within every large bound
    typed = [st.from_regex(r"0{0,2}[0-9]{1,5}(\.[0-9]{1,5})?", fullmatch=True)] if typical >= 10**5 else []
    return st.one_of(decimals, decimals.map(str), st.integers(0, int(typical)), *typed)


def amount_edges(path: str) -> st.SearchStrategy[Any]:
    upper = upper_bound(path)
    return st.sampled_from([str(upper), upper, int(upper), str(upper + Decimal("0.0001")), upper + 1, int(upper) + 1,
                            "0", 0, Decimal("0.0000"), "5.5", Decimal("5.5")])


def choice(kind: str) -> st.SearchStrategy[str]:
    options = sorted(set(CHOICE_ALIASES[kind].values()) | set(CHOICE_ALIASES[kind]))
    return st.builds(lambda left, option, right: left + option + right, SPACE, st.sampled_from(options), SPACE)


def text_limit(path: str) -> int | None:
    info = Project.model_fields.get(path)
    return info.metadata[0].max_length if info is not None and info.metadata else None


def text(path: str) -> st.SearchStrategy[Any]:
    if path == "industry":
        return st.one_of(GOOD_CODES, st.sampled_from([2613, 3841]), st.fixed_dictionaries({"code": GOOD_CODES}))
    if path == "environment.catalogue_item":
        return st.text(max_size=20)
    return st.one_of(st.text(max_size=20), st.sampled_from(["bh-001", "年产5万吨电池级磷酸铁项目"]),
                     st.integers(0, 10**6), st.decimals(allow_nan=False, allow_infinity=False))


def text_edges(path: str) -> st.SearchStrategy[Any]:
    if path == "industry":
        return st.one_of(BAD_CODES, st.integers(0, 9999), st.fixed_dictionaries({"code": st.one_of(st.none(), BAD_CODES)}),
                         st.fixed_dictionaries({"code": GOOD_CODES, "x": st.integers()}), st.just({}))
    limit = text_limit(path) or 1000
    return st.builds(lambda n, c: c * n, st.sampled_from([limit - 1, limit, limit + 1]), st.sampled_from(["x", "项", "𝕏"]))


@cache  # hypothesis builds a strategy slowly: once per field
def plausible(path: str, kind: str) -> st.SearchStrategy[Any]:
    """A value the model accepts for this field."""
    if kind == "bool":
        return st.one_of(st.booleans(), YES_NO)
    if kind in CHOICE_ALIASES:
        return choice(kind)
    if kind == "integer":
        return st.integers(1, 7)
    if kind == "text":
        return text(path)
    return amount(path, kind)


@cache
def edges(path: str, kind: str) -> st.SearchStrategy[Any]:
    """Values at or just past what the model accepts for this field."""
    if kind == "integer":
        return st.sampled_from([0, 1, 7, 8, True, Decimal(3), "3", 3.0])
    if kind == "text":
        return text_edges(path)
    if kind == "bool" or kind in CHOICE_ALIASES:
        return st.sampled_from([0, 1, 2, "on", "OFF", " t ", "报告", "encouraged\x00", "Encouraged"])
    return amount_edges(path)


EXTRA_KEYS = st.sampled_from(["two_high_conditions_met", "building_density", "admin_floor_share", "investor_type",
                              "safety_risk", "plan_conformity", "rating", "note"])
EXTRA_VALUES = st.one_of(
    st.booleans(), YES_NO, PLAIN, st.decimals(min_value=0, max_value=1, places=3), st.integers(0, 100),
    st.sampled_from(["listed", "soe", "private", "low", "medium", "high", "conforming", "Listed", "0.45", "65%"]),
    st.none(),
)


KINDS = input_kinds()
DEFECT_AT = st.sampled_from([*KINDS, "extra", "extra.*", "investment", "environment.emissions", "oops", "land.oops",
                             "environment.Catalogue"])


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Any]:
    """A plausible row (each field present or not), then up to three defects."""
    data: dict[str, Any] = {}
    for path, kind in KINDS.items():
        if path == "land.area_ha" and draw(st.integers(0, 5)):
            continue
        if draw(st.integers(0, 3)):
            node = data
            *blocks, name = path.split(".")
            for block in blocks:
                node = node.setdefault(block, {})
            node[name] = draw(plausible(path, kind))
    if draw(st.booleans()):
        data["extra"] = draw(st.dictionaries(EXTRA_KEYS, EXTRA_VALUES, max_size=4))
    for _ in range(draw(st.integers(0, 3))):
        _defect(draw, data)
    return data


def _defect(draw: st.DrawFn, data: dict[str, Any]) -> None:
    path = draw(DEFECT_AT)
    if path == "extra.*":
        extra = data.setdefault("extra", {})
        if isinstance(extra, dict):
            extra[draw(st.one_of(EXTRA_KEYS, st.sampled_from(["\ud800", "x.y"]), st.integers(0, 1)))] = draw(MESS)
        return
    *blocks, name = path.split(".")
    node = data
    for block in blocks:
        if not isinstance(node.get(block), dict):
            node[block] = {}
        node = node[block]
    if name in ("investment", "emissions", "extra") and draw(st.booleans()):
        node[name] = draw(st.one_of(st.none(), JUNK, st.text(max_size=3), st.just({})))
    elif draw(st.integers(0, 9)) == 0:
        node.pop(name, None)
    elif path in KINDS and draw(st.booleans()):
        node[name] = draw(edges(path, KINDS[path]))
    else:
        node[name] = draw(MESS)


def _agrees(data: dict[str, Any], inputs: dict[str, InputField]) -> None:
    expected = model_values(data, inputs)
    got = plain_values(data, inputs)
    if expected is REFUSED:
        assert got is None, got
    elif got is not None:
        assert exactly(got) == exactly(expected)


@given(rows(), st.integers(0, len(RULESETS)))
def test_rows_get_the_models_values_or_none(data: dict[str, Any], which: int) -> None:
    _agrees(data, declared_inputs()[which])


@given(st.one_of(MESS, st.dictionaries(st.sampled_from(["id", "land", "extra", "industry"]), MESS, max_size=3)),
       st.integers(0, len(RULESETS)))
def test_anything_gets_the_models_values_or_none(data: Any, which: int) -> None:
    assert plain_values(data, declared_inputs()[which]) is None or isinstance(data, dict)
    if isinstance(data, dict):
        _agrees(data, declared_inputs()[which])
