"""The trading API (paper-api.alpaca.markets): account, positions, orders, clock,
calendar, assets and portfolio history, answered in Alpaca's JSON."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from typing import Any, Callable

from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest
from pydantic import ValidationError

from workflows.alchemiser.broker import wire
from workflows.alchemiser.broker.market import NEW_YORK, current_or_next, reference_day, session_at, session_of
from workflows.alchemiser.broker.orders import OPEN, Order, Ticket
from workflows.alchemiser.broker.wire import ApiError, forbidden, not_found, unprocessable
from workflows.marketdata import calendar

TERMINAL = ("filled", "canceled", "expired", "rejected")
T_PLUS_ONE_FROM = date(2024, 5, 28)  # US equities settle T+1 from this date (T+2 before)


def routes(api: "TradingApi") -> list[tuple[str, str, Callable]]:
    return [
        ("GET", r"/v2/account", api.account),
        ("GET", r"/v2/account/portfolio/history", api.portfolio_history),
        ("GET", r"/v2/positions", api.positions),
        ("DELETE", r"/v2/positions", api.close_all),
        ("GET", r"/v2/positions/(?P<symbol>[^/]+)", api.position),
        ("DELETE", r"/v2/positions/(?P<symbol>[^/]+)", api.close_position),
        ("GET", r"/v2/orders", api.list_orders),
        ("POST", r"/v2/orders", api.submit),
        ("DELETE", r"/v2/orders", api.cancel_all),
        ("GET", r"/v2/orders:by_client_order_id", api.by_client_id),
        ("GET", r"/v2/orders/(?P<order_id>[^/]+)", api.order),
        ("DELETE", r"/v2/orders/(?P<order_id>[^/]+)", api.cancel),
        ("GET", r"/v2/clock", api.clock),
        ("GET", r"/v2/calendar", api.calendar),
        ("GET", r"/v2/assets/(?P<symbol>[^/]+)", api.asset),
    ]


class TradingApi:
    def __init__(self, broker: Any) -> None:
        self.b = broker
        self.routes = [(m, re.compile(p + "$"), h) for m, p, h in routes(self)]

    # -- account ------------------------------------------------------------------------------
    def account(self, req, now: datetime, **_):
        b = self.b
        long_value = b.account.long_market_value(b.market, now)
        return 200, wire.account_json(
            account_id=wire.stable_uuid("account", b.config.account_number), number=b.config.account_number,
            created=datetime.combine(b.account.opened_on, datetime.min.time(), NEW_YORK),
            multiplier=b.config.multiplier, cash=b.account.cash, equity=b.account.cash + long_value,
            last_equity=self._last_equity(now), long_value=long_value, buying_power=b.book.buying_power(now))

    def _last_equity(self, now: datetime) -> float:
        day = reference_day(now)
        try:
            before = session_of(calendar.previous_session(day)) if day else None
        except ValueError:
            before = None
        if before is None:
            return self.b.account.starting_cash
        return self.b.account.equity_series(self.b.market, [before.close])[0]

    # -- positions ---------------------------------------------------------------------------
    def _position_json(self, symbol: str, now: datetime) -> dict:
        b = self.b
        pos = b.account.positions[symbol]
        current = b.market.price(symbol, now) or pos.avg_entry_price
        return wire.position_json(symbol, wire.stable_uuid("asset", symbol), b.config.exchange, pos,
                                  b.book.held_for_sells(symbol), current, b.market.previous_close(symbol, now))

    def positions(self, req, now: datetime, **_):
        return 200, [self._position_json(s, now) for s in sorted(self.b.account.positions)]

    def position(self, req, now: datetime, symbol: str):
        if symbol not in self.b.account.positions:
            raise not_found("position does not exist")
        return 200, self._position_json(symbol, now)

    def close_position(self, req, now: datetime, symbol: str):
        pos = self.b.account.positions.get(symbol)
        if pos is None:
            raise not_found("position does not exist")
        held = self.b.book.held_for_sells(symbol)
        qty = round(pos.qty - held, 9)
        if qty <= 0:
            raise forbidden(f"insufficient qty available for order (requested: {wire.qty(pos.qty)}, available: 0)",
                            available="0", existing_qty=wire.qty(pos.qty), held_for_orders=wire.qty(held),
                            symbol=symbol)
        if "qty" in req.query:
            qty = _number(req.query["qty"], "qty")
        elif "percentage" in req.query:
            qty = pos.qty * _number(req.query["percentage"], "percentage") / 100
            qty = qty if self.b.config.fractionable(symbol) else math.floor(qty)
        order = self.b.book.submit(Ticket(symbol, "sell", "market", "day", qty=round(qty, 9)), now)
        return 200, wire.order_json(order)

    def close_all(self, req, now: datetime, **_):
        if req.query.get("cancel_orders", "").lower() == "true":
            for order in self.b.book.open_orders():
                self.b.book.cancel(order.id, now)
        out = []
        for symbol in sorted(self.b.account.positions):
            try:
                _, body = self.close_position(_NoQuery, now, symbol)
                out.append({"symbol": symbol, "status": 200, "order_id": body["id"], "body": body})
            except ApiError as exc:
                out.append({"symbol": symbol, "status": exc.status,
                            "body": {**exc.extra, "code": exc.code, "message": exc.message, "symbol": symbol}})
        return 207, out

    # -- orders ---------------------------------------------------------------------------------
    def submit(self, req, now: datetime, **_):
        return 200, wire.order_json(self.b.book.submit(parse_ticket(req.json()), now))

    def order(self, req, now: datetime, order_id: str):
        return 200, wire.order_json(self.b.book.get(order_id))

    def by_client_id(self, req, now: datetime, **_):
        order_id = self.b.book.by_client_id.get(req.query.get("client_order_id", ""))
        if order_id is None:
            raise not_found("order not found")
        return 200, wire.order_json(self.b.book.get(order_id))

    def cancel(self, req, now: datetime, order_id: str):
        self.b.book.cancel(order_id, now)
        return 204, None

    def cancel_all(self, req, now: datetime, **_):
        done = [self.b.book.cancel(o.id, now) for o in self.b.book.open_orders()]
        return 207, [{"id": o.id, "status": 200, "body": None} for o in done]

    def list_orders(self, req, now: datetime, **_):
        q = req.query
        orders = [o for o in self.b.book.orders.values() if _listed(o, q)]
        orders.sort(key=lambda o: (o.submitted_at, o.seq), reverse=q.get("direction", "desc") != "asc")
        limit = min(int(_number(q.get("limit", "50"), "limit")), 500)
        return 200, [wire.order_json(o) for o in orders[:limit]]

    # -- clock, calendar, assets -------------------------------------------------------------------
    def clock(self, req, now: datetime, **_):
        upcoming = current_or_next(now)
        next_open = upcoming.open if upcoming.open > now else session_of(calendar.next_session(upcoming.day)).open
        return 200, wire.clock_json(now, session_at(now) is not None, next_open, upcoming.close)

    def calendar(self, req, now: datetime, **_):
        start = _day(req.query.get("start"), calendar.WINDOW_START)
        end = _day(req.query.get("end"), calendar.WINDOW_END)
        return 200, [calendar_entry(d) for d in calendar.sessions(start, end)]

    def asset(self, req, now: datetime, symbol: str):
        if not self.b.market.known(symbol):
            raise not_found("asset not found")
        return 200, wire.asset_json(symbol, wire.stable_uuid("asset", symbol), self.b.config.exchange,
                                    self.b.config.fractionable(symbol))

    # -- portfolio history -------------------------------------------------------------------------
    def portfolio_history(self, req, now: datetime, **_):
        q = req.query
        if q.get("timeframe", "1D") not in ("1D", "1Day"):
            raise unprocessable("the simulated broker's portfolio history has 1D resolution only")
        days = history_days(q, now, self.b.account.opened_on)
        instants = [min(session_of(d).close, now) for d in days]
        equity = self.b.account.equity_series(self.b.market, instants)
        base = equity[0] if equity else self.b.account.starting_cash
        stamps = [int(datetime.combine(d, datetime.min.time(), NEW_YORK).timestamp()) for d in days]
        return 200, {"timestamp": stamps, "equity": equity, "profit_loss": [round(e - base, 2) for e in equity],
                     "profit_loss_pct": [round(e / base - 1, 6) if base else 0.0 for e in equity],
                     "base_value": base, "base_value_asof": days[0].isoformat() if days else None,
                     "timeframe": "1D"}


class _NoQuery:
    query: dict[str, str] = {}


def parse_ticket(body: Any) -> Ticket:
    """POST /v2/orders' body, validated by alpaca-py's own request models."""
    if not isinstance(body, dict):
        raise unprocessable("request body must be a JSON object")
    kind = body.get("type")
    if kind not in ("market", "limit"):
        raise unprocessable(f"order type {kind!r} is not modelled by the simulated broker (market, limit)")
    model = MarketOrderRequest if kind == "market" else LimitOrderRequest
    try:
        r = model(**{k: v for k, v in body.items() if k != "type"})
    except (ValidationError, ValueError, TypeError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else [{"msg": str(exc)}]
        raise unprocessable(errors[0]["msg"].removeprefix("Value error, ")) from None
    if r.order_class not in (None, "simple") or r.extended_hours:
        raise unprocessable("only simple regular-hours orders are modelled by the simulated broker")
    if r.time_in_force.value not in ("day", "gtc"):
        raise unprocessable(f"time_in_force {r.time_in_force.value!r} is not modelled (day, gtc)")
    if r.client_order_id is not None and len(r.client_order_id) > 128:
        raise unprocessable("client_order_id must be no more than 128 characters")
    return Ticket(r.symbol, r.side.value, kind, r.time_in_force.value, r.qty, r.notional,
                  getattr(r, "limit_price", None), r.client_order_id)


def _listed(o: Order, q: dict[str, str]) -> bool:
    status = q.get("status", "open")
    if status == "open" and o.status not in OPEN or status == "closed" and o.status not in TERMINAL:
        return False
    if "symbols" in q and o.symbol not in q["symbols"].split(","):
        return False
    if "side" in q and o.side != q["side"]:
        return False
    if "after" in q and not o.submitted_at > wire.parse_time(q["after"], "after"):
        return False
    return not ("until" in q and not o.submitted_at < wire.parse_time(q["until"], "until"))


def calendar_entry(day: date) -> dict[str, str]:
    close = calendar.close_time(day)
    settle = calendar.next_session(day)
    if day < T_PLUS_ONE_FROM:
        settle = calendar.next_session(settle)
    return {"date": day.isoformat(), "open": "09:30", "close": close.strftime("%H:%M"), "session_open": "0400",
            "session_close": "2000", "settlement_date": settle.isoformat()}


def history_days(q: dict[str, str], now: datetime, opened_on: date | None) -> list[date]:
    """Sessions from the period's start (or ``start``) to ``date_end`` (or ``end``, or today) that
    have opened by ``now``, and not before the account opened."""
    end_day = _day(q.get("date_end") or (q.get("end") or "")[:10] or None, None) or reference_day(now)
    if "start" in q:
        start_day = _day(q["start"][:10], None)
    else:
        start_day = period_start(end_day, q.get("period", "1M"))
    if opened_on is not None:
        start_day = max(start_day, opened_on)
    return [d for d in calendar.sessions(start_day, end_day) if session_of(d).open <= now]


def period_start(end: date, period: str) -> date:
    """The first day of a period ending on ``end``: "1D" is that day, "1W" seven days, "1M" a
    calendar month ("2026-02-12" -> from "2026-01-13"), "1A" a year."""
    m = re.fullmatch(r"(\d+)([DWMA])", period.upper())
    if not m:
        raise unprocessable(f"invalid period {period!r}: use a number and D, W, M or A (e.g. 1M)")
    n, unit = int(m.group(1)), m.group(2)
    if unit in "DW":
        return end - timedelta(days=n * (7 if unit == "W" else 1) - 1)
    months = n * (12 if unit == "A" else 1)
    year, month = divmod(end.year * 12 + end.month - 1 - months, 12)
    day = min(end.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30,
                        31, 31, 30, 31, 30, 31][month])
    return date(year, month + 1, day) + timedelta(days=1)


def _day(text: str | None, default) -> date:
    if not text:
        return date.fromisoformat(default) if isinstance(default, str) else default
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise unprocessable(f"invalid date {text!r}: use YYYY-MM-DD") from None


def _number(text: str, field: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise unprocessable(f"invalid {field}: {text!r}") from None
