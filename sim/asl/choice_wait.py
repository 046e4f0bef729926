"""The Choice and Wait states."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sim.asl import choice, dataflow as df, jsonata_, paths
from sim.asl.engine import Frame, SimProcess, Step
from sim.asl.errors import StatesError, StatesErrorName, query_error, runtime_error, to_json
from sim.asl.machine import JSONATA, StateDecl

# ISO-8601 extended offset date-time, as the Wait state's Timestamp requires (an offset is mandatory).
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


# -- Choice ------------------------------------------------------------------------------
def choice_state(state: StateDecl, raw_input: Any, frame: Frame) -> SimProcess:
    env = frame.env()
    if state.ql == JSONATA:
        return _choice_jsonata(state, raw_input, env)
    value = df.input_path(state, raw_input, env)
    matcher = state.memo.get("choices")
    if matcher is None:  # compiled once per state, not per execution
        matcher = state.memo["choices"] = choice.compile_choices(state.raw.get("Choices", []))
    matched = matcher(value, env)
    target = matched["Next"] if matched else state.raw.get("Default")
    if target is None:
        raise StatesError(StatesErrorName.NO_CHOICE_MATCHED, choice.no_match_cause(state.name))
    assign_block = (matched or state.raw).get("Assign") if matched else state.raw.get("Assign")
    assigned = df.assignments(assign_block, state.ql, value, None, env)
    out = df.output_path(state.raw.get("OutputPath", "$"), value, env)
    return Step(target, out, assigned)
    yield


def _choice_jsonata(state: StateDecl, raw_input: Any, env) -> Step:
    states = df.states_binding(env, raw_input)
    for i, rule in enumerate(state.raw.get("Choices", [])):
        cond = jsonata_.render(rule.get("Condition"), states, env, f"Choices/{i}/Condition") \
            if isinstance(rule.get("Condition"), str) else rule.get("Condition")
        if not isinstance(cond, bool):
            raise query_error(f"The Condition field of choice {i} must evaluate to a boolean, "
                              f"but was: {to_json(cond)}")
        if cond:
            out = df.jsonata_field(rule, "Output", states, env, raw_input)
            assigned = df.assignments(rule.get("Assign"), JSONATA, None, states, env)
            return Step(rule["Next"], out, assigned)
    target = state.raw.get("Default")
    if target is None:
        raise StatesError(StatesErrorName.NO_CHOICE_MATCHED, choice.no_match_cause(state.name))
    out = df.jsonata_field(state.raw, "Output", states, env, raw_input)
    assigned = df.assignments(state.raw.get("Assign"), JSONATA, None, states, env)
    return Step(target, out, assigned)


# -- Wait --------------------------------------------------------------------------------
def wait_state(state: StateDecl, raw_input: Any, frame: Frame) -> SimProcess:
    env = frame.env()
    clock = frame.ex.clock
    if state.ql == JSONATA:
        states = df.states_binding(env, raw_input)
        seconds = _wait_seconds_jsonata(state, states, env, clock)
        out_fn = lambda: df.jsonata_field(state.raw, "Output", states, env, raw_input)  # noqa: E731
        assign_fn = lambda: df.assignments(state.raw.get("Assign"), JSONATA, None, states, env)  # noqa: E731
    else:
        value = df.input_path(state, raw_input, env)
        seconds = _wait_seconds_jsonpath(state, value, env, clock)
        out_fn = lambda: df.output_path(state.raw.get("OutputPath", "$"), value, env)  # noqa: E731
        assign_fn = lambda: df.assignments(state.raw.get("Assign"), state.ql, value, None, env)  # noqa: E731
    if seconds > 0:
        timer = clock.timeout(seconds)
        try:
            yield timer
        finally:  # stopped or timed out mid-wait: the timer must not keep the run going
            clock.cancel(timer)
    return Step(None if state.end else state.next, out_fn(), assign_fn())


def _wait_seconds_jsonpath(state: StateDecl, value: Any, env, clock) -> float:
    raw = state.raw
    if "Seconds" in raw:
        return float(raw["Seconds"])
    if "Timestamp" in raw:
        return clock.seconds_until(_parse_timestamp(raw["Timestamp"]))
    if "SecondsPath" in raw:
        path = raw["SecondsPath"]
        try:
            seconds = paths.resolve(path, value, env, "SecondsPath")
        except StatesError:
            raise runtime_error(f"The SecondsPath parameter does not reference an input value: {path}") from None
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds != int(seconds):
            raise runtime_error(f"The SecondsPath parameter cannot be parsed as a long value: "
                                f"{path} == {_plain(seconds)}")
        if seconds < 0:
            raise runtime_error(f"The SecondsPath parameter references a negative value: {path} == {_plain(seconds)}")
        return float(seconds)
    path = raw.get("TimestampPath")
    try:
        stamp = paths.resolve(path, value, env, "TimestampPath")
    except StatesError:
        raise runtime_error(f"The TimestampPath parameter does not reference an input value: {path}") from None
    when = _parse_timestamp(stamp) if isinstance(stamp, str) else None
    if when is None:
        raise runtime_error("The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
                            f"date-time format string: {path} == {_plain(stamp)}")
    return clock.seconds_until(when)


def _wait_seconds_jsonata(state: StateDecl, states: dict, env, clock) -> float:
    raw = state.raw
    if "Seconds" in raw:
        seconds = raw["Seconds"]
        if isinstance(seconds, str):
            seconds = jsonata_.render(seconds, states, env, "Seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds != int(seconds) \
                or seconds < 0:
            raise query_error(f"The Seconds field must be a non-negative integer, but was: {to_json(seconds)}")
        return float(seconds)
    stamp = raw.get("Timestamp")
    if isinstance(stamp, str) and jsonata_.is_expression(stamp):
        stamp = jsonata_.render(stamp, states, env, "Timestamp")
    when = _parse_timestamp(stamp) if isinstance(stamp, str) else None
    if when is None:
        raise query_error("The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time "
                          f"format string: {_plain(stamp)}")
    return clock.seconds_until(when)


def _parse_timestamp(text: Any) -> datetime | None:
    if not isinstance(text, str) or not _TIMESTAMP.match(text):
        return None
    try:
        head, _, frac = text.partition(".")
        if frac:  # Python takes at most 6 fractional digits
            digits = re.match(r"\d+", frac).group(0)
            text = f"{head}.{digits[:6].ljust(6, '0')}{frac[len(digits):]}"
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else to_json(value)
