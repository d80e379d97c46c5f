"""The rule kinds, one module each (its YAML shape and its behaviour), registered here.

Adding a kind is adding its module and one line to `_MODULES`: the rule-set model,
the compiler, both screeners, the decision and the renderers all ask the registry.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field

from screening.kinds import bonus, derive, gate, info, review, score, veto
from screening.kinds.base import Effect, Judge, RuleKind, Words

_MODULES = (veto, gate, review, score, bonus, derive, info)

KINDS: dict[str, RuleKind] = {module.KIND.name: module.KIND for module in _MODULES}


def get(name: str) -> RuleKind:
    """The kind called `name`."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"no such rule kind {name!r}; kinds: {', '.join(KINDS)}") from None


def rule_shape() -> Any:
    """The YAML shape of any rule: the kinds' shapes, told apart by `kind`."""
    shapes = tuple(kind.shape for kind in KINDS.values())
    return Annotated[Union[shapes], Field(discriminator="kind")]  # noqa: UP007 (a runtime tuple)


def _complete_the_model() -> None:
    from screening.model import ruleset

    ruleset.RuleSpec = rule_shape()  # type: ignore[attr-defined]
    ruleset.RuleSetFile.model_rebuild()


_complete_the_model()

__all__ = ["KINDS", "Effect", "Judge", "RuleKind", "Words", "get", "rule_shape"]
