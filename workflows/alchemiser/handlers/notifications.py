"""Notifications Lambda: one email per AllTradesCompleted, WorkflowFailed, DataLakeUpdateCompleted
or ScheduleCreated event, sent with SES (reference §3.7).

Outcome of a trading email: SUCCESS when trades ran and none failed; PARTIAL_SUCCESS
when every failure is a non-fractionable "rounds to zero" skip; FAILURE otherwise.
Subjects are "{Component} - {STATUS}", prefixed "[DEV] " / "[STAGING] " outside prod;
outside prod the recipient is the non-prod address unless ALLOW_REAL_EMAILS is
"true". The handler never raises: a failure is logged and answered with 500.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

SUBJECT_PREFIX = {"dev": "[DEV] ", "staging": "[STAGING] "}


def handler(event: dict, context: Any) -> dict:
    try:
        detail_type = event.get("detail-type", "")
        detail = event.get("detail") or {}
        email = compose(detail_type, detail, event.get("source", ""))
        if email is None:
            return {"statusCode": 200, "body": {"status": "ignored", "detail_type": detail_type}}
        subject, body = email
        message_id = send(subject, body)
        return {"statusCode": 200, "body": {"status": "sent", "subject": subject, "message_id": message_id}}
    except Exception as exc:  # the real handler never raises
        print(f"notification failed: {type(exc).__name__}: {exc}")
        return {"statusCode": 500, "body": {"status": "error", "error": str(exc)}}


def compose(detail_type: str, detail: dict, source: str) -> tuple[str, str] | None:
    if detail_type == "AllTradesCompleted":
        status = trading_outcome(detail)
        return _subject("Daily Run", status), trading_body(detail, status)
    if detail_type == "WorkflowFailed":
        return _subject("Workflow", "FAILURE"), error_body(detail, source)
    if detail_type == "DataLakeUpdateCompleted":
        status = {200: "SUCCESS", 206: "PARTIAL_SUCCESS"}.get(int(detail.get("status_code", 500)), "FAILURE")
        return _subject("Data Lake Update", status), _lines(detail, "Data lake update")
    if detail_type == "ScheduleCreated":
        return _subject("Schedule", str(detail.get("status", "")).upper()), _lines(detail, "Trading schedule")
    return None


def trading_outcome(detail: dict) -> str:
    total = int(detail.get("total_trades", 0))
    failed = int(detail.get("failed_trades", 0))
    if total > 0 and failed == 0:
        return "SUCCESS"
    skipped_nf = len(detail.get("non_fractionable_skipped_symbols") or [])
    if failed > 0 and not detail.get("failed_symbols") and skipped_nf > 0:
        return "PARTIAL_SUCCESS"
    return "FAILURE"


def trading_body(detail: dict, status: str) -> str:
    freshness = detail.get("data_freshness") or {}
    snapshot = detail.get("portfolio_snapshot") or {}
    lines = [f"Outcome: {status}", f"Environment: {_stage()}", f"Mode: {'LIVE' if _stage() == 'prod' else 'PAPER'}",
             f"Run: {detail.get('run_id')}", f"Correlation: {detail.get('correlation_id')}",
             f"Started: {detail.get('started_at')}", f"Completed: {detail.get('completed_at')}",
             f"Trades: {detail.get('total_trades')} total, {detail.get('succeeded_trades')} succeeded, "
             f"{detail.get('failed_trades')} failed, {detail.get('skipped_trades', 0)} skipped",
             f"Failed symbols: {', '.join(detail.get('failed_symbols') or []) or 'none'}",
             f"Equity: {snapshot.get('equity', 'N/A')}  Cash: {snapshot.get('cash', 'N/A')}",
             f"Capital deployed: {detail.get('capital_deployed_pct')}%",
             # Portfolio drops data_freshness (§3.1), so the email shows its defaults
             f"Latest candle: {freshness.get('latest_timestamp', 'N/A')}",
             f"DATA_FRESHNESS_GATE: {freshness.get('gate_status', 'PASS')}",
             f"Strategies evaluated: {detail.get('strategies_evaluated', 0)}"]
    for item in detail.get("rebalance_plan_summary") or []:
        lines.append(f"  {item.get('action')} {item.get('symbol')} {item.get('trade_amount')}")
    return "\n".join(lines)


def error_body(detail: dict, source: str) -> str:
    return "\n".join([f"Failure step: {detail.get('failure_step')}", f"Workflow type: {detail.get('workflow_type')}",
                      f"Source module: {source.removeprefix('alchemiser.')}",
                      f"Reason: {detail.get('failure_reason')}", f"Correlation: {detail.get('correlation_id')}",
                      "Details: " + json.dumps(detail.get("error_details") or {}, sort_keys=True)])


def _lines(detail: dict, title: str) -> str:
    return title + "\n" + "\n".join(f"{k}: {v}" for k, v in sorted(detail.items()) if k != "event_type")


def _stage() -> str:
    return os.environ.get("APP__STAGE", "dev")


def _subject(component: str, status: str) -> str:
    return f"{SUBJECT_PREFIX.get(_stage(), '')}{component} - {status}"


def recipient() -> str:
    if _stage() == "prod" or os.environ.get("ALLOW_REAL_EMAILS") == "true":
        return os.environ.get("NOTIFICATIONS_TO_PROD", "notifications@example.com")
    return os.environ.get("NOTIFICATIONS_TO_NONPROD", "notifications@example.com")


def send(subject: str, body: str) -> str:
    sender = os.environ.get("SES_FROM_ADDRESS", "noreply@example.com")
    name = os.environ.get("SES_FROM_NAME", "")
    source = f"{name} <{sender}>" if name else sender
    response = boto3.client("ses").send_email(
        Source=source, Destination={"ToAddresses": [recipient()]},
        Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": body}}})
    return response["MessageId"]
