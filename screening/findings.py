"""Frozen records of what screening found: statuses, kinds, findings, decisions.

Facts only; prose is written at render time from `messages` in the chosen language.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from fractions import Fraction
from typing import Any, NamedTuple

# A number of points: an int where whole (cheaper to sum and compare), else a Fraction.
Points = int | Fraction


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    MISSING = "missing"
    NOT_APPLICABLE = "not_applicable"


class Outcome(str, Enum):
    PASS = "pass"
    REVIEW = "review"
    REJECT = "reject"


# One way to flip a failed threshold: `field relation value` (e.g. land.area_mu <= 18),
# as the plain tuple (field, relation, numerator, denominator, unit), the exact value
# numerator / denominator in lowest terms, denominator > 0. A plain tuple of atoms, not a
# record class holding a Fraction: the cyclic collector untracks it, and the tuple of a
# remedy's options holding only such, where a NamedTuple and its Fraction stayed tracked
# (walked by every full collection) for as long as their decision was kept. Readers
# unpack it, or take `option_value`; `remedy_option` makes one from a value.
RemedyOption = tuple[str, str, int, int, str]


def remedy_option(
    field: str, relation: str, value: Fraction | int, unit: str
) -> RemedyOption:
    """The option `field relation value` (relation one of >= > <= <), in `unit`."""
    num, den = value.as_integer_ratio()
    return (field, relation, num, den, unit)


def option_value(option: RemedyOption) -> Fraction:
    """An option's exact value."""
    return Fraction(option[2], option[3])


# An exact value as records hold it: an int where whole, else a Fraction (`exact_value`).
Exact = int | Fraction


def exact_value(value: Fraction | int) -> Exact:
    """The one rule for exact values in records: an int where whole (an int is an atom
    the cyclic collector never tracks, and sums and compares cheaper), else the Fraction.
    An int and a whole Fraction compare, hash and render alike."""
    if type(value) is Fraction and value.denominator == 1:
        return value.numerator
    return value


# What would flip a finding, as the plain tuple (code, target, gain, *options): `code`
# one of numeric | veto | condition | any | score | missing; `target` the threshold to
# reach (numeric) or the next band's value (score) and `gain` the points to gain
# (score), each an `Exact` or None; then the ways to flip it (any one suffices), each a
# RemedyOption. A flat tuple, not a record class: with whole figures (ints) it holds
# only atoms and tuples of atoms, and the cyclic collector untracks it by the second
# collection it sees (one level of nested tuples each), before a kept decision reaches
# the oldest generation, where a NamedTuple stayed tracked (walked by every full
# collection, and counted toward the next) for as long as its decision was kept.
# `make_remedy` makes one; readers take `remedy[0]`, `[1]`, `[2]` and `remedy_options`.
Remedy = tuple[Any, ...]


def make_remedy(
    code: str,
    options: tuple[RemedyOption, ...] = (),
    target: Any = None,
    gain: Fraction | int | None = None,
) -> Remedy:
    """The remedy `code` with its options, target and gain (a Fraction as its
    `exact_value`)."""
    return (
        code,
        exact_value(target) if type(target) is Fraction else target,
        None if gain is None else exact_value(gain),
    ) + options


def remedy_options(remedy: Remedy) -> tuple[RemedyOption, ...]:
    """A remedy's options, in order."""
    return remedy[3:]


class BranchFinding(NamedTuple):
    """One branch of a `require_any` rule, judged alone: its figures and remedy."""

    name: str
    status: Status
    actual: Any = None
    threshold: Any = None
    op: str | None = None
    unit: str | None = None
    missing: tuple[str, ...] = ()
    remedy: Remedy | None = None


# not_applicable reasons meaning "the rule set leaves this to be filled" (未配置)
UNCONFIGURED = frozenset({"table_not_configured", "parameter_not_configured"})


class Finding(NamedTuple):
    """One rule's result for one project: an immutable, hashable record (cheap to make,
    and renderers can memoise on it)."""

    rule: str
    group: str
    kind: str  # the rule's kind, a name in screening.kinds.KINDS
    status: Status
    actual: Any = None
    threshold: Any = None
    op: str | None = None
    unit: str | None = None
    points: Points | None = None
    max_points: Points | None = None
    missing: tuple[str, ...] = ()
    reason: str | None = None  # not_applicable: why (table_not_configured, …)
    # (name, value) pairs for the reason's message
    reason_params: tuple[tuple[str, Any], ...] = ()
    remedy: Remedy | None = None
    branches: tuple[BranchFinding, ...] = ()  # require_any: every branch, in order

    def check_tuple(self) -> tuple[str, str]:
        return (self.rule, self.status.value)


# `tuple.__new__(Finding, (…every field…))` makes a record at about half the cost of its
# generated constructor, which fills defaults by keyword: the screener's hot steps make
# theirs so, with every field in order (tests/unit/test_records.py holds them to the
# records' fields, so a field added here fails there until they are updated).
new_record = tuple.__new__


class Decision(NamedTuple):
    """The screening result for one project under one rule set: an immutable record,
    cheap to make (one per project of a batch)."""

    project_id: str | None
    project_name: str | None
    project_company: str | None
    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str
    as_of: dt.date | None
    outcome: Outcome
    score: Fraction | None
    pass_mark: Fraction | None
    review_band: Fraction
    vetoed_by: tuple[str, ...]
    rejected_by: tuple[str, ...]  # failed gates
    reviewed_by: tuple[str, ...]  # triggered review rules
    missing: tuple[str, ...]
    findings: tuple[Finding, ...]
