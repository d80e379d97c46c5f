"""The rule kinds, one module each (its YAML shape and its behaviour), registered here.

Adding a kind is adding its module to this package: every module here with a `KIND`
is registered when the package is imported, and the rule-set model, the compiler,
both screeners, the decision and the renderers ask the registry (a worked example is
in docs/extending.md).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated, Any, Union

from pydantic import Field

from screening.kinds.base import Effect, Judge, RuleKind, Words


def _gravity(kind: RuleKind) -> tuple[int, bool, bool, str]:
    # what a failure does, gravest first; among kinds that change nothing, scores and
    # bonuses first: the order rules are listed in (schema, failures, documentation)
    return list(Effect).index(kind.effect), not kind.scored, not kind.bonus, kind.name


def _discover() -> dict[str, RuleKind]:
    found: dict[str, RuleKind] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        kind = getattr(module, "KIND", None)
        if isinstance(kind, RuleKind):
            if kind.name in found:
                raise ValueError(f"two rule kinds are called {kind.name!r}")
            found[kind.name] = kind
    return {kind.name: kind for kind in sorted(found.values(), key=_gravity)}


KINDS: dict[str, RuleKind] = _discover()

# the kinds whose failure changes the decision or the score, the gravest first:
# veto, gate, review, score for the shipped kinds
FAILING: tuple[str, ...] = tuple(
    kind.name
    for kind in KINDS.values()
    if kind.effect is not Effect.NONE or kind.scored
)


def get(name: str) -> RuleKind:
    """The kind called `name`."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(
            f"no such rule kind {name!r}; kinds: {', '.join(KINDS)}"
        ) from None


def rule_shape() -> Any:
    """The YAML shape of any rule: the kinds' shapes, told apart by `kind`."""
    shapes = tuple(kind.shape for kind in KINDS.values())
    return Annotated[Union[shapes], Field(discriminator="kind")]  # noqa: UP007 (a runtime tuple)


def _complete_the_model() -> None:
    # The rule-set model is declared with `defer_build`: pydantic builds its schema (the
    # costliest part of starting up) when a file is first validated, resolving
    # `RuleSpec` then; a file from the rule-set cache needs no schema at all.
    from screening.model import ruleset

    ruleset.RuleSpec = rule_shape()


_complete_the_model()

__all__ = [
    "FAILING",
    "KINDS",
    "Effect",
    "Judge",
    "RuleKind",
    "Words",
    "get",
    "rule_shape",
]
