"""The Map state's fields: items, ItemSelector, ItemBatcher, MaxConcurrency and the
tolerated-failure thresholds, in both query languages, with AWS's error wording."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sim.asl import jsonata_, paths, payload
from sim.asl.env import Env
from sim.asl.errors import query_error, runtime_error, to_json
from sim.asl.machine import JSONATA, StateDecl


@dataclass(frozen=True)
class MapSettings:
    max_concurrency: int | None  # None or 0: no limit
    tolerated_count: int | None
    tolerated_percentage: float | None

    def exceeded(self, failures: int, total: int) -> bool:
        """Does this many failed items fail the Map Run? (no thresholds: any failure does)."""
        if self.tolerated_count is None and self.tolerated_percentage is None:
            return failures > 0
        if self.tolerated_count is not None and failures > self.tolerated_count:
            return True
        if self.tolerated_percentage is not None and total and failures * 100.0 / total > self.tolerated_percentage:
            return True
        return False


def is_distributed(state: StateDecl) -> bool:
    proc = state.raw.get("ItemProcessor") or {}
    return (proc.get("ProcessorConfig") or {}).get("Mode") == "DISTRIBUTED"


def items(state: StateDecl, doc: Any, states: dict | None, env: Env) -> list:
    if state.ql == JSONATA:
        template = state.raw.get("Items")
        if template is None:
            value = states["input"]
            if not isinstance(value, list):
                raise query_error(f"Map state input must be an array but was: {to_json(value)}")
            return value
        value = jsonata_.render(template, states, env, "Items")
        if isinstance(template, str) and jsonata_.is_expression(template):
            _expect_array(value, jsonata_.expression_text(template))
        return value
    value = paths.resolve(state.raw.get("ItemsPath", "$"), doc, env, "ItemsPath")
    if not isinstance(value, list):
        raise runtime_error(f"Map state input must be an array but was: {to_json(value)}")
    return value


def items_from_reader(state: StateDecl, value: Any, states: dict | None, env: Env) -> list:
    """What an ItemReader produced is the Map's items (ItemsPath, if any, was applied by the reader)."""
    if not isinstance(value, list):
        raise runtime_error(f"Map state input must be an array but was: {to_json(value)}")
    return value


def _expect_array(value: Any, expr: str) -> None:
    if isinstance(value, list):
        return
    if callable(value) or (value is not None and not isinstance(value, (dict, str, int, float, bool))):
        raise query_error(f"The JSONata expression '{expr}' specified for the field 'Items' returned an "
                          "unsupported result type.")
    raise query_error(f"The JSONata expression '{expr}' specified for the field 'Items' returned an unexpected "
                      f"result type. Expected 'array', but was '{json_type(value)}' for value: {to_json(value)}")


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def select(state: StateDecl, doc: Any, states: dict | None, env: Env, index: int, item: Any) -> Any:
    """One iteration's input: ItemSelector (or the legacy Parameters) with $$.Map.Item, else the item."""
    key = "ItemSelector" if "ItemSelector" in state.raw else ("Parameters" if "Parameters" in state.raw else None)
    if key is None:
        return item
    ctx = dict(env.context)
    ctx["Map"] = {"Item": {"Index": index, "Value": item}}
    item_env = Env(ctx, env.variables, env.rng)
    if state.ql == JSONATA:
        return jsonata_.render(state.raw[key], {**states, "context": ctx}, item_env, key)
    return payload.render(state.raw[key], doc, item_env)


def settings(state: StateDecl, doc: Any, states: dict | None, env: Env) -> MapSettings:
    conc = _number(state, "MaxConcurrency", doc, states, env, integer=True)
    count = _number(state, "ToleratedFailureCount", doc, states, env, integer=True)
    pct = _number(state, "ToleratedFailurePercentage", doc, states, env, integer=False)
    if pct is not None and not 0 <= pct <= 100:
        raise runtime_error("ToleratedFailurePercentage must be between 0 and 100.")
    if count is not None and count < 0:
        raise runtime_error("ToleratedFailureCount cannot be negative.")
    return MapSettings(int(conc) if conc else None, int(count) if count is not None else None, pct)


def _number(state: StateDecl, name: str, doc: Any, states: dict | None, env: Env, integer: bool) -> float | None:
    raw = state.raw
    if name in raw:
        value = raw[name]
        if state.ql == JSONATA and isinstance(value, str):
            value = jsonata_.render(value, states, env, name)
        return _as_number(value, name, None, integer)
    path = raw.get(f"{name}Path")
    if path is None:
        return None
    value = paths.resolve(path, doc, env, f"{name}Path")
    return _as_number(value, f"{name}Path", path, integer)


def _as_number(value: Any, field: str, path: str | None, integer: bool) -> float:
    if isinstance(value, str) and path is not None:
        value = _numeric_text(value)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and integer and value != int(value):
        ok = False
    if not ok:
        kind = "integer" if integer else "float"
        shown = value if isinstance(value, str) else to_json(value)
        if path is None:
            raise runtime_error(f"The {field} field refers to value \"{shown}\" which is not a valid {kind}")
        raise runtime_error(f"The {field} field refers to value \"{shown}\" which is not a valid {kind}: {path}")
    return int(value) if integer else float(value)


def _numeric_text(text: str) -> Any:
    """A numeric string from a path counts as its number (a variable holding "1" works)."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def batched(state: StateDecl, values: list, doc: Any, states: dict | None, env: Env) -> list:
    """ItemBatcher: groups of items, each {"Items": [...]} plus BatchInput when given."""
    batcher = state.raw.get("ItemBatcher")
    if not batcher:
        return values
    fake = StateDecl(state.name, state.type, batcher, state.ql, None, False, [], [])
    max_items = _number(fake, "MaxItemsPerBatch", doc, states, env, integer=True)
    max_bytes = _number(fake, "MaxInputBytesPerBatch", doc, states, env, integer=True)
    batch_input = batcher.get("BatchInput")
    if batch_input is not None:
        batch_input = (jsonata_.render(batch_input, states, env, "BatchInput") if state.ql == JSONATA
                       else payload.render(batch_input, doc, env))
    out: list[dict] = []
    current: list = []
    size = 0
    for item in values:
        item_size = len(to_json(item).encode())
        full = (max_items and len(current) >= max_items) or (max_bytes and current and size + item_size > max_bytes)
        if full:
            out.append(_batch(current, batch_input))
            current, size = [], 0
        current.append(item)
        size += item_size
    if current:
        out.append(_batch(current, batch_input))
    return out


def _batch(values: list, batch_input: Any) -> dict:
    return {"BatchInput": batch_input, "Items": values} if batch_input is not None else {"Items": values}
