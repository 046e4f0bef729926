"""``shadowsim sweep``: every (day, drill, variant, seed) of a plan, in parallel, summed up in one report.

Exit codes: 0 every task ran, 1 a task failed (after its retry), 2 bad input,
130 stopped with Ctrl-C (a partial report, marked so, is written first).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.table import Table

from sim.errors import ConfigError
from sim.report.sweep import write_sweep_html
from sim.sweep import Done, run_tasks
from workflows.alchemiser.shadow import rules_for
from workflows.alchemiser.sweep import Plan, make_plan, run_task, task_key, warm
from workflows.alchemiser.sweep_report import aggregate

console = Console()
progress_console = Console(stderr=True)
DEFAULT_VARIANTS = "legacy,stepfunctions,stepfunctions-fixed"


def sweep_command(days: str, drills: str, variants: str, seeds: int, workers: Optional[int], scheduler: Optional[str],
                  tolerances: str, report: Optional[Path], as_json: bool, quiet: bool = False) -> int:
    if workers is not None and scheduler is not None:
        raise ConfigError("give --workers (a local process pool) or --scheduler (a Dask cluster), not both")
    if workers is not None and workers < 1:
        raise ConfigError("--workers must be 1 or more")
    rules = rules_for(tolerances)
    plan = make_plan(days, drills, variants, seeds)
    if not plan.tasks:
        raise ConfigError(f"the plan has no task: none of the drills {plan.drills} runs on {plan.variants}")
    count = workers if workers is not None else (os.cpu_count() or 1)
    done = _run(plan, count, scheduler, quiet or as_json)
    result = aggregate(plan, done, rules)
    if report is not None:
        write_report(report, result, done)
    if as_json:
        print(json.dumps(result, default=str))
    else:
        print_summary(result)
        if report is not None:
            console.print(f"wrote {report / 'sweep.html'}, {report / 'sweep.json'}, {report / 'tasks.jsonl'}",
                          highlight=False, soft_wrap=True)
    if done.interrupted:
        return 130
    return 1 if done.failures else 0


def _run(plan: Plan, workers: int, scheduler: Optional[str], quiet: bool) -> Done:
    where = f"Dask at {scheduler}" if scheduler else f"{workers} worker{'s' if workers > 1 else ''}"
    with Progress(TextColumn("[bold]sweep[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=progress_console,
                  disable=quiet, transient=False) as progress:
        bar = progress.add_task(where, total=len(plan.tasks))

        log = _LogLines(len(plan.tasks), enabled=not quiet and not progress_console.is_terminal)

        def on_result(done: Done) -> None:
            failed = f", {len(done.failures)} failed" if done.failures else ""
            progress.update(bar, completed=len(done.results) + len(done.failures), description=where + failed)
            log(done)

        return run_tasks(plan.tasks, run_task, key=task_key, workers=workers, scheduler=scheduler, warm=warm,
                         on_result=on_result)


class _LogLines:
    """Without a terminal (CI logs) the bar only draws at the end: a plain line every tenth instead."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.next = total, enabled, max(1, total // 10)
        self.started = time.monotonic()  # display only: the ETA a person reads, never a simulated time

    def __call__(self, done: Done) -> None:
        finished = len(done.results) + len(done.failures)
        if not self.enabled or finished < self.next or finished >= self.total:
            return
        self.next += max(1, self.total // 10)
        spent = time.monotonic() - self.started
        eta = spent / finished * (self.total - finished)
        progress_console.print(f"sweep: {finished}/{self.total} ({finished / self.total:.0%}), "
                               f"{len(done.failures)} failed, {spent:.0f} s so far, ETA {eta:.0f} s", highlight=False)


def write_report(folder: Path, report: dict, done: Done) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sweep.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    with (folder / "tasks.jsonl").open("w") as out:  # one small line per task that ran, its observables left out
        for key in sorted(done.results):
            out.write(json.dumps(done.results[key].model_dump(mode="json", exclude={"observables"}),
                                 sort_keys=True) + "\n")
        for failure in sorted(done.failures, key=lambda f: f.key):
            out.write(json.dumps({"task": failure.key, "error": failure.error, "attempts": failure.attempts},
                                 sort_keys=True) + "\n")
    write_sweep_html(report, folder / "sweep.html")


def print_summary(report: dict) -> None:
    agg = report["aggregates"]
    table = Table("drill", "variant", "runs", "outcomes", "own day: pass/finding/unexpected", "signal P50/P95 s",
                  title="sweep" + (" (PARTIAL)" if report["partial"] else ""))
    verdicts = {(v["drill"], v["variant"]): v for v in agg["verdicts"]}
    times = {(t["drill"], t["variant"]): t for t in agg["times"]}
    for row in agg["outcomes"]:
        pair = (row["drill"], row["variant"])
        v = verdicts.get(pair)
        signal = times[pair]["signal_at_s"]
        table.add_row(row["drill"], row["variant"], str(row["runs"]),
                      ", ".join(f"{k} {n}" for k, n in row["counts"].items()),
                      f"{v['pass']}/{v['finding']}/{v['unexpected']}" if v else "-",
                      f"{signal['p50']}/{signal['p95']}" if signal["n"] else "-")
    console.print(table)
    for d in agg["divergence"]:
        if d["diverged"]:
            paths = ", ".join(p["path"] for p in d["paths"][:3])
            console.print(f"[yellow]{d['drill']}: {d['candidate']} diverges from {d['baseline']} in {d['diverged']} "
                          f"of {d['compared']}[/] ({paths}) → {d['reproduce']}", highlight=False, soft_wrap=True)
    for f in agg["failures"]:
        console.print(f"[bold red]failed[/] {f['task']} after {f['attempts']} attempts: {f['error']}",
                      highlight=False, soft_wrap=True)
    style = "bold yellow" if report["partial"] else ("bold red" if agg["failures"] else "bold green")
    console.print(report["summary"], style=style, highlight=False, soft_wrap=True)


def register(app: typer.Typer, friendly) -> None:
    @app.command()
    @friendly
    def sweep(days: str = typer.Option("all", help="all (every golden day), FIRST..LAST (weekdays), or a comma list."),
              drills: str = typer.Option("none", help="none (fault-free), all (fault-free and every drill), or "
                                                      "comma-separated drill names (none may be one of them)."),
              variants: str = typer.Option(DEFAULT_VARIANTS, help="Comma-separated; the first is the baseline of "
                                                                  "the divergence rates."),
              seeds: int = typer.Option(1, help="Simulation seeds 0..N-1 per (day, drill, variant); the market "
                                                "stays the day's."),
              workers: Optional[int] = typer.Option(None, help="Local worker processes (default: one per CPU)."),
              scheduler: Optional[str] = typer.Option(None, help="A Dask scheduler address (tcp://HOST:8786) to "
                                                                 "run on instead of local processes."),
              tolerances: str = typer.Option("seed", help="Rule set for the divergence: seed, strict, golden, or "
                                                          "a YAML file."),
              report: Optional[Path] = typer.Option(None, help="Write sweep.html, sweep.json and tasks.jsonl here."),
              as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object.")) -> None:
        """Run (day x drill x variant x seed) as independent tasks and report distributions, not anecdotes."""
        raise typer.Exit(sweep_command(days, drills, variants, seeds, workers, scheduler, tolerances, report,
                                       as_json))


__all__ = ["register", "sweep_command", "write_report"]
