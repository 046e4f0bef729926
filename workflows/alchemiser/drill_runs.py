"""Running drills: one variant at a time, with evidence, and the race finder over seeds.

    result = run_drill(find_drill("worker-timeout"), "stepfunctions")
    result.verdict                      # pass | finding | fail
    races = find_races(drill, "legacy", seeds=range(20))   # distinct outcomes, each with a seed

The race finder runs the drill under K seeds. A seed changes every latency the
kernel draws at its scheduling points (each boto3 call, each HTTP request, each
delivery), so it changes which handler runs first wherever two run at once. Runs
are grouped by what happened (outcome, terminal events, losses, duplicates); two
groups mean an interleaving-dependent outcome, and each group names the seed that
reproduces it: ``shadowsim drill NAME --variants V --seed S``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from workflows.alchemiser.day import DayRun, run_day
from workflows.alchemiser.drills import Drill, judge, measure

# What makes two runs "the same outcome" for the race finder: not timings, which always move.
SIGNATURE = ("outcome", "events.SignalGenerated", "events.WorkflowFailed", "events.AllTradesCompleted",
             "events.TradeExecuted", "lost.trades", "duplicated.signals", "duplicated.trades", "alert")
EVIDENCE_KINDS = ("fault", "api.error", "invoke.end", "states.ended", "events.put", "sqs.dead-lettered", "async.done",
                  "sqs.visible-again")


@dataclass
class DrillResult:
    drill: Drill
    variant: str
    seed: int
    verdict: str
    measured: dict[str, Any]
    checks: list[dict]
    evidence: dict[str, list[str]] = field(default_factory=dict)
    run: DayRun | None = None

    @property
    def finding(self) -> str | None:
        return self.drill.expect[self.variant].get("finding")

    def to_dict(self) -> dict[str, Any]:
        return {"drill": self.drill.name, "title": self.drill.title, "variant": self.variant, "seed": self.seed,
                "verdict": self.verdict, "finding": self.finding, "measured": self.measured,
                "checks": self.checks, "evidence": self.evidence,
                "reproduce": f"shadowsim drill {self.drill.name} --variants {self.variant} --seed {self.seed}"}


def run_drill(drill: Drill, variant: str, seed: int | None = None) -> DrillResult:
    run = run_day(drill.options(variant, seed))
    measured = measure(run)
    verdict, checks = judge(drill, variant, measured)
    return DrillResult(drill, variant, drill.base_seed() if seed is None else seed, verdict, measured, checks,
                       evidence(run), run)


def evidence(run: DayRun, limit: int = 14) -> dict[str, list[str]]:
    """The trace lines around the failure and the failed executions' telling history events."""
    lines = []
    start = min([t for t in (run.trading_started_at(), _first_fault(run)) if t is not None], default=0.0)
    for r in run.result.trace.records:
        if r["t"] < start or r["kind"] not in EVIDENCE_KINDS:
            continue
        if r["kind"] == "invoke.end" and r.get("status") == "succeeded":
            continue
        if r["kind"] == "async.done" and r.get("condition") == "Success":
            continue
        if r["kind"] == "events.put" and r.get("detail_type") not in ("WorkflowFailed", "SignalGenerated",
                                                                      "AllTradesCompleted"):
            continue
        if r["kind"] == "states.ended" and r.get("status") == "SUCCEEDED":
            continue
        lines.append(f"{run.at(r['t'], millis=True)} {r['kind']} {r['actor']} "
                     + json.dumps({k: v for k, v in r.items() if k not in ("t", "kind", "actor")},
                                  default=str, sort_keys=True))
    history = []
    for ex in run.executions:
        for e in ex.history.aws():
            if e["type"].endswith(("Failed", "TimedOut", "Aborted")):
                details = next((v for k, v in e.items() if k.endswith("EventDetails")), {})
                history.append(f"{ex.sm_name} #{e['id']} {e['type']} "
                               + json.dumps({k: details[k] for k in ("error", "cause") if k in details},
                                            default=str)[:300])
    return {"trace": lines[:limit] + ([f"... {len(lines) - limit} more"] if len(lines) > limit else []),
            "history": history[:limit]}


def _first_fault(run: DayRun) -> float | None:
    return next((r["t"] for r in run.result.trace.records if r["kind"] == "fault"), None)


def signature(measured: dict[str, Any]) -> tuple:
    return tuple((k, measured.get(k)) for k in SIGNATURE)


def find_races(drill: Drill, variant: str, seeds: Iterable[int]) -> list[dict[str, Any]]:
    """Distinct outcomes over the seeds, most frequent first, each with the seeds that give it."""
    groups: dict[tuple, dict[str, Any]] = {}
    for seed in seeds:
        result = run_drill(drill, variant, seed)
        key = signature(result.measured)
        group = groups.setdefault(key, {"outcome": dict(key), "seeds": [], "verdicts": set()})
        group["seeds"].append(seed)
        group["verdicts"].add(result.verdict)
    out = sorted(groups.values(), key=lambda g: (-len(g["seeds"]), g["seeds"][0]))
    for g in out:
        g["verdicts"] = sorted(g["verdicts"])
        g["reproduce"] = f"shadowsim drill {drill.name} --variants {variant} --seed {g['seeds'][0]}"
    return out


__all__ = ["DrillResult", "SIGNATURE", "evidence", "find_races", "run_drill", "signature"]
