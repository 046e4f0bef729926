"""Schedule Manager (reference §3.8, §1.6): at 09:00 ET on weekdays, schedule today's run.

Trading day: a one-time EventBridge Scheduler schedule
``alchemiser-{stage}-trading-execution-{YYYY-MM-DD}`` at market close minus
``MINUTES_BEFORE_CLOSE`` (15:45 ET, 12:45 ET on early-close days), America/New_York,
ActionAfterCompletion DELETE, any schedule of that name deleted first; target the
orchestrator with ``{"mode": "trade", "correlation_id", "scheduled_by": "schedule_manager"}``.
Then ScheduleCreated (``scheduled`` or ``early_close``). Weekday holiday:
ScheduleCreated ``skipped_holiday`` and no schedule. Weekend: nothing at all.
Errors: WorkflowFailed (coordinator) and a 500 body, never a raise.

The real handler asks Alpaca's calendar (TradingClient.get_calendar). To stay
independent of the broker model this reads the NYSE calendar of
``workflows.marketdata.calendar`` (exchange_calendars XNYS), which gives the
same sessions and early closes.

``USE_STEP_FUNCTIONS=true`` (the seed's feature flag) targets the state machine
``STATE_MACHINE_ARN`` instead of the orchestrator, with the same input.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3

from workflows.alchemiser import settings
from workflows.alchemiser.common import log, new_uuid, now_utc, publish_workflow_failed
from workflows.alchemiser.events import ScheduleCreated, publish
from workflows.marketdata import calendar

NEW_YORK = ZoneInfo("America/New_York")
REGULAR_CLOSE = time(16, 0)


def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    event = event or {}
    correlation_id = event.get("correlation_id") or f"schedule-{new_uuid(context, 'correlation')}"
    today = now_utc().date()  # the UTC date at 13:00/14:00 UTC: the same calendar day as New York
    events = boto3.client("events")
    try:
        return _schedule_day(events, context, correlation_id, today)
    except Exception as exc:  # noqa: BLE001 - the real handler reports every failure and returns 500
        log("Schedule Manager failed", correlation_id=correlation_id, error=str(exc))
        publish_workflow_failed(events, settings.bus_name(), context, correlation_id=correlation_id,
                                causation_id=f"schedule-manager-{today.isoformat()}", source_module="coordinator_v2",
                                source_component="ScheduleManager", workflow_type="schedule_creation",
                                failure_step="schedule_creation", error=exc, error_details={"date": today.isoformat()})
        return {"statusCode": 500, "body": {"status": "error", "correlation_id": correlation_id, "error": str(exc)}}


def _schedule_day(events: Any, context: Any, correlation_id: str, today: date) -> dict[str, Any]:
    if today.weekday() >= 5:
        log("Weekend - no schedule created", correlation_id=correlation_id, date=today.isoformat())
        return _skipped(correlation_id, today, "Not a trading day (weekend)")
    if not calendar.is_session(today):
        _announce(events, context, correlation_id, today, status="skipped_holiday",
                  skip_reason="Market closed (holiday)")
        return _skipped(correlation_id, today, "Market holiday")
    close = datetime.combine(today, calendar.close_time(today), tzinfo=NEW_YORK)
    run_at = close - timedelta(minutes=int(os.environ.get("MINUTES_BEFORE_CLOSE", "15")))
    early = close.time() < REGULAR_CLOSE
    name = f"alchemiser-{settings.stage()}-trading-execution-{today.isoformat()}"
    _create_schedule(name, run_at, correlation_id)
    _announce(events, context, correlation_id, today, status="early_close" if early else "scheduled",
              execution_time=run_at.isoformat(), market_close_time=close.isoformat(), is_early_close=early,
              schedule_name=name)
    return {"statusCode": 200, "body": {
        "status": "scheduled", "correlation_id": correlation_id, "date": today.isoformat(),
        "execution_time": run_at.isoformat(), "close_time": close.isoformat(), "is_early_close": early,
        "schedule_name": name}}


def _skipped(correlation_id: str, today: date, reason: str) -> dict[str, Any]:
    return {"statusCode": 200, "body": {"status": "skipped", "correlation_id": correlation_id, "reason": reason,
                                        "date": today.isoformat()}}


def _target() -> tuple[str, str]:
    """(target ARN, role ARN): the orchestrator, or the state machine under the feature flag."""
    use_sfn = os.environ.get("USE_STEP_FUNCTIONS", "false").lower() == "true"
    arn_var = "STATE_MACHINE_ARN" if use_sfn else "ORCHESTRATOR_FUNCTION_ARN"
    arn, role = os.environ.get(arn_var, ""), os.environ.get("SCHEDULER_ROLE_ARN", "")
    if not arn:
        raise ValueError(f"{arn_var} environment variable is required")
    if not role:
        raise ValueError("SCHEDULER_ROLE_ARN environment variable is required")
    return arn, role


def _create_schedule(name: str, run_at: datetime, correlation_id: str) -> None:
    arn, role = _target()
    group = os.environ.get("SCHEDULE_GROUP_NAME", "default")
    scheduler = boto3.client("scheduler")
    try:  # a re-run replaces today's schedule
        scheduler.delete_schedule(Name=name, GroupName=group)
    except scheduler.exceptions.ResourceNotFoundException:
        pass
    payload = {"mode": "trade", "correlation_id": correlation_id, "scheduled_by": "schedule_manager"}
    scheduler.create_schedule(
        Name=name, GroupName=group, ScheduleExpression=f"at({run_at.strftime('%Y-%m-%dT%H:%M:%S')})",
        ScheduleExpressionTimezone="America/New_York", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": arn, "RoleArn": role, "Input": json.dumps(payload)}, ActionAfterCompletion="DELETE")
    log("Created one-time schedule", schedule_name=name, at=run_at.isoformat(), target=arn)


def _announce(events: Any, context: Any, correlation_id: str, today: date, **fields: Any) -> None:
    publish(events, ScheduleCreated(
        correlation_id=correlation_id, causation_id=f"schedule-manager-{today.isoformat()}",
        event_id=f"schedule-created-{new_uuid(context, 'schedule-created')}", timestamp=now_utc(),
        source_module="coordinator_v2", source_component="ScheduleManager", date=today.isoformat(), **fields),
        settings.bus_name())
