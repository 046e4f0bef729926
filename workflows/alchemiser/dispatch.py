"""Putting trades on the execution FIFO queue: the two-phase enqueue (reference §3.2, §3.5).

Each message: MessageGroupId = symbol (FIFO order per symbol, parallel across
symbols), MessageDeduplicationId = trade_id (the "Dec 19 incident" fix: a
re-send within SQS's 5-minute window is dropped), attributes RunId, TradeId
and Phase. SELL->BUY ordering comes from *when* BUYs are sent, not from the
queue: Portfolio sends only the SELLs (or the BUYs when there are none), and
the Execution invocation that wins the SELL_PHASE -> BUY_PHASE transition
sends the waiting BUYs.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from workflows.alchemiser.runs import ExecutionRunService
from workflows.alchemiser.trades import TradeMessage


def send_trade(sqs: Any, queue_url: str, message: TradeMessage) -> str:
    response = sqs.send_message(
        QueueUrl=queue_url, MessageBody=message.to_sqs_message_body(), MessageGroupId=message.symbol,
        MessageDeduplicationId=message.trade_id,
        MessageAttributes={"RunId": {"DataType": "String", "StringValue": message.run_id},
                           "TradeId": {"DataType": "String", "StringValue": message.trade_id},
                           "Phase": {"DataType": "String", "StringValue": message.phase}})
    return response["MessageId"]


def start_run(runs: ExecutionRunService, sqs: Any, queue_url: str, messages: list[TradeMessage], *,
              max_equity_limit_usd: Decimal, **run_fields: Any) -> list[TradeMessage]:
    """Create the run and enqueue its first phase; returns the messages sent.

    An SQS failure marks the run FAILED and re-raises (the Portfolio Lambda then
    reports WorkflowFailed)."""
    first = messages[0]
    runs.create_run(run_id=first.run_id, plan_id=first.plan_id, correlation_id=first.correlation_id,
                    messages=messages, max_equity_limit_usd=max_equity_limit_usd, **run_fields)
    sells = sorted((m for m in messages if m.phase == "SELL"), key=lambda m: m.sequence_number)
    if sells:
        batch = sells
    else:
        # No SELLs: the run goes straight to the BUY phase.
        runs.transition_to_buy_phase(first.run_id)
        batch = sorted(messages, key=lambda m: m.sequence_number)
    try:
        for message in batch:
            send_trade(sqs, queue_url, message)
    except Exception as exc:
        runs.mark_run_failed(first.run_id, f"SQS enqueue failed: {exc}")
        raise
    if not sells:
        runs.mark_buy_trades_pending(first.run_id, [m.trade_id for m in batch])
    return batch


def enqueue_waiting_buys(runs: ExecutionRunService, sqs: Any, queue_url: str, run_id: str) -> list[str]:
    """Send every WAITING BUY of ``run_id`` (by sequence number); individual failures are only logged."""
    sent = []
    for item in runs.get_pending_buy_trades(run_id):
        message = TradeMessage.from_sqs_message_body(item["message_body"])
        try:
            send_trade(sqs, queue_url, message)
            sent.append(message.trade_id)
        except Exception as exc:  # the real service logs and carries on with the next BUY
            print(f"failed to enqueue BUY {message.trade_id} ({message.symbol}): {exc}")
    runs.mark_buy_trades_pending(run_id, sent)
    return sent


def start_run_state_machine(runs: ExecutionRunService, sfn: Any, state_machine_arn: str,
                            messages: list[TradeMessage], *, max_equity_limit_usd: Decimal,
                            **run_fields: Any) -> str:
    """The B.2 variant: create the same run (its counters still drive the guard and the breaker),
    then start one execution named after the run with every trade; the state machine separates
    SELLs from BUYs and runs the phases. Returns the execution ARN."""
    first = messages[0]
    runs.create_run(run_id=first.run_id, plan_id=first.plan_id, correlation_id=first.correlation_id,
                    messages=messages, max_equity_limit_usd=max_equity_limit_usd, **run_fields)
    execution_input = {"run_id": first.run_id, "plan_id": first.plan_id, "correlation_id": first.correlation_id,
                       "trades": [m.model_dump(mode="json") for m in sorted(messages, key=lambda m: m.sequence_number)]}
    try:
        response = sfn.start_execution(stateMachineArn=state_machine_arn, name=first.run_id,
                                       input=json.dumps(execution_input))
    except Exception as exc:
        runs.mark_run_failed(first.run_id, f"StartExecution failed: {exc}")
        raise
    return response["executionArn"]
