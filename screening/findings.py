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


class Remedy(NamedTuple):
    """What would flip a finding: options (any one suffices), or a plain statement."""

    code: str  # numeric | veto | condition | condition_not | score | missing | …
    options: tuple[RemedyOption, ...] = ()
    target: Any = None  # the threshold to reach (numeric) or next band (score)
    gain: Fraction | None = None  # score: points to gain


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
