"""Indicator values computed once per (symbol, indicator, window, as-of, policy).

One :class:`IndicatorCache` is meant to be shared by every strategy evaluated
in a run (and across the dates of a run): the real worker re-read and
recomputed every indicator on every call; the values are the same, only
computed once here. Failures are cached too, so a candidate that cannot be
scored inside a ``filter`` is not recomputed for every filter that lists it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from workflows.dsl import indicators as ind
from workflows.dsl.data import BarSource, UnknownSymbolError
from workflows.dsl.errors import DslEvaluationError, MarketDataMissingError
from workflows.dsl.window import DEFAULT_POLICY, LiveBarPolicy, SymbolBars, visible_closes

IndicatorFn = Callable[[np.ndarray, int, str], float]

# Indicator type (the real service's names) → formula.
FORMULAS: dict[str, IndicatorFn] = {
    "rsi": lambda closes, window, _symbol: ind.rsi(closes, window),
    "current_price": ind.current_price,
    "moving_average": ind.moving_average,
    "moving_average_return": ind.moving_average_return,
    "cumulative_return": ind.cumulative_return,
    "exponential_moving_average_price": ind.exponential_moving_average,
    "stdev_return": ind.stdev_return,
    "stdev_price": ind.stdev_price,
    "max_drawdown": ind.max_drawdown,
}

CacheKey = tuple[str, str, int, date, LiveBarPolicy]


@dataclass(frozen=True)
class _Failure:
    """A cached failure: re-raised as a fresh error of the same class."""

    error_type: type[DslEvaluationError]
    message: str
    symbol: str


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    symbols_loaded: int

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class IndicatorCache:
    """Indicator values over one :class:`BarSource`, with hit/miss counters."""

    def __init__(self, source: BarSource) -> None:
        self.source = source
        self.hits = 0
        self.misses = 0
        self._values: dict[CacheKey, float | _Failure] = {}
        self._bars: dict[str, SymbolBars | None] = {}

    def stats(self) -> CacheStats:
        return CacheStats(self.hits, self.misses, len(self._bars))

    def reset_counters(self) -> None:
        self.hits = 0
        self.misses = 0

    def value(
        self,
        symbol: str,
        kind: str,
        window: int,
        as_of: date,
        policy: LiveBarPolicy = DEFAULT_POLICY,
    ) -> float:
        """The indicator's value for ``symbol`` on a run at ``as_of``.

        Raises :class:`MarketDataMissingError` when the symbol has no bars in
        the window (the real ``MarketDataError``), and
        :class:`DslEvaluationError` where the real indicator service does.
        """
        key = (symbol, kind, window, as_of, policy)
        cached = self._values.get(key)
        if cached is None:
            self.misses += 1
            cached = self._compute(symbol, kind, window, as_of, policy)
            self._values[key] = cached
        else:
            self.hits += 1
        if isinstance(cached, _Failure):
            if cached.error_type is MarketDataMissingError:
                raise MarketDataMissingError(cached.message, symbol=cached.symbol)
            raise cached.error_type(cached.message)  # DslEvaluationError or MarketDataError
        return cached

    def bars(self, symbol: str) -> SymbolBars | None:
        """The symbol's bars, loaded once; None when the source has none."""
        if symbol not in self._bars:
            try:
                frame = self.source.daily_bars(symbol)
            except UnknownSymbolError:
                self._bars[symbol] = None
            else:
                self._bars[symbol] = SymbolBars.from_frame(symbol, frame)
        return self._bars[symbol]

    def _compute(
        self, symbol: str, kind: str, window: int, as_of: date, policy: LiveBarPolicy
    ) -> float | _Failure:
        bars = self.bars(symbol)
        if bars is None:
            return _Failure(MarketDataMissingError, f"no market data for symbol {symbol!r}", symbol)
        closes = visible_closes(bars, as_of, kind, window, policy)
        if len(closes) == 0:
            message = f"no bars for {symbol!r} in the window before {as_of.isoformat()}"
            return _Failure(MarketDataMissingError, message, symbol)
        try:
            return FORMULAS[kind](closes, window, symbol)
        except DslEvaluationError as error:
            return _Failure(type(error), error.message, symbol)
