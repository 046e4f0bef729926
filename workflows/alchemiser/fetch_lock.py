"""The on-demand fetch's dedup lock (reference §3.9 "Dedup lock", ``fetch_request_service.py``).

One item per symbol in the fetch-requests table (env FETCH_REQUESTS_TABLE, key
``PK`` only, TTL attribute ``ttl``): a conditional PutItem of
``PK = FETCH#{symbol}`` with ``attribute_not_exists(PK)`` decides which request
fetches. The condition does not look at ``ttl``: an expired lock still blocks
until DynamoDB's TTL sweeper has deleted it, so the effective cooldown can be
much longer than FETCH_COOLDOWN_MINUTES (15). The fetcher deletes its lock only
when the fetch failed. A DynamoDB error other than the condition lets the fetch
go ahead (fail open).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from workflows.alchemiser.common import log

DEFAULT_COOLDOWN_MINUTES = 15


@dataclass(frozen=True)
class LockResult:
    can_proceed: bool
    existing_request_time: str | None = None
    cooldown_remaining_seconds: int | None = None


def cooldown_minutes() -> int:
    try:
        return int(os.environ.get("FETCH_COOLDOWN_MINUTES", DEFAULT_COOLDOWN_MINUTES))
    except ValueError:
        return DEFAULT_COOLDOWN_MINUTES


def lock_key(symbol: str) -> dict[str, Any]:
    return {"PK": {"S": f"FETCH#{symbol}"}}


def lock_item(symbol: str, *, requesting_stage: str, requesting_component: str, correlation_id: str,
              now: datetime) -> dict[str, Any]:
    ttl = int(now.timestamp()) + cooldown_minutes() * 60
    return {**lock_key(symbol), "symbol": {"S": symbol}, "requesting_stage": {"S": requesting_stage},
            "requesting_component": {"S": requesting_component}, "correlation_id": {"S": correlation_id},
            "requested_at": {"S": now.isoformat()}, "ttl": {"N": str(ttl)}}


def try_acquire(client: Any, table: str, symbol: str, *, requesting_stage: str, requesting_component: str,
                correlation_id: str, now: datetime) -> LockResult:
    item = lock_item(symbol, requesting_stage=requesting_stage, requesting_component=requesting_component,
                     correlation_id=correlation_id, now=now)
    try:
        client.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(PK)")
    except client.exceptions.ConditionalCheckFailedException:
        return _held(client, table, symbol, now)
    except (ClientError, BotoCoreError) as exc:
        log("Fetch lock unavailable, allowing fetch", symbol=symbol, error=str(exc))
    return LockResult(can_proceed=True)


def _held(client: Any, table: str, symbol: str, now: datetime) -> LockResult:
    """Another request holds the lock: when it was made and how long its cooldown has left."""
    try:
        item = client.get_item(TableName=table, Key=lock_key(symbol)).get("Item") or {}
    except (ClientError, BotoCoreError):
        item = {}
    ttl = item.get("ttl", {}).get("N")
    remaining = max(0, int(float(ttl) - now.timestamp())) if ttl else 0
    return LockResult(False, item.get("requested_at", {}).get("S"), remaining)


def release(client: Any, table: str, symbol: str, correlation_id: str) -> None:
    """Delete the lock this request took (after a failed fetch); never raises."""
    try:
        client.delete_item(TableName=table, Key=lock_key(symbol), ConditionExpression="correlation_id = :c",
                           ExpressionAttributeValues={":c": {"S": correlation_id}})
    except (ClientError, BotoCoreError) as exc:
        log("Fetch lock not released", symbol=symbol, error=str(exc))
