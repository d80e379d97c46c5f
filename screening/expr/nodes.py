"""Expression tree nodes: immutable records with the offset they start at.

Plain classes with slots rather than frozen dataclasses: a dataclass compiles its
methods from source text when it is declared, about 1 ms a class, which every
`screening screen` paid for these eleven before it read a file. They behave as the
dataclasses did: keyword or positional construction (the offset first), equality and
hash by class and values (the offset is not compared), no assignment, a repr naming
every field, and they pickle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from operator import attrgetter
from typing import Any, ClassVar, NoReturn

_set = object.__setattr__


class Node:
    """A sub-expression; `offset` is where it starts in the expression's text."""

    __slots__ = ("offset",)
    _fields: ClassVar[tuple[str, ...]] = ()  # the values compared, hashed and shown
    # what equality and the hash compare: the values (one, or a tuple of several), read
    # by one C call; a bare node has none, so any two are equal
    _key: ClassVar[Callable[[Node], object]] = attrgetter("__class__")

    offset: int

    def __init__(self, offset: int = 0) -> None:
        _set(self, "offset", offset)

    def __init_subclass__(cls) -> None:
        # a class's own slots after those it inherits (Binary's, for Arith and Compare)
        cls._fields = (*cls._fields, *cls.__slots__)
        cls._key = attrgetter(*cls._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        key = type(self)._key
        return key(self) == key(other)  # other is of the same class

    def __hash__(self) -> int:
        return hash(type(self)._key(self))

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in ("offset", *self._fields)
        )
        return f"{type(self).__qualname__}({shown})"

    def __reduce__(self) -> tuple[type[Node], tuple[Any, ...]]:
        return type(self), (self.offset, *(getattr(self, f) for f in self._fields))

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"cannot assign to field {name!r} of an expression node")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"cannot delete field {name!r} of an expression node")


_NOTHING = Node()  # the default operand: a node with no value


class Number(Node):
    __slots__ = ("value",)
    value: Fraction

    def __init__(self, offset: int = 0, value: Fraction = Fraction(0)) -> None:
        _set(self, "offset", offset)
        _set(self, "value", value)


class Text(Node):
    __slots__ = ("value",)
    value: str

    def __init__(self, offset: int = 0, value: str = "") -> None:
        _set(self, "offset", offset)
        _set(self, "value", value)


class Boolean(Node):
    __slots__ = ("value",)
    value: bool

    def __init__(self, offset: int = 0, value: bool = False) -> None:
        _set(self, "offset", offset)
        _set(self, "value", value)


class ListOf(Node):
    __slots__ = ("items",)
    items: tuple[Node, ...]

    def __init__(self, offset: int = 0, items: tuple[Node, ...] = ()) -> None:
        _set(self, "offset", offset)
        _set(self, "items", items)


class Name(Node):
    """A dotted name: a project field, metric, parameter, derived fact or table."""

    __slots__ = ("name",)
    name: str

    def __init__(self, offset: int = 0, name: str = "") -> None:
        _set(self, "offset", offset)
        _set(self, "name", name)


class Unary(Node):
    __slots__ = ("op", "operand")
    op: str  # "-" or "not"
    operand: Node

    def __init__(self, offset: int = 0, op: str = "", operand: Node = _NOTHING) -> None:
        _set(self, "offset", offset)
        _set(self, "op", op)
        _set(self, "operand", operand)


class Binary(Node):
    """An operator between two sub-expressions: Arith or Compare."""

    __slots__ = ("op", "left", "right")
    op: str
    left: Node
    right: Node

    def __init__(
        self,
        offset: int = 0,
        op: str = "",
        left: Node = _NOTHING,
        right: Node = _NOTHING,
    ) -> None:
        _set(self, "offset", offset)
        _set(self, "op", op)
        _set(self, "left", left)
        _set(self, "right", right)


class Arith(Binary):
    """`left op right`, op one of + - * /."""

    __slots__ = ()


class Compare(Binary):
    """`left op right`, op one of < <= > >= == != in "not in"."""

    __slots__ = ()


class Logic(Node):
    __slots__ = ("op", "items")
    op: str  # "and" or "or"
    items: tuple[Node, ...]

    def __init__(
        self, offset: int = 0, op: str = "", items: tuple[Node, ...] = ()
    ) -> None:
        _set(self, "offset", offset)
        _set(self, "op", op)
        _set(self, "items", items)


class Call(Node):
    __slots__ = ("func", "args")
    func: str
    args: tuple[Node, ...]

    def __init__(
        self, offset: int = 0, func: str = "", args: tuple[Node, ...] = ()
    ) -> None:
        _set(self, "offset", offset)
        _set(self, "func", func)
        _set(self, "args", args)


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of a node."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
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


def names_read(
    node: Node, metrics: Mapping[str, Node], outside: str | None = None
) -> set[str]:
    """Every name the expression reads, metrics expanded (a metric's name and the names
    it reads); with `outside`, only those read outside any call of that function
    (inside `coalesce(…)`, a value-less parameter is a fallback not taken)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if (
            outside is not None
            and isinstance(current, Call)
            and current.func == outside
        ):
            continue
        if isinstance(current, Name) and current.name not in found:
            found.add(current.name)
            metric = metrics.get(current.name)
            if metric is not None:
                stack.append(metric)
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
