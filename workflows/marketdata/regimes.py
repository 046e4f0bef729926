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
MARKET = _market(
    [
        ("2023-01-03", "rally", 0.07, 0.16, 19.0),
        ("2023-02-03", "slow_bleed", -0.07, 0.17, 23.0),
        ("2023-03-14", "strong_rally", 0.17, 0.12, 14.0),
        ("2023-08-01", "slow_bleed", -0.10, 0.14, 19.0),
        ("2023-10-30", "strong_rally", 0.15, 0.11, 13.0),
        ("2024-01-02", "calm", 0.10, 0.09, 13.0),
        ("2024-04-01", "pullback", -0.06, 0.15, 19.0),
        ("2024-04-22", "calm_rally", 0.12, 0.09, 12.5),
        ("2024-07-17", "vol_spike", -0.10, 0.28, 35.0),
        ("2024-08-06", "v_recovery", 0.11, 0.16, 17.0),
        ("2024-10-01", "chop", 0.03, 0.13, 16.0),
        ("2025-01-02", "grind", 0.04, 0.12, 15.5),
        ("2025-02-20", "crash", -0.24, 0.38, 38.0),
        ("2025-04-09", "v_recovery", 0.27, 0.22, 20.0),
        ("2025-06-16", "calm_rally", 0.09, 0.08, 12.5),
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


# Sparse segments of the other factors. "rel" factors are relative to the market
# (e.g. tech = Nasdaq-100 minus beta x market), so sector rotations show up.
OTHER: dict[str, tuple[Segment, ...]] = {
    "tech": _segs(
        ("2023-01-03", "2023-07-31", 0.18, 0.08, "ai_boom"),
        ("2024-07-11", "2024-08-05", -0.08, 0.12, "rotation"),
        ("2025-02-20", "2025-04-08", -0.07, 0.12, "crash_underperform"),
        ("2025-04-09", "2025-07-31", 0.08, 0.09, "leadership"),
        ("2025-10-27", "2025-11-21", -0.06, 0.12, "ai_wobble"),
        ("2026-01-02", "2026-01-16", -0.04, 0.12, "derisk"),
    ),
    "semi": _segs(
        ("2023-05-15", "2023-07-14", 0.15, 0.22, "boom"),
        ("2024-01-02", "2024-03-08", 0.20, 0.22, "boom"),
        ("2024-07-11", "2024-09-06", -0.18, 0.30, "bust"),
        ("2025-02-20", "2025-04-08", -0.10, 0.30, "crash_underperform"),
        ("2025-04-09", "2025-07-31", 0.12, 0.22, "boom"),
        ("2025-09-01", "2025-10-31", 0.15, 0.22, "boom"),
        ("2026-01-05", "2026-01-30", -0.10, 0.30, "bust"),
    ),
    "rates": _segs(
        ("2023-02-01", "2023-03-08", 0.006, 0.010, "rise"),
        ("2023-03-09", "2023-04-05", -0.006, 0.012, "flight_to_quality"),
        ("2023-07-17", "2023-10-19", 0.013, 0.009, "rate_shock"),
        ("2023-10-20", "2023-12-27", -0.011, 0.009, "rally"),
        ("2024-01-02", "2024-04-25", 0.009, 0.008, "rise"),
        ("2024-07-01", "2024-09-16", -0.010, 0.008, "rally"),
        ("2024-09-17", "2025-01-14", 0.011, 0.008, "rate_shock"),
        ("2025-01-15", "2025-04-04", -0.008, 0.008, "rally"),
        ("2025-04-07", "2025-05-21", 0.006, 0.012, "bond_selloff"),
        ("2025-07-15", "2025-10-28", -0.006, 0.007, "rally"),
        ("2025-12-01", "2026-01-20", 0.007, 0.009, "rate_shock"),
        ("2026-01-21", "2026-02-27", -0.004, 0.008, "rally"),
    ),
    "gold": _segs(
        ("2024-02-28", "2024-10-30", 0.30, 0.14, "bull"),
        ("2024-10-31", "2024-12-31", -0.04, 0.15, "pause"),
        ("2025-01-02", "2025-04-21", 0.27, 0.16, "bull"),
        ("2025-04-22", "2025-08-15", -0.14, 0.16, "bear"),
        ("2025-08-18", "2025-10-17", 0.25, 0.16, "bull"),
        ("2025-10-20", "2025-11-14", -0.08, 0.22, "pullback"),
        ("2025-11-17", "2026-01-28", 0.20, 0.18, "melt_up"),
        ("2026-01-29", "2026-02-06", -0.14, 0.45, "crash"),
    ),
    "silver": _segs(
        ("2025-06-02", "2026-01-28", 0.40, 0.20, "squeeze"),
        ("2026-01-29", "2026-02-06", -0.20, 0.50, "crash"),
    ),
    "oil": _segs(
        ("2023-07-03", "2023-09-27", 0.28, 0.28, "spike"),
        ("2023-09-28", "2023-12-12", -0.20, 0.30, "slide"),
        ("2024-04-05", "2024-09-10", -0.20, 0.28, "slide"),
        ("2025-01-15", "2025-05-05", -0.25, 0.35, "slide"),
        ("2025-06-12", "2025-06-23", 0.15, 0.50, "spike"),
        ("2025-06-24", "2025-07-10", -0.12, 0.40, "unwind"),
    ),
    "dollar": _segs(
        ("2023-07-14", "2023-10-03", 0.07, 0.06, "rise"),
        ("2024-09-27", "2025-01-13", 0.08, 0.06, "rise"),
        ("2025-01-14", "2025-06-30", -0.11, 0.08, "slide"),
        ("2026-01-12", "2026-01-27", -0.03, 0.09, "slide"),
    ),
    "china": _segs(
        ("2023-01-27", "2023-10-23", -0.20, 0.20, "bear"),
        ("2024-09-13", "2024-10-07", 0.35, 0.45, "stimulus"),
        ("2024-10-08", "2025-01-10", -0.15, 0.25, "fade"),
        ("2025-01-13", "2025-03-17", 0.25, 0.25, "rerating"),
        ("2025-04-02", "2025-04-08", -0.15, 0.50, "tariff_shock"),
        ("2025-04-09", "2025-10-01", 0.20, 0.20, "recovery"),
    ),
    "em": _segs(("2025-01-02", "2025-10-31", 0.15, 0.08, "outperform"),),
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
        ("2024-07-10", "2024-07-31", 0.10, 0.12, "rotation"),
        ("2025-02-20", "2025-04-08", -0.06, 0.10, "crash_underperform"),
    ),
    "fin": _segs(
        ("2023-03-08", "2023-05-04", -0.15, 0.20, "bank_stress"),
        ("2024-11-05", "2024-11-25", 0.08, 0.12, "rerating"),
    ),
    "health": _segs(
        ("2024-09-03", "2025-02-14", -0.10, 0.08, "laggard"),
        ("2025-02-20", "2025-04-08", 0.06, 0.10, "defensive_bid"),
        ("2025-10-01", "2025-12-31", 0.10, 0.08, "rerating"),
    ),
    "defensive": _segs(
        ("2023-08-01", "2023-10-27", -0.10, 0.10, "rate_hit"),
        ("2024-07-17", "2024-08-05", 0.05, 0.10, "defensive_bid"),
        ("2025-02-20", "2025-04-08", 0.10, 0.12, "defensive_bid"),
        ("2026-01-02", "2026-01-16", 0.04, 0.10, "defensive_bid"),
    ),
    "trend": _segs(
        ("2023-03-09", "2023-06-30", -0.08, 0.12, "whipsaw"),
        ("2024-07-17", "2024-08-05", -0.06, 0.15, "reversal"),
        ("2025-02-20", "2025-04-08", -0.08, 0.15, "reversal"),
    ),
    # T-bill stress (debt-ceiling style scares): bill ETFs dip below their
    # moving averages for weeks, so `SHV > MA` switches take both branches.
    "bills": _segs(
        ("2024-10-01", "2024-11-15", -0.008, 0.004, "bill_stress"),
        ("2024-11-18", "2025-01-10", 0.008, 0.002, "relief"),
        ("2025-11-03", "2025-12-19", -0.008, 0.004, "bill_stress"),
        ("2025-12-22", "2026-02-13", 0.008, 0.002, "relief"),
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
    "rates": (0.0, 0.008),
    "gold": (0.06, 0.14),
    "silver": (0.0, 0.18),
    "oil": (0.0, 0.28),
    "dollar": (0.0, 0.06),
    "china": (0.0, 0.20),
    "em": (0.0, 0.08),
    "crypto": (0.10, 0.50),
    "small": (-0.01, 0.07),
    "fin": (0.0, 0.07),
    "health": (0.0, 0.07),
    "defensive": (0.0, 0.07),
    "realestate": (0.0, 0.08),
    "trend": (0.03, 0.10),
    "themes": (0.0, 0.45),
    "biotech": (0.0, 0.18),
    "value": (0.0, 0.05),
    "bills": (0.0, 0.001),
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
