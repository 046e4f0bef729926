"""Errors raised by the market data package.

One class, one clear message: a market data problem is almost always fixed by
regenerating or re-recording a store, so every message names the file and the fix.
"""

from __future__ import annotations

REBUILD_HINT = "regenerate with `python -m workflows.marketdata.build`"


class MarketDataError(Exception):
    """A store, file or download is unusable. The message names the file and the fix."""

    def __init__(self, message: str, path: str | None = None) -> None:
        # Pass every argument to super() so type(e)(*e.args) rebuilds the error.
        super().__init__(message, path)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return self.message
