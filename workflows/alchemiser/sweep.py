"""Sweeps: every (day, drill, variant, seed) of a plan as an independent task, and what they add up to.

    plan = make_plan(days="all", drills="none,worker-killed", variants="legacy,stepfunctions", seeds=10)
    done = run_tasks(plan.tasks, run_task, key=task_key, workers=2, warm=warm)
    report = aggregate(plan, done)            # counts, distributions, divergence, findings

A task names its inputs (a day, a drill or ``None`` for the fault-free day, a
variant, a simulation seed); ``run_task`` is a pure function of it and returns a
small record (``TaskResult``). The market stays the day's under every seed (the
golden day's market seed): seeds move latencies and interleavings, so a sweep shows
how often a signal is late or a fault loses a trade, not how the market moved.

A drill runs on each day of the plan with its fault plan and account changes, and is
judged against its written expectations. Those were written for the drill's own day:
there a broken expectation under some seed is "unexpected" (an interleaving the
expectation did not foresee, or a regression); on another day it only says the
expectation does not carry over (a different book trades a different number of
orders), and the report keeps the two apart.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict

from sim.errors import ConfigError
from workflows.alchemiser import golden as goldens
from workflows.alchemiser.day import (DEFAULT_CONFIG, DEFAULT_STRATEGIES, MARKET, VARIANTS, DayOptions, _check_day,
                                      run_day, strategy_symbols)
from workflows.alchemiser.drills import Drill, catalogue, judge, measure
from workflows.alchemiser.observables import observe
from workflows.marketdata.store import BarStore

NONE = "none"  # the fault-free day, as a drill name


class SweepTask(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: date
    drill: Optional[str]  # None: the fault-free day
    variant: str
    seed: int

    @property
    def key(self) -> str:
        return f"{self.day}/{self.drill or NONE}/{self.variant}/{self.seed}"

    def reproduce(self) -> str:
        if self.drill is None:
            return f"shadowsim run --variant {self.variant} --day {self.day} --seed {self.seed}"
        return f"shadowsim drill {self.drill} --day {self.day} --variants {self.variant} --seed {self.seed}"


class TaskResult(BaseModel):
    """What one task measured: small, so thousands travel back from workers cheaply."""

    model_config = ConfigDict(frozen=True)

    task: SweepTask
    outcome: str
    verdict: Optional[str] = None  # pass | finding | fail against the drill's expectations; None: no drill
    finding: Optional[str] = None
    unmet: list[str] = []  # the expectations that did not hold ("measure: expected X, got Y")
    home_day: bool = True  # the drill's own day (its expectations were written for it); False elsewhere
    signal_at_s: Optional[float] = None
    trades_done_at_s: Optional[float] = None
    alert: str = "none"
    detection_s: Optional[float] = None
    lost_trades: int = 0
    duplicated_trades: int = 0
    duplicated_signals: int = 0
    faults_fired: int = 0
    cost_per_day_usd: float = 0.0
    observables: dict[str, Any] = {}  # for the divergence between variants (observables.py)


class Plan(BaseModel):
    days: list[date]
    drills: list[str]  # "none" for the fault-free day
    variants: list[str]
    seeds: list[int]
    tasks: list[SweepTask]
    not_applicable: list[str]  # "drill / variant" pairs a drill does not run on


def task_key(task: SweepTask) -> str:
    return task.key


# -- planning -------------------------------------------------------------------------------------

def parse_days(text: str) -> list[date]:
    """``all`` (every golden day), ``A..B`` (every weekday in between, both ends included), or a list."""
    text = text.strip()
    if text == "all":
        return [g.day for g in goldens.golden_days()]
    out: list[date] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if ".." in part:
            start, end = (_date(x, part) for x in part.split("..", 1))
            if end < start:
                raise ConfigError(f"--days {part}: the range ends before it starts; write FIRST..LAST")
            out += [start + timedelta(n) for n in range((end - start).days + 1)
                    if (start + timedelta(n)).weekday() < 5]
        else:
            out.append(_date(part, part))
    if not out:
        raise ConfigError(f"--days {text!r} names no day: use all, YYYY-MM-DD..YYYY-MM-DD or a comma list")
    return sorted(set(out))


def _date(text: str, part: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"--days: {part!r} is not a date or range; "
                          "use YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD") from None


def parse_drills(text: str) -> list[str]:
    """``none`` (fault-free), ``all`` (the fault-free day and every drill), or names (``none`` may be one)."""
    known = {d.name for d in _catalogue()}
    names: list[str] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if part == "all":
            names += [NONE] + sorted(known)
        elif part == NONE or part in known:
            names.append(part)
        else:
            raise ConfigError(f"--drills: no drill {part!r}; use none, all, or names from `shadowsim drill --list` "
                              f"({', '.join(sorted(known))})")
    if not names:
        raise ConfigError("--drills names nothing: use none, all, or drill names")
    return list(dict.fromkeys(names))


def make_plan(days: str, drills: str, variants: str, seeds: int) -> Plan:
    if seeds < 1:
        raise ConfigError("--seeds must be 1 or more")
    wanted = [v.strip() for v in variants.split(",") if v.strip()]
    unknown = [v for v in wanted if v not in VARIANTS]
    if unknown or not wanted:
        raise ConfigError(f"--variants: unknown {unknown or variants!r}; choose from {', '.join(VARIANTS)}")
    day_list, drill_names = parse_days(days), parse_drills(drills)
    _check_days(day_list)
    by_name = {d.name: d for d in _catalogue()}
    tasks, not_applicable = [], []
    for name in drill_names:
        for variant in wanted:
            if name != NONE and variant not in by_name[name].variants:
                not_applicable.append(f"{name} / {variant}")
                continue
            tasks += [SweepTask(day=d, drill=None if name == NONE else name, variant=variant, seed=s)
                      for d in day_list for s in range(seeds)]
    tasks.sort(key=lambda t: (t.day, t.drill or "", wanted.index(t.variant), t.seed))
    return Plan(days=day_list, drills=drill_names, variants=wanted, seeds=list(range(seeds)), tasks=tasks,
                not_applicable=not_applicable)


def _check_days(days: list[date]) -> None:
    """A day without the bars it needs is bad input, said once before anything runs."""
    options = DayOptions(variant="legacy", day=days[0])
    store = BarStore.open(options.market)
    symbol = strategy_symbols(options)[0]
    for day in days:
        _check_day(day, store, symbol)


# -- one task -------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _catalogue() -> tuple[Drill, ...]:
    return tuple(catalogue())


@functools.lru_cache(maxsize=None)
def _golden(day: date) -> Optional[goldens.GoldenDay]:
    return goldens.find(day)


def warm() -> None:
    """Load what every task reads (drills, golden days, the market data) once per worker process."""
    _catalogue()
    for g in goldens.golden_days():
        _golden(g.day)
    BarStore.open(MARKET)


def options_for(task: SweepTask) -> tuple[DayOptions, Optional[Drill]]:
    if task.drill is not None:
        drill = next(d for d in _catalogue() if d.name == task.drill).model_copy(update={"day": task.day})
        return drill.options(task.variant, task.seed), drill
    golden = _golden(task.day)
    if golden is not None:
        return golden.options(task.variant, task.seed), None
    return DayOptions(variant=task.variant, day=task.day, seed=task.seed, strategies=DEFAULT_STRATEGIES,
                      config=DEFAULT_CONFIG, market_seed=0), None


def run_task(task: SweepTask) -> TaskResult:
    """Run one (day, drill, variant, seed) and keep what the aggregate needs: a pure function of ``task``."""
    options, drill = options_for(task)
    home = drill is None or task.day == next(d.day for d in _catalogue() if d.name == drill.name)
    run = run_day(options)
    measured = measure(run)
    observed = observe(run)
    verdict = finding = None
    unmet: list[str] = []
    if drill is not None:
        verdict, checks = judge(drill, task.variant, measured)
        finding = drill.expect[task.variant].get("finding") if verdict == "finding" else None
        unmet = [f"{c['measure']}: expected {c['expected']}, got {c['actual']}" for c in checks if not c["ok"]]
    return TaskResult(task=task, outcome=measured["outcome"], verdict=verdict, finding=finding, unmet=unmet,
                      home_day=home,
                      signal_at_s=measured["signal_at_s"], trades_done_at_s=measured["trades_done_at_s"],
                      alert=measured["alert"], detection_s=measured["detection_s"],
                      lost_trades=measured["lost.trades"], duplicated_trades=measured["duplicated.trades"],
                      duplicated_signals=measured["duplicated.signals"], faults_fired=measured["faults_fired"],
                      cost_per_day_usd=observed["work"]["cost_per_day_usd"], observables=observed)


__all__ = ["NONE", "Plan", "SweepTask", "TaskResult", "make_plan", "parse_days", "parse_drills",
           "run_task", "task_key", "warm"]
