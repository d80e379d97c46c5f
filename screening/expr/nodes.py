"""Expression tree nodes: frozen records with the offset they start at."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class Node:
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Number(Node):
    value: Fraction = Fraction(0)


@dataclass(frozen=True)
class Text(Node):
    value: str = ""


@dataclass(frozen=True)
class Boolean(Node):
    value: bool = False


@dataclass(frozen=True)
class ListOf(Node):
    items: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Name(Node):
    """A dotted name: a project field, metric, parameter, derived fact or table."""

    name: str = ""


@dataclass(frozen=True)
class Unary(Node):
    op: str = ""  # "-" or "not"
    operand: Node = field(default_factory=Node)


@dataclass(frozen=True)
class Arith(Node):
    op: str = ""  # + - * /
    left: Node = field(default_factory=Node)
    right: Node = field(default_factory=Node)


@dataclass(frozen=True)
class Compare(Node):
    op: str = ""  # < <= > >= == != in "not in"
    left: Node = field(default_factory=Node)
    right: Node = field(default_factory=Node)


@dataclass(frozen=True)
class Logic(Node):
    op: str = ""  # "and" or "or"
    items: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Call(Node):
    func: str = ""
    args: tuple[Node, ...] = ()


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of a node."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, (Arith, Compare)):
        return (node.left, node.right)
    if isinstance(node, Logic):
        return node.items
    if isinstance(node, ListOf):
        return node.items
    if isinstance(node, Call):
        return node.args
    return ()


def names(node: Node) -> set[str]:
    """Every name the expression mentions (tables included)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Name):
            found.add(current.name)
        stack.extend(children(current))
    return found


def calls(node: Node, func: str, metrics: Mapping[str, Node]) -> list[Call]:
    """Every call of `func` in the expression, metrics expanded where they are read, in
    the order they are written (each metric once)."""
    found: list[Call] = []
    seen: set[str] = set()

    def walk(current: Node) -> None:
        if isinstance(current, Call) and current.func == func:
            found.append(current)
        if (
            isinstance(current, Name)
            and current.name in metrics
            and current.name not in seen
        ):
            seen.add(current.name)
            walk(metrics[current.name])
        for child in children(current):
            walk(child)

    walk(node)
    return found
