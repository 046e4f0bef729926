"""``shadowsim asl``: validate, run and conformance-test state machines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from sim.asl.conformance import conformance_command
from sim.asl.validate import validate_command
from sim.cli import friendly
from sim.errors import AwsError, ConfigError

KNOWN_GAPS = Path(__file__).with_name("known_gaps.yaml")
asl_app = typer.Typer(help="Amazon States Language: validate, run, and check against AWS-recorded cases.",
                      no_args_is_help=True)


def _read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what} ({exc.strerror}); pass an existing JSON file") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}:{exc.colno}: the {what} is not valid JSON ({exc.msg})") from None


def run_command(definition: Path = typer.Argument(..., help="A state machine definition (.asl.json)."),
                input_file: Optional[Path] = typer.Option(None, "--input", help="Execution input (JSON file)."),
                mock_config: Optional[Path] = typer.Option(None, "--mock-config",
                                                           help="Step Functions Local mock configuration (JSON)."),
                test_case: Optional[str] = typer.Option(None, "--test-case", help="Test case in the mock config."),
                name: Optional[str] = typer.Option(None, "--name", help="State machine name (default: file stem)."),
                stack: Optional[Path] = typer.Option(None, "--stack", help="A stack YAML with the functions, "
                                                                              "queues and tables the tasks use."),
                express: bool = typer.Option(False, "--express", help="Run as an Express state machine."),
                seed: int = typer.Option(0, help="Seed for every random stream."),
                epoch: str = typer.Option("2026-01-12T09:00", help="Start instant (ISO 8601, UTC)."),
                history: bool = typer.Option(False, "--history", help="Include the execution history.")) -> None:
    """Run one execution on the virtual clock; print {status, output, error, cause[, history]}."""
    from sim.asl.mockconfig import MockConfig
    from sim.simulation import Simulation
    from sim.stack.load import load_stack
    from sim.stack.spec import Stack

    if (mock_config is None) != (test_case is None):
        raise ConfigError("--mock-config and --test-case go together: name the test case to run from the file")
    definition_text = json.dumps(_read_json(definition, "state machine definition"))
    value = _read_json(input_file, "execution input") if input_file else {}
    sm_name = name or definition.name.split(".")[0]
    mocks = MockConfig.load(mock_config).test_case(sm_name, test_case) if mock_config else None
    the_stack = load_stack(stack) if stack else Stack(name="asl-run")
    with Simulation(the_stack, seed=seed, epoch=epoch, tz="UTC") as s:
        sfn = s.stepfunctions
        try:
            sm = sfn.create(sm_name, definition_text, "EXPRESS" if express else "STANDARD")
        except AwsError as exc:  # InvalidDefinition: one message and exit 2, like any bad input
            raise ConfigError(f"{definition}: {exc.message}; fix the definition "
                              f"(`shadowsim asl validate {definition}` lists every problem)") from None
        ex = sfn.start(sm, json.dumps(value), "asl-run", "cli", mocks=mocks)
        s.run()
        out: dict[str, Any] = {"status": ex.status, "output": ex.output, "error": ex.error, "cause": ex.cause,
                               "started": ex.start_date.isoformat(), "stopped": ex.stop_date.isoformat()
                               if ex.stop_date else None}
        if history:
            out["history"] = ex.history.aws()
    print(json.dumps(out, default=_iso, ensure_ascii=False))
    if ex.status == "RUNNING":
        raise typer.Exit(3)


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _conformance(directory: Path = typer.Argument(..., help="A folder of conformance cases (*.json)."),
                 as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
                 known_gaps: Path = typer.Option(KNOWN_GAPS, "--known-gaps",
                                                 help="YAML list of {id, reason}: cases allowed to fail."),
                 only: Optional[str] = typer.Option(None, "--only", help="Run only ids matching this glob or text.")
                 ) -> None:
    """Run a folder of AWS-recorded cases; pass / fail / not run per category and per need."""
    conformance_command(directory, as_json, known_gaps, only)


asl_app.command("validate")(validate_command)
asl_app.command("run")(friendly(run_command))
asl_app.command("conformance")(_conformance)
