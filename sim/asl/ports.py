"""What the interpreter needs from the outside world, as a Protocol it declares.

The interpreter never imports a service: the Step Functions service model
implements ``TaskPorts`` (Lambda through the kernel, other integrations through
the API front and the emulator) and hands it to each execution.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Generator, Protocol

import simpy

SimProcess = Generator[simpy.Event, Any, Any]


def parse_resource(resource: str) -> tuple[str, str, str, str | None]:
    """(kind, service, action, pattern) for a Task's Resource.

    kind: "lambda" (a bare function ARN), "activity", or "integration"
    (``arn:aws:states:::service:action[.sync|.sync:2|.waitForTaskToken]``; aws-sdk
    integrations keep "aws-sdk:<service>" as their service).
    """
    parts = resource.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        return "lambda", "lambda", "invoke", None
    if len(parts) >= 7 and parts[2] == "states" and parts[5] == "activity":
        return "activity", "states", parts[6], None
    if resource.startswith("arn:aws:states:::") or (len(parts) > 5 and parts[2] == "states" and parts[3] == ""):
        rest = resource.split(":::", 1)[1]
        pattern = None
        for suffix in (".sync:2", ".sync", ".waitForTaskToken"):
            if rest.endswith(suffix):
                rest, pattern = rest[: -len(suffix)], suffix[1:]
                break
        service, _, action = rest.rpartition(":")
        return "integration", service, action, pattern
    return "unknown", "", "", None


@dataclass(eq=False)
class TaskRequest:
    """One attempt of one Task state, as the ports see it."""

    resource: str
    kind: str
    service: str
    action: str
    pattern: str | None
    parameters: Any
    state_name: str
    execution: Any  # sim.asl.execution.Execution
    timeout_s: float | None = None
    heartbeat_s: float | None = None
    token: str | None = None
    last_beat_s: float = 0.0
    closed: bool = False  # timed out or aborted: late answers are refused
    on_started: Callable[[dict], None] | None = None  # ActivityStarted (worker name)
    on_submitted: Callable[[Any], None] | None = None  # TaskSubmitted (.sync, .waitForTaskToken)
    callback: simpy.Event | None = None  # answered by SendTask* (set by the ports)
    extra: dict = field(default_factory=dict)

    def beat(self, now_s: float) -> None:
        self.last_beat_s = now_s


class TaskPorts(Protocol):
    region: str
    account_id: str

    def run_task(self, req: TaskRequest) -> SimProcess:
        """Do one attempt: returns the task's result, or raises StatesError."""
        ...

    def new_token(self, execution: Any, state_name: str) -> str:
        """A task token SendTaskSuccess/Failure/Heartbeat can answer."""
        ...

    def read_items(self, reader: dict, parameters: Any, execution: Any) -> SimProcess:
        """Distributed Map ItemReader: the items (a list), or raises StatesError."""
        ...
