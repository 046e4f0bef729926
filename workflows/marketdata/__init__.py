"""Market data for shadowsim: daily bars with honest provenance.

* ``store``: ``BarStore`` (Parquet per symbol + verified MANIFEST.json), the DSL's
  ``BarSource``; ``StoreWriter`` to make one.
* ``calendar``: the NYSE calendar (exchange_calendars XNYS), offline.
* ``synthetic`` / ``regimes`` / ``instruments`` / ``ohlcv``: the seeded generator.
* ``proxy``: real index history from PyPI packages standing in for SPY/QQQ.
* ``s3_layout``: the real system's S3 layout (publish and read back).
* ``record`` / ``cli``: ``shadowsim record`` (alpaca-py, loopback unless --live).
* ``build``: ``python -m workflows.marketdata.build`` makes ``fixtures/market``.

This package does not import simpy or anything from ``sim/``.
"""

from workflows.marketdata.errors import MarketDataError
from workflows.marketdata.store import BarStore, StoreWriter

__all__ = ["BarStore", "MarketDataError", "StoreWriter"]
