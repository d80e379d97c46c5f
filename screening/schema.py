"""JSON Schema for rule sets and for project / case files, from the pydantic models."""

from __future__ import annotations

import json
from typing import Any

from screening.cases import Expect
from screening.model.project import Project
from screening.model.ruleset import RuleSetFile

SCHEMAS = ("ruleset", "project", "evaluation", "evaluation-case")


def json_schema(which: str) -> dict[str, Any]:
    """The schema named `which` (ruleset or project); a project schema also admits case keys."""
    if which in ("evaluation", "evaluation-case"):
        from screening.evaluation.schema import evaluation_schema

        return evaluation_schema(which)
    if which == "ruleset":
        schema = RuleSetFile.model_json_schema(by_alias=True)
        schema["title"] = "screening rule set / 规则集"
        return schema
    schema = Project.model_json_schema()
    expect = Expect.model_json_schema()
    schema.setdefault("$defs", {}).update(expect.pop("$defs", {}))
    schema["$defs"]["Expect"] = expect
    schema["properties"]["ruleset"] = {
        "type": "string",
        "description": "case files: the rule set id the case is for",
    }
    schema["properties"]["as_of"] = {
        "type": "string",
        "format": "date",
        "description": "case files: screen on this day (the rules in force then)",
    }
    schema["properties"]["expect"] = {"$ref": "#/$defs/Expect"}
    schema["properties"]["description"] = {"type": "string"}
    schema["title"] = "screening project or case / 项目或案例"
    return schema


def render_schema(which: str) -> str:
    return (
        json.dumps(json_schema(which), ensure_ascii=False, indent=2, sort_keys=True)
        + "\n"
    )
