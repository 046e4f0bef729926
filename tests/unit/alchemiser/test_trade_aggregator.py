"""Trade aggregation (reference §3.6, §10 item 24): outcome classification and the portfolio
snapshot (pure), then the handler's claim on the virtual clock."""

from __future__ import annotations

from decimal import Decimal as D
from types import SimpleNamespace as NS

import pytest

from sim.faults import FaultPlan
from tests.unit.alchemiser.trade_helpers import (CAPTURED, TRADE_AGGREGATOR, details, invoke, message, mount_broker,
                                                 run_items, seed, seeder, trade_stack)
from workflows.alchemiser.aggregation import pnl_metrics, portfolio_snapshot, summarize_trades


def trade(symbol, action, status, amount, error=None, seq=1002):
    return {"symbol": symbol, "action": action, "status": status, "trade_amount": D(amount), "error_message": error,
            "order_id": f"o-{symbol}" if status == "COMPLETED" else None, "sequence_number": D(seq)}


def test_rounds_to_zero_failures_are_non_fractionable_skips_not_failed_symbols():
    summary = summarize_trades([
        trade("BRK.A", "BUY", "FAILED", "40", "BRK.A: 0.000055 shares rounds to zero (non-fractionable asset)", 2005),
        trade("TLT", "SELL", "FAILED", "-300", "Limit order rejected for TLT at 90.01", 1003),
        trade("SPY", "BUY", "COMPLETED", "700", None, 2002)])
    assert summary["failed_symbols"] == ["TLT"]
    assert summary["non_fractionable_skipped_symbols"] == ["BRK.A"]
    assert summary["execution_summary"] == {"total_trades": 3, "succeeded": 1, "failed": 2, "total_value": "1040",
                                            "symbols_evaluated": 3, "eligible_signals": 3, "blocked_by_risk": 2}
    assert [o["symbol"] for o in summary["orders_executed"]] == ["TLT", "SPY", "BRK.A"]  # by sequence number


def test_portfolio_snapshot_exposures_and_capital_deployed():
    account = NS(equity="10000", cash="2000", long_market_value="8000", short_market_value="-1000")
    positions = [NS(symbol="SPY", market_value="5000"), NS(symbol="SQQQ", market_value="-1000"),
                 NS(symbol="TLT", market_value="3000")]
    snap = portfolio_snapshot(account, positions)
    assert (snap["gross_exposure"], snap["net_exposure"], snap["capital_deployed_pct"]) == ("0.9000", "0.7000",
                                                                                            "80.00")
    assert [(p["symbol"], p["weight_pct"]) for p in snap["top_positions"]] == [
        ("SPY", "50.00"), ("TLT", "30.00"), ("SQQQ", "-10.00")]


def test_pnl_from_portfolio_history_and_empty_without_history():
    assert pnl_metrics(NS(equity=[100000, 101000, 102500.5])) == {
        "pnl": "2500.5", "pnl_pct": "2.50", "start_equity": "100000", "end_equity": "102500.5"}
    assert pnl_metrics(NS(equity=[])) == {}


# -- the handler on the virtual clock -----------------------------------------------------------------

DUPLICATE_TRADE_EXECUTED = FaultPlan.model_validate({"name": "dup", "rules": [
    {"name": "duplicate-trade-executed", "match": {"point": "delivery", "channel": "events", "resource": "trade-executed"},
     "action": {"kind": "duplicate"}}]})


@pytest.fixture
def make(simulate):
    def _make(faults=None):
        CAPTURED.clear()
        sim = simulate(trade_stack(extra_functions=[seeder()]), seed=6, epoch="2026-01-12T15:45", faults=faults)
        mount_broker(sim, starting_cash=20_000)
        return sim
    return _make


def trade_executed(run_id: str | None) -> dict:
    return {"detail-type": "TradeExecuted", "source": "alchemiser.execution",
            "detail": {"metadata": {"run_id": run_id} if run_id else {}}}


BUYS = [message("SPY", "BUY", "1000", trade_id="b1"), message("QQQ", "BUY", "800", trade_id="b2"),
        message("TLT", "BUY", "300", trade_id="b3", priority=3)]


def test_a_finished_run_publishes_one_all_trades_completed_with_its_counts_and_state(make):
    sim = make()
    seed(sim, BUYS, limit="20000")
    sim.run()
    (event,) = [e for e in CAPTURED if e["detail-type"] == "AllTradesCompleted"]
    d = event["detail"]
    meta = run_items(sim, "run-1")["METADATA"]
    assert event["source"] == "alchemiser.trade_aggregator" and d["causation_id"] == "run-1"
    assert (d["run_id"], d["plan_id"], d["correlation_id"]) == ("run-1", "plan-1", "corr-1")
    assert (d["total_trades"], d["succeeded_trades"], d["failed_trades"], d["skipped_trades"]) == (3, 3, 0, 0)
    assert d["started_at"] == meta["created_at"] and d["completed_at"] > d["started_at"]
    assert d["aggregated_execution_data"]["execution_summary"]["total_value"] == "2100"
    assert set(d["portfolio_snapshot"]) == {"equity", "cash", "gross_exposure", "net_exposure",
                                            "capital_deployed_pct", "top_positions"}
    assert 10 < D(d["capital_deployed_pct"]) < 11  # $2 100 of ~$20 000
    assert d["data_freshness"] == {} and d["failed_symbols"] == []
    assert meta["status"] == "COMPLETED" and "aggregation_started_at" in meta and "completed_at" in meta


def test_duplicate_trade_executed_deliveries_still_give_exactly_one_event(make):
    sim = make(faults=DUPLICATE_TRADE_EXECUTED)
    seed(sim, BUYS, limit="20000")
    result = sim.run()
    assert len(result.trace.where("invoke.start", TRADE_AGGREGATOR)) == 6  # every TradeExecuted twice
    assert len(details("AllTradesCompleted")) == 1


def test_answers_without_a_run_before_completion_and_after_the_claim(make):
    sim = make()
    assert invoke(sim, TRADE_AGGREGATOR, trade_executed(None))["body"]["status"] == "skipped"
    assert invoke(sim, TRADE_AGGREGATOR, trade_executed("nope"))["body"]["status"] == "run_not_found"
    seed(sim, BUYS, limit="20000")
    assert invoke(sim, TRADE_AGGREGATOR, trade_executed("run-1"))["body"] == {
        "status": "waiting", "run_id": "run-1", "completed": 0, "total": 3}
    sim.run()
    assert invoke(sim, TRADE_AGGREGATOR, trade_executed("run-1"))["body"] == {
        "status": "already_aggregating", "run_id": "run-1", "run_status": "COMPLETED"}
    assert len(details("AllTradesCompleted")) == 1


def test_a_failed_run_is_never_aggregated(make):
    sim = make()
    seed(sim, BUYS[:1], limit="500")  # a $1 000 BUY against a $500 limit: the breaker fails the run
    sim.run()
    assert run_items(sim, "run-1")["METADATA"]["status"] == "FAILED"
    assert invoke(sim, TRADE_AGGREGATOR, trade_executed("run-1"))["body"]["status"] == "already_aggregating"
    sim.run()
    assert details("AllTradesCompleted") == [] and [d["failure_step"] for d in details("WorkflowFailed")] == [
        "EQUITY_CIRCUIT_BREAKER"]
