"""The Task state: one attempt at a time, bounded by TimeoutSeconds and HeartbeatSeconds
on the virtual clock, with the history events of its resource kind."""

from __future__ import annotations

from typing import Any

import simpy

from sim.asl import dataflow as df, jsonata_, paths
from sim.asl.engine import Frame, SimProcess, result_step
from sim.asl.errors import StatesError, StatesErrorName, query_error, runtime_error, to_json
from sim.asl.history import Json, payload
from sim.asl.machine import JSONATA, StateDecl
from sim.asl.ports import TaskRequest, parse_resource

# History event names per resource kind: scheduled, started, submitted, succeeded, failed, timed out.
EVENTS = {
    "lambda": ("LambdaFunctionScheduled", "LambdaFunctionStarted", None, "LambdaFunctionSucceeded",
               "LambdaFunctionFailed", "LambdaFunctionTimedOut"),
    "activity": ("ActivityScheduled", "ActivityStarted", None, "ActivitySucceeded", "ActivityFailed",
                 "ActivityTimedOut"),
    "integration": ("TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskFailed",
                    "TaskTimedOut"),
}


def task_state(state: StateDecl, raw_input: Any, frame: Frame) -> SimProcess:
    resource = state.raw.get("Resource", "")
    kind, service, action, pattern = parse_resource(resource)
    if kind == "unknown":
        raise runtime_error(f"The resource '{resource}' is not a supported Task resource.")
    if pattern == "waitForTaskToken" or kind == "activity":
        token = frame.ex.ports.new_token(frame.ex, state.name)
        frame.extra_ctx = {"Task": {"Token": token}}
    else:
        token = None
    env = frame.env()
    if state.ql == JSONATA:
        states = df.states_binding(env, raw_input)
        params = df.jsonata_field(state.raw, "Arguments", states, env, raw_input if kind != "integration" else None)
    else:
        states = None
        params = df.effective_input(state, raw_input, env)
    timeout_s = _seconds(state, "TimeoutSeconds", raw_input, env, states)
    heartbeat_s = _seconds(state, "HeartbeatSeconds", raw_input, env, states)
    req = TaskRequest(resource, kind, service, action, pattern, params, state.name, frame.ex,
                      timeout_s, heartbeat_s, token)
    result = yield from attempt(req, frame)
    return result_step(state, raw_input, result, env)


def _seconds(state: StateDecl, name: str, raw_input: Any, env, states) -> float | None:
    raw = state.raw
    if name in raw:
        value = raw[name]
        if isinstance(value, str) and state.ql == JSONATA:
            value = jsonata_.render(value, states, env, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise query_error(f"The {name} field must be a positive integer, but was: {to_json(value)}")
        return float(value)
    path = raw.get(f"{name}Path")
    if path is None:
        return None
    try:
        value = paths.resolve(path, df.input_path(state, raw_input, env), env, f"{name}Path")
    except StatesError:
        raise runtime_error(f"Invalid path '{path}' : No results for path: {_bracketed(path)}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise runtime_error(f"The {name}Path parameter references an invalid value: {path} == {to_json(value)}")
    return float(value)


def _bracketed(path: str) -> str:
    """$.a.b as Jayway prints it in "No results for path": $['a']['b']."""
    keys = [k for k in path.lstrip("$").split(".") if k]
    return "$" + "".join(f"['{k}']" for k in keys)


# -- one attempt -------------------------------------------------------------------------------
def attempt(req: TaskRequest, frame: Frame) -> SimProcess:
    ex, h = frame.ex, frame.ex.history
    clock = ex.clock
    names = EVENTS[req.kind]
    common = _common(req, ex)
    frame.prev = h.add(names[0], frame.prev, h.enabled and _scheduled(req, common, ex))
    if req.kind != "activity":
        frame.prev = h.add(names[1], frame.prev, h.enabled and (dict(common) if req.kind == "integration" else None))
    else:
        def started(details: dict) -> None:
            frame.prev = h.add(names[1], frame.prev, h.enabled and details)
        req.on_started = started
    if names[2]:
        def submitted(output: Any) -> None:
            frame.prev = h.add(names[2], frame.prev, h.enabled and {**common, **payload("output", output)})
        req.on_submitted = submitted
    req.last_beat_s = clock.now_s
    try:
        result = yield from _bounded(req, clock)
        df.check_size(result, _size_name(req))
    except StatesError as err:
        timed_out = err.error in (StatesErrorName.TIMEOUT, StatesErrorName.HEARTBEAT_TIMEOUT) and err.extra_timeout
        event = names[5] if timed_out else names[4]
        details = {**common, "error": err.error}
        if err.cause is not None:
            details["cause"] = err.cause
        frame.prev = h.add(event, frame.prev, h.enabled and details)
        raise
    frame.prev = h.add(names[3], frame.prev, h.enabled and {**common, **payload("output", result)})
    return result


def _common(req: TaskRequest, ex) -> dict:
    if req.kind == "integration":
        resource = req.action + (f".{req.pattern}" if req.pattern else "")
        return {"resourceType": req.service, "resource": resource}
    return {}


def _scheduled(req: TaskRequest, common: dict, ex) -> dict:
    if req.kind == "integration":
        details = {**common, "region": ex.region, "parameters": Json(req.parameters)}
    else:
        details = {"resource": req.resource, **payload("input", req.parameters)}
    if req.timeout_s is not None:
        details["timeoutInSeconds"] = int(req.timeout_s)
    if req.heartbeat_s is not None:
        details["heartbeatInSeconds"] = int(req.heartbeat_s)
    return details


def _size_name(req: TaskRequest) -> str:
    return req.resource if req.kind != "integration" else req.service


def _bounded(req: TaskRequest, clock) -> SimProcess:
    """The ports' work, raced against the task's timeout and heartbeat timers."""
    proc = clock.process(req.execution.ports.run_task(req))
    deadline = clock.timeout(req.timeout_s) if req.timeout_s else None
    beat = None
    try:
        while True:
            if req.heartbeat_s:
                beat = clock.timeout(max(0.0, req.last_beat_s + req.heartbeat_s - clock.now_s))
            waiting = clock.env.any_of([e for e in (proc, deadline, beat) if e is not None])
            try:
                yield waiting
            except StatesError:
                raise proc.value from None  # the ports' own error, not SimPy's copy of it
            except simpy.Interrupt:
                if waiting.callbacks is not None:  # it may still fail, with nobody waiting
                    waiting.callbacks.append(_defuse)
                raise
            if proc.triggered:
                return proc.value
            if deadline is not None and deadline.processed:
                raise _timeout(req, StatesErrorName.TIMEOUT)
            if clock.now_s - req.last_beat_s >= req.heartbeat_s:
                raise _timeout(req, StatesErrorName.HEARTBEAT_TIMEOUT if req.kind == "activity"
                               else StatesErrorName.TIMEOUT)
            clock.cancel(beat)
    except (StatesError, simpy.Interrupt):
        abandon(proc, req)
        raise
    finally:
        for timer in (deadline, beat):
            if timer is not None:
                clock.cancel(timer)


def _timeout(req: TaskRequest, name: str) -> StatesError:
    err = StatesError(name, None)
    err.extra_timeout = True
    return err


def abandon(proc: simpy.Process, req: TaskRequest) -> None:
    """Stop waiting for a task: late answers are refused, a late failure is not an error."""
    req.closed = True
    if not proc.triggered:
        proc.callbacks.append(_defuse)


def _defuse(event: simpy.Event) -> None:
    event.defused = True
