"""Portfolio Lambda: SignalGenerated -> rebalance plan -> execution run (reference §3.1, §3.2).

1. Rebuild SignalGenerated from the EventBridge detail. Like the real handler,
   it does not carry ``data_freshness`` on (everything downstream gets {}).
2. Snapshot the Alpaca account: positions by ``qty_available``, latest-quote
   mids for every target and held symbol, cash (equity <= 0: liquidate first).
3. ``planner.build_plan``; persist the plan (90-day ``ttl``; failure only logged).
4. Trades required: one TradeMessage per BUY/SELL, a new run in
   ExecutionRunsTable, SELLs enqueued now and BUYs WAITING (all BUYs at once
   when there is no SELL). With EXECUTION_STATE_MACHINE_ARN set (the B.2
   variant) the run is handed to the state machine instead of the queue.
5. RebalancePlanned, with or without trades; no trades -> no run, nothing else.

No cross-invocation idempotency (§10 item 30): a second SignalGenerated, or a
Lambda retry, plans and runs again with fresh ids.

Environment: EVENT_BUS_NAME, ALPACA__KEY/SECRET/ENDPOINT, ALPACA__EQUITY_DEPLOYMENT_PCT
(default 1.0), EXECUTION_RUNS_TABLE_NAME, EXECUTION_FIFO_QUEUE_URL, REBALANCE_PLAN__TABLE_NAME
(optional), EXECUTION_STATE_MACHINE_ARN (optional).
"""

from __future__ import annotations

import json
import os
import time
from decimal import Decimal
from typing import Any

import boto3

from workflows.alchemiser import alpaca_clients, dispatch, settings
from workflows.alchemiser.common import log, now_utc
from workflows.alchemiser.events import RebalancePlanned, SignalGenerated, WorkflowFailed, from_detail, publish
from workflows.alchemiser.ids import IdSource
from workflows.alchemiser.planner import PlanRequest, Snapshot, build_plan, effective_deployment_pct
from workflows.alchemiser.runs import ExecutionRunService
from workflows.alchemiser.schemas import ConsolidatedPortfolio
from workflows.alchemiser.trades import RebalancePlan, decompose

SOURCE_MODULE = "portfolio_v2.handlers"
PLAN_TTL_SECONDS = 90 * 24 * 3600
LIQUIDATION_WAIT_S, LIQUIDATION_POLL_S = 30.0, 2.0


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ids, events, bus = IdSource(context), boto3.client("events"), settings.bus_name()
    detail = event.get("detail") or {}
    try:
        signal = from_detail("SignalGenerated", detail)
        body = rebalance(signal, ids, events, bus)
        return {"statusCode": 200, "body": body}
    except Exception as exc:  # the real handler reports and returns 500 instead of raising
        log("Portfolio analysis failed", error=f"{type(exc).__name__}: {exc}")
        _publish_failure(events, bus, ids, detail, exc)
        return {"statusCode": 500, "body": {"status": "error", "error": str(exc)}}


def rebalance(signal: SignalGenerated, ids: IdSource, events: Any, bus: str) -> dict[str, Any]:
    portfolio = ConsolidatedPortfolio.from_json_dict(signal.consolidated_portfolio)
    trading, data = alpaca_clients.trading_client(), alpaca_clients.data_client()
    account = trading.get_account()
    if Decimal(str(account.equity or 0)) <= 0:
        account = _liquidate_all(trading)
    snapshot = read_snapshot(trading, data, account, list(portfolio.target_allocations))
    pct = Decimal(settings.deployment_pct())
    plan = build_plan(snapshot, PlanRequest(
        target_weights=portfolio.target_allocations, correlation_id=signal.correlation_id,
        causation_id=signal.event_id, timestamp=now_utc(), deployment_pct=pct,
        contributions=portfolio.strategy_contributions))
    _persist_plan(plan)
    run = _start_run(plan, ids, signal, snapshot, pct) if plan.trades else {}
    publish(events, RebalancePlanned(
        correlation_id=signal.correlation_id, causation_id=signal.event_id,
        event_id=f"rebalance-planned-{ids.uuid('rebalance-planned')}", timestamp=now_utc(),
        source_module=SOURCE_MODULE, source_component="PortfolioAnalysisHandler",
        rebalance_plan=plan.model_dump(mode="json"), allocation_comparison=allocation_comparison(portfolio, snapshot),
        trades_required=bool(plan.trades), metadata={"strategy_names": strategy_names(signal), **run}), bus)
    return {"status": "planned", "plan_id": plan.plan_id, "trades": len(plan.trades), **run}


def read_snapshot(trading: Any, data: Any, account: Any, targets: list[str]) -> Snapshot:
    positions = {}
    for p in trading.get_all_positions():
        qty = Decimal(str(p.qty_available if p.qty_available is not None else p.qty))
        if qty != 0:
            positions[p.symbol] = qty
    symbols = sorted(set(targets) | set(positions))
    return Snapshot(positions=positions, prices=alpaca_clients.latest_mids(data, symbols),
                    cash=Decimal(str(account.cash or 0)), equity=Decimal(str(account.equity or 0)),
                    buying_power=Decimal(str(account.buying_power)) if account.buying_power else None)


def _liquidate_all(trading: Any) -> Any:
    """Equity <= 0: close every position and wait (up to 30 s, every 2 s) for them to settle."""
    log("Account equity is not positive; liquidating all positions")
    trading.close_all_positions(cancel_orders=True)
    waited = 0.0
    while trading.get_all_positions() and waited < LIQUIDATION_WAIT_S:
        time.sleep(LIQUIDATION_POLL_S)
        waited += LIQUIDATION_POLL_S
    return trading.get_account()


def _start_run(plan: RebalancePlan, ids: IdSource, signal: SignalGenerated, snapshot: Snapshot,
               pct: Decimal) -> dict[str, Any]:
    run_id = ids.uuid("run")
    run_timestamp = now_utc()
    messages = decompose(plan, run_id=run_id, trade_ids=[ids.uuid("trade") for _ in plan.trades],
                         run_timestamp=run_timestamp)
    equity = snapshot.equity if snapshot.equity else plan.total_portfolio_value
    fields = {"max_equity_limit_usd": equity * effective_deployment_pct(pct), "run_timestamp": run_timestamp,
              "data_freshness": {}, "rebalance_plan_summary": plan.summary(),
              "strategies_evaluated": int((signal.metadata or {}).get("strategies_aggregated", 0) or 0)}
    runs = ExecutionRunService(boto3.resource("dynamodb").Table(os.environ["EXECUTION_RUNS_TABLE_NAME"]))
    machine = os.environ.get("EXECUTION_STATE_MACHINE_ARN")
    if machine:
        arn = dispatch.start_run_state_machine(runs, boto3.client("stepfunctions"), machine, messages, **fields)
        return {"run_id": run_id, "execution_arn": arn, "trade_count": len(messages)}
    sent = dispatch.start_run(runs, boto3.client("sqs"), os.environ["EXECUTION_FIFO_QUEUE_URL"], messages, **fields)
    return {"run_id": run_id, "trade_count": len(messages), "enqueued": len(sent)}


def _persist_plan(plan: RebalancePlan) -> None:
    name = os.environ.get("REBALANCE_PLAN__TABLE_NAME")
    if not name:
        return
    try:
        boto3.resource("dynamodb").Table(name).put_item(Item={
            "PK": f"PLAN#{plan.plan_id}", "SK": "METADATA", "GSI1PK": f"CORR#{plan.correlation_id}",
            "GSI1SK": f"PLAN#{plan.timestamp.isoformat()}", "plan_id": plan.plan_id,
            "correlation_id": plan.correlation_id, "plan": json.dumps(plan.model_dump(mode="json")),
            "ttl": int(time.time()) + PLAN_TTL_SECONDS})
    except Exception as exc:  # auditing only: the real handler logs and carries on
        log("Failed to persist rebalance plan", plan_id=plan.plan_id, error=str(exc))


def allocation_comparison(portfolio: ConsolidatedPortfolio, snapshot: Snapshot) -> dict[str, Any]:
    """As the real AllocationComparison: current in percent of equity, targets as 0-1 fractions
    (the units disagree; nothing downstream uses the deltas for planning)."""
    equity = snapshot.equity or Decimal(0)
    current = {s: str(snapshot.value_of(s) / equity * 100) if equity else "0" for s in sorted(snapshot.positions)}
    target = {s: str(w) for s, w in sorted(portfolio.target_allocations.items())}
    return {"target_values": target, "current_values": current,
            "deltas": {s: str(Decimal(target.get(s, "0")) - Decimal(current.get(s, "0")))
                       for s in sorted(set(target) | set(current))}}


def strategy_names(signal: SignalGenerated) -> list[str]:
    data = signal.signals_data or {}
    names = list(data.get("strategy_allocations") or {}) if "strategy_allocations" in data else list(data)
    return names or ["unknown"]


def _publish_failure(events: Any, bus: str, ids: IdSource, detail: dict[str, Any], exc: Exception) -> None:
    try:
        publish(events, WorkflowFailed(
            correlation_id=detail.get("correlation_id") or "unknown", causation_id=detail.get("event_id") or "unknown",
            event_id=f"workflow-failed-{ids.uuid('workflow-failed')}", timestamp=now_utc(),
            source_module=SOURCE_MODULE, source_component="PortfolioAnalysisHandler",
            workflow_type="portfolio_analysis", failure_reason=str(exc) or type(exc).__name__,
            failure_step="portfolio_analysis", error_details={"exception_type": type(exc).__name__}), bus)
    except Exception as publish_error:  # the failure report must not hide the original error
        log("Failed to publish WorkflowFailed", error=str(publish_error))
