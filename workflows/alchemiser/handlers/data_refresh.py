"""Data Lambda, scheduled refresh: append new daily bars to the S3 market data store (reference §3.9).

For each symbol the strategies reference (sorted): no metadata -> fetch 1825 days;
otherwise fetch from last_bar_date + 1 to today (UTC); nothing when up to date.
Bars come from Alpaca's data API (alpaca-py ``StockHistoricalDataClient``,
``Adjustment.ALL``) with 3 attempts and exponential backoff (base 0.6 s), and
0.6 s between symbols (the real code's "be conservative with 100 requests per
minute"). Appends dedup by UTC date; an overlapping date whose close differs by
more than 0.5 % is replaced (a "retroactive adjustment"). Publishes
DataLakeUpdateCompleted: 200 all updated, 206 partial, 500 all failed.
Manual invoke: ``{"symbols": [...], "full_seed": bool}``.

On demand (the strategy worker's "sync refresh", §3.9, §10 item 28): an
EventBridge-shaped payload whose detail-type is MarketDataFetchRequested
(detail: symbol, requested_by, correlation_id[, lookback_days]) takes the
symbol's dedup lock (:mod:`workflows.alchemiser.fetch_lock`, table
FETCH_REQUESTS_TABLE; without the variable there is no lock); a held lock
answers "deduplicated". Otherwise a symbol without metadata is seeded with
``lookback_days`` (400) days only, and one with metadata gets the incremental
refresh. The lock is deleted only when the fetch failed. The answer is the
real handler's: ``{"statusCode": 200|400|500, "body": {"status": "success" |
"deduplicated" | "failed" | "error", "symbol", ...}}``; its ``bars_fetched``
is the real one's (``lookback_days`` for a seed, 1 for a refresh). Nothing is
published: the real MarketDataFetchCompleted publish raises "Unknown event
type" and is only logged (§1.2).

Deviation: the real backoff multiplies by a random jitter of 1.0-1.2; here the
jitter is 1.0 so that a run is a pure function of its seed.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pandas as pd

from workflows.alchemiser import events, fetch_lock
from workflows.alchemiser.common import log
from workflows.alchemiser.settings import bus_name, env
from workflows.marketdata import s3_layout

SEED_DAYS = 1825
ON_DEMAND_SEED_DAYS = 400  # MarketDataFetchRequested's lookback_days default
FETCH_REQUESTED = "MarketDataFetchRequested"
PAUSE_S = 0.6
ATTEMPTS = 3
ADJUSTMENT_THRESHOLD = 0.005
INDICATORS = ("rsi", "current-price", "moving-average-price", "moving-average-return", "cumulative-return",
              "exponential-moving-average-price", "stdev-return", "stdev-price", "max-drawdown", "volatility")
TICKER = r'"([A-Z0-9][A-Z0-9./-]{0,9})"'
SYMBOL_PATTERNS = [re.compile(r"\(asset\s+" + TICKER)] + [re.compile(r"\(" + re.escape(i) + r"\s+" + TICKER)
                                                          for i in INDICATORS]


def handler(event: dict, context: Any) -> dict:
    if event.get("detail-type") == FETCH_REQUESTED:
        return fetch_requested(event, context)
    return scheduled_refresh(event, context)


def scheduled_refresh(event: dict, context: Any) -> dict:
    started = datetime.now(timezone.utc)
    correlation_id = f"data-refresh-{getattr(context, 'aws_request_id', 'manual')}"
    symbols = sorted(set(event.get("symbols") or strategy_symbols()))
    s3, bucket = boto3.client("s3"), env("MARKET_DATA_BUCKET")
    data = _data_client()
    updated, failed, adjusted = [], [], {}
    for i, symbol in enumerate(symbols):
        if i:
            time.sleep(PAUSE_S)
        try:
            changed = refresh_symbol(s3, bucket, data, symbol, started.date(), bool(event.get("full_seed")))
        except Exception as exc:  # one symbol's failure does not stop the refresh
            print(f"refresh {symbol} failed: {type(exc).__name__}: {exc}")
            failed.append(symbol)
            continue
        if changed is not None:
            updated.append(symbol)
            if changed:
                adjusted[symbol] = changed
    status = 500 if symbols and len(failed) == len(symbols) else (206 if failed else 200)
    _publish(correlation_id, symbols, updated, failed, adjusted, started, status)
    return {"statusCode": status, "body": {"symbols_updated": updated, "failed_symbols": failed}}


def strategy_symbols() -> list[str]:
    """Tickers named in the strategy files (the real extractor's regexes over the .clj files)."""
    folder = Path(env("STRATEGY_DIR"))
    found: set[str] = set()
    for path in sorted(folder.glob("*.clj")):
        text = path.read_text()
        for pattern in SYMBOL_PATTERNS:
            found.update(pattern.findall(text))
    return sorted(found)


def fetch_requested(event: dict, context: Any) -> dict:
    """One symbol on demand, behind the dedup lock."""
    detail = event.get("detail") or {}
    symbol = detail.get("symbol", "")
    correlation_id = detail.get("correlation_id") or f"fetch-request-{getattr(context, 'aws_request_id', 'manual')}"
    if not symbol:
        return {"statusCode": 400, "body": {"status": "error", "error": "Missing symbol in request"}}
    table = os.environ.get("FETCH_REQUESTS_TABLE")
    dynamodb = boto3.client("dynamodb") if table else None
    held = _held_elsewhere(dynamodb, table, symbol, correlation_id, detail) if table else None
    if held is not None:
        return held
    try:
        bars_fetched = _fetch_one(symbol, int(detail.get("lookback_days", ON_DEMAND_SEED_DAYS)))
    except Exception as exc:  # noqa: BLE001 - a failed fetch releases the lock and answers "failed"
        log("Fetch request failed", symbol=symbol, correlation_id=correlation_id, error=str(exc))
        if table:
            fetch_lock.release(dynamodb, table, symbol, correlation_id)
        return {"statusCode": 500, "body": {"status": "failed", "symbol": symbol, "error": str(exc)}}
    return {"statusCode": 200, "body": {"status": "success", "symbol": symbol, "bars_fetched": bars_fetched}}


def _held_elsewhere(dynamodb: Any, table: str, symbol: str, correlation_id: str, detail: dict) -> dict | None:
    """Take the lock; the "deduplicated" answer when another request holds it."""
    lock = fetch_lock.try_acquire(
        dynamodb, table, symbol, requesting_stage=detail.get("requesting_stage", "unknown"),
        requesting_component=detail.get("requesting_component", "unknown"), correlation_id=correlation_id,
        now=datetime.now(timezone.utc))
    if lock.can_proceed:
        return None
    log("Fetch request deduplicated", symbol=symbol, correlation_id=correlation_id,
        cooldown_remaining_seconds=lock.cooldown_remaining_seconds)
    return {"statusCode": 200, "body": {
        "status": "deduplicated", "symbol": symbol, "existing_request_time": lock.existing_request_time,
        "cooldown_remaining_seconds": lock.cooldown_remaining_seconds}}


def _fetch_one(symbol: str, lookback_days: int) -> int:
    """No metadata: seed ``lookback_days``; else the incremental refresh. Returns the real ``bars_fetched``."""
    s3, bucket = boto3.client("s3"), env("MARKET_DATA_BUCKET")
    today = datetime.now(timezone.utc).date()
    if _has_metadata(s3, bucket, symbol):
        refresh_symbol(s3, bucket, _data_client(), symbol, today, False)
        return 1
    refresh_symbol(s3, bucket, _data_client(), symbol, today, True, seed_days=lookback_days)
    return lookback_days


def _has_metadata(s3: Any, bucket: str, symbol: str) -> bool:
    try:
        s3.get_object(Bucket=bucket, Key=s3_layout.metadata_key(symbol))
    except s3.exceptions.NoSuchKey:
        return False
    return True


def refresh_symbol(s3: Any, bucket: str, data: Any, symbol: str, today: date, full_seed: bool,
                   seed_days: int = SEED_DAYS) -> list[str] | None:
    """Fetch and append; returns the adjusted dates (None when the symbol was already up to date).
    A symbol with nothing stored (or ``full_seed``) is seeded with ``seed_days`` of history."""
    stored = None if full_seed else _stored(s3, bucket, symbol)
    if stored is None:
        start = today - timedelta(days=seed_days)
    else:
        start = pd.Timestamp(stored["timestamp"].max()).tz_convert("UTC").date() + timedelta(days=1)
    if start > today:
        return None
    fresh = _fetch(data, symbol, start, today)
    if fresh.empty:
        if stored is None:  # a symbol the data API has no bars for
            raise ValueError(f"no bars returned for {symbol} since {start}")
        return None
    merged, adjusted = append_bars(stored, fresh)
    s3.put_object(Bucket=bucket, Key=s3_layout.daily_key(symbol), Body=s3_layout.parquet_bytes(merged))
    meta = s3_layout.metadata_for(symbol, merged, datetime.now(timezone.utc))
    s3.put_object(Bucket=bucket, Key=s3_layout.metadata_key(symbol), Body=json.dumps(meta).encode())
    return adjusted


def append_bars(stored: pd.DataFrame | None, fresh: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Dedup by UTC date; an overlapping bar whose close moved more than 0.5 % replaces the stored one."""
    if stored is None or stored.empty:
        return fresh.sort_values("timestamp").reset_index(drop=True), []
    old_day = stored["timestamp"].dt.tz_convert("UTC").dt.date
    new_day = fresh["timestamp"].dt.tz_convert("UTC").dt.date
    old_close = dict(zip(old_day, stored["close"]))
    new_close = dict(zip(new_day, fresh["close"]))
    overlap = set(old_close) & set(new_close)
    adjusted = sorted(d for d in overlap if abs(new_close[d] / old_close[d] - 1) > ADJUSTMENT_THRESHOLD)
    keep_old = stored[~old_day.isin(adjusted)]
    keep_new = fresh[~new_day.isin(overlap - set(adjusted))]
    merged = pd.concat([keep_old, keep_new]).sort_values("timestamp").reset_index(drop=True)
    return merged[s3_layout.S3_COLUMNS], [d.isoformat() for d in adjusted]


def _stored(s3: Any, bucket: str, symbol: str) -> pd.DataFrame | None:
    try:
        raw = s3.get_object(Bucket=bucket, Key=s3_layout.daily_key(symbol))["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    frame = pd.read_parquet(io.BytesIO(raw), engine="pyarrow")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


def _fetch(data: Any, symbol: str, start: date, end: date) -> pd.DataFrame:
    from alpaca.data.enums import Adjustment
    from alpaca.data.requests import StockBarsRequest
    from alpaca.data.timeframe import TimeFrame

    request = StockBarsRequest(symbol_or_symbols=symbol, timeframe=TimeFrame.Day, adjustment=Adjustment.ALL,
                               start=datetime.combine(start, datetime.min.time(), timezone.utc),
                               end=datetime.combine(end, datetime.max.time(), timezone.utc))
    for attempt in range(ATTEMPTS):
        try:
            bars = data.get_stock_bars(request)
            break
        except Exception:
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.6 * 2 ** attempt)
    rows = [{"timestamp": b.timestamp, "open": b.open, "high": b.high, "low": b.low, "close": b.close,
             "volume": b.volume} for b in bars.data.get(symbol, [])]
    frame = pd.DataFrame(rows, columns=s3_layout.S3_COLUMNS)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


def _data_client() -> Any:
    from alpaca.data.historical import StockHistoricalDataClient

    return StockHistoricalDataClient(os.environ.get("ALPACA__KEY", "sim-key"), os.environ.get("ALPACA__SECRET",
                                                                                              "sim-secret"))


def _publish(correlation_id: str, symbols: list, updated: list, failed: list, adjusted: dict,
             started: datetime, status: int) -> None:
    ended = datetime.now(timezone.utc)
    event = events.DataLakeUpdateCompleted(
        correlation_id=correlation_id, causation_id=correlation_id, event_id=f"data-lake-{correlation_id}",
        timestamp=ended, source_module="data_v2", source_component="DataRefreshService", success=not failed,
        status_code=status, total_symbols=len(symbols), symbols_updated=updated, failed_symbols=failed,
        symbols_updated_count=len(updated), symbols_failed_count=len(failed), symbols_adjusted=sorted(adjusted),
        adjustment_count=sum(len(v) for v in adjusted.values()), adjusted_dates_by_symbol=adjusted,
        start_time_utc=started.isoformat(), end_time_utc=ended.isoformat(),
        duration_seconds=(ended - started).total_seconds())
    events.publish(boto3.client("events"), event, bus_name())
