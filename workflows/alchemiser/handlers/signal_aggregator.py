"""Signal Aggregator, legacy (reference §2.3): one invocation per PartialSignalGenerated.

1. Store the partial in the session (conditional put + atomic ADD); get the new count.
2. Count < total_strategies: return "waiting".
3. Otherwise (only the invocation whose ADD returned N, or a duplicate arriving
   later): status AGGREGATING (unconditional), read every partial, merge (Decimal
   sums, no renormalization, total within 1 +- ALLOCATION_TOLERANCE), publish
   SignalGenerated, status COMPLETED.

Holes reproduced on purpose: no guard on the AGGREGATING transition, so a
duplicate partial after completion re-aggregates and publishes a **second**
SignalGenerated; a worker that failed never stores its partial, so the session
stays short of N and the day has no signal (nothing enforces timeout_at).

Failures: WorkflowFailed (aggregator) and a 500 body, never a raise; the session
becomes FAILED if the failure happened while aggregating.
Env: AGGREGATION_TABLE_NAME (required), ALLOCATION_TOLERANCE (0.01), EVENT_BUS_NAME.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import boto3

from workflows.alchemiser import settings
from workflows.alchemiser.common import log, new_uuid, now_utc, publish_workflow_failed
from workflows.alchemiser.events import publish
from workflows.alchemiser.merging import signal_generated
from workflows.alchemiser.sessions import (
    STATUS_AGGREGATING, STATUS_COMPLETED, STATUS_FAILED, AggregationSessionService,
)


def tolerance() -> Decimal:
    return Decimal(os.environ.get("ALLOCATION_TOLERANCE", "0.01"))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    detail = event.get("detail", event)
    session_id = detail.get("session_id", "")
    correlation_id = detail.get("correlation_id") or session_id
    events, bus = boto3.client("events"), settings.bus_name()
    service: AggregationSessionService | None = None
    aggregating = False
    try:
        table = os.environ.get("AGGREGATION_TABLE_NAME")
        if not table:
            raise ValueError("AGGREGATION_TABLE_NAME environment variable is required")
        service = AggregationSessionService(table)
        completed = service.store_partial_signal(
            session_id, detail["dsl_file"], Decimal(str(detail["allocation"])),
            detail.get("consolidated_portfolio") or {}, detail.get("signals_data") or {},
            int(detail.get("signal_count", 0)), detail.get("data_freshness") or {})
        session = service.get_session(session_id)
        if session is None:
            raise ValueError(f"Aggregation session {session_id} not found")
        total = int(session["total_strategies"])
        if completed < total:
            log("Waiting for more partial signals", session_id=session_id, completed=completed, total=total)
            return {"statusCode": 200, "body": {"status": "waiting", "session_id": session_id,
                                                "completed_strategies": completed, "total_strategies": total}}
        aggregating = True
        return _aggregate(service, events, bus, context, session_id, correlation_id)
    except Exception as exc:  # noqa: BLE001 - the real handler reports every failure and returns 500
        log("Signal aggregation failed", session_id=session_id, error=str(exc))
        if aggregating and service is not None:
            _mark_failed(service, session_id)
        publish_workflow_failed(events, bus, context, correlation_id=correlation_id, causation_id=session_id or "unknown",
                                source_module="aggregator_v2", source_component="SignalAggregator",
                                workflow_type="signal_aggregation", failure_step="aggregation", error=exc,
                                error_details={"session_id": session_id})
        return {"statusCode": 500, "body": {"status": "error", "session_id": session_id, "error": str(exc)}}


def _aggregate(service: AggregationSessionService, events: Any, bus: str, context: Any, session_id: str,
               correlation_id: str) -> dict[str, Any]:
    service.update_session_status(session_id, STATUS_AGGREGATING)
    partials = service.get_all_partial_signals(session_id)
    signal = signal_generated(partials, correlation_id, session_id,
                              f"signal-generated-{new_uuid(context, 'signal-generated')}", now_utc(), tolerance(),
                              "SignalAggregator", {"aggregation_session_id": session_id,
                                                   "aggregation_mode": "multi_node"})
    publish(events, signal, bus)
    service.update_session_status(session_id, STATUS_COMPLETED)
    log("SignalGenerated published", session_id=session_id, strategies=len(partials),
        symbols=len(signal.consolidated_portfolio["target_allocations"]))
    return {"statusCode": 200, "body": {"status": "aggregated", "session_id": session_id,
                                        "event_id": signal.event_id, "strategies_aggregated": len(partials),
                                        "signal_count": signal.signal_count}}


def _mark_failed(service: AggregationSessionService, session_id: str) -> None:
    try:
        service.update_session_status(session_id, STATUS_FAILED)
    except Exception as exc:  # noqa: BLE001 - reporting the original failure matters more
        log("Could not mark session FAILED", session_id=session_id, error=str(exc))
