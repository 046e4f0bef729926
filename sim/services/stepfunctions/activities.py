"""Activities: Task states that wait for a worker to poll GetActivityTask and answer.

GetActivityTask long-polls for up to 60 seconds (docs: GetActivityTask) on the
virtual clock; a task is handed to one worker only, in scheduling order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sim.asl.errors import StatesError, to_json
from sim.asl.ports import TaskRequest
from sim.errors import aws_error
from sim.services.base import Kernel

POLL_S = 60.0  # docs: GetActivityTask waits up to 60 seconds


@dataclass(eq=False)
class Activity:
    arn: str
    name: str
    created: Any
    queue: deque = field(default_factory=deque)
    pollers: deque = field(default_factory=deque)


class Activities:
    def __init__(self, k: Kernel, integrations: Any) -> None:
        self.k = k
        self.integrations = integrations
        self.by_arn: dict[str, Activity] = {}

    def create(self, name: str) -> str:
        arn = self.k.arn("states", f"activity:{name}")
        self.by_arn.setdefault(arn, Activity(arn, name, self.k.clock.now()))
        return arn

    def get(self, arn: str) -> Activity:
        act = self.by_arn.get(arn)
        if act is None:
            raise aws_error("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'", 400)
        return act

    def delete(self, arn: str) -> None:
        self.by_arn.pop(arn, None)

    def all(self) -> list[Activity]:
        return list(self.by_arn.values())

    # -- the Task side ------------------------------------------------------------------------
    def run(self, req: TaskRequest):
        act = self.by_arn.get(req.resource)
        if act is None:
            raise StatesError("States.Runtime", f"Activity Does Not Exist: '{req.resource}'")
        answered = self.integrations._await_token(req)
        while act.pollers:
            poller = act.pollers.popleft()
            if not poller.triggered:
                poller.succeed(req)
                break
        else:
            act.queue.append(req)
        outcome = yield answered
        if outcome[0] == "success":
            return outcome[1]
        raise StatesError(outcome[1] or "", outcome[2])

    # -- the worker side ------------------------------------------------------------------------
    def get_task(self, arn: str, worker: str):
        act = self.get(arn)
        req = self._next_open(act)
        if req is None:
            poll = self.k.clock.event()
            act.pollers.append(poll)
            timer = self.k.clock.timeout(POLL_S, daemon=True)
            yield self.k.clock.env.any_of([poll, timer])
            if not poll.triggered:
                act.pollers.remove(poll)
                return {}
            req = poll.value
        if req.on_started:
            req.on_started({"workerName": worker})
        return {"taskToken": req.token, "input": to_json(req.parameters)}

    @staticmethod
    def _next_open(act: Activity) -> TaskRequest | None:
        while act.queue:
            req = act.queue.popleft()
            if not req.closed:
                return req
        return None
