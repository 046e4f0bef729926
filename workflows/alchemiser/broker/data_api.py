"""The market data API (data.alpaca.markets): latest quotes, daily bars and snapshots,
in Alpaca's raw JSON (the keys alpaca-py's ``QUOTE_MAPPING``/``BAR_MAPPING`` read)."""

from __future__ import annotations

import base64
import bisect
import re
from datetime import date, datetime, time
from typing import Any, Callable

from alpaca.data.mappings import BAR_MAPPING, QUOTE_MAPPING, TRADE_MAPPING

from workflows.alchemiser.broker import wire
from workflows.alchemiser.broker.market import NEW_YORK, Bar, Quote, ny_date, reference_day, session_of
from workflows.alchemiser.broker.wire import not_found, unprocessable
from workflows.marketdata import calendar

MAX_PAGE = 10_000
DEFAULT_PAGE = 1_000
EXCHANGE = "V"  # IEX, the Basic plan's feed
TAPE = "B"  # NYSE Arca-listed (the strategies trade ETFs)


def _raw(mapping: dict[str, str], **fields: Any) -> dict[str, Any]:
    """Alpaca's short keys from alpaca-py's field names."""
    short = {name: key for key, name in mapping.items()}
    return {short[name]: value for name, value in fields.items()}


def quote_raw(q: Quote) -> dict[str, Any]:
    return _raw(QUOTE_MAPPING, timestamp=wire.rfc3339(q.t), ask_exchange=EXCHANGE, ask_price=q.ask,
                ask_size=q.ask_size, bid_exchange=EXCHANGE, bid_price=q.bid, bid_size=q.bid_size,
                conditions=["R"], tape=TAPE)


def bar_raw(bar: Bar) -> dict[str, Any]:
    start = datetime.combine(bar.day, time(0), NEW_YORK)
    return _raw(BAR_MAPPING, timestamp=wire.rfc3339(start), open=bar.open, high=bar.high, low=bar.low,
                close=bar.close, volume=int(bar.volume), trade_count=bar.trade_count, vwap=bar.vwap)


def routes(api: "DataApi") -> list[tuple[str, str, Callable]]:
    return [
        ("GET", r"/v2/stocks/quotes/latest", api.latest_quotes),
        ("GET", r"/v2/stocks/(?P<symbol>[^/]+)/quotes/latest", api.latest_quote),
        ("GET", r"/v2/stocks/bars", api.bars),
        ("GET", r"/v2/stocks/snapshots", api.snapshots),
    ]


class DataApi:
    def __init__(self, broker: Any) -> None:
        self.b = broker
        self.routes = [(m, re.compile(p + "$"), h) for m, p, h in routes(self)]
        self._raw_cache: dict[tuple[str, date], dict] = {}  # bars of closed sessions never change

    def latest_quotes(self, req, now: datetime, **_):
        quotes = {s: self.b.market.quote(s, now) for s in _symbols(req.query)}
        return 200, {"quotes": {s: quote_raw(q) for s, q in quotes.items() if q is not None}}

    def latest_quote(self, req, now: datetime, symbol: str):
        q = self.b.market.quote(symbol, now)
        if q is None:
            raise not_found(f"no quote found for {symbol}")
        return 200, {"symbol": symbol, "quote": quote_raw(q)}

    def snapshots(self, req, now: datetime, **_):
        out = {}
        for s in _symbols(req.query):
            snap = self._snapshot(s, now)
            if snap is not None:
                out[s] = snap
        return 200, out

    def _snapshot(self, symbol: str, now: datetime) -> dict | None:
        m = self.b.market
        q = m.quote(symbol, now)
        day = reference_day(now)
        if q is None or day is None:
            return None
        daily = m.bar_so_far(symbol, day, now) or m.bar(symbol, calendar.previous_session(day))
        prev = m.bar(symbol, calendar.previous_session(daily.day)) if daily else None
        px = m.price(symbol, q.t)
        trade = _raw(TRADE_MAPPING, timestamp=wire.rfc3339(q.t), exchange=EXCHANGE, price=px, size=100,
                     id=int(m.unit("trade", symbol, q.t.isoformat()) * 1e12), conditions=["@"], tape=TAPE)
        minute = q.t.replace(second=0, microsecond=0)
        minute_bar = _raw(BAR_MAPPING, timestamp=wire.rfc3339(minute), open=px, high=px, low=px, close=px, volume=100,
                          trade_count=1, vwap=px)
        return {"latestTrade": trade, "latestQuote": quote_raw(q), "minuteBar": minute_bar,
                "dailyBar": bar_raw(daily) if daily else None, "prevDailyBar": bar_raw(prev) if prev else None}

    # -- bars -----------------------------------------------------------------------------------
    def bars(self, req, now: datetime, **_):
        q = req.query
        if q.get("timeframe", "1Day") not in ("1Day", "1D", "1day"):
            raise unprocessable(f"invalid timeframe {q.get('timeframe')!r}: the simulated broker serves 1Day bars",
                                wire.UNPROCESSABLE)
        start = wire.parse_time(q["start"], "start") if q.get("start") else \
            datetime.combine(ny_date(now), time(0), NEW_YORK)
        end = min(wire.parse_time(q["end"], "end"), now) if q.get("end") else now
        desc = q.get("sort", "asc") == "desc"
        items = [(s, b) for s in sorted(set(_symbols(q))) for b in self._bars(s, start, end, now, desc)]
        keys = [_key(s, date.fromisoformat(b["t"][:10]), desc) for s, b in items]
        first = bisect.bisect_right(keys, _decode(q["page_token"])) if q.get("page_token") else 0
        size = min(int(q.get("limit") or DEFAULT_PAGE), MAX_PAGE)
        page = items[first:first + size]
        out: dict[str, list] = {}
        for s, b in page:
            out.setdefault(s, []).append(b)
        more = first + size < len(items)
        return 200, {"bars": out, "next_page_token": _encode(keys[first + size - 1]) if more else None}

    def _bars(self, symbol: str, start: datetime, end: datetime, now: datetime, desc: bool) -> list[dict]:
        """Raw bars stamped in [start, end] whose session has opened by ``now`` (today's: so far)."""
        days = self.b.market.days(symbol)
        lo = bisect.bisect_left(days, start.astimezone(NEW_YORK).date())
        hi = bisect.bisect_right(days, end.astimezone(NEW_YORK).date())
        out = []
        for day in days[lo:hi]:
            stamp = datetime.combine(day, time(0), NEW_YORK)
            if start <= stamp <= end:
                raw = self._full_raw(symbol, day, now)
                if raw is not None:
                    out.append(raw)
        return out[::-1] if desc else out

    def _full_raw(self, symbol: str, day: date, now: datetime) -> dict | None:
        session = session_of(day)
        if session is not None and session.close <= now:
            key = (symbol, day)
            if key not in self._raw_cache:
                self._raw_cache[key] = bar_raw(self.b.market.bar(symbol, day))
            return self._raw_cache[key]
        bar = self.b.market.bar_so_far(symbol, day, now)
        return bar_raw(bar) if bar is not None else None


def _symbols(query: dict[str, str]) -> list[str]:
    symbols = [s.strip() for s in query.get("symbols", "").split(",") if s.strip()]
    if not symbols:
        raise wire.ApiError(400, wire.BAD_REQUEST, "missing symbols")
    return symbols


def _key(symbol: str, day: date, desc: bool) -> tuple[str, int]:
    ordinal = day.toordinal()
    return symbol, -ordinal if desc else ordinal


def _encode(key: tuple[str, int]) -> str:
    return base64.urlsafe_b64encode(f"{key[0]}|{key[1]}".encode()).decode()


def _decode(token: str) -> tuple[str, int]:
    try:
        symbol, ordinal = base64.urlsafe_b64decode(token.encode()).decode().rsplit("|", 1)
        return symbol, int(ordinal)
    except (ValueError, UnicodeDecodeError):
        raise wire.ApiError(400, wire.BAD_REQUEST, "invalid page_token") from None

