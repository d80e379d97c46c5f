"""Expression text → tokens, each with its offset for error positions."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import NamedTuple, cast

from screening.errors import ExpressionError, SourceSpan

KEYWORDS = {"and", "or", "not", "in", "true", "false"}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?%?)
  | (?P<string>"[^"\\\n]*"|'[^'\\\n]*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op><=|>=|==|!=|[-+*/<>(),\[\]])
    """,
    re.VERBOSE,
)


class Token(NamedTuple):
    """One token: kind is number, string, name, keyword, op or end."""

    kind: str
    text: str
    offset: int
    value: object = None


def tokenize(text: str) -> list[Token]:
    """Split an expression into tokens; raise ExpressionError at the first bad character."""
    tokens: list[Token] = []
    offset = 0
    while offset < len(text):
        match = _TOKEN.match(text, offset)
        if not match:
            char = text[offset]
            hint = "，请使用英文标点 / use ASCII punctuation" if ord(char) > 127 else ""
            raise ExpressionError(
                f"无法识别的字符 {char!r}{hint} / unexpected character",
                offset_span(offset),
            )
        kind = match.lastgroup or ""
        lexeme = match.group()
        if kind == "number":
            value = Fraction(lexeme.rstrip("%"))
            tokens.append(
                Token(
                    "number",
                    lexeme,
                    offset,
                    value / 100 if lexeme.endswith("%") else value,
                )
            )
        elif kind == "string":
            tokens.append(Token("string", lexeme, offset, lexeme[1:-1]))
        elif kind == "name":
            tokens.append(
                Token("keyword" if lexeme in KEYWORDS else "name", lexeme, offset)
            )
        elif kind == "op":
            tokens.append(Token("op", lexeme, offset))
        offset = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def offset_span(offset: int) -> SourceSpan:
    """An ExpressionError's span while only the offset in the expression is known.

    `screening.loader` rebases it to a file position before any diagnostic leaves
    the expression package, so it is typed as the `SourceSpan` it becomes.
    """
    return cast(SourceSpan, OffsetSpan(offset))


class OffsetSpan(NamedTuple):
    """A position inside an expression before it is placed in its file."""

    offset: int
