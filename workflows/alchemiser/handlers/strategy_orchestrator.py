"""Strategy Orchestrator (reference §2.1): open a session, fan out one async worker per file.

1. ``correlation_id`` from the event, else ``workflow-<uuid>``; session_id = correlation_id.
2. Strategy set from ``strategy_config`` (files + allocations), in file-list order.
3. Allocations must sum to 1 within rel_tol 0.01, checked **before** anything is created.
4. Session metadata item (PENDING, counter 0, timeout_at stored only).
5. A sequential loop of ``lambda.invoke(InvocationType="Event")``; an invoke error
   aborts the loop, and the workers already started keep running.

Env: AGGREGATION_TABLE_NAME, STRATEGY_FUNCTION_NAME (both required),
AGGREGATION_TIMEOUT_SECONDS (600), EVENT_BUS_NAME, the STRATEGY__* variables of
``strategy_config``. Any failure: WorkflowFailed (coordinator) and a 500 body.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any

import boto3

from workflows.alchemiser import settings
from workflows.alchemiser.common import log, new_uuid, publish_workflow_failed
from workflows.alchemiser.sessions import AggregationSessionService
from workflows.alchemiser.strategy_config import check_allocation_sum, load_strategy_config


def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    event = event or {}
    correlation_id = event.get("correlation_id") or f"workflow-{new_uuid(context, 'correlation')}"
    session_id = correlation_id
    try:
        table, function, timeout_s = _settings()
        configs = load_strategy_config().allocation_list()
        check_allocation_sum(configs)
        session = AggregationSessionService(table).create_session(session_id, correlation_id, configs, timeout_s)
        request_ids = invoke_all_strategies(function, session_id, correlation_id, configs)
        log("Strategies dispatched", correlation_id=correlation_id, scheduled_by=event.get("scheduled_by", "direct"),
            strategies=len(configs))
        return {"statusCode": 200, "body": {
            "status": "dispatched", "session_id": session_id, "correlation_id": correlation_id,
            "strategies_invoked": len(request_ids), "strategy_files": [f for f, _ in configs],
            "timeout_at": session["timeout_at"]}}
    except Exception as exc:  # noqa: BLE001 - the real handler reports every failure and returns 500
        log("Orchestrator failed", correlation_id=correlation_id, error=str(exc))
        publish_workflow_failed(boto3.client("events"), settings.bus_name(), context,
                                correlation_id=correlation_id, causation_id=session_id,
                                source_module="coordinator_v2", source_component="StrategyOrchestrator",
                                workflow_type="strategy_coordination", failure_step="coordinator_dispatch",
                                error=exc, error_details={"session_id": session_id})
        return {"statusCode": 500, "body": {"status": "error", "correlation_id": correlation_id, "error": str(exc)}}


def _settings() -> tuple[str, str, int]:
    table = os.environ.get("AGGREGATION_TABLE_NAME")
    function = os.environ.get("STRATEGY_FUNCTION_NAME")
    if not table:
        raise ValueError("AGGREGATION_TABLE_NAME environment variable is required")
    if not function:
        raise ValueError("STRATEGY_FUNCTION_NAME environment variable is required")
    return table, function, int(os.environ.get("AGGREGATION_TIMEOUT_SECONDS", "600"))


def worker_payload(session_id: str, correlation_id: str, dsl_file: str, allocation: Decimal,
                   number: int, total: int) -> dict[str, Any]:
    """What each worker receives (reference §10 item 2); the allocation travels as a float."""
    return {"session_id": session_id, "correlation_id": correlation_id, "dsl_file": dsl_file,
            "allocation": float(allocation), "strategy_number": number, "total_strategies": total,
            "mode": "single_strategy"}


def invoke_all_strategies(function: str, session_id: str, correlation_id: str,
                          configs: list[tuple[str, Decimal]]) -> list[str]:
    """One async invoke per file, in order; returns the RequestIds."""
    client = boto3.client("lambda")
    request_ids = []
    for number, (dsl_file, allocation) in enumerate(configs, start=1):
        payload = worker_payload(session_id, correlation_id, dsl_file, allocation, number, len(configs))
        reply = client.invoke(FunctionName=function, InvocationType="Event", Payload=json.dumps(payload).encode())
        request_ids.append(reply["ResponseMetadata"].get("RequestId", ""))
    return request_ids
