"""Reading a stack from YAML, with errors that name the file, the place and the fix."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from sim.errors import ConfigError
from sim.stack.spec import Stack


def load_stack(path: str | Path) -> Stack:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: stack file not found; pass the path of a stack YAML file")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)}); fix the syntax there") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a stack file must be a YAML mapping with at least 'name'")
    for sm in data.get("state_machines") or []:
        if isinstance(sm, dict) and isinstance(sm.get("definition_file"), str):
            sm["definition_file"] = str((path.parent / sm["definition_file"]).resolve())
    return stack_from_dict(data, source=str(path))


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
