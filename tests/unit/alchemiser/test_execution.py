"""Execution Lambda (reference §3.4-3.5; §10 items 18-23): the FIFO consumer on the virtual
clock against the simulated Alpaca, from Portfolio's enqueue to the last TradeExecuted.

Accounts start at 15:45 ET on Monday 2026-01-12 (the daily run) unless a test says otherwise.
Deployment is 95 % so that limit prices above the mid never run out of buying power.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal as D
from types import SimpleNamespace as NS

import pytest

from tests.unit.alchemiser.trade_helpers import (
    CAPTURED, DLQ, EXECUTION, PORTFOLIO, QUEUE, details, invoke, message, peak_concurrency,
                                                 mount_broker, run_items, seed, seeder, signal_event, trade_stack)
from workflows.alchemiser import phases
from workflows.alchemiser.broker import Holding, Rejection
from workflows.alchemiser.handlers.execution import idempotency_key, process_record
from workflows.alchemiser.runs import Progress

EPOCH = "2026-01-12T15:45"
TARGET = {"SPY": "0.5", "QQQ": "0.4", "TLT": "0.1"}
HOLDINGS = {"UVXY": Holding(qty=100, avg_entry_price=30), "TLT": Holding(qty=100, avg_entry_price=85)}


@pytest.fixture
def make(simulate):
    """make(epoch=..., **broker_config) -> (sim, broker) on the full trade stack."""
    def _make(epoch: str = EPOCH, **broker_config):
        CAPTURED.clear()
        stack = trade_stack(env={"ALPACA__EQUITY_DEPLOYMENT_PCT": "0.95"}, extra_functions=[seeder()])
        sim = simulate(stack, seed=4, epoch=epoch)
        broker_config.setdefault("starting_cash", 20_000)
        return sim, mount_broker(sim, **broker_config)
    return _make


def run_day(sim, weights=TARGET):
    body = invoke(sim, PORTFOLIO, signal_event(weights))["body"]
    return body, sim.run()


def orders(broker, symbol=None, side=None):
    return [o for o in broker.book.orders.values()
            if (symbol is None or o.symbol == symbol) and (side is None or o.side == side)]


def executed() -> dict[str, dict]:
    return {d["execution_data"]["symbol"]: d for d in details("TradeExecuted")}


def queue_messages(sim, name):
    sqs = sim.client("sqs")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])


# -- the consumer's record handling (no AWS) --------------------------------------------------------

def test_idempotency_key_is_16_hex_digits_of_the_trade_identity():
    msg = message("SPY", "BUY", "100", run_id="r", trade_id="t")
    assert idempotency_key(msg) == hashlib.sha256(b"r:t:SPY:BUY").hexdigest()[:16]


@pytest.mark.parametrize("result,deletable", [
    (NS(success=True, skipped=False, retryable_failure=False), True),
    (NS(success=True, skipped=True, retryable_failure=False), True),
    (NS(success=False, skipped=False, retryable_failure=True), False)])
def test_only_records_that_neither_succeeded_nor_skipped_are_batch_failures(result, deletable):
    calls = []
    executor = NS(execute=lambda m: calls.append(m) or NS(**vars(result), as_dict=lambda: {}))
    record = {"messageId": "m1", "body": message().to_sqs_message_body()}
    seen: set[str] = set()
    assert process_record(executor, record, seen) is deletable
    assert process_record(executor, record, seen) is True and len(calls) == 1  # same key in one batch: skipped
    assert process_record(executor, {"messageId": "m2", "body": "not json"}, set()) is False


# -- item 19: SELL -> BUY, released once by the winner, guarded at $500 -----------------------------

class StubRuns:
    def __init__(self, wins_transition=True, wins_failure=True):
        self.calls, self.wins_transition, self.wins_failure = [], wins_transition, wins_failure

    def mark_run_failed(self, run_id, reason, only_in_sell_phase=False):
        self.calls.append(("failed", only_in_sell_phase))
        return self.wins_failure

    def transition_to_buy_phase(self, run_id):
        self.calls.append(("transition",))
        return self.wins_transition


def progress(failed="0", phase="SELL", sells=(2, 2), buys=2):
    return Progress({"current_phase": phase, "sell_completed": sells[0], "sell_total": sells[1],
                     "buy_total": buys, "sell_failed_amount": D(failed), "sell_succeeded_amount": D("900")})


def gate(runs, prog):
    released, published = [], []
    events = NS(put_events=lambda Entries: published.append(json.loads(Entries[0]["Detail"])) or {
        "FailedEntryCount": 0, "Entries": [{"EventId": "e"}]})
    outcome = phases.open_buy_phase(runs, "run-1", prog, correlation_id="corr-1", release=lambda: released.append(1),
                                    events=events, bus="bus", event_id="workflow-failed-1")
    return outcome, released, published


def test_the_transition_is_due_once_the_last_sell_is_counted_and_buys_exist():
    assert phases.due(progress())
    assert not phases.due(progress(sells=(1, 2)))  # a SELL still running
    assert not phases.due(progress(buys=0))  # nothing to release
    assert not phases.due(progress(phase="BUY"))  # already in the BUY phase


def test_exactly_500_dollars_of_failed_sells_still_releases_the_buys():
    outcome, released, published = gate(StubRuns(), progress("500.00"))
    assert (outcome, released, published) == ("released", [1], [])


def test_more_than_500_dollars_blocks_and_reports_once():
    runs = StubRuns()
    outcome, released, (event,) = gate(runs, progress("500.01"))
    assert (outcome, released, runs.calls) == ("blocked", [], [("failed", True)])
    assert event["failure_step"] == "SELL_PHASE_GUARD" and event["error_details"]["sell_failed_amount"] == "500.01"
    assert gate(StubRuns(wins_failure=False), progress("900"))[2] == []  # another invocation already failed it


def test_only_the_transition_winner_releases_the_buys():
    assert gate(StubRuns(wins_transition=False), progress())[:2] == ("lost", [])


def test_buys_start_only_after_every_sell_and_are_released_once(make):
    sim, broker = make(positions=HOLDINGS)
    body, result = run_day(sim)
    sells, buys = orders(broker, side="sell"), orders(broker, side="buy")
    assert {o.symbol for o in sells} == {"UVXY", "TLT"} and {o.symbol for o in buys} == {"SPY", "QQQ"}
    run = run_items(sim, body["run_id"])
    last_sell_done = max(datetime.fromisoformat(i["completed_at"]) for i in run.values() if i.get("phase") == "SELL")
    assert min(o.created_at for o in buys) > last_sell_done
    released = [r for r in result.trace.where("log", EXECUTION) if '"phase_transition": "released"' in r["line"]]
    assert len(released) == 1  # exactly one conditional winner enqueued the BUYs
    assert len(result.trace.where("sqs.sent")) == 4  # 2 SELLs by Portfolio + 2 BUYs by the winner, once each
    meta = run["METADATA"]
    assert (meta["status"], meta["current_phase"], meta["completed_trades"]) == ("COMPLETED", "BUY", 4)


def test_failed_sells_above_500_dollars_block_the_buy_phase(make):
    sim, broker = make(positions=HOLDINGS, rejections=[Rejection(symbol="UVXY", side="sell")])
    body, _ = run_day(sim)
    (failure,) = details("WorkflowFailed")
    assert failure["failure_step"] == "SELL_PHASE_GUARD" and failure["workflow_type"] == "TradingExecution"
    error = failure["error_details"]
    assert D(error["sell_failed_amount"]) > 500 and error["failure_threshold"] == "500.00"
    assert (error["buy_trades_blocked"], error["guard_action"]) == (2, "BUY_PHASE_BLOCKED")
    run = run_items(sim, body["run_id"])
    assert run["METADATA"]["status"] == "FAILED"
    assert sorted(i["status"] for i in run.values() if i.get("phase") == "BUY") == ["WAITING", "WAITING"]
    assert orders(broker, side="buy") == [] and details("AllTradesCompleted") == []


def test_failed_sells_up_to_500_dollars_only_warn(make):
    sim, broker = make(positions={"UVXY": Holding(qty=30, avg_entry_price=30), "TLT": Holding(qty=100,
                                                                                                 avg_entry_price=85)},
                       rejections=[Rejection(symbol="UVXY", side="sell")])
    body, _ = run_day(sim)
    assert details("WorkflowFailed") == []
    assert {o.symbol for o in orders(broker, side="buy")} == {"SPY", "QQQ"}
    (done,) = details("AllTradesCompleted")
    assert (done["failed_trades"], done["failed_symbols"]) == (1, ["UVXY"])


# -- item 20: the equity circuit breaker ------------------------------------------------------------

def test_equity_breaker_allows_up_to_the_limit_then_blocks_and_fails_the_run(make):
    sim, broker = make()
    buys = [message("SPY", "BUY", "1000", trade_id="b1", priority=2),
            message("SPY", "BUY", "500", trade_id="b2", priority=3),  # cumulative 1500 == limit: allowed
            message("SPY", "BUY", "1", trade_id="b3", priority=5)]  # 1501 > 1500: blocked
    seed(sim, buys, limit="1500")
    sim.run()
    filled = [o for o in orders(broker, "SPY") if o.status == "filled"]
    assert sum(o.filled_value for o in filled) == pytest.approx(1500, rel=0.005)  # b1 and b2
    assert all(o.qty > 0.5 for o in orders(broker, "SPY"))  # no order for b3 (~0.0015 share)
    (failure,) = details("WorkflowFailed")
    assert failure["failure_step"] == "EQUITY_CIRCUIT_BREAKER"
    assert {k: failure["error_details"][k] for k in ("proposed_value", "cumulative_value", "limit", "overage")} == {
        "proposed_value": "1", "cumulative_value": "1500", "limit": "1500", "overage": "1"}
    run = run_items(sim, "run-1")
    assert run["METADATA"]["status"] == "FAILED" and run["TRADE#b3"]["status"] == "FAILED"
    assert details("AllTradesCompleted") == []  # a FAILED run is never aggregated


# -- item 21: shares, rounding, walk-the-book, attempts -----------------------------------------------

def test_full_exits_sell_the_held_quantity_and_buys_size_by_the_fresh_mid(make):
    sim, broker = make(positions=HOLDINGS)
    run_day(sim)
    assert {o.qty for o in orders(broker, "UVXY")} == {100.0}  # the position, not amount / price
    qqq = executed()["QQQ"]["execution_data"]
    shares = D(qqq["shares_executed"])
    assert shares == shares.quantize(D("0.000001")) and shares % 1 != 0  # fractional, 6 dp
    planned = [i for i in run_items(sim, executed()["QQQ"]["metadata"]["run_id"]).values()
               if i.get("symbol") == "QQQ"][0]["trade_amount"]
    assert shares * D(qqq["price"]) == pytest.approx(planned, rel=D("0.002"))


def test_non_fractionable_assets_round_down_and_zero_shares_fail_as_rounds_to_zero(make):
    sim, broker = make(non_fractionable=["SPY", "TLT"])
    run_day(sim, {"SPY": "0.5", "QQQ": "0.48", "TLT": "0.02"})  # TLT: $380 at ~$83 -> 4 shares
    assert [o.qty for o in orders(broker, "SPY")][0] == 14.0  # $9 500 / ~$672 = 14.1 -> 14
    assert [o.qty for o in orders(broker, "TLT")][0] == 4.0
    sim2, broker2 = make(non_fractionable=["SPY"])
    run_day(sim2, {"SPY": "0.02", "QQQ": "0.98"})  # $380 of a ~$672 share -> 0
    assert orders(broker2, "SPY") == []
    assert "rounds to zero" in executed()["SPY"]["execution_data"]["error_message"]
    (done,) = details("AllTradesCompleted")
    assert (done["failed_trades"], done["failed_symbols"], done["non_fractionable_skipped_symbols"]) == (
        1, [], ["SPY"])


def test_walk_the_book_steps_10_s_apart_then_a_market_order(make):
    # Orders become executable 25 s after submission: no 10 s limit step can fill, the market order can.
    sim, broker = make(execution_delay_s=25.0, spread_bps_by_symbol={"QQQ": 300.0})
    run_day(sim, {"QQQ": "1.0"})
    walk = orders(broker, "QQQ")
    assert [o.type for o in walk] == ["limit", "limit", "limit", "market"]
    gaps = [(b.created_at - a.created_at).total_seconds() for a, b in zip(walk, walk[1:])]
    assert all(10 <= g < 11 for g in gaps)  # 10 s per step, plus the cancel and re-place calls
    first = walk[0]
    assert [o.status for o in walk] == ["canceled", "canceled", "canceled", "filled"]
    assert [o.qty for o in walk] == [first.qty] * 4  # nothing filled, so the whole quantity each time
    limits = [D(str(o.limit_price)) for o in walk[:3]]
    assert limits[0] < limits[1] < limits[2]  # 75 %, 85 %, 95 % of the way across the spread
    assert (limits[2] - limits[0]) / (limits[1] - limits[0]) == pytest.approx(2, abs=0.1)  # one quote reused
    market = walk[3]
    assert 25 <= (market.filled_at - market.created_at).total_seconds() <= 30  # inside the 30 s market wait
    assert executed()["QQQ"]["success"] is True


def test_a_market_order_unfilled_after_30_s_fails_the_buy(make):
    sim, broker = make(execution_delay_s=45.0)
    run_day(sim, {"QQQ": "1.0"})
    market = orders(broker, "QQQ")[-1]
    assert market.type == "market" and market.status == "canceled"
    assert 30 <= (market.canceled_at - market.created_at).total_seconds() < 31
    result = executed()["QQQ"]
    assert result["success"] is False and "not filled within 30s" in result["execution_data"]["error_message"]


def test_a_sell_is_tried_three_times_5_s_apart_and_a_buy_once(make):
    sim, broker = make(positions={"UVXY": Holding(qty=10, avg_entry_price=30)},
                       rejections=[Rejection(symbol="UVXY", side="sell"), Rejection(symbol="SPY", side="buy")])
    run_day(sim, {"SPY": "0.5", "QQQ": "0.5"})
    attempts = orders(broker, "UVXY")
    assert len(attempts) == 3 and {o.status for o in attempts} == {"rejected"}
    gaps = [(b.created_at - a.created_at).total_seconds() for a, b in zip(attempts, attempts[1:])]
    assert all(5 <= g < 6 for g in gaps)
    assert len(orders(broker, "SPY")) == 1 and executed()["SPY"]["success"] is False


# -- item 22: market closed ------------------------------------------------------------------------

def test_market_closed_trades_are_skipped_successes_that_still_advance_the_phases(make):
    sim, broker = make(epoch="2026-01-12T17:30", positions=HOLDINGS)
    body, _ = run_day(sim)
    assert broker.book.orders == {}
    assert {s: (d["success"], d["execution_data"]["error_message"]) for s, d in executed().items()} == {
        s: (True, "Market closed - order placement skipped") for s in ("UVXY", "TLT", "SPY", "QQQ")}
    (done,) = details("AllTradesCompleted")  # the BUYs were released after the skipped SELLs
    assert (done["total_trades"], done["skipped_trades"], done["succeeded_trades"], done["failed_trades"]) == (
        4, 4, 0, 0)


# -- item 23 and item 18: redelivery, duplicates, the DLQ, concurrency -----------------------------

def test_a_failed_trade_is_redelivered_after_900_s_and_skipped_as_a_duplicate(make):
    sim, broker = make(rejections=[Rejection(symbol="SPY", side="buy")])
    body, result = run_day(sim, {"SPY": "0.5", "QQQ": "0.5"})
    assert len(orders(broker, "SPY")) == 1  # executed once, never retried
    (again,) = result.trace.where("sqs.visible-again")
    starts = [r["t"] for r in result.trace.where("invoke.start", EXECUTION)]
    assert again["t"] >= 900 and max(starts) == pytest.approx(again["t"], abs=1)
    redelivered = [r for r in result.trace.where("log", EXECUTION) if "Duplicate trade skipped" in r["line"]]
    assert len(redelivered) == 1
    meta = run_items(sim, body["run_id"])["METADATA"]
    assert (meta["completed_trades"], meta["failed_trades"]) == (2, 1)  # counted once
    assert queue_messages(sim, DLQ) == [] and len(details("AllTradesCompleted")) == 1


def test_a_resent_trade_is_not_executed_again(make):
    sim, broker = make()
    seed(sim, [message("SPY", "BUY", "1000", trade_id="b1")])
    sim.run(until=120)  # the trade is done well within SQS's 5-minute deduplication window
    sqs = sim.client("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    body = message("SPY", "BUY", "1000", trade_id="b1").to_sqs_message_body()
    # A copy with the same deduplication id (the trade id) inside 5 minutes is dropped by the queue...
    sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="SPY", MessageDeduplicationId="b1")
    assert len(sim.run(until=240).trace.where("invoke.start", EXECUTION)) == 1
    # ...and a copy under another id reaches Execution, which finds the trade COMPLETED and skips it.
    sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="SPY", MessageDeduplicationId="copy-of-b1")
    result = sim.run()
    assert len(result.trace.where("invoke.start", EXECUTION)) == 2
    assert len([o for o in orders(broker, "SPY") if o.status == "filled"]) == 1
    assert len(details("TradeExecuted")) == 1 and run_items(sim, "run-1")["METADATA"]["completed_trades"] == 1


def test_an_unreadable_message_reaches_the_dlq_after_three_receives(make):
    sim, _ = make()
    sqs = sim.client("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="{not a trade", MessageGroupId="X", MessageDeduplicationId="x")
    result = sim.run()
    assert len(result.trace.where("invoke.start", EXECUTION)) == 3
    assert [m["Body"] for m in queue_messages(sim, DLQ)] == ["{not a trade"]


def test_execution_runs_at_most_10_at_a_time(make):
    symbols = ["SPY", "QQQ", "TLT", "GLD", "IWM", "DIA", "EEM", "AGG", "BND", "IEF", "BIL", "GDX"]
    sim, _ = make(starting_cash=120_000)
    _, result = run_day(sim, {s: str(D(1) / 12) for s in symbols[:-1]} | {symbols[-1]: str(1 - D(11) / 12 * 1)})
    peak = peak_concurrency(result, EXECUTION)
    assert peak == 10 and len(details("TradeExecuted")) == 12


def test_trade_executed_carries_the_trade_and_its_run(make):
    sim, _ = make()
    seed(sim, [message("SPY", "BUY", "1000", trade_id="b1")])
    sim.run()
    (event,) = [e for e in CAPTURED if e["detail-type"] == "TradeExecuted"]
    detail = event["detail"]
    assert event["source"] == "alchemiser.execution" and detail["causation_id"] == "b1"
    assert detail["metadata"] == {"execution_mode": "per_trade", "run_id": "run-1", "trade_id": "b1",
                                  "sequence_number": 2002, "phase": "BUY"}
    assert (detail["success"], detail["orders_placed"], detail["orders_succeeded"]) == (True, 1, 1)
    data = detail["execution_data"]
    assert data["plan_id"] == "plan-1" and data["order_id"] and D(data["shares_executed"]) * D(data["price"]) > 990
    assert json.loads(run_items(sim, "run-1")["TRADE#b1"]["execution_data"])["order_type"] in ("limit", "market")


def test_the_same_seed_replays_the_same_day_byte_for_byte(make):
    digests = []
    for _ in range(2):
        sim, _ = make(positions=HOLDINGS)
        _, result = run_day(sim)
        digests.append(result.summary()["digest"])
    assert digests[0] == digests[1]
