"""Every failure drill on every variant it applies to: wall time per run, against the fault-free day.

    python benchmarks/drills.py [--passes 2] [--drills NAME,...] [--limit 1.0] [--json FILE]

* baseline: each variant's fault-free day on the drills' day (the drill's own
  inputs with no fault plan), best of ``--passes``, measured in this run. A
  drill's ratio against it says what the fault adds (a drill that trades the
  book twice costs about twice a day), and stays meaningful on a faster or
  slower machine.
* each drill run: ``run_drill`` (the day, its measurement and its judgement,
  as ``shadowsim drill`` does), warm: one run of every variant first, then
  ``--passes`` passes over the whole catalogue. Per run the best and the
  median of its passes are printed; the summary counts the runs whose best
  and whose median pass reach ``--limit`` seconds (issue 7: under a second
  each).

Wall time is read with ``time.perf_counter`` here only. The machine's own
noise (a shared VM moves +-30% between passes) is why there are passes.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workflows.alchemiser.day import run_day  # noqa: E402
from workflows.alchemiser.drill_runs import run_drill  # noqa: E402
from workflows.alchemiser.drills import Drill, catalogue  # noqa: E402


def timed(fn) -> float:
    gc.collect()  # every measurement starts from the same collector state
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def baseline(drill: Drill, variant: str, passes: int) -> float:
    options = replace(drill.options(variant), faults=None, extra_days=0)
    return min(timed(lambda: run_day(options)) for _ in range(passes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--drills", default="", help="comma-separated names (default: the whole catalogue)")
    parser.add_argument("--limit", type=float, default=1.0, help="seconds a run should stay under")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    args = parser.parse_args(argv)
    wanted = {n for n in args.drills.split(",") if n}
    drills = [d for d in catalogue() if not wanted or d.name in wanted]
    unknown = wanted - {d.name for d in drills}
    if unknown:
        parser.error(f"unknown drill(s): {', '.join(sorted(unknown))}")
    runs = [(d, v) for d in drills for v in d.variants]
    variants = sorted({v for _, v in runs})
    reference = Drill(name="fault-free", title="the drills' day without a fault", variants=variants,
                      day=drills[0].day)

    for v in variants:  # warm-up: imports, parsed strategies, loaded bars, moto's routes
        run_drill(next(d for d, dv in runs if dv == v), v)
    base = {v: baseline(reference, v, args.passes) for v in variants}
    times: dict[tuple[str, str], list[float]] = {(d.name, v): [] for d, v in runs}
    for _ in range(args.passes):
        for d, v in runs:
            times[(d.name, v)].append(timed(lambda: run_drill(d, v)))

    print(f"baseline: fault-free day {reference.day}, best of {args.passes}")
    for v in variants:
        print(f"  {v:24s} {base[v]:6.3f} s")
    print(f"\n{'drill':34s} {'variant':24s} {'best':>6s} {'median':>7s} {'x day':>6s}")
    rows = sorted(times.items(), key=lambda kv: -min(kv[1]))
    for (name, v), ts in rows:
        print(f"{name:34s} {v:24s} {min(ts):6.3f} {statistics.median(ts):7.3f} {min(ts) / base[v]:6.2f}")
    best = [min(ts) for ts in times.values()]
    medians = [statistics.median(ts) for ts in times.values()]
    over_best = sum(t >= args.limit for t in best)
    over_median = sum(t >= args.limit for t in medians)
    print(f"\n{len(runs)} runs, {args.passes} passes: best per run median {statistics.median(best):.3f} s, "
          f"max {max(best):.3f} s; {over_best} at or over {args.limit:g} s by their best pass, "
          f"{over_median} by their median pass; catalogue pass {sum(best):.1f} s")
    if args.json:
        args.json.write_text(json.dumps({"baseline": base, "passes": args.passes, "limit": args.limit,
                                         "runs": [{"drill": n, "variant": v, "seconds": ts}
                                                  for (n, v), ts in times.items()]}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
