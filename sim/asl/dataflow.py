"""Input and output processing of one state, in either query language.

JSONPath (docs: "Processing input and output in Step Functions"):
    raw input -> InputPath -> Parameters -> [the state's work] -> ResultSelector
    -> ResultPath (merges into the raw input) -> OutputPath; Assign sees the result.
JSONata (docs: "Transforming data with JSONata"):
    raw input = $states.input -> Arguments -> [work] = $states.result -> Output;
    Assign and Output are evaluated together, before any variable changes.
"""

from __future__ import annotations

from typing import Any

from sim.asl import jsonata_, paths, payload
from sim.asl.env import Env
from sim.asl.errors import StatesError, StatesErrorName, to_json
from sim.asl.machine import JSONATA, StateDecl

MAX_PAYLOAD_BYTES = 256 * 1024  # docs: "Step Functions service quotas", 256 KiB per payload
_MISSING = object()


# -- JSONPath ------------------------------------------------------------------------
def effective_input(state: StateDecl, raw_input: Any, env: Env, params_field: str = "Parameters") -> Any:
    """InputPath, then Parameters (ItemSelector for Map items is done by the Map)."""
    value = input_path(state, raw_input, env)
    template = state.raw.get(params_field, _MISSING)
    if template is not _MISSING:
        value = payload.render(template, value, env)
    return value


def input_path(state: StateDecl, raw_input: Any, env: Env) -> Any:
    path = state.raw.get("InputPath", "$")
    if path == "$":
        return raw_input
    if path is None:
        return {}
    return paths.resolve(path, raw_input, env, "InputPath")


def jsonpath_output(state: StateDecl, raw_input: Any, result: Any, env: Env) -> Any:
    """ResultSelector, ResultPath and OutputPath, in that order."""
    selector = state.raw.get("ResultSelector", _MISSING)
    if selector is not _MISSING:
        result = payload.render(selector, result, env)
    merged = paths.set_result_path(state.raw.get("ResultPath", "$"), raw_input, result)
    return output_path(state.raw.get("OutputPath", "$"), merged, env)


def output_path(path: Any, value: Any, env: Env) -> Any:
    if path == "$":
        return value
    if path is None:
        return {}
    return paths.apply_output_path(path, value, env)


def selected_result(state: StateDecl, result: Any, env: Env) -> Any:
    """The result after ResultSelector: what a JSONPath Assign's ``$`` sees."""
    selector = state.raw.get("ResultSelector", _MISSING)
    return result if selector is _MISSING else payload.render(selector, result, env)


# -- JSONata -------------------------------------------------------------------------
def states_binding(env: Env, state_input: Any, result: Any = _MISSING, error: Any = _MISSING) -> dict[str, Any]:
    states: dict[str, Any] = {"input": state_input, "context": env.context}
    if result is not _MISSING:
        states["result"] = result
    if error is not _MISSING:
        states["errorOutput"] = error
    return states


def jsonata_field(raw: dict, key: str, states: dict, env: Env, default: Any = _MISSING) -> Any:
    """Evaluate the JSONata template ``raw[key]`` (a state's or a catcher's), or return ``default``."""
    template = raw.get(key, _MISSING)
    if template is _MISSING:
        return default
    return jsonata_.render(template, states, env, key)


# -- both ----------------------------------------------------------------------------
def assignments(block: dict | None, ql: str, value: Any, states: dict | None, env: Env) -> dict[str, Any]:
    """The variables an Assign block sets (not applied yet: Output must see the old values)."""
    if not block:
        return {}
    if ql == JSONATA:
        return jsonata_.render(block, states, env, "Assign")
    return payload.render(block, value, env)


def check_size(value: Any, who: str) -> None:
    """States.DataLimitExceeded past 256 KiB (UTF-8 bytes of the JSON text)."""
    if value is None or isinstance(value, (int, float, bool)):
        return
    text = to_json(value)
    if len(text) > MAX_PAYLOAD_BYTES // 4 and len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise StatesError(StatesErrorName.DATA_LIMIT_EXCEEDED,
                          f"The state/task '{who}' returned a result with a size exceeding the maximum "
                          "number of bytes service limit.")


def is_jsonata(state: StateDecl) -> bool:
    return state.ql == JSONATA
