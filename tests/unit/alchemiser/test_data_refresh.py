"""Data refresh: new daily bars appended to the S3 store from the (simulated) Alpaca data API (§3.9, §10.26)."""

from __future__ import annotations

import io
import json
from datetime import date

import pandas as pd

from tests.unit.sim.conftest import fn, make_stack
from workflows.alchemiser.broker import Broker, BrokerConfig
from workflows.alchemiser.handlers import data_refresh
from workflows.marketdata import s3_layout
from workflows.marketdata.store import BarStore
from tests.unit.alchemiser.signal_helpers import MARKET

BUS = "alchemiser-dev-events"
BUCKET = "md-${AccountId}"


def _stack(strategy_dir):
    env = {"MARKET_DATA_BUCKET": BUCKET, "STRATEGY_DIR": str(strategy_dir), "EVENT_BUS_NAME": BUS}
    return make_stack(buses=[BUS], buckets=[{"name": BUCKET}], functions=[
        fn("data", data_refresh.handler, environment=env, timeout_s=900),
        fn("sink", lambda e, c: None)],
        rules=[{"name": "lake", "bus": BUS, "event_pattern": {"detail-type": ["DataLakeUpdateCompleted"]},
                "targets": [{"arn": "sink"}]}])


def _frame(sim, symbol: str) -> pd.DataFrame:
    bucket = BUCKET.replace("${AccountId}", sim.emulator.account_id)
    raw = sim.client("s3").get_object(Bucket=bucket, Key=s3_layout.daily_key(symbol))["Body"].read()
    return pd.read_parquet(io.BytesIO(raw))


def test_strategy_symbols_are_read_from_the_clj_files(tmp_path):
    (tmp_path / "a.clj").write_text('(defsymphony "a" {} (if (> (rsi "SPY" {:window 10}) 70) (asset "UVXY") '
                                    '(asset "BRK/B")))')
    import os
    os.environ["STRATEGY_DIR"] = str(tmp_path)
    try:
        assert data_refresh.strategy_symbols() == ["BRK/B", "SPY", "UVXY"]
    finally:
        del os.environ["STRATEGY_DIR"]


def test_refresh_appends_only_the_missing_days_and_publishes_completion(simulate, tmp_path):
    (tmp_path / "s.clj").write_text('(defsymphony "s" {} (weight-equal [(asset "SPY") (asset "TLT")]))')
    # Given a store published through 2026-01-09 and a run on Wednesday 2026-01-14 at 10:00 UTC
    sim = simulate(_stack(tmp_path), epoch="2026-01-14T10:00", tz="UTC")
    store = BarStore.open(MARKET)
    Broker(BrokerConfig(), store).mount(sim)
    bucket = BUCKET.replace("${AccountId}", sim.emulator.account_id)
    s3_layout.publish(store, sim.client("s3"), bucket, symbols=["SPY"], before=date(2026, 1, 10))
    before = len(_frame(sim, "SPY"))
    # When the scheduled refresh runs
    out = sim.client("lambda").invoke(FunctionName="data", Payload=b"{}")
    body = json.loads(out["Payload"].read())
    sim.run()
    # Then SPY gained exactly the sessions of Jan 12 and 13 (the bar of the 14th is not final: the
    # simulated Alpaca serves today's bar so far, and the real refresh stores it too)
    spy = _frame(sim, "SPY")
    new_days = sorted({t.date().isoformat() for t in pd.to_datetime(spy["timestamp"], utc=True)})[-3:]
    assert len(spy) - before == len(new_days[new_days.index("2026-01-12"):])
    assert spy["timestamp"].is_monotonic_increasing and not spy["timestamp"].duplicated().any()
    # and TLT, never fetched, was seeded with 1825 days of history
    tlt = _frame(sim, "TLT")
    first = pd.to_datetime(tlt["timestamp"], utc=True).min().date()
    assert (date(2026, 1, 14) - first).days <= 1825 + 3
    assert body["statusCode"] == 200 and body["body"]["symbols_updated"] == ["SPY", "TLT"]
    # 0.6 s between symbols, on the virtual clock
    calls = [r for r in sim.trace.records if r["kind"] == "http.call" and "bars" in r.get("path", "")]
    assert calls and calls[-1]["t"] - calls[0]["t"] >= 0.6
    puts = [r for r in sim.trace.records if r["kind"] == "events.put"]
    assert [p["detail_type"] for p in puts] == ["DataLakeUpdateCompleted"]


def test_a_failing_symbol_gives_a_partial_status(simulate, tmp_path):
    (tmp_path / "s.clj").write_text('(defsymphony "s" {} (weight-equal [(asset "SPY") (asset "NOSUCH")]))')
    sim = simulate(_stack(tmp_path), epoch="2026-01-14T10:00", tz="UTC")
    Broker(BrokerConfig(), BarStore.open(MARKET)).mount(sim)
    body = json.loads(sim.client("lambda").invoke(FunctionName="data", Payload=b"{}")["Payload"].read())
    assert body["statusCode"] == 206
    assert body["body"]["failed_symbols"] == ["NOSUCH"] and body["body"]["symbols_updated"] == ["SPY"]
