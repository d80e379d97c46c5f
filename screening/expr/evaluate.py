"""Type-checked trees → Python closures evaluated in exact arithmetic.

Two compiled forms of every expression give the same exact answers:
* exact rationals (`Fraction`): always exact, slow;
* `Decimal`, evaluated inside `EXACT` — a context that traps Inexact, so any
  result it returns is exact; a division that does not terminate (1000 / 3)
  raises `Inexact` and the caller falls back to the rational form.
So 4500 / 15 is exactly 300 and a value equal to its threshold compares equal.
An absent input raises `Missing`; a value that has no meaning for this project
(division by zero, an unconfigured table) raises `Undefined`. Nothing here calls `eval`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow
from fractions import Fraction
from typing import Any

from screening.expr import nodes as n

Evaluator = Callable[["Env"], Any]

# Decimal arithmetic that refuses to round: a result computed under it is exact.
EXACT = Context(prec=60, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow])
_ROUNDING = Context(prec=28)  # for spelling a key, never for deciding


class Missing(Exception):
    """An input the expression needs is absent."""

    def __init__(self, names: frozenset[str]) -> None:
        super().__init__(", ".join(sorted(names)))
        self.names = names


class Undefined(Exception):
    """The expression has no value for this project; `code` picks the message."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class Env:
    """One project's values plus lazily computed, memoised metrics, in both number forms."""

    __slots__ = ("values", "metrics", "decimal_metrics", "_exact", "_memo", "_decimal_memo")

    def __init__(self, values: dict[str, Any], metrics: Mapping[str, Evaluator],
                 decimal_metrics: Mapping[str, Evaluator] | None = None) -> None:
        self.values = values
        self.metrics = metrics
        self.decimal_metrics = decimal_metrics or {}
        self._exact: dict[str, Fraction] = {}
        self._memo: dict[str, Any] = {}
        self._decimal_memo: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        """A value as an exact rational (numbers) or as it is (text, booleans)."""
        value = self.values.get(name, _ABSENT)
        if value is not _ABSENT:
            if type(value) is Decimal:  # converted on first use: most fields are never read
                exact = self._exact.get(name)
                if exact is None:
                    exact = self._exact[name] = Fraction(value)
                return exact
            return value
        return self._metric(name, self.metrics, self._memo)

    def get_ratio(self, name: str) -> tuple[int, int]:
        """A number as `get` gives it, as (numerator, denominator) in lowest terms.

        Cheaper than `get` for an input: building a Fraction from a Decimal costs
        several times more than the ratio.
        """
        value = self.values.get(name, _ABSENT)
        if type(value) is Decimal:
            return value.as_integer_ratio()
        value = self.get(name)
        return value.numerator, value.denominator

    def get_decimal(self, name: str) -> Any:
        """A value as a Decimal (numbers) or as it is; metrics evaluated in Decimal form."""
        value = self.values.get(name, _ABSENT)
        if value is not _ABSENT:
            return value
        return self._metric(name, self.decimal_metrics, self._decimal_memo)

    def _metric(self, name: str, metrics: Mapping[str, Evaluator], memo: dict[str, Any]) -> Any:
        metric = metrics.get(name)
        if metric is None:
            raise Missing(frozenset((name,)))
        if name not in memo:
            try:
                memo[name] = metric(self)
            except (Missing, Undefined, Inexact) as exc:
                memo[name] = exc
        result = memo[name]
        if isinstance(result, Exception):
            raise result
        return result


_ABSENT = object()


def zero_inputs(divisor: n.Node, env: Env) -> tuple[str, ...]:
    """The names in a divisor that is zero whose value is zero, for the message to name
    them (every name it reads when none is zero by itself, as in `a - b`)."""
    names = sorted(n.names(divisor))
    zero = []
    for name in names:
        try:
            value = env.get(name)
        except (Missing, Undefined, ArithmeticError):  # a parameter, or a metric unset
            continue
        if not isinstance(value, (bool, str)) and value == 0:
            zero.append(name)
    return tuple(zero) or tuple(names)


def to_exact(value: Any) -> Any:
    """Decimal/int → Fraction; other values unchanged. Floats never reach here."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (Decimal, int)):
        return Fraction(value)
    return value


def table_key(value: Any) -> str:
    """How a lookup key is spelled in a table: 5 → "5", Fraction(1, 2) → "0.5"."""
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        return str(_ROUNDING.divide(Decimal(value.numerator), Decimal(value.denominator)))
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else str(value.normalize())
    return str(value)


def to_decimal(value: Any) -> Any:
    """Fraction/int → Decimal when the decimal is exact; other values unchanged."""
    if isinstance(value, bool) or not isinstance(value, (Fraction, int)):
        return value
    fraction = Fraction(value)
    return EXACT.divide(Decimal(fraction.numerator), Decimal(fraction.denominator))


def compile_expr(node: n.Node, tables: Mapping[str, dict[str, Any]], constants: Mapping[str, Any],
                 decimal: bool = False) -> Evaluator:
    """A closure computing `node`; `constants` are parameters, inlined at compile time.

    With `decimal`, numbers are Decimals and the closure must run inside `EXACT`
    (see the module docstring); `tables` and `constants` must then hold Decimals.
    """
    return _Compiler(tables, constants, decimal).build(node)


class _Compiler:
    def __init__(self, tables: Mapping[str, dict[str, Any]], constants: Mapping[str, Any], decimal: bool) -> None:
        self.tables = tables
        self.constants = constants
        self.decimal = decimal

    def build(self, node: n.Node) -> Evaluator:
        method = getattr(self, "_" + type(node).__name__.lower())
        return method(node)

    def _number(self, node: n.Number) -> Evaluator:
        value: Any = to_decimal(node.value) if self.decimal else node.value
        return lambda env: value

    def _text(self, node: n.Text) -> Evaluator:
        value = node.value
        return lambda env: value

    def _boolean(self, node: n.Boolean) -> Evaluator:
        value = node.value
        return lambda env: value

    def _listof(self, node: n.ListOf) -> Evaluator:
        convert = to_decimal if self.decimal else (lambda v: v)
        value = frozenset(convert(item.value) for item in node.items)  # type: ignore[attr-defined]
        return lambda env: value

    def _name(self, node: n.Name) -> Evaluator:
        if node.name in self.constants:
            value = self.constants[node.name]
            if value is None:
                missing = frozenset((node.name,))

                def unset(env: Env) -> Any:
                    raise Missing(missing)

                return unset
            return lambda env: value
        name = node.name
        if self.decimal:
            return lambda env: env.get_decimal(name)
        return lambda env: env.get(name)

    def _unary(self, node: n.Unary) -> Evaluator:
        operand = self.build(node.operand)
        if node.op == "not":
            return lambda env: not operand(env)
        return lambda env: -operand(env)

    def _arith(self, node: n.Arith) -> Evaluator:
        left, right = self.build(node.left), self.build(node.right)
        if node.op == "+":
            return lambda env: left(env) + right(env)
        if node.op == "-":
            return lambda env: left(env) - right(env)
        if node.op == "*":
            return lambda env: left(env) * right(env)

        divisor = node.right

        def divide(env: Env) -> Any:
            numerator, denominator = left(env), right(env)
            if denominator == 0:
                raise Undefined("division_by_zero", divisor=zero_inputs(divisor, env))
            return numerator / denominator

        return divide

    def _compare(self, node: n.Compare) -> Evaluator:
        left, right = self.build(node.left), self.build(node.right)
        op = node.op
        if op == "in":
            return lambda env: left(env) in right(env)
        if op == "not in":
            return lambda env: left(env) not in right(env)
        return _COMPARATORS[op](left, right)

    def _logic(self, node: n.Logic) -> Evaluator:
        items = [self.build(item) for item in node.items]
        if node.op == "and":
            return lambda env: all(item(env) for item in items)
        return lambda env: any(item(env) for item in items)

    def _call(self, node: n.Call) -> Evaluator:
        return getattr(self, "_fn_" + node.func)(node)

    def _fn_lookup(self, node: n.Call) -> Evaluator:
        table_name = node.args[0].name  # type: ignore[attr-defined]
        table = self.tables[table_name]
        keys = [self.build(arg) for arg in node.args[1:]]

        def lookup(env: Env) -> Any:
            key_values = [table_key(key(env)) for key in keys]
            values, default = table["values"], table.get("default")
            if not values and default is None:
                raise Undefined("table_not_configured", table=table_name)
            cell: Any = values
            for key in key_values:
                cell = cell.get(key) if isinstance(cell, dict) else None
                if cell is None:
                    break
            if cell is None or isinstance(cell, dict):
                if default is None:
                    raise Undefined("key_not_in_table", table=table_name, key="/".join(key_values))
                cell = default
            return cell

        return lookup

    def _fn_min(self, node: n.Call) -> Evaluator:
        args = [self.build(arg) for arg in node.args]
        return lambda env: min(arg(env) for arg in args)

    def _fn_max(self, node: n.Call) -> Evaluator:
        args = [self.build(arg) for arg in node.args]
        return lambda env: max(arg(env) for arg in args)

    def _fn_startswith(self, node: n.Call) -> Evaluator:
        text = self.build(node.args[0])
        prefixes = tuple(arg.value for arg in node.args[1:])  # type: ignore[attr-defined]
        return lambda env: text(env).startswith(prefixes)

    def _fn_between(self, node: n.Call) -> Evaluator:
        value, low, high = (self.build(arg) for arg in node.args)
        return lambda env: low(env) <= value(env) <= high(env)

    def _fn_coalesce(self, node: n.Call) -> Evaluator:
        args = [self.build(arg) for arg in node.args]

        def coalesce(env: Env) -> Any:
            missing: set[str] = set()
            for arg in args:
                try:
                    return arg(env)
                except Missing as exc:
                    missing |= exc.names
            raise Missing(frozenset(missing))

        return coalesce


def _lt(a: Evaluator, b: Evaluator) -> Evaluator:
    return lambda env: a(env) < b(env)


def _le(a: Evaluator, b: Evaluator) -> Evaluator:
    return lambda env: a(env) <= b(env)


def _gt(a: Evaluator, b: Evaluator) -> Evaluator:
    return lambda env: a(env) > b(env)


def _ge(a: Evaluator, b: Evaluator) -> Evaluator:
    return lambda env: a(env) >= b(env)


def _eq(a: Evaluator, b: Evaluator) -> Evaluator:
    return lambda env: a(env) == b(env)


def _ne(a: Evaluator, b: Evaluator) -> Evaluator:
    return lambda env: a(env) != b(env)


_COMPARATORS = {"<": _lt, "<=": _le, ">": _gt, ">=": _ge, "==": _eq, "!=": _ne}
