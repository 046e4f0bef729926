"""Account, positions and orders through alpaca-py's TradingClient inside a simulated handler."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from alpaca.common.exceptions import APIError
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockLatestQuoteRequest
from alpaca.trading.client import TradingClient
from alpaca.trading.requests import (ClosePositionRequest, GetOrdersRequest, GetPortfolioHistoryRequest,
                                     LimitOrderRequest, MarketOrderRequest)

from workflows.alchemiser.broker import BrokerConfig, Holding, PartialFill, Rejection

T0 = datetime(2026, 1, 12, 15, 0, tzinfo=timezone.utc)  # 10:00 New York


def trading() -> TradingClient:
    return TradingClient("key", "secret", paper=True)


def buy(symbol, qty=None, notional=None, **kw) -> MarketOrderRequest:
    return MarketOrderRequest(symbol=symbol, qty=qty, notional=notional, side="buy", time_in_force="day", **kw)


def sell(symbol, qty) -> MarketOrderRequest:
    return MarketOrderRequest(symbol=symbol, qty=qty, side="sell", time_in_force="day")


def limit(symbol, qty, price, side="buy") -> LimitOrderRequest:
    return LimitOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force="day", limit_price=price)


def error(exc: APIError) -> dict:
    return {"status": exc.status_code, "code": exc.code, "message": exc.message}


def order_doc(o) -> dict:
    return {"id": str(o.id), "status": o.status.value, "filled_qty": o.filled_qty,
            "filled_avg_price": o.filled_avg_price, "filled_at": o.filled_at.isoformat() if o.filled_at else None,
            "submitted_at": o.submitted_at.isoformat()}


# -- account and positions after a market buy ------------------------------------------------

def market_round_trip(event, context):
    t = trading()
    before = t.get_account()
    placed = t.submit_order(buy("SPY", qty=10))
    time.sleep(1)
    filled = t.get_order_by_id(placed.id)
    pos = t.get_open_position("SPY")
    after = t.get_account()
    return {"before": [before.cash, before.equity, before.buying_power, before.status.value],
            "placed": order_doc(placed), "filled": order_doc(filled),
            "position": [pos.qty, pos.qty_available, pos.avg_entry_price, pos.cost_basis, pos.market_value,
                         pos.current_price, pos.side.value],
            "after": [after.cash, after.equity, after.long_market_value, after.buying_power]}


def test_a_market_buy_fills_at_the_ask_and_moves_cash_into_a_position(harness):
    h = harness(market_round_trip)
    out = h.invoke()
    assert out["before"] == ["100000", "100000", "100000", "ACTIVE"]
    assert out["placed"]["status"] == "new" and out["placed"]["filled_qty"] == "0"
    filled = out["filled"]
    assert filled["status"] == "filled" and filled["filled_qty"] == "10"
    submitted, at = datetime.fromisoformat(filled["submitted_at"]), datetime.fromisoformat(filled["filled_at"])
    assert at - submitted == timedelta(seconds=0.05)  # execution_delay_s
    ask = h.broker.market.quote("SPY", at).ask
    assert float(filled["filled_avg_price"]) == ask
    cost = round(10 * ask, 2)
    qty, available, avg, basis, value, current, side = out["position"]
    assert (qty, available, side) == ("10", "10", "long")
    assert float(avg) == ask and float(basis) == cost
    assert abs(float(value) - 10 * float(current)) < 0.01
    cash, equity, long_value, power = map(float, out["after"])
    assert cash == round(100_000 - cost, 2) and power == cash
    assert abs(equity - (cash + long_value)) < 0.01


def sells_what_it_holds(event, context):
    t = trading()
    placed = t.submit_order(sell("SPY", 4))
    time.sleep(1)
    return {"order": order_doc(t.get_order_by_id(placed.id)), "qty": t.get_open_position("SPY").qty,
            "cash": t.get_account().cash}


def test_a_market_sell_fills_at_the_bid_and_reduces_the_position(harness):
    h = harness(sells_what_it_holds, BrokerConfig(positions={"SPY": Holding(qty=10, avg_entry_price=90)}))
    out = h.invoke()
    at = datetime.fromisoformat(out["order"]["filled_at"])
    bid = h.broker.market.quote("SPY", at).bid
    assert float(out["order"]["filled_avg_price"]) == bid and out["qty"] == "6"
    assert float(out["cash"]) == round(100_000 + 4 * bid, 2)
    assert round(h.broker.account.positions["SPY"].cost_basis, 2) == 540.0  # 6 x 90, pro rata


# -- limit orders -------------------------------------------------------------------------

def walks_a_limit(event, context):
    t, d = trading(), StockHistoricalDataClient("key", "secret")
    q = d.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols="SPY"))["SPY"]
    price = round(q.bid_price + 0.25 * (q.ask_price - q.bid_price), 2)
    placed = t.submit_order(limit("SPY", 5, price))
    order = placed
    for _ in range(60):
        time.sleep(1)
        order = t.get_order_by_id(placed.id)
        if order.status.value == "filled":
            break
    return {"limit": price, "order": order_doc(order)}


def test_a_limit_buy_rests_until_the_first_quote_whose_ask_reaches_it(harness):
    h = harness(walks_a_limit, BrokerConfig(jitter_bps=10))
    out = h.invoke()
    order, price, m = out["order"], out["limit"], h.broker.market
    assert order["status"] == "filled"
    at = datetime.fromisoformat(order["filled_at"])
    assert float(order["filled_avg_price"]) == m.quote("SPY", at).ask <= price
    start = datetime.fromisoformat(order["submitted_at"]) + timedelta(seconds=0.05)
    earlier = [t for t in m.instants(start, at) if t < at]
    assert earlier and all(m.quote("SPY", t).ask > price for t in earlier)  # not one bucket sooner


def limit_lifecycle(event, context):
    t = trading()
    marketable = t.submit_order(limit("SPY", 2, 150.0))
    resting = t.submit_order(limit("SPY", 2, 90.0))
    cancelled = t.submit_order(limit("DOWN", 1, 10.0))
    time.sleep(1)
    t.cancel_order_by_id(cancelled.id)
    try:
        t.cancel_order_by_id(cancelled.id)
        again = None
    except APIError as exc:
        again = error(exc)
    open_ids = [str(o.id) for o in t.get_orders(GetOrdersRequest(status="open"))]
    return {"marketable": order_doc(t.get_order_by_id(marketable.id)), "resting": str(resting.id),
            "cancelled": order_doc(t.get_order_by_id(cancelled.id)), "again": again, "open": open_ids}


def reads_order(event, context):
    return order_doc(trading().get_order_by_id(event["id"]))


def test_limit_orders_fill_when_marketable_expire_at_the_close_and_cancel_once(harness):
    h = harness([limit_lifecycle, reads_order])
    out = h.invoke()
    marketable = out["marketable"]
    at = datetime.fromisoformat(marketable["filled_at"])
    assert float(marketable["filled_avg_price"]) == h.broker.market.quote("SPY", at).ask < 150  # price improvement
    assert out["cancelled"]["status"] == "canceled"
    assert out["again"] == {"status": 422, "code": 42210000, "message": 'order is already in "canceled" state'}
    assert out["open"] == [out["resting"]]
    h.run_until("2026-01-12T17:00")
    expired = h.invoke({"id": out["resting"]}, "reads_order")
    assert expired["status"] == "expired" and expired["filled_qty"] == "0"
    assert h.broker.book.get(out["resting"]).expired_at == datetime(2026, 1, 12, 21, 0, tzinfo=timezone.utc)


# -- partial fills, rejections, fractionability, funds ------------------------------------------

def partial_then_cancel(event, context):
    t = trading()
    placed = t.submit_order(buy("SPY", qty=10))
    time.sleep(2)
    partial = t.get_order_by_id(placed.id)
    t.cancel_order_by_id(placed.id)
    return {"partial": order_doc(partial), "final": order_doc(t.get_order_by_id(placed.id)),
            "qty": t.get_open_position("SPY").qty, "second": order_doc(t.submit_order(buy("SPY", qty=3)))}


def test_a_partial_fill_leaves_the_rest_open_until_cancelled(harness):
    h = harness(partial_then_cancel, BrokerConfig(partial_fills=[PartialFill(symbol="SPY", fraction=0.4, nth=1)]))
    out = h.invoke()
    assert out["partial"]["status"] == "partially_filled" and out["partial"]["filled_qty"] == "4"
    assert out["partial"]["filled_at"] is None
    assert out["final"]["status"] == "canceled" and out["final"]["filled_qty"] == "4"
    assert out["qty"] == "4"
    h.broker.catch_up(h.sim.clock.now() + timedelta(seconds=1))
    assert h.broker.book.get(out["second"]["id"]).status == "filled"  # nth=1: only the first order


def rejected_orders(event, context):
    t = trading()
    by_status = t.submit_order(buy("DOWN", qty=1))
    time.sleep(1)
    try:
        t.submit_order(buy("SPY", qty=1))
        refused = None
    except APIError as exc:
        refused = error(exc)
    accepted = t.submit_order(buy("SPY", qty=1))
    return {"status": order_doc(t.get_order_by_id(by_status.id)), "refused": refused,
            "accepted": accepted.status.value}


def test_rejection_rules_reject_by_status_or_refuse_over_http(harness):
    config = BrokerConfig(rejections=[Rejection(symbol="DOWN"),
                                      Rejection(symbol="SPY", how="http", nth=[1], message="halted")])
    out = harness(rejected_orders, config).invoke()
    assert out["status"]["status"] == "rejected" and out["status"]["filled_qty"] == "0"
    assert out["refused"] == {"status": 403, "code": 40310000, "message": "halted"}
    assert out["accepted"] == "new"


def fractional_orders(event, context):
    t = trading()
    out = {"fractionable": [t.get_asset("BRK.B").fractionable, t.get_asset("SPY").fractionable]}
    for name, request in [("brk_fraction", buy("BRK.B", qty=1.5)), ("brk_notional", buy("BRK.B", notional=600)),
                          ("spy_fraction_gtc", MarketOrderRequest(symbol="SPY", qty=0.5, side="buy",
                                                                  time_in_force="gtc"))]:
        try:
            t.submit_order(request)
        except APIError as exc:
            out[name] = error(exc)
    whole = t.submit_order(buy("BRK.B", qty=2))
    notional = t.submit_order(buy("SPY", notional=250))
    time.sleep(1)
    out["whole"] = order_doc(t.get_order_by_id(whole.id))
    out["notional"] = order_doc(t.get_order_by_id(notional.id))
    return out


def test_non_fractionable_assets_refuse_fractions_and_fractionable_ones_take_notional(harness):
    h = harness(fractional_orders, BrokerConfig(non_fractionable=["BRK.B"]))
    out = h.invoke()
    assert out["fractionable"] == [False, True]
    refusal = {"status": 422, "code": 40010001, "message": "requested asset is not fractionable"}
    assert out["brk_fraction"] == out["brk_notional"] == refusal
    assert out["spy_fraction_gtc"]["message"] == "fractional orders must be DAY orders"
    assert out["whole"]["status"] == "filled" and out["whole"]["filled_qty"] == "2"
    notional = out["notional"]
    ask = float(notional["filled_avg_price"])
    assert notional["status"] == "filled" and abs(float(notional["filled_qty"]) * ask - 250) < 0.01


def beyond_means(event, context):
    t = trading()
    out = {}
    for name, request in [("buy", buy("BRK.B", qty=1000)), ("sell", sell("SPY", 11)),
                          ("unknown", buy("NOPE", qty=1)), ("sub_penny", limit("SPY", 1, 99.123))]:
        try:
            t.submit_order(request)
        except APIError as exc:
            out[name] = error(exc)
    return out


def test_orders_beyond_buying_power_or_holdings_are_refused_as_alpaca_does(harness):
    config = BrokerConfig(starting_cash=10_000, positions={"SPY": Holding(qty=10, avg_entry_price=100)})
    out = harness(beyond_means, config).invoke()
    assert out["buy"]["status"] == 403 and out["buy"]["message"] == "insufficient buying power"
    assert out["sell"] == {"status": 403, "code": 40310000,
                           "message": "insufficient qty available for order (requested: 11, available: 10)"}
    assert out["unknown"] == {"status": 422, "code": 42210000, "message": 'asset "NOPE" not found'}
    assert out["sub_penny"]["status"] == 422 and "sub-penny" in out["sub_penny"]["message"]


# -- liquidation and portfolio history ---------------------------------------------------------

def liquidates(event, context):
    t = trading()
    t.submit_order(limit("DOWN", 1, 1.0))
    closing = t.close_all_positions(cancel_orders=True)
    time.sleep(1)
    one = t.close_position("SPY", ClosePositionRequest(qty="1")) if t.get_all_positions() else None
    return {"closing": sorted((r.symbol, r.status) for r in closing), "left": [p.symbol for p in t.get_all_positions()],
            "open": len(t.get_orders()), "one": one is not None, "cash": t.get_account().cash}


def test_close_all_positions_cancels_open_orders_and_sells_everything(harness):
    config = BrokerConfig(positions={"SPY": Holding(qty=3, avg_entry_price=100),
                                     "DOWN": Holding(qty=2, avg_entry_price=50)})
    out = harness(liquidates, config).invoke()
    assert out["closing"] == [["DOWN", 200], ["SPY", 200]]
    assert out["left"] == [] and out["open"] == 0 and out["one"] is False
    assert float(out["cash"]) > 100_000 + 3 * 99 + 2 * 47


def history(event, context):
    t = trading()
    if event.get("buy"):
        t.submit_order(buy("SPY", qty=100))
        return None
    h = t.get_portfolio_history(GetPortfolioHistoryRequest(period="1W", timeframe="1D"))
    return {"timestamp": h.timestamp, "equity": h.equity, "profit_loss": h.profit_loss,
            "pct": h.profit_loss_pct, "base": h.base_value, "last_equity": t.get_account().last_equity}


def test_portfolio_history_replays_daily_equity_at_each_close(harness):
    h = harness(history)
    h.invoke({"buy": True})
    h.run_until("2026-01-14T12:00")
    out = h.invoke()
    # sessions 12, 13, 14 Jan; each closes at 101 (the bar's close)
    ask = h.broker.account.fills[0].price
    cash = round(100_000 - round(100 * ask, 2), 2)
    closed = round(cash + 100 * 101.0, 2)
    assert out["equity"][:2] == [closed, closed] and len(out["equity"]) == 3
    assert out["base"] == closed and out["profit_loss"][0] == 0.0
    assert out["timestamp"][0] == int(datetime(2026, 1, 12, 5, 0, tzinfo=timezone.utc).timestamp())
    assert float(out["last_equity"]) == closed
    assert cash + 100 * 99 <= out["equity"][2] <= cash + 100 * 102  # today so far: marked to the path
