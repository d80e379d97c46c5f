"""A batch row → the screener's flat values without pydantic, for rows that are plainly valid.

`plain_values` returns exactly what `convert_inputs(flatten(Project.model_validate(row)),
inputs)` returns — keys, key order, types, Decimal digits — or None when the row holds
anything it does not vouch for: a unit string, a float amount, land.area_ha, an unknown
key, a value the model would refuse or coerce. It never refuses a row: on None the
caller takes the model path, which decides and words the errors. Bounds, words, choices
and validators come from the model's fields at import: there is no second copy to drift.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Le, MaxLen
from pydantic import BaseModel, BeforeValidator, Strict
from pydantic.fields import FieldInfo

from screening.errors import ProjectError
from screening.inputs import convert_inputs
from screening.model.project import _PLAIN_NUMBER, AmountValidator, Project, derive_fields
from screening.model.ruleset import InputField

Check = Callable[[Any], Any]  # a present value → its validated value; raises to decline
Reader = Callable[[Any, dict[str, Any]], None]  # a present value → into the flat values

_ZERO = Decimal(0)
_plain_number = _PLAIN_NUMBER.fullmatch


class _Declined(Exception):
    """A value this module does not vouch for: the row goes to the model."""


def plain_values(data: object, inputs: dict[str, InputField]) -> dict[str, Any] | None:
    """The row's flat values with declared inputs converted, or None: ask the model."""
    values: dict[str, Any] = {}
    try:
        _read_project(data, values)
        for path, declared in inputs.items():
            item = values.get(path)
            if type(item) is str and declared.type == "number" and (number := _bare_number(item)) is not None:
                # as parse_amount reads bare digits (the model's shortcut too), so that
                # convert_inputs checks a Decimal rather than parsing text for units
                values[path] = number
        return convert_inputs(derive_fields(values), inputs)
    # ValueError: one of the model's own validators refusing a value; ProjectError: a
    # declared input refused; ArithmeticError: decimal.Overflow, which the model path
    # raises as well, uncaught (1e1000002 for a declared number)
    except (_Declined, ValueError, ArithmeticError, ProjectError):
        return None


# --- checks: what a present value may be here, a subset of what the model accepts -------


def _decline(value: object, values: object = None) -> Any:
    raise _Declined


def _bare_number(text: str) -> Decimal | None:
    """Bare digits ("4500", "0.7800") as their Decimal, or None.

    The same text gives the same Decimal object: figures repeat across a batch (areas,
    head counts, round sums), and a Decimal once hashed as a memo key keeps its hash,
    which for a fraction costs more than the rest of reading it.
    """
    number = _numbers.get(text)
    if number is None:
        if not _plain_number(text):
            return None
        if len(_numbers) >= _NUMBERS_KEPT:
            _numbers.clear()
        number = _numbers[text] = Decimal(text)
    return number


_NUMBERS_KEPT = 20_000
_numbers: dict[str, Decimal] = {}


def _amount(upper: Decimal) -> Check:
    # AmountValidator's own shortcut for bare digits, and ints and finite Decimals; text
    # with units, separators, signs or spaces goes through parse_amount, run by the model
    def check(value: Any) -> Decimal:
        kind = type(value)
        if kind is str and (bare := _bare_number(value)) is not None:
            number = bare
        elif kind is int:  # type(), not isinstance: the model refuses a bool
            number = Decimal(value)
        elif kind is Decimal and value.is_finite():
            number = value  # kept digit for digit, as the model keeps it
        else:
            raise _Declined
        if number < _ZERO or number > upper:
            raise _Declined
        return number

    return check


def _flag(before: Check) -> Check:
    # the field's own before-validator reads 是/否; pydantic keeps a bool as it is, but
    # would read other things ("on", 1) as bools too: those go to the model
    def check(value: Any) -> bool:
        value = before(value)
        if type(value) is not bool:
            raise _Declined
        return value

    return check


def _choice(before: Check, options: tuple[str, ...]) -> Check:
    # the field's own before-validator reads 鼓励类 → encouraged, then it must be an option
    def check(value: Any) -> str:
        value = before(value)
        if type(value) is not str or value not in options:
            raise _Declined
        return value

    return check


def _text(max_length: int | None) -> Check:
    def check(value: Any) -> str:
        if type(value) is not str or (max_length is not None and len(value) > max_length):
            raise _Declined
        if not value.isascii():
            _refuse_surrogates(value)
        return value

    return check


def _refuse_surrogates(text: str) -> None:
    # a lone surrogate (JSON "\ud800") fails pydantic's constrained str: the model says so
    try:
        text.encode()
    except UnicodeEncodeError:
        raise _Declined from None


def _integer(low: int, high: int) -> Check:
    def check(value: Any) -> int:
        if type(value) is not int or not low <= value <= high:  # strict: not a bool
            raise _Declined
        return value

    return check


def _mapping(value: Any) -> dict[str, Any]:
    # dict[str, str | bool | Decimal | int | None]: pydantic keeps each such value as it is
    if type(value) is not dict:
        raise _Declined
    for key, item in value.items():
        if type(key) is not str:
            raise _Declined
        if not key.isascii():
            _refuse_surrogates(key)
        kind = type(item)
        if kind is str:
            if not item.isascii():
                _refuse_surrogates(item)
        elif kind is Decimal:
            if not item.is_finite():
                raise _Declined
        elif item is not None and kind is not bool and kind is not int:
            raise _Declined
    return value


def _memoised(check: Check, size: int = 1024) -> Check:
    # industry codes repeat across a batch, and normalising one costs more than the rest
    # of a row's text; the check is a pure function of the text
    memo: dict[str, Any] = {}

    def checked(value: Any) -> Any:
        if type(value) is not str:
            return check(value)
        found = memo.get(value)
        if found is None:
            if len(memo) >= size:
                memo.clear()
            found = memo[value] = check(value)
        return found

    return checked


def _check(info: FieldInfo) -> Check:
    """The check for a field's type and annotated metadata; anything unknown declines."""
    target = _target(info)
    before = [m.func for m in info.metadata if isinstance(m, BeforeValidator)]
    rest = [m for m in info.metadata if not isinstance(m, BeforeValidator)]
    if len(before) == 1 and not rest:
        if target is Decimal and isinstance(before[0], AmountValidator):
            return _amount(before[0].upper)
        if target is bool:
            return _flag(before[0])
        if get_origin(target) is Literal:
            return _choice(before[0], get_args(target))
    if before:
        return _decline
    if target is str and all(isinstance(m, MaxLen) for m in rest):
        return _text(min((m.max_length for m in rest), default=None))
    if target is int and all(isinstance(m, (Ge, Le, Strict)) for m in rest):
        low = [m.ge for m in rest if isinstance(m, Ge)]
        high = [m.le for m in rest if isinstance(m, Le)]
        if low and high:
            return _integer(max(low), min(high))
    if target == dict[str, str | bool | Decimal | int | None] and not rest:
        return _mapping
    return _decline


def _target(info: FieldInfo) -> Any:
    """The annotation without its `| None`."""
    if get_origin(info.annotation) in (Union, types.UnionType):
        inner = [a for a in get_args(info.annotation) if a is not type(None)]
        if len(inner) == 1:
            return inner[0]
    return info.annotation


# --- readers: the model's fields, in the model's order, as flatten walks them -----------

# A model validator sees a whole block. The one known here only rewrites a field (land
# area_ha → area_mu): a row giving that field goes to the model. So does any block with
# a model validator not known here.
_REWRITES = {"_hectares_to_mu": "area_ha"}
_MEMOISED = {"industry"}


def _block(model: type[BaseModel], prefix: str) -> Reader:
    validators = set(model.__pydantic_decorators__.model_validators)
    if model.model_config.get("extra") != "forbid" or validators - _REWRITES.keys():
        return _decline
    rewritten = {_REWRITES[name] for name in validators}
    known = frozenset(model.model_fields)
    # (key, flat path or None, check or reader, upper bound of a bare amount or None)
    fields: list[tuple[str, str | None, Any, Decimal | None]] = []
    for name, info in model.model_fields.items():
        target = _target(info)
        path = f"{prefix}{name}"
        if name in rewritten:
            fields.append((name, None, _decline, None))
        elif isinstance(target, type) and issubclass(target, BaseModel):
            fields.append((name, None, _block(target, f"{path}."), None))
        elif name == "extra" and not prefix:
            fields.append((name, None, _spread(_field(model, name, info), "extra."), None))
        else:
            check = _field(model, name, info)
            if path in _MEMOISED:
                check = _memoised(check)
            fields.append((name, path, check, _bare_amount(model, name, info)))
    reads = tuple(fields)

    def read(value: Any, values: dict[str, Any]) -> None:
        if type(value) is not dict or not known.issuperset(value):
            raise _Declined
        for name, path, check, upper in reads:
            item = value.get(name)
            if item is None:  # null is absent, and flatten leaves absent fields out
                continue
            if path is None:
                check(item, values)
            elif upper is not None and type(item) is str and (number := _bare_number(item)) is not None:
                # _amount's common case inline, as this loop runs some twenty times a row;
                # bare digits are never negative
                if number > upper:
                    raise _Declined
                values[path] = number
            else:
                item = check(item)
                if item is not None:
                    values[path] = item

    return read


def _bare_amount(model: type[BaseModel], name: str, info: FieldInfo) -> Decimal | None:
    """The upper bound of an amount field with no validator of the model's own, or None."""
    validators = model.__pydantic_decorators__.field_validators.values()
    if any(name in d.info.fields for d in validators) or len(info.metadata) != 1:
        return None
    amount = getattr(info.metadata[0], "func", None)
    return amount.upper if isinstance(amount, AmountValidator) else None


def _field(model: type[BaseModel], name: str, info: FieldInfo) -> Check:
    """The field's check between the model's own before- and after-validators for it."""
    check = _check(info)
    validators = model.__pydantic_decorators__.field_validators.values()
    steps = [d for d in validators if name in d.info.fields]
    if any(d.info.mode not in ("before", "after") for d in steps):
        return _decline  # wrap and plain validators: the model's business
    # as pydantic nests them: each wraps those defined before it, so the last before-
    # validator runs first and the first after-validator runs first
    for decorator in steps:
        if decorator.info.mode == "before":
            check = _preceded(check, decorator.func)
        else:
            check = _followed(check, decorator.func)
    return check


def _preceded(check: Check, step: Check) -> Check:
    def checked(value: Any) -> Any:
        value = step(value)
        return None if value is None else check(value)  # None: industry {code: null}

    return checked


def _followed(check: Check, step: Check) -> Check:
    return lambda value: step(check(value))


def _spread(check: Check, prefix: str) -> Reader:
    # as flatten does: each present item of the mapping is a value of its own
    def read(value: Any, values: dict[str, Any]) -> None:
        for key, item in check(value).items():
            if item is not None:
                values[prefix + key] = item

    return read


_read_project = _block(Project, "")
