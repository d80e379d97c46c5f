"""Project and case files → validated `Project`s (and a case's expectations).

A case file is a project plus `ruleset:` (the rule set it is meant for) and an
`expect:` block; `screen` accepts case files and ignores both.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from screening.errors import ProjectError, SourceSpan
from screening.model.diagnose import diagnostics_from
from screening.model.project import Project
from screening.source import LoadedYaml, load_yaml_file

CASE_KEYS = ("ruleset", "expect", "description")


class ScoreRange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min: Decimal | None = None
    max: Decimal | None = None


class Expect(BaseModel):
    """What a case expects: a decision, optionally a score range and findings by rule id."""

    model_config = ConfigDict(extra="forbid")
    decision: Literal["pass", "review", "reject"]
    score: ScoreRange | None = None
    findings: dict[str, Literal["pass", "fail", "missing", "not_applicable"]] = Field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """A project file; for case files also the rule set id and expectations."""

    path: str
    project: Project
    ruleset: str | None
    expect: Expect | None
    loaded: LoadedYaml


def project_from_mapping(data: Any, loaded: LoadedYaml, prefix: tuple[Any, ...] = ()) -> Project:
    """Validate a project mapping; errors name the file line of each bad field."""
    if not isinstance(data, dict):
        raise ProjectError("项目文件应为映射（键: 值）/ a project is a mapping", loaded.span(prefix))
    try:
        return Project.model_validate(data)
    except ValidationError as exc:
        raise ProjectError("", diagnostics=diagnostics_from(exc, loaded, "PRJ", Project, prefix)) from None


def load_case(path: str | Path) -> Case:
    """Read a project or case file (YAML or JSON)."""
    loaded = load_yaml_file(path)
    data = loaded.data
    if not isinstance(data, dict):
        raise ProjectError("项目文件应为映射（键: 值）/ a project is a mapping", SourceSpan(str(path), 1, 1))
    project_data = {k: v for k, v in data.items() if k not in CASE_KEYS}
    project = project_from_mapping(project_data, loaded)
    expect = None
    if "expect" in data:
        try:
            expect = Expect.model_validate(data["expect"])
        except ValidationError as exc:
            raise ProjectError("", diagnostics=diagnostics_from(exc, loaded, "CAS", Expect, ("expect",))) from None
    ruleset = data.get("ruleset")
    if ruleset is not None and not isinstance(ruleset, str):
        raise ProjectError("ruleset 应为规则集 id / ruleset must be a rule set id", loaded.span(("ruleset",)))
    return Case(str(path), project, ruleset, expect, loaded)


def case_files(paths: list[str | Path]) -> list[Path]:
    """Files given, and *.yaml / *.yml / *.json under folders given, sorted."""
    out: list[Path] = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.suffix in (".yaml", ".yml", ".json") and f.is_file()
                              and "evaluations" not in f.relative_to(p).parts[:-1]))  # 亩均 evaluation cases
        else:
            out.append(p)
    return out
