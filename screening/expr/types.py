"""Type checking of expression trees against a scope of names, with units.

A number type carries a unit, or None for a bare literal that adopts the unit of
whatever it meets (250 compared with 万元/亩 is 250 万元/亩).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from screening.errors import ExpressionError
from screening.expr import nodes as n
from screening.expr.lexer import offset_span
from screening.expr.units import divide, multiply


class Type(NamedTuple):
    """bool, text, number (with unit) or list (of an item type)."""

    kind: str
    unit: str | None = None
    item: Type | None = None

    def describe(self) -> str:
        if self.kind == "number" and self.unit:
            return f"number [{self.unit}]"
        if self.kind == "list" and self.item:
            return f"list of {self.item.describe()}"
        return self.kind


BOOL = Type("bool")
TEXT = Type("text")
NUMBER = Type("number")


class Symbol(NamedTuple):
    """What a name refers to: field, metric, parameter, derived, or table."""

    kind: str
    type: Type
    key_count: int = 0  # tables: how many keys a lookup takes
    # unset: why the derived fact is not set (its rule not applied), zh and en
    note: tuple[str, str] = ("", "")


Scope = Mapping[str, Symbol]


def error(message: str, node: n.Node) -> ExpressionError:
    """An ExpressionError placed at `node`."""
    return ExpressionError(message, offset_span(node.offset))


def suggest(name: str, known: list[str]) -> str:
    """A ' (是否想写 x？/ did you mean x?)' hint, or ''."""
    import difflib  # only a misspelt name needs it: not imported by every command

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"（是否想写 {close[0]}？/ did you mean {close[0]}?）" if close else ""


def check(node: n.Node, scope: Scope) -> Type:
    """The type of `node`, or ExpressionError at the offending sub-expression."""
    return _CHECKERS[type(node)](node, scope)


def check_bool(node: n.Node, scope: Scope) -> Type:
    found = check(node, scope)
    if found.kind != "bool":
        raise error(
            f"条件应为真/假，这里是 {found.describe()} / a condition must be boolean",
            node,
        )
    return found


def check_number(node: n.Node, scope: Scope) -> Type:
    found = check(node, scope)
    if found.kind != "number":
        raise error(f"应为数值，这里是 {found.describe()} / expected a number", node)
    return found


def same_unit(left: Type, right: Type, node: n.Node, what: str) -> str | None:
    """The unit both sides share (a bare literal adopts the other's), or an error."""
    if left.unit is None:
        return right.unit
    if right.unit is None or left.unit == right.unit:
        return left.unit
    raise error(
        f"{what}两边单位不一致：{left.unit or '无量纲'} 与 {right.unit or '无量纲'}，请先换算 / "
        f"units differ ({left.unit!r} vs {right.unit!r}); convert first",
        node,
    )


def _name(node: n.Name, scope: Scope) -> Type:
    symbol = scope.get(node.name)
    if symbol is None:
        hint = suggest(node.name, [k for k, s in scope.items() if s.kind != "table"])
        raise error(f"未知的名称 {node.name!r}{hint} / unknown name", node)
    if symbol.kind == "unset":
        zh, en = symbol.note
        raise error(
            f"派生事实 {node.name!r} 未设定：{zh}；读取它的规则也须停用或设同样的有效期 / "
            f"the derived fact {node.name!r} is not set: {en}; a rule reading it must "
            "be disabled or dated alike",
            node,
        )
    if symbol.kind == "table":
        raise error(
            f"{node.name!r} 是查找表，请写 lookup({node.name}, …) / use lookup() for tables",
            node,
        )
    return symbol.type


def _unary(node: n.Unary, scope: Scope) -> Type:
    if node.op == "not":
        return check_bool(node.operand, scope)
    return check_number(node.operand, scope)


def _arith(node: n.Arith, scope: Scope) -> Type:
    left, right = check_number(node.left, scope), check_number(node.right, scope)
    if node.op in "+-":
        return Type("number", same_unit(left, right, node, "加减"))
    if left.unit is None or right.unit is None:
        unit = left.unit if right.unit is None else right.unit
        if node.op == "/" and left.unit is None and right.unit is not None:
            unit = divide("", right.unit)
        return Type("number", unit)
    combine = multiply if node.op == "*" else divide
    return Type("number", combine(left.unit, right.unit))


def _compare(node: n.Compare, scope: Scope) -> Type:
    left = check(node.left, scope)
    right = check(node.right, scope)
    if node.op in ("in", "not in"):
        if right.kind != "list" or right.item is None:
            raise error(
                'in 的右边应为列表，如 ["a", "b"] / \'in\' needs a list', node.right
            )
        comparable(left, right.item, node)
        return BOOL
    comparable(left, right, node)
    if node.op not in ("==", "!=") and left.kind != "number":
        raise error(f"{node.op} 只能比较数值 / {node.op} compares numbers only", node)
    return BOOL


def comparable(left: Type, right: Type, node: n.Node) -> None:
    """An error unless the two types (and their units) can be compared."""
    if left.kind != right.kind:
        raise error(
            f"不能比较 {left.describe()} 与 {right.describe()} / cannot compare these types",
            node,
        )
    if left.kind == "number":
        same_unit(left, right, node, "比较")


def _logic(node: n.Logic, scope: Scope) -> Type:
    for item in node.items:
        check_bool(item, scope)
    return BOOL


def _list(node: n.ListOf, scope: Scope) -> Type:
    if not node.items:
        raise error("列表不能为空 / empty list", node)
    item_types = [check(item, scope) for item in node.items]
    for item, found in zip(node.items, item_types, strict=True):
        if not isinstance(item, (n.Number, n.Text, n.Boolean)):
            raise error("列表只能包含常量 / list items must be constants", item)
        if found.kind != item_types[0].kind:
            raise error("列表元素类型不一致 / list items must share one type", item)
    return Type("list", item=item_types[0])


def _call(node: n.Call, scope: Scope) -> Type:
    from screening.expr.builtins import FUNCTIONS  # the registry imports this module

    builtin = FUNCTIONS.get(node.func)
    if builtin is None:
        raise error(
            f"未知的函数 {node.func!r}{suggest(node.func, list(FUNCTIONS))} / unknown function",
            node,
        )
    return builtin.check(node, scope)


_CHECKERS: dict[type, Callable[[n.Node, Scope], Type]] = {
    n.Number: lambda node, scope: NUMBER,
    n.Text: lambda node, scope: TEXT,
    n.Boolean: lambda node, scope: BOOL,
    n.ListOf: _list,  # type: ignore[dict-item]
    n.Name: _name,  # type: ignore[dict-item]
    n.Unary: _unary,  # type: ignore[dict-item]
    n.Arith: _arith,  # type: ignore[dict-item]
    n.Compare: _compare,  # type: ignore[dict-item]
    n.Logic: _logic,  # type: ignore[dict-item]
    n.Call: _call,  # type: ignore[dict-item]
}
