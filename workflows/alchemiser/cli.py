"""``shadowsim run --variant NAME --day YYYY-MM-DD``: one Alchemiser trading day, summarised.

On a golden day (fixtures/golden) without --strategies/--config the run takes the golden
day's inputs (strategy set, account, market seed), as ``shadow``, ``drill`` and ``sweep`` do,
so a sweep's fault-free task is reproduced by ``shadowsim run --variant V --day D --seed S``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Optional

from rich.console import Console
from rich.table import Table

from sim.errors import ConfigError
from workflows.alchemiser import golden as goldens
from workflows.alchemiser.day import DEFAULT_CONFIG, DEFAULT_STRATEGIES, VARIANTS, DayOptions, run_day

console = Console()


def run_day_command(variant: Optional[str], day: Optional[str], seed: Optional[int], strategies: Optional[Path],
                    config: Optional[Path], out: Optional[Path], as_json: bool) -> None:
    if variant is None or day is None:
        raise ConfigError("a trading day needs both --variant and --day (e.g. --variant legacy --day 2026-01-14)")
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise ConfigError(f"--day {day!r} is not a date: use YYYY-MM-DD") from None
    if (strategies is None) != (config is None) and config is None:
        raise ConfigError("--strategies needs --config (the real strategy.*.json format: files, allocations)")
    for path, what in ((strategies, "--strategies folder"), (config, "--config file")):
        if path is not None and not path.exists():
            raise ConfigError(f"{path}: the {what} does not exist")
    golden = goldens.find(when) if strategies is None and config is None else None
    if golden is not None:  # a golden day's inputs (its strategy set, account, market seed), as shadow and sweep use
        options = golden.options(variant, seed)
    else:
        options = DayOptions(variant=variant, day=when, seed=seed or 0, strategies=strategies or DEFAULT_STRATEGIES,
                             config=config or DEFAULT_CONFIG)
    run = run_day(options)
    paths = run.write(out or Path("reports") / f"{variant}-{day}")
    summary = run.summary()
    if as_json:
        print(json.dumps(summary, default=str))
        return
    print_day(summary, paths)


def print_day(s: dict, paths: dict) -> None:
    console.print(f"[bold]{s['variant']}[/] {s['day']} seed {s['seed']}: [bold]{s['outcome']}[/]  "
                  f"signal {s['signal_ready_at'] or '-'}, trades complete {s['trades_complete_at'] or '-'}"
                  + (f", failed {s['failed_at']}" if s["failed_at"] else ""))
    alloc = Table("symbol", "target weight", title=f"allocations (sum {s['allocation_sum'][:12]})")
    for symbol, weight in s["allocations"].items():
        alloc.add_row(symbol, f"{float(weight):.4f}")
    console.print(alloc)
    trades = Table("symbol", "action", "ok", "shares", "price", title=f"trades ({len(s['trades'])})")
    for t in s["trades"]:
        trades.add_row(t["symbol"], t["action"], "yes" if t["success"] else "NO", str(t["shares"]), str(t["price"]))
    console.print(trades)
    console.print("events: " + ", ".join(f"{k} x{v}" for k, v in s["events"].items()))
    console.print("emails: " + ("; ".join(s["emails"]) or "none"))
    for ex in s["state_machine_executions"]:
        console.print(f"state machine {ex['machine']}: {ex['status']}" + (f" ({ex['error']})" if ex["error"] else ""))
    console.print(f"Lambda invocations {s['lambda_invocations']}, state transitions {s['state_transitions']}; "
                  "API calls " + ", ".join(f"{k} {v}" for k, v in s["api_calls"].items()))
    console.print(f"digest {s['digest'][:16]}")
    console.print("wrote " + ", ".join(str(p) for p in paths.values()))


__all__ = ["VARIANTS", "run_day_command"]
