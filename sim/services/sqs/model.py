"""Amazon SQS on the virtual clock: the service, its API, and the ledger of messages."""

from __future__ import annotations

import hashlib

from sim.errors import AwsError, SimError
from sim.services.base import Kernel
from sim.services.sqs.queue import Message, Queue, QueueHooks
from sim.stack.spec import QueueSpec

NON_EXISTENT = "AWS.SimpleQueueService.NonExistentQueue"
# legacy Query error code -> modelled exception shape (botocore's SQS JSON-protocol mapping)
ERROR_SHAPES = {NON_EXISTENT: "QueueDoesNotExist", "ReceiptHandleIsInvalid": "ReceiptHandleIsInvalid",
                "MessageNotInflight": "MessageNotInflight",
                "AWS.SimpleQueueService.EmptyBatchRequest": "EmptyBatchRequest",
                "AWS.SimpleQueueService.TooManyEntriesInBatchRequest": "TooManyEntriesInBatchRequest",
                "InvalidParameterValue": "InvalidParameterValue", "MissingParameter": "MissingParameter"}
MAX_BATCH = 10  # ReceiveMessage MaxNumberOfMessages and SendMessageBatch entries
MAX_WAIT_S = 20  # long polling


class SqsService:
    def __init__(self, k: Kernel, queues: list[QueueSpec]) -> None:
        self.k = k
        hooks = QueueHooks(k.clock.event)
        self.queues: dict[str, Queue] = {}
        for spec in queues:
            self.queues[spec.name] = Queue(spec, k.arn("sqs", spec.name), self.url(spec.name), hooks)
        self.requests = 0

    def url(self, name: str) -> str:
        return f"https://sqs.{self.k.region}.amazonaws.com/{self.k.account_id}/{name}"

    def queue(self, ref: str) -> Queue:
        name = ref.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        q = self.queues.get(name)
        if q is None:
            raise AwsError("The specified queue does not exist.", NON_EXISTENT)
        return q

    # -- the model ---------------------------------------------------------------
    def send(self, q: Queue, body: str, origin: str, attributes: dict | None = None, delay_s: int | None = None,
             group_id: str | None = None, dedup_id: str | None = None) -> Message:
        k, now = self.k, self.k.clock.now_s
        self._validate_send(q, body, group_id, delay_s)
        delay = q.spec.delay_s if delay_s is None else delay_s
        msg = Message(k.uuid(f"sqs.message.{q.name}"), body, dict(attributes or {}), now, now + delay,
                      group_id=group_id, dedup_id=dedup_id)
        stored, fresh = q.enqueue(msg, now)
        if not fresh:
            k.trace.add(now, "sqs.deduplicated", q.name, message_id=stored.id, dedup_id=q.dedup_key(body, group_id, dedup_id)[1])
            return stored
        k.ledger.open(now, msg.id, "sqs-message", origin)
        k.ledger.note(now, msg.id, "enqueued", q.name)
        k.trace.add(now, "sqs.sent", q.name, message_id=msg.id, group_id=group_id, origin=origin)
        copies = self._delivery_faults(q, msg)
        if copies == 0:
            return msg
        for _ in range(copies - 1):  # at-least-once delivery: the same message id, stored twice
            twin = Message(msg.id, body, dict(attributes or {}), now, msg.visible_at, group_id=group_id)
            q.messages.append(twin)
            self._arm(q, twin)
        self._arm(q, msg)
        return msg

    def _arm(self, q: Queue, msg: Message) -> None:
        clock = self.k.clock
        if msg.visible_at > clock.now_s:
            clock.timeout(msg.visible_at - clock.now_s).callbacks.append(lambda _e: q.signal())
        else:
            q.signal()
        retention = clock.timeout(q.spec.retention_s, daemon=True)
        retention.callbacks.append(lambda _e, m=msg: self._expire(q, m))

    def _delivery_faults(self, q: Queue, msg: Message) -> int:
        """Apply delivery faults to a new message; returns how many copies to store (0 = dropped)."""
        k, now = self.k, self.k.clock.now_s
        copies = 1
        for action in k.faults.check("delivery", now, channel="sqs", resource=q.name):
            if action.kind == "drop":
                q.messages.remove(msg)
                k.ledger.close(now, msg.id, "dropped", f"fault: message to {q.name} dropped")
                return 0
            if action.kind == "duplicate":
                if q.fifo:
                    raise SimError(f"fault plan: a duplicate delivery cannot be injected on FIFO queue {q.name} "
                                   f"(FIFO queues deliver exactly once); target a standard queue or a rule")
                copies += 1
            elif action.kind in ("delay", "reorder"):
                extra = action.seconds if action.kind == "delay" else \
                    k.streams.rng(f"sqs.reorder.{q.name}").uniform(0.0, action.seconds)
                msg.visible_at += extra
        return copies

    def _validate_send(self, q: Queue, body: str, group_id: str | None, delay_s: int | None) -> None:
        size = len(body.encode())
        if size > q.spec.max_message_bytes:
            raise AwsError(f"One or more parameters are invalid. Reason: Message must be shorter than "
                           f"{q.spec.max_message_bytes} bytes.", "InvalidParameterValue")
        if q.fifo and not group_id:
            raise AwsError("The request must contain the parameter MessageGroupId.", "MissingParameter")
        if q.fifo and delay_s:
            raise AwsError("Value " + str(delay_s) + " for parameter DelaySeconds is invalid. Reason: The request "
                           "include parameter that is not valid for this queue type.", "InvalidParameterValue")

    def receive(self, q: Queue, max_n: int, visibility_s: float | None = None, consumer: str = "") -> list[Message]:
        k, now = self.k, self.k.clock.now_s
        vt = q.spec.visibility_timeout_s if visibility_s is None else visibility_s
        received, dead = q.take(max_n, now, vt, lambda: k.streams.hex(f"sqs.receipt.{q.name}", 24))
        for m in dead:
            self._to_dead_letter(q, m)
        for m in received:
            k.ledger.note(now, m.id, "received", f"{consumer or 'ReceiveMessage'} (count {m.receive_count})")
            k.trace.add(now, "sqs.received", q.name, message_id=m.id, receive_count=m.receive_count,
                        consumer=consumer or None)
            self._stop_visibility_timer(m)
            timer = k.clock.timeout(vt)
            timer.callbacks.append(lambda _e, m=m, h=m.receipt_handle: self._visibility_expired(q, m, h))
            m.visibility_timer = timer
        return received

    def _stop_visibility_timer(self, m: Message) -> None:
        """A deleted (or re-timed) message's old timeout no longer keeps the run going."""
        if m.visibility_timer is not None:
            self.k.clock.cancel(m.visibility_timer)
            m.visibility_timer = None

    def _visibility_expired(self, q: Queue, m: Message, handle: str) -> None:
        if m in q.messages and m.in_flight and m.receipt_handle == handle:
            m.in_flight = False
            self.k.trace.add(self.k.clock.now_s, "sqs.visible-again", q.name, message_id=m.id,
                             receive_count=m.receive_count)
            q.signal()

    def _to_dead_letter(self, q: Queue, m: Message) -> None:
        k = self.k
        dlq = self.queue(q.spec.redrive.dead_letter_queue)
        now = k.clock.now_s
        m.in_flight, m.visible_at, m.receipt_handle = False, now, None
        if dlq.fifo:
            dlq.seq += 1
            m.seq = dlq.seq
        dlq.messages.append(m)
        k.ledger.note(now, m.id, "redriven", f"{q.name} -> {dlq.name} after {m.receive_count} receives")
        k.ledger.close(now, m.id, "dlq", dlq.name)
        k.trace.add(now, "sqs.dead-lettered", q.name, message_id=m.id, dlq=dlq.name, receive_count=m.receive_count)
        dlq.signal()
        q.signal()

    def delete(self, q: Queue, handle: str, consumer: str = "") -> None:
        m = q.message_for(handle)
        q.remove(m)
        self._stop_visibility_timer(m)
        now = self.k.clock.now_s
        entry = self.k.ledger.entries.get(m.id)
        if entry is not None and entry.status == "open":
            self.k.ledger.close(now, m.id, "deleted", consumer or "DeleteMessage")
        elif entry is not None:
            self.k.ledger.note(now, m.id, "deleted", f"from {q.name}")
        self.k.trace.add(now, "sqs.deleted", q.name, message_id=m.id, consumer=consumer or None)
        q.signal()  # a FIFO group may be unblocked

    def change_visibility(self, q: Queue, handle: str, timeout_s: int) -> None:
        m = q.message_for(handle)
        if not m.in_flight:
            raise AwsError("Message does not exist or is not available for visibility timeout change.",
                           "MessageNotInflight")
        now = self.k.clock.now_s
        m.visible_at = now + timeout_s
        self.k.trace.add(now, "sqs.visibility-changed", q.name, message_id=m.id, timeout_s=timeout_s)
        if timeout_s == 0:
            self._visibility_expired(q, m, handle)
            return
        self._stop_visibility_timer(m)
        timer = self.k.clock.timeout(timeout_s)
        timer.callbacks.append(lambda _e, h=handle: self._visibility_expired(q, m, h)
                               if m.visible_at <= self.k.clock.now_s else None)
        m.visibility_timer = timer

    def _expire(self, q: Queue, m: Message) -> None:
        if m in q.messages:
            q.remove(m)
            self.k.ledger.close(self.k.clock.now_s, m.id, "expired", f"retention period of {q.name}")
            self.k.trace.add(self.k.clock.now_s, "sqs.expired", q.name, message_id=m.id)

    def purge(self, q: Queue) -> None:
        for m in list(q.messages):
            q.remove(m)
            self.k.ledger.close(self.k.clock.now_s, m.id, "dropped", f"PurgeQueue on {q.name}")

    # -- the boto3 API -----------------------------------------------------------
    def api(self, op: str, params: dict, caller: str):
        self.requests += 1
        handler = getattr(self, f"_api_{op}", None)
        if handler is None:
            raise AwsError(f"the simulator does not model sqs:{op}", "InvalidAction")
        try:
            result = handler(params, caller)
            if hasattr(result, "send"):  # a generator: long polling waits on the clock
                result = yield from result
        except AwsError as exc:
            exc.shape = ERROR_SHAPES.get(exc.code)
            raise
        return result

    def _api_GetQueueUrl(self, p: dict, caller: str) -> dict:
        return {"QueueUrl": self.queue(p["QueueName"]).url}

    def _api_ListQueues(self, p: dict, caller: str) -> dict:
        prefix = p.get("QueueNamePrefix", "")
        return {"QueueUrls": [q.url for n, q in self.queues.items() if n.startswith(prefix)]}

    def _api_GetQueueAttributes(self, p: dict, caller: str) -> dict:
        q = self.queue(p["QueueUrl"])
        attrs = {"QueueArn": q.arn, "VisibilityTimeout": str(q.spec.visibility_timeout_s),
                 "MessageRetentionPeriod": str(q.spec.retention_s), "DelaySeconds": str(q.spec.delay_s),
                 "FifoQueue": str(q.fifo).lower()}
        attrs.update({k: str(v) for k, v in q.counts(self.k.clock.now_s).items()})
        if q.spec.redrive:
            attrs["RedrivePolicy"] = ('{"deadLetterTargetArn":"%s","maxReceiveCount":%d}'
                                      % (self.queue(q.spec.redrive.dead_letter_queue).arn, q.spec.redrive.max_receive_count))
        wanted = p.get("AttributeNames") or ["All"]
        return {"Attributes": attrs if "All" in wanted else {k: v for k, v in attrs.items() if k in wanted}}

    def _api_SendMessage(self, p: dict, caller: str) -> dict:
        q = self.queue(p["QueueUrl"])
        m = self.send(q, p["MessageBody"], caller, p.get("MessageAttributes"), p.get("DelaySeconds"),
                      p.get("MessageGroupId"), p.get("MessageDeduplicationId"))
        out = {"MessageId": m.id, "MD5OfMessageBody": hashlib.md5(p["MessageBody"].encode()).hexdigest()}
        if q.fifo:
            out["SequenceNumber"] = f"{m.seq:020d}"
        return out

    def _api_SendMessageBatch(self, p: dict, caller: str) -> dict:
        q = self.queue(p["QueueUrl"])
        entries = p.get("Entries", [])
        if not entries:
            raise AwsError("There should be at least one SendMessageBatchRequestEntry in the request.",
                           "AWS.SimpleQueueService.EmptyBatchRequest")
        if len(entries) > MAX_BATCH:
            raise AwsError(f"Maximum number of entries per request are {MAX_BATCH}. You have sent {len(entries)}.",
                           "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
        ok, failed = [], []
        for e in entries:
            try:
                m = self.send(q, e["MessageBody"], caller, e.get("MessageAttributes"), e.get("DelaySeconds"),
                              e.get("MessageGroupId"), e.get("MessageDeduplicationId"))
                ok.append({"Id": e["Id"], "MessageId": m.id,
                           "MD5OfMessageBody": hashlib.md5(e["MessageBody"].encode()).hexdigest()})
            except AwsError as exc:
                failed.append({"Id": e["Id"], "SenderFault": True, "Code": exc.code, "Message": exc.message})
        return {"Successful": ok, "Failed": failed}

    def _api_ReceiveMessage(self, p: dict, caller: str):
        q = self.queue(p["QueueUrl"])
        max_n = int(p.get("MaxNumberOfMessages", 1))
        if not 1 <= max_n <= MAX_BATCH:
            raise AwsError(f"Value {max_n} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 "
                           f"and 10, if provided.", "InvalidParameterValue")
        wait_s = min(int(p.get("WaitTimeSeconds", 0)), MAX_WAIT_S)
        deadline = self.k.clock.now_s + wait_s
        while not q.has_receivable(self.k.clock.now_s) and self.k.clock.now_s < deadline:
            timer = self.k.clock.timeout(deadline - self.k.clock.now_s)
            yield q.available | timer
            self.k.clock.cancel(timer)  # woken by a message: the wait's end no longer matters
        msgs = self.receive(q, max_n, p.get("VisibilityTimeout"), consumer=caller)
        return {"Messages": [self._wire(q, m) for m in msgs]} if msgs else {}

    def _wire(self, q: Queue, m: Message) -> dict:
        attrs = {"ApproximateReceiveCount": str(m.receive_count), "SentTimestamp": str(self._ms(m.sent_s)),
                 "ApproximateFirstReceiveTimestamp": str(self._ms(m.first_receive_s or m.sent_s)),
                 "SenderId": "AIDASIMULATEDSENDER"}
        if q.fifo:
            attrs.update({"MessageGroupId": m.group_id or "", "MessageDeduplicationId": m.dedup_id or "",
                          "SequenceNumber": f"{m.seq:020d}"})
        out = {"MessageId": m.id, "ReceiptHandle": m.receipt_handle, "MD5OfBody": m.md5, "Body": m.body,
               "Attributes": attrs}
        if m.attributes:
            out["MessageAttributes"] = m.attributes
        return out

    def _ms(self, t_s: float) -> int:
        return int(self.k.clock.to_datetime(t_s).timestamp() * 1000)

    def _api_DeleteMessage(self, p: dict, caller: str) -> dict:
        self.delete(self.queue(p["QueueUrl"]), p["ReceiptHandle"], caller)
        return {}

    def _api_DeleteMessageBatch(self, p: dict, caller: str) -> dict:
        q = self.queue(p["QueueUrl"])
        ok, failed = [], []
        for e in p.get("Entries", []):
            try:
                self.delete(q, e["ReceiptHandle"], caller)
                ok.append({"Id": e["Id"]})
            except AwsError as exc:
                failed.append({"Id": e["Id"], "SenderFault": True, "Code": exc.code, "Message": exc.message})
        return {"Successful": ok, "Failed": failed}

    def _api_ChangeMessageVisibility(self, p: dict, caller: str) -> dict:
        self.change_visibility(self.queue(p["QueueUrl"]), p["ReceiptHandle"], int(p["VisibilityTimeout"]))
        return {}

    def _api_PurgeQueue(self, p: dict, caller: str) -> dict:
        self.purge(self.queue(p["QueueUrl"]))
        return {}
