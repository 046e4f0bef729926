"""Sweep throughput: fault-free day tasks per second on 1 worker and on 2, and the parallel efficiency.

    python benchmarks/sweep.py [--seeds 4] [--variants legacy,stepfunctions] [--full] [--report DIR]

* baseline: ``--workers 1``, the tasks run one after another in this process (fixtures
  loaded once, no pickling): every golden day x the variants x the seeds, fault-free.
* 2 workers: the same tasks on a local process pool of 2 (the machine has 2 cores),
  its start-up included as a user of ``shadowsim sweep`` pays it (fresh spawned
  interpreters: imports, fixtures, each worker's first day). One task runs untimed
  in this process first, so the 1-worker figure does not carry the first call's imports.
  Parallel efficiency = (2-worker rate / 1-worker rate) / 2. The two runs' aggregates
  are compared too: a sweep must not depend on its executor.
* ``--full``: the issue's yardstick, every golden day x every drill (and the fault-free
  day) x 2 variants x 10 seeds on 2 workers: how long a real sweep takes here.

Wall time is read with ``time.perf_counter`` here only. Where the time of one day goes
(DSL, emulator calls, kernel, ASL engine): ``python benchmarks/day.py --breakdown``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sim.sweep import run_tasks  # noqa: E402
from workflows.alchemiser.shadow import rules_for  # noqa: E402
from workflows.alchemiser.sweep import make_plan, run_task, task_key, warm  # noqa: E402
from workflows.alchemiser.sweep_report import aggregate  # noqa: E402


def timed(plan, workers: int):
    t0 = time.perf_counter()
    done = run_tasks(plan.tasks, run_task, key=task_key, workers=workers, warm=warm)
    wall = time.perf_counter() - t0
    if done.failures:
        raise SystemExit(f"{len(done.failures)} tasks failed: {done.failures[0]}")
    return done, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--variants", default="legacy,stepfunctions")
    parser.add_argument("--full", action="store_true",
                        help="also time golden days x all drills x 2 variants x 10 seeds")
    parser.add_argument("--report", type=Path, help="with --full: write the sweep report here")
    args = parser.parse_args()

    plan = make_plan("all", "none", args.variants, args.seeds)
    n = len(plan.tasks)
    print(f"fault-free day tasks: {len(plan.days)} golden days x {args.variants} x {args.seeds} seed(s) = {n}")
    warm()
    run_task(plan.tasks[0])  # first-call costs (imports, models) paid before either measurement
    one, wall1 = timed(plan, 1)
    two, wall2 = timed(plan, 2)
    rate1, rate2 = n / wall1, n / wall2
    same = (json.dumps(aggregate(plan, one, rules_for("seed"))["aggregates"], sort_keys=True, default=str)
            == json.dumps(aggregate(plan, two, rules_for("seed"))["aggregates"], sort_keys=True, default=str))
    print(f"{'workers':<10}{'wall s':>9}{'tasks/s':>10}{'x 1 worker':>12}")
    print(f"{'1 (here)':<10}{wall1:>9.1f}{rate1:>10.2f}{1.0:>11.2f}x")
    print(f"{'2 (pool)':<10}{wall2:>9.1f}{rate2:>10.2f}{rate2 / rate1:>11.2f}x")
    print(f"parallel efficiency on 2 workers: {rate2 / rate1 / 2:.0%}; aggregates identical: {same}")

    if args.full:
        full = make_plan("all", "all", "legacy,stepfunctions", 10)
        print(f"\nfull sweep: {len(full.days)} golden days x {len(full.drills)} (fault-free + drills) x 2 variants "
              f"x 10 seeds = {len(full.tasks)} tasks ({len(full.not_applicable)} drill/variant pairs not applicable)")
        done, wall = timed(full, 2)
        print(f"2 workers: {wall:.0f} s wall, {len(full.tasks) / wall:.2f} tasks/s "
              f"({len(full.tasks) / wall / rate1:.2f}x the 1-worker fault-free rate)")
        if args.report:
            from workflows.alchemiser.sweep_cli import write_report

            write_report(args.report, aggregate(full, done, rules_for("seed")), done)
            print(f"wrote {args.report / 'sweep.html'}")


if __name__ == "__main__":
    main()
