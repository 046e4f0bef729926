"""Benchmark: evaluate the 12 real strategies, cold and warm, one date and 250.

Run: ``.venv/bin/python benchmarks/dsl.py [--dates 250] [--seed 7]``.

* cold: a fresh IndicatorCache (bars and indicators computed on demand);
* warm: the same date again with the cache populated (pure tree walking);
* run: 250 consecutive sessions sharing one cache (each new date computes its
  own indicator values, because the window and as-of move), the steady state
  of a simulation; target < 0.5 s per date for all 12 files.

Market data: the bundled store (fixtures/market, via workflows.marketdata.store)
when it exists and holds every ticker, otherwise seeded synthetic in-memory
bars; the output says which. Strategy files are read from ../shared (never
copied); without it the project's fixtures/strategies are used instead.
Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workflows.dsl.cache import IndicatorCache  # noqa: E402
from workflows.dsl.data import BarSource  # noqa: E402
from workflows.dsl.evaluator import evaluate  # noqa: E402
from workflows.dsl.parser import parse_file  # noqa: E402
from workflows.dsl.testing import synthetic_bars  # noqa: E402
from workflows.dsl.universe import tickers_in_files  # noqa: E402

REAL = REPO / ".." / "shared" / "alchemiser" / "strategies"
FIXTURES = REPO / "fixtures" / "strategies"
MARKET = REPO / "fixtures" / "market"


def strategy_files() -> tuple[list[Path], str]:
    files = sorted(REAL.glob("*.clj")) if REAL.is_dir() else []
    if files:
        return files, f"{len(files)} real strategy files from ../shared"
    return sorted(FIXTURES.glob("*.clj")), "../shared absent: the project's example strategies"


def bar_source(tickers: tuple[str, ...], seed: int) -> tuple[BarSource, list[date], str]:
    try:
        from workflows.marketdata.store import BarStore

        store = BarStore.open(MARKET)
        missing = [t for t in tickers if t not in store]
        if not missing:
            sessions = [ts.date() for ts in store.daily_bars("SPY").index]
            return store, sessions, f"bundled market data at {MARKET}"
        reason = f"store lacks {len(missing)} tickers"
    except Exception as error:  # any failure: fall back to synthetic bars
        reason = f"{type(error).__name__}: {error}"
    source = synthetic_bars(tickers, "2019-01-02", "2024-12-31", seed=seed)
    sessions = [ts.date() for ts in source.daily_bars(tickers[0]).index]
    return source, sessions, f"SYNTHETIC in-memory bars (seed {seed}; bundled store unavailable: {reason})"


def evaluate_all(trees: dict[str, object], cache: IndicatorCache, day: date) -> dict[str, float]:
    times = {}
    for name, tree in trees.items():
        start = time.perf_counter()
        try:
            evaluate(tree, cache, day, file=name)
        except Exception as error:  # report, keep timing the rest
            print(f"  ! {name} on {day}: {error}")
        times[name] = time.perf_counter() - start
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dates", type=int, default=250)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    files, files_note = strategy_files()
    tickers = tickers_in_files(files).tickers
    source, sessions, data_note = bar_source(tickers, args.seed)
    print(f"strategies: {files_note}")
    print(f"market data: {data_note}")

    start = time.perf_counter()
    trees = {path.stem: parse_file(path) for path in files}
    print(f"parse all: {time.perf_counter() - start:.3f} s (once per run)")

    days = sessions[-args.dates:]
    first = days[0]
    cache = IndicatorCache(source)
    cold = evaluate_all(trees, cache, first)
    warm = evaluate_all(trees, cache, first)
    cold_total, warm_total = sum(cold.values()), sum(warm.values())
    print(f"\none date ({first}), all {len(trees)} files:")
    print(f"  cold {cold_total:.4f} s   warm {warm_total:.4f} s   cold/warm {cold_total / warm_total:.1f}x")
    print(f"  {'strategy':<20} {'cold ms':>9} {'warm ms':>9}")
    for name in trees:
        print(f"  {name:<20} {cold[name] * 1e3:9.2f} {warm[name] * 1e3:9.2f}")

    cache = IndicatorCache(source)
    per_date, per_strategy = [], {name: 0.0 for name in trees}
    for day in days:
        times = evaluate_all(trees, cache, day)
        per_date.append(sum(times.values()))
        for name, seconds in times.items():
            per_strategy[name] += seconds
    stats = cache.stats()
    total = sum(per_date)
    mean = total / len(per_date)
    print(f"\n{len(days)} consecutive sessions {days[0]} .. {days[-1]}, one shared cache:")
    print(f"  total {total:.2f} s   per date mean {mean:.4f} s   median {statistics.median(per_date):.4f} s"
          f"   max {max(per_date):.4f} s")
    print(f"  target 0.5 s per date: mean is {mean / 0.5:.2f} of the budget")
    print(f"  indicator cache: {stats.hits} hits, {stats.misses} misses, hit rate {stats.hit_rate:.1%},"
          f" {stats.symbols_loaded} symbols loaded")
    print(f"  {'strategy':<20} {'mean ms/date':>12} {'share':>7}")
    for name, seconds in sorted(per_strategy.items(), key=lambda item: -item[1]):
        print(f"  {name:<20} {seconds / len(days) * 1e3:12.2f} {seconds / total:7.1%}")
    print(f"\nratios: cold one-date / run mean {cold_total / mean:.2f}x;"
          f" run mean / warm one-date {mean / warm_total:.2f}x")


if __name__ == "__main__":
    main()
