"""JSON Schema for evaluation schemes and evaluation case files, from the pydantic models."""

from __future__ import annotations

from typing import Any

from screening.evaluation.cases import EvaluationCase
from screening.evaluation.model import SchemeFile


def evaluation_schema(which: str) -> dict[str, Any]:
    """The schema of a scheme (`evaluation`) or of a case file (`evaluation-case`)."""
    if which == "evaluation":
        schema = SchemeFile.model_json_schema(by_alias=True)
        schema["title"] = "screening 亩均效益评价方案 / evaluation scheme"
        return schema
    schema = EvaluationCase.model_json_schema(by_alias=True)
    schema["title"] = "screening 亩均效益评价案例 / evaluation case"
    return schema
