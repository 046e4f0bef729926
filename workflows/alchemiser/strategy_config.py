"""The strategy set: which ``.clj`` files run and each file's allocation (reference §4.6).

The real system bundles ``strategy.{dev,staging,prod}.json`` (``files`` and
``allocations``) and the ``.clj`` files in its shared layer; the stage picks the
file: **prod -> strategy.prod.json, every other stage -> strategy.dev.json**
(staging.json is never read). ``STRATEGY__DSL_FILES`` / ``STRATEGY__DSL_ALLOCATIONS``
(JSON, or CSV ``a.clj,b.clj`` / ``a.clj:0.5,b.clj:0.5``) override the file; files
without any allocations get equal weights.

Here the layer is a directory named by environment variables:

* ``STRATEGY__DIRECTORY`` (required): the folder holding the ``.clj`` files.
* ``STRATEGY__CONFIG_FILE``: the config file; if unset,
  ``STRATEGY__CONFIG_DIR`` plus the stage rule above (``APP__STAGE``, or ``STAGE``).

Errors are ``StrategyConfigError`` naming the config file (or variable) and the
field. Checks beyond the real loader (which silently fell back to stale in-code
defaults): a listed file must exist, an allocation must name a listed file. The
sum rule is not checked here: the orchestrator (and the Step Functions config
validator) check it before dispatch, as the real orchestrator does.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

SUM_REL_TOL = 0.01  # math.isclose(sum, 1.0, rel_tol=0.01) in the real orchestrator


class StrategyConfigError(ValueError):
    """The strategy configuration is unusable; the message names the file and the field."""


@dataclass(frozen=True)
class StrategyConfig:
    files: tuple[str, ...]
    allocations: dict[str, Decimal]  # may miss a listed file: it then dispatches with 0
    directory: Path
    source: str  # the config file, or the override variables

    def path(self, dsl_file: str) -> Path:
        return strategy_path(self.directory, dsl_file)

    def allocation_list(self) -> list[tuple[str, Decimal]]:
        """[(dsl_file, allocation)] in file-list order; ``alloc or 0`` as the orchestrator builds it."""
        return [(f, Decimal(str(self.allocations.get(f) or 0.0))) for f in self.files]


def check_allocation_sum(configs: list[tuple[str, Decimal]]) -> Decimal:
    """The orchestrator's pre-dispatch rule: allocations sum to 1 within rel_tol 0.01."""
    total = sum((a for _, a in configs), Decimal(0))
    if not math.isclose(float(total), 1.0, rel_tol=SUM_REL_TOL):
        raise ValueError(f"Strategy allocations must sum to 1.0 (rel_tol {SUM_REL_TOL}), got {total}")
    return total


def strategy_path(directory: Path, dsl_file: str) -> Path:
    """``directory/dsl_file``; a name with a folder part is refused (no escaping the layer)."""
    if not dsl_file or Path(dsl_file).name != dsl_file or dsl_file in (".", ".."):
        raise StrategyConfigError(f"strategy file name {dsl_file!r} must be a bare file name such as 'nuclear.clj'")
    return directory / dsl_file


def strategy_directory(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    raw = environ.get("STRATEGY__DIRECTORY")
    if not raw:
        raise StrategyConfigError("STRATEGY__DIRECTORY is not set: set it to the folder holding the .clj files")
    directory = Path(raw)
    if not directory.is_dir():
        raise StrategyConfigError(f"STRATEGY__DIRECTORY={raw}: not a directory")
    return directory


def config_file(environ: Mapping[str, str] | None = None) -> Path:
    """The config file: STRATEGY__CONFIG_FILE, else the stage's file in STRATEGY__CONFIG_DIR."""
    environ = os.environ if environ is None else environ
    if environ.get("STRATEGY__CONFIG_FILE"):
        return Path(environ["STRATEGY__CONFIG_FILE"])
    folder = environ.get("STRATEGY__CONFIG_DIR")
    if not folder:
        raise StrategyConfigError("set STRATEGY__CONFIG_FILE (a strategy.*.json) or STRATEGY__CONFIG_DIR")
    stage = (environ.get("APP__STAGE") or environ.get("STAGE") or "dev").lower()
    return Path(folder) / ("strategy.prod.json" if stage == "prod" else "strategy.dev.json")


def load_strategy_config(environ: Mapping[str, str] | None = None) -> StrategyConfig:
    environ = os.environ if environ is None else environ
    directory = strategy_directory(environ)
    files_override = environ.get("STRATEGY__DSL_FILES")
    allocs_override = environ.get("STRATEGY__DSL_ALLOCATIONS")
    if files_override:
        source = "STRATEGY__DSL_FILES"
        files = _check_files(_parse_files(files_override, source), source)
        allocations = None
    else:
        path = config_file(environ)
        source = str(path)
        files, allocations = read_config_file(path)
    if allocs_override:
        source = f"{source} + STRATEGY__DSL_ALLOCATIONS"
        allocations = _check_allocations(_parse_allocations(allocs_override), "STRATEGY__DSL_ALLOCATIONS")
    if not allocations:  # the real default: equal weights (as floats)
        allocations = {f: Decimal(str(1.0 / len(files))) for f in files}
    for name in allocations:
        if name not in files:
            raise StrategyConfigError(f"{source}: allocations names {name!r}, which is not in files")
    for index, name in enumerate(files):
        if not strategy_path(directory, name).is_file():
            raise StrategyConfigError(f"{source}: files[{index}] {name!r} not found in {directory}")
    return StrategyConfig(tuple(files), allocations, directory, source)


def read_config_file(path: Path) -> tuple[list[str], dict[str, Decimal]]:
    """``files`` and ``allocations`` of one strategy.*.json, validated."""
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise StrategyConfigError(f"{path}: cannot read the strategy config ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise StrategyConfigError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise StrategyConfigError(f"{path}: expected an object with 'files' and 'allocations'")
    files = _check_files(data.get("files"), str(path))
    allocations = _check_allocations(data.get("allocations", {}), str(path))
    return files, allocations


def _check_files(files: Any, where: str) -> list[str]:
    if not isinstance(files, list) or not files:
        raise StrategyConfigError(f"{where}: 'files' must be a non-empty list of .clj file names")
    seen: set[str] = set()
    for index, name in enumerate(files):
        if not isinstance(name, str) or not name.strip():
            raise StrategyConfigError(f"{where}: files[{index}] must be a file name, got {name!r}")
        if name in seen:
            raise StrategyConfigError(f"{where}: files[{index}] {name!r} is listed twice")
        seen.add(name)
    return list(files)


def _check_allocations(allocations: Any, where: str) -> dict[str, Decimal]:
    if not isinstance(allocations, dict):
        raise StrategyConfigError(f"{where}: 'allocations' must map file names to numbers")
    out: dict[str, Decimal] = {}
    for name, value in allocations.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise StrategyConfigError(f"{where}: allocations[{name!r}] must be a number, got {value!r}")
        try:
            number = float(value)
        except ValueError:
            raise StrategyConfigError(f"{where}: allocations[{name!r}] must be a number, got {value!r}") from None
        if not math.isfinite(number) or number < 0:
            raise StrategyConfigError(f"{where}: allocations[{name!r}] must be a finite number >= 0, got {value!r}")
        out[str(name)] = Decimal(str(number))  # the real loader reads floats
    return out


def _parse_files(raw: str, where: str) -> Any:
    text = raw.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise StrategyConfigError(f"{where}: not valid JSON ({exc.msg})") from None
    return [part.strip() for part in text.split(",") if part.strip()]


def _parse_allocations(raw: str) -> Any:
    text = raw.strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise StrategyConfigError(f"STRATEGY__DSL_ALLOCATIONS: not valid JSON ({exc.msg})") from None
    pairs = [part.split(":", 1) for part in text.split(",") if part.strip()]
    if any(len(pair) != 2 for pair in pairs):
        raise StrategyConfigError("STRATEGY__DSL_ALLOCATIONS: use JSON or 'file.clj:0.5,other.clj:0.5'")
    return {name.strip(): value.strip() for name, value in pairs}
