"""The simulator's own reads of one DynamoDB attribute, straight from in-process moto.

The TTL sweeper reads an item's TTL after every write to a TTL table and again
when the TTL falls due. Those reads are the simulator's bookkeeping, not calls
a handler made: they are not traced, charged or faulted. Through boto3 each
cost about 2.7 ms (botocore serialises, moto parses, serialises the item back
through its shape-walking serializer, botocore parses again); reading moto's
table directly costs microseconds and returns the same number: moto keeps a
Number as the string it was written as, and that string is what a GetItem
would have carried.

Only the plain case is read directly: an existing table, a key naming exactly
the table's key attributes. Anything else (a missing table, a bad key) goes
through the client, so it fails exactly as it did before. With an emulator on
an endpoint (moto server, LocalStack) every read goes through the client.
"""

from __future__ import annotations

from typing import Any, Callable

_MISS = object()


class AttributeReader:
    """``number(table, key, attr)``: the Number attribute ``attr`` of an item, or None."""

    def __init__(self, emulator: Any, client: Callable[[], Any]) -> None:
        self.emulator = emulator
        self._client = client  # () -> the simulator's own DynamoDB client (made on first use)

    def number(self, table: str, key: dict, attr: str) -> float | None:
        if self.emulator.endpoint_url is None:
            found = self._from_moto(table, key, attr)
            if found is not _MISS:
                return found
        item = self._client().get_item(TableName=table, Key=key).get("Item")
        if not item or attr not in item or "N" not in item[attr]:
            return None  # TTL only applies to Number attributes holding epoch seconds
        return float(item[attr]["N"])

    def _from_moto(self, table: str, key: dict, attr: str) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        try:
            backend = dynamodb_backends[self.emulator.account_id][self.emulator.region]
            moto_table = backend.tables.get(table)
            if moto_table is None or set(key) != set(moto_table.table_key_attrs):
                return _MISS
            if not all(isinstance(v, dict) and len(v) == 1 and next(iter(v.values())) for v in key.values()):
                return _MISS  # an empty key value: moto's own validation error, via the client
            item = backend.get_item(table, key)
        except Exception:  # noqa: BLE001 - whatever moto objects to, the client path reports it as before
            return _MISS
        if item is None:
            return None
        value = item.attrs.get(attr)
        if value is None or value.type != "N":
            return None
        return float(value.value)
