"""The market the simulated broker sees: NYSE sessions, an intraday price path per
symbol and day drawn through that day's daily bar, and quotes around it.

Everything here is a pure function of (seed, symbol, instant): asking twice, or
in another order, gives the same answer, so fills never depend on who polled
when. The model, in full (README.md repeats it for handler authors):

* Sessions: the NYSE calendar (``workflows.marketdata.calendar``): 09:30 New
  York to the session's close (16:00, or 13:00 on early closes).
* Path ("last trade"): piecewise linear in session time u in [0, 1] through the
  day's bar: open at u=0, then the low and the high (low first on an up day,
  C >= O; high first otherwise) at seeded u_a in [0.15, 0.45] and u_b in
  [0.55, 0.85], and the close at u=1. It stays within [low, high] and meets
  both. Outside a session the price is the last session's close.
* Quotes: one per ``quote_interval_s`` bucket (aligned on the session open).
  mid = path(bucket start) x (1 + jitter_bps/1e4 x z1); spread = spread_bps x
  exp(0.25 x z2) of the mid, z1, z2 standard normal draws seeded by (seed,
  symbol, bucket). bid = mid - spread/2 rounded down, ask = mid + spread/2
  rounded up, to the cent ($0.0001 under $1), ask >= bid + one tick. Outside a
  session the latest quote is the last quote of the last session.
* Daily bars: the source's bars; today's bar, once the session has opened, is
  the bar so far: open, high/low of the path so far, close = path now, volume
  prorated by elapsed session time.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

from workflows.dsl.data import UnknownSymbolError
from workflows.marketdata import calendar
from workflows.marketdata.memo import MISSING, ContentMemo

NEW_YORK = ZoneInfo("America/New_York")
OPEN = time(9, 30)
# A symbol's bar table is a pure function of its store file: built once per process, keyed by the
# file's sha256 (memo.py), when the source is a BarStore (which says which file a symbol's bars are).
_TABLES: ContentMemo = ContentMemo("broker.bars")


@dataclass(frozen=True)
class Session:
    day: date
    open: datetime  # UTC
    close: datetime  # UTC

    @property
    def length_s(self) -> float:
        return (self.close - self.open).total_seconds()


@dataclass(frozen=True)
class Bar:
    day: date
    open: float
    high: float
    low: float
    close: float
    volume: float
    trade_count: float | None = None
    vwap: float | None = None


@dataclass(frozen=True)
class Quote:
    t: datetime
    bid: float
    ask: float
    bid_size: int
    ask_size: int

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2


@lru_cache(maxsize=4096)
def session_of(day: date) -> Session | None:
    if not calendar.is_session(day):
        return None
    open_ = datetime.combine(day, OPEN, NEW_YORK).astimezone(timezone.utc)
    close = datetime.combine(day, calendar.close_time(day), NEW_YORK).astimezone(timezone.utc)
    return Session(day, open_, close)


def ny_date(t: datetime) -> date:
    return t.astimezone(NEW_YORK).date()


def session_at(t: datetime) -> Session | None:
    """The session in progress at ``t`` (open <= t < close), if any."""
    s = session_of(ny_date(t))
    return s if s is not None and s.open <= t < s.close else None


def current_or_next(t: datetime) -> Session:
    """The session in progress at ``t``, else the next one to open."""
    day = ny_date(t)
    s = session_of(day)
    if s is not None and t < s.close:
        return s
    return session_of(calendar.next_session(day))


def last_closed(t: datetime) -> Session | None:
    """The latest session whose close is at or before ``t``."""
    day = ny_date(t)
    s = session_of(day)
    if s is not None and s.close <= t:
        return s
    try:
        return session_of(calendar.previous_session(day))
    except ValueError:
        return None


def reference_day(t: datetime) -> date | None:
    """"Today" for daily figures: the NYSE date of ``t`` if it is a session, else the last
    session that closed (a weekend or holiday belongs to the Friday before)."""
    day = ny_date(t)
    if session_of(day) is not None:
        return day
    closed = last_closed(t)
    return closed.day if closed else None


def tick_for(price: float) -> float:
    return 0.01 if price >= 1.0 else 0.0001


class Market:
    def __init__(self, bars, seed: int, config) -> None:
        self.source = bars  # a BarSource: daily_bars(symbol) -> DataFrame on a session-date index
        self.seed = seed
        self.config = config
        self._bars: dict[str, dict[date, Bar] | None] = {}
        self._paths: dict[tuple[str, date], tuple] = {}

    # -- bars ------------------------------------------------------------------------
    def bars_of(self, symbol: str) -> dict[date, Bar] | None:
        if symbol not in self._bars:
            try:
                frame = self.source.daily_bars(symbol)
            except (UnknownSymbolError, KeyError):
                self._bars[symbol] = None
            else:
                content_id = getattr(self.source, "content_id", None)
                key = content_id(symbol) if callable(content_id) else None
                table = _TABLES.lookup(key) if key is not None else MISSING
                if table is MISSING:
                    table = self._load(symbol, frame)
                    if key is not None:
                        table = _TABLES.store(key, MappingProxyType(table))  # read-only: it is shared
                self._bars[symbol] = table
        return self._bars[symbol]

    def _load(self, symbol: str, frame) -> dict[date, Bar]:
        days = [pd_day(ix) for ix in frame.index]
        columns = [frame[c].to_numpy(dtype=float).tolist() for c in ("open", "high", "low", "close", "volume")]
        extra = self._extra(symbol, days)
        return {d: Bar(d, *values, *extra.get(d, (None, None))) for d, *values in zip(days, *columns)}

    def _extra(self, symbol: str, days: list[date]) -> dict[date, tuple]:
        """Alpaca's trade_count and vwap, when the source keeps them (a BarStore does)."""
        full = getattr(self.source, "bars", None)
        if not callable(full):
            return {}
        frame = full(symbol)
        stamps = frame["timestamp"].dt.tz_convert(NEW_YORK).dt.date.tolist()
        counts = frame["trade_count"].to_numpy(dtype=float).tolist()
        vwaps = frame["vwap"].to_numpy(dtype=float).tolist()
        return {d: (none_if_nan(n), none_if_nan(vw)) for d, n, vw in zip(stamps, counts, vwaps)}

    def days(self, symbol: str) -> list[date]:
        """The symbol's bar dates, ascending."""
        bars = self.bars_of(symbol)
        return list(bars) if bars else []

    def known(self, symbol: str) -> bool:
        return self.bars_of(symbol) is not None

    def bar(self, symbol: str, day: date) -> Bar | None:
        bars = self.bars_of(symbol)
        return bars.get(day) if bars else None

    def bar_so_far(self, symbol: str, day: date, t: datetime) -> Bar | None:
        """The day's bar as it stands at ``t`` (None before the session opens)."""
        s, bar = session_of(day), self.bar(symbol, day)
        if s is None or bar is None or t < s.open:
            return None
        if t >= s.close:
            return bar
        u = (t - s.open).total_seconds() / s.length_s
        seen = [p for w, p in self._waypoints(symbol, bar) if w <= u] + [self._interpolate(symbol, bar, u)]
        high, low, close = max(seen), min(seen), seen[-1]
        count = None if bar.trade_count is None else round(bar.trade_count * u)
        return Bar(day, bar.open, high, low, close, bar.volume * u, count, (high + low + close) / 3)

    # -- the path ----------------------------------------------------------------------
    def _waypoints(self, symbol: str, bar: Bar) -> tuple[tuple[float, float], ...]:
        key = (symbol, bar.day)
        if key not in self._paths:
            a = 0.15 + 0.30 * self.unit("path.a", symbol, bar.day.isoformat())
            b = 0.55 + 0.30 * self.unit("path.b", symbol, bar.day.isoformat())
            first, second = (bar.low, bar.high) if bar.close >= bar.open else (bar.high, bar.low)
            self._paths[key] = (0.0, bar.open), (a, first), (b, second), (1.0, bar.close)
        return self._paths[key]

    def _interpolate(self, symbol: str, bar: Bar, u: float) -> float:
        points = self._waypoints(symbol, bar)
        for (u0, p0), (u1, p1) in zip(points, points[1:]):
            if u <= u1:
                return p0 + (p1 - p0) * (u - u0) / (u1 - u0)
        return bar.close

    def price(self, symbol: str, t: datetime) -> float | None:
        """The last trade at ``t``: the path in a session, else the last close."""
        s = session_at(t)
        if s is None:
            closed = last_closed(t)
            bar = self.bar(symbol, closed.day) if closed else None
            return bar.close if bar else None
        bar = self.bar(symbol, s.day)
        if bar is None:
            return None
        return self._interpolate(symbol, bar, (t - s.open).total_seconds() / s.length_s)

    def previous_close(self, symbol: str, t: datetime) -> float | None:
        """The close of the session before "today" (today: the NYSE date of ``t`` if it is a
        session, else the last session that closed)."""
        day = reference_day(t)
        try:
            bar = self.bar(symbol, calendar.previous_session(day)) if day else None
        except ValueError:
            return None
        return bar.close if bar else None

    # -- quotes ------------------------------------------------------------------------
    def quote_time(self, t: datetime) -> tuple[datetime, Session] | None:
        """The start of the quote bucket in force at ``t``, and its session."""
        s = session_at(t)
        step = self.config.quote_interval_s
        if s is None:
            s = last_closed(t)
            if s is None:
                return None
            k = math.ceil(s.length_s / step) - 1
        else:
            k = math.floor((t - s.open).total_seconds() / step)
        return s.open + timedelta(seconds=k * step), s

    def quote(self, symbol: str, t: datetime) -> Quote | None:
        found = self.quote_time(t)
        if found is None:
            return None
        tq, s = found
        bar = self.bar(symbol, s.day)
        if bar is None:
            return None
        key = tq.isoformat()
        mark = self._interpolate(symbol, bar, (tq - s.open).total_seconds() / s.length_s)
        mid = mark * (1 + self.config.jitter_bps / 1e4 * self.gauss("jitter", symbol, key))
        spread = mid * self.config.spread_for(symbol) / 1e4 * math.exp(0.25 * self.gauss("spread", symbol, key))
        tick = tick_for(mid)
        bid = max(round(math.floor((mid - spread / 2) / tick + 1e-9) * tick, 4), tick)
        ask = round(math.ceil((mid + spread / 2) / tick - 1e-9) * tick, 4)
        ask = max(ask, round(bid + tick, 4))
        sizes = [100 * (1 + int(9 * self.unit("size", symbol, key, side))) for side in ("bid", "ask")]
        return Quote(tq, bid, ask, sizes[0], sizes[1])

    def instants(self, start: datetime, end: datetime):
        """Every instant in [start, end] at which a new quote may change an order's fate: ``start``
        (if in a session) and each quote-bucket start after it, within sessions only."""
        step = timedelta(seconds=self.config.quote_interval_s)
        s = current_or_next(start)
        while s.open <= end:
            t = max(start, s.open)
            while t <= end and t < s.close:
                yield t
                k = math.floor((t - s.open) / step) + 1
                t = s.open + k * step
            s = session_of(calendar.next_session(s.day))

    # -- seeded draws --------------------------------------------------------------------
    def unit(self, *parts: str) -> float:
        digest = hashlib.blake2b("|".join((str(self.seed),) + parts).encode(), digest_size=8).digest()
        return (int.from_bytes(digest, "big") + 0.5) / 2.0 ** 64

    def gauss(self, *parts: str) -> float:
        u1, u2 = self.unit(*parts, "1"), self.unit(*parts, "2")
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def none_if_nan(value) -> float | None:
    return None if value is None or value != value else float(value)


def pd_day(value) -> date:
    return value.date() if isinstance(value, datetime) else value
