"""RebalancePlan -> TradeMessages (reference §3.2) and their wire format."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal as D

import pytest
import time_machine

from workflows.alchemiser.ids import IdSource
from workflows.alchemiser.planner import PlanRequest, Snapshot, build_plan
from workflows.alchemiser.trades import TradeMessage, decompose

NOW = datetime(2026, 1, 12, 20, 45, tzinfo=timezone.utc)


def plan():
    snapshot = Snapshot(positions={"UVXY": D("20"), "SPY": D("10")},
                        prices={"UVXY": D("25"), "SPY": D("100"), "TLT": D("90")}, cash=D("500"))
    return build_plan(snapshot, PlanRequest(target_weights={"SPY": D("0.5"), "TLT": D("0.5")}, correlation_id="corr-1",
                                            causation_id="signal-9", timestamp=NOW))


def messages():
    p = plan()
    return decompose(p, run_id="run-1", trade_ids=[f"t{i}" for i in range(len(p.trades))], run_timestamp=NOW)


def test_one_message_per_buy_or_sell_sells_first():
    msgs = messages()  # value 2000: UVXY -500 (full exit), SPY 0, TLT +1000
    assert [(m.symbol, m.action, m.phase) for m in msgs] == [("UVXY", "SELL", "SELL"), ("TLT", "BUY", "BUY")]
    assert all(m.total_run_trades == 2 and m.run_id == "run-1" for m in msgs)


def test_sequence_numbers_put_sells_in_the_1000s_and_buys_in_the_2000s():
    sell, buy = messages()
    assert sell.sequence_number == 1000 + sell.priority == 1003
    assert buy.sequence_number == 2000 + buy.priority == 2002


def test_full_exit_flags():
    sell, buy = messages()
    assert sell.is_full_liquidation and sell.is_complete_exit and sell.target_weight == 0
    assert not buy.is_full_liquidation and not buy.is_complete_exit


def test_messages_carry_the_causation_chain_and_leave_shares_unset():
    sell, _ = messages()
    assert (sell.correlation_id, sell.causation_id, sell.plan_id) == ("corr-1", "signal-9", plan().plan_id)
    assert sell.shares is sell.estimated_price is sell.current_position is sell.target_position is None
    assert sell.strategy_id is None


def test_decimals_travel_as_strings_and_round_trip():
    sell, _ = messages()
    body = json.loads(sell.to_sqs_message_body())
    assert D(body["trade_amount"]) == -500 and isinstance(body["total_portfolio_value"], str)
    assert body["run_timestamp"] == "2026-01-12T20:45:00Z"
    assert TradeMessage.from_sqs_message_body(sell.to_sqs_message_body()) == sell


def test_plan_summary_gives_weights_in_percent():
    summary = plan().summary()
    # cash is left out of the weights: W = max(current 1500, target 2000)
    assert summary[0] == {"symbol": "UVXY", "action": "SELL", "current_weight_pct": "25",
                          "target_weight_pct": "0", "trade_amount": "-500"}


def test_decompose_needs_one_trade_id_per_trade():
    with pytest.raises(ValueError, match="2 trades need as many trade ids"):
        decompose(plan(), run_id="r", trade_ids=["only-one"], run_timestamp=NOW)


def test_ids_are_uuid_shaped_distinct_and_reproducible():
    class Ctx:
        aws_request_id = "req-1"
    with time_machine.travel(NOW, tick=False):
        a, b = IdSource(Ctx()), IdSource(Ctx())
    with time_machine.travel(NOW.replace(minute=46), tick=False):
        retried = IdSource(Ctx())  # an async retry keeps its request id, but not its start time
    first = [a.uuid("trade") for _ in range(3)]
    assert len(set(first)) == 3 and first[0][14] == "4"  # version 4 layout
    assert first == [b.uuid("trade") for _ in range(3)]  # same request id and instant -> same ids
    assert retried.uuid("trade") not in first  # a retried Portfolio run gets fresh ids, like uuid4
