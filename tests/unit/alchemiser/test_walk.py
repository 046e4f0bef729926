"""Walk-the-book (reference §3.4 step 6, §10 item 21): step prices, waits, re-placement of the
remainder, market fallback, rejection. The broker here is a scripted stand-in for alpaca-py's
TradingClient, and sleeping only advances a counter."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from alpaca.trading.enums import OrderStatus

from workflows.alchemiser.walk import BookWalker, step_price, step_prices


@dataclass
class FakeOrder:
    id: str
    status: OrderStatus
    filled_qty: str = "0"
    filled_avg_price: str | None = None
    filled_at: object = None


class ScriptedBroker:
    """Order n (0-based) behaves as script[n]: ("fill", qty, price, after_s) | ("rest",) | ("reject",)."""

    def __init__(self, script, clock):
        self.script, self.clock = script, clock
        self.requests, self.cancelled, self.orders = [], [], {}
        self._ids = itertools.count()

    def submit_order(self, request):
        n = next(self._ids)
        self.requests.append(request)
        self.orders[str(n)] = (self.script[n], self.clock.t, request)
        status = OrderStatus.REJECTED if self.script[n][0] == "reject" else OrderStatus.NEW
        return FakeOrder(str(n), status)

    def get_order_by_id(self, order_id):
        step, placed, request = self.orders[order_id]
        if order_id in self.cancelled:  # a partial fill survives the cancel
            filled = step[1] if step[0] == "fill" else "0"
            return FakeOrder(order_id, OrderStatus.CANCELED, filled, step[2] if step[0] == "fill" else None)
        if step[0] == "fill" and self.clock.t - placed >= step[3]:
            full = D(step[1]) >= D(str(request.qty))
            return FakeOrder(order_id, OrderStatus.FILLED if full else OrderStatus.PARTIALLY_FILLED, step[1], step[2])
        return FakeOrder(order_id, OrderStatus.NEW)

    def cancel_order_by_id(self, order_id):
        self.cancelled.append(order_id)


class Clock:
    def __init__(self):
        self.t = 0.0

    def sleep(self, seconds):
        self.t += seconds


def walker(script):
    clock = Clock()
    broker = ScriptedBroker(script, clock)
    ids = (f"coid-{i}" for i in itertools.count())
    return BookWalker(broker, lambda: next(ids), sleep=clock.sleep), broker, clock


def test_step_prices_walk_75_85_95_percent_into_the_spread():
    assert step_prices("BUY", D("100.00"), D("100.20")) == [D("100.15"), D("100.17"), D("100.19")]
    assert step_prices("SELL", D("100.00"), D("100.20")) == [D("100.05"), D("100.03"), D("100.01")]


def test_step_price_rounds_to_the_cent_and_never_below_a_cent():
    assert step_price("BUY", D("10.00"), D("10.01"), D("0.75")) == D("10.01")  # 10.0075 half-up
    assert step_price("SELL", D("0.001"), D("0.004"), D("0.95")) == D("0.01")


def test_a_first_step_fill_ends_the_walk_with_one_limit_order():
    w, broker, clock = walker([("fill", "10", "100.15", 3)])
    result = w.walk("SPY", "BUY", D("10"), D("100.00"), D("100.20"))
    assert result.success and result.order_type == "limit" and result.avg_price == D("100.15")
    assert [float(r.limit_price) for r in broker.requests] == [100.15] and clock.t == 3


def test_unfilled_steps_wait_10_s_each_then_a_market_order_waits_up_to_30_s():
    w, broker, clock = walker([("rest",), ("rest",), ("rest",), ("fill", "10", "100.30", 2)])
    result = w.walk("SPY", "BUY", D("10"), D("100.00"), D("100.20"))
    assert result.success and result.order_type == "market" and result.order_id == "3"
    assert [getattr(r, "limit_price", None) for r in broker.requests] == [100.15, 100.17, 100.19, None]
    assert broker.cancelled == ["0", "1", "2"] and clock.t == 3 * 10 + 3  # polls at 1 s, 3 s, ...


def test_only_the_unfilled_remainder_is_placed_at_the_next_step():
    w, broker, _ = walker([("fill", "4", "100.15", 1), ("fill", "6", "100.17", 1)])
    result = w.walk("SPY", "BUY", D("10"), D("100.00"), D("100.20"))
    assert [r.qty for r in broker.requests] == [10.0, 6.0]
    assert result.success and result.filled_qty == 10
    assert result.avg_price == (4 * D("100.15") + 6 * D("100.17")) / 10


def test_a_rejected_step_ends_the_walk_with_failure():
    w, broker, _ = walker([("reject",)])
    result = w.walk("SPY", "SELL", D("5"), D("100.00"), D("100.20"))
    assert not result.success and "rejected" in result.error and len(broker.requests) == 1


def test_a_market_order_not_filled_within_30_s_fails():
    w, broker, clock = walker([("rest",)] * 4)
    result = w.walk("SPY", "SELL", D("5"), D("100.00"), D("100.20"))
    assert not result.success and "not filled within 30s" in result.error
    assert clock.t == 3 * 10 + 30 and broker.cancelled == ["0", "1", "2", "3"]


@pytest.mark.parametrize("bid,ask,expected", [("100", "100.20", D("100.10")), ("0", "0", D("0.01"))])
def test_missing_fill_price_falls_back_to_the_mid_then_a_cent(bid, ask, expected):
    w, _, _ = walker([("fill", "1", None, 1)])
    result = w.walk("SPY", "BUY", D("1"), D(bid), D(ask))
    assert result.success and result.avg_price == expected
