"""An execution's history in the shape of GetExecutionHistory.

Each event has AWS's type name, a counter id, the id of the event before it on
the same thread of execution (a Parallel branch or Map iteration has its own
thread, so previousEventId is not simply id - 1), a timestamp on the virtual
clock, and a details object named for its type (``taskScheduledEventDetails``).
Express executions keep no history (AWS: GetExecutionHistory is Standard-only).
"""

from __future__ import annotations

from typing import Any, Callable

from sim.asl.errors import to_json

PAYLOAD_FIELDS = ("input", "output")
# Event types whose details object is not lowerFirst(type) + "EventDetails".
_DETAILS_KEY = {"StateEntered": "stateEnteredEventDetails", "StateExited": "stateExitedEventDetails"}


def details_key(event_type: str, _cache: dict[str, str] = {}) -> str:  # noqa: B006 (a pure memo)
    key = _cache.get(event_type)
    if key is None:
        key = next((k for suffix, k in _DETAILS_KEY.items() if event_type.endswith(suffix)),
                   event_type[0].lower() + event_type[1:] + "EventDetails")
        _cache[event_type] = key
    return key


class Json:
    """A value kept as it is and written as JSON text only when the history is read
    (the engine never mutates a value once a state has produced it)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class History:
    """Events as recorded: timestamps in clock seconds, payloads as ``Json``; ``aws()`` gives
    them in GetExecutionHistory's shape."""

    __slots__ = ("events", "now_s", "to_datetime", "enabled", "last_id", "closed")

    def __init__(self, now_s: Callable[[], float], to_datetime: Callable[[float], Any], enabled: bool = True) -> None:
        self.events: list[dict[str, Any]] = []
        self.now_s = now_s
        self.to_datetime = to_datetime
        self.enabled = enabled
        self.last_id = 0
        self.closed = False  # the execution's terminal event is recorded: nothing comes after it

    def add(self, event_type: str, previous_id: int, details: dict[str, Any] | None = None) -> int:
        """Record one event; returns its id (ids count even when history is off, so causes
        that name an event id read the same for Standard and Express). Nothing is recorded
        after the terminal event (``close``): a stopped or timed-out program unwinds silently."""
        if self.closed:
            return self.last_id
        self.last_id += 1
        if self.enabled:
            event: dict[str, Any] = {"timestamp": self.now_s(), "type": event_type, "id": self.last_id,
                                     "previousEventId": previous_id}
            if details is not None:
                event[details_key(event_type)] = details
            self.events.append(event)
        return self.last_id

    def close(self) -> None:
        self.closed = True

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def named(self, event_type: str, previous_id: int, name: str, field: str, value: Any) -> int:
        """An event whose details are {name, <field>: JSON, <field>Details} (entered/exited), kept
        compact: these are most of a history, and they are written out only when read."""
        self.last_id += 1
        if self.enabled:
            self.events.append({"timestamp": self.now_s(), "type": event_type, "id": self.last_id,
                                "previousEventId": previous_id, details_key(event_type): (name, field, value)})
        return self.last_id

    def aws(self) -> list[dict[str, Any]]:
        """The events as GetExecutionHistory returns them (datetimes, JSON text)."""
        return [{k: (self.to_datetime(v) if k == "timestamp" else _written(v)) for k, v in e.items()}
                for e in self.events]


def _written(value: Any) -> Any:
    if isinstance(value, tuple):  # (name, field, value) from History.named
        name, field, payload_value = value
        return {"name": name, field: to_json(payload_value), f"{field}Details": {"truncated": False}}
    if isinstance(value, Json):
        return to_json(value.value)
    if isinstance(value, dict):
        return {k: _written(v) for k, v in value.items()}
    return value


def payload(name: str, value: Any) -> dict[str, Any]:
    """A payload field with its ``<name>Details`` companion, as the history shows them."""
    return {name: Json(value), f"{name}Details": {"truncated": False}}
