"""Portfolio Lambda (reference §3.1-3.2; §10 items 14-18 and 30) against the simulated Alpaca.

The queue has no consumer here (``consume=False``), so what Portfolio enqueued stays on it
to be read. The account: $20 000 cash, 100 UVXY and 50 TLT, at 15:45 ET on 2026-01-12.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal as D
from types import SimpleNamespace as NS

import pytest

from tests.unit.alchemiser.trade_helpers import (CAPTURED, PLANS, PORTFOLIO, QUEUE, captured, invoke, mount_broker,
                                                 plain, run_items, signal_event, trade_stack)
from workflows.alchemiser.broker import Holding
from workflows.alchemiser.handlers.portfolio import read_snapshot
from workflows.alchemiser.trades import TradeMessage

HOLDINGS = {"UVXY": Holding(qty=100, avg_entry_price=30), "TLT": Holding(qty=50, avg_entry_price=85)}
TARGET = {"SPY": "0.5", "QQQ": "0.3", "TLT": "0.2"}  # UVXY is held but not targeted: a full exit


@pytest.fixture
def sim(simulate):
    CAPTURED.clear()
    return simulate(trade_stack(consume=False), seed=2, epoch="2026-01-12T15:45")


@pytest.fixture
def broker(sim):
    return mount_broker(sim, starting_cash=20_000, positions=HOLDINGS)


def queued(sim) -> list[dict]:
    """Everything on the execution queue (received once each, so they become invisible)."""
    sqs = sim.client("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    out = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                  MessageAttributeNames=["All"]).get("Messages", [])
        if not got:
            return out
        out.extend(got)


def published(sim, detail_type: str) -> list[dict]:
    sim.run()  # deliver what is on the bus to the capture function
    return captured(detail_type)


def plan_items(event) -> dict[str, dict]:
    return {i["symbol"]: i for i in event["detail"]["rebalance_plan"]["items"]}


def test_snapshot_uses_qty_available_and_quote_mids():
    trading = NS(get_all_positions=lambda: [NS(symbol="SPY", qty="10", qty_available="7"),
                                            NS(symbol="TLT", qty="3", qty_available=None)])
    quotes = {"SPY": NS(bid_price=99.0, ask_price=101.0), "TLT": NS(bid_price=80.0, ask_price=80.5),
              "QQQ": NS(bid_price=500.0, ask_price=500.2)}
    data = NS(get_stock_latest_quote=lambda req: {s: quotes[s] for s in req.symbol_or_symbols})
    snap = read_snapshot(trading, data, NS(cash="100", equity="1000", buying_power="100"), ["QQQ"])
    assert snap.positions == {"SPY": D("7"), "TLT": D("3")}  # qty_available, else qty
    assert snap.prices == {"QQQ": D("500.1"), "SPY": D("100.0"), "TLT": D("80.25")}
    assert snap.total_value == 7 * D("100.0") + 3 * D("80.25") + 100


def test_sells_are_enqueued_at_once_and_buys_wait_in_the_run_table(sim, broker):
    body = invoke(sim, PORTFOLIO, signal_event(TARGET))["body"]
    run = run_items(sim, body["run_id"])
    meta = run.pop("METADATA")
    trades = {i["symbol"]: i for i in run.values()}
    assert {s: (t["action"], t["status"]) for s, t in trades.items()} == {
        "UVXY": ("SELL", "PENDING"), "SPY": ("BUY", "WAITING"), "QQQ": ("BUY", "WAITING"),
        "TLT": ("BUY", "WAITING")}
    assert (meta["status"], meta["current_phase"], meta["sell_total"], meta["buy_total"]) == ("SELL_PHASE", "SELL",
                                                                                            1, 3)
    messages = queued(sim)
    assert [json.loads(m["Body"])["symbol"] for m in messages] == ["UVXY"]
    assert body["enqueued"] == 1 and body["trade_count"] == 4


def test_fifo_messages_group_by_symbol_dedup_by_trade_id_and_carry_run_attributes(sim, broker):
    body = invoke(sim, PORTFOLIO, signal_event(TARGET))["body"]
    (message,) = queued(sim)
    trade = TradeMessage.from_sqs_message_body(message["Body"])
    assert message["Attributes"]["MessageGroupId"] == "UVXY"
    assert message["Attributes"]["MessageDeduplicationId"] == trade.trade_id
    assert {k: v["StringValue"] for k, v in message["MessageAttributes"].items()} == {
        "RunId": body["run_id"], "TradeId": trade.trade_id, "Phase": "SELL"}
    assert trade.is_full_liquidation and trade.sequence_number == 1000 + trade.priority
    assert trade.causation_id == "signal-generated-1" and trade.correlation_id == "corr-1"


def test_run_metadata_ttl_equity_limit_and_dropped_data_freshness(sim, broker):
    body = invoke(sim, PORTFOLIO, signal_event(TARGET))["body"]
    meta = run_items(sim, body["run_id"])["METADATA"]
    created = datetime.fromisoformat(meta["created_at"]).timestamp()
    assert meta["TTL"] == int(created) + 24 * 3600
    planned = published(sim, "RebalancePlanned")[0]["detail"]["rebalance_plan"]
    equity = D(str(round(broker.account.equity(broker.market, sim.clock.epoch), 2)))
    # limit = Alpaca equity x deployment pct (1.0): Alpaca's marks, close to (not equal to) the mid value
    assert meta["max_equity_limit_usd"] == pytest.approx(equity, abs=D("5"))
    assert meta["max_equity_limit_usd"] == pytest.approx(D(planned["total_portfolio_value"]), abs=D("50"))
    assert json.loads(meta["data_freshness"]) == {}  # Portfolio does not carry data_freshness on
    assert meta["strategies_evaluated"] == 1
    assert [s["symbol"] for s in json.loads(meta["rebalance_plan_summary"])] == ["UVXY", "SPY", "QQQ", "TLT"]


def test_rebalance_planned_is_published_and_the_plan_persisted_for_90_days(sim, broker):
    invoke(sim, PORTFOLIO, signal_event(TARGET))
    (event,) = published(sim, "RebalancePlanned")
    detail = event["detail"]
    assert event["source"] == "alchemiser.portfolio" and detail["trades_required"] is True
    assert detail["causation_id"] == "signal-generated-1" and detail["data_freshness"] == {}
    items = plan_items(event)
    assert items["UVXY"]["action"] == "SELL" and D(items["UVXY"]["target_value"]) == 0
    total = D(detail["rebalance_plan"]["total_portfolio_value"])
    assert D(items["SPY"]["target_value"]) == D("0.5") * total  # weight x value x 1.0
    stored = plain(sim.client("dynamodb").scan(TableName=PLANS)["Items"][0])
    assert stored["PK"] == f"PLAN#{detail['rebalance_plan']['plan_id']}" and stored["GSI1PK"] == "CORR#corr-1"
    assert stored["ttl"] - int(sim.clock.epoch.timestamp()) == pytest.approx(90 * 86400, abs=5)


def test_without_sells_the_buys_are_enqueued_at_once(sim):
    mount_broker(sim, starting_cash=20_000)
    body = invoke(sim, PORTFOLIO, signal_event({"SPY": "0.6", "QQQ": "0.4"}))["body"]
    meta = run_items(sim, body["run_id"])
    assert (meta["METADATA"]["status"], meta["METADATA"]["current_phase"]) == ("BUY_PHASE", "BUY")
    assert {i["status"] for k, i in meta.items() if k != "METADATA"} == {"PENDING"}
    assert sorted(json.loads(m["Body"])["symbol"] for m in queued(sim)) == ["QQQ", "SPY"]


def test_a_no_trade_day_publishes_rebalance_planned_only(sim):
    mount_broker(sim, starting_cash=0, positions={"SPY": Holding(qty=10, avg_entry_price=600)})
    body = invoke(sim, PORTFOLIO, signal_event({"SPY": "1.0"}))["body"]
    assert body == {"status": "planned", "plan_id": body["plan_id"], "trades": 0}
    (event,) = published(sim, "RebalancePlanned")
    assert event["detail"]["trades_required"] is False
    assert {i["action"] for i in plan_items(event).values()} == {"HOLD"}
    assert sim.client("dynamodb").scan(TableName="alchemiser-dev-execution-runs")["Items"] == []
    assert queued(sim) == [] and [e["detail-type"] for e in CAPTURED] == ["RebalancePlanned"]


def test_a_capital_shortfall_aborts_the_run_with_workflow_failed(sim, broker):
    reply = invoke(sim, PORTFOLIO, signal_event({"SPY": "0.5", "QQQ": "0.3", "TLT": "0.205"}))
    assert reply["statusCode"] == 500 and "Insufficient capital" in reply["body"]["error"]
    (failed,) = published(sim, "WorkflowFailed")
    assert failed["source"] == "alchemiser.portfolio"
    assert failed["detail"]["workflow_type"] == "portfolio_analysis"
    assert published(sim, "RebalancePlanned") == [] and queued(sim) == []
    assert sim.client("dynamodb").scan(TableName="alchemiser-dev-execution-runs")["Items"] == []


def test_the_deployment_pct_scales_targets_and_the_equity_limit(simulate):
    sim = simulate(trade_stack(consume=False, env={"ALPACA__EQUITY_DEPLOYMENT_PCT": "0.5"}), seed=2,
                   epoch="2026-01-12T15:45")
    mount_broker(sim, starting_cash=20_000)
    body = invoke(sim, PORTFOLIO, signal_event({"SPY": "1.0"}))["body"]
    meta = run_items(sim, body["run_id"])["METADATA"]
    assert meta["max_equity_limit_usd"] == D("10000.0")
    (event,) = published(sim, "RebalancePlanned")
    assert D(plan_items(event)["SPY"]["trade_amount"]) == D("10000.0")


def test_no_cross_invocation_idempotency_a_repeated_signal_makes_a_second_run(sim, broker):
    first = invoke(sim, PORTFOLIO, signal_event(TARGET))["body"]
    second = invoke(sim, PORTFOLIO, signal_event(TARGET))["body"]
    assert first["run_id"] != second["run_id"]
    messages = [TradeMessage.from_sqs_message_body(m["Body"]) for m in queued(sim)]
    assert [m.symbol for m in messages] == ["UVXY", "UVXY"]
    assert len({m.trade_id for m in messages}) == 2  # fresh trade ids: FIFO dedup cannot catch the repeat
