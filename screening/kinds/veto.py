"""veto (一票否决): a failure rejects the project whatever its score, and no figure can fix it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from screening.findings import Remedy
from screening.kinds.base import Effect, Judge
from screening.kinds.check import CheckKind, RemedyStep
from screening.model.ruleset import CheckRule

if TYPE_CHECKING:
    from screening.compile import RulePlan


class VetoRule(CheckRule):
    kind: Literal["veto"]


class Veto(CheckKind):
    name = "veto"
    shape = VetoRule
    effect = Effect.VETO

    def remedy(self, plan: RulePlan, judge: Judge) -> RemedyStep:
        return lambda run, actual, threshold: _VETOED


_VETOED = Remedy("veto")  # no change of figures can fix it


KIND = Veto()
