"""Errors raised by the DSL engine.

Every error that can be traced to a place in a strategy file carries that
place (file, line, column) so the CLI can print one precise message instead of
a traceback. Constructors pass every argument to ``super().__init__`` so
``type(e)(*e.args)`` rebuilds an equal error (house rule 5).
"""

from __future__ import annotations


class DslError(Exception):
    """Base class of every error the DSL engine raises on purpose."""


class DslSyntaxError(DslError):
    """A strategy file that cannot be parsed.

    The message names the file, line and column, shows the offending line with
    a caret under the column, and ends with a hint on how to fix it.
    """

    def __init__(
        self,
        message: str,
        file: str = "<string>",
        line: int = 1,
        column: int = 1,
        source_line: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(message, file, line, column, source_line, hint)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.source_line = source_line
        self.hint = hint

    def __str__(self) -> str:
        text = self.source_line.expandtabs(1).rstrip("\n")
        caret = " " * (self.column - 1) + "^"
        out = f"{self.file}:{self.line}:{self.column}: syntax error: {self.message}\n"
        out += f"    {text}\n    {caret}"
        if self.hint:
            out += f"\nhint: {self.hint}"
        return out


class DslEvaluationError(DslError):
    """A strategy that parsed but cannot be evaluated (the real system's
    ``DslEvaluationError``).

    ``form`` is the head of the innermost form being evaluated when the error
    arose (e.g. ``rsi``); the evaluator fills in ``form``, ``file``, ``line``
    and ``column`` on the way out if the raiser did not know them.
    """

    def __init__(
        self,
        message: str,
        form: str | None = None,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message, form, file, line, column)
        self.message = message
        self.form = form
        self.file = file
        self.line = line
        self.column = column

    @property
    def located(self) -> bool:
        return self.line is not None

    def locate(self, form: str, file: str, line: int, column: int) -> None:
        """Attach the innermost location; later (outer) calls keep it."""
        if self.line is None:
            self.form, self.file, self.line, self.column = form, file, line, column
            self.args = (self.message, form, file, line, column)

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        form = self.form or ""
        where = form if form.startswith(("{", "[")) else f"({form} ...)"
        return f"{self.file}:{self.line}:{self.column}: in {where}: {self.message}"


class MarketDataError(DslEvaluationError):
    """The real system's ``MarketDataError``: no bars, or an invalid window.

    In the real engine it is *not* a ``DslEvaluationError``, so a ``filter``
    does not drop the candidate but fails the whole strategy. We subclass
    ``DslEvaluationError`` so callers catch one type, and ``filter`` re-raises
    this class explicitly to keep that rule.
    """


class MarketDataMissingError(MarketDataError):
    """A symbol has no bars at all (or none inside the indicator's window)."""

    def __init__(
        self,
        message: str,
        form: str | None = None,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        symbol: str = "",
    ) -> None:
        super().__init__(message, form, file, line, column)
        self.symbol = symbol
        self.args = (message, form, file, line, column, symbol)

    def locate(self, form: str, file: str, line: int, column: int) -> None:
        super().locate(form, file, line, column)
        self.args = (self.message, self.form, self.file, self.line, self.column, self.symbol)
