"""The ``shadowsim`` console script: the simulator's commands plus the trading ones."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sim.errors import ConfigError

from sim.cli import friendly, register, run_stack
from workflows.alchemiser.cli import run_day_command
from workflows.alchemiser.golden import GOLDEN
from workflows.alchemiser.drill_cli import register as register_drill
from workflows.alchemiser.shadow_cli import register as register_shadow
from workflows.alchemiser.shadow_cli import shadow_command
from workflows.alchemiser.sweep_cli import register as register_sweep
from workflows.dsl.cli import dsl_app
from workflows.marketdata.cli import record_command

app = typer.Typer(help="shadowsim: simulate serverless trading pipelines on AWS, on a virtual clock.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
register(app, run=False)
app.command("record")(record_command)
app.add_typer(dsl_app, name="dsl")
register_shadow(app, friendly)
register_drill(app, friendly)
register_sweep(app, friendly)



@app.command("run")
@friendly
def run(stack_file: Optional[Path] = typer.Argument(None, help="A stack YAML file (or use --variant and --day)."),
        variant: Optional[str] = typer.Option(None, help="An Alchemiser variant: legacy, stepfunctions, "
                                                         "stepfunctions-fixed, stepfunctions-execution."),
        day: Optional[str] = typer.Option(None, help="The trading day to run (YYYY-MM-DD), with --variant."),
        strategies: Optional[Path] = typer.Option(None, help="Folder of .clj strategy files (with --variant)."),
        config: Optional[Path] = typer.Option(None, help="Strategy config in the real strategy.*.json format."),
        seed: Optional[int] = typer.Option(None, help="Seed for every random stream (default 0; with --day, "
                                                      "a golden day's own)."),
        epoch: str = typer.Option("2026-01-12T09:00", help="Start instant for a stack run (ISO 8601, local to --tz)."),
        tz: str = typer.Option("America/New_York", help="Time zone of the epoch (stack runs)."),
        until: Optional[float] = typer.Option(None, help="Stop after this many virtual seconds (stack runs)."),
        invoke: list[str] = typer.Option([], help="FUNCTION[=JSON] to invoke asynchronously at the start."),
        faults: Optional[Path] = typer.Option(None, help="A fault plan YAML file."),
        endpoint_url: Optional[str] = typer.Option(None, help="A loopback emulator endpoint (stack runs)."),
        out: Optional[Path] = typer.Option(None, help="Where to write the trace, timeline and histories."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object.")) -> None:
    """Run a stack on the virtual clock, or one full Alchemiser trading day of a variant."""
    if variant is not None or day is not None:
        if stack_file is not None:
            raise ConfigError("give either a stack file or --variant/--day, not both")
        run_day_command(variant, day, seed, strategies, config, out, as_json)
        return
    if stack_file is None:
        raise ConfigError("nothing to run: give a stack file (shadowsim run STACK.yaml) or a trading day "
                          "(shadowsim run --variant legacy --day 2026-01-14)")
    run_stack.__wrapped__(stack_file, 0 if seed is None else seed, epoch, tz, until, invoke, faults, endpoint_url,
                          out or Path("reports/run"), as_json)


@app.command()
@friendly
def demo(day: str = typer.Option("2026-01-14", help="A bundled golden day."),
         variants: str = typer.Option("legacy,stepfunctions,stepfunctions-fixed",
                                      help="The variants to compare; the first is the baseline."),
         out: Path = typer.Option(Path("reports/demo"), help="Where to write the report and each run's trace.")) -> None:
    """The quick start: a shadow comparison on a bundled golden day (the verdict is printed; exit 0 unless it could not run)."""
    code = shadow_command(day, variants, None, 0, "seed", out, None, None, None, GOLDEN, False)
    if code == 2:
        raise typer.Exit(2)
