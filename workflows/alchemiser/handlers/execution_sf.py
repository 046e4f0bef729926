"""Task handlers for the seed's B.2 Step Functions design of trade execution
(``workflows/asl/trade_execution.asl.json``; see workflows/asl/README.md).

Three entry points, each a thin wrapper over the logic the SQS path uses, so
the two variants differ only in orchestration:

* ``execute_trade``: one Map iteration = one TradeMessage. Same as the SQS
  consumer's per-record work (idempotency, clock, equity breaker, walk the
  book, counters, TradeExecuted) except that it never opens the BUY phase:
  the state machine does. Returns the trade result; a failed trade is a
  result with ``success: false``, not a Task failure, so one failed trade does
  not fail the Map (as one failed SQS message does not stop the others).
* ``check_sell_results``: the diagram's "Check SELL Results (circuit breaker)":
  the $500 SELL guard and the SELL_PHASE -> BUY_PHASE transition, from the
  run's DynamoDB counters (the seed: "circuit breaker state must be passed
  externally (DynamoDB still needed)"). Returns ``{"blocked": bool, ...}``.
* ``aggregate``: "Aggregate & Publish": the trade aggregator's claim and
  AllTradesCompleted for the run.

Environment: as handlers/execution.py (no EXECUTION_FIFO_QUEUE_URL needed).
"""

from __future__ import annotations

import os
from typing import Any

import boto3

from workflows.alchemiser import phases, settings
from workflows.alchemiser.handlers.execution import wiring
from workflows.alchemiser.handlers.trade_aggregator import aggregate_run
from workflows.alchemiser.ids import IdSource
from workflows.alchemiser.runs import ExecutionRunService, Progress
from workflows.alchemiser.trade_execution import TradeExecutor
from workflows.alchemiser.trades import TradeMessage


def execute_trade(event: dict[str, Any], context: Any) -> dict[str, Any]:
    msg = TradeMessage.model_validate(event.get("trade", event))
    return TradeExecutor(wiring(context, sqs_release=False)).execute(msg).as_dict()


def check_sell_results(event: dict[str, Any], context: Any) -> dict[str, Any]:
    run_id = event["run_id"]
    runs = _runs()
    run = runs.get_run(run_id)
    if run is None:
        raise ValueError(f"run {run_id} not found")
    progress = Progress(run)
    if progress.buy_total == 0:  # as in the SQS path, the guard is only evaluated when there are BUYs
        return {"run_id": run_id, "blocked": False, "outcome": "no_buys",
                "sell_failed_amount": str(progress.sell_failed_amount),
                "sell_succeeded_amount": str(progress.sell_succeeded_amount),
                "failure_threshold": str(phases.SELL_FAILURE_THRESHOLD_USD)}
    outcome = phases.open_buy_phase(
        runs, run_id, progress, correlation_id=event.get("correlation_id") or run["correlation_id"],
        release=lambda: runs.mark_buy_trades_pending(run_id, [t["trade_id"] for t in runs.get_pending_buy_trades(run_id)]),
        events=boto3.client("events"), bus=settings.bus_name(),
        event_id=f"workflow-failed-{IdSource(context).uuid('guard')}")
    return {"run_id": run_id, "blocked": outcome == "blocked", "outcome": outcome,
            "sell_failed_amount": str(progress.sell_failed_amount),
            "sell_succeeded_amount": str(progress.sell_succeeded_amount),
            "failure_threshold": str(phases.SELL_FAILURE_THRESHOLD_USD)}


def aggregate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return aggregate_run(_runs(), event["run_id"], context)["body"]


def _runs() -> ExecutionRunService:
    return ExecutionRunService(boto3.resource("dynamodb").Table(os.environ["EXECUTION_RUNS_TABLE_NAME"]))
