"""The execution run service over ExecutionRunsTable (reference §3.3).

Items: run metadata ``PK=RUN#{run_id}, SK=METADATA`` and one trade item per
trade ``SK=TRADE#{trade_id}``; both carry ``TTL`` (epoch seconds, +24 h).
Coordination between concurrent Execution invocations rests on three DynamoDB
primitives, as in the real service:

* a conditional update per trade (``status`` not yet COMPLETED/FAILED), so a
  redelivered trade is counted once;
* one atomic ``ADD`` of the run counters, returning ALL_NEW, from which each
  invocation learns whether the SELL phase, BUY phase or run just completed;
* conditional status transitions (SELL_PHASE -> BUY_PHASE, * -> AGGREGATING),
  each with exactly one winner.

Reads are eventually consistent (the real service never asks for
ConsistentRead).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterable

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from workflows.alchemiser.trades import TradeMessage

TTL_SECONDS = 24 * 3600
CLAIMABLE = ("RUNNING", "SELL_PHASE", "BUY_PHASE")  # statuses the trade aggregator may claim
ZERO = Decimal("0")


def run_key(run_id: str) -> dict[str, str]:
    return {"PK": f"RUN#{run_id}", "SK": "METADATA"}


def trade_key(run_id: str, trade_id: str) -> dict[str, str]:
    return {"PK": f"RUN#{run_id}", "SK": f"TRADE#{trade_id}"}


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


@dataclass(frozen=True)
class Progress:
    """The run counters right after one trade was counted (from the ADD's ALL_NEW)."""

    item: dict[str, Any]

    def _n(self, name: str) -> Decimal:
        return Decimal(self.item.get(name, 0))

    @property
    def sell_phase_complete(self) -> bool:
        return self._n("sell_total") == 0 or self._n("sell_completed") >= self._n("sell_total")

    @property
    def buy_phase_complete(self) -> bool:
        return self._n("buy_total") == 0 or self._n("buy_completed") >= self._n("buy_total")

    @property
    def run_complete(self) -> bool:
        return self._n("completed_trades") >= self._n("total_trades")

    @property
    def current_phase(self) -> str:
        return str(self.item.get("current_phase", ""))

    @property
    def buy_total(self) -> int:
        return int(self._n("buy_total"))

    @property
    def sell_failed_amount(self) -> Decimal:
        return self._n("sell_failed_amount")

    @property
    def sell_succeeded_amount(self) -> Decimal:
        return self._n("sell_succeeded_amount")


@dataclass(frozen=True)
class BreakerDecision:
    allowed: bool
    proposed: Decimal
    cumulative: Decimal
    limit: Decimal
    reason: str = ""

    @property
    def overage(self) -> Decimal:
        return max(self.cumulative + self.proposed - self.limit, ZERO)


class ExecutionRunService:
    def __init__(self, table: Any) -> None:
        self.table = table  # a boto3 DynamoDB Table resource

    # -- creation ------------------------------------------------------------------
    def create_run(self, *, run_id: str, plan_id: str, correlation_id: str, messages: list[TradeMessage],
                   max_equity_limit_usd: Decimal, run_timestamp: datetime, data_freshness: dict | None = None,
                   strategies_evaluated: int = 0, rebalance_plan_summary: list[dict] | None = None) -> None:
        """Write the run metadata (status SELL_PHASE) and every trade: SELLs PENDING, BUYs WAITING."""
        ttl = int(time.time()) + TTL_SECONDS
        sells = [m for m in messages if m.phase == "SELL"]
        self.table.put_item(Item={
            **run_key(run_id), "run_id": run_id, "plan_id": plan_id, "correlation_id": correlation_id,
            "total_trades": len(messages), "completed_trades": 0, "succeeded_trades": 0, "failed_trades": 0,
            "skipped_trades": 0, "sell_total": len(sells), "sell_completed": 0,
            "buy_total": len(messages) - len(sells), "buy_completed": 0, "sell_failed_amount": ZERO,
            "sell_succeeded_amount": ZERO, "cumulative_buy_succeeded_value": ZERO,
            "max_equity_limit_usd": max_equity_limit_usd, "current_phase": "SELL", "status": "SELL_PHASE",
            "run_timestamp": run_timestamp.isoformat(), "created_at": _now_iso(), "TTL": ttl,
            "trade_ids": [m.trade_id for m in messages], "data_freshness": json.dumps(data_freshness or {}),
            "strategies_evaluated": strategies_evaluated,
            "rebalance_plan_summary": json.dumps(rebalance_plan_summary or [])})
        with self.table.batch_writer() as batch:
            for m in messages:
                batch.put_item(Item={
                    **trade_key(run_id, m.trade_id), "trade_id": m.trade_id, "symbol": m.symbol,
                    "action": m.action, "phase": m.phase, "sequence_number": m.sequence_number,
                    "trade_amount": m.trade_amount, "status": "PENDING" if m.phase == "SELL" else "WAITING",
                    "TTL": ttl, "message_body": m.to_sqs_message_body()})

    # -- reads -----------------------------------------------------------------------
    def get_run(self, run_id: str) -> dict[str, Any] | None:
        return self.table.get_item(Key=run_key(run_id)).get("Item")

    def get_trade(self, run_id: str, trade_id: str) -> dict[str, Any] | None:
        return self.table.get_item(Key=trade_key(run_id, trade_id)).get("Item")

    def get_trades(self, run_id: str) -> list[dict[str, Any]]:
        return self._query_trades(run_id)

    def get_pending_buy_trades(self, run_id: str) -> list[dict[str, Any]]:
        waiting = self._query_trades(run_id, Attr("phase").eq("BUY") & Attr("status").eq("WAITING"))
        return sorted(waiting, key=lambda t: int(t["sequence_number"]))

    def _query_trades(self, run_id: str, filter_expression: Any = None) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key("PK").eq(f"RUN#{run_id}")
                                  & Key("SK").begins_with("TRADE#")}
        if filter_expression is not None:
            kwargs["FilterExpression"] = filter_expression
        items: list[dict[str, Any]] = []
        while True:
            page = self.table.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # -- trade transitions -------------------------------------------------------------
    def mark_trade_started(self, run_id: str, trade_id: str) -> None:
        self.table.update_item(Key=trade_key(run_id, trade_id), UpdateExpression="SET #s = :running, started_at = :t",
                               ExpressionAttributeNames={"#s": "status"},
                               ExpressionAttributeValues={":running": "RUNNING", ":t": _now_iso()})

    def mark_trade_completed(self, run_id: str, trade_id: str, *, phase: str, amount: Decimal, success: bool,
                             skipped: bool = False, order_id: str | None = None, error_message: str | None = None,
                             execution_data: dict | None = None) -> Progress | None:
        """Finish one trade and count it; None when it was already finished (a duplicate)."""
        try:
            self.table.update_item(
                Key=trade_key(run_id, trade_id),
                UpdateExpression="SET #s = :s, completed_at = :t, order_id = :o, error_message = :e, "
                                 "execution_data = :d",
                ConditionExpression="#s <> :done AND #s <> :failed",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": "COMPLETED" if success else "FAILED", ":t": _now_iso(),
                                           ":o": order_id, ":e": error_message,
                                           ":d": json.dumps(execution_data or {}, default=str),
                                           ":done": "COMPLETED", ":failed": "FAILED"})
        except ClientError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return Progress(self._count(run_id, phase, abs(amount), success, skipped))

    def _count(self, run_id: str, phase: str, amount: Decimal, success: bool, skipped: bool) -> dict[str, Any]:
        outcome = "skipped_trades" if skipped else "succeeded_trades" if success else "failed_trades"
        adds = {"completed_trades": 1, outcome: 1, f"{phase.lower()}_completed": 1}
        # Planned dollars (not filled dollars) feed the SELL guard and the equity breaker.
        if not skipped and phase == "SELL":
            adds["sell_succeeded_amount" if success else "sell_failed_amount"] = amount
        elif not skipped and success:
            adds["cumulative_buy_succeeded_value"] = amount
        names = {f"#a{i}": k for i, k in enumerate(adds)}
        values = {f":a{i}": v for i, v in enumerate(adds.values())}
        response = self.table.update_item(
            Key=run_key(run_id), UpdateExpression="ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(adds))),
            ExpressionAttributeNames=names, ExpressionAttributeValues=values, ReturnValues="ALL_NEW")
        return response["Attributes"]

    def mark_buy_trades_pending(self, run_id: str, trade_ids: Iterable[str]) -> None:
        for trade_id in trade_ids:
            try:
                self.table.update_item(Key=trade_key(run_id, trade_id), UpdateExpression="SET #s = :pending",
                                       ConditionExpression="#s = :waiting", ExpressionAttributeNames={"#s": "status"},
                                       ExpressionAttributeValues={":pending": "PENDING", ":waiting": "WAITING"})
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise

    # -- run transitions ------------------------------------------------------------------
    def transition_to_buy_phase(self, run_id: str) -> bool:
        """SELL_PHASE -> BUY_PHASE; True for the one caller whose update won."""
        return self._transition(run_id, "SET #s = :buy_phase, current_phase = :buy, buy_phase_started_at = :t",
                                "current_phase = :sell AND #s = :sell_phase",
                                {":buy_phase": "BUY_PHASE", ":buy": "BUY", ":sell": "SELL", ":sell_phase": "SELL_PHASE"})

    def claim_aggregation(self, run_id: str) -> bool:
        """-> AGGREGATING from RUNNING/SELL_PHASE/BUY_PHASE; a FAILED run can never be claimed."""
        return self._transition(run_id, "SET #s = :aggregating, aggregation_started_at = :t",
                                "#s IN (:c0, :c1, :c2)",
                                {":aggregating": "AGGREGATING", **{f":c{i}": s for i, s in enumerate(CLAIMABLE)}})

    def mark_run_completed(self, run_id: str) -> None:
        self.table.update_item(Key=run_key(run_id), UpdateExpression="SET #s = :done, completed_at = :t",
                               ExpressionAttributeNames={"#s": "status"},
                               ExpressionAttributeValues={":done": "COMPLETED", ":t": _now_iso()})

    def mark_run_failed(self, run_id: str, reason: str, *, only_in_sell_phase: bool = False) -> bool:
        """Set FAILED (unconditionally, as the real service does, unless ``only_in_sell_phase``)."""
        condition = "current_phase = :sell AND #s = :sell_phase" if only_in_sell_phase else None
        values = {":failed": "FAILED", ":r": reason}
        if condition:
            values.update({":sell": "SELL", ":sell_phase": "SELL_PHASE"})
        return self._transition(run_id, "SET #s = :failed, failed_at = :t, failure_reason = :r", condition, values)

    def _transition(self, run_id: str, update: str, condition: str | None, values: dict[str, Any]) -> bool:
        kwargs: dict[str, Any] = {"Key": run_key(run_id), "UpdateExpression": update,
                                  "ExpressionAttributeNames": {"#s": "status"},
                                  "ExpressionAttributeValues": {**values, ":t": _now_iso()}}
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            self.table.update_item(**kwargs)
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    # -- equity circuit breaker ---------------------------------------------------------------
    def check_equity_circuit_breaker(self, run_id: str, amount: Decimal) -> BreakerDecision:
        """Block a BUY when cumulative successful planned BUY dollars + this BUY exceed the limit.

        Equal to the limit is allowed; a limit of 0 disables the breaker; a missing run blocks.
        The check is a plain read, not atomic with the increment: concurrent BUYs can overshoot,
        as in the real system."""
        proposed = abs(amount)
        run = self.get_run(run_id)
        if run is None:
            return BreakerDecision(False, proposed, ZERO, ZERO, "run not found")
        limit = Decimal(run.get("max_equity_limit_usd", 0))
        cumulative = Decimal(run.get("cumulative_buy_succeeded_value", 0))
        if limit == 0:
            return BreakerDecision(True, proposed, cumulative, limit, "breaker disabled")
        allowed = cumulative + proposed <= limit
        return BreakerDecision(allowed, proposed, cumulative, limit, "" if allowed else "equity limit exceeded")
