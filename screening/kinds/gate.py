"""gate (硬性门槛): a threshold the project must meet; a failure rejects it, with what would meet it."""

from __future__ import annotations

from typing import Literal

from screening.kinds.check import CheckKind
from screening.model.ruleset import CheckRule


class GateRule(CheckRule):
    kind: Literal["gate"]


class Gate(CheckKind):
    name = "gate"
    shape = GateRule


KIND = Gate()
