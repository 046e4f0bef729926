"""DynamoDB Time to Live on the virtual clock.

The emulator keeps items but never expires them, so the simulator watches
writes to tables with a TTL attribute and deletes an item once its TTL has
passed, plus a configurable deletion delay: AWS deletes expired items lazily,
"typically within a few days" (howitworks-ttl.html), and until then they are
still returned by reads. The deletion is conditional on the TTL value being
the one that expired, so an item whose TTL was extended in the meantime
survives. Watches are daemon timers: they never keep a run alive.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from sim.services.base import Kernel
from sim.services.dynamodb.peek import AttributeReader
from sim.stack.spec import TableSpec

WRITE_OPS = {"PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems"}
_deser = TypeDeserializer()


class TtlSweeper:
    def __init__(self, k: Kernel, tables: list[TableSpec], client_factory, deletion_delay_s: float,
                 emulator=None) -> None:
        self.k = k
        self.tables = {t.name: t for t in tables if t.ttl_attribute}
        self._client_factory = client_factory
        self._client = None
        self.deletion_delay_s = deletion_delay_s
        self.deleted = 0
        # TTL reads are bookkeeping: read moto's table directly when in-process (see peek.py)
        self._reader = AttributeReader(emulator, lambda: self.client) if emulator is not None else None

    @property
    def client(self):
        if self._client is None:
            self._client = self._client_factory("dynamodb")
        return self._client

    def observe(self, op: str, params: dict) -> None:
        """Called after a successful emulator write; schedules watches for TTL tables."""
        if op not in WRITE_OPS or not self.tables:
            return
        for table, key in self._written_keys(op, params):
            self.k.clock.process(self._watch(table, key))

    def _written_keys(self, op: str, params: dict) -> list[tuple[str, dict]]:
        out: list[tuple[str, dict]] = []
        if op in ("PutItem", "UpdateItem"):
            name = params.get("TableName")
            if name in self.tables:
                out.append((name, self._key(name, params.get("Item") or params.get("Key") or {})))
        elif op == "BatchWriteItem":
            for name, requests in (params.get("RequestItems") or {}).items():
                for r in requests if name in self.tables else []:
                    if "PutRequest" in r:
                        out.append((name, self._key(name, r["PutRequest"]["Item"])))
        else:
            for item in params.get("TransactItems") or []:
                for kind in ("Put", "Update"):
                    body = item.get(kind)
                    if body and body.get("TableName") in self.tables:
                        out.append((body["TableName"], self._key(body["TableName"], body.get("Item") or body.get("Key"))))
        return out

    def _key(self, table: str, item: dict) -> dict:
        spec = self.tables[table]
        names = [spec.hash_key.name] + ([spec.range_key.name] if spec.range_key else [])
        return {n: item[n] for n in names if n in item}

    def _watch(self, table: str, key: dict):
        clock = self.k.clock
        attr = self.tables[table].ttl_attribute
        ttl = self._ttl_of(table, key, attr)
        if ttl is None:
            return
        wait = max(ttl - clock.now().timestamp(), 0.0) + self.deletion_delay_s
        yield clock.timeout(wait, daemon=True)
        current = self._ttl_of(table, key, attr)
        if current is None or current != ttl or current > clock.now().timestamp():
            return
        try:
            self.client.delete_item(TableName=table, Key=key, ConditionExpression="#t = :t",
                                    ExpressionAttributeNames={"#t": attr},
                                    ExpressionAttributeValues={":t": {"N": _num(ttl)}})
        except self.client.exceptions.ConditionalCheckFailedException:
            return
        self.deleted += 1
        self.k.trace.add(clock.now_s, "dynamodb.ttl-expired", table, key=_plain(key), ttl=ttl)

    def _ttl_of(self, table: str, key: dict, attr: str) -> float | None:
        if self._reader is not None:
            return self._reader.number(table, key, attr)
        item = self.client.get_item(TableName=table, Key=key).get("Item")
        if not item or attr not in item or "N" not in item[attr]:
            return None  # TTL only applies to Number attributes holding epoch seconds
        return float(item[attr]["N"])


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _plain(key: dict) -> dict[str, Any]:
    return {k: _deser.deserialize(v) if isinstance(v, dict) else v for k, v in key.items()}
