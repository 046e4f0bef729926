"""What the strategy-side handlers share: ids, the clock, logging and the failure event.

Ids: the real handlers call ``uuid.uuid4()``. The simulator seeds every
invocation's ``aws_request_id`` but does not patch ``uuid4``, so ids come from
``workflows.alchemiser.ids`` (hashed from the request id and the virtual time):
a run is a pure function of its seed, and an async retry (same request id,
later time) still gets fresh ids, as uuid4 would give it.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from workflows.alchemiser.events import WorkflowFailed, publish
from workflows.alchemiser.ids import IdSource


def new_uuid(context: Any, purpose: str) -> str:
    """A uuid4-shaped id for ``purpose`` (each purpose is drawn once per invocation)."""
    return IdSource(context).uuid(purpose)


def now_utc() -> datetime:
    """The current time (virtual under the simulator: datetime.now is pinned while a handler runs)."""
    return datetime.now(timezone.utc)


def log(message: str, **fields: Any) -> None:
    """One JSON log line on stdout (CloudWatch Logs; the simulator puts it in the trace)."""
    print(json.dumps({"message": message, **fields}, default=str, sort_keys=True))


def publish_workflow_failed(events_client: Any, bus: str, context: Any, *, correlation_id: str, causation_id: str,
                            source_module: str, source_component: str, workflow_type: str, failure_step: str,
                            error: BaseException, error_details: dict[str, Any]) -> bool:
    """Publish WorkflowFailed; never raises (the real handlers log a failed publish and go on
    to return their 500 body). Returns whether the event was accepted."""
    try:
        event = WorkflowFailed(
            correlation_id=correlation_id or "unknown", causation_id=causation_id or "unknown",
            event_id=f"workflow-failed-{new_uuid(context, 'workflow-failed')}", timestamp=now_utc(),
            source_module=source_module, source_component=source_component, workflow_type=workflow_type,
            failure_reason=str(error) or type(error).__name__, failure_step=failure_step,
            error_details={"exception_type": type(error).__name__, **error_details})
        publish(events_client, event, bus)
        return True
    except Exception as exc:  # noqa: BLE001 - a failure report must not hide the original error
        log("Failed to publish WorkflowFailed event", error=str(exc), correlation_id=correlation_id)
        return False
