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
        close: list[str] = []
        if model is not None:
            allowed = _allowed_keys(model, error["loc"][:-1])
            close = _close_matches(str(key), allowed, n=1, cutoff=0.5)
        del known
        return _unknown_key(key, close)
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
        return _unknown_kind(str(ctx.get("tag", "")), str(ctx.get("expected_tags")))
    if kind == "union_tag_not_found":
        return "规则缺少 kind / a rule needs a kind"
    given = error.get("input")
    if kind == "string_too_long" and isinstance(given, str):
        limit = ctx.get("max_length")
        return (
            f"应不超过 {limit} 个字符（实为 {len(given):,} 个）/ "
            f"at most {limit} characters (got {len(given):,})"
        )
    if kind == "string_too_short" and isinstance(given, str):
        limit = ctx.get("min_length")
        return f"应至少 {limit} 个字符 / at least {limit} characters"
    for prefix, text in _TYPE_MESSAGES:
        if kind.startswith(prefix):
            return f"{text}，实际为 {_cut(given)}"
    return f"{error['msg']} / {kind}"


_SHOWN = 40  # characters of a refused value a message repeats


def _cut(value: Any) -> str:
    """A refused value as a message shows it: its repr, cut to a short prefix (a
    2,000-character note or a deeply nested list is not repeated whole)."""
    try:
        shown = repr(value)
    except RecursionError:  # a value nested as deep as JSON allows
        return "[…]"
    return shown if len(shown) <= _SHOWN else shown[:_SHOWN] + "…"


def _unknown_kind(tag: str, expected: str) -> str:
    close = _close_matches(tag, sorted(_KIND_TAGS), n=1, cutoff=0.5)
    hint = f"（是否想写 {close[0]}？/ did you mean {close[0]}?）" if close else ""
    return f"未知的规则类型 {tag!r}{hint}；应为 {expected} 之一 / unknown rule kind"


def _unknown_key(key: Any, close: list[str]) -> str:
    hint = f"（是否想写 {close[0]}？/ did you mean {close[0]}?）" if close else ""
    return f"未知的键 {key!r}{hint} / unknown key"


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


def _rule_keys() -> list[str]:
    # every key some kind of rule takes: a key outside these is wrong whatever the kind
    keys = {
        info.alias or name
        for rule_kind in KINDS.values()
        for name, info in rule_kind.shape.model_fields.items()
    }
    return sorted(keys)


def _rule_without_kind(
    error: Any, loaded: LoadedYaml, code: str, at: tuple[Any, ...]
) -> list[Diagnostic]:
    """A rule whose kind is missing, misspelt as a key (`kin:`), or unknown: that
    problem at its own line, then every other problem the rule's keys show.

    With the kind's key misspelt but its value a kind, the rule is checked as that
    kind; otherwise only keys that no kind of rule takes can be called wrong.
    """
    rule: dict[Any, Any] = error["input"]
    known = _rule_keys()
    unknown = [key for key in rule if key not in known]
    close = {key: _close_matches(str(key), known, n=1, cutoff=0.5) for key in unknown}
    out: list[Diagnostic] = []
    kind_key = "kind" if "kind" in rule else None
    if kind_key is None:
        kind_key = next((key for key in unknown if close[key] == ["kind"]), None)
    if kind_key is None:
        out.append(
            Diagnostic(
                code, _message(error, None, None), loaded.span(at), field_path(at)
            )
        )
    elif kind_key != "kind":
        where = at + (kind_key,)
        out.append(
            Diagnostic(
                code,
                _unknown_key(kind_key, ["kind"]),
                loaded.key_span(where),
                field_path(where),
            )
        )
        tag = rule[kind_key]
        if isinstance(tag, str) and tag in KINDS:
            shape = KINDS[tag].shape
            as_written = {("kind" if k == kind_key else k): v for k, v in rule.items()}
            try:
                shape.model_validate(as_written)
            except ValidationError as exc:
                out += diagnostics_from(exc, loaded, code, shape, at)
            return out
    if kind_key is not None:
        tag = rule[kind_key]
        where = at + (kind_key,)
        if not (isinstance(tag, str) and tag in KINDS):
            expected = ", ".join(repr(name) for name in KINDS)
            message = _unknown_kind(str(tag), expected)
            out.append(Diagnostic(code, message, loaded.span(where), field_path(where)))
    for key in unknown:
        if key != kind_key:
            where = at + (key,)
            message = _unknown_key(key, close[key])
            out.append(
                Diagnostic(code, message, loaded.key_span(where), field_path(where))
            )
    return out


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
        if (
            error["type"] in ("union_tag_invalid", "union_tag_not_found")
            and (error.get("ctx") or {}).get("discriminator") == "'kind'"
            and isinstance(error.get("input"), dict)
        ):
            out += _rule_without_kind(error, loaded, code, at)
            continue
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
