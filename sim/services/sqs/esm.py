"""Lambda event source mappings for SQS: pollers that turn messages into invocations.

Semantics (Lambda developer guide, with-sqs.html):
* Batches of up to BatchSize messages invoke the function synchronously; on
  success the batch is deleted. On a function error or timeout nothing is
  deleted: the messages return after the visibility timeout, and the queue's
  redrive policy eventually moves them to the dead-letter queue.
* With ReportBatchItemFailures, a response ``{"batchItemFailures":
  [{"itemIdentifier": id}]}`` keeps only those messages; an empty list means
  all succeeded; a malformed response fails the whole batch.
* FIFO: a batch never holds a message whose group has another in flight.

Deliberate simplification: the poller only receives when the function has
concurrency to spare (as with ScalingConfig MaximumConcurrency), so it never
receives a batch that is then throttled. Real pollers can over-receive when
reserved concurrency is low, returning throttled messages after the
visibility timeout; that path is not modelled.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from sim.services.base import Kernel
from sim.services.sqs.model import SqsService
from sim.services.sqs.queue import Message, Queue
from sim.stack.spec import EventSourceMappingSpec


class FunctionPort(Protocol):
    """What a poller needs from Lambda (the simulation provides it)."""

    def try_acquire(self, function: str) -> str | None: ...

    def release(self, function: str) -> None: ...

    def capacity_freed(self, function: str) -> Any: ...

    def invoke_for_queue(self, function: str, payload: bytes) -> Any: ...


class Poller:
    def __init__(self, k: Kernel, sqs: SqsService, spec: EventSourceMappingSpec, port: FunctionPort) -> None:
        self.k = k
        self.sqs = sqs
        self.spec = spec
        self.port = port
        self.queue: Queue = sqs.queue(spec.queue)
        self.active = 0
        self.batches = 0

    def start(self) -> None:
        if self.spec.enabled:
            self.k.clock.process(self._poll())

    def _poll(self):
        clock = self.k.clock
        while True:
            if not self.queue.has_receivable(clock.now_s):
                yield self.queue.available
                continue
            if self._at_max() or self.port.try_acquire(self.spec.function):
                yield self.port.capacity_freed(self.spec.function) | self.queue.available
                continue
            batch = self.sqs.receive(self.queue, self.spec.batch_size, consumer=f"esm:{self.spec.function}")
            if not batch:
                self.port.release(self.spec.function)
                continue
            self.active += 1
            self.batches += 1
            clock.process(self._handle(batch))

    def _at_max(self) -> bool:
        return self.spec.maximum_concurrency is not None and self.active >= self.spec.maximum_concurrency

    def _handle(self, batch: list[Message]):
        k = self.k
        payload = json.dumps({"Records": [self._record(m) for m in batch]}).encode()
        try:
            result = yield from self.port.invoke_for_queue(self.spec.function, payload)
            failed = self._failed_ids(result, batch)
            for m in batch:
                if m.id not in failed and m in self.queue.messages and m.in_flight:
                    self.sqs.delete(self.queue, m.receipt_handle, consumer=f"esm:{self.spec.function}")
            if failed:
                k.trace.add(k.clock.now_s, "esm.batch-failed", self.spec.function, queue=self.queue.name,
                            failed=sorted(failed), error_type=getattr(result, "error_type", "") or None)
        finally:
            self.active -= 1
            self.queue.signal()

    def _failed_ids(self, result: Any, batch: list[Message]) -> set[str]:
        """Which messages stay on the queue (with-sqs.html, "Reporting batch item failures")."""
        ids = {m.id for m in batch}
        if not result.ok:
            return ids
        if not self.spec.report_batch_item_failures:
            return set()
        try:
            body = result.payload_json()
        except ValueError:
            return ids  # an invalid JSON response fails the whole batch
        if body is None:
            return set()
        if not isinstance(body, dict):
            return ids
        failures = body.get("batchItemFailures")
        if failures in (None, []):
            return set()
        if not isinstance(failures, list):
            return ids
        out = set()
        for item in failures:
            ident = item.get("itemIdentifier") if isinstance(item, dict) else None
            if ident not in ids:
                return ids  # a missing, empty or unknown identifier fails the whole batch
            out.add(ident)
        return out

    def _record(self, m: Message) -> dict:
        q = self.queue
        attrs = {"ApproximateReceiveCount": str(m.receive_count), "SentTimestamp": str(self.sqs._ms(m.sent_s)),
                 "SenderId": "AIDASIMULATEDSENDER",
                 "ApproximateFirstReceiveTimestamp": str(self.sqs._ms(m.first_receive_s or m.sent_s))}
        if q.fifo:
            attrs.update({"SequenceNumber": f"{m.seq:020d}", "MessageGroupId": m.group_id or "",
                          "MessageDeduplicationId": m.dedup_id or ""})
        return {"messageId": m.id, "receiptHandle": m.receipt_handle, "body": m.body, "attributes": attrs,
                "messageAttributes": {name: _lambda_attr(v) for name, v in (m.attributes or {}).items()},
                "md5OfBody": m.md5, "eventSource": "aws:sqs", "eventSourceARN": q.arn, "awsRegion": self.k.region}


def _lambda_attr(v: dict) -> dict:
    out = {"stringListValues": [], "binaryListValues": [], "dataType": v.get("DataType", "String")}
    if "StringValue" in v:
        out["stringValue"] = v["StringValue"]
    if "BinaryValue" in v:
        out["binaryValue"] = v["BinaryValue"]
    return out
