"""Project and case files → validated `Project`s (and a case's expectations).

A case file is a project plus `ruleset:` (the rule set it is meant for) and an
`expect:` block; `screen` accepts case files and ignores both.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from screening.errors import (
    Diagnostic,
    ProjectError,
    RuleSetError,
    ScreeningError,
    SourceSpan,
)
from screening.model.diagnose import diagnostics_from
from screening.model.project import Project
from screening.source import LoadedYaml, load_yaml_file

CASE_KEYS = ("ruleset", "as_of", "expect", "description")


# A case's expectations are read only from case files (`screening test-cases`, or a case
# given to `screen`): their schemas are built when one is first read, not by every
# command that reads a project file.


class ScoreRange(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    min: Decimal | None = None
    max: Decimal | None = None


class Expect(BaseModel):
    """What a case expects: a decision, optionally a score range and findings by rule id."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    decision: Literal["pass", "review", "reject"]
    score: ScoreRange | None = None
    findings: dict[str, Literal["pass", "fail", "missing", "not_applicable"]] = Field(
        default_factory=dict
    )


class Case(NamedTuple):
    """A project file; for case files also the rule set id and expectations.

    A named tuple: a frozen dataclass costs `screening screen` about 1 ms to declare.
    """

    path: str
    project: Project
    ruleset: str | None
    expect: Expect | None
    loaded: LoadedYaml
    as_of: dt.date | None = None  # the day it is screened on (the rules in force then)


def project_from_mapping(
    data: Any, loaded: LoadedYaml, prefix: tuple[Any, ...] = ()
) -> Project:
    """Validate a project mapping; errors name the file line of each bad field."""
    if not isinstance(data, dict):
        raise ProjectError(
            "项目文件应为映射（键: 值）/ a project is a mapping", loaded.span(prefix)
        )
    try:
        return Project.model_validate(data)
    except ValidationError as exc:
        raise ProjectError(
            "", diagnostics=diagnostics_from(exc, loaded, "PRJ", Project, prefix)
        ) from None


# inputs of `screening batch`, not project files: named so, not misread as YAML
BATCH_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".tsv", ".jsonl", ".ods")
_RULESET_SUFFIXES = (".yaml", ".yml", ".json")


def load_case(path: str | Path) -> Case:
    """Read a project or case file (YAML or JSON).

    A `ruleset:` written as a relative file path is read from the case file's folder.
    """
    if Path(path).suffix.lower() in BATCH_SUFFIXES:
        raise ProjectError(
            "这是表格或 JSONL 文件，请用 `screening batch` 批量筛查；"
            "`screening screen` 读取单个项目的 YAML/JSON 文件 / "
            "a spreadsheet, CSV or JSONL file: screen it with `screening batch`",
            SourceSpan(str(path)),
        )
    loaded = load_yaml_file(path)
    data = loaded.data
    if not isinstance(data, dict):
        raise ProjectError(
            "项目文件应为映射（键: 值）/ a project is a mapping",
            SourceSpan(str(path), 1, 1),
        )
    project_data = {k: v for k, v in data.items() if k not in CASE_KEYS}
    project = project_from_mapping(project_data, loaded)
    expect = None
    if "expect" in data:
        try:
            expect = Expect.model_validate(data["expect"])
        except ValidationError as exc:
            raise ProjectError(
                "",
                diagnostics=diagnostics_from(exc, loaded, "CAS", Expect, ("expect",)),
            ) from None
    ruleset = data.get("ruleset")
    if ruleset is not None and not isinstance(ruleset, str):
        raise ProjectError(
            "ruleset 应为规则集 id / ruleset must be a rule set id",
            loaded.span(("ruleset",)),
        )
    if ruleset is not None and _is_relative_file(ruleset):
        ruleset = os.path.normpath(Path(path).parent / ruleset)
    as_of = _as_of(data.get("as_of"), loaded)
    return Case(str(path), project, ruleset, expect, loaded, as_of)


def _as_of(value: Any, loaded: LoadedYaml) -> dt.date | None:
    """A case's `as_of:` as a date (YAML reads 2023-06-24 as one; JSON gives text)."""
    if value is None or (
        isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    ):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ProjectError(
        f"as_of 应为日期 YYYY-MM-DD，实际为 {value!r} / as_of must be a date",
        loaded.span(("as_of",)),
    )


def _is_relative_file(ruleset: str) -> bool:
    as_path = Path(ruleset)
    return as_path.suffix.lower() in _RULESET_SUFFIXES and not as_path.is_absolute()


def ruleset_refused(case: Case, exc: ScreeningError) -> ScreeningError:
    """A case's `ruleset:` that does not load: its error, led by the case's line."""
    span = case.loaded.span(("ruleset",))
    first, *rest = exc.diagnostics
    if first.span is None:  # not found: the reason belongs at the case's line
        lead = Diagnostic(first.code, f"ruleset: {first.message}", span, "ruleset")
        return RuleSetError("", diagnostics=[lead, *rest])
    message = (
        f"ruleset: 规则集 {case.ruleset!r} 无法加载（原因见下）/ "
        "the case's rule set is refused:"
    )
    lead = Diagnostic("CAS", message, span, "ruleset")
    return RuleSetError("", diagnostics=[lead, *exc.diagnostics])


def default_cases() -> list[Path]:
    """The projects `test` and `diff` read when none are named: ./cases where the user
    keeps cases, else the shipped ones beside the shipped rule sets."""
    for folder in (Path("cases"), Path(__file__).resolve().parent.parent / "cases"):
        if folder.is_dir():
            return [folder]
    raise ProjectError(
        "未给出项目或案例文件，也找不到 cases/ 文件夹 / no project or case files given, "
        "and no cases/ folder: name them, e.g. screening diff OLD NEW leads/*.yaml"
    )


def case_files(paths: Sequence[str | Path]) -> list[Path]:
    """Files given, and *.yaml / *.yml / *.json under folders given, sorted."""
    out: list[Path] = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            out.extend(
                sorted(
                    f
                    for f in p.rglob("*")
                    if f.suffix in (".yaml", ".yml", ".json")
                    and f.is_file()
                    and "evaluations" not in f.relative_to(p).parts[:-1]
                )
            )  # 亩均 evaluation cases
        else:
            out.append(p)
    return out
