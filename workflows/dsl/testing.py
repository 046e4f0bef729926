"""In-memory market data for tests and benchmarks.

:class:`InMemoryBars` implements :class:`~workflows.dsl.data.BarSource` over a
dict of frames; :func:`synthetic_bars` builds seeded random-walk bars for any
tickers (deterministic: the per-ticker seed comes from a CRC of the ticker,
never from Python's salted ``hash``). These are for exercising the engine,
not for realistic prices; the market-data store owns realistic fixtures.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd

from workflows.dsl.data import BAR_COLUMNS, UnknownSymbolError


class InMemoryBars:
    """A :class:`BarSource` over frames held in memory."""

    def __init__(self, frames: Mapping[str, pd.DataFrame]) -> None:
        self._frames = dict(frames)

    def daily_bars(self, symbol: str) -> pd.DataFrame:
        try:
            return self._frames[symbol]
        except KeyError:
            raise UnknownSymbolError(symbol) from None

    @property
    def symbols(self) -> list[str]:
        return sorted(self._frames)

    @classmethod
    def from_closes(
        cls, closes: Mapping[str, Sequence[float]], end: date | str = "2024-06-28"
    ) -> InMemoryBars:
        """Frames whose closes are given, on the weekdays ending at ``end``."""
        frames = {}
        for symbol, values in closes.items():
            index = pd.bdate_range(end=pd.Timestamp(end), periods=len(values))
            frames[symbol] = frame_from_closes(index, np.asarray(values, dtype=float))
        return cls(frames)


def frame_from_closes(index: pd.DatetimeIndex, closes: np.ndarray) -> pd.DataFrame:
    """A bar frame with open = high = low = close and a flat volume."""
    data = {name: closes for name in ("open", "high", "low", "close")}
    data["volume"] = np.full(len(closes), 1_000_000.0)
    return pd.DataFrame(data, index=pd.DatetimeIndex(index, name="date"))[list(BAR_COLUMNS)]


def sessions(start: date | str, end: date | str) -> pd.DatetimeIndex:
    """Weekdays between ``start`` and ``end`` (a stand-in for NYSE sessions)."""
    return pd.bdate_range(pd.Timestamp(start), pd.Timestamp(end), name="date")


def ticker_seed(ticker: str, seed: int) -> int:
    return (zlib.crc32(ticker.encode("utf-8")) + 7919 * seed) % (2**32)


def synthetic_closes(ticker: str, n: int, seed: int = 0) -> np.ndarray:
    """A seeded random walk with a ticker-specific drift and volatility, and
    a few volatility regimes so that thresholds are crossed both ways."""
    rng = np.random.default_rng(ticker_seed(ticker, seed))
    base_vol = rng.uniform(0.005, 0.045)
    drift = rng.normal(0.0002, 0.0008)
    regime = np.repeat(rng.uniform(0.5, 2.0, size=n // 40 + 1), 40)[:n]
    returns = rng.normal(drift, base_vol, size=n) * regime
    start = rng.uniform(10.0, 300.0)
    return start * np.cumprod(1.0 + np.clip(returns, -0.5, 0.5))


def synthetic_bars(
    tickers: Iterable[str], start: date | str, end: date | str, seed: int = 0
) -> InMemoryBars:
    index = sessions(start, end)
    frames = {
        ticker: frame_from_closes(index, synthetic_closes(ticker, len(index), seed))
        for ticker in sorted(set(tickers))
    }
    return InMemoryBars(frames)
