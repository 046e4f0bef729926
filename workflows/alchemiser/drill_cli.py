"""``shadowsim drill NAME|--all``: run failure drills per variant and say what happened.

Exit codes: 0 every expectation holds (pass or recorded finding), 1 one does not, 2 bad input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from sim.errors import ConfigError
from sim.report import write_html
from sim.report.matrix import counts, write_matrix_html
from workflows.alchemiser.drill_runs import DrillResult, find_races, run_drill
from workflows.alchemiser.drills import DRILLS, Drill, catalogue, find_drill
from workflows.alchemiser.observables import observe
from workflows.alchemiser.shadow import run_entry

console = Console()
STYLE = {"pass": "green", "finding": "yellow", "fail": "bold red"}


def drill_command(name: Optional[str], run_all: bool, list_only: bool, day: Optional[str], variants: Optional[str],
                  seed: Optional[int], schedules: int, report: Optional[Path], as_json: bool) -> int:
    if list_only:
        _list()
        return 0
    drills = _select(name, run_all, day)
    only = [v.strip() for v in variants.split(",")] if variants else None
    if schedules < 0:
        raise ConfigError("--schedules must be 0 or more")
    results: list[DrillResult] = []
    races = []
    with console.status("running drills"):
        for drill in drills:
            for variant in [v for v in drill.variants if only is None or v in only]:
                results.append(run_drill(drill, variant, seed))
                if schedules:
                    start = drill.base_seed() if seed is None else seed
                    races.append({"case": drill.name, "variant": variant,
                                  "outcomes": find_races(drill, variant, range(start, start + schedules))})
    if not results:
        raise ConfigError(f"no drill runs: the drills' variants do not include {variants}")
    matrix = _matrix(drills, results, races, report)
    if report is not None:
        _write(report, results, matrix)
    if as_json:
        print(json.dumps({"summary": matrix["summary"], "results": [r.to_dict() for r in results],
                          "races": races}, default=str))
    else:
        _print(results, races)
        console.print(matrix["summary"], style="bold red" if counts(matrix)["fail"] else "bold green",
                      highlight=False)
        if report is not None:
            console.print(f"wrote {report / 'drills.html'}, {report / 'drills.json'}", highlight=False)
    return 1 if any(r.verdict == "fail" for r in results) else 0


def _select(name: Optional[str], run_all: bool, day: Optional[str]) -> list[Drill]:
    if run_all == (name is not None):
        raise ConfigError("give a drill name or --all (and not both); `shadowsim drill --list` shows them")
    drills = catalogue() if run_all else [find_drill(name)]
    if day is not None:
        from datetime import date

        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise ConfigError(f"--day {day!r} is not a date: use YYYY-MM-DD") from None
        drills = [d.model_copy(update={"day": when}) for d in drills]
    return drills


def _list() -> None:
    table = Table("drill", "what", "seed test", "variants")
    for d in catalogue():
        table.add_row(d.name, d.title, d.seed_test or "", ", ".join(d.variants))
    console.print(table)


def _headline(r: DrillResult) -> str:
    m = r.measured
    parts = [m["outcome"]]
    if m["alert"] != "none":
        parts.append(f"alert {m['alert']} +{m['alert_at_s']:.0f}s")
    else:
        parts.append("no alert")
    lost = {k.split(".")[1]: v for k, v in m.items() if k.startswith(("lost.", "duplicated.")) and v}
    parts += [f"{k} {v}" for k, v in lost.items()]
    return ", ".join(parts)


def _print(results: list[DrillResult], races: list[dict]) -> None:
    table = Table("drill", "variant", "verdict", "outcome", "detection", "lost / duplicated", title="drills")
    for r in results:
        m = r.measured
        detection = "-" if m["detection_s"] is None else f"{m['detection_s']:.1f} s ({m['alert']})"
        lossy = ", ".join(f"{k} {v}" for k, v in m.items() if k.startswith(("lost.", "duplicated.")) and v) or "-"
        table.add_row(r.drill.name, r.variant, f"[{STYLE[r.verdict]}]{r.verdict}[/]", m["outcome"], detection, lossy)
    console.print(table)
    for r in results:
        for c in r.checks:
            if not c["ok"]:
                console.print(f"[bold red]{r.drill.name} / {r.variant}[/]: {c['measure']} expected {c['expected']}, "
                              f"got {c['actual']}", highlight=False)
    findings = [r for r in results if r.verdict == "finding"]
    if findings:
        console.print(f"[bold yellow]findings ({len(findings)})[/]")
        for r in findings:
            console.print(f"  [yellow]{r.drill.name} / {r.variant}[/]: {r.finding}", highlight=False)
    for race in races:
        console.print(f"[bold]{race['case']} / {race['variant']}[/]: {len(race['outcomes'])} distinct outcome(s)")
        for o in race["outcomes"]:
            console.print(f"  seeds {o['seeds']}: {o['outcome']}  →  {o['reproduce']}", highlight=False)


def _matrix(drills: list[Drill], results: list[DrillResult], races: list[dict], report: Optional[Path]) -> dict:
    columns = sorted({r.variant for r in results}, key=lambda v: ["legacy", "stepfunctions", "stepfunctions-fixed",
                                                                  "stepfunctions-execution"].index(v)
                     if v in ("legacy", "stepfunctions", "stepfunctions-fixed", "stepfunctions-execution") else 9)
    rows = []
    for drill in drills:
        cells = {}
        for r in results:
            if r.drill.name != drill.name:
                continue
            links = {} if report is None else {"timeline": f"{drill.name}/{r.variant}/run.html",
                                               "perfetto": f"{drill.name}/{r.variant}/timeline.json",
                                               "trace": f"{drill.name}/{r.variant}/trace.jsonl"}
            cells[r.variant] = {"verdict": r.verdict, "headline": _headline(r), "finding": r.finding,
                                "checks": r.checks, "evidence": r.evidence, "links": links}
        rows.append({"name": drill.name, "title": drill.title, "note": drill.seed_test and f"seed: {drill.seed_test}",
                     "cells": cells})
    tally = {v: sum(r.verdict == v for r in results) for v in ("pass", "finding", "fail")}
    summary = (f"{len(results)} drill runs: {tally['pass']} pass, {tally['finding']} findings, {tally['fail']} fail"
               + (" — an expectation does not hold" if tally["fail"] else " — every expectation holds"))
    return {"title": "Failure and timeout drills", "summary": summary, "columns": columns, "rows": rows,
            "races": races}


def _write(folder: Path, results: list[DrillResult], matrix: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for r in results:
        if r.run is not None:
            r.run.write(folder / r.drill.name / r.variant)
            write_html(_run_page(r), folder / r.drill.name / r.variant / "run.html")
    (folder / "drills.json").write_text(json.dumps({"summary": matrix["summary"],
                                                    "results": [r.to_dict() for r in results],
                                                    "races": matrix["races"]}, indent=1, default=str) + "\n")
    write_matrix_html(matrix, folder / "drills.html")


def _run_page(r: DrillResult) -> dict:
    """One drill run as a report page: its verdict, the checks, the timeline and execution graphs."""
    entry = run_entry(r.variant, r.run, observe(r.run))
    entry["artifacts"] = {k: v.split("/", 1)[1] for k, v in entry["artifacts"].items()}  # beside the page
    notes = [f"{c['measure']}: expected {c['expected']}, got {c['actual']}" + ("" if c["ok"] else "  <- DOES NOT HOLD")
             for c in r.checks]
    return {"schema": "shadowsim/shadow-report@1", "title": f"Drill {r.drill.name} on {r.variant}",
            "day": r.drill.day.isoformat(), "seed": r.seed, "noise_seeds": [], "verdict": r.verdict,
            "exit_code": 1 if r.verdict == "fail" else 0, "summary": r.finding or r.drill.title, "error": None,
            "inputs": {"drill": r.drill.name, "why": r.drill.why, "reproduce": r.to_dict()["reproduce"]},
            "tolerances": None, "baseline": r.variant, "groups": [], "comparisons": [], "noise": {},
            "notes": notes, "runs": {r.variant: entry}}


def register(app: typer.Typer, friendly) -> None:
    @app.command()
    @friendly
    def drill(name: Optional[str] = typer.Argument(None, help=f"A drill name (see --list) or a drill YAML path; "
                                                              f"the catalogue is {DRILLS}."),
              run_all: bool = typer.Option(False, "--all", help="Run every drill in the catalogue."),
              list_only: bool = typer.Option(False, "--list", help="List the drills and exit."),
              day: Optional[str] = typer.Option(None, help="Run on this day instead of the drill's."),
              variants: Optional[str] = typer.Option(None, help="Only these variants (comma-separated)."),
              seed: Optional[int] = typer.Option(None, help="Simulation seed (default: the day's)."),
              schedules: int = typer.Option(0, help="Race finder: also run each drill under K seeded "
                                                    "interleavings and report the distinct outcomes."),
              report: Optional[Path] = typer.Option(None, help="Write drills.html, drills.json and each run's "
                                                               "trace and timeline here."),
              as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
        """Failure and timeout drills: per variant, what happened, when it was detected, what was lost."""
        raise typer.Exit(drill_command(name, run_all, list_only, day, variants, seed, schedules, report, as_json))


__all__ = ["drill_command", "register"]
