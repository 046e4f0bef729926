"""The Fail state's Error and Cause, from literals, paths, intrinsics or JSONata."""

from __future__ import annotations

from typing import Any

from sim.asl import intrinsics, jsonata_, paths
from sim.asl.env import Env
from sim.asl.errors import to_json
from sim.asl.machine import JSONATA, StateDecl


def error_and_cause(state: StateDecl, raw_input: Any, env: Env) -> tuple[str | None, str | None]:
    return _field(state, "Error", raw_input, env), _field(state, "Cause", raw_input, env)


def _field(state: StateDecl, name: str, raw_input: Any, env: Env) -> str | None:
    raw = state.raw
    if state.ql == JSONATA:
        if name not in raw:
            return None
        value = jsonata_.render(raw[name], {"input": raw_input, "context": env.context}, env, name)
        return value if isinstance(value, str) or value is None else to_json(value)
    if name in raw:
        return raw[name]
    path = raw.get(f"{name}Path")
    if path is None:
        return None
    if intrinsics.is_intrinsic(path):
        value = intrinsics.evaluate(path, raw_input, env, f"{name}Path")
    else:
        value = paths.resolve(path, raw_input, env, f"{name}Path")
    return value if isinstance(value, str) else to_json(value)
