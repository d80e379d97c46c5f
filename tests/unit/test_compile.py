"""The compiled durable-rules definitions: the sides kinds name, sign atoms, strata, chunks."""

from __future__ import annotations

from fractions import Fraction

from screening.compile import Compiled, compile_ruleset
from screening.expr.evaluate import Ctx
from tests.conftest import MINIMAL


def _definition(compiled: Compiled) -> dict:
    """Every chunk's engine rules in one mapping (names are unique across chunks)."""
    return {
        key: rule
        for chunks in compiled.chunks
        for chunk in chunks
        for key, rule in chunk.definition.items()
    }


def test_failing_sides_with_guards_and_exact_sign_atoms(write_ruleset) -> None:
    compiled = compile_ruleset(
        write_ruleset(
            MINIMAL
            + """\
        rules:
          - {id: v.red, group: environment, kind: veto, fail_if: environment.in_red_line}
          - {id: g.int, group: investment_intensity, kind: gate, require: investment.fixed_assets / land.area_mu >= 250}
          - {id: g.cat, group: industry_fit, kind: gate, require: 'environment.catalogue not in ["restricted", "eliminated"]'}
          - {id: b.enc, group: industry_fit, kind: bonus, when: environment.catalogue == "encouraged", points: 5}
          - {id: s.tax, group: tax_yield, kind: score, value: output.annual_tax, bands: [{min: 0, points: 1}]}
        """
        )
    )
    d = _definition(compiled)
    assert d["r0_fail"] == {"all": [{"m": {"$and": [{"t": "s0"}, {"f0": True}]}}]}
    assert d["r1_fail"] == {
        "all": [{"m": {"$and": [{"t": "s0"}, {"$lt": {"x0": 0}}]}}]
    }  # sign(a/b − 250) < 0
    assert d["r2_fail"]["all"][0]["m"]["$and"][1] == {
        "$or": [{"f1": "restricted"}, {"f1": "eliminated"}]
    }
    assert d["r3_true"]["all"][0]["m"]["$and"][1] == {
        "f1": "encouraged"
    }  # a bonus compiles its awarded side
    assert (
        "r4_fail" not in d and "r4_true" not in d
    )  # score points are computed, not matched
    assert compiled.strata == 1
    sign = compiled.plans[1].condition.atoms[0].evaluate  # type: ignore[union-attr]
    assert (
        sign(
            Ctx(
                {
                    "investment.fixed_assets": Fraction(4500),
                    "land.area_mu": Fraction(18),
                },
                {},
            )
        )
        == 0
    )
    assert (
        sign(
            Ctx(
                {
                    "investment.fixed_assets": Fraction(4499),
                    "land.area_mu": Fraction(18),
                },
                {},
            )
        )
        == -1
    )


def test_derived_facts_put_their_readers_in_the_next_stratum(write_ruleset) -> None:
    compiled = compile_ruleset(
        write_ruleset(
            MINIMAL
            + """\
        rules:
          - {id: d.one, group: environment, kind: derive, sets: two_high, when: 'startswith(industry.code, "C26")'}
          - {id: d.two, group: environment, kind: derive, sets: big_two_high, when: two_high and environment.energy_tce >= 50000}
          - {id: r.win, group: energy, kind: review, fail_if: big_two_high}
          - {id: r.cond, group: environment, kind: review, applies_if: two_high, require: environment.access_list_conflict == false}
        """
        )
    )
    assert [p.stratum for p in compiled.plans] == [0, 1, 2, 1]
    assert compiled.strata == 3
    d = _definition(compiled)
    assert d["r0_true"]["all"][0]["m"]["$and"][1] == {
        "$mt": {"f0": "(C26)[0-9A-Za-z]*"}
    }
    assert d["r3_na"]["all"][0]["m"]["$and"] == [{"t": "s1"}, {"d0": False}]
    assert compiled.plans[2].inputs == (
        "environment.energy_tce",
        "industry.code",
    )  # through the derivations


def test_negation_is_pushed_down_to_atoms(write_ruleset) -> None:
    compiled = compile_ruleset(
        write_ruleset(
            MINIMAL
            + """\
        rules:
          - {id: g.x, group: land_use, kind: gate, require: 'land.plot_ratio >= 1 and not (environment.catalogue == "restricted" or environment.in_red_line)'}
        """
        )
    )
    failing = _definition(compiled)["r0_fail"]["all"][0]["m"]["$and"][1]
    assert failing == {
        "$or": [{"$lt": {"x0": 0}}, {"$or": [{"f0": "restricted"}, {"f1": True}]}]
    }
