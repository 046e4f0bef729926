"""What a sweep's task results add up to: one report dict (schema shadowsim/sweep-report@1).

    report = aggregate(plan, done, rules_for("seed"))

Everything here is a function of the sorted results, never of the order they arrived
in or the executor that ran them: the same plan gives the same ``aggregates`` from
this process, a process pool or a Dask cluster (checked in tests). The executor is
kept apart under ``run``; wall time is not in the report at all (same plan, same bytes).

* ``outcomes``: per drill and variant, how many runs ended TRADED, FAILED, ...;
* ``verdicts``: per drill and variant, on the drill's own day: pass / finding / unexpected
  (an expectation that did not hold under some seed) against its written expectations;
  on other days, how many runs the expectations still held for;
* ``times``: per drill and variant, the distribution of signal-ready and run-complete
  times (seconds after the trading run started; P50/P95/P99 nearest-rank), with how
  many runs never got there;
* ``losses``: how often a run lost or duplicated a trade or a signal;
* ``divergence``: per drill, each variant against the first under the rule set (the
  same comparison as ``shadowsim shadow``), the rate and the paths that diverged most;
* ``findings``, ``unexpected`` (the drill's own day) and ``elsewhere`` (expectations that
  do not carry over to another day): grouped by what was found or did not hold, each
  with every (day, seed) that shows it and the command that reproduces the first;
* ``series``: every signal-ready and run-complete time per variant, for the charts;
* ``cost``: the measured AWS cost per day and variant (fault-free runs when the plan has them);
* ``failures``: tasks that failed twice, with their error.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sim.diff import RuleSet, compare
from sim.sweep import Done, distribution
from workflows.alchemiser.sweep import NONE, Plan, SweepTask, TaskResult

SCHEMA = "shadowsim/sweep-report@1"
TIMES = {"signal_at_s": "signal ready", "trades_done_at_s": "run complete"}
OUTCOME_ORDER = ("TRADED", "NO_TRADES", "SIGNAL_ONLY", "NO_SIGNAL", "FAILED", "INCOMPLETE", "HOLIDAY")


def aggregate(plan: Plan, done: Done, rules: RuleSet) -> dict[str, Any]:
    results = [done.results[k] for k in sorted(done.results)]
    failures = sorted(done.failures, key=lambda f: f.key)
    aggregates = {
        "tasks": {"planned": len(plan.tasks), "ran": len(results), "failed": len(failures),
                  "retried": done.retried, "not_run": done.not_run},
        "outcomes": _outcomes(plan, results),
        "verdicts": _verdicts(plan, results),
        "times": _times(plan, results),
        "series": _series(plan, results),
        "losses": _losses(plan, results),
        "divergence": _divergence(plan, results, rules),
        "findings": _grouped([r for r in results if r.verdict == "finding"]),
        "unexpected": _grouped([r for r in results if r.verdict == "fail" and r.home_day]),
        "elsewhere": _grouped([r for r in results if r.verdict == "fail" and not r.home_day]),
        "cost": _cost(plan, results),
        "failures": [{"task": f.key, "error": f.error, "attempts": f.attempts} for f in failures],
    }
    partial = done.interrupted or done.not_run > 0
    return {
        "schema": SCHEMA,
        "title": "Sweep",
        "partial": partial,
        "summary": _summary(aggregates, partial),
        "plan": {"days": [d.isoformat() for d in plan.days], "drills": plan.drills, "variants": plan.variants,
                 "seeds": len(plan.seeds), "tasks": len(plan.tasks), "not_applicable": plan.not_applicable,
                 "tolerances": rules.source or rules.name},
        "aggregates": aggregates,
        "run": {"executor": done.executor, "interrupted": done.interrupted},
    }


def _pairs(plan: Plan) -> list[tuple[str, str]]:
    na = set(plan.not_applicable)
    return [(d, v) for d in plan.drills for v in plan.variants if f"{d} / {v}" not in na]


def _by_pair(results: list[TaskResult]) -> dict[tuple[str, str], list[TaskResult]]:
    out: dict[tuple[str, str], list[TaskResult]] = defaultdict(list)
    for r in results:
        out[(r.task.drill or NONE, r.task.variant)].append(r)
    return out


def _outcomes(plan: Plan, results: list[TaskResult]) -> list[dict]:
    groups = _by_pair(results)
    rows = []
    for drill, variant in _pairs(plan):
        tally = Counter(r.outcome for r in groups.get((drill, variant), []))
        ordered = {o: tally[o] for o in OUTCOME_ORDER if tally[o]}
        ordered.update({o: n for o, n in sorted(tally.items()) if o not in ordered})
        rows.append({"drill": drill, "variant": variant, "runs": sum(tally.values()), "counts": ordered})
    return rows


def _verdicts(plan: Plan, results: list[TaskResult]) -> list[dict]:
    groups = _by_pair(results)
    rows = []
    for drill, variant in _pairs(plan):
        if drill == NONE:
            continue
        runs = groups.get((drill, variant), [])
        home = Counter(r.verdict for r in runs if r.home_day)
        away = [r for r in runs if not r.home_day]
        rows.append({"drill": drill, "variant": variant, "pass": home["pass"], "finding": home["finding"],
                     "unexpected": home["fail"], "other_days": len(away),
                     "other_days_held": sum(1 for r in away if r.verdict != "fail")})
    return rows


def _times(plan: Plan, results: list[TaskResult]) -> list[dict]:
    groups = _by_pair(results)
    rows = []
    for drill, variant in _pairs(plan):
        runs = groups.get((drill, variant), [])
        rows.append({"drill": drill, "variant": variant,
                     **{field: distribution(getattr(r, field) for r in runs) for field in TIMES}})
    return rows


def _series(plan: Plan, results: list[TaskResult]) -> dict[str, Any]:
    """Every measured time per variant (for the charts): over fault-free runs when the plan has them."""
    fault_free = [r for r in results if r.task.drill is None]
    use = fault_free or results
    out: dict[str, Any] = {"scope": "fault-free runs" if fault_free else "all runs"}
    for field in TIMES:
        out[field] = {v: sorted(getattr(r, field) for r in use if r.task.variant == v and getattr(r, field) is not None)
                      for v in plan.variants}
    return out


def _losses(plan: Plan, results: list[TaskResult]) -> list[dict]:
    groups = _by_pair(results)
    rows = []
    for drill, variant in _pairs(plan):
        runs = groups.get((drill, variant), [])
        rows.append({"drill": drill, "variant": variant, "runs": len(runs),
                     "lost_trade_runs": sum(1 for r in runs if r.lost_trades),
                     "lost_trades": sum(r.lost_trades for r in runs),
                     "duplicated_trade_runs": sum(1 for r in runs if r.duplicated_trades),
                     "duplicated_signal_runs": sum(1 for r in runs if r.duplicated_signals),
                     "alerted_runs": sum(1 for r in runs if r.alert != "none")})
    return rows


def _divergence(plan: Plan, results: list[TaskResult], rules: RuleSet) -> list[dict]:
    """Each variant against the plan's first, on the same (day, drill, seed): the shadow comparison."""
    baseline = plan.variants[0]
    by_case = {(r.task.day, r.task.drill, r.task.seed, r.task.variant): r for r in results}
    rows = []
    for drill in plan.drills:
        for candidate in plan.variants[1:]:
            compared, diverged, paths, first = 0, 0, Counter(), None
            for day in plan.days:
                for seed in plan.seeds:
                    key = (day, None if drill == NONE else drill, seed)
                    base, cand = by_case.get((*key, baseline)), by_case.get((*key, candidate))
                    if base is None or cand is None:
                        continue
                    compared += 1
                    comparison = compare(base.observables, cand.observables, rules,
                                         baseline_name=baseline, candidate_name=candidate)
                    moved = [row.observable for row in comparison.rows if row.status == "diverge"]
                    if moved:
                        diverged += 1
                        paths.update(moved)
                        if first is None:
                            first = _shadow_command(day, drill, seed, baseline, candidate)
            if compared:
                rows.append({"drill": drill, "baseline": baseline, "candidate": candidate, "compared": compared,
                             "diverged": diverged, "rate": round(diverged / compared, 4),
                             "paths": [{"path": p, "runs": n} for p, n in sorted(paths.items(),
                                                                               key=lambda x: (-x[1], x[0]))[:8]],
                             "reproduce": first})
    return rows


def _shadow_command(day, drill: str, seed: int, baseline: str, candidate: str) -> str:
    if drill == NONE:
        return f"shadowsim shadow --day {day} --variants {baseline},{candidate} --seed {seed}"
    return f"shadowsim drill {drill} --day {day} --variants {baseline},{candidate} --seed {seed}"


def _grouped(results: list[TaskResult]) -> list[dict]:
    """Runs grouped by drill, variant and what was found (or did not hold), every (day, seed) kept."""
    groups: dict[tuple, list[SweepTask]] = defaultdict(list)
    for r in results:
        what = r.finding if r.verdict == "finding" else "; ".join(r.unmet)
        groups[(r.task.drill, r.task.variant, what)].append(r.task)
    out = []
    for (drill, variant, what), tasks in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1], -len(g[1]), g[0][2])):
        out.append({"drill": drill, "variant": variant, "what": what, "runs": len(tasks),
                    "cases": [{"day": t.day.isoformat(), "seed": t.seed} for t in tasks],
                    "reproduce": tasks[0].reproduce()})
    return out


def _cost(plan: Plan, results: list[TaskResult]) -> list[dict]:
    """Mean measured cost per day and variant; over fault-free runs when the plan has them."""
    use = [r for r in results if r.task.drill is None] or results
    sums: dict[tuple, list[float]] = defaultdict(list)
    for r in use:
        sums[(r.task.day.isoformat(), r.task.variant)].append(r.cost_per_day_usd)
    return [{"day": day, "variant": variant, "runs": len(v), "cost_per_day_usd": round(sum(v) / len(v), 8)}
            for (day, variant), v in sorted(sums.items(), key=lambda x: (x[0][0], plan.variants.index(x[0][1])))]


def _summary(agg: dict, partial: bool) -> str:
    t = agg["tasks"]
    text = f"{t['ran']} of {t['planned']} tasks ran, {t['failed']} failed, {t['retried']} retried"
    if t["not_run"]:
        text += f", {t['not_run']} not run"
    findings = sum(g["runs"] for g in agg["findings"])
    unexpected = sum(g["runs"] for g in agg["unexpected"])
    elsewhere = sum(g["runs"] for g in agg["elsewhere"])
    diverged = sum(d["diverged"] for d in agg["divergence"])
    compared = sum(d["compared"] for d in agg["divergence"])
    text += f"; {findings} finding runs, {unexpected} unexpected on the drills' own days"
    if elsewhere:
        text += f" ({elsewhere} runs elsewhere where an expectation does not carry over)"
    if compared:
        text += f"; {diverged} of {compared} comparisons diverge"
    return ("PARTIAL (interrupted): " if partial else "") + text


__all__ = ["SCHEMA", "aggregate"]
