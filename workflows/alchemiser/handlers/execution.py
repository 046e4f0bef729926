"""Execution Lambda: the consumer of the execution FIFO queue (reference §3.4, §3.5).

Event source mapping: batch size 1, ReportBatchItemFailures. For each record
it executes the trade (``trade_execution.TradeExecutor``) and reports the
record in ``batchItemFailures`` when the result is neither a success nor a
skip. Because a failed trade is already FAILED in DynamoDB, its redelivery
(after the 900 s visibility timeout) is recognised as a duplicate and skipped:
failed trades are never re-executed by SQS. Only a record that fails before
it is counted (e.g. an unparsable body) keeps failing until the DLQ takes it.

The invocation that completes the last SELL and wins the SELL_PHASE ->
BUY_PHASE transition enqueues the run's waiting BUYs.

Environment: EXECUTION_RUNS_TABLE_NAME, EXECUTION_FIFO_QUEUE_URL, EVENT_BUS_NAME
(default alchemiser-{APP__STAGE}-events), ALPACA__KEY/SECRET/ENDPOINT,
TRADE_LEDGER__TABLE_NAME (optional).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import boto3

from workflows.alchemiser import alpaca_clients, dispatch, settings
from workflows.alchemiser.common import log
from workflows.alchemiser.ids import IdSource
from workflows.alchemiser.runs import ExecutionRunService
from workflows.alchemiser.trade_execution import TradeExecutor, TradeResult, Wiring
from workflows.alchemiser.trades import TradeMessage


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    executor = TradeExecutor(wiring(context, sqs_release=True))
    seen: set[str] = set()
    failures = []
    for record in event.get("Records", []):
        if not process_record(executor, record, seen):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def process_record(executor: TradeExecutor, record: dict[str, Any], seen: set[str]) -> bool:
    """True when the record may be deleted (success, skip or duplicate)."""
    try:
        msg = TradeMessage.from_sqs_message_body(record["body"])
    except Exception as exc:  # unparsable: fail the record, so SQS retries it into the DLQ
        log("Unparsable trade message", message_id=record.get("messageId"), error=str(exc))
        return False
    key = idempotency_key(msg)
    if key in seen:
        return True
    seen.add(key)
    try:
        result: TradeResult = executor.execute(msg)
    except Exception as exc:  # an AWS error before the trade was counted: let SQS redeliver it
        log("Trade record failed before completion", trade_id=msg.trade_id, error=str(exc))
        return False
    log("Trade processed", **result.as_dict())
    return not result.retryable_failure


def idempotency_key(msg: TradeMessage) -> str:
    """First 16 hex digits of sha256(run_id:trade_id:symbol:action), as the real handler keys duplicates."""
    return hashlib.sha256(f"{msg.run_id}:{msg.trade_id}:{msg.symbol}:{msg.action}".encode()).hexdigest()[:16]


def wiring(context: Any, *, sqs_release: bool) -> Wiring:
    dynamodb = boto3.resource("dynamodb")
    runs = ExecutionRunService(dynamodb.Table(os.environ["EXECUTION_RUNS_TABLE_NAME"]))
    ledger_name = os.environ.get("TRADE_LEDGER__TABLE_NAME")
    release = None
    if sqs_release:
        sqs, queue_url = boto3.client("sqs"), os.environ["EXECUTION_FIFO_QUEUE_URL"]
        release = lambda run_id: dispatch.enqueue_waiting_buys(runs, sqs, queue_url, run_id)  # noqa: E731
    return Wiring(runs=runs, trading=alpaca_clients.trading_client(), data=alpaca_clients.data_client(),
                  events=boto3.client("events"), bus=settings.bus_name(), ids=IdSource(context),
                  release_buys=release, ledger=dynamodb.Table(ledger_name) if ledger_name else None)
