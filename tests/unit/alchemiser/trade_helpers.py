"""Shared pieces for the trade-side tests: resource names (as the real template, stage dev),
table/queue specs, TradeMessage factories, and readers of the run table."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from workflows.alchemiser.trades import TradeMessage

BUS = "alchemiser-dev-events"
RUNS = "alchemiser-dev-execution-runs"
PLANS = "alchemiser-dev-rebalance-plans"
LEDGER = "alchemiser-dev-trade-ledger"
QUEUE = "alchemiser-dev-execution.fifo"
DLQ = "alchemiser-dev-execution-dlq.fifo"
QUEUE_URL = "https://sqs.${Region}.amazonaws.com/${AccountId}/" + QUEUE
PORTFOLIO = "alchemiser-dev-portfolio"
EXECUTION = "alchemiser-dev-execution"
TRADE_AGGREGATOR = "alchemiser-dev-trade-aggregator"
HANDLERS = "workflows.alchemiser.handlers"
NOW = datetime(2026, 1, 12, 20, 45, tzinfo=timezone.utc)

_DESERIALIZE = TypeDeserializer()


def runs_table() -> dict:
    return {"name": RUNS, "hash_key": {"name": "PK"}, "range_key": {"name": "SK"}, "ttl_attribute": "TTL"}


def plans_table() -> dict:
    return {"name": PLANS, "hash_key": {"name": "PK"}, "range_key": {"name": "SK"}, "ttl_attribute": "ttl"}


def ledger_table() -> dict:
    return {"name": LEDGER, "hash_key": {"name": "PK"}, "range_key": {"name": "SK"}}


def queues() -> list[dict]:
    """ExecutionFifoQueue and its DLQ as template.yaml defines them (§1.3)."""
    return [{"name": QUEUE, "visibility_timeout_s": 900, "retention_s": 345600,
             "deduplication_scope": "messageGroup", "fifo_throughput_limit": "perMessageGroupId",
             "redrive": {"dead_letter_queue": DLQ, "max_receive_count": 3}},
            {"name": DLQ, "retention_s": 1209600}]


def message(symbol: str = "SPY", action: str = "SELL", amount: str = "-1000", *, run_id: str = "run-1",
            trade_id: str | None = None, priority: int = 2, full: bool = False, **kw: Any) -> TradeMessage:
    base = 1000 if action == "SELL" else 2000
    fields = dict(run_id=run_id, trade_id=trade_id or f"{action.lower()}-{symbol.lower()}", plan_id="plan-1",
                  correlation_id="corr-1", causation_id="signal-1", symbol=symbol, action=action,
                  trade_amount=Decimal(amount), current_weight=Decimal("0.5"),
                  target_weight=Decimal("0") if full else Decimal("0.4"), target_value=Decimal("0"),
                  current_value=Decimal("1000"), priority=priority, phase=action, sequence_number=base + priority,
                  is_complete_exit=full and action == "SELL", is_full_liquidation=full,
                  total_portfolio_value=Decimal("10000"), total_run_trades=1, run_timestamp=NOW)
    fields.update(kw)
    return TradeMessage(**fields)


def plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _DESERIALIZE.deserialize(v) for k, v in item.items()}


def run_items(sim, run_id: str) -> dict[str, dict[str, Any]]:
    """SK -> item (plain Python values) for every item of the run."""
    items = sim.client("dynamodb").query(
        TableName=RUNS, KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"RUN#{run_id}"}})["Items"]
    return {i["SK"]["S"]: plain(i) for i in items}


def invoke(sim, function: str, payload: Any) -> Any:
    reply = sim.client("lambda").invoke(FunctionName=function, Payload=json.dumps(payload, default=str).encode())
    body = reply["Payload"].read()
    assert "FunctionError" not in reply, body
    return json.loads(body)


# -- the trade-side stack ---------------------------------------------------------------------

ALPACA_ENV = {"ALPACA__KEY": "PKSIMULATED", "ALPACA__SECRET": "simulated-secret",
              "ALPACA__ENDPOINT": "https://paper-api.alpaca.markets/v2"}
COMMON_ENV = {"APP__STAGE": "dev", "EVENT_BUS_NAME": BUS, "ALPACA__EQUITY_DEPLOYMENT_PCT": "1.0", **ALPACA_ENV}
CAPTURED: list[dict[str, Any]] = []


def capture(event, context):
    CAPTURED.append(event)


def captured(detail_type: str | None = None) -> list[dict[str, Any]]:
    return [e for e in CAPTURED if detail_type is None or e["detail-type"] == detail_type]


def trade_stack(*, consume: bool = True, aggregate: bool = True, reserved: int = 10, extra_functions=(),
                env: dict[str, str] | None = None, **parts: Any):
    """Portfolio -> FIFO queue -> Execution (batch 1, ReportBatchItemFailures, reserved 10) ->
    TradeExecuted -> trade aggregator, plus a catch-all capture of every alchemiser.* event.
    ``consume=False`` leaves the queue without its event source mapping (messages stay put)."""
    from tests.unit.sim.conftest import fn, make_stack

    run_env = {**COMMON_ENV, "EXECUTION_RUNS_TABLE_NAME": RUNS, **(env or {})}
    functions = [
        fn(PORTFOLIO, f"{HANDLERS}.portfolio:handler", timeout_s=900, memory_mb=1024,
           environment={**run_env, "EXECUTION_FIFO_QUEUE_URL": QUEUE_URL, "REBALANCE_PLAN__TABLE_NAME": PLANS}),
        fn(EXECUTION, f"{HANDLERS}.execution:handler", timeout_s=600, memory_mb=1024, reserved_concurrency=reserved,
           environment={**run_env, "EXECUTION_FIFO_QUEUE_URL": QUEUE_URL, "TRADE_LEDGER__TABLE_NAME": LEDGER}),
        fn(TRADE_AGGREGATOR, f"{HANDLERS}.trade_aggregator:handler", timeout_s=60, environment=run_env),
        fn("capture", capture), *extra_functions]
    rules = [{"name": "capture-all", "bus": BUS, "event_pattern": {"source": [{"prefix": "alchemiser."}]},
              "targets": [{"arn": "function:capture"}]}]
    if aggregate:
        rules.append({"name": "trade-executed", "bus": BUS,
                      "event_pattern": {"source": ["alchemiser.execution"], "detail-type": ["TradeExecuted"]},
                      "targets": [{"arn": f"function:{TRADE_AGGREGATOR}"}]})
    mappings = [{"queue": QUEUE, "function": EXECUTION, "batch_size": 1, "report_batch_item_failures": True}]
    return make_stack("alchemiser-trade", functions=functions, buses=[BUS], rules=rules, queues=queues(),
                      event_source_mappings=mappings if consume else [],
                      tables=[runs_table(), plans_table(), ledger_table()], **parts)


def mount_broker(sim, **config: Any):
    """The simulated Alpaca on ``sim``, serving the bundled fixture bars."""
    from tests.unit.alchemiser.signal_helpers import MARKET
    from workflows.alchemiser.broker import Broker, BrokerConfig
    from workflows.marketdata.store import BarStore

    return Broker(BrokerConfig(**config), BarStore.open(MARKET)).mount(sim)


def signal_event(weights: dict[str, str], *, correlation_id: str = "corr-1", event_id: str = "signal-generated-1",
                 contributions: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """An EventBridge delivery of SignalGenerated, as the aggregator publishes it."""
    from workflows.alchemiser.events import SignalGenerated

    contributions = contributions or {"core": dict(weights)}
    portfolio = {"target_allocations": weights, "strategy_contributions": contributions,
                 "correlation_id": correlation_id, "timestamp": NOW.isoformat(), "strategy_count": len(contributions),
                 "source_strategies": [f"{s}.clj" for s in contributions], "schema_version": "1.0.0",
                 "constraints": None, "is_partial": False}
    signal = SignalGenerated(correlation_id=correlation_id, causation_id="session-1", event_id=event_id,
                             timestamp=NOW, source_module="aggregator_v2", source_component="SignalAggregator",
                             signals_data={s: {"aggregated": True} for s in contributions},
                             consolidated_portfolio=portfolio, signal_count=len(weights),
                             metadata={"strategies_aggregated": len(contributions)},
                             data_freshness={"gate_status": "PASS", "age_days": 1})
    return {"version": "0", "id": "evt-1", "detail-type": "SignalGenerated", "source": "alchemiser.strategy",
            "detail": signal.detail()}


SEEDER = "seed-run"


def seed_run(event, context):
    """Create a run and enqueue its first phase, as Portfolio would, from explicit messages
    (``{"messages": [...], "limit": "1500"}``): for scenarios a plan cannot produce directly."""
    import os

    import boto3

    from workflows.alchemiser import dispatch
    from workflows.alchemiser.runs import ExecutionRunService

    runs = ExecutionRunService(boto3.resource("dynamodb").Table(RUNS))
    msgs = [TradeMessage.model_validate(m) for m in event["messages"]]
    dispatch.start_run(runs, boto3.client("sqs"), os.environ["EXECUTION_FIFO_QUEUE_URL"], msgs,
                       max_equity_limit_usd=Decimal(event.get("limit", "0")), run_timestamp=NOW)
    return {"run_id": msgs[0].run_id}


def seeder():
    from tests.unit.sim.conftest import fn

    return fn(SEEDER, seed_run, timeout_s=60, environment={"EXECUTION_FIFO_QUEUE_URL": QUEUE_URL})


def seed(sim, messages: list[TradeMessage], limit: str = "0") -> dict:
    return invoke(sim, SEEDER, {"messages": [m.model_dump(mode="json") for m in messages], "limit": limit})


def details(detail_type: str) -> list[dict[str, Any]]:
    return [e["detail"] for e in captured(detail_type)]


def peak_concurrency(result, function: str) -> int:
    """The most invocations of ``function`` running at once, from the trace (an end at an
    instant counts before a start at the same instant)."""
    marks = sorted([(r["t"], 1) for r in result.trace.where("invoke.start", function)]
                   + [(r["t"], -1) for r in result.trace.where("invoke.end", function)])
    running = peak = 0
    for _, step in marks:
        running += step
        peak = max(peak, running)
    return peak
