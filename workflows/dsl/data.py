"""The market-data interface the DSL engine consumes.

The market-data store (``workflows.marketdata.store.BarStore``) implements
:class:`BarSource`; tests use :class:`workflows.dsl.testing.InMemoryBars`.
The engine itself applies the as-of rule and each indicator's calendar window
(see :mod:`workflows.dsl.window`), so a source simply returns everything it has.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import pandas as pd

BAR_COLUMNS = ("open", "high", "low", "close", "volume")


class UnknownSymbolError(KeyError):
    """The source has no data at all for ``symbol``."""

    def __init__(self, symbol: str) -> None:
        super().__init__(symbol)
        self.symbol = symbol

    def __str__(self) -> str:
        return f"no market data for symbol {self.symbol!r}"


@runtime_checkable
class BarSource(Protocol):
    """Daily bars per symbol.

    ``daily_bars`` returns a DataFrame with columns ``open, high, low, close,
    volume`` indexed by a tz-naive ``DatetimeIndex`` of session dates (one row
    per NYSE session, ascending), and raises :class:`UnknownSymbolError` when
    the symbol has no data.
    """

    def daily_bars(self, symbol: str) -> pd.DataFrame: ...
