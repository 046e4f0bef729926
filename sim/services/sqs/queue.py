"""One SQS queue: visibility, receive counts, redrive, retention, FIFO groups
and deduplication, on the virtual clock.

Semantics (Amazon SQS Developer Guide):
* A received message is hidden for the visibility timeout, then visible again
  with ApproximateReceiveCount + 1 (sqs-visibility-timeout.html).
* With a redrive policy, a message whose receive count has reached
  maxReceiveCount is moved to the dead-letter queue instead of being received
  again (sqs-dead-letter-queues.html).
* FIFO: messages of one MessageGroupId are received in order, and none is
  received while another of its group is in flight; a MessageDeduplicationId
  (or the body's SHA-256 with content-based deduplication) seen in the last
  5 minutes is accepted but not enqueued again (FIFO-queues-exactly-once-processing.html).
* Messages older than the retention period are deleted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

from sim.errors import AwsError
from sim.stack.spec import QueueSpec

DEDUP_WINDOW_S = 300.0


@dataclass
class Message:
    id: str
    body: str
    attributes: dict[str, Any]
    sent_s: float
    visible_at: float
    group_id: str | None = None
    dedup_id: str | None = None
    seq: int = 0
    receive_count: int = 0
    first_receive_s: float | None = None
    receipt_handle: str | None = None
    in_flight: bool = False
    system: dict[str, str] = field(default_factory=dict)
    visibility_timer: Any = field(default=None, repr=False)  # the pending timeout of the current receive

    @property
    def md5(self) -> str:
        return hashlib.md5(self.body.encode()).hexdigest()


class Queue:
    def __init__(self, spec: QueueSpec, arn: str, url: str, hooks: "QueueHooks") -> None:
        self.spec = spec
        self.arn = arn
        self.url = url
        self.hooks = hooks
        self.messages: list[Message] = []
        self.by_handle: dict[str, Message] = {}
        self.dedup: dict[tuple[str, str], tuple[float, str, int]] = {}
        self.seq = 0
        self.available = hooks.new_event()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def fifo(self) -> bool:
        return self.spec.fifo

    def signal(self) -> None:
        """Wake everyone waiting for a receivable message."""
        ev, self.available = self.available, self.hooks.new_event()
        ev.succeed()

    # -- sending ---------------------------------------------------------------
    def dedup_key(self, body: str, group_id: str | None, dedup_id: str | None) -> tuple[str, str]:
        if dedup_id is None:
            if not self.spec.content_based_deduplication:
                raise AwsError("The queue should either have ContentBasedDeduplication enabled or "
                               "MessageDeduplicationId provided explicitly", "InvalidParameterValue")
            dedup_id = hashlib.sha256(body.encode()).hexdigest()
        scope = group_id if self.spec.deduplication_scope == "messageGroup" else ""
        return (scope or "", dedup_id)

    def enqueue(self, msg: Message, now_s: float) -> tuple[Message, bool]:
        """Add ``msg``; for FIFO returns (original, False) when it is a duplicate."""
        if self.fifo:
            key = self.dedup_key(msg.body, msg.group_id, msg.dedup_id)
            seen = self.dedup.get(key)
            if seen is not None and seen[0] > now_s:
                return Message(seen[1], msg.body, {}, now_s, now_s, seq=seen[2]), False
            self.seq += 1
            msg.seq = self.seq
            msg.dedup_id = key[1]
            self.dedup[key] = (now_s + DEDUP_WINDOW_S, msg.id, msg.seq)
        self.messages.append(msg)
        return msg, True

    # -- receiving -------------------------------------------------------------
    def _blocked_groups(self) -> set[str]:
        return {m.group_id for m in self.messages if m.in_flight and m.group_id is not None}

    def candidates(self, now_s: float) -> list[Message]:
        """Messages that a receive at ``now_s`` could return, in delivery order."""
        visible = [m for m in self.messages if not m.in_flight and m.visible_at <= now_s]
        if not self.fifo:
            return visible
        blocked = self._blocked_groups()
        return [m for m in visible if m.group_id not in blocked]

    def has_receivable(self, now_s: float) -> bool:
        return bool(self.candidates(now_s))

    def take(self, max_n: int, now_s: float, visibility_s: float,
             make_handle: Callable[[], str]) -> tuple[list[Message], list[Message]]:
        """Receive up to ``max_n`` messages; returns (received, to_dead_letter)."""
        received: list[Message] = []
        dead: list[Message] = []
        limit = self.spec.redrive.max_receive_count if self.spec.redrive else None
        for m in self.candidates(now_s):
            if len(received) >= max_n:
                break
            if limit is not None and m.receive_count >= limit:
                dead.append(m)
                continue
            m.receive_count += 1
            m.first_receive_s = m.first_receive_s if m.first_receive_s is not None else now_s
            m.in_flight = True
            m.visible_at = now_s + visibility_s
            m.receipt_handle = make_handle()
            self.by_handle[m.receipt_handle] = m
            received.append(m)
        for m in dead:
            self.remove(m)
        return received, dead

    def remove(self, m: Message) -> None:
        self.messages.remove(m)
        if m.receipt_handle:
            self.by_handle.pop(m.receipt_handle, None)

    def message_for(self, handle: str) -> Message:
        m = self.by_handle.get(handle)
        if m is None or m not in self.messages:
            raise AwsError(f'The input receipt handle "{handle}" is not a valid receipt handle.', "ReceiptHandleIsInvalid")
        return m

    def counts(self, now_s: float) -> dict[str, int]:
        visible = sum(1 for m in self.messages if not m.in_flight and m.visible_at <= now_s)
        delayed = sum(1 for m in self.messages if not m.in_flight and m.visible_at > now_s)
        in_flight = sum(1 for m in self.messages if m.in_flight)
        return {"ApproximateNumberOfMessages": visible, "ApproximateNumberOfMessagesNotVisible": in_flight,
                "ApproximateNumberOfMessagesDelayed": delayed}


class QueueHooks:
    """What a queue needs from its service: events to wake waiters."""

    def __init__(self, new_event: Callable[[], Any]) -> None:
        self.new_event = new_event
