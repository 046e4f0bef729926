"""``shadowsim shadow``, ``shadowsim golden record`` and ``shadowsim regress``: the comparison commands.

Exit codes: 0 agree / unchanged, 1 diverge / something moved, 2 could not run.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from sim.errors import ConfigError
from sim.report import print_report, render_junit, render_markdown, report_suites, write_html
from workflows.alchemiser import golden as goldens
from workflows.alchemiser.day import DEFAULT_CONFIG, DEFAULT_STRATEGIES, VARIANTS, DayOptions
from workflows.alchemiser.regress import junit_suites, record, regress
from workflows.alchemiser.shadow import ShadowOptions, ShadowResult, run_shadow

console = Console()


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--day {text!r} is not a date: use YYYY-MM-DD (e.g. 2026-01-14)") from None


def parse_variants(text: str) -> tuple[str, ...]:
    names = tuple(v.strip() for v in text.split(",") if v.strip())
    for name in names:
        if name not in VARIANTS and not name.endswith((".yaml", ".yml")):
            raise ConfigError(f"--variants: unknown variant {name!r}; choose from {', '.join(VARIANTS)} "
                              "or give the path of a stack YAML")
    return names


def shadow_command(day: str, variants: str, seed: Optional[int], noise_runs: int, tolerances: str,
                   report: Optional[Path], faults: Optional[Path], strategies: Optional[Path],
                   config: Optional[Path], golden_dir: Path, as_json: bool) -> int:
    when = parse_day(day)
    if noise_runs < 0:
        raise ConfigError("--noise-runs must be 0 or more")
    if faults is not None and not faults.is_file():
        raise ConfigError(f"{faults}: the --faults plan does not exist")
    base = None
    if strategies is not None or config is not None:
        for path, what in ((strategies, "--strategies folder"), (config, "--config file")):
            if path is None or not path.exists():
                raise ConfigError(f"{path}: the {what} does not exist (--strategies and --config go together)")
        base = DayOptions(variant="legacy", day=when, strategies=strategies or DEFAULT_STRATEGIES,
                          config=config or DEFAULT_CONFIG)
    options = ShadowOptions(day=when, variants=parse_variants(variants), seed=seed, noise_runs=noise_runs,
                            tolerances=tolerances, golden_root=golden_dir, base=base, faults=faults)
    with console.status(f"running {', '.join(options.variants)} on {when}"):
        result = run_shadow(options)
    folder = report or Path("reports") / "shadow" / when.isoformat()
    paths = write_reports(result, folder)
    if as_json:
        print(json.dumps({"verdict": result.verdict, "exit_code": result.exit_code,
                          "summary": result.report["summary"], "report": str(paths["html"])}))
    else:
        print_report(result.report, console)
        console.print("wrote " + ", ".join(str(p) for p in paths.values()), highlight=False)
    return result.exit_code


def write_reports(result: ShadowResult, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    result.write_artifacts(folder)
    paths = {"html": write_html(result.report, folder / "report.html"),
             "json": folder / "report.json", "markdown": folder / "summary.md", "junit": folder / "junit.xml"}
    paths["json"].write_text(json.dumps(result.report, indent=1, default=str) + "\n")
    paths["markdown"].write_text(render_markdown(result.report))
    paths["junit"].write_text(render_junit(report_suites(result.report)))
    return paths


def record_command(day: str, golden_dir: Path, variants: Optional[str], title: Optional[str],
                   exercises: Optional[str], description: Optional[str], seed: Optional[int],
                   strategies: Optional[str], config: Optional[str]) -> int:
    when = parse_day(day)
    existing = goldens.find(when, golden_dir)
    if existing is None and title is None:
        raise ConfigError(f"{golden_dir / when.isoformat()}: a new golden day needs --title (what the day is)")
    fields = {"title": title, "description": description, "seed": seed, "strategies": strategies, "config": config,
              "exercises": [e.strip() for e in exercises.split(",")] if exercises else None,
              "variants": list(parse_variants(variants)) if variants else None}
    update = {k: v for k, v in fields.items() if v is not None}
    golden = (existing.model_copy(update=update) if existing else
              goldens.GoldenDay(day=when, folder=golden_dir / when.isoformat(), **update))
    paths = _with_progress(f"recording {when}", len(golden.variants), lambda step: record(golden, progress=step))
    console.print(f"recorded {when}: " + ", ".join(str(p) for p in paths), highlight=False)
    console.print("review the expected/*.json diff before you commit it", style="bold")
    return 0


def regress_command(golden_dir: Path, variants: Optional[str], junit: Optional[Path]) -> int:
    days = goldens.golden_days(golden_dir)
    only = list(parse_variants(variants)) if variants else None
    total = sum(len(only or d.variants) for d in days)
    results = _with_progress(f"replaying {len(days)} golden days", total, lambda step: regress(days, only, step))
    table = Table("day", "variant", "result", "what moved", title=f"golden days ({golden_dir})")
    for r in results:
        style = {"passed": "green", "failed": "red", "error": "yellow"}[r.status]
        table.add_row(r.day, r.variant, f"[{style}]{r.status}[/]", "" if r.status == "passed" else r.message)
    console.print(table)
    for r in results:
        if r.status == "failed":
            console.print(f"[bold red]{r.day} {r.variant}[/] moved:\n{r.details()}", highlight=False)
    if junit is not None:
        junit.parent.mkdir(parents=True, exist_ok=True)
        junit.write_text(render_junit(junit_suites(results)))
    counts = {s: sum(r.status == s for r in results) for s in ("passed", "failed", "error")}
    verdict = "UNCHANGED" if counts["passed"] == len(results) else ("ERROR" if counts["error"] else "CHANGED")
    console.print(f"{verdict}: {counts['passed']} passed, {counts['failed']} changed, {counts['error']} could not "
                  f"run, of {len(results)} golden day x variant cases", highlight=False)
    return 2 if counts["error"] else (1 if counts["failed"] else 0)


def _with_progress(title: str, total: int, work):
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[now]}"))
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(title, total=total, now="")
        state = {"started": False}

        def step(label: str) -> None:
            if state["started"]:
                progress.advance(task)
            state["started"] = True
            progress.update(task, now=label)

        out = work(step)
        progress.advance(task)
    return out


def register(app: typer.Typer, friendly) -> None:
    @app.command()
    @friendly
    def shadow(day: str = typer.Option(..., help="The trading day (YYYY-MM-DD); a golden day's inputs if it is one."),
               variants: str = typer.Option("legacy,stepfunctions", help="Comma-separated; the first is the baseline. "
                                            f"Bundled: {', '.join(VARIANTS)}; or a stack YAML path."),
               seed: Optional[int] = typer.Option(None, help="Simulation seed (default: the golden day's, else 0)."),
               noise_runs: int = typer.Option(0, help="Also run each variant under K other seeds; differences "
                                                      "that appear within a variant are noise."),
               tolerances: str = typer.Option("seed", help="Rule set: seed (the migration analysis's criterion), "
                                                           "strict, golden, or a YAML file."),
               report: Optional[Path] = typer.Option(None, help="Report folder (default reports/shadow/DAY)."),
               faults: Optional[Path] = typer.Option(None, help="A fault plan applied to every variant."),
               strategies: Optional[Path] = typer.Option(None, help="Strategy folder (with --config)."),
               config: Optional[Path] = typer.Option(None, help="Strategy config (with --strategies)."),
               golden_dir: Path = typer.Option(goldens.GOLDEN, help="Where golden days live."),
               as_json: bool = typer.Option(False, "--json", help="Print one JSON line instead of tables.")) -> None:
        """Run variants side by side on one day and diff their observables (exit 0 agree, 1 diverge, 2 error)."""
        raise typer.Exit(shadow_command(day, variants, seed, noise_runs, tolerances, report, faults, strategies,
                                        config, golden_dir, as_json))

    golden_app = typer.Typer(help="Golden days: recorded inputs and reviewed expected observables.",
                             no_args_is_help=True)

    @golden_app.command("record")
    @friendly
    def golden_record(day: str = typer.Argument(..., help="The day (YYYY-MM-DD)."),
                      golden_dir: Path = typer.Option(goldens.GOLDEN, "--dir", help="Where golden days live."),
                      variants: Optional[str] = typer.Option(None, help="Variants to record (default: all)."),
                      title: Optional[str] = typer.Option(None, help="What the day is (needed for a new day)."),
                      exercises: Optional[str] = typer.Option(None, help="Comma-separated: what it exercises."),
                      description: Optional[str] = typer.Option(None, help="Why the day is golden."),
                      seed: Optional[int] = typer.Option(None, help="Simulation seed."),
                      strategies: Optional[str] = typer.Option(None, help="Strategy folder, relative to the day."),
                      config: Optional[str] = typer.Option(None, help="Strategy config, relative to the day.")) -> None:
        """Run every variant on DAY and write its expected observables (review the diff before committing)."""
        raise typer.Exit(record_command(day, golden_dir, variants, title, exercises, description, seed,
                                        strategies, config))

    @golden_app.command("list")
    @friendly
    def golden_list(golden_dir: Path = typer.Option(goldens.GOLDEN, "--dir", help="Where golden days live.")) -> None:
        """The golden days and what each exercises."""
        table = Table("day", "title", "exercises", "variants")
        for g in goldens.golden_days(golden_dir):
            table.add_row(g.day.isoformat(), g.title, ", ".join(g.exercises), str(len(g.variants)))
        console.print(table)

    app.add_typer(golden_app, name="golden")

    @app.command("regress")
    @friendly
    def regress_cmd(golden_dir: Path = typer.Argument(goldens.GOLDEN, help="Folder of golden days."),
                    variants: Optional[str] = typer.Option(None, help="Only these variants."),
                    junit: Optional[Path] = typer.Option(None, help="Write JUnit XML here.")) -> None:
        """Replay every golden day on every variant; fail with a readable diff when anything moved."""
        raise typer.Exit(regress_command(golden_dir, variants, junit))


__all__ = ["register", "shadow_command", "write_reports"]
