"""The aggregation session service (reference §2.4, ``aggregation_session_service.py``).

Table ``alchemiser-{stage}-aggregation-sessions``, keys ``PK``/``SK`` (both S), TTL
attribute ``TTL``:

* ``SESSION#{id}`` / ``METADATA``: session_id, correlation_id, total_strategies,
  completed_strategies (atomic counter from 0), status, created_at, timeout_at
  (created + 600 s, stored only: nothing enforces it), TTL (created + 24 h),
  strategy_configs [{dsl_file, allocation}].
* ``SESSION#{id}`` / ``STRATEGY#{dsl_file}``: one worker's partial, written once
  (``attribute_not_exists(SK)``); JSON text for the nested dicts. No TTL
  attribute, as in the real table, so partials never expire.

Status updates are unconditional ``SET`` (PENDING -> AGGREGATING -> COMPLETED, or
FAILED); TIMEOUT is a documented status nobody writes. Reads are eventually
consistent and the partials Query does not paginate, as in the real service.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from botocore.config import Config

from workflows.alchemiser.common import log, now_utc

STATUS_PENDING = "PENDING"
STATUS_AGGREGATING = "AGGREGATING"
STATUS_COMPLETED = "COMPLETED"
STATUS_FAILED = "FAILED"
STATUS_TIMEOUT = "TIMEOUT"  # documented, never written

SESSION_TTL = timedelta(hours=24)
DEFAULT_TIMEOUT_SECONDS = 600
METADATA_SK = "METADATA"
STRATEGY_PREFIX = "STRATEGY#"

# shared/config/aws_config.py DYNAMODB_RETRY_CONFIG
DYNAMODB_RETRY_CONFIG = Config(retries={"max_attempts": 5, "mode": "adaptive"}, connect_timeout=10, read_timeout=30)

_JSON_FIELDS = ("consolidated_portfolio", "signals_data", "data_freshness")


def session_pk(session_id: str) -> str:
    return f"SESSION#{session_id}"


def strategy_sk(dsl_file: str) -> str:
    return f"{STRATEGY_PREFIX}{dsl_file}"


class AggregationSessionService:
    def __init__(self, table_name: str, dynamodb: Any = None) -> None:
        resource = dynamodb or boto3.resource("dynamodb", config=DYNAMODB_RETRY_CONFIG)
        self.table = resource.Table(table_name)

    def create_session(self, session_id: str, correlation_id: str, strategy_configs: list[tuple[str, Decimal]],
                       timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS) -> dict[str, Any]:
        """Write the metadata item (a plain put: a second create resets the counter, as in the real one)."""
        created = now_utc()
        item = {
            "PK": session_pk(session_id), "SK": METADATA_SK,
            "session_id": session_id, "correlation_id": correlation_id,
            "total_strategies": len(strategy_configs), "completed_strategies": 0,
            "status": STATUS_PENDING, "created_at": created.isoformat(),
            "timeout_at": (created + timedelta(seconds=timeout_seconds)).isoformat(),
            "TTL": int((created + SESSION_TTL).timestamp()),
            "strategy_configs": [{"dsl_file": f, "allocation": Decimal(str(a))} for f, a in strategy_configs],
        }
        self.table.put_item(Item=item)
        return item

    def store_partial_signal(self, session_id: str, dsl_file: str, allocation: Decimal,
                             consolidated_portfolio: dict, signals_data: dict, signal_count: int,
                             data_freshness: dict | None = None) -> int:
        """Store one worker's partial; returns the completed count after it.

        The first delivery for a file increments the counter atomically and gets the
        new value (so exactly one of N concurrent partials sees N). A duplicate gets
        the current value without incrementing, which after completion is N again.
        """
        item = {
            "PK": session_pk(session_id), "SK": strategy_sk(dsl_file), "dsl_file": dsl_file,
            "allocation": Decimal(str(allocation)), "completed_at": now_utc().isoformat(),
            "signal_count": int(signal_count),
            "consolidated_portfolio": json.dumps(consolidated_portfolio, default=str),
            "signals_data": json.dumps(signals_data, default=str),
            "data_freshness": json.dumps(data_freshness or {}, default=str),
        }
        client = self.table.meta.client
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(SK)")
        except client.exceptions.ConditionalCheckFailedException:
            log("Duplicate partial signal ignored", session_id=session_id, dsl_file=dsl_file)
            session = self.get_session(session_id) or {}
            return int(session.get("completed_strategies", 0))
        reply = self.table.update_item(
            Key={"PK": session_pk(session_id), "SK": METADATA_SK},
            UpdateExpression="ADD completed_strategies :one",
            ExpressionAttributeValues={":one": 1}, ReturnValues="UPDATED_NEW")
        return int(reply["Attributes"]["completed_strategies"])

    def get_session(self, session_id: str) -> dict[str, Any] | None:
        reply = self.table.get_item(Key={"PK": session_pk(session_id), "SK": METADATA_SK})
        return reply.get("Item")

    def update_session_status(self, session_id: str, status: str) -> None:
        self.table.update_item(Key={"PK": session_pk(session_id), "SK": METADATA_SK},
                               UpdateExpression="SET #status = :status",
                               ExpressionAttributeNames={"#status": "status"},
                               ExpressionAttributeValues={":status": status})

    def get_all_partial_signals(self, session_id: str) -> list[dict[str, Any]]:
        """Every stored partial (one Query page, as the real service), JSON fields decoded."""
        reply = self.table.query(
            KeyConditionExpression=Key("PK").eq(session_pk(session_id)) & Key("SK").begins_with(STRATEGY_PREFIX))
        return [_decode_partial(item) for item in reply.get("Items", [])]


def _decode_partial(item: dict[str, Any]) -> dict[str, Any]:
    out = dict(item)
    for name in _JSON_FIELDS:
        if isinstance(out.get(name), str):
            out[name] = json.loads(out[name])
    out["signal_count"] = int(out.get("signal_count", 0))
    return out
