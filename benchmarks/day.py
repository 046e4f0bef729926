"""A whole simulated trading day per variant, against the day's DSL evaluation alone.

    python benchmarks/day.py [--day 2026-01-14] [--repeat 3] [--variants legacy,...] [--no-cold] [--profile V]
                             [--no-real] [--no-breakdown] [--breakdown-variant V]

* baseline: the day's strategy set (``fixtures/strategies/strategy.sim.json``)
  evaluated straight on the bundled bar store for the day, with a fresh
  ``IndicatorCache`` each time (bars already in memory): the signal the whole
  day exists to compute, with no simulator, no AWS emulator and no broker. A
  day's ratio against it says how many "bare signal computations" one
  simulated day costs, which stays meaningful on a faster or slower machine
  (both sides scale with the CPU) and shows simulator overhead directly.
* warm: ``run_day`` of each variant, best of ``--repeat`` calls in this
  process after one call of that variant (the figure the failure drills care
  about: a drill runs many days in one process).
* cold: the first ``run_day`` call in a fresh interpreter (one subprocess per
  variant, imports done before the clock starts), the figure for a one-off
  ``shadowsim run``.

* real strategies: when ``../shared/alchemiser/strategies`` exists, the warm
  day of ``legacy`` and ``stepfunctions`` with the real system's 12 strategy
  files (``strategy.dev.json``), against those files' own DSL evaluation
  (skip with ``--no-real``).
* breakdown: one warm day of ``--breakdown-variant`` (default legacy) under
  cProfile, its own time grouped by area (DSL evaluation, emulator calls,
  kernel, ASL engine, other; ``benchmarks/breakdown.py``). Part of the default
  output (a few seconds); ``--no-breakdown`` skips it.

Wall time is read with ``time.perf_counter`` here only (nothing in ``sim/``
reads it). ``--profile V`` prints pyinstrument's tree (if installed) or
cProfile's top functions for one warm day of variant V.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
REAL = REPO.parent / "shared" / "alchemiser"
REAL_VARIANTS = ("legacy", "stepfunctions")

from benchmarks.breakdown import profile_breakdown, render  # noqa: E402
from workflows.alchemiser.day import (  # noqa: E402
    DEFAULT_CONFIG, DEFAULT_STRATEGIES, MARKET, VARIANTS, DayOptions, run_day)
from workflows.alchemiser.strategy_config import load_strategy_config  # noqa: E402
from workflows.dsl.cache import IndicatorCache  # noqa: E402
from workflows.dsl.evaluator import evaluate_file  # noqa: E402
from workflows.marketdata.store import BarStore  # noqa: E402

COLD_SNIPPET = """
import json, sys, time
from datetime import date
from workflows.alchemiser.day import DayOptions, run_day
t0 = time.perf_counter()
run_day(DayOptions(variant=sys.argv[1], day=date.fromisoformat(sys.argv[2])))
print(json.dumps(time.perf_counter() - t0))
"""


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()  # every measurement starts from the same collector state
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def dsl_baseline(day: date, repeat: int, strategies: Path = DEFAULT_STRATEGIES, config_file: Path = DEFAULT_CONFIG) -> float:
    """The day's strategy files evaluated on the in-memory store, fresh indicator cache each time."""
    config = load_strategy_config({"STRATEGY__DIRECTORY": str(strategies),
                                   "STRATEGY__CONFIG_FILE": str(config_file)})
    store = BarStore.open(MARKET)
    paths = [config.path(name) for name in config.files]

    def once() -> None:
        cache = IndicatorCache(store)
        for path in paths:
            evaluate_file(path, cache, day)

    once()  # load the bars into the store's memory: the baseline is the computation itself
    return best_of(repeat, once)


def cold(variant: str, day: date) -> float:
    out = subprocess.run([sys.executable, "-c", COLD_SNIPPET, variant, day.isoformat()], cwd=REPO,
                         capture_output=True, text=True, check=True)
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def profile(variant: str, day: date) -> None:
    options = DayOptions(variant=variant, day=day)
    run_day(options)
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.runcall(run_day, options)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    run_day(options)
    profiler.stop()
    print(profiler.output_text(unicode=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 1, 14))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--no-cold", action="store_true", help="skip the cold (fresh interpreter) runs")
    parser.add_argument("--profile", metavar="VARIANT", help="profile one warm day of VARIANT and stop")
    parser.add_argument("--no-real", action="store_true", help="skip the day with the 12 real strategy files")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the profile breakdown by area")
    parser.add_argument("--breakdown-variant", default="legacy", metavar="VARIANT",
                        help="the variant whose warm day is broken down by area (default legacy)")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile, args.day)
        return
    variants = [v for v in args.variants.split(",") if v]

    base = dsl_baseline(args.day, args.repeat)
    print(f"day {args.day}, bundled fixtures, seed 0; best of {args.repeat}")
    print(f"baseline: the day's DSL evaluation alone (in-memory bars, fresh indicator cache): {base * 1000:.1f} ms\n")
    print(f"{'variant':<26}{'warm ms':>10}{'x baseline':>12}{'cold ms':>10}{'x baseline':>12}")
    for variant in variants:
        options = DayOptions(variant=variant, day=args.day)
        run_day(options)  # the first call of this variant in this process is not measured as warm
        warm = best_of(args.repeat, lambda: run_day(options))
        line = f"{variant:<26}{warm * 1000:>10.0f}{warm / base:>11.1f}x"
        if not args.no_cold:
            first = cold(variant, args.day)
            line += f"{first * 1000:>10.0f}{first / base:>11.1f}x"
        print(line)
    if not args.no_real and (REAL / "strategies").is_dir():
        real_days(args.day, args.repeat)
    if not args.no_breakdown:
        print(f"\nwhere one warm {args.breakdown_variant} day's time goes (cProfile own time by area; the profiler "
              "inflates small functions, read the shares):")
        options = DayOptions(variant=args.breakdown_variant, day=args.day)
        run_day(options)
        for line in render(profile_breakdown(lambda: run_day(options))):
            print(line)


def real_days(day: date, repeat: int) -> None:
    strategies, config = REAL / "strategies", REAL / "config" / "strategy.dev.json"
    base = dsl_baseline(day, repeat, strategies, config)
    print(f"\nthe real system's 12 strategy files ({config.name}); their DSL evaluation alone: {base * 1000:.1f} ms")
    print(f"{'variant':<26}{'warm ms':>10}{'x baseline':>12}")
    for variant in REAL_VARIANTS:
        options = DayOptions(variant=variant, day=day, strategies=strategies, config=config)
        run_day(options)
        warm = best_of(repeat, lambda: run_day(options))
        print(f"{variant:<26}{warm * 1000:>10.0f}{warm / base:>11.1f}x")


if __name__ == "__main__":
    main()
