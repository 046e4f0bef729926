"""One execution of a state machine: its status, history, Context object and process.

Standard and Express differ here (docs: "Choosing workflow type"): an Express
execution keeps no history and lasts at most 5 minutes; a Standard one keeps
its history (at most 25,000 events) and may run for a year.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import simpy

from sim.asl.engine import Frame, run_program
from sim.asl.env import Variables
from sim.asl.errors import StatesError, StatesErrorName, to_json
from sim.asl.history import History, payload
from sim.asl.machine import Machine

EXPRESS_MAX_S = 300.0  # docs: Express workflows run for up to five minutes
STANDARD_MAX_S = 365 * 24 * 3600.0  # docs: Standard workflows run for up to one year


class Execution:
    def __init__(self, *, arn: str, name: str, sm_arn: str, sm_name: str, machine: Machine, kind: str,
                 input: Any, role_arn: str, clock: Any, ports: Any, rng: Any, region: str,
                 trace: Any = None, history: bool | None = None) -> None:
        self.arn, self.name, self.sm_arn, self.sm_name = arn, name, sm_arn, sm_name
        self.machine, self.kind, self.input, self.role_arn = machine, kind, input, role_arn
        self.clock, self.ports, self.rng, self.region = clock, ports, rng, region
        self._trace = trace
        self.start_date: datetime = clock.now()
        self.stop_date: datetime | None = None
        self.status = "RUNNING"
        self.output: Any = None
        self.error: str | None = None
        self.cause: str | None = None
        self.history = History(lambda: clock.env.now, clock.to_datetime,
                               kind == "STANDARD" if history is None else history)
        self.ctx_execution = {"Id": arn, "Input": input, "StartTime": clock.iso(), "Name": name,
                              "RoleArn": role_arn, "RedriveCount": 0}
        self.ctx_state_machine = {"Id": sm_arn, "Name": sm_name}
        self.done: simpy.Event = clock.event()
        self.process: simpy.Process | None = None
        self._map_runs = 0
        self.mocks: Any = None  # a Step Functions Local test case (sim.asl.mockconfig.TestCaseMocks)
        self.mock_attempts: dict[str, int] = {}

    # -- running -------------------------------------------------------------------------
    def start(self) -> "Execution":
        self.process = self.clock.process(self._run())
        return self

    def _run(self):
        clock = self.clock
        started = self.history.add("ExecutionStarted", 0, self.history.enabled and {
            **payload("input", self.input), "roleArn": self.role_arn, "stateMachineArn": self.sm_arn})
        self.trace("execution.started")
        limit = self.machine.timeout_s
        if self.kind == "EXPRESS":
            limit = min(limit or EXPRESS_MAX_S, EXPRESS_MAX_S)
        timer = None
        if limit:
            timer = clock.timeout(limit)
            timer.callbacks.append(self._time_limit)
        try:
            output = yield from run_program(self.machine, self.input, Frame(self, Variables(), started))
            _check_output(output)
        except StatesError as err:
            if self.status == "RUNNING":
                self._end("FAILED", "ExecutionFailed", err.error, err.cause)
            return
        except simpy.Interrupt:
            return  # stopped or timed out: stop() / _time_limit() recorded how it ended
        finally:
            if timer is not None:
                clock.cancel(timer)
        if self.status == "RUNNING":
            self.output = output
            self._end("SUCCEEDED", "ExecutionSucceeded", None, None)

    def _time_limit(self, _timer) -> None:
        if self.status == "RUNNING" and self.process is not None and self.process.is_alive:
            self._end("TIMED_OUT", "ExecutionTimedOut", StatesErrorName.TIMEOUT, None)
            self.process.interrupt("timed out")

    def stop(self, error: str | None, cause: str | None) -> None:
        """StopExecution: the program is aborted where it stands."""
        if self.status != "RUNNING":
            return
        self._end("ABORTED", "ExecutionAborted", error, cause)
        if self.process is not None and self.process.is_alive:
            self.process.interrupt("stopped")

    def _end(self, status: str, event: str, error: str | None, cause: str | None) -> None:
        self.status, self.error, self.cause = status, error, cause
        self.stop_date = self.clock.now()
        if status == "SUCCEEDED":
            details: dict | None = payload("output", self.output)
        else:
            details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
        self.history.add(event, self.history.last_id, self.history.enabled and details)
        self.history.close()
        self.trace("execution.ended", status=status, error=error)
        if not self.done.triggered:
            self.done.succeed(self)

    # -- what states and ports ask of their execution -----------------------------------------
    def trace(self, kind: str, **attrs: Any) -> None:
        if self._trace is not None:
            self._trace(kind, self, **attrs)

    def map_run_arn(self, state_name: str) -> str:
        self._map_runs += 1
        suffix = f"{self.name}-{self._map_runs:04d}"
        return (f"arn:aws:states:{self.region}:{self.sm_arn.split(':')[4]}:mapRun:"
                f"{self.sm_name}/{state_name}:{suffix}")

    def run_child_program(self, machine: Machine, value: Any):
        """A distributed Map's child workflow: its own Context and history, no parent variables."""
        child = Execution(arn=self.arn, name=self.name, sm_arn=self.sm_arn, sm_name=self.sm_name,
                          machine=machine, kind=self.kind, input=value, role_arn=self.role_arn,
                          clock=self.clock, ports=self.ports, rng=self.rng, region=self.region,
                          trace=self._trace, history=False)
        child.mocks, child.mock_attempts = self.mocks, self.mock_attempts
        return (yield from run_program(machine, value, Frame(child, Variables())))

    def describe(self) -> dict:
        out: dict[str, Any] = {"executionArn": self.arn, "stateMachineArn": self.sm_arn, "name": self.name,
                               "status": self.status, "startDate": self.start_date,
                               "input": to_json(self.input), "inputDetails": {"included": True},
                               "redriveCount": 0, "redriveStatus": "NOT_REDRIVABLE"}
        if self.stop_date is not None:
            out["stopDate"] = self.stop_date
        if self.status == "SUCCEEDED":
            out["output"] = to_json(self.output)
            out["outputDetails"] = {"included": True}
        if self.error is not None:
            out["error"] = self.error
        if self.cause is not None:
            out["cause"] = self.cause
        return out


def _check_output(output: Any) -> None:
    from sim.asl.dataflow import MAX_PAYLOAD_BYTES
    if len(to_json(output).encode()) > MAX_PAYLOAD_BYTES:
        raise StatesError(StatesErrorName.DATA_LIMIT_EXCEEDED,
                          "The state/task returned a result with a size exceeding the maximum number of bytes "
                          "service limit.")


def _defuse(event: simpy.Event) -> None:
    event.defused = True
