"""The strategy worker's "sync refresh" (reference §3.9 "On-demand", §10 item 28).

The real worker's ``CachedMarketDataAdapter`` (``enable_sync_refresh=True``)
treats an S3 cache miss as a reason to fetch the symbol before evaluating: no
file (or no timestamp column), or nothing inside the lookback window. It then
invokes the Data Lambda synchronously (RequestResponse; boto read timeout
SYNC_REFRESH_TIMEOUT_SECONDS (300) + 30 s, connect timeout 10 s, no SDK
retries) with an EventBridge-shaped MarketDataFetchRequested payload, up to 2
attempts. An answer of "success" or "deduplicated" (the body's ``status``) is
followed by a 5 s sleep and a fresh S3 read (past any cache); a failed attempt
(another status, an invoke error, or still nothing in S3) is followed by a 1 s
pause before the next one. When every attempt failed the symbol has no data,
and the DSL fails the strategy as the real engine does (MarketDataError).

:class:`SyncRefreshSource` does this as a ``BarSource`` around
:class:`S3BarSource`, so the DSL engine is unchanged. The engine cuts each
indicator's window itself and reads a symbol once, so the miss test uses the
shortest window any indicator reads (365 days: 365 × years, years >= 1): a
file whose bars all lie before it is a miss. The real adapter tests each
call's own window (1 or 2 years), so a symbol whose last bar is between one and
two years old is refreshed here even for a 2-year indicator alone.

Env: DATA_FUNCTION_NAME (default ``alchemiser-{APP__STAGE}-data``, as the real
one builds it from the stage), SYNC_REFRESH_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pandas as pd
from botocore.config import Config

from workflows.alchemiser import settings
from workflows.alchemiser.common import log
from workflows.dsl.data import UnknownSymbolError
from workflows.marketdata.s3_layout import S3BarSource

MAX_ATTEMPTS = 2
WAIT_AFTER_REFRESH_S = 5.0
PAUSE_BETWEEN_ATTEMPTS_S = 1.0
DEFAULT_TIMEOUT_S = 300
READ_TIMEOUT_MARGIN_S = 30
LOOKBACK_DAYS = 365
OK_STATUSES = ("success", "deduplicated")


def timeout_seconds() -> int:
    try:
        return int(os.environ.get("SYNC_REFRESH_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S


def data_function_name() -> str:
    return os.environ.get("DATA_FUNCTION_NAME") or f"alchemiser-{settings.stage()}-data"


def fetch_request(symbol: str) -> dict[str, Any]:
    """The synthetic EventBridge-shaped payload the real adapter sends."""
    return {"detail-type": "MarketDataFetchRequested", "source": "alchemiser.strategy",
            "detail": {"symbol": symbol, "requested_by": "sync_refresh", "correlation_id": f"sync-refresh-{symbol}"}}


def client_config() -> Config:
    """Read timeout = the refresh timeout + 30 s; no SDK retries (the adapter retries itself)."""
    return Config(read_timeout=timeout_seconds() + READ_TIMEOUT_MARGIN_S, connect_timeout=10,
                  retries={"max_attempts": 0})


def lambda_client() -> Any:
    return boto3.client("lambda", config=client_config())


class DataLambdaRefresher:
    """One synchronous Data Lambda invoke per call; True on "success" or "deduplicated"."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    def __call__(self, symbol: str) -> bool:
        if self._client is None:
            self._client = lambda_client()
        try:
            reply = self._client.invoke(FunctionName=data_function_name(), InvocationType="RequestResponse",
                                        Payload=json.dumps(fetch_request(symbol)).encode())
        except Exception as exc:  # noqa: BLE001 - the real adapter logs any invoke error as a failed attempt
            log("Sync refresh failed", symbol=symbol, error=str(exc), error_type=type(exc).__name__)
            return False
        status = reply_status(reply) if reply.get("StatusCode") == 200 else ""
        log("Sync refresh answered", symbol=symbol, status=status or None)
        return status in OK_STATUSES


def reply_status(reply: dict[str, Any]) -> str:
    """The ``status`` in the Data Lambda's ``body`` (a dict, or a JSON string); "" when absent."""
    try:
        result = json.loads(reply["Payload"].read() or b"null")
        body = result.get("body", {}) if isinstance(result, dict) else {}
        body = json.loads(body) if isinstance(body, str) else body
    except (KeyError, ValueError):
        return ""
    return str(body.get("status", "")) if isinstance(body, dict) else ""


class SyncRefreshSource:
    """The worker's ``BarSource``: the bucket first; on a miss, sync refresh and a fresh read."""

    def __init__(self, source: S3BarSource, refresh: Callable[[str], bool] | None = None) -> None:
        self.source = source
        self.refresh = refresh or DataLambdaRefresher()

    def metadata(self, symbol: str) -> dict:
        return self.source.metadata(symbol)

    def daily_bars(self, symbol: str) -> pd.DataFrame:
        frame = self._read(symbol)
        if frame is not None and inside_lookback(frame, datetime.now(timezone.utc)):
            return frame
        return self._refreshed(symbol)

    def _read(self, symbol: str) -> pd.DataFrame | None:
        try:
            return self.source.daily_bars(symbol)
        except KeyError:  # UnknownSymbolError (no file), or a file without a timestamp column
            return None

    def _refreshed(self, symbol: str) -> pd.DataFrame:
        log("Cache miss - attempting sync refresh via Data Lambda", symbol=symbol)
        for attempt in range(MAX_ATTEMPTS):
            if self.refresh(symbol):
                time.sleep(WAIT_AFTER_REFRESH_S)
                self.source.forget(symbol)
                frame = self._read(symbol)
                if frame is not None and not frame.empty:
                    return frame
            if attempt < MAX_ATTEMPTS - 1:
                time.sleep(PAUSE_BETWEEN_ATTEMPTS_S)
        log("Sync refresh failed after all retries", symbol=symbol, attempts=MAX_ATTEMPTS)
        raise UnknownSymbolError(symbol)


def inside_lookback(frame: pd.DataFrame, now: datetime, days: int = LOOKBACK_DAYS) -> bool:
    """Any session dated after ``now - days`` (a daily bar's timestamp is early on its UTC date,
    so the bar dated on the cut-off day itself falls outside, as in the real ``>=`` on timestamps)."""
    cutoff = pd.Timestamp((now - timedelta(days=days)).date())
    return bool(len(frame)) and bool((frame.index > cutoff).any())
