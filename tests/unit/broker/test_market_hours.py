"""Market hours from the NYSE calendar: the clock, the calendar, day orders outside hours, early closes."""

from __future__ import annotations

import time
from datetime import date, datetime, timezone

from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.requests import GetCalendarRequest, LimitOrderRequest, MarketOrderRequest

from workflows.alchemiser.broker import BrokerConfig


def trading() -> TradingClient:
    return TradingClient("key", "secret", paper=True)


def clock(event, context):
    c = trading().get_clock()
    return [c.is_open, c.timestamp.isoformat(), c.next_open.isoformat(), c.next_close.isoformat()]


def test_the_clock_on_a_weekend_in_a_session_and_on_an_early_close(harness):
    h = harness(clock, epoch="2026-01-10T12:00")  # a Saturday
    is_open, now, next_open, next_close = h.invoke()
    assert is_open is False and now.startswith("2026-01-10T12:00:00.") and now.endswith("-05:00")
    assert (next_open, next_close) == ("2026-01-12T09:30:00-05:00", "2026-01-12T16:00:00-05:00")
    h.run_until("2026-01-12T09:45")
    assert h.invoke()[0] is True and h.invoke()[2] == "2026-01-13T09:30:00-05:00"
    eve = harness(clock, epoch="2025-12-24T12:30")  # Christmas Eve closes at 13:00
    is_open, _, next_open, next_close = eve.invoke()
    assert is_open and next_close == "2025-12-24T13:00:00-05:00" and next_open == "2025-12-26T09:30:00-05:00"
    eve.run_until("2025-12-24T13:30")
    assert eve.invoke()[0] is False


def calendar(event, context):
    days = trading().get_calendar(GetCalendarRequest(start=date(2025, 12, 22), end=date(2026, 1, 2)))
    return [[d.date.isoformat(), d.open.strftime("%H:%M"), d.close.strftime("%H:%M")] for d in days]


def test_the_calendar_lists_sessions_with_holidays_and_early_closes(harness):
    assert harness(calendar).invoke() == [
        ["2025-12-22", "09:30", "16:00"], ["2025-12-23", "09:30", "16:00"], ["2025-12-24", "09:30", "13:00"],
        ["2025-12-26", "09:30", "16:00"], ["2025-12-29", "09:30", "16:00"], ["2025-12-30", "09:30", "16:00"],
        ["2025-12-31", "09:30", "16:00"], ["2026-01-02", "09:30", "16:00"]]


def queues(event, context):
    t = trading()
    try:
        o = t.submit_order(MarketOrderRequest(symbol="SPY", qty=2, side="buy", time_in_force="day"))
        return {"id": str(o.id), "status": o.status.value, "expires_at": o.expires_at.isoformat()}
    except APIError as exc:
        return {"status": exc.status_code, "code": exc.code, "message": exc.message}


def reads(event, context):
    o = trading().get_order_by_id(event["id"])
    return [o.status.value, o.filled_qty, o.filled_avg_price, o.filled_at.isoformat() if o.filled_at else None]


def test_a_day_order_submitted_while_closed_is_queued_and_fills_at_the_next_open(harness):
    h = harness([queues, reads], epoch="2026-01-09T18:00")  # Friday after the close
    placed = h.invoke()
    assert placed["status"] == "accepted" and placed["expires_at"] == "2026-01-12T21:00:00+00:00"
    h.run_until("2026-01-12T09:00")
    assert h.invoke({"id": placed["id"]}, "reads")[0] == "accepted"
    h.run_until("2026-01-12T09:31")
    status, qty, price, at = h.invoke({"id": placed["id"]}, "reads")
    opening = datetime(2026, 1, 12, 14, 30, tzinfo=timezone.utc)
    assert (status, qty, at) == ("filled", "2", opening.isoformat())
    assert float(price) == h.broker.market.quote("SPY", opening).ask  # around the day's open, 100


def test_closed_market_reject_mode_refuses_orders_outside_hours(harness):
    out = harness(queues, BrokerConfig(closed_market="reject"), epoch="2026-01-10T12:00").invoke()
    assert out["status"] == 403 and out["code"] == 40310000 and "market is closed" in out["message"]


def rests_into_the_close(event, context):
    t = trading()
    o = t.submit_order(LimitOrderRequest(symbol="SPY", qty=1, side="buy", time_in_force="day", limit_price=50))
    time.sleep(event.get("wait", 0))
    return str(o.id)


def test_a_day_order_expires_at_an_early_close(harness):
    h = harness([rests_into_the_close, reads], epoch="2025-12-24T12:55")
    order_id = h.invoke()
    h.run_until("2025-12-24T13:05")
    assert h.invoke({"id": order_id}, "reads")[0] == "expired"
    assert h.broker.book.get(order_id).expired_at == datetime(2025, 12, 24, 18, 0, tzinfo=timezone.utc)
