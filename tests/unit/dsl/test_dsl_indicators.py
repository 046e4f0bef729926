"""Indicator math (section 4.3) on small hand-computed series, pandas/ta
cross-checks, the calendar window and the live-bar policy (section 4.4)."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
import ta

from workflows.dsl import indicators as ind
from workflows.dsl.errors import DslEvaluationError
from workflows.dsl.testing import InMemoryBars, frame_from_closes, synthetic_closes
from workflows.dsl.window import (
    LiveBarPolicy,
    SymbolBars,
    calendar_days,
    required_bars,
    visible_closes,
)


def a(*values: float) -> np.ndarray:
    return np.array(values, dtype=float)


# ---------- RSI ----------


def test_rsi_hand_computed():
    # gains 0,1,1,0,1 and losses 0,0,0,1,0 smoothed with alpha 1/2 from 0:
    # avg gain 0 → .5 → .75 → .375 → .6875; avg loss 0 → 0 → 0 → .5 → .25
    assert ind.rsi(a(1, 2, 3, 2, 3), 2) == pytest.approx(100 - 100 / (1 + 0.6875 / 0.25), abs=1e-12)


def test_rsi_edges():
    assert ind.rsi(a(1, 2, 3), 4) == 50.0  # fewer than n closes
    assert ind.rsi(a(5, 5, 5, 5), 2) == 50.0  # 0/0 → NaN → 50
    assert ind.rsi(a(1, 2, 3, 4), 2) == 100.0  # no losses
    assert ind.rsi(a(4, 3, 2, 1), 2) == 0.0  # no gains
    with pytest.raises(DslEvaluationError, match="window must be positive"):
        ind.rsi(a(1, 2), 0)


def test_rsi_matches_pandas_formula_bit_for_bit():
    closes = synthetic_closes("XYZ", 500, seed=3)
    series = pd.Series(closes)
    for window in (2, 7, 10, 14, 60, 120):
        delta = series.diff()
        gain = delta.where(delta > 0, 0).ewm(alpha=1 / window, adjust=False).mean()
        loss = (-delta.where(delta < 0, 0)).ewm(alpha=1 / window, adjust=False).mean()
        expected = (100 - 100 / (1 + gain.divide(loss, fill_value=0.0))).fillna(50).iloc[-1]
        assert ind.rsi(closes, window) == expected


def test_rsi_matches_ta_package():
    closes = synthetic_closes("ABC", 300, seed=1)
    for window in (3, 10, 14, 21):
        expected = ta.momentum.RSIIndicator(pd.Series(closes), window=window).rsi().iloc[-1]
        assert ind.rsi(closes, window) == pytest.approx(expected, rel=1e-12)


def test_rsi_depends_on_where_the_window_starts():
    closes = synthetic_closes("SEED", 400, seed=2)
    assert ind.rsi(closes, 60) != ind.rsi(closes[1:], 60)


# ---------- moving averages ----------


def test_sma_hand_computed_and_insufficient_data():
    assert ind.moving_average(a(1, 2, 3, 4, 5), 3) == 4.0
    with pytest.raises(DslEvaluationError, match="need 6 bars, have 5"):
        ind.moving_average(a(1, 2, 3, 4, 5), 6, "SPY")


def test_ema_hand_computed_and_masking():
    # span 3 → alpha 0.5: 1 → 1.5 → 2.25 → 3.125 → 4.0625
    assert ind.exponential_moving_average(a(1, 2, 3, 4, 5), 3) == 4.0625
    with pytest.raises(DslEvaluationError, match="No EMA available for SPY window=3"):
        ind.exponential_moving_average(a(1, 2), 3, "SPY")


def test_sma_and_ema_match_ta_package():
    closes = synthetic_closes("DEF", 260, seed=4)
    series = pd.Series(closes)
    for window in (5, 20, 200):
        sma = ta.trend.SMAIndicator(series, window=window).sma_indicator().iloc[-1]
        assert ind.moving_average(closes, window) == pytest.approx(sma, rel=1e-12)
        ema = ta.trend.EMAIndicator(series, window=window).ema_indicator().iloc[-1]
        assert ind.exponential_moving_average(closes, window) == ema  # same recursion, bit for bit


def test_ewm_last_replays_pandas_exactly():
    values = synthetic_closes("EWM", 300, seed=5).tolist()
    for alpha in (1 / 7, 0.1, 2 / 9, 0.5, 1 / 120):
        expected = pd.Series(values).ewm(alpha=alpha, adjust=False).mean().iloc[-1]
        assert ind.ewm_last(values, alpha) == expected


# ---------- returns (percent) ----------


def test_moving_average_return():
    # returns 10 %, -10 %, 0 %: the mean of the last two is -5 %
    assert ind.moving_average_return(a(100, 110, 99, 99), 2) == pytest.approx(-5.0)
    assert ind.moving_average_return(a(100, 110), 3) == 0.0  # fewer than n closes → 0
    with pytest.raises(DslEvaluationError, match="No moving average return"):
        ind.moving_average_return(a(100, 110, 99), 3)  # exactly n closes → NaN


def test_cumulative_return():
    assert ind.cumulative_return(a(100, 110, 99, 99), 2) == pytest.approx(-10.0)
    assert ind.cumulative_return(a(100, 110), 2) == 0.0  # n or fewer closes → 0


def test_stdev_return_is_sample_and_daily():
    # percent returns 10, -10, 0; the last two (-10, 0) have sample stdev sqrt(50)
    assert ind.stdev_return(a(100, 110, 99, 99), 2) == pytest.approx(math.sqrt(50))
    assert ind.stdev_return(a(100, 110, 99, 99), 5) == 0.0  # fewer than n closes → 0
    with pytest.raises(DslEvaluationError, match="No stdev-return"):
        ind.stdev_return(a(100, 110, 99, 99), 4)  # n closes give n-1 returns → NaN


def test_stdev_price_is_sample():
    closes = a(2, 4, 4, 4, 5, 5, 7, 9)  # squared deviations sum to 32 over 7
    assert ind.stdev_price(closes, 8) == pytest.approx(math.sqrt(32 / 7))
    assert ind.stdev_price(closes, 9) == 0.0


def test_max_drawdown_from_first_close_not_peak():
    # from the first close 100: lowest is 60 → 40 % (peak-to-trough would be 50 %)
    assert ind.max_drawdown(a(100, 80, 120, 60), 4) == pytest.approx(40.0)
    # never below the first close → 0 (peak-to-trough would say 15.4 %)
    assert ind.max_drawdown(a(100, 130, 110), 3) == 0.0
    assert ind.max_drawdown(a(50, 100, 80, 120, 60), 4) == pytest.approx(40.0)  # last n only
    assert ind.max_drawdown(a(100, 80), 3) == 0.0


def test_current_price():
    assert ind.current_price(a(1, 2, 3.5)) == 3.5
    with pytest.raises(DslEvaluationError, match="No last price"):
        ind.current_price(a(), 0, "SPY")


# ---------- calendar window and live bar ----------


def test_required_bars_and_calendar_days():
    assert required_bars("rsi", 10) == 200 and calendar_days("rsi", 10) == 365
    assert required_bars("rsi", 76) == 228 and calendar_days("rsi", 76) == 365
    assert calendar_days("rsi", 77) == 730  # 231 × 1.1 > 252
    assert calendar_days("max_drawdown", 229) == 365 and calendar_days("max_drawdown", 230) == 730
    assert required_bars("stdev_return", 100) == 105 and calendar_days("stdev_return", 100) == 365
    assert required_bars("cumulative_return", 10) == 60
    assert required_bars("current_price", 0) == 1 and calendar_days("current_price", 0) == 365


def _daily_bars(start: str, end: str) -> SymbolBars:
    index = pd.bdate_range(start, end)
    return SymbolBars.from_frame("X", frame_from_closes(index, np.arange(1.0, len(index) + 1)))


def test_window_keeps_sessions_strictly_after_the_cutoff_and_before_the_run_day():
    bars = _daily_bars("2022-01-03", "2024-03-15")
    as_of = date(2024, 3, 13)  # Wednesday
    seen = visible_closes(bars, as_of, "rsi", 10, LiveBarPolicy.CLOSES_THROUGH_T_MINUS_1)
    days = pd.bdate_range("2022-01-03", "2024-03-15")
    expected = days[(days > pd.Timestamp("2023-03-14")) & (days < pd.Timestamp("2024-03-13"))]
    assert len(seen) == len(expected)
    assert seen[0] == days.get_loc(expected[0]) + 1  # closes are 1, 2, 3, ...
    assert seen[-1] == days.get_loc(pd.Timestamp("2024-03-12")) + 1
    # the bar dated exactly as_of - 365 days (2023-03-14, a Tuesday) is outside
    boundary = visible_closes(bars, date(2024, 3, 13), "rsi", 10, LiveBarPolicy.CLOSES_THROUGH_T_MINUS_1)
    assert days.get_loc(pd.Timestamp("2023-03-14")) + 1 not in boundary
    two_years = visible_closes(bars, as_of, "rsi", 90, LiveBarPolicy.CLOSES_THROUGH_T_MINUS_1)
    assert len(two_years) > 480


def test_live_bar_policy_as_built():
    bars = _daily_bars("2023-06-01", "2024-03-15")
    as_of = date(2024, 3, 13)
    today_close = pd.bdate_range("2023-06-01", "2024-03-15").get_loc(pd.Timestamp(as_of)) + 1
    t1 = LiveBarPolicy.CLOSES_THROUGH_T_MINUS_1
    built = LiveBarPolicy.AS_BUILT_22594D65A
    for kind in ("current_price", "moving_average", "max_drawdown"):
        assert visible_closes(bars, as_of, kind, 5, built)[-1] == today_close
        assert visible_closes(bars, as_of, kind, 5, t1)[-1] == today_close - 1
    for kind in ("rsi", "exponential_moving_average_price", "moving_average_return",
                 "cumulative_return", "stdev_return", "stdev_price"):
        assert visible_closes(bars, as_of, kind, 5, built)[-1] == today_close - 1
    # no row for the run day (a failed snapshot): series ends at T-1
    assert visible_closes(bars, date(2024, 3, 16), "current_price", 0, built)[-1] == today_close + 2


def test_live_bar_is_kept_for_a_one_bar_series_even_when_stripped_types():
    bars = SymbolBars.from_frame(
        "NEW", frame_from_closes(pd.DatetimeIndex(["2024-03-13"]), np.array([42.0]))
    )
    built = LiveBarPolicy.AS_BUILT_22594D65A
    assert visible_closes(bars, date(2024, 3, 13), "rsi", 10, built).tolist() == [42.0]
    t1 = LiveBarPolicy.CLOSES_THROUGH_T_MINUS_1
    assert visible_closes(bars, date(2024, 3, 13), "rsi", 10, t1).size == 0


def test_in_memory_bars_shape():
    source = InMemoryBars.from_closes({"A": [1.0, 2.0, 3.0]}, end="2024-06-28")
    frame = source.daily_bars("A")
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert frame.index.tz is None and frame.index.is_monotonic_increasing
    assert frame.index[-1] == pd.Timestamp("2024-06-28")
