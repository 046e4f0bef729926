"""Sync refresh: a worker's S3 cache miss fetches the symbol through the Data Lambda, behind
the FETCH#symbol dedup lock (§3.9 "On-demand" and "Dedup lock", §10 item 28)."""

from __future__ import annotations

import io
import json
from datetime import date, datetime

import pandas as pd
import pytest

from sim.faults import FaultPlan
from tests.unit.alchemiser.signal_helpers import (
    CAPTURED, DATA, FETCH_TABLE, MARKET, WORKER, bucket_name, captured, invoke, legacy_stack, seed_bars,
    write_config,
)
from workflows.alchemiser import sync_refresh
from workflows.alchemiser.broker import Broker, BrokerConfig
from workflows.marketdata import s3_layout
from workflows.marketdata.store import BarStore

DAY = date(2026, 1, 12)  # a Monday; the worker runs at 15:45 New York (20:45 UTC)
STRATEGY = ('(defsymphony "sync" {} (weight-equal [(if (> (current-price "{sym}") 0) [(asset "{sym}")] '
            '[(asset "BIL")]) (asset "SPY")]))')


@pytest.fixture(autouse=True)
def _fresh():
    CAPTURED.clear()


def sync_sim(simulate, tmp_path, symbol="XLK", **options):
    """A worker for one strategy that names ``symbol`` (absent from the bucket), the Data Lambda
    and the simulated Alpaca; BIL and SPY are in the bucket."""
    (tmp_path / "sync.clj").write_text(STRATEGY.replace("{sym}", symbol))
    config = write_config(tmp_path, {"sync.clj": 1.0})
    stack = legacy_stack(config, aggregator=False, data=True, worker_env={"STRATEGY__DIRECTORY": str(tmp_path)})
    sim = simulate(stack, epoch=f"{DAY.isoformat()}T15:45", **options)
    Broker(BrokerConfig(), BarStore.open(MARKET)).mount(sim)
    seed_bars(sim, DAY, ("BIL", "SPY"))
    return sim


def worker_payload(session: str) -> dict:
    return {"session_id": session, "correlation_id": session, "dsl_file": "sync.clj", "allocation": 1.0,
            "strategy_number": 1, "total_strategies": 1, "mode": "single_strategy"}


def start_workers(sim, count: int) -> None:
    for i in range(count):
        invoke(sim, WORKER, worker_payload(f"session-{i}"), sync=False)


def answers(sim) -> dict[str, list[tuple[float, str]]]:
    """Per worker invocation: (virtual time, status) of each Data Lambda answer it got."""
    out: dict[str, list[tuple[float, str]]] = {}
    for r in sim.trace.where("log", WORKER):
        line = json.loads(r["line"])
        if line["message"] == "Sync refresh answered":
            out.setdefault(r["request_id"], []).append((r["t"], line["status"]))
    return out


def worker_end(sim, request_id: str) -> float:
    [end] = sim.trace.where("invoke.end", WORKER, request_id=request_id)
    return end["t"]


def bar_calls(sim) -> list[dict]:
    return [r for r in sim.trace.of_kind("http.call") if r["path"] == "/v2/stocks/bars"]


def locks(sim) -> list[dict]:
    return sim.client("dynamodb").scan(TableName=FETCH_TABLE)["Items"]


def stored(sim, symbol: str) -> pd.DataFrame:
    raw = sim.client("s3").get_object(Bucket=bucket_name(sim), Key=s3_layout.daily_key(symbol))["Body"].read()
    frame = pd.read_parquet(io.BytesIO(raw))
    return frame.assign(day=pd.to_datetime(frame["timestamp"], utc=True).dt.tz_convert("America/New_York").dt.date)


def test_the_payload_and_the_client_are_the_real_adapters(monkeypatch):
    monkeypatch.setenv("SYNC_REFRESH_TIMEOUT_SECONDS", "300")
    assert sync_refresh.fetch_request("XLK") == {
        "detail-type": "MarketDataFetchRequested", "source": "alchemiser.strategy",
        "detail": {"symbol": "XLK", "requested_by": "sync_refresh", "correlation_id": "sync-refresh-XLK"}}
    config = sync_refresh.client_config()
    assert config.read_timeout == 330 and config.retries == {"max_attempts": 0}


def test_a_missing_symbol_is_fetched_once_and_the_worker_goes_on(simulate, tmp_path):
    sim = sync_sim(simulate, tmp_path)
    start_workers(sim, 1)
    sim.run()
    # one synchronous Data invoke, one bars request to the (simulated) Alpaca data API
    assert [r["mode"] for r in sim.trace.where("invoke.start", DATA)] == ["RequestResponse"]
    assert len(bar_calls(sim)) == 1
    [(request_id, [(answered, status)])] = answers(sim).items()
    assert status == "success"
    # seeded with the event's 400 days only (not the scheduled refresh's 1825), through today
    xlk = stored(sim, "XLK")
    assert 0 <= (xlk["day"].min() - date(2024, 12, 8)).days <= 4 and xlk["day"].max() == DAY
    # 5 s of (virtual) sleep before the fresh S3 read, then the evaluation goes on with XLK
    assert worker_end(sim, request_id) - answered >= sync_refresh.WAIT_AFTER_REFRESH_S
    [partial] = captured("PartialSignalGenerated")
    detail = partial["detail"]
    assert detail["consolidated_portfolio"]["target_allocations"] == {"SPY": "0.50", "XLK": "0.50"}
    assert detail["signals_data"]["sync"]["raw_allocations"] == {"XLK": 0.5, "SPY": 0.5}
    assert detail["data_freshness"]["gate_status"] == "PASS" and captured("WorkflowFailed") == []


def slow_bars(seconds: float) -> FaultPlan:
    """Alpaca's bars endpoint answering ``seconds`` late (on the virtual clock)."""
    return FaultPlan.model_validate({"rules": [{
        "name": "slow-bars", "match": {"point": "api_call", "service": "http:data.alpaca.markets",
                                       "path": "/v2/stocks/bars"},
        "action": {"kind": "latency", "seconds": seconds}}]})


@pytest.mark.parametrize("fetch_s, second", [(2.0, ["deduplicated"]), (8.0, ["deduplicated", "deduplicated"])])
def test_two_workers_missing_the_same_symbol_fetch_it_once(simulate, tmp_path, fetch_s, second):
    sim = sync_sim(simulate, tmp_path, faults=slow_bars(fetch_s))
    start_workers(sim, 2)
    sim.run()
    assert len(bar_calls(sim)) == 1
    by_status = {tuple(s for _, s in got): (rid, got) for rid, got in answers(sim).items()}
    assert set(by_status) == {("success",), tuple(second)}
    _, [(fetched_at, _)] = by_status[("success",)]
    waiter, got = by_status[tuple(second)]
    # deduplicated while the other fetch was still running; the waiter slept 5 s and read S3 again
    # (a fetch longer than that: nothing yet, 1 s pause, deduplicated again, 5 s more)
    assert got[0][0] < fetched_at
    if len(got) == 2:
        assert got[1][0] - got[0][0] >= sync_refresh.WAIT_AFTER_REFRESH_S + sync_refresh.PAUSE_BETWEEN_ATTEMPTS_S
    assert fetched_at <= got[-1][0] + sync_refresh.WAIT_AFTER_REFRESH_S <= worker_end(sim, waiter)
    partials = captured("PartialSignalGenerated")
    assert [p["detail"]["consolidated_portfolio"]["target_allocations"]["XLK"] for p in partials] == ["0.50"] * 2
    assert len(sim.trace.where("invoke.start", DATA)) == 1 + len(second)


def test_the_lock_outlives_its_cooldown_until_the_ttl_sweeper_removes_it(simulate, tmp_path):
    sim = sync_sim(simulate, tmp_path, ttl_deletion_delay_s=600)
    start_workers(sim, 1)
    sim.run()
    [lock] = locks(sim)
    requested = datetime.fromisoformat(lock["requested_at"]["S"])
    assert (lock["PK"]["S"], lock["symbol"]["S"], lock["correlation_id"]["S"]) == \
        ("FETCH#XLK", "XLK", "sync-refresh-XLK")
    assert int(lock["ttl"]["N"]) == int(requested.timestamp()) + 15 * 60
    # past the 15 min cooldown but not yet swept: the condition ignores ttl, so still deduplicated
    sim.advance(15 * 60)
    again = invoke(sim, DATA, sync_refresh.fetch_request("XLK"))
    assert again["body"]["status"] == "deduplicated" and again["body"]["cooldown_remaining_seconds"] == 0
    assert len(bar_calls(sim)) == 1
    # DynamoDB's TTL deletion (here 600 s after expiry) frees the symbol
    sim.advance(600)
    assert locks(sim) == [] and len(sim.trace.where("dynamodb.ttl-expired", FETCH_TABLE)) == 1
    refetch = invoke(sim, DATA, sync_refresh.fetch_request("XLK"))
    assert refetch["body"] == {"status": "success", "symbol": "XLK", "bars_fetched": 1}  # incremental
    assert len(locks(sim)) == 1


def test_a_stale_file_gets_the_incremental_refresh(simulate, tmp_path):
    sim = sync_sim(simulate, tmp_path)
    store = BarStore.open(MARKET)
    # nothing inside the shortest lookback (365 days before the run): a cache miss
    s3_layout.publish(store, sim.client("s3"), bucket_name(sim), symbols=["XLK"], before=date(2024, 12, 1))
    start_workers(sim, 1)
    sim.run()
    [(_, [(_, status)])] = answers(sim).items()
    assert status == "success"
    xlk = stored(sim, "XLK")
    expected = s3_layout.s3_frame(store.bars("XLK"), before=date(2026, 1, 13))
    assert len(xlk) == len(expected) and xlk["day"].min() == date(2023, 1, 3)  # appended, not re-seeded
    [partial] = captured("PartialSignalGenerated")
    assert "XLK" in partial["detail"]["consolidated_portfolio"]["target_allocations"]


def test_a_failed_fetch_releases_the_lock_and_the_worker_fails(simulate, tmp_path):
    sim = sync_sim(simulate, tmp_path, symbol="NOSUCH")
    body = invoke(sim, WORKER, worker_payload("session-0"))
    sim.run()
    assert body["statusCode"] == 500
    [(_, got)] = answers(sim).items()
    assert [s for _, s in got] == ["failed", "failed"]  # two attempts, the lock deleted after each
    starts = [r["t"] for r in sim.trace.where("invoke.start", DATA)]
    assert len(starts) == 2 and starts[1] - got[0][0] >= sync_refresh.PAUSE_BETWEEN_ATTEMPTS_S
    assert locks(sim) == []
    assert captured("PartialSignalGenerated") == []
    [failed] = captured("WorkflowFailed")
    assert failed["detail"]["error_details"]["exception_type"] == "MarketDataMissingError"
    assert "NOSUCH" in failed["detail"]["failure_reason"]
