"""The regime schedule of the synthetic market: dated segments per common factor.

Why: a plain random walk leaves whole decision trees of the real strategies
untaken (a trial returned TQQQ on every one of 60 days). The common factors are
therefore driven by a *schedule* of dated segments (crashes and V-shaped
recoveries, slow bleeds, volatility spikes and calm stretches, rate shocks,
strong rallies) and the seed only supplies the day-to-day noise.

How a factor path is made (``factor_returns``): inside each segment the daily
log return is ``log(1 + total) / n`` (n = the segment's sessions) plus noise (Student-t(5), scaled to the
segment's annualised ``vol``) that is *demeaned within the segment*, so each
segment's cumulative return is exactly its ``total`` whatever the seed. Days not
covered by a segment get the factor's default drift and vol.

Units: equity-like factors are log returns; ``total`` is the segment's total
simple return. The ``rates`` factor is the daily change of the 10-year yield in
decimal (``total`` = the yield change over the segment, e.g. +0.013 = +130 bp).
Market segments also carry the VIX level the volatility model is pulled toward.

The schedule is designed against the 12 real strategies: over the ~540
sessions they are evaluated on (2024-01-02 onward) their ``if``s should take
both branches (``dsl coverage --untaken`` lists the ones that do not, and what
their conditions saw). Hence two bear phases under the 200-day average with
oversold days and bear rallies, VIX-led shocks (UVXY's RSI(10) above 84 on a
small equity drop), a flash crash, sector squeezes (financials, consumer,
communication, health, staples, biotech) while the index is not overbought,
an EM cycle that keeps EEM about half the time below its 200-day average,
recurring bill-funding stress that does the same for SHV/BIL against their
50-day averages, rate shocks, credit-spread moves and gold melt-ups.

The dates below are invented: the schedule is not a claim about real history,
though its shapes are loosely modelled on 2023-2026 events.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from workflows.marketdata import calendar

TRADING_DAYS = 252


@dataclass(frozen=True)
class Segment:
    """A dated regime of one factor: [start, end] inclusive, calendar dates."""

    start: str
    end: str
    total: float
    vol: float
    kind: str
    vix: float | None = None


def _market(rows: list[tuple[str, str, float, float, float]], last_end: str) -> tuple[Segment, ...]:
    """Market segments are contiguous: each runs until the day before the next."""
    segs = []
    for i, (start, kind, total, vol, vix) in enumerate(rows):
        end = rows[i + 1][0] if i + 1 < len(rows) else last_end
        end_day = (pd.Timestamp(end) - pd.Timedelta(days=1)) if i + 1 < len(rows) else pd.Timestamp(end)
        segs.append(Segment(start, str(end_day.date()), total, vol, kind, vix))
    return tuple(segs)


# (start, kind, total simple return, annualised vol, VIX target)
#
# 2023 builds the history the first evaluated days look back on. From 2024 on
# (the ~540 sessions the strategies are evaluated over) the market alternates
# bull stretches (melt-ups that push RSI(10) over 80) with two bear phases
# below the 200-day average (a 2024 rate-shock bear ending in a capitulation,
# and the long 2025-26 bear leg), VIX-led shocks where volatility products
# spike on a modest equity drop, sharp crashes and bear-market rallies.
MARKET = _market(
    [
        ("2023-01-03", "rally", 0.07, 0.16, 19.0),
        ("2023-02-03", "slow_bleed", -0.07, 0.17, 23.0),
        ("2023-03-14", "strong_rally", 0.17, 0.12, 14.0),
        ("2023-08-01", "slow_bleed", -0.10, 0.14, 19.0),
        ("2023-10-30", "strong_rally", 0.15, 0.11, 13.0),
        ("2024-01-02", "calm", 0.04, 0.08, 12.5),
        ("2024-02-05", "melt_up", 0.06, 0.07, 13.0),
        ("2024-03-11", "vol_shock", -0.04, 0.18, 30.0),
        ("2024-03-25", "rebound", 0.04, 0.12, 17.0),
        # The 2024 bear: a rate shock hits stocks and bonds together, a bear
        # rally, a bleed under the 200-day average, then a capitulation.
        ("2024-04-15", "rate_shock_bear", -0.11, 0.20, 26.0),
        ("2024-05-28", "bear_rally", 0.05, 0.15, 21.0),
        ("2024-06-17", "slow_bleed", -0.06, 0.15, 23.0),
        ("2024-07-05", "bear_rally", 0.03, 0.12, 20.0),
        # volatility jumps on a small equity drop (VIX-led, UVXY RSI > 84)
        ("2024-07-15", "vol_shock", -0.015, 0.12, 40.0),
        ("2024-07-24", "capitulation", -0.09, 0.35, 34.0),
        ("2024-08-05", "v_recovery", 0.13, 0.17, 20.0),
        ("2024-09-16", "chop", 0.01, 0.13, 17.0),
        ("2024-10-28", "rally", 0.07, 0.10, 14.0),
        ("2024-12-09", "calm", 0.01, 0.06, 11.5),
        ("2025-01-06", "broad_pop", 0.03, 0.06, 12.0),
        ("2025-01-21", "calm", 0.01, 0.06, 11.5),
        # The 2025 crash: a flash crash (SVXY down >20 % in two days), two legs
        # with a bear rally between, then a V-shaped recovery.
        ("2025-02-18", "flash_crash", -0.07, 0.25, 60.0),
        ("2025-02-20", "crash", -0.11, 0.40, 40.0),
        ("2025-03-17", "bear_rally", 0.06, 0.22, 28.0),
        ("2025-03-31", "crash", -0.11, 0.42, 42.0),
        ("2025-04-09", "v_recovery", 0.14, 0.32, 28.0),
        ("2025-05-01", "recovery", 0.11, 0.16, 18.0),
        ("2025-06-16", "calm_rally", 0.07, 0.08, 12.5),
        ("2025-07-28", "air_pocket", -0.035, 0.16, 22.0),
        ("2025-08-04", "calm_rally", 0.05, 0.08, 13.0),
        # A drawn-out bear leg: the market stays under its 200-day average for
        # months, with repeated volatility spikes and bear-market rallies.
        ("2025-08-25", "slow_bleed", -0.08, 0.14, 21.0),
        ("2025-10-06", "vol_spike", -0.09, 0.30, 36.0),
        ("2025-10-20", "bear_rally", 0.06, 0.20, 24.0),
        ("2025-11-10", "vol_spike", -0.08, 0.32, 38.0),
        ("2025-11-24", "bear_rally", 0.04, 0.18, 24.0),
        ("2025-12-08", "capitulation", -0.05, 0.30, 40.0),
        ("2025-12-19", "recovery", 0.12, 0.16, 18.0),
        ("2026-01-02", "sharp_drop", -0.08, 0.26, 30.0),
        ("2026-01-20", "rebound", 0.06, 0.15, 18.0),
        ("2026-02-09", "slow_bleed", -0.05, 0.14, 21.0),
        ("2026-03-16", "calm", 0.04, 0.10, 15.0),
    ],
    last_end="2026-12-31",
)


def _segs(*rows: tuple[str, str, float, float, str]) -> tuple[Segment, ...]:
    return tuple(Segment(*row) for row in rows)


def _bill_cycles(first: str, last: str, period: int, length: int) -> tuple[Segment, ...]:
    """Every ``period`` sessions from ``first``: a 4-session shock (-0.4 %), stress
    for the rest of ``length`` sessions (-0.4 %), then a 4-session relief (+0.4 %)."""
    days = [str(d) for d in calendar.sessions(first, last)]
    segs: list[Segment] = []
    for i in range(0, len(days) - length - 4 + 1, period):
        segs += [
            Segment(days[i], days[i + 3], -0.004, 0.004, "bill_shock"),
            Segment(days[i + 4], days[i + length - 1], -0.004, 0.004, "bill_stress"),
            Segment(days[i + length], days[i + length + 3], 0.004, 0.002, "relief"),
        ]
    return tuple(segs)


# Sparse segments of the other factors. "rel" factors are relative to the market
# (e.g. tech = Nasdaq-100 minus beta x market), so sector rotations show up.
OTHER: dict[str, tuple[Segment, ...]] = {
    "tech": _segs(
        ("2023-01-03", "2023-07-31", 0.18, 0.08, "ai_boom"),
        ("2024-02-05", "2024-03-08", 0.04, 0.07, "tech_led"),
        ("2024-03-11", "2024-03-22", -0.03, 0.10, "tech_pullback"),
        ("2024-06-17", "2024-07-05", 0.05, 0.08, "tech_bid"),
        ("2024-07-15", "2024-07-23", 0.02, 0.08, "tech_bid"),
        ("2024-07-24", "2024-08-02", -0.05, 0.12, "rotation"),
        ("2024-10-28", "2024-11-22", -0.04, 0.08, "value_rotation"),
        ("2025-01-06", "2025-01-17", -0.02, 0.06, "rotation"),
        ("2025-01-27", "2025-02-14", 0.04, 0.06, "ai_melt_up"),
        ("2025-02-18", "2025-04-08", -0.07, 0.12, "crash_underperform"),
        ("2025-04-09", "2025-07-25", 0.08, 0.09, "leadership"),
        ("2025-07-28", "2025-08-01", -0.04, 0.10, "air_pocket"),
        ("2025-10-27", "2025-11-21", -0.06, 0.12, "ai_wobble"),
        ("2025-12-08", "2025-12-18", 0.03, 0.10, "tech_bid"),
        ("2026-01-02", "2026-01-16", -0.04, 0.12, "derisk"),
    ),
    "semi": _segs(
        ("2023-05-15", "2023-07-14", 0.15, 0.22, "boom"),
        ("2024-01-02", "2024-03-08", 0.20, 0.22, "boom"),
        ("2024-03-11", "2024-03-22", 0.04, 0.15, "resilient"),
        ("2024-07-08", "2024-09-06", -0.18, 0.30, "bust"),
        ("2025-02-18", "2025-04-08", -0.10, 0.30, "crash_underperform"),
        ("2025-04-09", "2025-07-31", 0.12, 0.22, "boom"),
        ("2025-09-01", "2025-10-31", 0.15, 0.22, "boom"),
        ("2026-01-05", "2026-01-30", -0.10, 0.30, "bust"),
    ),
    "rates": _segs(
        ("2023-02-01", "2023-03-08", 0.006, 0.010, "rise"),
        ("2023-03-09", "2023-04-05", -0.006, 0.012, "flight_to_quality"),
        ("2023-07-17", "2023-10-19", 0.013, 0.009, "rate_shock"),
        ("2023-10-20", "2023-12-27", -0.011, 0.009, "rally"),
        ("2024-01-02", "2024-03-08", 0.004, 0.008, "rise"),
        ("2024-03-11", "2024-03-22", -0.003, 0.010, "flight_to_quality"),
        ("2024-04-15", "2024-07-19", 0.011, 0.010, "rate_shock"),
        ("2024-07-22", "2024-09-13", -0.012, 0.009, "rally"),
        ("2024-09-16", "2024-12-06", 0.006, 0.008, "rise"),
        ("2025-01-15", "2025-04-04", -0.008, 0.008, "rally"),
        ("2025-04-07", "2025-05-21", 0.006, 0.012, "bond_selloff"),
        ("2025-07-15", "2025-10-28", -0.006, 0.007, "rally"),
        ("2025-12-01", "2026-01-20", 0.007, 0.009, "rate_shock"),
        ("2026-01-21", "2026-02-27", -0.004, 0.008, "rally"),
    ),
    "gold": _segs(
        ("2024-02-28", "2024-03-15", 0.10, 0.06, "melt_up"),
        ("2024-03-18", "2024-05-31", 0.05, 0.14, "bull"),
        ("2024-06-03", "2024-09-13", -0.15, 0.14, "bear"),
        ("2024-09-16", "2024-10-04", 0.04, 0.03, "grind"),
        ("2024-10-07", "2024-12-31", 0.04, 0.15, "recovery"),
        ("2025-01-02", "2025-04-21", 0.27, 0.16, "bull"),
        ("2025-04-22", "2025-08-15", -0.14, 0.16, "bear"),
        ("2025-08-18", "2025-09-05", -0.02, 0.12, "consolidation"),
        ("2025-09-08", "2025-09-17", 0.10, 0.05, "spike"),
        ("2025-09-18", "2025-10-17", 0.18, 0.16, "bull"),
        ("2025-10-20", "2025-11-14", -0.08, 0.22, "pullback"),
        ("2025-11-17", "2025-12-05", 0.04, 0.16, "bull"),
        ("2025-12-08", "2025-12-19", 0.07, 0.07, "haven_spike"),
        ("2025-12-22", "2026-01-28", 0.08, 0.18, "melt_up"),
        ("2026-01-29", "2026-02-06", -0.14, 0.45, "crash"),
    ),
    "silver": _segs(
        ("2025-06-02", "2026-01-28", 0.40, 0.20, "squeeze"),
        ("2026-01-29", "2026-02-06", -0.20, 0.50, "crash"),
    ),
    "oil": _segs(
        ("2023-07-03", "2023-09-27", 0.28, 0.28, "spike"),
        ("2023-09-28", "2023-12-12", -0.20, 0.30, "slide"),
        ("2024-01-16", "2024-02-23", 0.12, 0.25, "supply_shock"),
        ("2024-04-05", "2024-09-10", -0.20, 0.28, "slide"),
        ("2025-01-15", "2025-05-05", -0.25, 0.35, "slide"),
        ("2025-06-12", "2025-06-23", 0.15, 0.50, "spike"),
        ("2025-06-24", "2025-07-10", -0.12, 0.40, "unwind"),
    ),
    "dollar": _segs(
        ("2023-07-14", "2023-10-03", 0.07, 0.06, "rise"),
        ("2024-03-11", "2024-07-19", 0.03, 0.06, "rise"),
        ("2024-09-27", "2025-01-13", 0.08, 0.06, "rise"),
        ("2025-01-14", "2025-06-30", -0.11, 0.08, "slide"),
        ("2026-01-12", "2026-01-27", -0.03, 0.09, "slide"),
    ),
    "china": _segs(
        ("2023-01-27", "2023-10-23", -0.20, 0.20, "bear"),
        ("2024-09-13", "2024-10-07", 0.15, 0.45, "stimulus"),
        ("2024-10-08", "2025-01-10", -0.15, 0.25, "fade"),
        ("2025-01-13", "2025-03-17", 0.25, 0.25, "rerating"),
        ("2025-04-02", "2025-04-08", -0.15, 0.50, "tariff_shock"),
        ("2025-04-09", "2025-10-01", 0.20, 0.20, "recovery"),
    ),
    # Emerging markets on their own cycle (on top of market, dollar and China),
    # so EEM spends long stretches both above and below its 200-day average,
    # in bull and bear US markets alike.
    "em": _segs(
        ("2024-01-02", "2024-02-23", 0.0, 0.08, "flat"),
        ("2024-02-26", "2024-08-02", -0.10, 0.09, "em_bear"),
        ("2024-08-05", "2024-10-04", 0.04, 0.09, "em_rally"),
        ("2024-10-07", "2025-02-14", -0.08, 0.08, "em_bear"),
        ("2025-04-09", "2025-07-31", 0.0, 0.08, "lag"),
        ("2025-08-04", "2025-11-14", -0.08, 0.10, "em_bear"),
        ("2025-11-17", "2026-02-27", 0.10, 0.09, "em_rally"),
    ),
    "crypto": _segs(
        ("2023-01-03", "2023-04-14", 0.80, 0.50, "bull"),
        ("2023-10-16", "2024-03-13", 1.30, 0.50, "bull"),
        ("2024-03-14", "2024-09-06", -0.25, 0.50, "bear"),
        ("2024-11-05", "2024-12-17", 0.50, 0.55, "bull"),
        ("2025-01-21", "2025-04-08", -0.30, 0.50, "bear"),
        ("2025-04-09", "2025-10-06", 0.60, 0.40, "bull"),
        ("2025-10-07", "2025-11-21", -0.30, 0.50, "crash"),
        ("2026-01-14", "2026-02-06", -0.25, 0.60, "crash"),
    ),
    "small": _segs(
        ("2023-11-01", "2023-12-29", 0.08, 0.08, "catch_up"),
        ("2024-05-28", "2024-06-14", 0.05, 0.10, "bear_rally_leader"),
        ("2024-08-05", "2024-08-23", 0.06, 0.12, "rotation"),
        ("2024-11-05", "2024-11-22", 0.06, 0.10, "value_rotation"),
        ("2025-02-18", "2025-04-08", -0.06, 0.10, "crash_underperform"),
        ("2025-10-20", "2025-11-07", -0.05, 0.10, "laggard"),
    ),
    "fin": _segs(
        ("2023-03-08", "2023-05-04", -0.15, 0.20, "bank_stress"),
        ("2024-09-16", "2024-10-04", 0.07, 0.09, "steepener_rally"),
        ("2024-11-05", "2024-11-25", 0.08, 0.12, "rerating"),
        ("2025-07-14", "2025-08-01", 0.05, 0.08, "deregulation"),
    ),
    "consumer": _segs(
        ("2024-04-01", "2024-04-10", 0.05, 0.06, "squeeze"),
        ("2024-11-25", "2024-12-13", 0.08, 0.08, "holiday_squeeze"),
        ("2025-01-27", "2025-02-07", 0.05, 0.06, "squeeze"),
        ("2025-02-18", "2025-04-08", -0.08, 0.12, "tariff_hit"),
        ("2025-06-16", "2025-07-03", 0.06, 0.08, "squeeze"),
    ),
    "biotech": _segs(
        ("2024-10-14", "2024-10-25", 0.10, 0.15, "squeeze"),
        ("2025-07-21", "2025-08-01", -0.14, 0.30, "trial_failures"),
    ),
    "value": _segs(
        ("2024-02-05", "2024-03-08", -0.04, 0.05, "growth_over_value"),
        ("2024-10-28", "2024-11-22", 0.04, 0.05, "value_rotation"),
        ("2025-01-06", "2025-01-17", 0.03, 0.05, "value_rotation"),
    ),
    "comm": _segs(
        ("2024-05-28", "2024-06-07", 0.06, 0.06, "squeeze"),
        ("2024-10-14", "2024-10-23", 0.06, 0.06, "squeeze"),
        ("2025-08-04", "2025-08-15", 0.06, 0.06, "squeeze"),
        ("2026-02-02", "2026-02-11", 0.06, 0.06, "squeeze"),
    ),
    "health": _segs(
        ("2024-09-03", "2024-12-06", -0.07, 0.08, "laggard"),
        ("2024-12-09", "2024-12-20", 0.06, 0.06, "rotation_in"),
        ("2024-12-23", "2025-02-14", -0.04, 0.08, "laggard"),
        ("2025-02-18", "2025-04-08", 0.06, 0.10, "defensive_bid"),
        ("2025-06-02", "2025-06-13", 0.05, 0.06, "rotation_in"),
        ("2025-09-02", "2025-09-11", 0.05, 0.06, "rotation_in"),
        ("2025-10-01", "2025-12-31", 0.10, 0.08, "rerating"),
    ),
    "defensive": _segs(
        ("2023-08-01", "2023-10-27", -0.10, 0.10, "rate_hit"),
        ("2024-07-08", "2024-08-02", 0.05, 0.10, "defensive_bid"),
        ("2024-09-16", "2024-10-11", 0.05, 0.06, "defensive_bid"),
        ("2025-02-18", "2025-04-08", 0.10, 0.12, "defensive_bid"),
        ("2025-11-10", "2025-11-19", 0.04, 0.06, "defensive_bid"),
        ("2026-01-02", "2026-01-16", 0.04, 0.10, "defensive_bid"),
    ),
    "trend": _segs(
        ("2023-03-09", "2023-06-30", -0.08, 0.12, "whipsaw"),
        ("2024-07-08", "2024-08-02", -0.06, 0.15, "reversal"),
        ("2025-02-18", "2025-04-08", -0.08, 0.15, "reversal"),
    ),
    # T-bill funding stress (debt-ceiling standoffs, month-end repo squeezes,
    # bill supply gluts) recurring about every six weeks: bill ETFs dip ~0.8 %
    # and spend weeks below their 50-day averages, then recover. `SHV > MA`
    # switches thus take both branches in every equity and EM regime.
    "bills": _bill_cycles("2024-02-12", "2026-02-27", period=30, length=15),
    # Credit spreads (a price factor: negative = spreads widen), so corporate
    # bonds and closed-end bond funds do not simply mirror Treasuries.
    "spreads": _segs(
        ("2024-04-15", "2024-05-24", -0.025, 0.03, "widening"),
        ("2024-08-05", "2024-09-13", 0.015, 0.02, "tightening"),
        ("2025-02-18", "2025-04-08", -0.045, 0.04, "widening"),
        ("2025-04-09", "2025-06-13", 0.035, 0.03, "tightening"),
        ("2025-10-06", "2025-11-21", -0.03, 0.03, "private_credit_scare"),
        ("2026-01-02", "2026-01-16", -0.015, 0.03, "widening"),
    ),
    "themes": _segs(
        ("2024-11-01", "2025-01-10", 0.80, 0.60, "mania"),
        ("2025-02-20", "2025-04-08", -0.45, 0.70, "crash"),
        ("2025-05-01", "2025-10-10", 1.00, 0.55, "mania"),
        ("2025-10-13", "2025-11-21", -0.35, 0.70, "crash"),
    ),
}

# (annual drift, annual vol) when no segment covers a day. Market default applies
# only outside the schedule (e.g. data before 2023).
DEFAULTS: dict[str, tuple[float, float]] = {
    "mkt": (0.08, 0.16),
    "tech": (0.02, 0.07),
    "semi": (0.02, 0.18),
    "rates": (0.0, 0.010),
    "gold": (0.06, 0.14),
    "silver": (0.0, 0.18),
    "oil": (0.0, 0.28),
    "dollar": (0.0, 0.06),
    "china": (0.0, 0.20),
    "em": (0.0, 0.08),
    "crypto": (0.10, 0.50),
    "small": (-0.01, 0.09),
    "fin": (0.0, 0.07),
    "consumer": (0.0, 0.06),
    "comm": (0.0, 0.06),
    "health": (0.0, 0.07),
    "defensive": (0.0, 0.07),
    "realestate": (0.0, 0.08),
    "trend": (0.03, 0.10),
    "themes": (0.0, 0.45),
    "biotech": (0.0, 0.18),
    "value": (0.0, 0.07),
    "bills": (0.0, 0.001),
    "spreads": (0.0, 0.02),
}

# Short-rate path (T-bill yield, decimal): knots, linearly interpolated.
SHORT_RATE = (
    ("2023-01-03", 0.043),
    ("2023-07-27", 0.053),
    ("2024-09-18", 0.053),
    ("2024-12-19", 0.043),
    ("2025-09-17", 0.043),
    ("2025-12-11", 0.036),
    ("2026-12-31", 0.036),
)
TEN_YEAR_START = 0.038
VIX_DEFAULT = 17.0


def factor_names() -> list[str]:
    return sorted(DEFAULTS)


def schedule_for(factor: str) -> tuple[Segment, ...]:
    return MARKET if factor == "mkt" else OTHER.get(factor, ())


def schedule_data() -> dict:
    """The schedule as plain data (for the manifest), with a digest of it."""
    data = {
        "market": [asdict(s) for s in MARKET],
        "factors": {k: [asdict(s) for s in v] for k, v in sorted(OTHER.items())},
        "defaults": {k: list(v) for k, v in sorted(DEFAULTS.items())},
        "short_rate": [list(k) for k in SHORT_RATE],
        "ten_year_start": TEN_YEAR_START,
    }
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return {"sha256": digest, **data}


def _segment_ids(sessions: pd.DatetimeIndex, segs: tuple[Segment, ...]) -> np.ndarray:
    """Index of the covering segment per session, -1 where none covers it."""
    ids = np.full(len(sessions), -1, dtype=np.int64)
    for i, seg in enumerate(segs):
        inside = (sessions >= pd.Timestamp(seg.start)) & (sessions <= pd.Timestamp(seg.end))
        ids[np.asarray(inside)] = i
    return ids


def standard_t(rng: np.random.Generator, n: int) -> np.ndarray:
    """Student-t(5) shocks rescaled to unit variance (fat tails, clustered moves)."""
    return rng.standard_t(5, size=n) / np.sqrt(5.0 / 3.0)


def factor_returns(factor: str, sessions: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """Daily values of one factor over ``sessions`` (log returns, or yield changes)."""
    segs = schedule_for(factor)
    ids = _segment_ids(sessions, segs)
    shocks = standard_t(rng, len(sessions))
    drift, vol = DEFAULTS[factor]
    as_log = factor != "rates"
    out = drift / TRADING_DAYS + vol / np.sqrt(TRADING_DAYS) * shocks
    for i, seg in enumerate(segs):
        mask = ids == i
        n = int(mask.sum())
        if n == 0:
            continue
        noise = shocks[mask] - shocks[mask].mean() if n > 1 else np.zeros(1)
        target = np.log1p(seg.total) if as_log else seg.total
        # Spread the total over the whole segment's sessions, so a range that cuts
        # a segment gets its pro-rata share rather than the whole move.
        full = max(n, len(calendar.sessions_index(seg.start, seg.end)))
        out[mask] = target / full + seg.vol / np.sqrt(TRADING_DAYS) * noise
    return out


def vix_targets(sessions: pd.DatetimeIndex) -> np.ndarray:
    """The VIX level each session's market regime pulls toward."""
    ids = _segment_ids(sessions, MARKET)
    levels = np.array([s.vix for s in MARKET] + [VIX_DEFAULT], dtype=float)
    return levels[ids]  # id -1 picks the default appended last


def short_rates(sessions: pd.DatetimeIndex) -> np.ndarray:
    knots = pd.DatetimeIndex([k[0] for k in SHORT_RATE]).asi8
    values = np.array([k[1] for k in SHORT_RATE])
    return np.interp(sessions.asi8, knots, values)
