"""Reading a stack from YAML, with errors that name the file, the place and the fix."""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from sim.errors import ConfigError, yaml_problem, yaml_where
from sim.stack.spec import Stack


LIST_KEYS = ("functions", "buses", "rules", "queues", "event_source_mappings", "tables", "buckets", "schedules",
             "ses_identities", "state_machines")


def load_stack(path: str | Path) -> Stack:
    return stack_from_dict(read_stack_data(Path(path)), source=str(path))


def read_stack_data(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """A stack file's data, with ``extends: other.yaml`` merged in (a variant that shares most
    of its resources with another states only what differs)."""
    if not path.is_file():
        raise ConfigError(f"{path}: stack file not found; pass the path of a stack YAML file")
    try:
        data = parse_yaml(path.read_text())
    except yaml.YAMLError as exc:
        where = yaml_where(exc, ":{line}:{column}")
        raise ConfigError(f"{path}{where}: not valid YAML ({yaml_problem(exc)}); fix the syntax there") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a stack file must be a YAML mapping with at least 'name'")
    for sm in data.get("state_machines") or []:
        if isinstance(sm, dict) and isinstance(sm.get("definition_file"), str):
            sm["definition_file"] = str((path.parent / sm["definition_file"]).resolve())
    parent = data.pop("extends", None)
    if parent is None:
        return data
    parent_path = (path.parent / parent).resolve()
    if parent_path in seen or parent_path == path.resolve():
        raise ConfigError(f"{path}: 'extends: {parent}' makes a cycle; a stack cannot extend itself")
    return merge_stack_data(read_stack_data(parent_path, seen + (path.resolve(),)), data, str(path))


def parse_yaml(text: str):
    """``yaml.safe_load(text)``, parsed once per process per text (a day loads its stack files
    every run; the pure-Python parser is most of that cost). A deep copy each time: callers
    change the data they are given."""
    return copy.deepcopy(_parsed(text))


@lru_cache(maxsize=64)
def _parsed(text: str):
    return yaml.safe_load(text)


def merge_stack_data(base: dict, child: dict, source: str) -> dict:
    """Child scalars replace the base's; list entries with the same name replace the base's
    entry in place; ``remove: {functions: [names], ...}`` drops base entries."""
    merged = dict(base)
    removals = child.pop("remove", None) or {}
    for kind, names in removals.items():
        if kind not in LIST_KEYS:
            raise ConfigError(f"{source}: 'remove' names {kind!r}; it can remove from {', '.join(LIST_KEYS)}")
        present = {_entry_name(e) for e in merged.get(kind) or []}
        missing = [n for n in names if n not in present]
        if missing:
            raise ConfigError(f"{source}: 'remove: {kind}' names {missing}, which the base stack does not have")
        merged[kind] = [e for e in merged.get(kind) or [] if _entry_name(e) not in names]
    for key, value in child.items():
        if key in LIST_KEYS:
            merged[key] = _merge_list(merged.get(key) or [], value or [])
        else:
            merged[key] = value
    return merged


def _merge_list(base: list, child: list) -> list:
    out = list(base)
    index = {_entry_name(e): i for i, e in enumerate(out)}
    for entry in child:
        name = _entry_name(entry)
        if name is not None and name in index:
            out[index[name]] = entry
        else:
            out.append(entry)
    return out


def _entry_name(entry) -> str | None:
    if isinstance(entry, dict):
        return entry.get("name") or (f"{entry.get('queue')}->{entry.get('function')}" if "queue" in entry else None)
    return entry if isinstance(entry, str) else None


def stack_from_dict(data: dict, source: str = "<stack>") -> Stack:
    try:
        return Stack.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None


def format_validation_error(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: the stack does not validate ({exc.error_count()} problem(s)):"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"  at {loc}: {msg}")
    lines.append("Fix these fields in the stack file (see README, 'Stack files').")
    return "\n".join(lines)


PLACEHOLDERS = ("AccountId", "Region", "StackName")


def substitute(stack: Stack, account_id: str, region: str, stack_name: str) -> Stack:
    """Replace ``${AccountId}``, ``${Region}`` and ``${StackName}`` (also in the
    ``${AWS::AccountId}`` spelling of CloudFormation's ``!Sub``) in every string
    of the stack. S3 bucket names are global in AWS, so two simulations that
    share a process name their buckets with ``${AccountId}``."""
    values = {"AccountId": account_id, "Region": region, "StackName": stack_name}

    def sub(value):
        if isinstance(value, str) and "${" in value:
            for key, v in values.items():
                value = value.replace("${" + key + "}", v).replace("${AWS::" + key + "}", v)
            return value
        if isinstance(value, dict):
            return {k: sub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [sub(v) for v in value]
        return value

    data = stack.model_dump(mode="python")
    new = sub(data)
    return stack if new == data else Stack.model_validate(new)
