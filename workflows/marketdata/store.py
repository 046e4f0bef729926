"""BarStore: daily bars per symbol as Parquet files plus a verified manifest.

Layout of a store directory::

    MANIFEST.json            see manifest.py
    bars/{SYMBOL}.parquet    one file per symbol ("/" in a symbol becomes "_")

Each Parquet file holds Alpaca's daily bar shape: ``timestamp`` (UTC, the session
date at midnight New York, as Alpaca stamps daily bars), ``open, high, low,
close, volume, trade_count, vwap`` (float64, as alpaca-py's ``BarSet.df`` has
them).

``BarStore.open`` checks every listed file's presence and sha256 up front, so a
broken store fails at once with one message naming the file; bars are then read
lazily per symbol and cached. ``daily_bars`` is the DSL's ``BarSource`` protocol.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workflows.dsl.data import UnknownSymbolError
from workflows.marketdata.errors import REBUILD_HINT, MarketDataError
from workflows.marketdata.manifest import (
    FileEntry,
    Manifest,
    read_manifest,
    write_manifest,
)
from workflows.marketdata.memo import MISSING, ContentMemo

BAR_COLUMNS = ["timestamp", "open", "high", "low", "close", "volume", "trade_count", "vwap"]
DSL_COLUMNS = ["open", "high", "low", "close", "volume"]
NEW_YORK = "America/New_York"
# Validated frames by (sha256, rows, first, last): the file's bytes and what the manifest says of
# them decide the frame and whether it passes (memo.py). The file is still hashed on every load.
_LOADED: ContentMemo[pd.DataFrame] = ContentMemo("store.bars")

_SCHEMA = pa.schema(
    [pa.field("timestamp", pa.timestamp("us", tz="UTC"), nullable=False)]
    + [pa.field(name, pa.float64()) for name in BAR_COLUMNS[1:]]
)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


_VERIFIED: dict[tuple, str] = {}  # (path, size, mtime, ctime, inode) -> sha256 of the bytes then
_VERIFIED_MAX = 4096
_SETTLED_NS = 2_000_000_000  # a file changed less than this long ago is hashed every time
_now_ns = time.time_ns  # real time (never inside a handler): tests move it


def verified_sha256(path: Path) -> str:
    """``sha256_file(path)``, remembered while the file's size, times and inode stay the same.

    Every run opens the store and checks each file against the manifest; hashing the
    same unchanged files again is most of what opening costs. Any write to a file
    changes its ctime, which no tool can set back. File systems stamp times in coarse
    ticks, so a file changed within the last two seconds could change again under the
    same stamp: its hash is not remembered until it has settled (git's "racy clean" rule).
    """
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
    digest = _VERIFIED.get(key)
    if digest is None:
        digest = sha256_file(path)
        if _now_ns() - stat.st_ctime_ns > _SETTLED_NS:
            if len(_VERIFIED) >= _VERIFIED_MAX:
                _VERIFIED.clear()
            _VERIFIED[key] = digest
    return digest


def file_name(symbol: str) -> str:
    # Same rule as the real system's S3 keys: BRK/B -> BRK_B.
    return symbol.replace("/", "_") + ".parquet"


def _fix_hint(entry: FileEntry | None) -> str:
    if entry is not None and entry.provenance == "real":
        return f"re-record {entry.symbol} with `shadowsim record` (or {REBUILD_HINT})"
    return REBUILD_HINT


# ---------------------------------------------------------------------------
# Bars: validation and Parquet I/O
# ---------------------------------------------------------------------------


def session_timestamps(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Session dates -> Alpaca daily-bar timestamps (midnight New York, in UTC)."""
    naive = pd.DatetimeIndex(dates).tz_localize(None).normalize()
    return naive.tz_localize(NEW_YORK).tz_convert("UTC").as_unit("us")


def session_dates(timestamps: pd.Series | pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Alpaca daily-bar timestamps -> tz-naive session dates (the New York date)."""
    index = pd.DatetimeIndex(timestamps)
    return index.tz_convert(NEW_YORK).tz_localize(None).normalize().as_unit("ns")


def validate_bars(bars: pd.DataFrame, where: str) -> None:
    """Raise MarketDataError unless ``bars`` is a well-formed Alpaca daily series."""
    missing = [c for c in BAR_COLUMNS if c not in bars.columns]
    if missing:
        raise MarketDataError(f"{where}: missing columns {missing}", where)
    ts = pd.DatetimeIndex(bars["timestamp"])
    if ts.tz is None:
        raise MarketDataError(f"{where}: timestamps must be tz-aware UTC", where)
    if not ts.is_monotonic_increasing or ts.has_duplicates:
        raise MarketDataError(f"{where}: timestamps must be strictly increasing", where)
    ohlc = bars[["open", "high", "low", "close"]].to_numpy(dtype=float)
    if np.isnan(ohlc).any() or (ohlc <= 0).any():
        raise MarketDataError(f"{where}: OHLC has NaN or non-positive prices", where)
    lo, hi = ohlc[:, 2], ohlc[:, 1]
    body_lo, body_hi = np.minimum(ohlc[:, 0], ohlc[:, 3]), np.maximum(ohlc[:, 0], ohlc[:, 3])
    bad = (lo > body_lo) | (hi < body_hi)
    if bad.any():
        first = ts[int(np.argmax(bad))].date()
        raise MarketDataError(f"{where}: low/high do not bracket open/close on {first}", where)


def write_bars_file(path: Path, bars: pd.DataFrame) -> None:
    """Write bars with fixed Parquet settings, so equal frames give equal bytes."""
    frame = bars[BAR_COLUMNS].copy()
    frame["timestamp"] = pd.DatetimeIndex(frame["timestamp"]).tz_convert("UTC").as_unit("us")
    for name in BAR_COLUMNS[1:]:
        frame[name] = frame[name].astype("float64")
    table = pa.Table.from_pandas(frame, schema=_SCHEMA, preserve_index=False)
    # Drop pandas' schema metadata: it embeds the pandas version and would make
    # the bytes depend on it for no benefit.
    table = table.replace_schema_metadata(None)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Delta-encoded timestamps and byte-split floats under zstd: about 30 KB for
    # three years of one symbol, against about 40 KB with defaults.
    encodings = {"timestamp": "DELTA_BINARY_PACKED"} | {c: "BYTE_STREAM_SPLIT" for c in BAR_COLUMNS[1:]}
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=9,
        use_dictionary=False,
        column_encoding=encodings,
        write_statistics=False,
    )


def read_bars_file(path: Path) -> pd.DataFrame:
    """Read one bar file into Alpaca's shape (timestamp column, UTC)."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise MarketDataError(f"{path} is not a readable Parquet file ({exc})", str(path)) from exc
    frame = table.to_pandas()
    frame["timestamp"] = pd.DatetimeIndex(frame["timestamp"]).tz_convert("UTC")
    return frame


def to_dsl_frame(bars: pd.DataFrame) -> pd.DataFrame:
    """Alpaca-shaped bars -> the DSL shape: OHLCV on a tz-naive session-date index."""
    out = bars[DSL_COLUMNS].copy()
    out.index = session_dates(bars["timestamp"])
    out.index.name = "date"
    return out


# ---------------------------------------------------------------------------
# Reading a store
# ---------------------------------------------------------------------------


class BarStore:
    """A verified, read-only bar store. Implements the DSL's ``BarSource``."""

    def __init__(self, root: Path, manifest: Manifest) -> None:
        self.root = root
        self.manifest = manifest
        self._bars: dict[str, pd.DataFrame] = {}
        self._dsl: dict[str, pd.DataFrame] = {}

    @classmethod
    def open(cls, path: str | Path, verify: bool = True) -> BarStore:
        """Open a store; with ``verify`` every file's presence and sha256 is checked."""
        root = Path(path)
        store = cls(root, read_manifest(root))
        if verify:
            for entry in store.manifest.files.values():
                store._verify_file(entry)
        return store

    def _verify_file(self, entry: FileEntry) -> Path:
        path = self.root / entry.path
        if not path.is_file():
            message = f"{path} ({entry.symbol}) is listed in the manifest but missing; {_fix_hint(entry)}"
            raise MarketDataError(message, str(path))
        actual = verified_sha256(path)
        if actual != entry.sha256:
            raise MarketDataError(
                f"{path} ({entry.symbol}) does not match the manifest: sha256 {actual[:12]}... "
                f"!= {entry.sha256[:12]}...; {_fix_hint(entry)}",
                str(path),
            )
        return path

    # -- queries -----------------------------------------------------------

    def symbols(self) -> list[str]:
        return sorted(self.manifest.files)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self.manifest.files

    def entry(self, symbol: str) -> FileEntry:
        try:
            return self.manifest.files[symbol]
        except KeyError:
            raise UnknownSymbolError(symbol) from None

    def provenance(self, symbol: str) -> str:
        return self.entry(symbol).provenance

    def bars(self, symbol: str) -> pd.DataFrame:
        """All columns in Alpaca's shape (a timestamp column in UTC)."""
        if symbol not in self._bars:
            self._bars[symbol] = self._load(self.entry(symbol))
        # pandas copy-on-write: a shallow copy is cheap and protects the cache.
        return self._bars[symbol].copy(deep=False)

    def daily_bars(self, symbol: str) -> pd.DataFrame:
        """The DSL protocol: OHLCV on a tz-naive, ascending session-date index."""
        if symbol not in self._dsl:
            self._dsl[symbol] = to_dsl_frame(self.bars(symbol))
        return self._dsl[symbol].copy(deep=False)

    def content_id(self, symbol: str) -> str:
        """The sha256 of the file ``bars(symbol)`` returns (verified when it was loaded)."""
        self.bars(symbol)
        return self.entry(symbol).sha256

    def _load(self, entry: FileEntry) -> pd.DataFrame:
        path = self._verify_file(entry)
        key = (entry.sha256, entry.rows, entry.first, entry.last)
        cached = _LOADED.lookup(key)
        if cached is not MISSING:
            return cached
        frame = read_bars_file(path)
        where = f"{path} ({entry.symbol})"
        try:
            validate_bars(frame, where)
        except MarketDataError as exc:
            raise MarketDataError(f"{exc.message}; {_fix_hint(entry)}", str(path)) from exc
        dates = session_dates(frame["timestamp"])
        found = (len(frame), dates[0].date(), dates[-1].date()) if len(frame) else (0, None, None)
        if found != (entry.rows, entry.first, entry.last):
            raise MarketDataError(
                f"{where} holds {found[0]} rows {found[1]}..{found[2]} but the manifest says "
                f"{entry.rows} rows {entry.first}..{entry.last}; {_fix_hint(entry)}",
                str(path),
            )
        return _LOADED.store(key, frame)


# ---------------------------------------------------------------------------
# Writing a store
# ---------------------------------------------------------------------------


class StoreWriter:
    """Writes bar files and the manifest. ``merge`` keeps an existing store's entries."""

    def __init__(self, root: str | Path, merge: bool = False) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        existing = read_manifest(self.root) if merge and (self.root / "MANIFEST.json").exists() else Manifest()
        self._files: dict[str, FileEntry] = dict(existing.files)
        self._generators: dict[str, dict[str, Any]] = dict(existing.generators)

    def put(self, symbol: str, bars: pd.DataFrame, provenance: str, **details: Any) -> FileEntry:
        """Validate and write one symbol; ``details`` are generator/source/recording/label."""
        if bars.empty:
            raise MarketDataError(f"no bars to write for {symbol}", symbol)
        validate_bars(bars, f"bars for {symbol}")
        rel = f"bars/{file_name(symbol)}"
        write_bars_file(self.root / rel, bars)
        dates = session_dates(bars["timestamp"])
        entry = FileEntry(
            symbol=symbol,
            path=rel,
            sha256=sha256_file(self.root / rel),
            rows=len(bars),
            first=dates[0].date(),
            last=dates[-1].date(),
            provenance=provenance,
            **details,
        )
        self._files[symbol] = entry
        return entry

    def set_generator_data(self, name: str, data: dict[str, Any]) -> None:
        self._generators[name] = data

    def save(self) -> Manifest:
        manifest = Manifest(files=dict(sorted(self._files.items())), generators=self._generators)
        write_manifest(self.root, manifest)
        return manifest
