"""Inverting a failed threshold into the input values that would flip it."""

from __future__ import annotations

from fractions import Fraction

import pytest

from screening.expr.evaluate import Ctx, compile_expr
from screening.expr.parser import parse
from screening.findings import option_value, remedy_option
from screening.remedy import Solver, next_band

METRICS = {
    "intensity": parse("investment.fixed_assets / land.area_mu"),
    "net": parse("output.annual_tax - 10"),
}
UNITS = {
    "investment.fixed_assets": "万元",
    "land.area_mu": "亩",
    "output.annual_tax": "万元",
}


def solver() -> Solver:
    return Solver(METRICS, lambda node: compile_expr(node, {}, {}), UNITS)


def env(**values: int) -> Ctx:
    return Ctx({k.replace("__", "."): Fraction(v) for k, v in values.items()}, {})


@pytest.mark.parametrize(
    ("expr", "relation", "target", "expected"),
    [
        (
            "intensity",
            ">=",
            250,
            [
                ("investment.fixed_assets", ">=", Fraction(5000)),
                ("land.area_mu", "<=", Fraction(16)),
            ],
        ),
        (
            "intensity",
            "<=",
            100,
            [
                ("investment.fixed_assets", "<=", Fraction(2000)),
                ("land.area_mu", ">=", Fraction(40)),
            ],
        ),
        (
            "-intensity",
            ">=",
            -100,
            [
                ("investment.fixed_assets", "<=", Fraction(2000)),
                ("land.area_mu", ">=", Fraction(40)),
            ],
        ),
        ("net * 2", ">=", 30, [("output.annual_tax", ">=", Fraction(25))]),
        # 3000 / 7 = 428.571…: exact (a renderer rounds it as shown, see test_explain)
        (
            "intensity",
            ">=",
            Fraction(3000, 7),
            [
                ("investment.fixed_assets", ">=", Fraction(60000, 7)),
                ("land.area_mu", "<=", Fraction(28, 3)),
            ],
        ),
        # a negative divisor turns the relation round for the dividend, twice for the divisor
        (
            "investment.fixed_assets / (0 - land.area_mu)",
            ">=",
            -100,
            [
                ("investment.fixed_assets", "<=", Fraction(2000)),
                ("land.area_mu", ">=", Fraction(40)),
            ],
        ),
        # other / x = 0 has no solution; x / other = 0 has
        (
            "output.annual_tax / land.area_mu",
            ">=",
            0,
            [("output.annual_tax", ">=", Fraction(0))],
        ),
        # investment.total is absent: the area cannot be solved for, the total can
        (
            "land.area_mu * investment.total",
            ">=",
            100,
            [("investment.total", ">=", Fraction(5))],
        ),
        # a negative solution is no remedy
        ("output.annual_tax - 10", ">=", -20, []),
    ],
)
def test_options(expr: str, relation: str, target: Fraction, expected: list) -> None:
    e = env(investment__fixed_assets=4000, land__area_mu=20, output__annual_tax=12)
    options = solver().options(parse(expr), relation, Fraction(target), e)
    assert [(o[0], o[1], option_value(o)) for o in options] == expected


def test_fields_used_twice_are_not_solved_for() -> None:
    options = solver().options(
        parse("land.area_mu * land.area_mu"), ">=", Fraction(100), env(land__area_mu=5)
    )
    assert options == ()


def test_next_band_up_and_down() -> None:
    bands = (
        (None, Fraction(10), Fraction(0)),
        (Fraction(10), Fraction(20), Fraction(5)),
        (Fraction(20), None, Fraction(10)),
    )
    assert next_band(bands, None, Fraction(12), Fraction(5)) == (
        Fraction(20),
        Fraction(10),
    )
    assert next_band(bands, None, Fraction(25), Fraction(10)) is None
    less_is_better = (
        (None, Fraction(1), Fraction(10)),
        (Fraction(1), None, Fraction(0)),
    )
    assert next_band(less_is_better, None, Fraction(3), Fraction(0)) == (
        Fraction(99, 100),
        Fraction(10),
    )
    assert next_band(
        None,
        ((Fraction(0), Fraction(0)), (Fraction(10), Fraction(8))),
        Fraction(5),
        Fraction(4),
    ) == (Fraction(10), Fraction(8))


@pytest.mark.parametrize(
    ("relation", "target"),
    [(">=", Fraction(30, 100)), ("<", Fraction(10000)), ("<=", Fraction(-1))],
)
def test_an_input_as_given_has_the_same_options_for_every_project(
    relation: str, target: Fraction
) -> None:
    node = parse("output.annual_tax")
    fixed = solver().fixed(node, relation, target)
    for tax in (0, 7, 12345):
        per_project = solver().options(
            node, relation, target, env(output__annual_tax=tax)
        )
        assert fixed == per_project
    assert fixed == (
        ()
        if target < 0
        else (remedy_option("output.annual_tax", relation, target, "万元"),)
    )


@pytest.mark.parametrize("expr", ["intensity", "output.annual_tax * 2", "net"])
def test_an_expression_over_inputs_has_no_fixed_options(expr: str) -> None:
    assert solver().fixed(parse(expr), ">=", Fraction(250)) is None
