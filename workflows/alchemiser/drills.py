"""Failure and timeout drills: a fault plan, run on each variant, held to written expectations.

    drill = load_drill(DRILLS / "worker-killed.yaml")
    result = run_drill(drill, "stepfunctions-fixed")      # DrillResult: measurements, checks, verdict

A drill file (``fixtures/drills/*.yaml``) is a kernel fault plan plus, per variant,
what must be true afterwards, written against the *measurements* of the run:

    outcome                      TRADED, FAILED, NO_SIGNAL, INCOMPLETE (trades, no terminal event), ...
    events.<DetailType>          how many were put on the bus
    signal_at_s, trades_done_at_s  SignalGenerated / AllTradesCompleted, seconds after the run started
    alert / alert_at_s           the first alert (WorkflowFailed, a FAILURE email, a DLQ
                                 message; "none") and when, in seconds after the trading run started
    detection_s                  seconds from the first fault firing to that alert
    lost.trades                  planned trades with no TradeExecuted
    trades.filled / .skipped / .failed   TradeExecuted by result (skipped: e.g. market closed)
    duplicated.signals / .trades / .emails
    state.session_status, state.run_status, state.dlq, state.queued
    execution.status, execution.error, execution.ended_at_s   the strategy state machine's execution
    executions.failed            Step Functions executions (any machine) that did not succeed
    faults_fired                 how often the plan's rules fired (a drill whose fault never
                                 fired is a defect, and fails)

A matcher is a value, a list of allowed values, or a comparison ("<= 900", ">= 1").
A variant's ``finding`` records that it mishandles the fault as the expectations say
(the expectations are the truth, not wishes); its verdict is then "finding", and the
report shows the evidence: the trace lines and history events around the failure.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import ConfigError
from sim.faults import FaultPlan
from workflows.alchemiser.broker import BrokerConfig
from workflows.alchemiser import golden as goldens
from workflows.alchemiser.day import DEFAULT_CONFIG, DEFAULT_STRATEGIES, ROOT, DayOptions, DayRun
from workflows.alchemiser.yamlfile import read_mapping, validate

DRILLS = ROOT / "fixtures" / "drills"
MEASURES = ("outcome", "events.", "alert", "alert_at_s", "detection_s", "signal_at_s", "trades_done_at_s", "lost.", "trades.", "executions.",
            "duplicated.", "state.", "execution.", "faults_fired")
COMPARISON = re.compile(r"^\s*(<=|>=|<|>|==|!=)\s*(-?[0-9.]+)\s*$")


class Drill(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    seed_test: str | None = None  # the seed's test plan row this reproduces ("Failure Test", ...)
    why: str = ""
    # The day's inputs are the golden day's (account, strategy set, seed) when it is one: by default
    # 2025-10-27, a day every working variant trades cleanly, so what goes wrong is the fault's doing.
    day: date = date(2025, 10, 27)
    seed: int | None = None
    variants: list[str]
    broker: dict[str, Any] = Field(default_factory=dict)  # changes to the account/broker (rejections...)
    extra_days: int = Field(0, ge=0, le=3)  # keep the clock running past the day (effects that outlast it)
    faults: FaultPlan = Field(default_factory=FaultPlan)
    expect: dict[str, dict[str, Any]] = Field(default_factory=dict)
    source: str = Field(default="", exclude=True)

    def base_seed(self) -> int:
        golden = goldens.find(self.day)
        return self.seed if self.seed is not None else (golden.seed if golden else 0)

    def options(self, variant: str, seed: int | None = None) -> DayOptions:
        golden = goldens.find(self.day)
        run_seed = self.base_seed() if seed is None else seed
        base = golden.options(variant, run_seed) if golden else DayOptions(
            variant=variant, day=self.day, seed=run_seed, strategies=DEFAULT_STRATEGIES, config=DEFAULT_CONFIG,
            broker=BrokerConfig(multiplier=2), market_seed=self.base_seed())
        try:
            broker = BrokerConfig.model_validate({**base.broker.model_dump(), **self.broker})
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ConfigError(f"{self.source}: broker.{'.'.join(map(str, err['loc']))}: {err['msg']}; "
                              "fix the drill's broker settings") from None
        return replace(base, broker=broker, faults=self.faults, extra_days=self.extra_days)


def load_drill(path: Path) -> Drill:
    if not path.is_file():
        raise ConfigError(f"{path}: no such drill; `shadowsim drill --list` shows the catalogue")
    drill = validate(Drill, {**read_mapping(path), "source": str(path)}, path, "fix the drill")
    _check_expectations(drill, path)
    return drill


def _check_expectations(drill: Drill, path: Path) -> None:
    for variant, checks in drill.expect.items():
        if variant not in drill.variants:
            raise ConfigError(f"{path}: expect.{variant}: not one of the drill's variants {drill.variants}")
        for key in checks:
            if key != "finding" and not key.startswith(MEASURES):
                raise ConfigError(f"{path}: expect.{variant}.{key}: unknown measurement; use one of "
                                  f"{', '.join(MEASURES)} (see workflows/alchemiser/drills.py)")
    missing = [v for v in drill.variants if v not in drill.expect]
    if missing:
        raise ConfigError(f"{path}: no expectations for {missing}: write what each variant must do")


def catalogue(root: Path = DRILLS) -> list[Drill]:
    files = sorted(root.glob("*.yaml"))
    if not files:
        raise ConfigError(f"{root}: holds no drill (*.yaml)")
    return [load_drill(f) for f in files]


def find_drill(name: str, root: Path = DRILLS) -> Drill:
    path = Path(name) if name.endswith((".yaml", ".yml")) else root / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in root.glob("*.yaml")))
        raise ConfigError(f"no drill {name!r} in {root}; known drills: {known}")
    return load_drill(path)


# -- measuring a run ------------------------------------------------------------------------------

def measure(run: DayRun) -> dict[str, Any]:
    start = run.trading_started_at()
    fault_t = next((r["t"] for r in run.result.trace.records if r["kind"] == "fault"), None)
    alert, alert_t = first_alert(run)
    origin = start if start is not None else 0.0
    out: dict[str, Any] = {
        "outcome": run.outcome(),
        "alert": alert, "alert_at_s": None if alert_t is None else round(alert_t - origin, 3),
        "signal_at_s": _since(run.of_type("SignalGenerated"), origin),
        "trades_done_at_s": _since(run.of_type("AllTradesCompleted"), origin),
        "detection_s": None if alert_t is None or fault_t is None else round(alert_t - fault_t, 3),
        "faults_fired": sum(run.faults_fired.values()),
    }
    counts = Counter(e["detail-type"] for _t, e in run.events)
    for name in ("SignalGenerated", "WorkflowFailed", "AllTradesCompleted", "RebalancePlanned", "TradeExecuted",
                 "PartialSignalGenerated"):
        out[f"events.{name}"] = counts.get(name, 0)
    out.update(_losses(run))
    out.update(_state(run))
    return out


def _since(events: list, origin: float) -> float | None:
    return round(events[0][0] - origin, 3) if events else None


def first_alert(run: DayRun) -> tuple[str, float | None]:
    """The first thing that would page a person: a WorkflowFailed, a FAILURE email, a DLQ message."""
    candidates = [(t, "WorkflowFailed") for t, _e in run.of_type("WorkflowFailed")[:1]]
    ses_calls = [r for r in run.result.trace.records if r["kind"] == "api.call" and r.get("service") == "ses"]
    for record, email in zip(ses_calls, run.emails):
        if "FAILURE" in (email.get("subject") or ""):
            candidates.append((record["t"], "email"))
            break
    for record in run.result.trace.records:
        if record["kind"] == "sqs.dead-lettered":
            candidates.append((record["t"], "dlq"))
            break
    if not candidates:
        return "none", None
    t, what = min(candidates)
    return what, t


def _losses(run: DayRun) -> dict[str, Any]:
    planned = sum(int((e["detail"].get("metadata") or {}).get("trade_count") or 0)
                  for _t, e in run.of_type("RebalancePlanned"))
    executed = run.of_type("TradeExecuted")
    # a symbol bought (or sold) successfully more than once in the day is a trade done twice
    filled = [e["detail"]["execution_data"] for _t, e in executed
              if e["detail"].get("success") and not e["detail"]["execution_data"].get("skipped")]
    done = Counter((d.get("symbol"), d.get("action")) for d in filled)
    subjects = Counter(e.get("subject") for e in run.emails)
    return {"lost.trades": max(0, planned - len(executed)),
            "trades.filled": len(filled),
            "trades.skipped": sum(1 for _t, e in executed if e["detail"]["execution_data"].get("skipped")),
            "trades.failed": sum(1 for _t, e in executed if not e["detail"].get("success")),
            "duplicated.signals": max(0, len(run.of_type("SignalGenerated")) - 1),
            "duplicated.trades": sum(n - 1 for n in done.values() if n > 1),
            "duplicated.emails": sum(n - 1 for n in subjects.values() if n > 1)}


def _state(run: DayRun) -> dict[str, Any]:
    meta = [s for s in run.sessions if s.get("SK") == "METADATA"]
    runs = [r for r in run.runs if r.get("SK") == "METADATA"]
    dlq = sum(q["visible"] + q["in_flight"] for name, q in run.queues.items() if "dlq" in name)
    queued = sum(q["visible"] + q["in_flight"] for name, q in run.queues.items() if "dlq" not in name)
    execution = run.executions[0] if run.executions else None
    ended = None
    if execution is not None and execution.stop_date is not None:
        ended = round((execution.stop_date - run.clock.epoch).total_seconds() - (run.trading_started_at() or 0.0), 3)
    return {"state.session_status": meta[0].get("status") if meta else None,
            "state.run_status": runs[0].get("status") if runs else None,
            "state.dlq": dlq, "state.queued": queued,
            "execution.status": execution.status if execution else None,
            "execution.error": execution.error if execution else None,
            "execution.ended_at_s": ended,
            "executions.failed": sum(1 for ex in run.executions if ex.status != "SUCCEEDED")}


# -- judging --------------------------------------------------------------------------------------

def matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, list):
        return any(matches(e, actual) for e in expected)
    if isinstance(expected, str):
        m = COMPARISON.match(expected)
        if m:
            if actual is None:
                return False
            op, value = m.group(1), float(m.group(2))
            return {"<=": actual <= value, ">=": actual >= value, "<": actual < value, ">": actual > value,
                    "==": actual == value, "!=": actual != value}[op]
    return expected == actual


def judge(drill: Drill, variant: str, measured: dict[str, Any]) -> tuple[str, list[dict]]:
    expect = drill.expect[variant]
    checks = []
    for key, expected in expect.items():
        if key == "finding":
            continue
        actual = measured.get(key)
        checks.append({"measure": key, "expected": expected, "actual": actual, "ok": matches(expected, actual)})
    # A drill that "passes" because nothing was injected is a defect: the plan must have fired.
    if drill.faults.rules and "faults_fired" not in expect:
        checks.append({"measure": "faults_fired", "expected": ">= 1", "actual": measured["faults_fired"],
                       "ok": measured["faults_fired"] >= 1})
    if not all(c["ok"] for c in checks):
        return "fail", checks
    return ("finding" if expect.get("finding") else "pass"), checks


__all__ = ["DRILLS", "Drill", "catalogue", "find_drill", "first_alert", "judge", "load_drill", "matches", "measure"]
