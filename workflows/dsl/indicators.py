"""Indicator math, exactly as in section 4.3 (``indicators.py@22594d65a``).

Each function takes the closes the indicator may see (a float64 array, oldest
first, already cut to the indicator's calendar window and live-bar policy by
:mod:`workflows.dsl.window`) and returns the **last** value of the series the
real ``TechnicalIndicators`` method would compute, or raises
:class:`DslEvaluationError` where the real service does (a NaN last value).

Units follow the real system: returns are in percent (5.0 = 5 %), standard
deviations are sample (ddof=1) and daily (not annualised).

Numerics: the recursive indicators (RSI, EMA) replay pandas'
``ewm(adjust=False)`` update step by step, so they match pandas bit for bit
(tested). The windowed ones (SMA, stdev, MA-return) use numpy reductions over
the last ``n`` values; they agree with pandas' rolling kernels to ~1e-12
relative, not bit for bit (pandas accumulates with an online, compensated sum).
Only the last value is ever needed, so no full rolling series is built.
"""

from __future__ import annotations

import numpy as np

from workflows.dsl.errors import DslEvaluationError, MarketDataError

NEUTRAL_RSI = 50.0


def _check_window(name: str, window: int) -> None:
    # The real TechnicalIndicators raise MarketDataError here (fatal even inside a filter).
    if window <= 0:
        raise MarketDataError(f"{name} window must be positive, got {window}")


def ewm_last(values: list[float], alpha: float) -> float:
    """Last value of ``pd.Series(values).ewm(alpha=alpha, adjust=False).mean()``.

    Replays pandas' update (``window/aggregations.pyx: ewm``) for NaN-free
    input: the series is seeded with its first value, and each step computes
    ``(old_wt * w + new_wt * x) / (old_wt + new_wt)`` with ``old_wt = 1 - alpha``
    and ``new_wt = alpha`` (pandas divides by their float sum, which is not
    always exactly 1, and skips the update when ``x == w``).
    """
    old_wt = 1.0 - alpha
    new_wt = alpha
    denominator = old_wt + new_wt
    weighted = values[0]
    for current in values[1:]:
        if weighted != current:
            weighted = (old_wt * weighted + new_wt * current) / denominator
    return weighted


def rsi(closes: np.ndarray, window: int) -> float:
    """Wilder RSI: gains/losses smoothed by ``ewm(alpha=1/n, adjust=False)``.

    Seeded with 0 at the first bar of the window (the first delta is NaN and
    becomes 0), so the value depends on where the window starts. Fewer than
    ``n`` closes → 50; 0/0 → 50; losses 0 with gains > 0 → 100.
    """
    _check_window("RSI", window)
    if len(closes) < window:
        return NEUTRAL_RSI
    delta = np.diff(closes)
    gains = [0.0] + np.where(delta > 0, delta, 0.0).tolist()
    losses = [0.0] + np.where(delta < 0, -delta, 0.0).tolist()
    alpha = 1.0 / window
    avg_gain = ewm_last(gains, alpha)
    avg_loss = ewm_last(losses, alpha)
    if avg_loss == 0.0:
        return 100.0 if avg_gain > 0.0 else NEUTRAL_RSI
    return 100.0 - (100.0 / (1.0 + avg_gain / avg_loss))


def moving_average(closes: np.ndarray, window: int, symbol: str = "") -> float:
    """Mean of the last ``n`` closes; fewer than ``n`` → error (as the service)."""
    _check_window("Moving average", window)
    if len(closes) < window:
        raise DslEvaluationError(
            f"Insufficient data for {symbol}: need {window} bars, have {len(closes)} bars"
        )
    return float(np.mean(closes[-window:]))


def exponential_moving_average(closes: np.ndarray, window: int, symbol: str = "") -> float:
    """``ewm(span=n, adjust=False)`` seeded at the window's first close.

    The first ``n - 1`` values are masked, so fewer than ``n`` closes → error.
    """
    _check_window("EMA", window)
    if len(closes) < window:
        raise DslEvaluationError(f"No EMA available for {symbol} window={window}")
    return ewm_last(closes.tolist(), 2.0 / (window + 1.0))


def _pct_returns(closes: np.ndarray) -> np.ndarray:
    return closes[1:] / closes[:-1] - 1.0


def moving_average_return(closes: np.ndarray, window: int, symbol: str = "") -> float:
    """Mean of the last ``n`` daily returns × 100 (needs ``n + 1`` closes).

    Fewer than ``n`` closes → 0; exactly ``n`` → NaN → error.
    """
    _check_window("Moving average return", window)
    if len(closes) < window:
        return 0.0
    if len(closes) == window:
        raise DslEvaluationError(f"No moving average return for {symbol} window={window}")
    return float(np.mean(_pct_returns(closes)[-window:])) * 100.0


def cumulative_return(closes: np.ndarray, window: int, symbol: str = "") -> float:
    """``(P_t / P_{t-n} - 1) × 100``; ``n`` or fewer closes → 0."""
    _check_window("Cumulative return", window)
    if len(closes) <= window:
        return 0.0
    return (float(closes[-1]) / float(closes[-1 - window]) - 1.0) * 100.0


def stdev_return(closes: np.ndarray, window: int, symbol: str = "") -> float:
    """Sample stdev of the last ``n`` daily returns in percent (not annualised).

    Fewer than ``n`` closes → 0; a NaN result (exactly ``n`` closes, or n = 1)
    → error.
    """
    _check_window("Standard deviation", window)
    if len(closes) < window:
        return 0.0
    returns = _pct_returns(closes) * 100.0
    if len(returns) < window or window < 2:
        raise DslEvaluationError(f"No stdev-return for {symbol} window={window}")
    return float(np.std(returns[-window:], ddof=1))


def stdev_price(closes: np.ndarray, window: int, symbol: str = "") -> float:
    """Sample stdev of the last ``n`` closes; fewer than ``n`` → 0."""
    _check_window("Standard deviation", window)
    if len(closes) < window:
        return 0.0
    if window < 2:
        raise DslEvaluationError(f"No stdev-price for {symbol} window={window}")
    return float(np.std(closes[-window:], ddof=1))


def max_drawdown(closes: np.ndarray, window: int, symbol: str = "") -> float:
    """Largest decline from the **first** close of the last ``n`` closes, in %.

    ``-min(P_i / P_first - 1) × 100`` (22594d65a; not peak-to-trough, which
    came on 2026-02-01). Always ≥ 0; fewer than ``n`` closes → 0.
    """
    _check_window("Max drawdown", window)
    if len(closes) < window:
        return 0.0
    span = closes[-window:]
    # + 0.0 turns the -0.0 of a window that never dips below its first close into 0.0
    return float(-np.min(span / span[0] - 1.0) * 100.0) + 0.0


def current_price(closes: np.ndarray, window: int = 0, symbol: str = "") -> float:
    """Last close of the series the indicator sees."""
    if len(closes) == 0:
        raise DslEvaluationError(f"No last price for symbol {symbol}")
    return float(closes[-1])
