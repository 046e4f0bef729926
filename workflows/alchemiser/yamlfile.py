"""Reading the Alchemiser's own YAML inputs (golden days, drills) with one clear error each."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import ConfigError, yaml_problem, yaml_where

M = TypeVar("M", bound=BaseModel)


def read_mapping(path: Path) -> dict[str, Any]:
    """The file's YAML mapping; a syntax error names the file and line."""
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        where = yaml_where(exc, " line {line}")
        raise ConfigError(f"{path}{where}: not valid YAML ({yaml_problem(exc)}); fix the file") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a YAML mapping of fields; fix the file")
    return raw


def validate(model: type[M], data: dict[str, Any], path: Path, fix: str) -> M:
    """``model`` from ``data``; the first error names the file and the field, then says ``fix``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"{path}: {where}: {err['msg'].removeprefix('Value error, ')}; {fix}") from None


__all__ = ["read_mapping", "validate"]
