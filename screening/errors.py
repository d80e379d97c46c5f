"""One exception tree for everything a user can get wrong, each error with a place.

Nothing here prints or exits; the CLI turns a `ScreeningError` into one stderr
line and exit code 2.
"""

from __future__ import annotations

from typing import NamedTuple


class SourceSpan(NamedTuple):
    """Where a value stands in a user file: 1-based line and column.

    A named tuple, as the diagnostics: a frozen dataclass costs every command about
    1 ms to declare on Python 3.11 (it compiles each of its methods).
    """

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.path
        if self.column is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"


class Diagnostic(NamedTuple):
    """One problem found in a user file: `path:line:col: [code] message (field)`."""

    code: str
    message: str
    span: SourceSpan | None = None
    field: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.span}: " if self.span else ""
        field = f" ({self.field})" if self.field else ""
        return f"{where}[{self.code}] {self.message}{field}"

    def to_dict(self) -> dict[str, object]:
        span = self.span
        return {
            "path": span.path if span else None,
            "line": span.line if span else None,
            "column": span.column if span else None,
            "code": self.code,
            "severity": self.severity,
            "field": self.field,
            "message": self.message,
        }


class ScreeningError(Exception):
    """Base of every error caused by user input; carries one or more diagnostics."""

    code = "SCR"

    def __init__(
        self,
        message: str,
        span: SourceSpan | None = None,
        field: str | None = None,
        diagnostics: list[Diagnostic] | None = None,
    ) -> None:
        self.diagnostics = diagnostics or [Diagnostic(self.code, message, span, field)]
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    @property
    def span(self) -> SourceSpan | None:
        return self.diagnostics[0].span


class YamlError(ScreeningError):
    """A file is not safe, well-formed YAML."""

    code = "YML"


class RuleSetError(ScreeningError):
    """A rule set is malformed or inconsistent."""

    code = "RUL"


class ExpressionError(RuleSetError):
    """An expression cannot be parsed or type-checked."""

    code = "EXP"


class ProjectError(ScreeningError):
    """A candidate project is malformed (wrong type, impossible value)."""

    code = "PRJ"


class EngineError(ScreeningError):
    """The inference core failed in a way the wrapper could not contain."""

    code = "ENG"
