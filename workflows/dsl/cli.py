"""``shadowsim dsl ...``: check and evaluate strategy files.

``check FILE...`` parses only and reports every syntax error with its place;
``eval FILE --as-of D`` prints target weights, scaled weights, the signal
count and the decision trace (``--json`` prints exactly one JSON object).
Expected failures (missing file, syntax error, unknown ticker, bad date,
missing market data) print one message to stderr and exit 1, never a
traceback.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer

from workflows.dsl.cache import IndicatorCache
from workflows.dsl.coverage import branch_coverage, untaken_branches
from workflows.dsl.data import BarSource
from workflows.dsl.errors import DslError
from workflows.dsl.evaluator import StrategyResult, evaluate
from workflows.dsl.parser import parse_file
from workflows.dsl.trace import FilterDecision, IfDecision
from workflows.dsl.universe import tickers_in_files
from workflows.dsl.values import decimal_str
from workflows.dsl.window import DEFAULT_POLICY, LiveBarPolicy

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "fixtures" / "market"

dsl_app = typer.Typer(
    help="Parse, evaluate and measure strategy (.clj) files.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class CliError(Exception):
    """An expected failure: printed as one line, exit code 1."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _unreadable(error: OSError | UnicodeDecodeError, path: object = None) -> str:
    """One line for a file that cannot be read (missing, a directory, not text)."""
    if isinstance(error, FileNotFoundError):
        return f"{error.filename or path}: no such file"
    if isinstance(error, UnicodeDecodeError):
        return f"{path}: not a UTF-8 text file"
    return f"{error.filename or path}: {error.strerror or error}"


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"bad date {text!r}: expected YYYY-MM-DD") from None


def _parse_allocation(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CliError(f"bad allocation {text!r}: expected a number such as 0.075") from None
    if not value.is_finite() or value < 0:
        raise CliError(f"bad allocation {text!r}: expected a non-negative number")
    return value


def open_source(data: Path | None, synthetic: int | None, files: list[Path], as_of: date) -> BarSource:
    """The bar source: generated bars (``--synthetic``) or the market-data store."""
    if synthetic is not None:
        from workflows.dsl.testing import synthetic_bars

        tickers = tickers_in_files(files).tickers
        return synthetic_bars(tickers, as_of - timedelta(days=3 * 365), as_of, seed=synthetic)
    path = data or DEFAULT_DATA
    try:  # imported lazily: the store is built alongside this package
        from workflows.marketdata.store import BarStore
    except ImportError:
        raise CliError(
            "the market-data store (workflows.marketdata.store) is not available; "
            "use --synthetic SEED for generated bars"
        ) from None
    if not path.exists():
        raise CliError(f"market data directory not found: {path}")
    try:
        return BarStore.open(path)
    except Exception as error:  # the store's own errors: one line, no traceback
        raise CliError(f"cannot open market data at {path}: {error}") from None


@dsl_app.command("check")
def check(files: Annotated[list[Path], typer.Argument(help="Strategy files to parse.")]) -> None:
    """Parse files only; report syntax errors with file:line:column."""
    failures = 0
    for file in files:
        try:
            parse_file(file)
        except (OSError, UnicodeDecodeError) as error:
            typer.echo(f"error: {_unreadable(error, file)}", err=True)
            failures += 1
        except DslError as error:
            typer.echo(str(error), err=True)
            failures += 1
        else:
            typer.echo(f"ok  {file}")
    if failures:
        raise typer.Exit(1)


@dsl_app.command("eval")
def eval_command(
    file: Annotated[Path, typer.Argument(help="Strategy file to evaluate.")],
    as_of: Annotated[str, typer.Option("--as-of", help="Run date YYYY-MM-DD (sees bars before it).")],
    data: Annotated[Path | None, typer.Option("--data", help="Market data directory.")] = None,
    allocation: Annotated[
        str | None, typer.Option("--allocation", help="File allocation, e.g. 0.075.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    live_bar_policy: Annotated[
        LiveBarPolicy, typer.Option("--live-bar-policy", help="Which closes indicators see.")
    ] = DEFAULT_POLICY,
    synthetic: Annotated[
        int | None, typer.Option("--synthetic", help="Use seeded generated bars instead of --data.")
    ] = None,
) -> None:
    """Evaluate one strategy file for one date."""
    try:
        day = _parse_date(as_of)
        scale = _parse_allocation(allocation)
        tree = parse_file(file)
        source = open_source(data, synthetic, [file], day)
        result = evaluate(tree, IndicatorCache(source), day, live_bar_policy, str(file))
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(_unreadable(error, file)) from None
    except (CliError, DslError) as error:
        raise _fail(str(error)) from None
    _print_result(result, scale, as_json)


@dsl_app.command("universe")
def universe_command(files: Annotated[list[Path], typer.Argument(help="Strategy files.")]) -> None:
    """List tradable and indicator-only tickers (over all files given)."""
    try:
        universe = tickers_in_files(files)
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(_unreadable(error)) from None
    except DslError as error:
        raise _fail(str(error)) from None
    typer.echo(f"{len(universe)} tickers: {len(universe.assets)} tradable, "
               f"{len(universe.indicator_only)} indicator-only")
    typer.echo("tradable: " + " ".join(universe.assets))
    typer.echo("indicator-only: " + " ".join(universe.indicator_only))


@dsl_app.command("coverage")
def coverage_command(
    files: Annotated[list[Path], typer.Argument(help="Strategy files.")],
    start: Annotated[str, typer.Option("--start", help="First run date YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--end", help="Last run date YYYY-MM-DD.")],
    data: Annotated[Path | None, typer.Option("--data", help="Market data directory.")] = None,
    synthetic: Annotated[int | None, typer.Option("--synthetic", help="Use generated bars.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    untaken: Annotated[
        bool, typer.Option("--untaken", help="Also list each untaken branch and what its condition saw.")
    ] = False,
) -> None:
    """Branch coverage of every `if` over the NYSE sessions from --start to --end."""
    try:
        first, last = _parse_date(start), _parse_date(end)
        if first > last:
            raise CliError(f"--start {first} is after --end {last}")
        days = _sessions(first, last)
        if not days:
            raise CliError(f"no NYSE session from {first} to {last}")
        source = open_source(data, synthetic, files, last)
        cache = IndicatorCache(source)
        report = branch_coverage(files, days, cache)
        detail = untaken_branches(files, days, cache, aliases=_leveraged_aliases()) if untaken else {}
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(_unreadable(error)) from None
    except (CliError, DslError) as error:
        raise _fail(str(error)) from None
    if as_json:
        payload = report.to_json()
        if untaken:
            payload["untaken"] = {file: [asdict(row) for row in rows] for file, rows in detail.items()}
        typer.echo(json.dumps(payload, default=str))
        return
    typer.echo(f"{len(days)} NYSE sessions {days[0]}..{days[-1]}")
    for f in report.files:
        typer.echo(f"{f.branch_coverage:6.1%}  {f.file}: {f.ifs} ifs, both {f.both}, then-only "
                   f"{f.then_only}, else-only {f.else_only}, never {f.never}; infeasible branches "
                   f"{f.infeasible}; errors {f.errors}")
        for row in detail.get(f.file, ()):
            typer.echo("        " + row.describe().replace("\n", "\n        "))
    typer.echo(f"{report.branch_coverage:6.1%}  overall ({report.branches_taken}/{2 * report.ifs} branches; "
               f"{report.feasible_coverage:.1%} of the {2 * report.ifs - report.infeasible} feasible)")


def _sessions(first: date, last: date) -> list[date]:
    """NYSE sessions in [first, last] (the market-data calendar, imported lazily)."""
    try:
        from workflows.marketdata import calendar
    except ImportError:
        raise CliError("the NYSE calendar (workflows.marketdata.calendar) is not available") from None
    try:
        return calendar.sessions(first, last)
    except ValueError as error:
        raise CliError(str(error)) from None


def _leveraged_aliases() -> dict[str, str]:
    """Daily 2x/3x funds -> the instrument they multiply, for near-infeasible branches."""
    from workflows.marketdata.instruments import SPECS

    aliases = {}
    for symbol, spec in SPECS.items():
        if spec.kind == "leveraged" and spec.multiple > 0:
            root = spec.underlying
            while root in SPECS and SPECS[root].kind == "leveraged" and SPECS[root].multiple > 0:
                root = SPECS[root].underlying
            aliases[symbol] = root
    return aliases


def _print_result(result: StrategyResult, scale: Decimal | None, as_json: bool) -> None:
    scaled = result.scaled(scale) if scale is not None else {}
    count = len(scaled) if scale is not None else result.signal_count
    if as_json:
        payload = {
            "weights": {s: decimal_str(w) for s, w in result.weights.items()},
            "scaled_weights": {s: decimal_str(w) for s, w in scaled.items()},
            "signal_count": count,
            "decision_trace": result.trace_json(),
        }
        typer.echo(json.dumps(payload))
        return
    typer.echo(f"{result.file} as of {result.as_of.isoformat()}")
    typer.echo("target weights:")
    for symbol, weight in result.weights.items():
        typer.echo(f"  {symbol:<6} {decimal_str(weight)}")
    if scale is not None:
        typer.echo(f"scaled weights (allocation {decimal_str(scale)}):")
        for symbol, weight in scaled.items():
            typer.echo(f"  {symbol:<6} {decimal_str(weight)}")
    typer.echo(f"signal count: {count}")
    typer.echo("decision trace:")
    for entry in result.trace:
        typer.echo("  " + _describe(entry))


def _describe(entry: IfDecision | FilterDecision) -> str:
    if isinstance(entry, IfDecision):
        reads = ", ".join(
            f"{r.indicator}({r.symbol}{'' if r.window is None else f', {r.window}'})={r.value:.6g}"
            for r in entry.reads
        )
        return f"if {entry.line}:{entry.column} {entry.condition} [{reads}] -> {entry.branch}"
    scores = ", ".join(
        f"{c.id}={'dropped' if c.score is None else format(c.score, '.6g')}" for c in entry.candidates
    )
    limit = "all" if entry.limit is None else entry.limit
    return (f"filter {entry.line}:{entry.column} {entry.condition} {entry.mode} "
            f"{entry.order} {limit}: {scores} -> {', '.join(entry.survivors) or '(none)'}")
