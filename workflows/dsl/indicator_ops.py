"""Indicator operators: ``(rsi "SPY" {:window 10})`` and friends (section 4.2).

Argument handling follows ``operators/indicators.py@22594d65a``: ``rsi`` and
``current-price`` need only a symbol (RSI window defaults to 14); every other
indicator needs a symbol *and* a parameter map, and a missing ``:window`` key
falls back to the defaults below. ``ma`` and ``volatility`` are registered but
always fail, as in the real engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflows.dsl.errors import DslEvaluationError
from workflows.dsl.nodes import ListNode, Node
from workflows.dsl.values import as_decimal

if TYPE_CHECKING:
    from workflows.dsl.evaluator import Evaluator

# DSL name → the real service's indicator type.
INDICATOR_KINDS = {
    "rsi": "rsi",
    "current-price": "current_price",
    "moving-average-price": "moving_average",
    "moving-average-return": "moving_average_return",
    "cumulative-return": "cumulative_return",
    "exponential-moving-average-price": "exponential_moving_average_price",
    "stdev-return": "stdev_return",
    "stdev-price": "stdev_price",
    "max-drawdown": "max_drawdown",
}

# Defaults when ":window" is absent (control_flow.DEFAULT_INDICATOR_WINDOWS).
DEFAULT_WINDOWS = {
    "rsi": 14,
    "moving-average-price": 200,
    "moving-average-return": 21,
    "cumulative-return": 60,
    "exponential-moving-average-price": 12,
    "stdev-return": 6,
    "stdev-price": 6,
    "max-drawdown": 60,
}


def _symbol_arg(ev: Evaluator, arg: Node, what: str) -> str:
    symbol = ev.eval(arg)
    if not isinstance(symbol, str):
        raise DslEvaluationError(f"{what} must be string, got {type(symbol).__name__}")
    return symbol


def op_rsi(ev: Evaluator, args: tuple[Node, ...], node: ListNode) -> float:
    if not args:
        raise DslEvaluationError("rsi requires at least 1 argument")
    symbol = _symbol_arg(ev, args[0], "RSI symbol")
    window = DEFAULT_WINDOWS["rsi"]
    if len(args) > 1:
        params = ev.eval(args[1])
        if isinstance(params, dict):
            try:
                window = int(params.get("window", window))
            except (ValueError, TypeError):
                window = DEFAULT_WINDOWS["rsi"]  # unusable :window -> the default 14 (reference §4.2, rsi)
    return ev.indicator("rsi", symbol, window)


def op_current_price(ev: Evaluator, args: tuple[Node, ...], node: ListNode) -> float:
    if not args:
        raise DslEvaluationError("current-price requires symbol argument")
    symbol = _symbol_arg(ev, args[0], "Symbol")
    return ev.indicator("current-price", symbol, None)


def _windowed(name: str):
    """Operator for an indicator that takes ``SYM {:window n}``."""

    def operator(ev: Evaluator, args: tuple[Node, ...], node: ListNode) -> float:
        if len(args) < 2:
            raise DslEvaluationError(f"{name} requires symbol and parameters")
        symbol = _symbol_arg(ev, args[0], "Symbol")
        params = ev.eval(args[1])
        if not isinstance(params, dict):
            raise DslEvaluationError(f"Parameters must be dict, got {type(params).__name__}")
        window = params.get("window", DEFAULT_WINDOWS[name])
        if not isinstance(window, (int, float)):
            window = as_decimal(window)
        return ev.indicator(name, symbol, int(window))

    operator.__name__ = "op_" + name.replace("-", "_")
    return operator


def _not_implemented(name: str, advice: str):
    def operator(ev: Evaluator, args: tuple[Node, ...], node: ListNode) -> float:
        raise DslEvaluationError(f"{name} is not implemented in DSL evaluator; {advice}")

    return operator


INDICATOR_OPERATORS = {
    "rsi": op_rsi,
    "current-price": op_current_price,
    **{name: _windowed(name) for name in DEFAULT_WINDOWS if name != "rsi"},
    "ma": _not_implemented("ma", "use moving-average-* indicators via data layer"),
    "volatility": _not_implemented("volatility", "compute via data layer"),
}
