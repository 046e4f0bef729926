"""BarStore: round trip, the DSL protocol, and one clear error per broken file."""

from __future__ import annotations

import json
import os
import time
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from marketdata_helpers import make_store

from workflows.dsl.data import BarSource, UnknownSymbolError
from workflows.marketdata import calendar
from workflows.marketdata.errors import MarketDataError
from workflows.marketdata.manifest import MANIFEST_NAME, read_manifest
from workflows.marketdata import store as store_module
from workflows.marketdata.store import BAR_COLUMNS, BarStore, StoreWriter, session_timestamps, sha256_file


def _bars(n: int = 5) -> pd.DataFrame:
    days = calendar.sessions_index("2026-01-02", "2026-01-31")[:n]
    close = np.linspace(100.0, 104.0, n)
    return pd.DataFrame(
        {
            "timestamp": session_timestamps(days),
            "open": close - 0.5, "high": close + 1.0, "low": close - 1.0, "close": close,
            "volume": np.full(n, 1000.0), "trade_count": np.full(n, 10.0), "vwap": close,
        }
    )


def test_round_trip_keeps_alpaca_shape_and_values(tmp_path: Path) -> None:
    bars = _bars()
    writer = StoreWriter(tmp_path)
    entry = writer.put("BRK/B", bars, "real", recording={"feed": "iex", "adjustment": "all",
                                                         "recorded_at": "2026-02-01T00:00:00+00:00",
                                                         "alpaca_py": "0.44.0"})
    writer.save()
    assert entry.path == "bars/BRK_B.parquet"
    store = BarStore.open(tmp_path)
    back = store.bars("BRK/B")
    assert list(back.columns) == BAR_COLUMNS
    pd.testing.assert_frame_equal(back, bars, check_dtype=False)
    assert str(back["timestamp"].dt.tz) == "UTC"
    # Alpaca stamps a daily bar at midnight New York: 05:00 UTC in January.
    assert back["timestamp"].iloc[0] == pd.Timestamp("2026-01-02T05:00:00Z")
    assert store.provenance("BRK/B") == "real"
    assert (entry.rows, str(entry.first), str(entry.last)) == (5, "2026-01-02", "2026-01-08")


def test_daily_bars_is_the_dsl_bar_source_shape(small_store: Path) -> None:
    store = BarStore.open(small_store)
    assert isinstance(store, BarSource)
    frame = store.daily_bars("SPY")
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert isinstance(frame.index, pd.DatetimeIndex) and frame.index.tz is None
    assert frame.index.is_monotonic_increasing and not frame.index.has_duplicates
    assert list(frame.index) == list(calendar.sessions_index("2025-10-01", "2026-01-30"))


def test_daily_bars_are_cached_and_callers_cannot_corrupt_the_cache(small_store: Path) -> None:
    store = BarStore.open(small_store)
    first = store.daily_bars("QQQ")
    first["close"] = 0.0
    assert (store.daily_bars("QQQ")["close"] > 0).all()
    assert "QQQ" in store._dsl  # loaded once, then served from memory


def test_unknown_symbol_raises_the_dsl_error(small_store: Path) -> None:
    store = BarStore.open(small_store)
    with pytest.raises(UnknownSymbolError) as info:
        store.daily_bars("NOPE")
    assert info.value.symbol == "NOPE" and "NOPE" in str(info.value)


def test_sha_mismatch_is_one_error_naming_the_file_and_the_fix(small_store: Path) -> None:
    path = small_store / "bars" / "TQQQ.parquet"
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(MarketDataError) as info:
        BarStore.open(small_store)
    message = str(info.value)
    assert "TQQQ.parquet" in message and "sha256" in message
    assert "python -m workflows.marketdata.build" in message


def test_a_file_changed_after_a_verified_open_is_caught_on_the_next_open(small_store: Path, monkeypatch) -> None:
    # Opening remembers each settled file's hash while its size, times and inode stay the same; an
    # edit in place that keeps the size and puts the mtime back still changes the ctime.
    monkeypatch.setattr(store_module, "_now_ns", lambda: time.time_ns() + 10**10)  # everything has settled
    BarStore.open(small_store)
    assert any(key[0].endswith("TQQQ.parquet") for key in store_module._VERIFIED)
    path = small_store / "bars" / "TQQQ.parquet"
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    with path.open("r+b") as handle:
        handle.write(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    with pytest.raises(MarketDataError, match=r"TQQQ\.parquet.*sha256"):
        BarStore.open(small_store)


def test_a_file_changed_moments_ago_is_not_remembered(small_store: Path) -> None:
    path = small_store / "bars" / "TLT.parquet"
    path.write_bytes(path.read_bytes())  # a write now: it has not settled
    store_module.verified_sha256(path)
    assert not any(key[0] == str(path) for key in store_module._VERIFIED)


def test_missing_file_names_the_file(small_store: Path) -> None:
    (small_store / "bars" / "UVXY.parquet").unlink()
    with pytest.raises(MarketDataError, match=r"UVXY\.parquet.*missing.*workflows\.marketdata\.build"):
        BarStore.open(small_store)


def test_corrupt_parquet_with_matching_sha_is_reported_on_load(small_store: Path) -> None:
    # A file whose bytes are garbage but whose manifest entry agrees (e.g. a bad
    # writer): verification passes, reading must still fail clearly.
    path = small_store / "bars" / "TLT.parquet"
    path.write_bytes(b"not a parquet file at all")
    manifest = json.loads((small_store / MANIFEST_NAME).read_text())
    manifest["files"]["TLT"]["sha256"] = sha256_file(path)
    (small_store / MANIFEST_NAME).write_text(json.dumps(manifest))
    store = BarStore.open(small_store)
    with pytest.raises(MarketDataError, match=r"TLT\.parquet is not a readable Parquet file"):
        store.daily_bars("TLT")


def test_file_that_disagrees_with_its_manifest_rows_is_an_error(tmp_path: Path) -> None:
    store_dir = make_store(tmp_path / "a")
    other = make_store(tmp_path / "b", end="2026-01-15")
    shutil.copy(other / "bars" / "SPY.parquet", store_dir / "bars" / "SPY.parquet")
    manifest = json.loads((store_dir / MANIFEST_NAME).read_text())
    manifest["files"]["SPY"]["sha256"] = sha256_file(store_dir / "bars" / "SPY.parquet")
    (store_dir / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(MarketDataError, match=r"SPY\.parquet \(SPY\) holds \d+ rows .* manifest says"):
        BarStore.open(store_dir).bars("SPY")


def test_missing_or_invalid_manifest(tmp_path: Path) -> None:
    with pytest.raises(MarketDataError, match="does not exist"):
        BarStore.open(tmp_path / "nowhere")
    tmp_path.joinpath("empty").mkdir()
    with pytest.raises(MarketDataError, match=r"MANIFEST\.json is missing"):
        BarStore.open(tmp_path / "empty")
    (tmp_path / "empty" / MANIFEST_NAME).write_text('{"files": {"X": {"symbol": "X"}}}')
    with pytest.raises(MarketDataError, match=r"MANIFEST\.json is not a valid manifest"):
        BarStore.open(tmp_path / "empty")


def test_writer_rejects_inconsistent_bars(tmp_path: Path) -> None:
    bars = _bars()
    bars.loc[2, "high"] = bars.loc[2, "close"] - 5.0
    with pytest.raises(MarketDataError, match="low/high do not bracket"):
        StoreWriter(tmp_path).put("X", bars, "synthetic", generator={"name": "t", "version": "1", "seed": 1})


def test_manifest_requires_the_details_of_its_provenance(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs `source`"):
        StoreWriter(tmp_path).put("X", _bars(), "proxy")


def test_merge_keeps_other_symbols(small_store: Path) -> None:
    writer = StoreWriter(small_store, merge=True)
    writer.put("NEW", _bars(), "synthetic", generator={"name": "t", "version": "1", "seed": 1})
    writer.save()
    assert set(read_manifest(small_store).files) >= {"SPY", "QQQ", "NEW"}
    BarStore.open(small_store)  # everything still verifies


def test_same_frame_gives_identical_file_bytes(tmp_path: Path) -> None:
    for name in ("one", "two"):
        writer = StoreWriter(tmp_path / name)
        writer.put("X", _bars(), "synthetic", generator={"name": "t", "version": "1", "seed": 1})
        writer.save()
    for rel in ("bars/X.parquet", MANIFEST_NAME):
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes()


def test_package_does_not_import_the_simulator() -> None:
    import ast

    package = Path(__file__).resolve().parents[3] / "workflows" / "marketdata"
    for source in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in ("sim", "simpy"), f"{source.name} imports {name}"
