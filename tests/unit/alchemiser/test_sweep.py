"""Sweeps: planning, one task, the aggregate, and the same aggregate from every executor (Dask included)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from sim.errors import ConfigError
from sim.report.sweep import render_sweep_html
from sim.sweep import run_tasks
from workflows.alchemiser import sweep
from workflows.alchemiser.shadow import rules_for
from workflows.alchemiser.sweep import SweepTask, make_plan, parse_days, parse_drills, run_task, task_key, warm
from workflows.alchemiser.sweep_report import aggregate

# One golden day, the fault-free run and one drill, two variants, two seeds: 8 tasks, a few seconds.
PLAN = ("2025-10-27", "none,worker-killed", "legacy,stepfunctions", 2)


@pytest.fixture(scope="module")
def plan():
    return make_plan(*PLAN)


@pytest.fixture(scope="module")
def here(plan):
    return run_tasks(plan.tasks, run_task, key=task_key, workers=1, warm=warm)


def _aggregates(plan, done) -> str:
    return json.dumps(aggregate(plan, done, rules_for("seed"))["aggregates"], sort_keys=True, default=str)


def test_days_all_range_and_list():
    assert len(parse_days("all")) == 9 and date(2026, 1, 14) in parse_days("all")
    assert parse_days("2026-01-09..2026-01-14") == [date(2026, 1, 9), date(2026, 1, 12), date(2026, 1, 13),
                                                    date(2026, 1, 14)]  # weekdays only
    assert parse_days("2026-01-14, 2025-10-27,2026-01-14") == [date(2025, 10, 27), date(2026, 1, 14)]
    for bad, says in (("2026-01-14..2026-01-01", "ends before it starts"), ("14/01/2026", "not a date"),
                      (",", "names no day")):
        with pytest.raises(ConfigError, match=says):
            parse_days(bad)


def test_drills_none_all_and_names():
    assert parse_drills("none") == ["none"]
    every = parse_drills("all")
    assert every[0] == "none" and "worker-killed" in every and len(every) == 1 + len(sweep._catalogue())
    assert parse_drills("worker-killed,none,worker-killed") == ["worker-killed", "none"]
    with pytest.raises(ConfigError, match="no drill 'nope'.*drill --list"):
        parse_drills("nope")


def test_the_plan_is_the_cross_product_less_what_does_not_apply():
    plan = make_plan("2025-10-27,2026-01-14", "none,broker-5xx", "legacy,stepfunctions", 3)
    drill = next(d for d in sweep._catalogue() if d.name == "broker-5xx")
    runs_on = [v for v in ("legacy", "stepfunctions") if v in drill.variants]
    assert len(plan.tasks) == 2 * 3 * (2 + len(runs_on))
    assert plan.not_applicable == [f"broker-5xx / {v}" for v in ("legacy", "stepfunctions")
                                   if v not in runs_on]
    assert len({t.key for t in plan.tasks}) == len(plan.tasks)


def test_bad_plans_are_refused_before_anything_runs():
    for args, says in ((("2025-10-27", "none", "legacy,nope", 1), "unknown"),
                       (("2025-10-27", "none", "legacy", 0), "--seeds must be 1 or more"),
                       (("2019-01-02", "none", "legacy", 1), "outside the market data fixtures")):
        with pytest.raises(ConfigError, match=says):
            make_plan(*args)


def test_a_task_is_a_pure_function_of_its_inputs():
    task = SweepTask(day=date(2025, 10, 27), drill="worker-killed", variant="stepfunctions", seed=1)
    first, again = run_task(task), run_task(task)
    assert first == again
    assert first.verdict == "finding" and first.faults_fired >= 1 and first.outcome == "FAILED"
    assert first.task.reproduce() == "shadowsim drill worker-killed --day 2025-10-27 --variants stepfunctions --seed 1"


def test_the_aggregate_counts_every_task(plan, here):
    report = aggregate(plan, here, rules_for("seed"))
    agg = report["aggregates"]
    assert agg["tasks"] == {"planned": 8, "ran": 8, "failed": 0, "retried": 0, "not_run": 0}
    assert sum(r["runs"] for r in agg["outcomes"]) == 8 and not report["partial"]
    killed = {v["variant"]: v for v in agg["verdicts"]}
    assert killed["stepfunctions"]["finding"] == 2  # B.1 never retries a crashed worker: a recorded finding
    assert killed["legacy"] == {"drill": "worker-killed", "variant": "legacy", "pass": 2, "finding": 0,
                                "unexpected": 0, "other_days": 0, "other_days_held": 0}
    assert agg["findings"][0]["cases"] == [{"day": "2025-10-27", "seed": 0}, {"day": "2025-10-27", "seed": 1}]
    # the verbatim B.1 drops signal_count: every fault-free comparison diverges there, and says so
    none = next(d for d in agg["divergence"] if d["drill"] == "none")
    assert (none["compared"], none["diverged"]) == (2, 2) and none["paths"][0]["path"] == "signal.signal_count"
    times = next(t for t in agg["times"] if (t["drill"], t["variant"]) == ("none", "legacy"))
    assert times["signal_at_s"]["n"] == 2 and times["signal_at_s"]["p50"] <= times["signal_at_s"]["p99"]
    assert [c["variant"] for c in agg["cost"]] == ["legacy", "stepfunctions"]


def test_the_report_is_the_same_bytes_for_the_same_plan(plan, here):
    again = run_tasks(list(reversed(plan.tasks)), run_task, key=task_key, workers=1, warm=warm)
    assert _aggregates(plan, again) == _aggregates(plan, here)
    one = render_sweep_html(aggregate(plan, here, rules_for("seed")))
    assert one == render_sweep_html(aggregate(plan, again, rules_for("seed")))
    assert one.count("<svg") == 4  # outcomes, signal ready, run complete, cost


def test_a_process_pool_and_a_dask_cluster_give_identical_aggregates(plan, here):
    distributed = pytest.importorskip("distributed")
    pool = run_tasks(plan.tasks, run_task, key=task_key, workers=2, warm=warm)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as cluster:
        on_dask = run_tasks(plan.tasks, run_task, key=task_key, scheduler=cluster.scheduler_address, warm=warm)
    assert on_dask.executor.startswith("Dask scheduler tcp://127.0.0.1:")
    assert len(on_dask.results) == len(pool.results) == 8
    assert _aggregates(plan, on_dask) == _aggregates(plan, pool) == _aggregates(plan, here)


def test_an_unreachable_scheduler_is_one_clear_error(plan):
    with pytest.raises(ConfigError, match="cannot reach a Dask scheduler.*drop --scheduler"):
        run_tasks(plan.tasks[:1], run_task, key=task_key, scheduler="tcp://127.0.0.1:9")


def test_an_interrupted_sweep_says_its_report_is_partial(plan):
    def stop(done):
        if len(done.results) == 3:
            raise KeyboardInterrupt

    done = run_tasks(plan.tasks, run_task, key=task_key, workers=1, warm=warm, on_result=stop)
    report = aggregate(plan, done, rules_for("seed"))
    assert report["partial"] and report["summary"].startswith("PARTIAL (interrupted): 3 of 8 tasks ran")
    assert report["aggregates"]["tasks"]["not_run"] == 5
    assert "This report is partial" in render_sweep_html(report)


def test_an_expectation_missed_on_another_day_is_kept_apart_from_the_unexpected():
    """worker-killed's expectations are written for 2025-10-27; on 2026-01-14 (seed 0) the legacy book
    ends FAILED (fills just past 100% deployed), which is that day's doing, not the drill's."""
    plan = make_plan("2025-10-27,2026-01-14", "worker-killed", "legacy", 1)
    agg = aggregate(plan, run_tasks(plan.tasks, run_task, key=task_key, workers=1, warm=warm),
                    rules_for("seed"))["aggregates"]
    assert agg["verdicts"][0] == {"drill": "worker-killed", "variant": "legacy", "pass": 1, "finding": 0,
                                       "unexpected": 0, "other_days": 1, "other_days_held": 0}
    assert agg["unexpected"] == []
    (elsewhere,) = agg["elsewhere"]
    assert elsewhere["cases"] == [{"day": "2026-01-14", "seed": 0}] and "outcome: expected TRADED, got FAILED" in \
        elsewhere["what"]
    assert elsewhere["reproduce"] == "shadowsim drill worker-killed --day 2026-01-14 --variants legacy --seed 0"
