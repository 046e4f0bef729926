"""Record real daily bars from Alpaca into a bar store (provenance ``real``).

Uses alpaca-py's ``StockHistoricalDataClient.get_stock_bars`` with
``TimeFrame.Day`` and ``Adjustment.ALL`` (what the live system fetches), which
follows Alpaca's ``next_page_token`` pagination itself.

Safety (DESIGN.md: the harness never talks to a live broker unless told to):
the destination must be a loopback URL (``--url-override http://127.0.0.1:PORT``,
e.g. the test suite's fake server) unless ``live=True`` (``--live``) is given.
With no override at all, alpaca-py would call https://data.alpaca.markets, which
is live too, so that also needs ``--live``.

Credentials come from the environment only (``APCA_API_KEY_ID`` /
``APCA_API_SECRET_KEY``, or ``ALPACA__KEY`` / ``ALPACA__SECRET``). They are handed
to the client and never written, logged or put in an error message.
"""

from __future__ import annotations

import importlib.metadata as md
import ipaddress
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from urllib.parse import urlsplit

import pandas as pd
import requests

from workflows.marketdata.errors import MarketDataError
from workflows.marketdata.manifest import FileEntry, RecordingInfo
from workflows.marketdata.store import BAR_COLUMNS, NEW_YORK, StoreWriter, session_dates

ENV_PAIRS = (("APCA_API_KEY_ID", "APCA_API_SECRET_KEY"), ("ALPACA__KEY", "ALPACA__SECRET"))
FEEDS = ("iex", "sip")


class RecordError(MarketDataError):
    """Recording could not run or Alpaca refused; the message says what to do."""


@dataclass(frozen=True)
class Credentials:
    key_id: str = field(repr=False)
    secret: str = field(repr=False)


@dataclass(frozen=True)
class RecordResult:
    written: list[FileEntry]
    empty: list[str]


def credentials_from_env(env: Mapping[str, str] | None = None) -> Credentials:
    """The first complete pair of Alpaca credentials in the environment."""
    env = os.environ if env is None else env
    for key_name, secret_name in ENV_PAIRS:
        key, secret = env.get(key_name, "").strip(), env.get(secret_name, "").strip()
        if key and secret:
            return Credentials(key, secret)
    raise RecordError(
        "no Alpaca credentials: set APCA_API_KEY_ID and APCA_API_SECRET_KEY "
        "(or ALPACA__KEY and ALPACA__SECRET) in the environment"
    )


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url_override: str | None, live: bool) -> None:
    """Refuse any non-loopback destination unless ``live`` was asked for explicitly."""
    if live:
        return
    if url_override is None:
        raise RecordError(
            "recording without --url-override contacts Alpaca's live data API; "
            "pass --live to do that on purpose, or --url-override http://127.0.0.1:PORT for a local server"
        )
    if not is_loopback_url(url_override):
        raise RecordError(
            f"refusing --url-override {url_override}: not a loopback address "
            "(127.0.0.0/8, ::1, localhost); pass --live to allow a non-local endpoint"
        )


def _client(creds: Credentials, url_override: str | None, max_retries: int, retry_wait_seconds: int):
    with warnings.catch_warnings():
        # alpaca-py 0.44 imports websockets.legacy (deprecated) for its streams.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="websockets")
        from alpaca.data.historical import StockHistoricalDataClient

    client = StockHistoricalDataClient(creds.key_id, creds.secret, url_override=url_override)
    # alpaca-py retries 429/504 three times with a 3 s sleep and exposes no
    # constructor argument for it; set the attributes so callers (and tests,
    # which must not sleep) choose.
    client._retry = max_retries
    client._retry_wait = retry_wait_seconds
    return client


def _api_error() -> type[Exception]:
    from alpaca.common.exceptions import APIError

    return APIError


def _request(symbols: Sequence[str], start: date, end: date, feed: str):
    from alpaca.data.enums import Adjustment, DataFeed
    from alpaca.data.requests import StockBarsRequest
    from alpaca.data.timeframe import TimeFrame

    # Daily bars are stamped at midnight New York: ask for [start 00:00, end 23:59:59] NY.
    first = pd.Timestamp(datetime.combine(start, time(0, 0))).tz_localize(NEW_YORK)
    last = pd.Timestamp(datetime.combine(end, time(23, 59, 59))).tz_localize(NEW_YORK)
    return StockBarsRequest(
        symbol_or_symbols=list(symbols),
        timeframe=TimeFrame.Day,
        start=first.tz_convert("UTC").to_pydatetime(),
        end=last.tz_convert("UTC").to_pydatetime(),
        adjustment=Adjustment.ALL,
        feed=DataFeed(feed),
    )


def _explain(exc: Exception, url: str) -> RecordError:
    """An alpaca-py / requests failure as one actionable message (no credentials in it)."""
    status = getattr(exc, "status_code", None)
    body = str(exc)[:200]
    if status in (401, 403):
        return RecordError(f"Alpaca rejected the credentials (HTTP {status}) at {url}: check the API key pair")
    if status == 429:
        return RecordError(f"Alpaca rate limit (HTTP 429) at {url} persisted after retries; wait a minute and re-run")
    if status is not None and status >= 500:
        return RecordError(f"Alpaca server error (HTTP {status}) at {url}: {body}; re-run later")
    if status is not None:
        return RecordError(f"Alpaca returned HTTP {status} at {url}: {body}")
    return RecordError(f"cannot fetch bars from {url}: {type(exc).__name__}: {body}")


def bars_frame(raw_bars: list, start: date, end: date) -> pd.DataFrame:
    """alpaca-py ``Bar`` models -> the store's Alpaca-shaped frame, within [start, end]."""
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime([b.timestamp for b in raw_bars], utc=True),
            "open": [b.open for b in raw_bars],
            "high": [b.high for b in raw_bars],
            "low": [b.low for b in raw_bars],
            "close": [b.close for b in raw_bars],
            "volume": [b.volume for b in raw_bars],
            "trade_count": [b.trade_count for b in raw_bars],
            "vwap": [b.vwap for b in raw_bars],
        },
        columns=BAR_COLUMNS,
    )
    frame = frame.sort_values("timestamp").drop_duplicates("timestamp", keep="last")
    days = session_dates(frame["timestamp"])
    keep = (days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))
    return frame[keep].reset_index(drop=True).astype({c: "float64" for c in BAR_COLUMNS[1:]})


def record(
    symbols: Sequence[str],
    start: date,
    end: date,
    out: str,
    feed: str = "iex",
    url_override: str | None = None,
    live: bool = False,
    env: Mapping[str, str] | None = None,
    max_retries: int = 3,
    retry_wait_seconds: int = 3,
    recorded_at: datetime | None = None,
) -> RecordResult:
    """Fetch daily bars for ``symbols`` and merge them into the store at ``out``."""
    if feed not in FEEDS:
        raise RecordError(f"unknown feed {feed!r}: use one of {', '.join(FEEDS)}")
    if start > end:
        raise RecordError(f"--start {start} is after --end {end}")
    check_endpoint(url_override, live)
    creds = credentials_from_env(env)
    client = _client(creds, url_override, max_retries, retry_wait_seconds)
    where = url_override or "Alpaca's data API"
    try:
        barset = client.get_stock_bars(_request(symbols, start, end, feed))
    except (_api_error(), requests.RequestException, ValueError) as exc:  # ValueError: bad JSON
        raise _explain(exc, where) from None
    info = RecordingInfo(
        feed=feed,
        adjustment="all",
        recorded_at=(recorded_at or datetime.now(timezone.utc)).isoformat(),
        alpaca_py=md.version("alpaca-py"),
    )
    writer = StoreWriter(out, merge=True)
    written, empty = [], []
    for symbol in symbols:
        frame = bars_frame(barset.data.get(symbol, []), start, end)
        if frame.empty:
            empty.append(symbol)
            continue
        written.append(writer.put(symbol, frame, "real", recording=info, label="REAL - recorded from Alpaca"))
    writer.save()
    return RecordResult(written, empty)
