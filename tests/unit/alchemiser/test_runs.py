"""The execution run service (reference §3.3) against the emulator's DynamoDB, called from
handlers on the virtual clock, so concurrent callers interleave at every API call."""

from __future__ import annotations

import json
import time
from datetime import datetime
from decimal import Decimal as D

import boto3
import pytest

from tests.unit.alchemiser.trade_helpers import NOW, RUNS, invoke, message, run_items, runs_table
from tests.unit.sim.conftest import fn, make_stack
from workflows.alchemiser.runs import ExecutionRunService
from workflows.alchemiser.trades import TradeMessage

RESULTS: list[dict] = []


def run_op(event, context):
    """One service call per invocation; ``start_at`` (virtual epoch seconds) lines up concurrent callers."""
    svc = ExecutionRunService(boto3.resource("dynamodb").Table(RUNS))
    time.sleep(max(0.0, event.get("start_at", 0) - time.time()))
    op, run_id = event["op"], event.get("run_id", "run-1")
    if op == "create":
        msgs = [TradeMessage.model_validate(m) for m in event["messages"]]
        svc.create_run(run_id=run_id, plan_id="plan-1", correlation_id="corr-1", messages=msgs,
                       max_equity_limit_usd=D(event.get("limit", "10000")), run_timestamp=NOW,
                       strategies_evaluated=12, rebalance_plan_summary=[{"symbol": "SPY"}])
        result = None
    elif op == "complete":
        progress = svc.mark_trade_completed(run_id, event["trade_id"], phase=event["phase"], amount=D(event["amount"]),
                                            success=event["success"], skipped=event.get("skipped", False))
        result = None if progress is None else {k: str(v) for k, v in progress.item.items()
                                                if k.endswith(("_trades", "_completed", "_amount", "_value"))} | {
            "sell_phase_complete": progress.sell_phase_complete, "run_complete": progress.run_complete}
    elif op == "transition":
        result = svc.transition_to_buy_phase(run_id)
    elif op == "claim":
        result = svc.claim_aggregation(run_id)
    elif op == "fail":
        result = svc.mark_run_failed(run_id, "test", only_in_sell_phase=event.get("only_sell", False))
    elif op == "breaker":
        d = svc.check_equity_circuit_breaker(run_id, D(event["amount"]))
        result = {"allowed": d.allowed, "overage": str(d.overage), "reason": d.reason}
    elif op == "pending_buys":
        result = [t["trade_id"] for t in svc.get_pending_buy_trades(run_id)]
    else:
        svc.mark_buy_trades_pending(run_id, event["trade_ids"])
        result = None
    RESULTS.append({"op": op, "result": result, "t": time.time()})
    return result


@pytest.fixture
def sim(simulate):
    RESULTS.clear()
    stack = make_stack("runs", functions=[fn("svc", run_op, timeout_s=60)], tables=[runs_table()])
    return simulate(stack, seed=5, epoch=NOW)


TRADES = [message("UVXY", "SELL", "-600", trade_id="s1"), message("TLT", "SELL", "-300", trade_id="s2", priority=3),
          message("SPY", "BUY", "700", trade_id="b1"), message("QQQ", "BUY", "150", trade_id="b2", priority=3)]


def create(sim, trades=TRADES, **kw):
    return invoke(sim, "svc", {"op": "create", "messages": [m.model_dump(mode="json") for m in trades], **kw})


def call(sim, **event):
    return invoke(sim, "svc", event)


def concurrently(sim, calls: list[dict]) -> list:
    """Start every call at the same virtual instant; return their results in completion order."""
    RESULTS.clear()
    start = sim.clock.now_s + sim.clock.epoch.timestamp() + 5
    for event in calls:
        sim.client("lambda").invoke(FunctionName="svc", InvocationType="Event",
                                    Payload=json.dumps({**event, "start_at": start}).encode())
    sim.run()
    return [r["result"] for r in RESULTS]


def test_create_writes_metadata_and_trade_items_with_a_24_hour_ttl(sim):
    create(sim)
    items = run_items(sim, "run-1")
    meta = items["METADATA"]
    assert (meta["status"], meta["current_phase"]) == ("SELL_PHASE", "SELL")
    assert (meta["total_trades"], meta["sell_total"], meta["buy_total"]) == (4, 2, 2)
    assert meta["completed_trades"] == meta["sell_failed_amount"] == meta["cumulative_buy_succeeded_value"] == 0
    assert meta["max_equity_limit_usd"] == 10000 and meta["trade_ids"] == ["s1", "s2", "b1", "b2"]
    created = datetime.fromisoformat(meta["created_at"]).timestamp()  # virtual time of the call
    assert meta["TTL"] == int(created) + 24 * 3600 and 0 < created - NOW.timestamp() < 1
    assert json.loads(meta["rebalance_plan_summary"]) == [{"symbol": "SPY"}] and meta["strategies_evaluated"] == 12
    trades = {sk[6:]: item for sk, item in items.items() if sk.startswith("TRADE#")}
    assert {t: i["status"] for t, i in trades.items()} == {"s1": "PENDING", "s2": "PENDING",
                                                           "b1": "WAITING", "b2": "WAITING"}
    assert all(i["TTL"] == meta["TTL"] for i in trades.values())
    assert TradeMessage.from_sqs_message_body(trades["b1"]["message_body"]) == TRADES[2]


def test_completion_counts_planned_dollars_by_phase_and_outcome(sim):
    create(sim)
    call(sim, op="complete", trade_id="s1", phase="SELL", amount="-600", success=False)
    second = call(sim, op="complete", trade_id="s2", phase="SELL", amount="-300", success=True)
    assert second["sell_phase_complete"] and not second["run_complete"]
    call(sim, op="complete", trade_id="b1", phase="BUY", amount="700", success=True)
    last = call(sim, op="complete", trade_id="b2", phase="BUY", amount="150", success=True, skipped=True)
    assert last["run_complete"]
    meta = run_items(sim, "run-1")["METADATA"]
    assert (meta["completed_trades"], meta["succeeded_trades"], meta["failed_trades"], meta["skipped_trades"]) == (
        4, 2, 1, 1)
    assert (meta["sell_failed_amount"], meta["sell_succeeded_amount"]) == (600, 300)
    assert meta["cumulative_buy_succeeded_value"] == 700  # a skipped BUY adds no dollars


def test_a_trade_is_counted_once_even_when_completed_twice(sim):
    create(sim)
    assert call(sim, op="complete", trade_id="s1", phase="SELL", amount="-600", success=True) is not None
    assert call(sim, op="complete", trade_id="s1", phase="SELL", amount="-600", success=False) is None
    meta = run_items(sim, "run-1")["METADATA"]
    assert meta["completed_trades"] == 1 and meta["failed_trades"] == 0
    assert run_items(sim, "run-1")["TRADE#s1"]["status"] == "COMPLETED"


def test_concurrent_completions_each_see_their_own_count_and_one_sees_the_phase_end(sim):
    create(sim)
    results = concurrently(sim, [{"op": "complete", "trade_id": t, "phase": "SELL", "amount": "-100",
                                  "success": True} for t in ("s1", "s2")])
    assert sorted(r["sell_completed"] for r in results) == ["1", "2"]
    assert [r["sell_phase_complete"] for r in results].count(True) == 1


def test_buy_phase_transition_has_exactly_one_winner(sim):
    create(sim)
    assert sorted(concurrently(sim, [{"op": "transition"}] * 3)) == [False, False, True]
    meta = run_items(sim, "run-1")["METADATA"]
    assert (meta["status"], meta["current_phase"]) == ("BUY_PHASE", "BUY") and "buy_phase_started_at" in meta


def test_waiting_buys_in_sequence_order_then_pending(sim):
    create(sim)
    assert call(sim, op="pending_buys") == ["b1", "b2"]  # 2002 before 2003
    call(sim, op="mark_pending", trade_ids=["b1", "b2"])
    assert call(sim, op="pending_buys") == []
    assert run_items(sim, "run-1")["TRADE#b2"]["status"] == "PENDING"


def test_aggregation_claim_has_one_winner_and_never_claims_a_failed_run(sim):
    create(sim)
    assert sorted(concurrently(sim, [{"op": "claim"}] * 3)) == [False, False, True]
    assert run_items(sim, "run-1")["METADATA"]["status"] == "AGGREGATING"
    create(sim, run_id="run-2")
    call(sim, op="fail", run_id="run-2")
    assert call(sim, op="claim", run_id="run-2") is False


def test_guarded_failure_only_applies_in_the_sell_phase(sim):
    create(sim)
    assert call(sim, op="fail", only_sell=True) is True
    assert call(sim, op="fail", only_sell=True) is False  # already FAILED: no second winner
    meta = run_items(sim, "run-1")["METADATA"]
    assert meta["status"] == "FAILED" and meta["failure_reason"] == "test" and "failed_at" in meta


def test_equity_breaker_allows_up_to_the_limit_and_blocks_beyond(sim):
    create(sim, limit="1000")
    call(sim, op="complete", trade_id="b1", phase="BUY", amount="700", success=True)
    assert call(sim, op="breaker", amount="300") == {"allowed": True, "overage": "0", "reason": ""}  # equal: allowed
    blocked = call(sim, op="breaker", amount="300.01")
    assert blocked == {"allowed": False, "overage": "0.01", "reason": "equity limit exceeded"}


def test_equity_breaker_is_disabled_by_a_zero_limit_and_blocks_a_missing_run(sim):
    create(sim, limit="0")
    assert call(sim, op="breaker", amount="1000000")["allowed"] is True
    assert call(sim, op="breaker", run_id="nope", amount="1")["reason"] == "run not found"
