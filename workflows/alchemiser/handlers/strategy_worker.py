"""Strategy Worker (reference §2.2, §5.4; seed "dual-mode" worker): evaluate one .clj file.

Computation: bars from the market data bucket (real S3 layout) through
``S3BarSource``, with the real adapter's sync refresh on a cache miss (a
synchronous Data Lambda invoke, then a fresh read: see
:mod:`workflows.alchemiser.sync_refresh`); the DSL engine evaluates the file as of today (New York date:
a run at day D sees bars dated before D); the normalized weights must pass
``StrategyAllocation``; each is scaled by the file's allocation (Decimal) and
zeros are dropped; nothing left -> "No signals generated".

Two modes, one computation:

* **legacy** (the orchestrator's payload, ``mode: "single_strategy"``): publish
  PartialSignalGenerated. Any failure publishes WorkflowFailed and returns a 500
  body without raising, so Lambda never retries it and the session never
  completes (the day has no signal). Missing session_id or dsl_file: 400, nothing
  published.
* **Step Functions** (``session_id`` is an execution ARN, as the seed's Map passes
  ``$$.Execution.Id``, or ``mode: "step_functions"``): return the result for the Map
  state and publish nothing. A failure raises (Error = the exception's type), so
  the state machine's Retry/Catch decide and its PublishWorkflowFailed reports it.

Env: MARKET_DATA_BUCKET (required), STRATEGY__DIRECTORY (the .clj folder),
EVENT_BUS_NAME (legacy mode), DATA_FUNCTION_NAME and SYNC_REFRESH_TIMEOUT_SECONDS
(sync refresh).
"""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import boto3

from workflows.alchemiser import settings
from workflows.alchemiser.common import log, new_uuid, now_utc, publish_workflow_failed
from workflows.alchemiser.events import PartialSignalGenerated, publish
from workflows.alchemiser.merging import strategy_id
from workflows.alchemiser.schemas import ConsolidatedPortfolio, StrategyAllocation
from workflows.alchemiser.strategy_config import strategy_directory, strategy_path
from workflows.alchemiser.sync_refresh import SyncRefreshSource
from workflows.dsl import IndicatorCache, StrategyResult, evaluate_file
from workflows.dsl.data import UnknownSymbolError
from workflows.marketdata.s3_layout import S3BarSource

NEW_YORK = ZoneInfo("America/New_York")
MAX_STALE_DAYS = 3
STEP_FUNCTIONS = "step_functions"
LEGACY = "legacy"


class NoSignalsError(ValueError):
    """Every scaled weight was zero."""


def invocation_mode(event: dict[str, Any]) -> str:
    if event.get("mode") == STEP_FUNCTIONS or str(event.get("session_id", "")).startswith("arn:aws:states:"):
        return STEP_FUNCTIONS
    return LEGACY


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if invocation_mode(event) == STEP_FUNCTIONS:
        return _step_functions(event, context)
    return _legacy(event, context)


def _step_functions(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for name in ("session_id", "dsl_file", "allocation"):
        if event.get(name) in (None, ""):
            raise ValueError(f"Step Functions worker input lacks {name!r}")
    signal = generate_signal(event, today_new_york())
    return {"dsl_file": event["dsl_file"], "allocation": str(signal["allocation"]),
            "consolidated_portfolio": signal["consolidated_portfolio"], "signals_data": signal["signals_data"],
            "signal_count": signal["signal_count"], "data_freshness": signal["data_freshness"], "success": True}


def _legacy(event: dict[str, Any], context: Any) -> dict[str, Any]:
    session_id, dsl_file = event.get("session_id"), event.get("dsl_file")
    correlation_id = event.get("correlation_id") or session_id
    if not session_id or not dsl_file:
        return {"statusCode": 400, "body": {"status": "error", "error": "session_id and dsl_file are required"}}
    events, bus = boto3.client("events"), settings.bus_name()
    try:
        signal = generate_signal(event, today_new_york())
        partial = PartialSignalGenerated(
            correlation_id=correlation_id, causation_id=session_id,
            event_id=f"partial-signal-{new_uuid(context, 'partial-signal')}", timestamp=now_utc(),
            source_module="strategy_v2", source_component="StrategyWorker", metadata={"single_file_mode": True},
            session_id=session_id, dsl_file=dsl_file, allocation=signal["allocation"],
            strategy_number=int(event.get("strategy_number", 1)), total_strategies=int(event.get("total_strategies", 1)),
            signals_data=signal["signals_data"], consolidated_portfolio=signal["consolidated_portfolio"],
            signal_count=signal["signal_count"], data_freshness=signal["data_freshness"])
        publish(events, partial, bus)
        log("Partial signal published", session_id=session_id, dsl_file=dsl_file, signal_count=partial.signal_count)
        return {"statusCode": 200, "body": {"status": "published", "session_id": session_id, "dsl_file": dsl_file,
                                            "signal_count": partial.signal_count}}
    except Exception as exc:  # noqa: BLE001 - the real worker reports and returns 500, never raises
        log("Strategy worker failed", session_id=session_id, dsl_file=dsl_file, error=str(exc))
        publish_workflow_failed(events, bus, context, correlation_id=correlation_id, causation_id=session_id,
                                source_module="strategy_v2", source_component="StrategyWorker",
                                workflow_type="signal_generation", failure_step="signal_generation", error=exc,
                                error_details={"dsl_file": dsl_file, "session_id": session_id})
        return {"statusCode": 500, "body": {"status": "error", "session_id": session_id, "dsl_file": dsl_file,
                                            "error": str(exc)}}


def today_new_york() -> date:
    return now_utc().astimezone(NEW_YORK).date()


def bucket_source() -> S3BarSource:
    bucket = os.environ.get("MARKET_DATA_BUCKET")
    if not bucket:
        raise ValueError("MARKET_DATA_BUCKET environment variable is required")
    return S3BarSource(boto3.client("s3"), bucket)


def generate_signal(event: dict[str, Any], as_of: date) -> dict[str, Any]:
    """Evaluate the file and build the partial: allocation, consolidated_portfolio (JSON form),
    signals_data, signal_count and data_freshness."""
    dsl_file = event["dsl_file"]
    allocation = Decimal(str(event["allocation"]))
    correlation_id = event.get("correlation_id") or event["session_id"]
    source = SyncRefreshSource(bucket_source())
    result = evaluate_file(strategy_path(strategy_directory(), dsl_file), IndicatorCache(source), as_of)
    StrategyAllocation(target_weights=result.weights, correlation_id=correlation_id[:100])
    scaled = result.scaled(allocation)
    if not scaled:
        raise NoSignalsError(f"No signals generated for {dsl_file} (allocation {allocation})")
    portfolio = ConsolidatedPortfolio(
        target_allocations=scaled, strategy_contributions={strategy_id(dsl_file): scaled},
        correlation_id=correlation_id[:100], timestamp=now_utc(), strategy_count=1, source_strategies=[dsl_file],
        is_partial=True)
    return {"allocation": allocation, "consolidated_portfolio": portfolio.to_json_dict(),
            "signals_data": signals_data(dsl_file, result, scaled, allocation), "signal_count": len(scaled),
            "data_freshness": data_freshness(source, sorted(scaled), now_utc())}


def signals_data(dsl_file: str, result: StrategyResult, scaled: dict[str, Decimal],
                 allocation: Decimal) -> dict[str, Any]:
    """The per-strategy block the real worker publishes; ``reasoning`` is the if-decision path."""
    stem = strategy_id(dsl_file)
    # the file's name, not this machine's path, as the real decision_path carries no path
    decisions = [{**entry, "file": dsl_file} for entry in result.trace_json() if entry.get("kind") == "if"]
    return {stem: {
        "symbols": list(scaled), "action": "REBALANCE", "reasoning": decisions or f"DSL strategy {stem}",
        "total_allocation": float(sum(scaled.values(), Decimal(0))),
        "raw_allocations": {s: float(w) for s, w in result.weights.items() if w > 0},
        "file_weight": float(allocation)}}


def data_freshness(source: S3BarSource | SyncRefreshSource, symbols: list[str], now: datetime) -> dict[str, Any]:
    """§5.4: over the final allocation's symbols only; stale if no metadata or last bar > 3 days old.
    Informational: nothing gates on it."""
    try:
        stale, dates = [], []
        for symbol in symbols:
            try:
                last = date.fromisoformat(source.metadata(symbol)["last_bar_date"])
            except (UnknownSymbolError, KeyError, ValueError):
                stale.append(symbol)
                continue
            dates.append(last)
            if (now - datetime(last.year, last.month, last.day, tzinfo=timezone.utc)).days > MAX_STALE_DAYS:
                stale.append(symbol)
        oldest = min(dates) if dates else None
        oldest_dt = datetime(oldest.year, oldest.month, oldest.day, tzinfo=timezone.utc) if oldest else None
        return {"latest_timestamp": oldest_dt.isoformat() if oldest_dt else None,
                "age_days": (now - oldest_dt).days if oldest_dt else None,
                "gate_status": "FAIL" if stale else "PASS", "symbols_checked": list(symbols), "stale_symbols": stale}
    except Exception as exc:  # noqa: BLE001 - freshness is informational; the real one says UNKNOWN
        return {"latest_timestamp": None, "age_days": None, "gate_status": "UNKNOWN", "error": str(exc)}
