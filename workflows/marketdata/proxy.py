"""Proxy bases: real index series shipped inside PyPI packages, standing in for SPY/QQQ.

No package on PyPI ships real daily bars for the strategies' ETFs (see
shared/reference/market-data.md, section 2). What does ship is real *index*
history. This module uses, when the package is installed:

* ``arch`` (NCSA licence; checked with 8.0.0): ``arch/data/sp500/sp500.csv.gz``
  (^GSPC daily OHLCV 1999-01-04..2018-12-31) as a proxy for SPY, and
  ``arch/data/nasdaq/nasdaq.csv.gz`` (^IXIC, the Nasdaq *Composite*, not the
  Nasdaq-100) as a proxy for QQQ.

``arch`` is optional: install it with ``pip install arch==8.0.0`` (it pulls
scipy and statsmodels). The files are read straight from the installed
distribution, without importing ``arch``. Without it, ``available()`` is empty
and the build falls back to the synthetic market alone.

How a proxy is made (``proxy_bars``): take N consecutive real sessions starting
at a chosen real date, relabel them onto the N target NYSE sessions, and scale
O/H/L/C by one constant so the last close equals the ticker's reference price.
Daily returns, intraday ranges and the path (crashes, recoveries) are real; the
dates are not. The manifest records package, version, file path, the file's
sha256 and this method, and the file's provenance is ``proxy``.

Other packages named in market-data.md (great_tables, skfolio, zipline-reloaded,
npm vega-datasets) hold the same Yahoo ^GSPC series or close-only data; they are
not used, to keep one optional dependency.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workflows.marketdata.errors import MarketDataError
from workflows.marketdata.instruments import spec_for
from workflows.marketdata.manifest import SourceInfo
from workflows.marketdata.store import session_timestamps

DEFAULT_WINDOW_START = "2007-06-01"  # covers the 2008 crash and the 2009 recovery


@dataclass(frozen=True)
class ProxySource:
    index: str
    package: str
    path: str
    volume_scale: float
    note: str


SOURCES: dict[str, ProxySource] = {
    "SPY": ProxySource("^GSPC", "arch", "arch/data/sp500/sp500.csv.gz", 1 / 40, "S&P 500 index"),
    "QQQ": ProxySource(
        "^IXIC", "arch", "arch/data/nasdaq/nasdaq.csv.gz", 1 / 40,
        "Nasdaq Composite (not the Nasdaq-100)",
    ),
}


def _locate(source: ProxySource) -> tuple[Path, str] | None:
    """The data file inside the installed package and the package version, if any."""
    try:
        dist = md.distribution(source.package)
    except md.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file(source.path)))
    return (path, dist.version) if path.is_file() else None


def available() -> dict[str, ProxySource]:
    """Proxy sources whose package is installed here, by the symbol they stand for."""
    return {sym: src for sym, src in SOURCES.items() if _locate(src) is not None}


def load_index(source: ProxySource) -> tuple[pd.DataFrame, SourceInfo]:
    """The real index as open/high/low/close/volume on its real dates."""
    found = _locate(source)
    if found is None:
        raise MarketDataError(
            f"proxy {source.index} needs the PyPI package {source.package!r}: pip install {source.package}",
            source.path,
        )
    path, version = found
    raw = pd.read_csv(path)
    frame = pd.DataFrame(
        {
            "open": raw["Open"].astype(float),
            "high": raw["High"].astype(float),
            "low": raw["Low"].astype(float),
            "close": raw["Close"].astype(float),
            "volume": raw["Volume"].astype(float),
        }
    )
    frame.index = pd.DatetimeIndex(pd.to_datetime(raw["Date"], format="%m/%d/%Y"), name="date")
    info = SourceInfo(
        package=source.package,
        version=version,
        path=source.path,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        method="",
    )
    return frame.sort_index(), info


def proxy_bars(
    symbol: str, sessions: pd.DatetimeIndex, window_start: str = DEFAULT_WINDOW_START
) -> tuple[pd.DataFrame, SourceInfo]:
    """Alpaca-shaped bars for ``symbol`` on ``sessions``, from its real index proxy."""
    source = SOURCES[symbol]
    index, info = load_index(source)
    window = index[index.index >= pd.Timestamp(window_start)].iloc[: len(sessions)]
    if len(window) < len(sessions):
        raise MarketDataError(
            f"{source.index} in {source.package} has {len(window)} sessions from {window_start}, "
            f"{len(sessions)} needed: pick an earlier proxy window start",
            source.path,
        )
    scale = spec_for(symbol).price / float(window["close"].iloc[-1])
    ohlc = window[["open", "high", "low", "close"]].to_numpy() * scale
    # Yahoo index rows occasionally have a high/low that misses the open or close
    # by a rounding hair; widen the range rather than keep an inconsistent bar.
    high = np.maximum(ohlc[:, 1], ohlc[:, [0, 3]].max(axis=1))
    low = np.minimum(ohlc[:, 2], ohlc[:, [0, 3]].min(axis=1))
    bars = pd.DataFrame(
        {
            "timestamp": session_timestamps(sessions),
            "open": ohlc[:, 0],
            "high": high,
            "low": low,
            "close": ohlc[:, 3],
            "volume": np.rint(window["volume"].to_numpy() * source.volume_scale),
        }
    )
    first, last = window.index[0].date(), window.index[-1].date()
    method = (
        f"{source.index} ({source.note}) daily OHLC {first}..{last}, {len(window)} real sessions "
        f"relabelled in order onto XNYS sessions {sessions[0].date()}..{sessions[-1].date()}; "
        f"prices x {scale:.6g} so the last close is {spec_for(symbol).price}; "
        f"volume x {source.volume_scale:.4g}"
    )
    return bars, info.model_copy(update={"method": method})
