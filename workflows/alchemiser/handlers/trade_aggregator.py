"""Trade aggregator Lambda: one AllTradesCompleted per finished run (reference §3.6, §10 item 24).

Triggered by every TradeExecuted (EventBridge). It does not count anything
(Execution's atomic ADD already did): it reads the run, waits until
completed == total, then claims the run with a conditional
``status IN (RUNNING, SELL_PHASE, BUY_PHASE) -> AGGREGATING``. Exactly one
invocation wins; the others answer "already_aggregating". A run that the SELL
guard or the equity breaker marked FAILED can never be claimed, so it never
produces AllTradesCompleted (only the WorkflowFailed email).

Environment: EXECUTION_RUNS_TABLE_NAME, EVENT_BUS_NAME, ALPACA__KEY/SECRET/ENDPOINT.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import boto3

from workflows.alchemiser import aggregation, alpaca_clients, settings
from workflows.alchemiser.common import log, now_utc
from workflows.alchemiser.events import AllTradesCompleted, WorkflowFailed, publish
from workflows.alchemiser.ids import IdSource
from workflows.alchemiser.runs import ExecutionRunService

SOURCE_MODULE = "trade_aggregator"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    detail = event.get("detail") or {}
    run_id = (detail.get("metadata") or {}).get("run_id")
    if not run_id:
        return {"statusCode": 200, "body": {"status": "skipped", "reason": "no run_id in TradeExecuted"}}
    runs = ExecutionRunService(boto3.resource("dynamodb").Table(os.environ["EXECUTION_RUNS_TABLE_NAME"]))
    return aggregate_run(runs, run_id, context)


def aggregate_run(runs: ExecutionRunService, run_id: str, context: Any) -> dict[str, Any]:
    run = runs.get_run(run_id)
    total = int(run.get("total_trades", 0)) if run else 0
    if total == 0:
        return _answer("run_not_found", run_id)
    completed = int(run.get("completed_trades", 0))
    if completed < total:
        return _answer("waiting", run_id, completed=completed, total=total)
    if not runs.claim_aggregation(run_id):
        return _answer("already_aggregating", run_id, run_status=run.get("status"))
    events, bus, ids = boto3.client("events"), settings.bus_name(), IdSource(context)
    try:
        event = build_event(run, runs.get_trades(run_id), ids)
        publish(events, event, bus)
        runs.mark_run_completed(run_id)
    except Exception as exc:
        log("Trade aggregation failed", run_id=run_id, error=str(exc))
        runs.mark_run_failed(run_id, f"aggregation failed: {exc}")
        _publish_failure(events, bus, ids, run, exc)
        return {"statusCode": 500, "body": {"status": "error", "run_id": run_id, "error": str(exc)}}
    return _answer("completed", run_id, event_id=event.event_id)


def build_event(run: dict[str, Any], trades: list[dict[str, Any]], ids: IdSource) -> AllTradesCompleted:
    summary = aggregation.summarize_trades(trades)
    snapshot, deployed = _portfolio_state()
    return AllTradesCompleted(
        correlation_id=run["correlation_id"], causation_id=run["run_id"],
        event_id=f"all-trades-completed-{ids.uuid('all-trades-completed')}", timestamp=now_utc(),
        source_module=SOURCE_MODULE, source_component="TradeAggregator", run_id=run["run_id"],
        plan_id=run["plan_id"], total_trades=int(run["total_trades"]),
        succeeded_trades=int(run.get("succeeded_trades", 0)), failed_trades=int(run.get("failed_trades", 0)),
        skipped_trades=int(run.get("skipped_trades", 0)),
        aggregated_execution_data={"orders_executed": summary["orders_executed"],
                                   "execution_summary": summary["execution_summary"]},
        capital_deployed_pct=deployed, failed_symbols=summary["failed_symbols"],
        non_fractionable_skipped_symbols=summary["non_fractionable_skipped_symbols"],
        started_at=run.get("created_at"), completed_at=now_utc().isoformat(), portfolio_snapshot=snapshot,
        data_freshness=aggregation.run_json(run, "data_freshness", {}), pnl_metrics=_pnl(),
        strategies_evaluated=int(run.get("strategies_evaluated", 0)),
        rebalance_plan_summary=aggregation.run_json(run, "rebalance_plan_summary", []))


def _portfolio_state() -> tuple[dict[str, Any], Decimal | None]:
    trading = alpaca_clients.trading_client()
    snapshot = aggregation.portfolio_snapshot(trading.get_account(), trading.get_all_positions())
    return snapshot, Decimal(snapshot["capital_deployed_pct"])


def _pnl() -> dict[str, Any]:
    """Monthly P&L from Alpaca's portfolio history; informational, so a failure leaves it empty."""
    try:
        from alpaca.trading.requests import GetPortfolioHistoryRequest

        history = alpaca_clients.trading_client().get_portfolio_history(
            GetPortfolioHistoryRequest(period="1M", timeframe="1D"))
        return {"monthly": aggregation.pnl_metrics(history)}
    except Exception as exc:
        log("P&L metrics unavailable", error=str(exc))
        return {}


def _publish_failure(events: Any, bus: str, ids: IdSource, run: dict[str, Any], exc: Exception) -> None:
    try:
        publish(events, WorkflowFailed(
            correlation_id=run.get("correlation_id") or "unknown", causation_id=run["run_id"],
            event_id=f"workflow-failed-{ids.uuid('workflow-failed')}", timestamp=now_utc(),
            source_module=SOURCE_MODULE, source_component="TradeAggregator", workflow_type="trade_aggregation",
            failure_reason=str(exc) or type(exc).__name__, failure_step="trade_aggregation",
            error_details={"run_id": run["run_id"], "exception_type": type(exc).__name__}), bus)
    except Exception as publish_error:  # the failure report must not hide the original error
        log("Failed to publish WorkflowFailed", error=str(publish_error))


def _answer(status: str, run_id: str, **extra: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": {"status": status, "run_id": run_id, **extra}}
