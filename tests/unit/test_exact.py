"""`exact(num, den)` is `Fraction(num, den)`: the same value, type, terms, hash and text."""

from __future__ import annotations

import pickle
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.expr.evaluate import exact

_ints = st.integers(min_value=-(10**30), max_value=10**30)


@settings(deadline=None, max_examples=200)
@given(_ints, _ints.filter(lambda d: d != 0))
def test_exact_is_the_fraction(num: int, den: int) -> None:
    made, expected = exact(num, den), Fraction(num, den)
    assert type(made) is Fraction
    assert (made.numerator, made.denominator) == (
        expected.numerator,
        expected.denominator,
    )
    assert made == expected and hash(made) == hash(expected)
    assert str(made) == str(expected) and repr(made) == repr(expected)
    assert made + 1 == expected + 1 and made * made == expected * expected
    assert pickle.loads(pickle.dumps(made)) == expected


def test_exact_refuses_a_zero_denominator() -> None:
    with pytest.raises(ZeroDivisionError):
        exact(3, 0)
