"""MANIFEST.json: the single source of truth about a bar store's files.

Every bar file is listed with its sha256, row count, first and last session and
its provenance:

* ``real``: recorded from Alpaca (``shadowsim record``); carries ``recording``.
* ``proxy``: derived from a real public index series shipped in a PyPI package;
  carries ``source`` (package, version, path inside it, sha256, method).
* ``synthetic``: made by the seeded generator; carries ``generator`` (name,
  version, seed, parameters).

The manifest is written byte-deterministically (sorted keys, fixed indent, no
wall-clock timestamps) so that rebuilding a store with the same seed and library
versions gives identical bytes.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from workflows.marketdata.errors import REBUILD_HINT, MarketDataError

MANIFEST_NAME = "MANIFEST.json"
SCHEMA = "shadowsim-bars/1"

Provenance = Literal["real", "proxy", "synthetic"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GeneratorInfo(_Frozen):
    """How a synthetic file was generated: enough to regenerate it."""

    name: str
    version: str
    seed: int
    params: dict[str, Any] = Field(default_factory=dict)


class SourceInfo(_Frozen):
    """Where a proxy file's real data came from, and what was done to it."""

    package: str
    version: str
    path: str
    sha256: str
    method: str


class RecordingInfo(_Frozen):
    """How a real file was recorded from Alpaca."""

    source: str = "alpaca:/v2/stocks/bars"
    feed: str
    adjustment: str
    timeframe: str = "1Day"
    recorded_at: str
    alpaca_py: str


class FileEntry(_Frozen):
    """One bar file of the store."""

    symbol: str
    path: str
    sha256: str
    rows: int
    first: date
    last: date
    provenance: Provenance
    label: str = ""
    generator: GeneratorInfo | None = None
    source: SourceInfo | None = None
    recording: RecordingInfo | None = None

    @model_validator(mode="after")
    def _provenance_has_its_details(self) -> FileEntry:
        needed = {"synthetic": "generator", "proxy": "source", "real": "recording"}[
            self.provenance
        ]
        if getattr(self, needed) is None:
            raise ValueError(f"a {self.provenance} file needs `{needed}` ({self.symbol})")
        return self


class Manifest(_Frozen):
    """The whole store: files keyed by symbol, plus shared generator data."""

    schema_: Literal["shadowsim-bars/1"] = Field(default=SCHEMA, alias="schema")
    files: dict[str, FileEntry] = Field(default_factory=dict)
    # Shared generator data (e.g. the regime schedule) referenced by file entries,
    # kept once here instead of repeated per file.
    generators: dict[str, dict[str, Any]] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def manifest_bytes(manifest: Manifest) -> bytes:
    """Canonical bytes: sorted keys and symbols, one trailing newline."""
    data = manifest.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["files"] = dict(sorted(data["files"].items()))
    return (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=True) + "\n").encode()


def write_manifest(root: Path, manifest: Manifest) -> Path:
    path = root / MANIFEST_NAME
    path.write_bytes(manifest_bytes(manifest))
    return path


def read_manifest(root: Path) -> Manifest:
    """Load and validate MANIFEST.json, or raise one MarketDataError naming it."""
    path = root / MANIFEST_NAME
    if not root.is_dir():
        raise MarketDataError(f"market data store {root} does not exist; {REBUILD_HINT}", str(root))
    if not path.is_file():
        raise MarketDataError(f"{path} is missing; {REBUILD_HINT}", str(path))
    try:
        return Manifest.model_validate(json.loads(path.read_bytes()))
    except (ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise MarketDataError(f"{path} is not a valid manifest ({first}); {REBUILD_HINT}", str(path)) from exc
