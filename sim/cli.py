"""The simulator's own commands (nothing about trading): version, run a stack.

``workflows.cli`` builds the ``shadowsim`` console script on top of these.
Every command turns a ``SimError`` into one clear message and exit code 2.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.console import Console
from rich.table import Table

import sim
from sim.errors import SimError

console = Console()
err_console = Console(stderr=True)


def friendly(fn: Callable) -> Callable:
    """Bad input gets one message naming the problem and the fix, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SimError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def version() -> None:
    """Print the version of shadowsim."""
    console.print(f"shadowsim {sim.__version__}")


@friendly
def run_stack(stack_file: Path = typer.Argument(..., help="A stack YAML file."),
              seed: int = typer.Option(0, help="Seed for every random stream."),
              epoch: str = typer.Option("2026-01-12T09:00", help="Start instant (ISO 8601, local to --tz)."),
              tz: str = typer.Option("America/New_York", help="Time zone of the epoch and of local times."),
              until: Optional[float] = typer.Option(None, help="Stop after this many virtual seconds."),
              invoke: list[str] = typer.Option([], help="FUNCTION[=JSON] to invoke asynchronously at the start."),
              faults: Optional[Path] = typer.Option(None, help="A fault plan YAML file."),
              endpoint_url: Optional[str] = typer.Option(None, help="A loopback emulator endpoint (moto_server, LocalStack)."),
              out: Path = typer.Option(Path("reports/run"), help="Where to write the trace, timeline and ledger."),
              as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object.")) -> None:
    """Run a stack on the virtual clock and summarise what happened."""
    stack = sim.load_stack(stack_file)
    plan = sim.load_fault_plan(faults) if faults else None
    with sim.Simulation(stack, seed=seed, epoch=epoch, tz=tz, faults=plan, endpoint_url=endpoint_url) as s:
        lam = s.client("lambda")
        for spec in invoke:
            name, _, payload = spec.partition("=")
            lam.invoke(FunctionName=name, InvocationType="Event", Payload=(payload or "{}").encode())
        result = s.run(until=until)
    paths = result.write(out)
    if as_json:
        print(json.dumps(result.summary(), default=str))
        return
    print_summary(result, paths)


def print_summary(result: "sim.RunResult", paths: dict | None = None) -> None:
    summary = result.summary()
    console.print(f"[bold]{summary['name']}[/] seed {summary['seed']}: {summary['virtual_seconds']} virtual s, "
                  f"ended {summary['end_time']}, {summary['trace_records']} trace records")
    table = Table("what happened", "count", title="trace")
    for kind, n in summary["counts"].items():
        table.add_row(kind, str(n))
    console.print(table)
    ledger = summary["ledger"]
    lt = Table("message fate", "count", title=f"ledger ({ledger['total']} messages)")
    for status, n in ledger["by_status"].items():
        lt.add_row(status, str(n))
    console.print(lt)
    if ledger["in_flight"]:
        console.print(f"[yellow]{len(ledger['in_flight'])} message(s) still in flight at the end[/]")
    if summary["faults_fired"]:
        console.print("faults fired: " + ", ".join(f"{k} x{v}" for k, v in summary["faults_fired"].items()))
    console.print(f"digest {summary['digest'][:16]}")
    if paths:
        console.print("wrote " + ", ".join(str(p) for p in paths.values()))
        console.print("open the timeline at https://ui.perfetto.dev (load timeline.json); it never leaves your machine")


def register(app: typer.Typer, run: bool = True) -> None:
    """Add the simulator's commands; ``run=False`` leaves ``run`` to an application that extends it."""
    from sim.asl.cli import asl_app

    app.command("version")(version)
    if run:
        app.command("run")(run_stack)
    app.add_typer(asl_app, name="asl")


def exit_code_main(app: typer.Typer) -> None:  # pragma: no cover - console entry helper
    sys.exit(app())
