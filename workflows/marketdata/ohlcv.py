"""Daily OHLC, volume, trade count and VWAP around a close series.

Closes carry the information strategies use; the rest must be *plausible* and
*consistent*: low <= min(open, close), max(open, close) <= high, volume and
trade_count positive whole numbers, vwap inside [low, high].

A leveraged fund's open/high/low are derived from its underlying's intraday
moves (open = prev_close x (1 + m x underlying's overnight return), and the
underlying's high/low mapped the same way, swapped for m < 0), so a 3x fund's
intraday range is about 3x its underlying's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Ohlc:
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    prev_close: np.ndarray


def local_sigma(log_returns: np.ndarray, window: int = 20) -> np.ndarray:
    """Recent daily volatility: rolling std, falling back to the whole series'."""
    overall = float(np.std(log_returns)) or 1e-4
    rolling = pd.Series(log_returns).rolling(window, min_periods=5).std().to_numpy()
    return np.where(np.isfinite(rolling) & (rolling > 0), rolling, overall)


def base_ohlc(closes: np.ndarray, first_prev: float, rng: np.random.Generator) -> Ohlc:
    """Open/high/low for an instrument with its own price path."""
    prev = np.concatenate(([first_prev], closes[:-1]))
    r = np.log(closes / prev)
    sigma = local_sigma(r)
    z = rng.standard_normal((3, len(closes)))
    # Part of the day's move happens overnight, plus an opening-auction wiggle.
    gap = 0.35 * r * rng.uniform(0.0, 1.0, len(closes)) + 0.15 * sigma * z[0]
    opens = prev * np.exp(gap)
    high = np.maximum(opens, closes) * np.exp(0.45 * sigma * np.abs(z[1]))
    low = np.minimum(opens, closes) * np.exp(-0.45 * sigma * np.abs(z[2]))
    return Ohlc(opens, high, low, closes, prev)


def leveraged_ohlc(base: Ohlc, closes: np.ndarray, first_prev: float, multiple: float) -> Ohlc:
    """OHLC of a daily-reset fund from its underlying's intraday moves."""
    prev = np.concatenate(([first_prev], closes[:-1]))

    def mapped(level: np.ndarray) -> np.ndarray:
        moved = 1.0 + multiple * (level / base.prev_close - 1.0)
        return prev * np.maximum(moved, 0.02)  # a fund price cannot go below zero

    opens = mapped(base.open)
    ends = np.stack([mapped(base.high), mapped(base.low), opens, closes])
    return Ohlc(opens, ends.max(axis=0), ends.min(axis=0), closes, prev)


def activity(
    ohlc: Ohlc, rng: np.random.Generator, typical_volume: float, trade_size: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Volume, trade count and VWAP. Volume rises with the size of the move."""
    r = np.abs(np.log(ohlc.close / ohlc.prev_close))
    surprise = r / local_sigma(r)
    z = rng.standard_normal((3, len(r)))
    volume = np.rint(typical_volume * np.exp(0.3 * z[0]) * (0.6 + 0.4 * surprise))
    volume = np.maximum(volume, 100.0)
    trades = np.maximum(np.rint(volume / (trade_size * np.exp(0.1 * z[1]))), 1.0)
    typical = (ohlc.high + ohlc.low + ohlc.close) / 3.0
    vwap = np.clip(typical * (1.0 + 0.001 * z[2]), ohlc.low, ohlc.high)
    return volume, trades, vwap
