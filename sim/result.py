"""What a run leaves behind: its trace, ledger, counts and a digest."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RunResult:
    name: str
    seed: int
    epoch: str
    end_s: float
    end_time: str
    trace: Any
    ledger: Any
    counts: dict[str, int] = field(default_factory=dict)
    faults_fired: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_simulation(cls, sim: Any) -> "RunResult":
        counts = dict(sorted(Counter(r["kind"] for r in sim.trace.records).items()))
        return cls(sim.name, sim.seed, sim.clock.epoch.isoformat(), sim.clock.now_s, sim.clock.iso(),
                   sim.trace, sim.ledger, counts, sim.injector.fired_counts())

    def digest(self) -> str:
        """SHA-256 of the canonical trace and ledger: equal digests, equal runs."""
        h = hashlib.sha256(self.trace.to_jsonl().encode())
        h.update(json.dumps(self.ledger.as_list(), sort_keys=True, default=str).encode())
        return h.hexdigest()

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "seed": self.seed, "epoch": self.epoch, "end_time": self.end_time,
                "virtual_seconds": round(self.end_s, 6), "trace_records": len(self.trace.records),
                "counts": self.counts, "ledger": self.ledger.summary(), "faults_fired": self.faults_fired,
                "digest": self.digest()}

    def write(self, folder: Path) -> dict[str, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = {"trace": self.trace.write_jsonl(folder / "trace.jsonl"),
                 "timeline": self.trace.write_chrome(folder / "timeline.json"),
                 "ledger": folder / "ledger.json", "summary": folder / "summary.json"}
        paths["ledger"].write_text(json.dumps(self.ledger.as_list(), indent=1, default=str))
        paths["summary"].write_text(json.dumps(self.summary(), indent=1, default=str))
        return paths
