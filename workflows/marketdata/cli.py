"""Command-line entry points of the market data package.

``record_command`` is registered on the project CLI as ``shadowsim record``
(``app.command("record")(record_command)`` in ``workflows/cli.py``); it also
runs alone as ``python -m workflows.marketdata.cli``.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from workflows.marketdata.errors import MarketDataError


class Feed(str, Enum):
    iex = "iex"
    sip = "sip"


def _day(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date", param_hint=flag) from None


def record_command(
    symbols: str = typer.Option(..., "--symbols", help="Comma-separated tickers, e.g. SPY,QQQ"),
    start: str = typer.Option(..., "--start", help="First session, YYYY-MM-DD"),
    end: str = typer.Option(..., "--end", help="Last session, YYYY-MM-DD"),
    out: Path = typer.Option(..., "--out", help="Bar store directory (created or merged into)"),
    feed: Feed = typer.Option(Feed.iex, "--feed", help="Alpaca data feed"),
    url_override: Optional[str] = typer.Option(
        None, "--url-override", help="Data API base URL; must be loopback unless --live"
    ),
    live: bool = typer.Option(False, "--live", help="Allow contacting a non-loopback (live) Alpaca endpoint"),
) -> None:
    """Record real daily bars (Adjustment.ALL) from Alpaca into a bar store.

    Credentials come from APCA_API_KEY_ID/APCA_API_SECRET_KEY or
    ALPACA__KEY/ALPACA__SECRET and are never written or printed.
    """
    from workflows.marketdata.record import record

    tickers = [s.strip().upper() for s in symbols.split(",") if s.strip()]
    if not tickers:
        raise typer.BadParameter("no symbols given", param_hint="--symbols")
    first, last = _day(start, "--start"), _day(end, "--end")
    try:
        result = record(tickers, first, last, str(out), feed.value, url_override, live)
    except MarketDataError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for entry in result.written:
        typer.echo(f"{entry.symbol}: {entry.rows} bars {entry.first}..{entry.last}")
    if result.empty:
        typer.echo(f"warning: no bars returned for {', '.join(result.empty)}", err=True)
    if not result.written:
        typer.echo("error: no bars recorded", err=True)
        raise typer.Exit(1)
    typer.echo(f"store: {out} ({len(result.written)} symbols recorded)")


if __name__ == "__main__":
    typer.run(record_command)
