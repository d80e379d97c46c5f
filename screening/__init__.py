"""screening — 招商引资项目预评估规则引擎.

Public API: `load_ruleset`, `load_project`, `screen`, `Decision`, `Finding`;
nothing else is promised. The names are imported when first used, so that
`import screening` (and every `screening.*` module) does not pay for the rule-set
model, pydantic and the engine before it needs them.
"""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from screening.findings import Decision, Finding, Outcome, Status
    from screening.loader import load_ruleset
    from screening.model.effective import RuleSet
    from screening.model.project import Project

__all__ = [
    "Decision",
    "Finding",
    "Outcome",
    "Project",
    "RuleSet",
    "Status",
    "load_project",
    "load_ruleset",
    "screen",
]
__version__ = "0.1.0"

# public name → the module that defines it
_LAZY = {
    "Decision": "screening.findings",
    "Finding": "screening.findings",
    "Outcome": "screening.findings",
    "Status": "screening.findings",
    "load_ruleset": "screening.loader",
    "RuleSet": "screening.model.effective",
    "Project": "screening.model.project",
}


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'screening' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def load_project(path: str | Path) -> Project:
    """Read and validate a project (or case) file."""
    from screening.cases import load_case

    return load_case(path).project


def screen(
    project: Project, ruleset: RuleSet | str, as_of: dt.date | None = None
) -> Decision:
    """Screen one project against a rule set (object, id or path)."""
    from screening.loader import load_ruleset
    from screening.model.effective import RuleSet
    from screening.screener import Screener

    if not isinstance(ruleset, RuleSet):
        ruleset = load_ruleset(ruleset, as_of=as_of)
    return Screener(ruleset).screen(project)
