"""Alpaca's wire format: error bodies, string-typed numbers, timestamps, and the
trading API's JSON built through alpaca-py's own models (so what we send is what
``TradingClient`` parses back).

Errors follow Alpaca's shape ``{"code": <8 digits>, "message": ...}`` (plus
detail fields on some 403s), so alpaca-py raises ``APIError`` with ``.code``,
``.message`` and ``.status_code`` as it does against the real API.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from alpaca.trading.models import Asset, Clock, Order, Position, TradeAccount

from sim.runtime.http import HttpResponse, json_response
from workflows.alchemiser.broker.market import NEW_YORK

# Alpaca's error codes: HTTP status x 100000 + detail (the ones this broker answers)
BAD_REQUEST = 40010001
UNAUTHORIZED = 40110000
FORBIDDEN = 40310000
NOT_FOUND = 40410000
UNPROCESSABLE = 42210000
RATE_LIMITED = 42910000


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.extra = extra or {}
        self.headers = headers or {}

    def response(self) -> HttpResponse:
        return json_response({**self.extra, "code": self.code, "message": self.message}, self.status, self.headers)


def not_found(message: str) -> ApiError:
    return ApiError(404, NOT_FOUND, message)


def unprocessable(message: str, code: int = BAD_REQUEST) -> ApiError:
    return ApiError(422, code, message)


def forbidden(message: str, **extra: Any) -> ApiError:
    return ApiError(403, FORBIDDEN, message, {k: v for k, v in extra.items() if v is not None})


# -- values ---------------------------------------------------------------------------------

def num(value: float | None, dp: int = 2) -> str | None:
    """A number as Alpaca's trading API sends it: a string, no exponent, no trailing zeros."""
    if value is None:
        return None
    d = Decimal(repr(round(float(value), dp))).normalize()
    return "0" if d == 0 else format(d, "f")


def price(value: float | None) -> str | None:
    return num(value, 4)


def qty(value: float | None) -> str | None:
    return num(value, 9)


def rfc3339(t: datetime) -> str:
    """UTC with a Z, as the data API stamps quotes and bars."""
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_time(text: str, field: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        try:
            t = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            raise unprocessable(f"invalid {field}: {text!r} is not an RFC 3339 time or a date") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def stable_uuid(*parts: Any) -> str:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


# -- trading models ----------------------------------------------------------------------------

def dump(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


def order_json(o: Any) -> dict[str, Any]:
    intent = "buy_to_open" if o.side == "buy" else "sell_to_close"
    return dump(Order(
        id=o.id, client_order_id=o.client_order_id, created_at=o.created_at, updated_at=o.updated_at,
        submitted_at=o.submitted_at, filled_at=o.filled_at, expired_at=o.expired_at, expires_at=o.expires_at,
        canceled_at=o.canceled_at, failed_at=o.failed_at, asset_id=o.asset_id, symbol=o.symbol,
        asset_class="us_equity", notional=num(o.notional), qty=qty(o.qty), filled_qty=qty(o.filled_qty),
        filled_avg_price=price(o.filled_avg_price), order_class="simple", order_type=o.type, type=o.type,
        side=o.side, time_in_force=o.time_in_force, limit_price=price(o.limit_price), status=o.status,
        extended_hours=False, position_intent=intent))


def position_json(symbol: str, asset_id: str, exchange: str, pos: Any, held: float, current: float,
                  lastday: float | None) -> dict[str, Any]:
    value = pos.qty * current
    lastday = current if lastday is None else lastday
    intraday = (current - lastday) * pos.qty
    return dump(Position(
        asset_id=asset_id, symbol=symbol, exchange=exchange, asset_class="us_equity", asset_marginable=True,
        avg_entry_price=price(pos.avg_entry_price), qty=qty(pos.qty), side="long", market_value=num(value),
        cost_basis=num(pos.cost_basis), unrealized_pl=num(value - pos.cost_basis),
        unrealized_plpc=num((value - pos.cost_basis) / pos.cost_basis if pos.cost_basis else 0.0, 6),
        unrealized_intraday_pl=num(intraday),
        unrealized_intraday_plpc=num(intraday / (lastday * pos.qty) if lastday else 0.0, 6),
        current_price=price(current), lastday_price=price(lastday),
        change_today=num(current / lastday - 1 if lastday else 0.0, 6), qty_available=qty(pos.qty - held)))


def account_json(*, account_id: str, number: str, created: datetime, multiplier: int, cash: float,
                 equity: float, last_equity: float, long_value: float, buying_power: float) -> dict[str, Any]:
    return dump(TradeAccount(
        id=account_id, account_number=number, status="ACTIVE", crypto_status="INACTIVE", currency="USD",
        buying_power=num(buying_power), regt_buying_power=num(buying_power),
        daytrading_buying_power=num(buying_power if multiplier == 4 else 0.0),
        non_marginable_buying_power=num(min(cash, buying_power)), cash=num(cash), accrued_fees="0",
        pending_transfer_out="0", pending_transfer_in="0", portfolio_value=num(equity), pattern_day_trader=False,
        trading_blocked=False, transfers_blocked=False, account_blocked=False, created_at=created,
        trade_suspended_by_user=False, multiplier=str(multiplier), shorting_enabled=False, equity=num(equity),
        last_equity=num(last_equity), long_market_value=num(long_value), short_market_value="0",
        initial_margin=num(long_value if multiplier == 1 else long_value / 2), maintenance_margin=num(0.3 * long_value),
        last_maintenance_margin="0", sma="0", daytrade_count=0, options_buying_power="0",
        options_approved_level=0, options_trading_level=0))


def asset_json(symbol: str, asset_id: str, exchange: str, fractionable: bool) -> dict[str, Any]:
    return dump(Asset(
        id=asset_id, exchange=exchange, symbol=symbol, name=symbol, status="active", tradable=True,
        marginable=True, shortable=False, easy_to_borrow=False, fractionable=fractionable,
        min_order_size=0.01 if fractionable else 1.0, min_trade_increment=1e-9 if fractionable else 1.0,
        price_increment=0.01, maintenance_margin_requirement=30.0, attributes=["fractional_eh_enabled"]
        if fractionable else [], **{"class": "us_equity"}))


def clock_json(now: datetime, is_open: bool, next_open: datetime, next_close: datetime) -> dict[str, Any]:
    ny = NEW_YORK
    return dump(Clock(timestamp=now.astimezone(ny), is_open=is_open, next_open=next_open.astimezone(ny),
                      next_close=next_close.astimezone(ny)))
