"""The seed's B.2 design as a state machine (workflows/asl/trade_execution.asl.json) on the virtual
clock: Portfolio starts one execution per run; SELL Map, the $500 guard, BUY Map, aggregation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.alchemiser.trade_helpers import (
    BUS, CAPTURED, COMMON_ENV, HANDLERS, PORTFOLIO, RUNS, capture, peak_concurrency,
                                                 details, invoke, mount_broker, run_items, runs_table, signal_event)
from tests.unit.sim.conftest import fn, make_stack
from workflows.alchemiser.broker import Holding, Rejection

DEFINITION = Path(__file__).resolve().parents[3] / "workflows" / "asl" / "trade_execution.asl.json"
MACHINE = "alchemiser-dev-trade-execution"
TRADE_FN = "alchemiser-dev-execution-sf-trade"
HOLDINGS = {"UVXY": Holding(qty=100, avg_entry_price=30), "TLT": Holding(qty=100, avg_entry_price=85)}


def sf_stack():
    env = {**COMMON_ENV, "ALPACA__EQUITY_DEPLOYMENT_PCT": "0.95", "EXECUTION_RUNS_TABLE_NAME": RUNS}
    arn = f"arn:aws:states:us-east-1:${{AccountId}}:stateMachine:{MACHINE}"
    functions = [
        fn(PORTFOLIO, f"{HANDLERS}.portfolio:handler", timeout_s=900, environment={**env,
                                                                                  "EXECUTION_STATE_MACHINE_ARN": arn}),
        fn(TRADE_FN, f"{HANDLERS}.execution_sf:execute_trade", timeout_s=600, reserved_concurrency=10,
           environment=env),
        fn("alchemiser-dev-execution-sf-sell-guard", f"{HANDLERS}.execution_sf:check_sell_results", timeout_s=60,
           environment=env),
        fn("alchemiser-dev-execution-sf-aggregate", f"{HANDLERS}.execution_sf:aggregate", timeout_s=60,
           environment=env),
        fn("capture", capture)]
    rules = [{"name": "capture-all", "bus": BUS, "event_pattern": {"source": [{"prefix": "alchemiser."}]},
              "targets": [{"arn": "function:capture"}]}]
    return make_stack("alchemiser-trade-sf", functions=functions, buses=[BUS], rules=rules, tables=[runs_table()],
                      state_machines=[{"name": MACHINE, "definition": json.loads(DEFINITION.read_text())}])


@pytest.fixture
def make(simulate):
    def _make(**broker_config):
        CAPTURED.clear()
        sim = simulate(sf_stack(), seed=8, epoch="2026-01-12T15:45")
        broker_config.setdefault("starting_cash", 20_000)
        return sim, mount_broker(sim, **broker_config)
    return _make


def run_day(sim, weights):
    body = invoke(sim, PORTFOLIO, signal_event(weights))["body"]
    result = sim.run()
    execution = sim.client("stepfunctions").describe_execution(executionArn=body["execution_arn"])
    return body, result, execution


def test_sells_then_buys_then_one_all_trades_completed(make):
    sim, broker = make(positions=HOLDINGS)
    body, _, execution = run_day(sim, {"SPY": "0.5", "QQQ": "0.4", "TLT": "0.1"})
    assert execution["status"] == "SUCCEEDED" and execution["name"] == body["run_id"]
    sells = [o for o in broker.book.orders.values() if o.side == "sell"]
    buys = [o for o in broker.book.orders.values() if o.side == "buy"]
    assert {o.symbol for o in sells} == {"UVXY", "TLT"} and {o.symbol for o in buys} == {"SPY", "QQQ"}
    assert min(o.created_at for o in buys) > max(o.filled_at or o.created_at for o in sells)
    output = json.loads(execution["output"])
    assert sorted(r["symbol"] for r in output["sell_results"]) == ["TLT", "UVXY"]
    assert output["sell_check"] == {"blocked": False, "outcome": "released", "sell_failed_amount": "0"}
    assert output["aggregation"]["status"] == "completed"
    (done,) = details("AllTradesCompleted")
    assert (done["total_trades"], done["succeeded_trades"]) == (4, 4)
    assert run_items(sim, body["run_id"])["METADATA"]["status"] == "COMPLETED"


def test_the_sell_guard_fails_the_execution_and_blocks_the_buys(make):
    sim, broker = make(positions=HOLDINGS, rejections=[Rejection(symbol="UVXY", side="sell")])
    body, _, execution = run_day(sim, {"SPY": "0.5", "QQQ": "0.4", "TLT": "0.1"})
    assert (execution["status"], execution["error"]) == ("FAILED", "SellPhaseGuard")
    assert [d["failure_step"] for d in details("WorkflowFailed")] == ["SELL_PHASE_GUARD"]
    assert not [o for o in broker.book.orders.values() if o.side == "buy"]
    assert details("AllTradesCompleted") == [] and run_items(sim, body["run_id"])["METADATA"]["status"] == "FAILED"


def test_the_buy_map_runs_at_most_10_trades_at_once(make):
    symbols = ["SPY", "QQQ", "TLT", "GLD", "IWM", "DIA", "EEM", "AGG", "BND", "IEF", "BIL", "GDX"]
    sim, _ = make(starting_cash=120_000)
    weights = {s: "0.08" for s in symbols[:-1]} | {symbols[-1]: "0.12"}
    _, result, execution = run_day(sim, weights)
    assert execution["status"] == "SUCCEEDED"
    peak = peak_concurrency(result, TRADE_FN)
    assert peak == 10 and len(details("TradeExecuted")) == 12
