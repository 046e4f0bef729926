"""Market data through alpaca-py's StockHistoricalDataClient: quotes around the day's path,
daily bars (today's so far), snapshots, pagination."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest, StockLatestQuoteRequest, StockSnapshotRequest
from alpaca.data.timeframe import TimeFrame

from sim.runtime.http import HttpRequest
from tests.unit.broker.conftest import bars
from workflows.alchemiser.broker import Broker, BrokerConfig

AUTH = {"APCA-API-KEY-ID": "key", "APCA-API-SECRET-KEY": "secret"}


def data() -> StockHistoricalDataClient:
    return StockHistoricalDataClient("key", "secret")


def quotes(event, context):
    out = []
    for _ in range(event.get("n", 1)):
        q = data().get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=["SPY", "PENNY", "NOPE"]))
        out.append({s: [v.timestamp.isoformat(), v.bid_price, v.ask_price, v.bid_size, v.ask_size]
                    for s, v in q.items()})
        import time
        time.sleep(event.get("every", 0))
    return out


def test_quotes_straddle_the_path_with_a_seeded_spread_on_the_tick_grid(harness):
    h = harness(quotes, BrokerConfig(spread_bps=10, jitter_bps=0))
    [got] = h.invoke()
    assert set(got) == {"SPY", "PENNY"}  # an unknown symbol is left out, as Alpaca does
    stamp, bid, ask, bid_size, ask_size = got["SPY"]
    t = datetime.fromisoformat(stamp)
    assert t.microsecond == 0 and t.tzinfo is not None  # the start of a one-second quote bucket
    mark = h.broker.market.price("SPY", t)
    assert 99 < mark < 100 and bid < mark < ask  # 10:00 on an up day: on the way down to the low
    assert round(bid, 2) == bid and round(ask, 2) == ask
    assert 0.2 * 10 <= (ask - bid) / mark * 1e4 <= 5 * 10 + 2  # spread in bps, around the median 10
    assert bid_size % 100 == 0 and ask_size % 100 == 0
    _, pbid, pask, *_ = got["PENNY"]
    assert round(pbid, 4) == pbid and pask > pbid and pask - pbid < 0.01  # sub-dollar tick: $0.0001


def test_quotes_change_every_bucket_and_repeat_for_the_same_instant(harness):
    h = harness(quotes, BrokerConfig(quote_interval_s=1.0))
    series = h.invoke({"n": 5, "every": 1.0})
    stamps = [q["SPY"][0] for q in series]
    assert len(set(stamps)) == 5
    m = h.broker.market
    for q in series:
        t = datetime.fromisoformat(q["SPY"][0])
        again = m.quote("SPY", t + timedelta(seconds=0.5))  # same bucket, same quote, whoever asks
        assert [again.bid, again.ask] == q["SPY"][1:3]


def daily_bars(event, context):
    request = StockBarsRequest(symbol_or_symbols=["SPY", "DOWN"], timeframe=TimeFrame.Day,
                               start=datetime(2026, 1, 7), end=datetime(2026, 1, 13))
    got = data().get_stock_bars(request)
    return {s: [[b.timestamp.isoformat(), b.open, b.high, b.low, b.close, b.volume] for b in got[s]]
            for s in ("SPY", "DOWN")}


def test_daily_bars_end_with_today_so_far_and_nothing_from_the_future(harness):
    h = harness(daily_bars, epoch="2026-01-12T13:00")
    out = h.invoke()
    spy = out["SPY"]
    assert [b[0] for b in spy] == ["2026-01-07T05:00:00+00:00", "2026-01-08T05:00:00+00:00",
                                   "2026-01-09T05:00:00+00:00", "2026-01-12T05:00:00+00:00"]
    assert spy[0][1:] == [100.0, 102.0, 99.0, 101.0, 1_000_000.0]
    today = spy[-1]
    assert today[1] == 100.0 and today[3] == 99.0 and 99 <= today[4] <= 102  # the low is behind us
    assert today[2] <= 102 and today[5] < 1_000_000
    assert abs(today[5] - 1_000_000 * 3.5 / 6.5) < 100  # prorated by elapsed session time
    assert out["DOWN"][-1][1] == 50.0


def test_bars_page_with_next_page_token():
    broker = Broker(BrokerConfig(), bars(), now=lambda: datetime(2026, 1, 12, 15, tzinfo=timezone.utc))
    query = {"symbols": "SPY,DOWN", "timeframe": "1Day", "start": "2026-01-05T00:00:00Z",
             "end": "2026-01-09T23:59:59Z", "limit": "3"}
    seen, token = [], None
    while True:
        q = dict(query, **({"page_token": token} if token else {}))
        page = broker.app(HttpRequest("GET", "https://data.alpaca.markets/v2/stocks/bars", "data.alpaca.markets",
                                      "/v2/stocks/bars", q, AUTH)).json()
        seen += [(s, b["t"][:10]) for s, rows in page["bars"].items() for b in rows]
        token = page["next_page_token"]
        if token is None:
            break
    days = ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09"]
    assert seen == [("DOWN", d) for d in days] + [("SPY", d) for d in days]


def snapshot(event, context):
    snap = data().get_stock_snapshot(StockSnapshotRequest(symbol_or_symbols="SPY"))["SPY"]
    return {"daily": [snap.daily_bar.timestamp.isoformat(), snap.daily_bar.close],
            "previous": snap.previous_daily_bar.timestamp.isoformat(),
            "quote": [snap.latest_quote.bid_price, snap.latest_quote.ask_price],
            "trade": snap.latest_trade.price}


def test_a_snapshot_carries_today_so_far_yesterday_and_the_latest_quote(harness):
    out = harness(snapshot, epoch="2026-01-12T11:00").invoke()
    assert out["daily"][0] == "2026-01-12T05:00:00+00:00" and out["previous"] == "2026-01-09T05:00:00+00:00"
    bid, ask = out["quote"]
    assert bid < ask and abs(out["trade"] - (bid + ask) / 2) < 0.2


def test_the_app_answers_errors_in_alpacas_shape():
    broker = Broker(BrokerConfig(api_keys={"key": "secret"}), bars(),
                    now=lambda: datetime(2026, 1, 12, 15, tzinfo=timezone.utc))

    def call(path, headers=AUTH, host="paper-api.alpaca.markets", query=None):
        r = broker.app(HttpRequest("GET", f"https://{host}{path}", host, path, query or {}, headers))
        return r.status, json.loads(r.body)

    assert call("/v2/account", {"APCA-API-KEY-ID": "key", "APCA-API-SECRET-KEY": "wrong"}) == \
        (401, {"code": 40110000, "message": "request is not authorized"})
    assert call("/v2/nothing") == (404, {"code": 40410000,
                                         "message": "GET /v2/nothing is not an endpoint of the simulated broker"})
    assert call("/v2/assets/NOPE") == (404, {"code": 40410000, "message": "asset not found"})
    assert call("/v2/positions/SPY") == (404, {"code": 40410000, "message": "position does not exist"})
    status, body = call("/v2/stocks/bars", host="data.alpaca.markets",
                        query={"symbols": "SPY", "timeframe": "1Min"})
    assert status == 422 and "1Day" in body["message"]
    assert call("/v2/stocks/SPY/quotes/latest", host="data.alpaca.markets")[1]["symbol"] == "SPY"
    assert date.fromisoformat(call("/v2/calendar", query={"start": "2026-01-02", "end": "2026-01-02"})[1][0]
                              ["date"]) == date(2026, 1, 2)
