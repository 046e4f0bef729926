"""The interpreter: one fixed lifecycle for every state, on the virtual clock.

    entered event -> the state's own work (retried per Retry) -> exited event
                  \\-> on error: Catch (ResultPath/Output/Assign) or fail the program

Each state kind implements only its work (``STATE_KINDS``); data processing
lives in ``dataflow``, Task/Map/Parallel in their own modules. Every wait is a
``yield`` on the SimPy clock, so a retry backoff or a Wait of a day costs no
wall time. Values pass as return values; errors are ``StatesError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Generator

import simpy

from sim.asl import dataflow as df
from sim.asl.env import Env, Variables
from sim.asl.errors import StatesError, StatesErrorName
from sim.asl.history import Json, payload
from sim.asl.machine import JSONATA, Catcher, Machine, Retrier, StateDecl

SimProcess = Generator[simpy.Event, Any, Any]
MAX_HISTORY_EVENTS = 25_000  # docs: "Step Functions service quotas", execution history
# Errors States.ALL does not match, and errors no Retry or Catch can handle.
UNCATCHABLE = {StatesErrorName.RUNTIME}
STATES_ALL_EXCLUDES = {StatesErrorName.RUNTIME}
TASK_FAILED_EXCLUDES = {StatesErrorName.TIMEOUT, StatesErrorName.RUNTIME}
RETRY_COUNT_STATES = ("Task", "Map", "Parallel")


@dataclass(eq=False)
class Frame:
    """One thread of execution: the top-level program, a Parallel branch or a Map iteration."""

    ex: Any  # sim.asl.execution.Execution
    variables: Variables
    prev: int = 0  # id of this thread's latest history event
    state_ctx: dict = field(default_factory=dict)
    extra_ctx: dict = field(default_factory=dict)  # e.g. {"Task": {"Token": ...}} for one state

    def env(self) -> Env:
        ctx = {"Execution": self.ex.ctx_execution, "StateMachine": self.ex.ctx_state_machine,
               "State": self.state_ctx}
        if self.extra_ctx:
            ctx.update(self.extra_ctx)
        return Env(ctx, self.variables, self.ex.rng)

    def child(self, variables: Variables | None = None) -> "Frame":
        return Frame(self.ex, variables or self.variables.child(), self.prev)


@dataclass
class Step:
    """A state's work, done: where to go and with what (``next`` None ends the program)."""

    next: str | None
    output: Any
    assigned: dict | None = None


def run_program(machine: Machine, value: Any, frame: Frame) -> SimProcess:
    """Run states from StartAt until one ends the program; returns the program's output."""
    name = machine.start_at
    while True:
        state = machine.states[name]
        step = yield from run_state(state, value, frame)
        if frame.ex.history.last_id > MAX_HISTORY_EVENTS:
            raise StatesError(StatesErrorName.RUNTIME, f"The execution reached the maximum number of history "
                                                      f"events ({MAX_HISTORY_EVENTS}).")
        value = step.output
        if step.next is None:
            return value
        name = step.next


def run_state(state: StateDecl, raw_input: Any, frame: Frame) -> SimProcess:
    ex = frame.ex
    h = ex.history
    entered = h.named(state.entered, frame.prev, state.name, "input", raw_input)
    frame.prev = entered
    frame.state_ctx = {"Name": state.name, "EnteredTime": ex.clock.iso()}
    if state.type in RETRY_COUNT_STATES:
        frame.state_ctx["RetryCount"] = 0
    frame.extra_ctx = {}
    try:
        step = yield from retrying(state, raw_input, frame)
    except StatesError as err:
        locate(err, state.name, entered)
        if err.error == StatesErrorName.QUERY_EVALUATION_ERROR:
            frame.prev = h.add("EvaluationFailed", frame.prev, h.enabled and {
                "error": err.error, "cause": err.cause, "location": getattr(err, "location", ""),
                "state": state.name})
        catcher = find_catcher(state, err)
        if catcher is None:
            raise
        step = caught(state, catcher, raw_input, err, frame)
    except simpy.Interrupt:
        if state.type in RETRY_COUNT_STATES:
            frame.prev = h.add(f"{state.type}StateAborted", frame.prev, h.enabled and {"name": state.name})
        raise
    if step.assigned:
        frame.variables.assign(step.assigned)
    if step.assigned:
        frame.prev = h.add(state.exited, frame.prev, h.enabled and _exited(state, step))
    else:
        frame.prev = h.named(state.exited, frame.prev, state.name, "output", step.output)
    return step


def _exited(state: StateDecl, step: Step) -> dict:
    details = {"name": state.name, **payload("output", step.output)}
    if step.assigned:
        details["assignedVariables"] = {k: Json(v) for k, v in step.assigned.items()}
        details["assignedVariablesDetails"] = {"truncated": False}
    return details


def locate(err: StatesError, state_name: str, entered_id: int) -> None:
    """Give a field error AWS's prefix naming the state and the event it entered at."""
    if err.located:
        err.cause = (f"An error occurred while executing the state '{state_name}' "
                     f"(entered at the event id #{entered_id}). {err.cause}")
        err.located = False


# -- retry and catch -------------------------------------------------------------------
def matches(error_equals: tuple[str, ...], error: str) -> bool:
    for name in error_equals:
        if name == error:
            return True
        if name == StatesErrorName.ALL and error not in STATES_ALL_EXCLUDES:
            return True
        if name == StatesErrorName.TASK_FAILED and error not in TASK_FAILED_EXCLUDES:
            return True
    return False


def retry_delay(retrier: Retrier, attempt: int, rng) -> float:
    """Seconds before retry number ``attempt`` (0-based) of this retrier."""
    delay = retrier.interval_s * (retrier.backoff_rate ** attempt)
    if retrier.max_delay_s is not None:
        delay = min(delay, retrier.max_delay_s)
    if retrier.jitter == "FULL":
        delay = rng.uniform(0.0, delay)
    return delay


def retrying(state: StateDecl, raw_input: Any, frame: Frame) -> SimProcess:
    work = STATE_KINDS[state.type]
    if not state.retriers:
        return (yield from work(state, raw_input, frame))
    counts = [0] * len(state.retriers)
    while True:
        try:
            return (yield from work(state, raw_input, frame))
        except StatesError as err:
            if err.error in UNCATCHABLE:
                raise
            index = next((i for i, r in enumerate(state.retriers) if matches(r.error_equals, err.error)), None)
            if index is None or counts[index] >= state.retriers[index].max_attempts:
                raise
            retrier = state.retriers[index]
            delay = retry_delay(retrier, counts[index], frame.ex.rng)
            counts[index] += 1
            frame.ex.trace("retry", state=state.name, error=err.error, attempt=counts[index], delay_s=delay)
            timer = frame.ex.clock.timeout(delay)
            try:
                yield timer
            finally:  # aborted mid-backoff: the timer must not keep the run going
                frame.ex.clock.cancel(timer)
            frame.state_ctx["RetryCount"] = frame.state_ctx.get("RetryCount", 0) + 1


def find_catcher(state: StateDecl, err: StatesError) -> Catcher | None:
    if err.error in UNCATCHABLE:
        return None
    for catcher in state.catchers:
        if matches(catcher.error_equals, err.error):
            return catcher
    return None


def error_output(err: StatesError) -> dict:
    out = {"Error": err.error}
    if err.cause is not None:
        out["Cause"] = err.cause
    return out


def caught(state: StateDecl, catcher: Catcher, raw_input: Any, err: StatesError, frame: Frame) -> Step:
    env = frame.env()
    error = error_output(err)
    if state.ql == JSONATA:
        states = df.states_binding(env, raw_input, error=error)
        out = df.jsonata_field(catcher.raw, "Output", states, env, error)
        assigned = df.assignments(catcher.raw.get("Assign"), JSONATA, None, states, env)
    else:
        from sim.asl import paths
        out = paths.set_result_path(catcher.result_path, raw_input, error)
        assigned = df.assignments(catcher.raw.get("Assign"), state.ql, error, None, env)
    frame.ex.trace("catch", state=state.name, error=err.error, next=catcher.next)
    return Step(catcher.next, out, assigned)


# -- the simple states -------------------------------------------------------------------
def pass_state(state: StateDecl, raw_input: Any, frame: Frame) -> SimProcess:
    env = frame.env()
    if state.ql == JSONATA:
        states = df.states_binding(env, raw_input)
        out = df.jsonata_field(state.raw, "Output", states, env, raw_input)
        assigned = df.assignments(state.raw.get("Assign"), JSONATA, None, states, env)
        return Step(_next(state), out, assigned)
    value = df.effective_input(state, raw_input, env)
    result = state.raw["Result"] if "Result" in state.raw else value
    assigned = df.assignments(state.raw.get("Assign"), state.ql, result, None, env)
    out = df.jsonpath_output(state, raw_input, result, env)
    return Step(_next(state), out, assigned)
    yield  # a generator like every state


def succeed_state(state: StateDecl, raw_input: Any, frame: Frame) -> SimProcess:
    env = frame.env()
    if state.ql == JSONATA:
        out = df.jsonata_field(state.raw, "Output", df.states_binding(env, raw_input), env, raw_input)
    else:
        out = df.output_path(state.raw.get("OutputPath", "$"), df.input_path(state, raw_input, env), env)
    return Step(None, out)
    yield


def fail_state(state: StateDecl, raw_input: Any, frame: Frame) -> SimProcess:
    env = frame.env()
    from sim.asl import failfields
    error, cause = failfields.error_and_cause(state, raw_input, env)
    raise StatesError(error, cause, located=False)
    yield


def result_step(state: StateDecl, raw_input: Any, result: Any, env: Env) -> Step:
    """A Task, Map or Parallel state's output and assignments from its result, in either language."""
    if state.ql == JSONATA:
        states = df.states_binding(env, raw_input, result=result)
        out = df.jsonata_field(state.raw, "Output", states, env, result)
        assigned = df.assignments(state.raw.get("Assign"), JSONATA, None, states, env)
    else:
        assigned = df.assignments(state.raw.get("Assign"), state.ql, df.selected_result(state, result, env),
                                  None, env)
        out = df.jsonpath_output(state, raw_input, result, env)
    return Step(_next(state), out, assigned)


def _next(state: StateDecl) -> str | None:
    return None if state.end else state.next


def _lazy_kinds() -> dict[str, Callable]:
    from sim.asl import choice_wait, concurrency, task
    return {"Pass": pass_state, "Succeed": succeed_state, "Fail": fail_state,
            "Choice": choice_wait.choice_state, "Wait": choice_wait.wait_state,
            "Task": task.task_state, "Map": concurrency.map_state, "Parallel": concurrency.parallel_state}


class _Kinds(dict):
    def __missing__(self, key: str) -> Callable:
        self.update(_lazy_kinds())
        if key not in self:
            raise StatesError(StatesErrorName.RUNTIME, f"unknown state type {key!r}")
        return self[key]


STATE_KINDS: dict[str, Callable] = _Kinds()
