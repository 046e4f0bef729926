"""The real system's S3 layout, round trip under moto (in-process)."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import boto3
import pandas as pd
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from workflows.dsl.data import UnknownSymbolError
from workflows.marketdata.s3_layout import S3BarSource, publish
from workflows.marketdata.store import BarStore

BUCKET = "alchemiser-dev-market-data"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_publish_writes_the_real_layout(small_store: Path, s3) -> None:
    store = BarStore.open(small_store)
    publish(store, s3, BUCKET, symbols=["SPY", "TQQQ"])
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == ["SPY/daily.parquet", "SPY/metadata.json", "TQQQ/daily.parquet", "TQQQ/metadata.json"]
    raw = s3.get_object(Bucket=BUCKET, Key="SPY/daily.parquet")["Body"].read()
    parquet = pq.ParquetFile(io.BytesIO(raw))
    assert parquet.schema_arrow.names == ["timestamp", "open", "high", "low", "close", "volume"]
    assert parquet.metadata.row_group(0).column(0).compression == "SNAPPY"
    frame = pd.read_parquet(io.BytesIO(raw))
    assert str(frame["timestamp"].iloc[0]) == "2025-10-01 04:00:00+00:00"  # midnight New York (EDT)
    assert str(frame["timestamp"].iloc[-1]) == "2026-01-30 05:00:00+00:00"  # (EST)
    meta = json.loads(s3.get_object(Bucket=BUCKET, Key="SPY/metadata.json")["Body"].read())
    assert meta["symbol"] == "SPY" and meta["row_count"] == len(frame)
    assert meta["last_bar_date"] == "2026-01-30"
    assert meta["updated_at"] == "2026-01-30T21:00:00+00:00"


def test_round_trip_matches_the_store(small_store: Path, s3) -> None:
    store = BarStore.open(small_store)
    publish(store, s3, BUCKET)
    source = S3BarSource(s3, BUCKET)
    for symbol in store.symbols():
        pd.testing.assert_frame_equal(source.daily_bars(symbol), store.daily_bars(symbol))


def test_cutoff_keeps_only_bars_before_the_day(small_store: Path, s3) -> None:
    store = BarStore.open(small_store)
    publish(store, s3, BUCKET, symbols=["QQQ"], before=date(2026, 1, 12))
    source = S3BarSource(s3, BUCKET)
    bars = source.daily_bars("QQQ")
    assert bars.index[-1] == pd.Timestamp("2026-01-09")
    assert source.metadata("QQQ")["last_bar_date"] == "2026-01-09"


def test_symbol_with_slash_and_unknown_symbol(tmp_path: Path, s3) -> None:
    from marketdata_helpers import make_store

    store = BarStore.open(make_store(tmp_path / "s", symbols=("BRK/B",)))
    publish(store, s3, BUCKET)
    assert s3.head_object(Bucket=BUCKET, Key="BRK_B/daily.parquet")
    source = S3BarSource(s3, BUCKET)
    assert len(source.daily_bars("BRK/B")) == len(store.daily_bars("BRK/B"))
    with pytest.raises(UnknownSymbolError):
        source.daily_bars("NOPE")
