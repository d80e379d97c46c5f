"""The effective rule set: a chain of files merged, every rule with its provenance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from screening.errors import SourceSpan
from screening.expr import nodes as n
from screening.expr.types import Type
from screening.model import ruleset as spec


class EffectiveRule(NamedTuple):
    """One rule in force, its parsed expressions and where it was last defined.

    A named tuple, as `Disabled`: a frozen dataclass costs every command about 1 ms
    to declare on Python 3.11 (it compiles each of its methods).
    """

    spec: Any  # the rule as written: its kind's shape (screening.kinds)
    source: SourceSpan
    origin: str  # id of the rule set file that defined it
    condition: n.Node | None = None  # require / fail_if / when
    value: n.Node | None = None  # score/bonus value
    applies_if: n.Node | None = None
    unit: str | None = None  # unit of the reported actual value
    position: tuple[
        Any, ...
    ] = ()  # YAML path of the rule inside its file, e.g. ("rules", 3)
    # require_any: each branch's parsed requirement and its compared value's unit
    branches: tuple[tuple[n.Node, str | None], ...] = ()
    # parameters named in its bands or linear points (their values are in `spec`)
    figures: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        rule_id: str = self.spec.id
        return rule_id

    @property
    def kind(self) -> str:
        kind: str = self.spec.kind
        return kind


class Disabled(NamedTuple):
    rule: str
    reason: str
    source: SourceSpan


@dataclass
class RuleSet:
    """Everything needed to compile and explain: merged parameters, tables, metrics, rules."""

    id: str
    title: spec.LocalText
    version: str
    sha256: str
    as_of: dt.date | None
    chain: list[str]
    files: dict[str, str]  # rule-set id → file path
    effective: spec.Effective | None
    basis: str | None
    parameters: dict[str, spec.Parameter]
    inputs: dict[str, spec.InputField]
    tables: dict[str, spec.Table]
    metrics: dict[str, spec.Metric]
    metric_nodes: dict[str, n.Node]
    metric_types: dict[str, Type]
    groups: dict[str, spec.LocalText]
    weights: dict[str, Decimal] | None
    rules: list[EffectiveRule]
    disabled: list[Disabled] = field(default_factory=list)
    provenance: dict[str, SourceSpan] = field(
        default_factory=dict
    )  # tables/params/metrics
    sources: dict[str, Any] = field(
        default_factory=dict
    )  # rule-set id → LoadedYaml, for positions
    points_total: Decimal | None = None
    # a derived fact whose only derive rule is not in force or disabled → why, for the
    # message of a rule still reading it (not "unknown name")
    unset_facts: dict[str, tuple[str, str]] = field(default_factory=dict)
    # the file path it was loaded from, when given as a path rather than a shipped id: every
    # output labels it so, since its id alone would claim a shipped rule set
    path: str | None = None

    def span(self, origin: str, path: tuple[Any, ...]) -> SourceSpan:
        """The position of `path` inside the file of rule set `origin`."""
        loaded = self.sources.get(origin)
        return (
            loaded.span(path)
            if loaded is not None
            else SourceSpan(self.files.get(origin, origin))
        )

    def parameter(self, name: str) -> Any:
        param = self.parameters.get(name)
        return None if param is None else param.value

    @property
    def has_score(self) -> bool:
        return any(rule.kind == "score" for rule in self.rules)
