"""The ``shadowsim`` console script: the simulator's commands plus the trading ones."""

from __future__ import annotations

from pathlib import Path

import typer

from sim.cli import friendly, print_summary, register
from workflows.dsl.cli import dsl_app
from workflows.marketdata.cli import record_command

app = typer.Typer(help="shadowsim: simulate serverless trading pipelines on AWS, on a virtual clock.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
register(app)
app.command("record")(record_command)
app.add_typer(dsl_app, name="dsl")

EXAMPLE_STACK = Path(__file__).parent / "examples" / "orders" / "stack.yaml"


@app.command()
@friendly
def demo(seed: int = typer.Option(7, help="Seed for every random stream."),
         out: Path = typer.Option(Path("reports/demo"), help="Where to write the trace and timeline.")) -> None:
    """Run the bundled example stack through one simulated morning and print its trace summary."""
    import sim

    stack = sim.load_stack(EXAMPLE_STACK)
    with sim.Simulation(stack, seed=seed, epoch="2026-01-12T09:00", tz="America/New_York") as s:
        result = s.run(until=3 * 3600)
    print_summary(result, result.write(out))
