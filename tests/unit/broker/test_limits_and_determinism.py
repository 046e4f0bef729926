"""The 200 requests/minute limit on the virtual clock, fault drills against the broker's hosts,
virtual time inside the broker, and determinism across runs."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from alpaca.common.exceptions import APIError
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockLatestQuoteRequest
from alpaca.trading.client import TradingClient
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest

from sim import Simulation
from sim.faults import FaultPlan
from tests.unit.broker.conftest import bars
from tests.unit.sim.conftest import fn, make_stack
from workflows.alchemiser.broker import Broker, BrokerConfig, PartialFill
from workflows.marketdata import BarStore

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "market"


def now() -> datetime:
    return datetime.now(timezone.utc)


def hammers(event, context):
    t = TradingClient("key", "secret", paper=True)
    start = now()
    for _ in range(200):
        t.get_clock()
    try:
        t.get_clock()
        refused = None
    except APIError as exc:
        refused = {"status": exc.status_code, "code": exc.code, "after_s": (now() - start).total_seconds()}
    other_key = TradingClient("other", "secret", paper=True).get_clock().is_open is not None
    data = StockHistoricalDataClient("key", "secret").get_stock_latest_quote(
        StockLatestQuoteRequest(symbol_or_symbols="SPY"))["SPY"].ask_price > 0
    time.sleep(max(0.0, 61 - (now() - start).total_seconds()))
    return {"refused": refused, "other_key": other_key, "data": data, "recovered": t.get_clock() is not None}


def test_the_201st_request_in_a_virtual_minute_gets_429_and_a_minute_later_all_is_well(harness):
    h = harness(hammers)
    out = h.invoke()
    # alpaca-py retries a 429 three times, 3 s apart (virtual sleeps), then raises
    assert out["refused"]["status"] == 429 and out["refused"]["code"] == 42910000
    assert 9 < out["refused"]["after_s"] < 60
    assert out["other_key"] and out["data"] and out["recovered"]
    statuses = [c["status"] for c in h.http_calls(host="paper-api.alpaca.markets")]
    assert statuses[:200] == [200] * 200 and statuses[200:204] == [429] * 4 and statuses[-1] == 200


def drilled(event, context):
    t = TradingClient("key", "secret", paper=True)
    out = {}
    try:
        t.submit_order(MarketOrderRequest(symbol="SPY", qty=1, side="buy", time_in_force="day"))
    except APIError as exc:
        out["submit"] = [exc.status_code, exc.code, exc.message]
    start = now()
    out["account"] = t.get_account().status.value
    out["account_s"] = (now() - start).total_seconds()
    out["orders"] = len(t.get_orders())
    return out


def test_a_fault_plan_drills_broker_errors_at_the_http_layer(harness):
    plan = FaultPlan.model_validate({"name": "broker-drill", "rules": [
        {"name": "orders-down", "match": {"point": "api_call", "service": "http:paper-api.alpaca.markets",
                                          "operation": "POST", "path": "/v2/orders"},
         "action": {"kind": "raise_error", "code": "50010000", "status": 500, "message": "internal error"}},
        {"name": "account-throttled", "match": {"point": "api_call", "service": "http:paper-api.alpaca.markets",
                                                "path": "/v2/account", "nth": [1]},
         "action": {"kind": "throttle"}}]})
    h = harness(drilled, faults=plan)
    out = h.invoke()
    assert out["submit"] == [500, 50010000, "internal error"]  # alpaca-py does not retry a 500
    assert out["account"] == "ACTIVE" and out["account_s"] > 3  # a 429, retried by alpaca-py after 3 s
    assert out["orders"] == 0 and h.broker.book.orders == {}  # the faulted request never reached the broker


def places(event, context):
    t = TradingClient("key", "secret", paper=True)
    ids = []
    for i, symbol in enumerate(["SPY", "DOWN", "SPY"]):
        o = t.submit_order(LimitOrderRequest(symbol=symbol, qty=3, side="buy", time_in_force="day",
                                             limit_price=150 if i != 1 else 49.5))
        ids.append(str(o.id))
        time.sleep(0.5)
    time.sleep(30)
    return [[str(o.id), o.submitted_at.isoformat(), o.status.value, o.filled_qty, o.filled_avg_price]
            for o in (t.get_order_by_id(i) for i in ids)]


def run_places(seed: int, broker_seed: int = 0):
    with Simulation(make_stack(functions=[fn("h", places, timeout_s=300)]), seed=seed,
                    epoch="2026-01-12T10:00") as sim:
        broker = Broker(BrokerConfig(seed=broker_seed, partial_fills=[PartialFill(symbol="DOWN")]), bars())
        broker.mount(sim)
        out = sim.client("lambda").invoke(FunctionName="h", Payload=b"{}")
        return out["Payload"].read(), sim.result(), broker


def test_same_seeds_same_fills_and_trace_byte_for_byte():
    (a, ra, _), (b, rb, _) = run_places(5), run_places(5)
    assert a == b and ra.trace.to_jsonl() == rb.trace.to_jsonl() and ra.digest() == rb.digest()
    c, _, _ = run_places(5, broker_seed=1)
    assert c != a  # another quote seed, other prices


def test_the_broker_reads_virtual_time_while_it_serves_a_handler():
    payload, result, broker = run_places(7)
    posts = result.trace.where("http.call", method="POST")
    epoch = datetime(2026, 1, 12, 15, 0, tzinfo=timezone.utc)
    for post, order in zip(posts, broker.book.orders.values()):
        assert order.submitted_at == epoch + timedelta(seconds=post["t"])  # the instant the request was served


def buys_from_the_fixture_store(event, context):
    t = TradingClient("key", "secret", paper=True)
    q = StockHistoricalDataClient("key", "secret").get_stock_latest_quote(
        StockLatestQuoteRequest(symbol_or_symbols=["TQQQ", "SPY"]))
    o = t.submit_order(MarketOrderRequest(symbol="TQQQ", notional=1000, side="buy", time_in_force="day"))
    time.sleep(1)
    o = t.get_order_by_id(o.id)
    return {"quotes": {s: [v.bid_price, v.ask_price] for s, v in q.items()}, "filled": o.filled_qty,
            "price": o.filled_avg_price}


def test_the_bundled_fixture_store_is_a_bar_source():
    with Simulation(make_stack(functions=[fn("h", buys_from_the_fixture_store, timeout_s=60)]),
                    epoch="2026-02-10T14:00") as sim:
        store = BarStore.open(FIXTURES)
        broker = Broker(BrokerConfig(), store).mount(sim)
        out = sim.client("lambda").invoke(FunctionName="h", Payload=b"{}")
        doc = json.loads(out["Payload"].read())
    day = store.daily_bars("SPY").loc["2026-02-10"]
    bid, ask = doc["quotes"]["SPY"]
    assert day["low"] * 0.99 < bid < ask < day["high"] * 1.01
    assert abs(float(doc["filled"]) * float(doc["price"]) - 1000) < 0.01
    assert "TQQQ" in broker.account.positions
