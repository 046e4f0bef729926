"""A state machine definition, read once into small declarations the engine runs.

The definition stays the JSON the user wrote (``StateDecl.raw``); what is read
here is what every execution would otherwise re-read: the query language of
each state, its transitions, and its Retry/Catch blocks. Sub-machines (Map
item processors, Parallel branches) are compiled recursively.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sim.asl.errors import AslDefinitionError

JSONPATH, JSONATA = "JSONPath", "JSONata"
# Task states whose Resource is an activity ARN, or a service integration
ACTIVITY_MARK = ":activity:"


@dataclass(frozen=True)
class Retrier:
    """One Retry entry (docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)."""

    error_equals: tuple[str, ...]
    interval_s: float = 1.0  # IntervalSeconds default 1
    max_attempts: int = 3  # MaxAttempts default 3; 0 = never retry
    backoff_rate: float = 2.0  # BackoffRate default 2.0
    max_delay_s: float | None = None
    jitter: str = "NONE"  # JitterStrategy FULL | NONE


@dataclass(frozen=True)
class Catcher:
    error_equals: tuple[str, ...]
    next: str
    result_path: Any = "$"  # absent -> "$"; JSON null -> None (discard)
    has_result_path: bool = False
    raw: dict = field(default_factory=dict, compare=False)


@dataclass(eq=False)
class StateDecl:
    name: str
    type: str
    raw: dict
    ql: str
    next: str | None
    end: bool
    retriers: list[Retrier]
    catchers: list[Catcher]
    processor: "Machine | None" = None  # Map
    branches: "list[Machine]" = field(default_factory=list)  # Parallel
    memo: dict = field(default_factory=dict)  # per-state compiled forms (e.g. Choice rules)
    entered: str = ""  # history event types, e.g. "PassStateEntered"
    exited: str = ""

    def __post_init__(self) -> None:
        self.entered, self.exited = f"{self.type}StateEntered", f"{self.type}StateExited"

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)


@dataclass(eq=False)
class Machine:
    start_at: str
    states: dict[str, StateDecl]
    ql: str
    timeout_s: float | None
    raw: dict


def parse_definition(definition: str | dict) -> dict:
    if isinstance(definition, dict):
        return definition
    try:
        value = json.loads(definition)
    except json.JSONDecodeError as exc:
        raise AslDefinitionError([("", f"the definition is not valid JSON: {exc.msg} at line {exc.lineno} "
                                        f"column {exc.colno}")]) from None
    if not isinstance(value, dict):
        raise AslDefinitionError([("", "the definition must be a JSON object with StartAt and States")])
    return value


def compile_machine(definition: str | dict, parent_ql: str = JSONPATH, pointer: str = "") -> Machine:
    raw = parse_definition(definition)
    ql = raw.get("QueryLanguage", parent_ql)
    states_raw = raw.get("States")
    if not isinstance(states_raw, dict) or not states_raw:
        raise AslDefinitionError([(f"{pointer}/States", "States must be a non-empty object")])
    start = raw.get("StartAt")
    if start not in states_raw:
        raise AslDefinitionError([(f"{pointer}/StartAt", f"StartAt {start!r} names no state")])
    states = {name: _state(name, body, ql, f"{pointer}/States/{name}") for name, body in states_raw.items()}
    timeout = raw.get("TimeoutSeconds")
    return Machine(start, states, ql, float(timeout) if timeout is not None else None, raw)


def _state(name: str, body: dict, machine_ql: str, pointer: str) -> StateDecl:
    if not isinstance(body, dict) or "Type" not in body:
        raise AslDefinitionError([(pointer, f"state {name!r} must be an object with a Type")])
    ql = body.get("QueryLanguage", machine_ql)
    decl = StateDecl(name, body["Type"], body, ql, body.get("Next"), bool(body.get("End", False)),
                     [_retrier(r) for r in body.get("Retry") or []],
                     [_catcher(c) for c in body.get("Catch") or []])
    if decl.type == "Map":
        proc = body.get("ItemProcessor") or body.get("Iterator")
        if not isinstance(proc, dict):
            raise AslDefinitionError([(pointer, "a Map state needs an ItemProcessor")])
        key = "ItemProcessor" if "ItemProcessor" in body else "Iterator"
        decl.processor = compile_machine(proc, ql, f"{pointer}/{key}")
    elif decl.type == "Parallel":
        decl.branches = [compile_machine(b, ql, f"{pointer}/Branches/{i}")
                         for i, b in enumerate(body.get("Branches") or [])]
    return decl


def _retrier(r: dict) -> Retrier:
    return Retrier(tuple(r.get("ErrorEquals", ())), float(r.get("IntervalSeconds", 1)),
                   int(r.get("MaxAttempts", 3)), float(r.get("BackoffRate", 2.0)),
                   float(r["MaxDelaySeconds"]) if "MaxDelaySeconds" in r else None,
                   r.get("JitterStrategy", "NONE"))


def _catcher(c: dict) -> Catcher:
    return Catcher(tuple(c.get("ErrorEquals", ())), c.get("Next", ""), c.get("ResultPath", "$"),
                   "ResultPath" in c, c)
