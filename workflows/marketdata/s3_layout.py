"""The real system's S3 market data layout: write a store into a bucket, read it back.

Layout (alchemiser-system.md section 5.1, ``market_data_store.py``):

* ``{SYMBOL}/daily.parquet``: pyarrow, snappy, ``index=False``, columns
  ``timestamp, open, high, low, close, volume`` (Alpaca's vwap/trade_count are
  dropped), one row per daily bar sorted by timestamp; timestamps are the
  session date at midnight New York, in UTC (``...T05:00:00Z`` in winter).
* ``{SYMBOL}/metadata.json``: ``{symbol, last_bar_date (UTC date of the last
  timestamp), row_count, updated_at}``.
* ``/`` in a symbol becomes ``_`` in the key (BRK/B -> ``BRK_B/``).

``publish`` takes a boto3 S3 client (moto, LocalStack or a sandbox account: the
caller decides) and optionally a cutoff so a bucket can hold exactly what the
live system would have had before a given day. ``S3BarSource`` is what a
strategy worker reads: the DSL's ``BarSource`` over such a bucket.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

import pandas as pd

from workflows.dsl.data import UnknownSymbolError
from workflows.marketdata.errors import MarketDataError
from workflows.marketdata.memo import MISSING, ContentMemo, content_hash
from workflows.marketdata.store import BarStore

S3_COLUMNS = ["timestamp", "open", "high", "low", "close", "volume"]
# What publish writes for one store file, cutoff and stamp (memo.py): (parquet body, metadata JSON,
# rows, last_bar_date), or None when no bar is before the cutoff. Keyed by the store file's sha256.
_OBJECTS: ContentMemo[tuple[bytes, bytes, int, str] | None] = ContentMemo("s3.objects")
# What a worker makes of a daily.parquet it read back, keyed by the bytes' sha256: the file's frame,
# and the DSL's frame built from it.
_S3_FRAMES: ContentMemo[pd.DataFrame] = ContentMemo("s3.frames")
_DSL_FRAMES: ContentMemo[pd.DataFrame] = ContentMemo("s3.dsl-frames")


def symbol_prefix(symbol: str) -> str:
    return symbol.replace("/", "_")


def daily_key(symbol: str) -> str:
    return f"{symbol_prefix(symbol)}/daily.parquet"


def metadata_key(symbol: str) -> str:
    return f"{symbol_prefix(symbol)}/metadata.json"


def s3_frame(bars: pd.DataFrame, before: date | None = None) -> pd.DataFrame:
    """Alpaca-shaped bars -> the S3 file's frame, keeping bars dated before ``before``."""
    frame = bars[S3_COLUMNS].copy()
    if before is not None:
        cutoff = pd.Timestamp(before).tz_localize("America/New_York")
        frame = frame[frame["timestamp"] < cutoff.tz_convert("UTC")]
    return frame.sort_values("timestamp").reset_index(drop=True)


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow", compression="snappy", index=False)
    return buffer.getvalue()


def metadata_for(symbol: str, frame: pd.DataFrame, updated_at: datetime) -> dict:
    last = pd.Timestamp(frame["timestamp"].max()).tz_convert("UTC")
    return {
        "symbol": symbol,
        "last_bar_date": last.date().isoformat(),
        "row_count": len(frame),
        "updated_at": updated_at.isoformat(),
    }


@dataclass(frozen=True)
class Published:
    symbol: str
    rows: int
    last_bar_date: str | None


def publish(
    store: BarStore,
    client,
    bucket: str,
    symbols: Iterable[str] | None = None,
    before: date | None = None,
    updated_at: datetime | None = None,
) -> list[Published]:
    """Write ``symbols`` (default: all) of ``store`` into ``bucket`` in the real layout.

    ``updated_at`` defaults to the close (21:00 UTC) of the last published bar's
    day, not the wall clock, so that a publish is deterministic. A symbol with
    no bar before the cutoff gets no objects, as if it had never been fetched.
    """
    written = []
    content_id = getattr(store, "content_id", None)  # a BarStore says which file a symbol's bars are
    for symbol in sorted(symbols if symbols is not None else store.symbols()):
        bars = store.bars(symbol)
        key = (symbol, content_id(symbol), before, updated_at) if callable(content_id) else None
        objects = _OBJECTS.lookup(key) if key is not None else MISSING
        if objects is MISSING:
            objects = _objects(symbol, bars, before, updated_at)
            if key is not None:
                _OBJECTS.store(key, objects)
        if objects is None:
            written.append(Published(symbol, 0, None))
            continue
        body, meta, rows, last_bar_date = objects
        client.put_object(Bucket=bucket, Key=daily_key(symbol), Body=body)
        client.put_object(Bucket=bucket, Key=metadata_key(symbol), Body=meta)
        written.append(Published(symbol, rows, last_bar_date))
    return written


def _objects(symbol: str, bars: pd.DataFrame, before: date | None,
             updated_at: datetime | None) -> tuple[bytes, bytes, int, str] | None:
    """The two objects publish writes for ``symbol``: a pure function of its arguments."""
    frame = s3_frame(bars, before)
    if frame.empty:
        return None
    stamp = updated_at or _default_updated_at(frame)
    meta = metadata_for(symbol, frame, stamp)
    return parquet_bytes(frame), json.dumps(meta).encode(), len(frame), meta["last_bar_date"]


def _default_updated_at(frame: pd.DataFrame) -> datetime:
    last = pd.Timestamp(frame["timestamp"].max()).tz_convert("UTC").date()
    return datetime.combine(last, time(21, 0), tzinfo=timezone.utc)


class S3BarSource:
    """The DSL's ``BarSource`` over a bucket in the real layout, cached per symbol."""

    def __init__(self, client, bucket: str) -> None:
        self.client = client
        self.bucket = bucket
        self._cache: dict[str, pd.DataFrame] = {}
        self._read_hash: dict[str, str] = {}  # symbol -> sha256 of the daily.parquet last read

    def _get(self, key: str, symbol: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise UnknownSymbolError(symbol) from None

    def metadata(self, symbol: str) -> dict:
        return json.loads(self._get(metadata_key(symbol), symbol))

    def s3_bars(self, symbol: str) -> pd.DataFrame:
        """The file as stored: timestamp (UTC) plus OHLCV."""
        raw = self._get(daily_key(symbol), symbol)
        digest = self._read_hash[symbol] = content_hash(raw)
        cached = _S3_FRAMES.lookup(digest)
        if cached is not MISSING:
            return cached.copy(deep=False)
        try:
            frame = pd.read_parquet(io.BytesIO(raw), engine="pyarrow")
        except Exception as exc:  # pyarrow raises several types for a bad file
            where = f"s3://{self.bucket}/{daily_key(symbol)}"
            raise MarketDataError(f"{where} is not a readable Parquet file ({exc})", where) from exc
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
        return _S3_FRAMES.store(digest, frame).copy(deep=False)

    def forget(self, symbol: str) -> None:
        """Drop the cached bars of ``symbol``: the next read goes to the bucket again."""
        self._cache.pop(symbol, None)

    def daily_bars(self, symbol: str) -> pd.DataFrame:
        if symbol not in self._cache:
            frame = self.s3_bars(symbol)
            digest = self._read_hash.get(symbol)
            cached = _DSL_FRAMES.lookup(digest) if digest is not None else MISSING
            if cached is not MISSING:
                self._cache[symbol] = cached
                return cached.copy(deep=False)
            out = frame[["open", "high", "low", "close", "volume"]].astype(float)
            # The real system compares bars by UTC date; for daily bars stamped
            # at midnight New York that is the session date.
            out.index = pd.DatetimeIndex(frame["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None)).normalize()
            out.index = out.index.as_unit("ns")
            out.index.name = "date"
            self._cache[symbol] = _DSL_FRAMES.store(digest, out) if digest is not None else out
        return self._cache[symbol].copy(deep=False)
