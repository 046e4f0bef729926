"""An execution's history in the shape of GetExecutionHistory.

Each event has AWS's type name, a counter id, the id of the event before it on
the same thread of execution (a Parallel branch or Map iteration has its own
thread, so previousEventId is not simply id - 1), a timestamp on the virtual
clock, and a details object named for its type (``taskScheduledEventDetails``).
Express executions keep no history (AWS: GetExecutionHistory is Standard-only).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from sim.asl.errors import to_json

PAYLOAD_FIELDS = ("input", "output")
# Event types whose details object is not lowerFirst(type) + "EventDetails".
_DETAILS_KEY = {"StateEntered": "stateEnteredEventDetails", "StateExited": "stateExitedEventDetails"}


def details_key(event_type: str) -> str:
    for suffix, key in _DETAILS_KEY.items():
        if event_type.endswith(suffix):
            return key
    return event_type[0].lower() + event_type[1:] + "EventDetails"


class History:
    __slots__ = ("events", "now", "enabled", "last_id")

    def __init__(self, now: Callable[[], datetime], enabled: bool = True) -> None:
        self.events: list[dict[str, Any]] = []
        self.now = now
        self.enabled = enabled
        self.last_id = 0

    def add(self, event_type: str, previous_id: int, details: dict[str, Any] | None = None) -> int:
        """Record one event; returns its id (ids count even when history is off, so causes
        that name an event id read the same for Standard and Express)."""
        self.last_id += 1
        if self.enabled:
            event: dict[str, Any] = {"timestamp": self.now(), "type": event_type, "id": self.last_id,
                                     "previousEventId": previous_id}
            if details is not None:
                event[details_key(event_type)] = details
            self.events.append(event)
        return self.last_id

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]


def payload(name: str, value: Any) -> dict[str, Any]:
    """A payload field with its ``<name>Details`` companion, as the history shows them."""
    return {name: to_json(value), f"{name}Details": {"truncated": False}}
