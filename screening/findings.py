"""Frozen records of what screening found: statuses, kinds, findings, decisions.

Facts only; prose is written at render time from `messages` in the chosen language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
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


class RemedyOption(NamedTuple):
    """One way to flip a failed threshold: `field relation value` (e.g. land.area_mu <= 18).

    Immutable records like `Finding`, and as cheap to make: a failed ratio rule makes new
    ones for nearly every project of a batch."""

    field: str
    relation: str  # >= > <= <
    value: Fraction
    unit: str


# What solves a remedy's options when they are first read: (the inputs it reads, in the
# order it names them; the target) → the options. One per rule, made once.
Solve = Callable[[tuple[Any, ...], Fraction], tuple[RemedyOption, ...]]


class Remedy:
    """What would flip a finding: options (any one suffices), or a plain statement.

    An immutable value, compared and hashed by its four fields like the NamedTuple it
    was. The compiled screener makes its options lazily (`Remedy.later`): it keeps the
    few inputs they read, as an atomic tuple, and solves them when `options` is first
    read — most findings' remedies are never rendered, and a remedy that holds no
    records until then keeps the cyclic collector's work per decision small."""

    __slots__ = ("code", "target", "gain", "_options", "_solve", "_inputs")
    _fields = ("code", "options", "target", "gain")

    code: str  # numeric | veto | condition | score | missing | any
    target: Any  # the threshold to reach (numeric) or next band (score)
    gain: Points | None  # score: points to gain
    _options: tuple[RemedyOption, ...] | None  # None until solved
    _solve: Solve | None
    _inputs: tuple[Any, ...]  # what `_solve` reads, as given (atoms)

    def __init__(
        self,
        code: str,
        options: tuple[RemedyOption, ...] = (),
        target: Any = None,
        gain: Points | None = None,
    ) -> None:
        _set(self, "code", code)
        _set(self, "target", target)
        _set(self, "gain", gain)
        _set(self, "_options", options)
        _set(self, "_solve", None)
        _set(self, "_inputs", ())

    @classmethod
    def later(
        cls,
        code: str,
        solve: Solve,
        inputs: tuple[Any, ...],
        target: Fraction,
        gain: Points | None = None,
    ) -> Remedy:
        """A remedy whose options are `solve(inputs, target)`, solved when first read
        (`inputs`: the values, never changed, of the inputs `solve` reads)."""
        remedy = _new_object(cls)
        _set(remedy, "code", code)
        _set(remedy, "target", target)
        _set(remedy, "gain", gain)
        _set(remedy, "_options", None)
        _set(remedy, "_solve", solve)
        _set(remedy, "_inputs", inputs)
        return remedy

    @property
    def options(self) -> tuple[RemedyOption, ...]:
        """The inputs' values that would flip the finding (any one suffices)."""
        options = self._options
        if options is None:
            # solved at most once per thread that gets here first; the same either way
            solve = self._solve
            assert solve is not None
            options = solve(self._inputs, self.target)
            _set(self, "_options", options)
        return options

    def _astuple(self) -> tuple[Any, ...]:
        return (self.code, self.options, self.target, self.gain)

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self._astuple(), strict=True))

    def __iter__(self) -> Iterator[Any]:
        return iter(self._astuple())

    def __eq__(self, other: object) -> bool:
        if type(other) is not Remedy:
            return NotImplemented
        return self._astuple() == other._astuple()

    def __hash__(self) -> int:
        return hash(self._astuple())

    def __repr__(self) -> str:
        return (
            "Remedy("
            + ", ".join(f"{name}={value!r}" for name, value in self._asdict().items())
            + ")"
        )

    def __reduce__(self) -> tuple[type[Remedy], tuple[Any, ...]]:
        return Remedy, self._astuple()  # solved: a plain value to pickle or copy

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Remedy is immutable: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Remedy is immutable: cannot delete {name}")


_new_object = object.__new__
_set = object.__setattr__


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
