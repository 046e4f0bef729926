"""The ledger: every event and message of a run, and what became of it.

Each message (an async invocation event, an EventBridge event per target, an
SQS message, a schedule firing) is opened when it is created and closed with
exactly one final disposition. Anything still open when a run ends is reported
as in flight, with where it is; nothing disappears without a line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

FINAL = ("delivered", "dlq", "expired", "dropped", "failed", "deleted")


@dataclass
class Entry:
    id: str
    kind: str
    origin: str
    created_s: float
    status: str = "open"
    reason: str = ""
    history: list[tuple[float, str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "origin": self.origin, "created_s": round(self.created_s, 6),
                "status": self.status, "reason": self.reason,
                "history": [[round(t, 6), s, d] for t, s, d in self.history]}


class Ledger:
    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}

    def open(self, t_s: float, msg_id: str, kind: str, origin: str) -> Entry:
        entry = Entry(msg_id, kind, origin, t_s)
        entry.history.append((t_s, "created", origin))
        self.entries[msg_id] = entry
        return entry

    def note(self, t_s: float, msg_id: str, what: str, detail: str = "") -> None:
        self.entries[msg_id].history.append((t_s, what, detail))

    def close(self, t_s: float, msg_id: str, status: str, reason: str = "") -> None:
        if status not in FINAL:
            raise ValueError(f"unknown final status {status!r}")
        entry = self.entries[msg_id]
        entry.status = status
        entry.reason = reason
        entry.history.append((t_s, status, reason))

    def get(self, msg_id: str) -> Entry:
        return self.entries[msg_id]

    def open_entries(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.status == "open"]

    def summary(self) -> dict[str, Any]:
        by_status = Counter(e.status for e in self.entries.values())
        by_kind = Counter(e.kind for e in self.entries.values())
        return {"total": len(self.entries), "by_status": dict(sorted(by_status.items())),
                "by_kind": dict(sorted(by_kind.items())),
                "in_flight": [e.id for e in self.open_entries()]}

    def as_list(self) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self.entries.values()]
