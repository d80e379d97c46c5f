"""Expressions: parsing with offsets, type and unit checking, exact evaluation."""

from __future__ import annotations

import pickle
from decimal import Decimal
from fractions import Fraction

import pytest

from screening.errors import ExpressionError
from screening.expr import nodes as n
from screening.expr.evaluate import Ctx, Missing, Undefined, compile_expr, to_fraction
from screening.expr.parser import parse
from screening.expr.types import BOOL, TEXT, Symbol, Type, check, check_bool
from screening.expr.units import divide, normalise_unit

SCOPE = {
    "investment.fixed_assets": Symbol("field", Type("number", "万元")),
    "land.area_mu": Symbol("field", Type("number", "亩")),
    "land.plot_ratio": Symbol("field", Type("number", "")),
    "industry.code": Symbol("field", TEXT),
    "environment.in_red_line": Symbol("field", BOOL),
    "intensity_ha": Symbol("metric", Type("number", "万元/公顷")),
    "limits": Symbol("table", Type("number", "万元/亩"), key_count=1),
}


def test_precedence_and_offsets() -> None:
    tree = parse("not a and b or c >= 1 + 2 * 3")
    assert tree == n.Logic(
        0,
        "or",
        (
            n.Logic(0, "and", (n.Unary(0, "not", n.Name(4, "a")), n.Name(10, "b"))),
            n.Compare(
                15,
                ">=",
                n.Name(15, "c"),
                n.Arith(
                    20,
                    "+",
                    n.Number(20, Fraction(1)),
                    n.Arith(
                        24, "*", n.Number(24, Fraction(2)), n.Number(28, Fraction(3))
                    ),
                ),
            ),
        ),
    )
    assert parse("30%") == n.Number(0, Fraction(3, 10))


def test_nodes_are_values_whose_offset_is_not_compared() -> None:
    tree = parse("not (a.b >= 2 * c) or f(d, [1, 'x'])")
    moved = parse("   not (a.b >= 2 * c) or f(d, [1, 'x'])")
    assert tree == moved and hash(tree) == hash(moved)
    assert tree.offset == 0 and moved.offset == 3
    assert parse("a.b >= 2") != parse("a.b > 2")
    assert n.Number(0, Fraction(1)) != n.Text(0, Fraction(1))  # type: ignore[arg-type]
    assert {parse("x + 1"): "one"}[parse(" x + 1")] == "one"
    assert pickle.loads(pickle.dumps(tree)) == tree
    assert pickle.loads(pickle.dumps(moved)).offset == 3
    assert repr(n.Unary(op="-")) == "Unary(offset=0, op='-', operand=Node(offset=0))"
    assert repr(n.Number(4, Fraction(1, 2))) == (
        "Number(offset=4, value=Fraction(1, 2))"
    )
    with pytest.raises(AttributeError):
        tree.offset = 1  # type: ignore[misc]
    with pytest.raises(AttributeError):
        n.Name(0, "x").name = "y"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del n.Name(0, "x").name
    keywords = n.Arith(op="+", left=n.Name(name="x"), right=n.Number(value=Fraction(1)))
    assert keywords == parse("x + 1")


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("a >= ", 5, "此处应为数值、名称或括号"),
        ("a < b < c", 6, "比较不能连写"),
        ("a ＞ 3", 2, "请使用英文标点"),
        ("(a", 2, "此处应为 ')'"),
        ("a b", 2, "多余的内容"),
        ("", 0, "表达式为空"),
    ],
)
def test_syntax_errors_point_at_the_offset(
    text: str, offset: int, message: str
) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert info.value.diagnostics[0].span.offset == offset  # type: ignore[union-attr]
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "investment.fixed_asset >= 1",
            "未知的名称 'investment.fixed_asset'（是否想写 investment.fixed_assets？",
        ),
        (
            "investment.fixed_assets / land.area_mu >= intensity_ha",
            "单位不一致：万元/亩 与 万元/公顷",
        ),
        ("investment.fixed_assets + land.area_mu > 1", "单位不一致"),
        ("industry.code > 3", "不能比较 text 与 number"),
        ("environment.in_red_line + 1 > 2", "应为数值"),
        ("lookup(limit, industry.code) > 1", "未知的查找表 'limit'（是否想写 limits？"),
        ("lookup(limits) > 1", "需要 1 个键"),
        ("startswith(industry.code, industry.code)", "前缀应为字符串常量"),
        ("foo(1)", "未知的函数"),
        ("land.area_mu", "条件应为真/假"),
    ],
)
def test_type_errors(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        check_bool(parse(text), SCOPE)
    assert message in str(info.value)


def test_units_compose_and_cancel() -> None:
    assert divide("万元", "亩") == "万元/亩"
    assert divide("万元/亩", "万元/亩") == ""
    assert normalise_unit("万元/吨标煤") == "万元/tce"
    assert check(parse("investment.fixed_assets / land.area_mu"), SCOPE) == Type(
        "number", "万元/亩"
    )
    assert check(parse("investment.fixed_assets / land.area_mu * 15"), SCOPE) == Type(
        "number", "万元/亩"
    )


def _run(
    text: str, values: dict, tables: dict | None = None, constants: dict | None = None
):
    fn = compile_expr(parse(text), tables or {}, constants or {})
    return to_fraction(fn(Ctx(values, {})))


def test_exact_arithmetic_meets_the_threshold_on_paper() -> None:
    values = {"a": Fraction(4500), "b": Fraction(15)}
    assert _run("a / b", values) == 300
    assert _run("a / b >= 300", values) is True
    assert _run("0.1 + 0.2 == 0.3", {}) is True  # would be False in floats


def test_missing_and_undefined() -> None:
    with pytest.raises(Missing) as info:
        _run("a / b > 1", {"a": Fraction(1)})
    assert info.value.names == frozenset({"b"})
    with pytest.raises(Undefined) as undefined:
        _run("a / b > 1", {"a": Fraction(1), "b": Fraction(0)})
    assert undefined.value.code == "division_by_zero"
    assert _run("coalesce(x, y)", {"y": Fraction(2)}) == 2


def test_numbers_are_read_as_ratios_and_metrics_once() -> None:
    calls = []

    def half(ctx: Ctx) -> tuple[int, int]:
        calls.append(1)
        return compile_expr(parse("a.x / 2"), {}, {})(ctx)

    ctx = Ctx(
        {"a.x": Decimal("-12.50"), "a.y": Fraction(6, 4), "a.t": "C26"}, {"half": half}
    )
    assert (
        ctx.get("a.x") == (-25, 2)
        and ctx.get("a.y") == (3, 2)
        and ctx.get("a.t") == "C26"
    )
    assert (
        to_fraction(ctx.get("half")) == Fraction(-25, 4)
        and ctx.get("half")
        and calls == [1]
    )
    with pytest.raises(Missing):
        ctx.get("a.z")


def test_lookup_tables() -> None:
    tables = {
        "t": {"values": {"13": {"5": Fraction(7)}}, "default": None},
        "empty": {"values": {}, "default": None},
    }
    values = {"d": "13", "r": Fraction(5)}
    assert _run("lookup(t, d, r)", values, tables) == 7
    with pytest.raises(Undefined) as info:
        _run("lookup(t, d, 6)", values, tables)
    assert (info.value.code, info.value.params) == (
        "key_not_in_table",
        {"table": "t", "key": "13/6"},
    )
    with pytest.raises(Undefined, match="table_not_configured"):
        _run("lookup(empty, d)", values, tables)


def test_functions() -> None:
    values = {"c": "C2613", "x": Fraction(5)}
    assert _run('startswith(c, "C25", "C26")', values) is True
    assert (
        _run("between(x, 5, 6) and min(x, 2) == 2 and max(x, 9) == 9", values) is True
    )
    assert _run('c in ["C2613", "C3841"] and "a" not in ["b"]', values) is True


def test_constants_are_inlined_and_an_unset_one_is_missing() -> None:
    assert (
        _run("x >= limit", {"x": Fraction(3)}, constants={"limit": Fraction(3)}) is True
    )
    with pytest.raises(Missing):
        _run("x >= limit", {"x": Fraction(3)}, constants={"limit": None})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a / b >= 300", True),  # 4500 / 15 is exactly 300
        (
            "c / d >= 333.33",
            True,
        ),  # 1000 / 3 is no finite decimal: still exact as a ratio
        ("c / d * 3 == 1000", True),  # would be 999.999… if the quotient were rounded
        (
            "c / d < 333.3333333333333333333333333333333333333333333333333333333333334",
            True,
        ),
        ("(a - b) / (b - 15) > 1", None),  # division by zero: undefined, never a number
    ],
)
def test_ratio_arithmetic_is_exact(text: str, expected: bool | None) -> None:
    values = {"a": Decimal(4500), "b": Decimal(15), "c": Decimal(1000), "d": Decimal(3)}
    evaluate = compile_expr(parse(text), {}, {})
    if expected is None:
        with pytest.raises(Undefined, match="division_by_zero"):
            evaluate(Ctx(values, {}))
    else:
        assert evaluate(Ctx(values, {})) is expected
