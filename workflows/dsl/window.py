"""What each indicator may see: the as-of rule, the calendar window, live bars.

As-of rule: a run at day D (15:45 New York) sees only bars dated before D.

Calendar window (section 4.3, ``_required_bars`` / ``_period_for_bars``): each
indicator type needs a number of bars; ``years = max(1, ceil(ceil(bars × 1.1) /
252))`` and the adapter keeps bars whose UTC timestamp is on or after
``now − 365 × years days``. A daily bar's timestamp is 04:00/05:00 UTC on its
session date, earlier than the 15:45 ET run time, so the bar dated exactly
``D − 365 × years`` falls outside; we keep session dates strictly after it.
RSI and EMA are recursive and seeded at the first bar, so this cut-off changes
their values.

Live-bar policy (section 4.4), a setting:

* ``t-1`` (default): every indicator sees closes through T-1. This is the
  configuration that produced the golden days (section 7).
* ``as-built-22594d65a``: the worker appended today's snapshot bar to every
  series and stripped it again (only when the series has more than one bar)
  for indicators whose ``should_use_live_bar`` is False. current-price,
  moving-average-price and max-drawdown kept it. We take D's row close as the
  live close-so-far; if D has no row the series ends at T-1 (as when the real
  snapshot failed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import numpy as np
import pandas as pd


class LiveBarPolicy(StrEnum):
    CLOSES_THROUGH_T_MINUS_1 = "t-1"
    AS_BUILT_22594D65A = "as-built-22594d65a"


DEFAULT_POLICY = LiveBarPolicy.CLOSES_THROUGH_T_MINUS_1

# should_use_live_bar at 22594d65a (partial_bar_config.py); unknown types default True.
USES_LIVE_BAR_AS_BUILT = {
    "current_price": True,
    "moving_average": True,
    "max_drawdown": True,
    "rsi": False,
    "exponential_moving_average_price": False,
    "moving_average_return": False,
    "cumulative_return": False,
    "stdev_return": False,
    "stdev_price": False,
}

_LONG_WARMUP = {"moving_average", "exponential_moving_average_price", "max_drawdown"}
_RETURN_BASED = {"moving_average_return", "stdev_return", "stdev_price", "cumulative_return"}


def required_bars(kind: str, window: int) -> int:
    """``IndicatorService._required_bars`` at 22594d65a."""
    if kind in _LONG_WARMUP:
        return max(window, 200)
    if kind in _RETURN_BASED:
        return max(window + 5, 60)
    if kind == "rsi":
        return max(window * 3 if window > 0 else 200, 200)
    if kind == "current_price":
        return 1
    return 252


def calendar_days(kind: str, window: int) -> int:
    """Calendar days of history fetched: 365 × years (``_period_for_bars``)."""
    bars_with_buffer = math.ceil(required_bars(kind, window) * 1.1)
    years = max(1, math.ceil(bars_with_buffer / 252))
    return 365 * years


@dataclass(frozen=True)
class SymbolBars:
    """One symbol's closes, with session dates as integer days since epoch."""

    symbol: str
    days: np.ndarray  # int64, ascending
    closes: np.ndarray  # float64

    @classmethod
    def from_frame(cls, symbol: str, frame: pd.DataFrame) -> SymbolBars:
        index = pd.DatetimeIndex(frame.index)
        days = index.values.astype("datetime64[D]").astype(np.int64)
        closes = frame["close"].to_numpy(dtype=np.float64)
        return cls(symbol, days, closes)


def _day_number(value: date) -> int:
    return int(np.datetime64(value, "D").astype(np.int64))


def visible_closes(
    bars: SymbolBars, as_of: date, kind: str, window: int, policy: LiveBarPolicy
) -> np.ndarray:
    """Closes indicator ``kind`` may see when run on ``as_of`` (oldest first)."""
    today = _day_number(as_of)
    cutoff = _day_number(as_of - timedelta(days=calendar_days(kind, window)))
    start = int(np.searchsorted(bars.days, cutoff, side="right"))
    end = int(np.searchsorted(bars.days, today, side="left"))
    history = bars.closes[start:end]
    if policy is LiveBarPolicy.CLOSES_THROUGH_T_MINUS_1:
        return history
    has_live = end < len(bars.days) and bars.days[end] == today
    if not has_live:
        return history
    series = np.append(history, bars.closes[end])
    # The real service strips the live bar only from series longer than one bar.
    if not USES_LIVE_BAR_AS_BUILT.get(kind, True) and len(series) > 1:
        return history
    return series
