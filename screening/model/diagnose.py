"""pydantic validation errors → diagnostics at the YAML line of the offending value."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from screening.errors import Diagnostic
from screening.kinds import KINDS
from screening.source import LoadedYaml, field_path

_KIND_TAGS = set(KINDS)


def _path(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # Discriminated unions add the tag ("veto") and function validators their name.
    return tuple(
        part
        for part in loc
        if part not in _KIND_TAGS
        and not (isinstance(part, str) and part.startswith("function-"))
    )


def _close_matches(word: str, known: list[str], n: int, cutoff: float) -> list[str]:
    import difflib  # only a misspelt key needs it: not imported by every command

    return difflib.get_close_matches(word, known, n=n, cutoff=cutoff)


def _message(error: Any, model: type[BaseModel] | None, parent: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        key = error["loc"][-1]
        known = list(parent.keys()) if isinstance(parent, dict) else []
        hint = ""
        if model is not None:
            allowed = _allowed_keys(model, error["loc"][:-1])
            close = _close_matches(str(key), allowed, n=1, cutoff=0.5)
            hint = (
                f"（是否想写 {close[0]}？/ did you mean {close[0]}?）" if close else ""
            )
        del known
        return f"未知的键 {key!r}{hint} / unknown key"
    if kind == "missing":
        return f"缺少必填项 {error['loc'][-1]!r} / required key missing"
    if kind in ("greater_than_equal", "greater_than"):
        return f"数值应{'不小于' if kind.endswith('equal') else '大于'} {ctx.get('ge', ctx.get('gt'))} / too small"
    if kind in ("less_than_equal", "less_than"):
        return f"数值超出合理范围（应不大于 {ctx.get('le', ctx.get('lt'))}）/ value out of range"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "literal_error":
        return f"取值应为 {ctx.get('expected')} / not an allowed value"
    if kind == "string_pattern_mismatch":
        return f"格式不符（应匹配 {ctx.get('pattern')}）/ wrong format"
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag", ""))
        close = _close_matches(tag, sorted(_KIND_TAGS), n=1, cutoff=0.5)
        hint = f"（是否想写 {close[0]}？/ did you mean {close[0]}?）" if close else ""
        return f"未知的规则类型 {tag!r}{hint}；应为 {ctx.get('expected_tags')} 之一 / unknown rule kind"
    if kind == "union_tag_not_found":
        return "规则缺少 kind / a rule needs a kind"
    for prefix, text in _TYPE_MESSAGES:
        if kind.startswith(prefix):
            return f"{text}，实际为 {error.get('input')!r}"
    return f"{error['msg']} / {kind}"


_TYPE_MESSAGES = (
    ("date", "应为日期，如 2024-02-01 / expected a date"),
    ("datetime", "应为日期，如 2024-02-01 / expected a date"),
    ("decimal", "应为数值 / expected a number"),
    ("float", "应为数值 / expected a number"),
    ("int", "应为整数 / expected a whole number"),
    ("bool", "应为 true 或 false / expected true or false"),
    ("string", "应为文本 / expected text"),
    ("list", "应为列表 / expected a list"),
    ("dict", "应为映射（键: 值）/ expected a mapping"),
    ("model", "应为映射（键: 值）/ expected a mapping"),
)


def describe(error: Any) -> str:
    """The zh/en sentence for one pydantic error, as project files get it."""
    return _message(error, None, None)


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        if isinstance(part, str) and part in _KIND_TAGS:
            current = KINDS[part].shape
            continue
        fields = getattr(current, "model_fields", {})
        info = fields.get(part)
        if info is None:
            return []
        current = _model_in(info.annotation)
    if current is None:
        return []
    return [info.alias or name for name, info in current.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def diagnostics_from(
    exc: ValidationError,
    loaded: LoadedYaml,
    code: str,
    model: type[BaseModel] | None = None,
    prefix: tuple[Any, ...] = (),
) -> list[Diagnostic]:
    """One diagnostic per pydantic error, placed at the nearest YAML node."""
    out = []
    for error in exc.errors():
        path = _path(tuple(error["loc"]))
        parent: Any = loaded.data
        for part in prefix + path[:-1]:
            parent = (
                parent.get(part)
                if isinstance(parent, dict)
                else (
                    parent[part]
                    if isinstance(parent, list)
                    and isinstance(part, int)
                    and part < len(parent)
                    else None
                )
            )
        at = prefix + path
        if error["type"] == "union_tag_invalid":
            at = at + ("kind",)  # point at the misspelt kind itself
        span = (
            loaded.key_span(at)
            if error["type"] == "extra_forbidden"
            else loaded.span(at)
        )
        out.append(
            Diagnostic(code, _message(error, model, parent), span, field_path(at))
        )
    return out
