"""The process-wide caches of parsed bars are keyed by content and hand out frames that are safe to change."""

from __future__ import annotations

from pathlib import Path

import boto3
import pandas as pd
import pytest
from marketdata_helpers import make_store
from moto import mock_aws

from workflows.marketdata.errors import MarketDataError
from workflows.marketdata.memo import MISSING, ContentMemo
from workflows.marketdata.s3_layout import S3BarSource, daily_key, publish
from workflows.marketdata.store import BarStore

BUCKET = "memo-bucket"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_memo_is_a_bounded_lru():
    memo = ContentMemo("t", maxsize=2)
    assert memo.lookup("a") is MISSING
    memo.store("a", 1), memo.store("b", 2)
    assert memo.lookup("a") == 1  # a is now the most recent
    memo.store("c", 3)
    assert memo.lookup("b") is MISSING and memo.lookup("a") == 1 and memo.lookup("c") == 3
    assert (memo.hits, memo.misses) == (3, 2)


def test_a_rewritten_store_file_is_read_afresh(tmp_path: Path):
    """Same path, new bytes: the cache is keyed by content, so the new bars are seen."""
    root = make_store(tmp_path / "s", seed=7)
    first = BarStore.open(root).bars("SPY")
    make_store(tmp_path / "s", seed=8)  # rebuilt in place: same paths, other prices
    second = BarStore.open(root).bars("SPY")
    assert not first["close"].equals(second["close"])
    pd.testing.assert_frame_equal(second, BarStore.open(make_store(tmp_path / "t", seed=8)).bars("SPY"))


def test_changing_a_returned_frame_never_reaches_the_next_reader(tmp_path: Path, s3):
    root = make_store(tmp_path / "s")
    bars = BarStore.open(root).bars("SPY")
    expected = bars.copy(deep=True)
    bars.loc[bars.index[0], "close"] = -1.0
    bars["extra"] = 1
    pd.testing.assert_frame_equal(BarStore.open(root).bars("SPY"), expected)

    publish(BarStore.open(root), s3, BUCKET, symbols=["SPY"])
    daily = S3BarSource(s3, BUCKET).daily_bars("SPY")
    again = daily.copy(deep=True)
    daily.iloc[0, 0] = -1.0
    raw = S3BarSource(s3, BUCKET).s3_bars("SPY")
    raw["timestamp"] = pd.NaT
    pd.testing.assert_frame_equal(S3BarSource(s3, BUCKET).daily_bars("SPY"), again)
    assert S3BarSource(s3, BUCKET).s3_bars("SPY")["timestamp"].notna().all()


def test_publishing_again_writes_the_same_objects(tmp_path: Path, s3):
    store = BarStore.open(make_store(tmp_path / "s"))
    publish(store, s3, BUCKET, symbols=["QQQ"])
    first = s3.get_object(Bucket=BUCKET, Key=daily_key("QQQ"))["Body"].read()
    publish(BarStore.open(store.root), s3, BUCKET, symbols=["QQQ"])
    assert s3.get_object(Bucket=BUCKET, Key=daily_key("QQQ"))["Body"].read() == first


def test_a_bad_parquet_object_fails_on_every_read(s3):
    s3.put_object(Bucket=BUCKET, Key=daily_key("BAD"), Body=b"not parquet")
    for _ in range(2):  # failures are not cached
        with pytest.raises(MarketDataError, match="not a readable Parquet file"):
            S3BarSource(s3, BUCKET).daily_bars("BAD")
