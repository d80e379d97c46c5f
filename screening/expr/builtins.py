"""The built-in functions of the rule language, each declared once.

A `Builtin` holds everything the project knows about a function: its type rule
(checked at load time, with units), its compiled exact form (integer ratios, for the
screener), its reference form (plain Fractions, for `Screener(reference=True)`), and,
where durable-rules can match it natively, its engine condition. Adding a function
is adding one entry to `FUNCTIONS` below.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from screening.expr import nodes as n
from screening.expr.evaluate import Ctx, Evaluator, Missing, Undefined, table_key
from screening.expr.types import (
    BOOL,
    Scope,
    Type,
    check,
    check_number,
    comparable,
    error,
    same_unit,
    suggest,
)

if TYPE_CHECKING:
    from screening.expr.evaluate import _Compiler

# The reference interpreter's view of a call: evaluate an argument, and the rule set's tables.
Evaluate = Callable[[n.Node], Any]
EngineCondition = Callable[[n.Call, Any, bool], "dict[str, Any] | None"]


class Builtin(NamedTuple):
    """One function: how it is type-checked, compiled, evaluated for reference, and matched."""

    name: str
    check: Callable[[n.Call, Scope], Type]
    compile: Callable[[n.Call, _Compiler], Evaluator]
    reference: Callable[[n.Call, Evaluate, dict[str, Any]], Any]
    # durable-rules' own condition for the call, or None to evaluate it in Python (an atom)
    engine: EngineCondition | None = None


# --- lookup(table, key, …) ------------------------------------------------------------


def _check_lookup(node: n.Call, scope: Scope) -> Type:
    if not node.args or not isinstance(node.args[0], n.Name):
        raise error("lookup 的第一个参数应为查找表名 / lookup(table, key, …)", node)
    table = scope.get(node.args[0].name)
    if table is None or table.kind != "table":
        tables = [k for k, s in scope.items() if s.kind == "table"]
        raise error(
            f"未知的查找表 {node.args[0].name!r}{suggest(node.args[0].name, tables)} / unknown table",
            node.args[0],
        )
    keys = node.args[1:]
    if len(keys) != table.key_count:
        raise error(
            f"查找表 {node.args[0].name} 需要 {table.key_count} 个键，给了 {len(keys)} 个 / "
            f"table takes {table.key_count} key(s)",
            node,
        )
    for key in keys:
        found = check(key, scope)
        if found.kind not in ("text", "number"):
            raise error("查找键应为文本或数值 / a key must be text or a number", key)
    return table.type


def _cell(table_name: str, table: dict[str, Any], keys: list[str]) -> Any:
    """The cell at `keys`, the table's default, or Undefined (a "/" cell, an empty table)."""
    values, default = table["values"], table.get("default")
    if not values and default is None:
        raise Undefined("table_not_configured", table=table_name)
    cell: Any = values
    for key in keys:
        cell = cell.get(key) if isinstance(cell, dict) else None
        if cell is None:
            break
    if cell is None or isinstance(cell, dict):
        if default is None:
            raise Undefined("key_not_in_table", table=table_name, key="/".join(keys))
        cell = default
    return cell


def _compile_lookup(node: n.Call, compiler: _Compiler) -> Evaluator:
    name = node.args[0].name  # type: ignore[attr-defined]
    table = compiler.tables[name]
    keys = [compiler.build(arg) for arg in node.args[1:]]
    return lambda ctx: _cell(name, table, [table_key(key(ctx)) for key in keys])


def _reference_lookup(node: n.Call, evaluate: Evaluate, tables: dict[str, Any]) -> Any:
    name = node.args[0].name  # type: ignore[attr-defined]
    keys = [_fraction_key(evaluate(arg)) for arg in node.args[1:]]
    return _cell(name, tables[name], keys)


def _fraction_key(value: Any) -> str:
    if isinstance(value, Fraction):
        return table_key(value.as_integer_ratio())
    return table_key(value)


# --- min(a, b, …) and max(a, b, …) ------------------------------------------------------


def _check_minmax(node: n.Call, scope: Scope) -> Type:
    if len(node.args) < 2:
        raise error(
            f"{node.func} 至少需要两个参数 / needs at least two arguments", node
        )
    result = check_number(node.args[0], scope)
    for arg in node.args[1:]:
        result = Type(
            "number", same_unit(result, check_number(arg, scope), node, node.func)
        )
    return result


def _compile_extreme(larger: bool) -> Callable[[n.Call, _Compiler], Evaluator]:
    def build(node: n.Call, compiler: _Compiler) -> Evaluator:
        args = [compiler.build(arg) for arg in node.args]

        def extreme(ctx: Ctx) -> tuple[int, int]:
            best: tuple[int, int] = args[0](ctx)
            for arg in args[1:]:
                other = arg(ctx)
                x, y = other[0] * best[1], best[0] * other[1]
                if (
                    (x > y) if larger else (x < y)
                ):  # on a tie the first stays, as min() keeps it
                    best = other
            return best

        return extreme

    return build


# --- startswith(text, "prefix", …) ------------------------------------------------------


def _check_startswith(node: n.Call, scope: Scope) -> Type:
    if len(node.args) < 2:
        raise error("startswith(文本, 前缀, …) 至少需要一个前缀 / needs a prefix", node)
    for arg in node.args:
        if check(arg, scope).kind != "text":
            raise error("startswith 的参数应为文本 / startswith takes text", arg)
    for arg in node.args[1:]:
        if not isinstance(arg, n.Text):
            raise error(
                '前缀应为字符串常量，如 "C26" / prefixes must be string constants', arg
            )
    return BOOL


def _compile_startswith(node: n.Call, compiler: _Compiler) -> Evaluator:
    text = compiler.build(node.args[0])
    prefixes = tuple(arg.value for arg in node.args[1:])  # type: ignore[attr-defined]
    return lambda ctx: text(ctx).startswith(prefixes)


def _engine_startswith(
    node: n.Call, builder: Any, negate: bool
) -> dict[str, Any] | None:
    # a field the engine holds natively is matched by a regular expression (durable's
    # $mt), so the prefix test costs no Python atom; its negation stays an atom
    target = node.args[0]
    if negate or not isinstance(target, n.Name) or not builder.is_native(target.name):
        return None
    prefixes = "|".join(re.escape(arg.value) for arg in node.args[1:])  # type: ignore[attr-defined]
    return {"$mt": {builder.key(target.name): f"({prefixes})[0-9A-Za-z]*"}}


# --- between(value, low, high) ----------------------------------------------------------


def _check_between(node: n.Call, scope: Scope) -> Type:
    if len(node.args) != 3:
        raise error("between(值, 下限, 上限) 需要三个参数 / between(x, lo, hi)", node)
    value, low, high = (check_number(arg, scope) for arg in node.args)
    same_unit(value, low, node, "between")
    same_unit(value, high, node, "between")
    return BOOL


def _compile_between(node: n.Call, compiler: _Compiler) -> Evaluator:
    value, low, high = (compiler.build(arg) for arg in node.args)

    def between(ctx: Ctx) -> bool:
        (a, b), (c, d), (e, f) = value(ctx), low(ctx), high(ctx)
        inside: bool = c * b <= a * d and a * f <= e * b
        return inside

    return between


def _engine_between(node: n.Call, builder: Any, negate: bool) -> dict[str, Any]:
    # two signs the engine compares, so each bound is decided exactly in Python
    value, low, high = node.args
    parts = (
        n.Compare(node.offset, ">=", value, low),
        n.Compare(node.offset, "<=", value, high),
    )
    return builder.condition(n.Logic(node.offset, "and", parts), negate)  # type: ignore[no-any-return]


# --- coalesce(a, b, …) ------------------------------------------------------------------


def _check_coalesce(node: n.Call, scope: Scope) -> Type:
    if len(node.args) < 2:
        raise error("coalesce 至少需要两个参数 / needs at least two arguments", node)
    first = check(node.args[0], scope)
    for arg in node.args[1:]:
        other = check(arg, scope)
        comparable(first, other, arg)
        if first.kind == "number" and first.unit is None:
            first = other
    return first


def _first_present(values: list[Callable[[], Any]]) -> Any:
    missing: set[str] = set()
    for value in values:
        try:
            return value()
        except Missing as exc:
            missing |= exc.names
    raise Missing(frozenset(missing))


def _compile_coalesce(node: n.Call, compiler: _Compiler) -> Evaluator:
    args = [compiler.build(arg) for arg in node.args]
    return lambda ctx: _first_present([partial(arg, ctx) for arg in args])


def _reference_coalesce(
    node: n.Call, evaluate: Evaluate, tables: dict[str, Any]
) -> Any:
    return _first_present([partial(evaluate, arg) for arg in node.args])


FUNCTIONS: dict[str, Builtin] = {
    b.name: b
    for b in (
        Builtin("lookup", _check_lookup, _compile_lookup, _reference_lookup),
        Builtin(
            "min",
            _check_minmax,
            _compile_extreme(False),
            lambda node, evaluate, tables: min(evaluate(arg) for arg in node.args),
        ),
        Builtin(
            "max",
            _check_minmax,
            _compile_extreme(True),
            lambda node, evaluate, tables: max(evaluate(arg) for arg in node.args),
        ),
        Builtin(
            "startswith",
            _check_startswith,
            _compile_startswith,
            lambda node, evaluate, tables: evaluate(node.args[0]).startswith(
                tuple(arg.value for arg in node.args[1:])  # type: ignore[attr-defined]
            ),
            _engine_startswith,
        ),
        Builtin(
            "between",
            _check_between,
            _compile_between,
            lambda node, evaluate, tables: (
                evaluate(node.args[1])
                <= evaluate(node.args[0])
                <= evaluate(node.args[2])
            ),
            _engine_between,
        ),
        Builtin("coalesce", _check_coalesce, _compile_coalesce, _reference_coalesce),
    )
}
