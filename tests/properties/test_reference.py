"""The compiled screener decides exactly as the reference screener, on generated rule sets.

`Screener(ruleset, reference=True)` walks each rule's expressions in plain Fractions, with
no compilation and no engine. Generated rule sets use every kind, metrics, parameters
(some unset: 未配置), lookup tables (some cells absent, one table empty), derived facts
in strata, `applies_if`, `require_any`, bands and linear points; generated projects leave
inputs out, put zeros where they divide, and sit on thresholds. Decisions, findings and
the JSON contract must agree, for every project and rule set.
"""

from __future__ import annotations

import json
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.loader import load_ruleset
from screening.model.project import Project
from screening.report.contract import contract_bytes, to_contract
from screening.screener import Screener
from tests.conftest import SLOW

NUMBERS = [
    "investment.fixed_assets",
    "investment.total",
    "land.area_mu",
    "land.plot_ratio",
    "land.building_coverage",
    "output.annual_tax",
    "output.annual_revenue",
    "output.employees",
    "environment.energy_tce",
]
CATALOGUE = ["encouraged", "permitted", "restricted", "eliminated"]
INDUSTRIES = ["C2613", "C2661", "C3985", "C3841", "C1391", "D4411", "C3011"]
METRICS = {
    "per_mu": ("investment.fixed_assets / land.area_mu", "万元/亩"),
    "tax_rate": ("output.annual_tax / output.annual_revenue", ""),
    "gap": ("investment.total - investment.fixed_assets", "万元"),
    "scaled": ("land.plot_ratio * 100", ""),
}
# numeric terms by unit: a comparison or a sum stays within one unit, as the loader requires
TERMS = {
    "万元": [
        "investment.fixed_assets",
        "investment.total",
        "output.annual_tax",
        "output.annual_revenue",
        "gap",
        "p_money",
    ],
    "万元/亩": [
        "per_mu",
        "p_high",
        "lookup(limits, industry.division)",
        "lookup(empty, industry.division)",
    ],
    "": [
        "land.plot_ratio",
        "land.building_coverage",
        "tax_rate",
        "scaled",
        "p_low",
        "p_unset",
    ],
    "亩": ["land.area_mu"],
}
# figures near the thresholds the rules use, zero (a divisor), and plain ones
figures = st.sampled_from([0, 1, 2, 3, 10, 15, 30, 100, 250, 300, 1000, 4500])
fractions = st.sampled_from(["0", "0.25", "0.3", "0.5", "1", "1.2", "1.5", "2", "3"])


def _number(draw: st.DrawFn) -> str:
    return str(draw(st.one_of(figures, fractions.map(Decimal))))


@st.composite
def numeric(draw: st.DrawFn, unit: str) -> str:
    """A numeric term of `unit`: a field, a metric, a parameter, a lookup, a literal, or a sum."""
    if draw(st.integers(0, 4)) == 0:
        return _number(draw)
    term = draw(st.sampled_from(TERMS[unit]))
    form = draw(st.integers(0, 5))
    if form == 0:
        return f"{term} {draw(st.sampled_from(['+', '-']))} {draw(st.sampled_from(TERMS[unit]))}"
    if form == 1:
        return f"{term} {draw(st.sampled_from(['*', '/']))} {draw(st.sampled_from(['2', '0.5', '3']))}"
    return term


@st.composite
def comparisons(draw: st.DrawFn) -> str:
    unit = draw(st.sampled_from(sorted(TERMS)))
    if draw(st.integers(0, 3)) == 0:
        low, high = sorted([draw(figures), draw(figures)])
        return f"between({draw(numeric(unit))}, {low}, {high})"
    return f"{draw(numeric(unit))} {draw(st.sampled_from(['>=', '>', '<=', '<', '==', '!=']))} {draw(numeric(unit))}"


@st.composite
def conditions(draw: st.DrawFn, derived: tuple[str, ...], depth: int = 2) -> str:
    atoms = [
        comparisons(),
        st.just("environment.in_red_line"),
        st.just("extra.flag"),
        st.sampled_from(
            [f'environment.catalogue in ["{c}", "eliminated"]' for c in CATALOGUE]
        ),
        st.sampled_from(['environment.catalogue == "encouraged"', 'extra.zone == "a"']),
        st.sampled_from(
            [
                'startswith(industry.code, "C26", "D44")',
                'startswith(industry.code, "C3")',
            ]
        ),
    ]
    if derived:
        atoms.append(st.sampled_from(derived))
    if depth == 0 or draw(st.booleans()):
        return draw(st.one_of(*atoms))
    op = draw(st.sampled_from(["and", "or", "not"]))
    if op == "not":
        return f"not ({draw(conditions(derived, depth - 1))})"
    return f"({draw(conditions(derived, depth - 1))}) {op} ({draw(conditions(derived, depth - 1))})"


@st.composite
def rules(draw: st.DrawFn) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    derived: list[str] = []
    for index in range(draw(st.integers(2, 9))):
        earlier = tuple(derived)  # a rule reads only the facts derived before it
        kind = draw(
            st.sampled_from(
                [
                    "veto",
                    "gate",
                    "gate",
                    "review",
                    "score",
                    "bonus",
                    "derive",
                    "info",
                    "any",
                ]
            )
        )
        rule: dict[str, Any] = {
            "id": f"r.n{index}",
            "group": "land_use",
            "basis": "测试",
        }
        if kind in ("veto", "gate", "review"):
            key = draw(st.sampled_from(["require", "fail_if"]))
            rule.update(kind=kind, **{key: draw(conditions(earlier))})
        elif kind == "any":
            rule.update(
                kind=draw(st.sampled_from(["gate", "review"])),
                require_any=[
                    {"name": f"b{i}", "require": draw(comparisons())}
                    for i in range(draw(st.integers(2, 3)))
                ],
            )
        elif kind == "score" or (kind == "bonus" and draw(st.booleans())):
            value = draw(numeric(draw(st.sampled_from(sorted(TERMS)))))
            if draw(st.booleans()):
                cuts = sorted({draw(figures) for _ in range(draw(st.integers(1, 3)))})
                bands = [{"max": cuts[0], "points": 0}]
                bands += [
                    {"min": low, "max": high, "points": 5 * (i + 1)}
                    for i, (low, high) in enumerate(pairwise(cuts))
                ]
                bands.append({"min": cuts[-1], "points": 5 * len(cuts) + 5})
                rule.update(kind=kind, value=value, bands=bands)
            else:
                low = draw(figures)
                rule.update(
                    kind=kind,
                    value=value,
                    linear=[{"at": low, "points": 0}, {"at": low + 50, "points": 10}],
                )
        elif kind == "bonus":
            rule.update(
                kind="bonus",
                when=draw(conditions(earlier)),
                points=draw(st.sampled_from([1, 5])),
            )
        elif kind == "derive":
            name = f"d{index}"
            rule.update(kind="derive", sets=name, when=draw(conditions(earlier)))
            derived.append(name)
        else:
            rule.update(kind="info", when=draw(conditions(earlier)))
        if draw(st.integers(0, 4)) == 0:
            rule["applies_if"] = draw(conditions(earlier, depth=1))
        out.append(rule)
    return out


def _ruleset(folder: Path, drawn: list[dict[str, Any]]) -> Any:
    document = {
        "id": "generated",
        "title": "生成的规则集",
        "version": "1",
        "parameters": {
            "p_low": {"value": Decimal("0.3")},
            "p_high": {"value": Decimal("250.5"), "unit": "万元/亩"},
            "p_money": {"value": 4500, "unit": "万元"},
            "p_unset": {"value": None, "unit": ""},
            "pass_mark": 40,
            "review_band": 10,
        },
        "inputs": {
            "extra.flag": {"type": "bool"},
            "extra.zone": {"type": "text", "values": ["a", "b"]},
        },
        "metrics": {
            name: {"expr": expr, "unit": unit} for name, (expr, unit) in METRICS.items()
        },
        "tables": {
            "limits": {
                "keys": ["division"],
                "unit": "万元/亩",
                "values": {"26": 300, "38": Decimal("1.5"), "13": 0},
            },
            "empty": {"keys": ["division"], "unit": "万元/亩", "values": {}},
        },
        "rules": drawn,
    }
    path = folder / "generated.yaml"
    path.write_text(
        yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    return load_ruleset(str(path))


class _Dumper(yaml.SafeDumper):
    """Writes Decimals as YAML numbers (the loader reads them back exactly)."""


_Dumper.add_representer(
    Decimal,
    lambda dumper, value: dumper.represent_scalar(
        "tag:yaml.org,2002:float", str(value)
    ),
)


# what a field may hold within the project model's bounds
_FIGURES = {
    "building_coverage": st.sampled_from(["0", "0.25", "0.3", "0.5", "1"]),
    "plot_ratio": fractions,
    "employees": figures,
}


@st.composite
def projects(draw: st.DrawFn) -> dict[str, Any]:
    def maybe(value: Any) -> Any:
        return None if draw(st.integers(0, 5)) == 0 else value

    sections: dict[str, dict[str, Any]] = {}
    for path in NUMBERS:
        section, name = path.split(".")
        value = maybe(draw(_FIGURES.get(name, st.one_of(figures, fractions).map(str))))
        if value is not None:
            sections.setdefault(section, {})[name] = value
    environment = sections.setdefault("environment", {})
    for key, value in (
        ("in_red_line", maybe(draw(st.booleans()))),
        ("catalogue", maybe(draw(st.sampled_from(CATALOGUE)))),
    ):
        if value is not None:
            environment[key] = value
    data: dict[str, Any] = {"id": "g", **sections}
    industry = maybe(draw(st.sampled_from(INDUSTRIES)))
    if industry is not None:
        data["industry"] = industry
    extra = {
        k: v
        for k, v in (
            ("flag", maybe(draw(st.booleans()))),
            ("zone", maybe(draw(st.sampled_from("ab")))),
        )
        if v is not None
    }
    if extra:
        data["extra"] = extra
    return data


@settings(max_examples=400 if SLOW else 60, report_multiple_bugs=False)
@given(rules(), st.lists(projects(), min_size=1, max_size=6))
def test_compiled_and_reference_screeners_agree(
    tmp_path_factory: Any, drawn: list[dict[str, Any]], leads: list[dict[str, Any]]
) -> None:
    ruleset = _ruleset(tmp_path_factory.mktemp("generated"), drawn)
    compiled, reference = Screener(ruleset), Screener(ruleset, reference=True)
    for data in leads:
        project = Project.model_validate(data)
        fast, slow = compiled.screen(project), reference.screen(project)
        assert fast == slow, [
            (a, b) for a, b in zip(fast.findings, slow.findings, strict=False) if a != b
        ] or fast
        expected = json.dumps(to_contract(slow, ruleset), ensure_ascii=False) + "\n"
        assert contract_bytes(fast, ruleset) == expected.encode()
