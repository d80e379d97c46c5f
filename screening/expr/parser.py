"""Tokens → expression tree, by recursive descent; errors point at file:line:column."""

from __future__ import annotations

from screening.errors import ExpressionError
from screening.expr import nodes as n
from screening.expr.lexer import Token, offset_span, tokenize

_COMPARE = {"<", "<=", ">", ">=", "==", "!="}


def parse(text: str) -> n.Node:
    """Parse one expression; ExpressionError spans hold offsets (see `place_error`)."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("表达式为空 / empty expression", offset_span(0))
    return _Parser(tokenize(text)).parse()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def accept(self, kind: str, text: str) -> Token | None:
        token = self.token
        if token.kind == kind and token.text == text:
            self.pos += 1
            return token
        return None

    def expect(self, kind: str, text: str) -> Token:
        token = self.accept(kind, text)
        if token is None:
            self.fail(f"此处应为 {text!r} / expected {text!r}")
        return token  # type: ignore[return-value]

    def fail(self, message: str) -> None:
        token = self.token
        got = (
            "表达式结尾 / end of expression"
            if token.kind == "end"
            else repr(token.text)
        )
        raise ExpressionError(f"{message}，实际为 {got}", offset_span(token.offset))

    def parse(self) -> n.Node:
        node = self.or_()
        if self.token.kind != "end":
            self.fail("多余的内容 / unexpected text")
        return node

    def or_(self) -> n.Node:
        first = self.and_()
        items = [first]
        while self.accept("keyword", "or"):
            items.append(self.and_())
        return first if len(items) == 1 else n.Logic(first.offset, "or", tuple(items))

    def and_(self) -> n.Node:
        first = self.not_()
        items = [first]
        while self.accept("keyword", "and"):
            items.append(self.not_())
        return first if len(items) == 1 else n.Logic(first.offset, "and", tuple(items))

    def not_(self) -> n.Node:
        token = self.accept("keyword", "not")
        if token:
            return n.Unary(token.offset, "not", self.not_())
        return self.comparison()

    def comparison(self) -> n.Node:
        left = self.sum()
        token = self.token
        if token.kind == "op" and token.text in _COMPARE:
            self.advance()
            node: n.Node = n.Compare(left.offset, token.text, left, self.sum())
        elif self.accept("keyword", "in"):
            node = n.Compare(left.offset, "in", left, self.sum())
        elif token.kind == "keyword" and token.text == "not" and self._next_is_in():
            self.advance()
            self.advance()
            node = n.Compare(left.offset, "not in", left, self.sum())
        else:
            return left
        after = self.token
        if (after.kind == "op" and after.text in _COMPARE) or (
            after.kind == "keyword" and after.text == "in"
        ):
            self.fail(
                "比较不能连写，请用 and 或 between() / chained comparison; use and or between()"
            )
        return node

    def _next_is_in(self) -> bool:
        nxt = self.tokens[self.pos + 1]
        return nxt.kind == "keyword" and nxt.text == "in"

    def sum(self) -> n.Node:
        node = self.product()
        while self.token.kind == "op" and self.token.text in "+-":
            op = self.advance().text
            node = n.Arith(node.offset, op, node, self.product())
        return node

    def product(self) -> n.Node:
        node = self.unary()
        while self.token.kind == "op" and self.token.text in "*/":
            op = self.advance().text
            node = n.Arith(node.offset, op, node, self.unary())
        return node

    def unary(self) -> n.Node:
        token = self.accept("op", "-")
        if token:
            operand = self.unary()
            if isinstance(operand, n.Number):
                return n.Number(token.offset, -operand.value)
            return n.Unary(token.offset, "-", operand)
        return self.atom()

    def atom(self) -> n.Node:
        token = self.token
        if token.kind == "number":
            self.advance()
            return n.Number(token.offset, token.value)  # type: ignore[arg-type]
        if token.kind == "string":
            self.advance()
            return n.Text(token.offset, token.value)  # type: ignore[arg-type]
        if token.kind == "keyword" and token.text in ("true", "false"):
            self.advance()
            return n.Boolean(token.offset, token.text == "true")
        if token.kind == "name":
            self.advance()
            if self.accept("op", "("):
                return n.Call(token.offset, token.text, self.arguments(")"))
            return n.Name(token.offset, token.text)
        if self.accept("op", "("):
            node = self.or_()
            self.expect("op", ")")
            return node
        if self.accept("op", "["):
            return n.ListOf(token.offset, self.arguments("]"))
        self.fail("此处应为数值、名称或括号 / expected a value, a name or '('")
        raise AssertionError  # unreachable: fail raises

    def arguments(self, close: str) -> tuple[n.Node, ...]:
        items: list[n.Node] = []
        if self.accept("op", close):
            return ()
        while True:
            items.append(self.or_())
            if self.accept("op", close):
                return tuple(items)
            self.expect("op", ",")
