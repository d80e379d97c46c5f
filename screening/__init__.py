"""screening — 招商引资项目预评估规则引擎.

Public API: `load_ruleset`, `load_project`, `screen`, `Decision`, `Finding`;
nothing else is promised.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from screening.cases import load_case
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


def load_project(path: str | Path) -> Project:
    """Read and validate a project (or case) file."""
    return load_case(path).project


def screen(
    project: Project, ruleset: RuleSet | str, as_of: dt.date | None = None
) -> Decision:
    """Screen one project against a rule set (object, id or path)."""
    from screening.screener import Screener

    if not isinstance(ruleset, RuleSet):
        ruleset = load_ruleset(ruleset, as_of=as_of)
    return Screener(ruleset).screen(project)
