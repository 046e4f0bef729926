"""Golden days: a trading day's inputs and its reviewed expected observables, per variant.

    fixtures/golden/2026-01-14/
        day.yaml                 the inputs: day, seed, strategy set, account, variants, why
        expected/legacy.json     the reviewed observables of each variant (observables.py)
        expected/stepfunctions.json ...

``shadowsim golden record DAY`` runs every variant and writes ``expected/``; a
person reviews the diff before it is committed. ``shadowsim regress`` replays every
golden day on every variant and compares with the ``golden`` rule set (exact, floats
within a relative 1e-9). Paths in ``day.yaml`` are relative to its folder.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from sim.errors import ConfigError
from workflows.alchemiser.broker import BrokerConfig
from workflows.alchemiser.day import ROOT, VARIANTS, DayOptions
from workflows.alchemiser.yamlfile import read_mapping, validate

GOLDEN = ROOT / "fixtures" / "golden"
DAY_FILE = "day.yaml"


class GoldenDay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date
    title: str
    exercises: list[str] = Field(default_factory=list)  # what the day is there for: "sell-off", "early close"...
    description: str = ""
    seed: int = 0
    strategies: str = "../../strategies"
    config: str = "../../strategies/strategy.sim.json"
    # The account the day opens with, as the simulated Alpaca's settings (cash, margin, positions...).
    broker: BrokerConfig = Field(default_factory=lambda: BrokerConfig(multiplier=2))
    variants: list[str] = Field(default_factory=lambda: list(VARIANTS))
    folder: Path = Field(default=Path("."), exclude=True)

    @classmethod
    def load(cls, folder: Path) -> "GoldenDay":
        path = folder / DAY_FILE
        if not path.is_file():
            raise ConfigError(f"{folder}: not a golden day (no {DAY_FILE}); record one with "
                              f"`shadowsim golden record YYYY-MM-DD`")
        golden = validate(cls, {**read_mapping(path), "folder": folder}, path,
                          "fix the field (see fixtures/golden/README.md)")
        if golden.day.isoformat() != folder.name:
            raise ConfigError(f"{path}: day {golden.day} does not match its folder {folder.name}; "
                              "name the folder YYYY-MM-DD after the day")
        return golden

    def options(self, variant: str, seed: int | None = None) -> DayOptions:
        return DayOptions(variant=variant, day=self.day, seed=self.seed if seed is None else seed,
                          strategies=(self.folder / self.strategies).resolve(),
                          config=(self.folder / self.config).resolve(), broker=self.broker,
                          market_seed=self.seed)

    def expected_path(self, variant: str) -> Path:
        return self.folder / "expected" / f"{Path(variant).stem}.json"

    def expected(self, variant: str) -> dict[str, Any]:
        path = self.expected_path(variant)
        if not path.is_file():
            raise ConfigError(f"{path}: no expected observables for {variant}; record them with "
                              f"`shadowsim golden record {self.day}`")
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path} line {exc.lineno}: not valid JSON ({exc.msg}); re-record it with "
                              f"`shadowsim golden record {self.day}`") from None

    def write_expected(self, variant: str, observables: dict[str, Any]) -> Path:
        path = self.expected_path(variant)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(observables))
        return path

    def write(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = self.model_dump(mode="json", exclude={"folder"})
        # Only the settings that differ from the simulated Alpaca's defaults, and always the account type.
        data["broker"] = {"multiplier": self.broker.multiplier,
                          **self.broker.model_dump(mode="json", exclude_defaults=True)}
        path = self.folder / DAY_FILE
        path.write_text(yaml.safe_dump(data, sort_keys=False, width=100))
        return path


def dumps(doc: Any) -> str:
    """The one JSON form of expected files: sorted keys, one level per line, trailing newline."""
    return json.dumps(doc, indent=1, sort_keys=True, default=str) + "\n"


def golden_days(root: Path = GOLDEN) -> list[GoldenDay]:
    if not root.is_dir():
        raise ConfigError(f"{root}: no such folder of golden days; record one with "
                          "`shadowsim golden record YYYY-MM-DD`")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and (p / DAY_FILE).exists())
    if not folders:
        raise ConfigError(f"{root}: holds no golden day (folders YYYY-MM-DD with a {DAY_FILE})")
    return [GoldenDay.load(folder) for folder in folders]


def find(day: date, root: Path = GOLDEN) -> GoldenDay | None:
    folder = root / day.isoformat()
    return GoldenDay.load(folder) if (folder / DAY_FILE).exists() else None


__all__ = ["GOLDEN", "GoldenDay", "dumps", "find", "golden_days"]
