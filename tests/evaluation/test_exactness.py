"""Exactness: fast paths agree with the general Fraction paths; orders and shares are exact."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.evaluation.evaluate import Measured, measure, score
from screening.evaluation.loader import load_scheme
from screening.evaluation.ranking import by_threshold, exact_order, rank
from screening.evaluation.scorer import TrackScorer
from screening.expr.evaluate import Ctx, Missing, Undefined, to_fraction

HUANGYAN = load_scheme("huangyan")
HUAIAN = load_scheme("huaian-2024")

figures = st.decimals(
    min_value=Decimal(0), max_value=Decimal(100_000), places=3, allow_nan=False
)
maybe = st.one_of(st.none(), figures)


def _general(expr, values):  # the expression language's own evaluator, in Fractions
    try:
        return ("ok", to_fraction(expr.run(Ctx(values, {}))))
    except Missing as exc:
        return ("missing", exc.names)
    except Undefined as exc:
        return ("undefined", exc.code)


def _fast_value(ind, values):
    try:
        num, den = ind.value_of(values)
        return ("ok", Fraction(num, den))
    except Missing as exc:
        return ("missing", exc.names)
    except Undefined as exc:
        return ("undefined", exc.code)


@settings(deadline=None)
@given(tax=maybe, land=maybe, added=maybe, energy=maybe, emissions=maybe)
def test_indicator_fast_path_equals_the_general_evaluator(
    tax, land, added, energy, emissions
) -> None:
    values = {
        "tax": tax,
        "land_mu": land,
        "added_value": added,
        "energy_tce": energy,
        "emissions_t": emissions,
    }
    values = {k: v for k, v in values.items() if v is not None}
    from screening.evaluation.evaluate import rounded

    for ind in HUANGYAN.tracks[0].indicators[:4]:
        fast, general = _fast_value(ind, values), _general(ind.expr, values)
        if general[0] == "ok":
            general = ("ok", rounded(general[1], ind.decimals))
        assert fast == general


@settings(deadline=None)
@given(
    utility=st.one_of(st.none(), st.booleans()),
    months=st.one_of(st.none(), st.integers(-30, 400)),
    land=maybe,
    scale=st.one_of(st.none(), st.sampled_from(["规上", "规下"])),
)
def test_condition_fast_path_equals_the_general_evaluator(
    utility, months, land, scale
) -> None:
    values = {
        "utility": utility,
        "production_months": months,
        "land_mu": land,
        "scale": scale,
    }
    values = {k: v for k, v in values.items() if v is not None}
    conditions = [c.when for c in HUAIAN.exclusions] + [t.when for t in HUANGYAN.tracks]
    for expr in conditions:
        try:
            fast = ("ok", bool(expr.test(values)))
        except Missing as exc:
            fast = ("missing", exc.names)
        general = _general(expr, values)
        if general[0] == "ok":
            general = ("ok", bool(general[1]))
        assert fast == general, expr.text


def _firm(**overrides) -> dict:
    values = {
        "credit_code": "91331003000000001Y", "name": "x", "scale": "规上", "land_mu": Decimal(10),
        "tax": Decimal("240.97"), "revenue": Decimal(10000), "added_value": Decimal("1361.6"),
        "energy_tce": Decimal("505.4"), "emissions_t": Decimal("0.276197"), "rd_spend": Decimal(302),
        "employees": Decimal("75.06"), "production_start": dt.date(2015, 3, 1),
    }  # fmt: skip
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


@settings(deadline=None)
@given(
    tax=figures, added=figures, energy=figures, rd=maybe, employees=st.integers(1, 5000)
)
def test_integer_scores_equal_fraction_scores(
    tax, added, energy, rd, employees
) -> None:
    firm = measure(HUANGYAN, 0, 2, _firm(tax=tax, added_value=added, energy_tce=energy, rd_spend=rd,
                                         employees=Decimal(employees)), 2025)  # fmt: skip
    if firm.reason is not None:
        return
    track = HUANGYAN.tracks[firm.track]
    benchmarks = [Fraction(i.benchmark.fixed) for i in track.indicators]
    scorer = TrackScorer(HUANGYAN, track, benchmarks)
    assert scorer.integral
    total, points, _ = scorer.score(firm)
    exact = score(HUANGYAN, track, firm, benchmarks, [None] * len(benchmarks))
    assert Fraction(total, scorer.scale) == exact.score
    assert [Fraction(p, scorer.scale) for p in points] == [
        p.points for p in exact.points
    ]


def test_a_firm_exactly_on_every_benchmark_scores_exactly_100() -> None:
    firm = measure(HUANGYAN, 0, 2, _firm(), 2025)
    track = HUANGYAN.tracks[0]
    scorer = TrackScorer(
        HUANGYAN, track, [Fraction(i.benchmark.fixed) for i in track.indicators]
    )
    total, _, _ = scorer.score(firm)
    assert Fraction(total, scorer.scale) == 100  # not 99.99999999999999


def test_rounding_is_half_up_at_the_stated_decimals() -> None:
    # 240.965 / 10 = 24.0965 → 24.097 (half up), which is the benchmark exactly
    firm = measure(HUANGYAN, 0, 2, _firm(tax=Decimal("240.965")), 2025)
    assert Fraction(*firm.values[0]) == Fraction("24.097")
    firm = measure(HUANGYAN, 0, 2, _firm(tax=Decimal("240.9649")), 2025)
    assert Fraction(*firm.values[0]) == Fraction("24.096")


def test_floats_only_speed_the_sort_equal_floats_are_ordered_exactly() -> None:
    # three values a float cannot tell apart, and one it can
    base = Fraction(1, 3)
    tiny = Fraction(1, 10**30)
    values = [base + tiny, base, base + 2 * tiny, Fraction(1, 2)]
    assert len({float(v) for v in values[:3]}) == 1
    assert list(exact_order(values, lambda i: values[i])) == [1, 0, 2, 3]
    assert list(exact_order(values, lambda i: values[i], descending=True)) == [
        3,
        2,
        0,
        1,
    ]


def _rule(**changes):
    track = HUAIAN.tracks[0]
    from dataclasses import replace

    return replace(track.classes, **changes)


@pytest.mark.parametrize(
    ("n", "count", "places"),
    [
        (20, "floor", {"A": 4, "B": 12, "C": 19}),
        (21, "floor", {"A": 4, "B": 12, "C": 19}),
        (21, "ceil", {"A": 5, "B": 13, "C": 20}),
        (22, "half_up", {"A": 4, "B": 13, "C": 21}),  # 4.4 → 4, 13.2 → 13, 20.9 → 21
        (30, "half_up", {"A": 6, "B": 18, "C": 29}),  # 28.5 → 29: half goes up, exactly
    ],
)
def test_rank_share_places_are_exact(
    n: int, count: str, places: dict[str, int]
) -> None:
    scores = [Fraction(1000 - i) for i in range(n)]
    ranked = rank(scores, None, _rule(count=count), HUAIAN.class_ids)
    assert ranked.places == places
    expected = (
        ["A"] * places["A"]
        + ["B"] * (places["B"] - places["A"])
        + ["C"] * (places["C"] - places["B"])
    )
    expected += ["D"] * (n - places["C"])
    assert [ranked.classes[i] for i in ranked.order] == expected


@pytest.mark.parametrize(
    ("ties", "expected"), [("better", ["A"] * 5), ("worse", ["B"] * 2)]
)
def test_a_tie_across_a_boundary_follows_the_stated_rule(
    ties: str, expected: list[str]
) -> None:
    scores = [Fraction(s) for s in (100, 99, 98, 97, 97)] + [
        Fraction(50 - i) for i in range(15)
    ]
    ranked = rank(
        scores, None, _rule(ties=ties), HUAIAN.class_ids
    )  # 20 firms: A is places 1–4
    tied = [ranked.classes[3], ranked.classes[4]]
    assert tied[0] == tied[1] == expected[-1]
    assert ranked.ranks[3] == ranked.ranks[4] == 4
    a_count = sum(c == "A" for c in ranked.classes)
    assert a_count == (5 if ties == "better" else 3)


def test_tie_break_values_separate_equal_scores() -> None:
    scores = [Fraction(90)] * 2 + [Fraction(80 - i) for i in range(18)]
    ties = [(Fraction(30),), (Fraction(25),)] + [(Fraction(1),)] * 18
    ranked = rank(scores, ties, _rule(), HUAIAN.class_ids)
    assert (ranked.ranks[0], ranked.ranks[1]) == (1, 2)
    missing = rank(
        scores, [(None,), (Fraction(1),)] + ties[2:], _rule(), HUAIAN.class_ids
    )
    assert (missing.ranks[0], missing.ranks[1]) == (
        2,
        1,
    )  # a missing tie-break value ranks last


def test_small_populations_use_the_stated_fallback() -> None:
    ranked = rank([Fraction(80), Fraction(7999, 100)], None, _rule(), HUAIAN.class_ids)
    assert ranked.rule == "small_population" and ranked.classes == ["A", "B"]
    one = rank([Fraction(10)], None, _rule(), HUAIAN.class_ids)
    assert (
        one.classes == ["D"] and one.ranks[0] == 1
    )  # 10 < 30: the fallback's D, not "0 places"
    everyone_b = rank(
        [Fraction(10)],
        None,
        _rule(small_class="B", small_thresholds=()),
        HUAIAN.class_ids,
    )
    assert everyone_b.classes == ["B"]


def test_scaled_integer_scores_rank_and_class_as_their_fractions() -> None:
    scale = 7 * 10**20
    values = [Fraction(130), Fraction(12999999, 100000), Fraction(100), Fraction(60)]
    ints = [int(v * scale) for v in values]
    rule = HUANGYAN.tracks[0].classes
    by_int = rank(ints, None, rule, HUANGYAN.class_ids, scale)
    by_fraction = rank(values, None, rule, HUANGYAN.class_ids)
    assert by_int.classes == by_fraction.classes == ["A", "B", "B", "C"]
    assert list(by_int.order) == list(by_fraction.order)


def test_measured_firms_survive_the_spill() -> None:
    import marshal

    firm = measure(HUANGYAN, 0, 2, _firm(), 2025)
    assert Measured(*marshal.loads(marshal.dumps(tuple(firm)))) == firm


@settings(deadline=None, max_examples=60)
@given(
    units=st.lists(st.integers(-50, 400), min_size=1, max_size=60),
    scheme=st.sampled_from([HUANGYAN, HUAIAN]),
    least=st.lists(st.integers(-60, 420), max_size=4),
    descending=st.booleans(),
)
def test_integer_scores_take_the_fast_order_and_threshold_walk_exactly(
    units: list[int], scheme, least: list[int], descending: bool
) -> None:
    # ints (sorted as ints, classes walked along the order) against the same scores
    # as Fractions (sorted by float, then exactly; classed firm by firm)
    scale = 4
    ids = scheme.class_ids
    bounds = sorted(set(least), reverse=True) if descending else least
    thresholds = tuple(
        (ids[i % len(ids)], Fraction(b, 3)) for i, b in enumerate(bounds)
    )
    rule = scheme.tracks[0].classes
    from dataclasses import replace

    for changed in (
        replace(rule, by="score", thresholds=thresholds),
        replace(rule, by="rank_share", small_below=None),
    ):
        fast = rank(units, None, changed, ids, scale)
        exact = rank([Fraction(u) for u in units], None, changed, ids, scale)
        assert list(fast.order) == list(exact.order)
        assert list(fast.ranks) == list(exact.ranks)
        assert list(fast.starts) == list(exact.starts)
        assert fast.classes == exact.classes
        assert fast.rule == exact.rule
        if fast.rule != "rank_share":  # each firm on its own, as by_threshold says
            scaled = [(c, b * scale) for c, b in changed.thresholds]
            if fast.rule == "small_population":
                scaled = [(c, b * scale) for c, b in changed.small_thresholds]
            alone = [by_threshold(Fraction(u), scaled, changed.last) for u in units]
            assert fast.classes == alone or changed.small_class is not None
