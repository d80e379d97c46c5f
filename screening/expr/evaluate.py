"""Type-checked trees → Python closures, evaluated exactly in integer arithmetic.

A number is carried as a ratio of two integers `(numerator, denominator)`, the
denominator positive and the pair not necessarily in lowest terms: every operation
is a few integer products, with no rounding and no normalisation, so 4500 / 15 is
exactly 300 and a value equal to its threshold compares equal. Comparisons
cross-multiply (a/b ≥ c/d as a·d ≥ c·b). Text, booleans and lists of constants are
carried as they are.

An absent input raises `Missing`; a value that has no meaning for this project
(division by zero, an unconfigured table) raises `Undefined`. Nothing here calls
`eval`. Built-in functions are declared in `screening.expr.builtins`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Context, Decimal
from fractions import Fraction
from math import gcd
from typing import Any

from screening.expr import nodes as n

Pair = tuple[int, int]
Evaluator = Callable[["Ctx"], Any]

_SPELLING = Context(prec=28)  # for spelling a lookup key, never for deciding


class Missing(Exception):
    """An input the expression needs is absent."""

    def __init__(self, names: frozenset[str]) -> None:
        super().__init__(", ".join(sorted(names)))
        self.names = names


# an Undefined's code when a divisor is 0 (`divisor`: the inputs that are 0)
ZERO_DIVISOR = "division_by_zero"


class Undefined(Exception):
    """The expression has no value for this project; `code` picks the message."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class Ctx:
    """One project's values, with its numbers as ratios and its metrics, each computed once."""

    __slots__ = ("values", "metrics", "_numbers", "_results")

    def __init__(
        self, values: Mapping[str, Any], metrics: Mapping[str, Evaluator]
    ) -> None:
        self.values = values
        self.metrics = metrics
        self._numbers: dict[str, Pair] = {}
        self._results: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        """An input or metric: a number as a ratio, text and booleans as they are;
        Missing when absent."""
        found = self._numbers.get(name)
        if found is not None:
            return found
        return self.read(name)

    def read(self, name: str) -> Any:
        """`get` for a name not yet read as a number."""
        value = self.values.get(name)
        if value is None:
            if name in self.metrics:
                return self.metric(name)
            raise Missing(frozenset((name,)))
        kind = type(value)
        if kind is Decimal:  # inputs are Decimals: read once as a ratio
            found = self._numbers[name] = value.as_integer_ratio()
            return found
        if kind is str or kind is bool:
            return value
        found = self._numbers[name] = as_pair(value)
        return found

    def metric(self, name: str) -> Any:
        """A metric's value, computed once for this project (its Missing or Undefined too)."""
        result = self._results.get(name, _ABSENT)
        if result is _ABSENT:
            try:
                result = self.metrics[name](self)
            except (Missing, Undefined) as exc:
                result = exc
            self._results[name] = result
            if type(result) is tuple:  # a number: `get` finds it at its first look
                self._numbers[name] = result
        if isinstance(result, Exception):
            raise result
        return result


_ABSENT = object()


def as_pair(value: Any) -> Pair:
    """A Decimal, int or Fraction as (numerator, denominator > 0)."""
    if isinstance(value, (Decimal, Fraction, int)) and not isinstance(value, bool):
        return value.as_integer_ratio()
    raise TypeError(f"not a number: {value!r}")


def to_fraction(value: Any) -> Any:
    """A ratio as a Fraction; other values (text, booleans, None) unchanged."""
    if type(value) is tuple:
        return exact(*value)
    return value


def _coprime_maker() -> Callable[[int, int], Fraction]:
    """How to make a Fraction from a numerator and a positive denominator already in
    lowest terms, skipping the checks `Fraction(num, den)` makes of its arguments (half
    its cost, and findings and remedies make several a project): Fraction's own
    constructor for that on Python 3.12+, else its two slots set directly. Checked
    once here against `Fraction(num, den)`; the public constructor if they differ."""
    from_coprime = getattr(Fraction, "_from_coprime_ints", None)
    if from_coprime is not None:
        make: Callable[[int, int], Fraction] = from_coprime
    else:
        new = object.__new__

        def make(num: int, den: int) -> Fraction:
            made = new(Fraction)
            made._numerator = num  # type: ignore[attr-defined]
            made._denominator = den  # type: ignore[attr-defined]
            return made

    try:
        sample, expected = make(-3, 4), Fraction(-3, 4)
        same = (
            type(sample) is Fraction
            and sample == expected
            and hash(sample) == hash(expected)
            and (sample.numerator, sample.denominator) == (-3, 4)
            and str(sample) == str(expected)
        )
    except Exception:
        same = False
    return make if same else Fraction


_coprime = _coprime_maker()
# whether `_coprime` sets the two slots itself, so `exact` can do that inline (one call
# fewer a Fraction: findings and remedies make several a project)
_SLOTS = (
    getattr(Fraction, "_from_coprime_ints", None) is None and _coprime is not Fraction
)
_new_object = object.__new__


def exact(num: int, den: int) -> Fraction:
    """The ratio num / den (den ≠ 0) as a Fraction in lowest terms: `Fraction(num, den)`,
    made for the integers the evaluators give."""
    if den <= 0:
        if den == 0:
            raise ZeroDivisionError(f"Fraction({num}, 0)")
        num, den = -num, -den
    divisor = gcd(num, den)
    if divisor != 1:
        num //= divisor
        den //= divisor
    if _SLOTS:
        made = _new_object(Fraction)
        made._numerator = num  # type: ignore[attr-defined]
        made._denominator = den  # type: ignore[attr-defined]
        return made
    return _coprime(num, den)


def sign(left: Pair, right: Pair) -> int:
    """-1, 0 or 1 as left is below, equal to or above right."""
    x, y = left[0] * right[1], right[0] * left[1]
    return (x > y) - (x < y)


def table_key(value: Any) -> str:
    """How a lookup key is spelled in a table: 5 → "5", 1/2 → "0.5", text as it is."""
    if type(value) is tuple:
        num, den = value
        if num % den == 0:
            return str(num // den)
        return str(_SPELLING.divide(Decimal(num), Decimal(den)))
    return str(value)


def compile_expr(
    node: n.Node, tables: Mapping[str, Any], constants: Mapping[str, Any]
) -> Evaluator:
    """A closure computing `node` for one `Ctx`; numbers come back as ratios.

    `constants` are parameters (Decimal, int, text, bool, a list, or None when unset),
    inlined at compile time; `tables` map a table name to `{"values": cells, "default": …}`.
    """
    return _Compiler(tables, constants).build(node)


def constant(value: Any) -> Any:
    """A parameter or table cell in the evaluator's form: numbers as ratios, lists as sets."""
    if isinstance(value, (list, tuple, frozenset, set)):
        return frozenset(constant(item) for item in value)
    if isinstance(value, (Decimal, Fraction, int)) and not isinstance(value, bool):
        num, den = value.as_integer_ratio()
        return (num, den)
    return value


class _Compiler:
    """Builds closures node by node; calls are delegated to the built-in registry."""

    def __init__(self, tables: Mapping[str, Any], constants: Mapping[str, Any]) -> None:
        self.tables = tables
        self.constants = constants

    def build(self, node: n.Node) -> Evaluator:
        return _BUILDERS[type(node)](self, node)

    def _number(self, node: n.Number) -> Evaluator:
        value = node.value.as_integer_ratio()
        return lambda ctx: value

    def _literal(self, node: n.Text | n.Boolean) -> Evaluator:
        value = node.value
        return lambda ctx: value

    def _list(self, node: n.ListOf) -> Evaluator:
        value = frozenset(_reduced(constant(item.value)) for item in node.items)  # type: ignore[attr-defined]
        return lambda ctx: value

    def _name(self, node: n.Name) -> Evaluator:
        name = node.name
        if name in self.constants:
            value = constant(self.constants[name])
            if value is None:
                missing = frozenset((name,))

                def unset(ctx: Ctx) -> Any:
                    raise Missing(missing)

                return unset
            return lambda ctx: value

        def read(ctx: Ctx) -> Any:
            found = ctx._numbers.get(name)  # a number already read: the common case
            return ctx.read(name) if found is None else found

        return read

    def _unary(self, node: n.Unary) -> Evaluator:
        operand = self.build(node.operand)
        if node.op == "not":
            return lambda ctx: not operand(ctx)

        def negate(ctx: Ctx) -> Pair:
            num, den = operand(ctx)
            return -num, den

        return negate

    def _arith(self, node: n.Arith) -> Evaluator:
        left, right = self.build(node.left), self.build(node.right)
        op = node.op
        if op == "+":

            def add(ctx: Ctx) -> Pair:
                (a, b), (c, d) = left(ctx), right(ctx)
                return a * d + c * b, b * d

            return add
        if op == "-":

            def subtract(ctx: Ctx) -> Pair:
                (a, b), (c, d) = left(ctx), right(ctx)
                return a * d - c * b, b * d

            return subtract
        if op == "*":

            def multiply(ctx: Ctx) -> Pair:
                (a, b), (c, d) = left(ctx), right(ctx)
                return a * c, b * d

            return multiply
        divisor = node.right

        def divide(ctx: Ctx) -> Pair:
            (a, b), (c, d) = left(ctx), right(ctx)
            if c > 0:
                return a * d, b * c
            if c < 0:
                return -a * d, -b * c
            raise Undefined(ZERO_DIVISOR, divisor=zero_inputs(divisor, ctx.get))

        return divide

    def _compare(self, node: n.Compare) -> Evaluator:
        left, right = self.build(node.left), self.build(node.right)
        op = node.op
        if op in ("in", "not in"):
            inside = op == "in"
            return lambda ctx: (_reduced(left(ctx)) in right(ctx)) is inside
        test = _TESTS[op]

        def compare(ctx: Ctx) -> bool:
            a, b = left(ctx), right(ctx)
            if type(a) is tuple:
                return test(a[0] * b[1], b[0] * a[1])
            return test(
                a, b
            )  # text or booleans: == and != only (the type checker saw to it)

        return compare

    def _logic(self, node: n.Logic) -> Evaluator:
        items = [self.build(item) for item in node.items]
        if node.op == "and":
            return lambda ctx: all(item(ctx) for item in items)
        return lambda ctx: any(item(ctx) for item in items)

    def _call(self, node: n.Call) -> Evaluator:
        from screening.expr.builtins import FUNCTIONS

        return FUNCTIONS[node.func].compile(node, self)


def zero_inputs(divisor: n.Node, get: Callable[[str], Any]) -> tuple[str, ...]:
    """The names in a divisor that is zero whose value is zero, for the message to name
    them (every name it reads when none is zero by itself, as in `a - b`)."""
    names = sorted(n.names(divisor))
    zero = []
    for name in names:
        try:
            value = get(name)
        except (Missing, Undefined):  # a parameter, or a metric unset
            continue
        if (
            type(value) is tuple
            and value[0] == 0
            or not isinstance(value, (bool, str, tuple))
            and value == 0
        ):
            zero.append(name)
    return tuple(zero) or tuple(names)


def _reduced(value: Any) -> Any:
    if type(value) is tuple:
        return Fraction(*value).as_integer_ratio()
    return value


_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
    "==": lambda x, y: x == y,
    "!=": lambda x, y: x != y,
}

_BUILDERS: dict[type, Callable[[_Compiler, Any], Evaluator]] = {
    n.Number: _Compiler._number,
    n.Text: _Compiler._literal,
    n.Boolean: _Compiler._literal,
    n.ListOf: _Compiler._list,
    n.Name: _Compiler._name,
    n.Unary: _Compiler._unary,
    n.Arith: _Compiler._arith,
    n.Compare: _Compiler._compare,
    n.Logic: _Compiler._logic,
    n.Call: _Compiler._call,
}
