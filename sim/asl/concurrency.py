"""Map and Parallel: sub-programs run as SimPy processes, bounded by MaxConcurrency.

Inline Map iterations and Parallel branches write their events into the
parent's history (each on its own previousEventId thread); a distributed Map
is a Map Run whose child executions keep their own histories, so the parent
shows only MapRunStarted / MapRunSucceeded / MapRunFailed. The first failure
of an inline Map or a Parallel aborts the rest; a distributed Map counts
failures against ToleratedFailureCount / ToleratedFailurePercentage.
"""

from __future__ import annotations

from typing import Any, Callable

import simpy

from sim.asl import dataflow as df, itemreader, jsonata_, mapfields
from sim.asl.engine import Frame, SimProcess, error_output, result_step, run_program
from sim.asl.errors import StatesError, StatesErrorName
from sim.asl.machine import JSONATA, StateDecl


# -- Parallel ------------------------------------------------------------------------------
def parallel_state(state: StateDecl, raw_input: Any, frame: Frame) -> SimProcess:
    ex, h = frame.ex, frame.ex.history
    env = frame.env()
    if state.ql == JSONATA:
        states = df.states_binding(env, raw_input)
        branch_input = df.jsonata_field(state.raw, "Arguments", states, env, raw_input)
    else:
        branch_input = df.effective_input(state, raw_input, env)
    frame.prev = h.add("ParallelStateStarted", frame.prev, None)
    makers = [_program(branch, branch_input, frame) for branch in state.branches]
    try:
        results = yield from run_all(ex.clock, makers, None, None)
    except StatesError:
        frame.prev = h.add("ParallelStateFailed", frame.prev, None)
        raise
    frame.prev = h.add("ParallelStateSucceeded", frame.prev, None)
    return result_step(state, raw_input, results, env)


def _program(machine, value: Any, frame: Frame) -> Callable[[], SimProcess]:
    def make() -> SimProcess:
        return run_program(machine, value, frame.child())
    return make


# -- Map -------------------------------------------------------------------------------------
def map_state(state: StateDecl, raw_input: Any, frame: Frame) -> SimProcess:
    ex, h = frame.ex, frame.ex.history
    env = frame.env()
    distributed = mapfields.is_distributed(state)
    if state.ql == JSONATA:
        states = df.states_binding(env, raw_input)
        doc = raw_input
    else:
        states = None
        doc = df.input_path(state, raw_input, env)
    reader = state.raw.get("ItemReader")
    items = None if reader is not None else mapfields.items(state, doc, states, env)
    frame.prev = h.add("MapStateStarted", frame.prev, h.enabled and {"length": len(items or ())})
    settings = mapfields.settings(state, doc, states, env)
    if reader is not None:
        items = yield from itemreader.read(state, doc, states, env, ex)
        items = mapfields.items_from_reader(state, items, states, env)
    items = mapfields.batched(state, items, doc, states, env)
    inputs = [mapfields.select(state, doc, states, env, i, item) for i, item in enumerate(items)]
    if distributed:
        results = yield from _map_run(state, inputs, settings, frame)
    else:
        results = yield from _inline(state, inputs, settings, frame)
    frame.prev = h.add("MapStateSucceeded", frame.prev, None)
    return result_step(state, raw_input, results, env)


def _inline(state: StateDecl, inputs: list, settings: mapfields.MapSettings, frame: Frame) -> SimProcess:
    h = frame.ex.history

    def iteration(i: int, value: Any) -> Callable[[], SimProcess]:
        def make() -> SimProcess:
            child = frame.child()
            details = h.enabled and {"name": state.name, "index": i}
            child.prev = h.add("MapIterationStarted", frame.prev, details)
            try:
                out = yield from run_program(state.processor, value, child)
            except StatesError:
                h.add("MapIterationFailed", child.prev, details)
                raise
            except simpy.Interrupt:
                h.add("MapIterationAborted", child.prev, details)
                raise
            h.add("MapIterationSucceeded", child.prev, details)
            return out
        return make

    try:
        return (yield from run_all(frame.ex.clock, [iteration(i, v) for i, v in enumerate(inputs)],
                                   settings.max_concurrency, None))
    except StatesError:
        frame.prev = h.add("MapStateFailed", frame.prev, None)
        raise


def _map_run(state: StateDecl, inputs: list, settings: mapfields.MapSettings, frame: Frame) -> SimProcess:
    ex, h = frame.ex, frame.ex.history
    run_arn = ex.map_run_arn(state.name)
    frame.prev = h.add("MapRunStarted", frame.prev, h.enabled and {"mapRunArn": run_arn})
    failures: list[int] = []

    def tolerate(i: int, err: StatesError) -> bool:
        failures.append(i)
        return not settings.exceeded(len(failures), len(inputs))

    def child(value: Any) -> Callable[[], SimProcess]:
        def make() -> SimProcess:
            return ex.run_child_program(state.processor, value)
        return make

    try:
        results = yield from run_all(ex.clock, [child(v) for v in inputs], settings.max_concurrency, tolerate)
    except StatesError:
        err = StatesError(StatesErrorName.EXCEED_TOLERATED_FAILURE_THRESHOLD,
                          "The specified tolerated failure threshold was exceeded")
        frame.prev = h.add("MapRunFailed", frame.prev, h.enabled and {"error": err.error, "cause": err.cause})
        frame.prev = h.add("MapStateFailed", frame.prev, None)
        raise err from None
    frame.prev = h.add("MapRunSucceeded", frame.prev, None)
    return results


# -- running sub-programs -------------------------------------------------------------------
def run_all(clock, makers: list[Callable[[], SimProcess]], limit: int | None,
            tolerate: Callable[[int, StatesError], bool] | None) -> SimProcess:
    """Run the sub-programs, at most ``limit`` at once, in index order; their outputs in order.

    The first failure aborts the others and is raised, unless ``tolerate(index, error)``
    accepts it (the failed item's output is then its error output). Each finished
    sub-program wakes this one through a shared event, so a Map of n items costs O(n)."""
    results: list[Any] = [None] * len(makers)
    pending: dict[simpy.Process, int] = {}
    finished: list[simpy.Process] = []
    wake = [clock.event()]

    def done(proc: simpy.Process) -> None:
        proc.defused = True  # its failure is handled here, in index order
        finished.append(proc)
        if not wake[0].triggered:
            wake[0].succeed()

    started = 0
    try:
        while started < len(makers) or pending:
            while started < len(makers) and (not limit or len(pending) < limit):
                proc = clock.process(makers[started]())
                proc.callbacks.append(done)
                pending[proc] = started
                started += 1
            if not finished:
                yield wake[0]
            wake[0] = clock.event()
            batch = sorted(finished, key=pending.get)
            finished.clear()
            for proc in batch:
                i = pending.pop(proc)
                if proc.ok:
                    results[i] = proc.value
                    continue
                err = proc.value
                if not isinstance(err, StatesError):
                    raise err
                if tolerate is None or not tolerate(i, err):
                    raise err
                results[i] = error_output(err)
    except (StatesError, simpy.Interrupt):
        aborted = [proc for proc in pending if proc.is_alive]
        for proc in aborted:
            proc.interrupt("aborted")
        if aborted:  # let them record their aborted events (same instant) before the failure goes on
            yield _settled(clock, aborted)
        raise
    return results


def _settled(clock, procs: list[simpy.Process]) -> simpy.Event:
    """An event that succeeds once every process in ``procs`` has ended, however it ended."""
    done = clock.event()
    left = [len(procs)]

    def one(_event: simpy.Event) -> None:
        left[0] -= 1
        if left[0] == 0:
            done.succeed()

    for proc in procs:
        proc.callbacks.append(one)
    return done


def _defuse(event: simpy.Event) -> None:
    event.defused = True


__all__ = ["map_state", "parallel_state", "run_all", "jsonata_"]
