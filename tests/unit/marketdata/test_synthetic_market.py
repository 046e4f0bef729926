"""The synthetic generator: deterministic, relationships kept, regimes built in."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from marketdata_helpers import make_store

from workflows.marketdata import calendar, regimes
from workflows.marketdata.instruments import default_spec, spec_for
from workflows.marketdata.synthetic import SyntheticMarket

SESSIONS = calendar.sessions_index("2023-01-03", "2026-02-27")
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    return SyntheticMarket(20260213, SESSIONS)


def _returns(market: SyntheticMarket, symbol: str) -> pd.Series:
    return pd.Series(market.closes(symbol), index=market.sessions).pct_change().dropna()


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    one = _tree_bytes(make_store(tmp_path / "one", seed=11))
    two = _tree_bytes(make_store(tmp_path / "two", seed=11))
    assert one == two and len(one) > 5


def test_different_seed_gives_different_bars(tmp_path: Path) -> None:
    one = _tree_bytes(make_store(tmp_path / "one", seed=11))
    two = _tree_bytes(make_store(tmp_path / "two", seed=12))
    assert one["bars/SPY.parquet"] != two["bars/SPY.parquet"]
    assert one["MANIFEST.json"] != two["MANIFEST.json"]


def test_output_does_not_depend_on_python_hash_seed() -> None:
    # This process runs under some hash seed; a child under another must agree.
    code = (
        "import hashlib; from workflows.marketdata import calendar; "
        "from workflows.marketdata.synthetic import SyntheticMarket; "
        "m = SyntheticMarket(5, calendar.sessions_index('2025-01-02', '2025-03-31')); "
        "print(hashlib.sha256(m.closes('ZZZQ').tobytes() + m.closes('TQQQ').tobytes()).hexdigest())"
    )
    hash_seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=True)
    here = SyntheticMarket(5, calendar.sessions_index("2025-01-02", "2025-03-31"))
    digest = hashlib.sha256(here.closes("ZZZQ").tobytes() + here.closes("TQQQ").tobytes()).hexdigest()
    assert done.stdout.strip() == digest


def test_adding_a_ticker_does_not_change_another(tmp_path: Path) -> None:
    small = make_store(tmp_path / "small", symbols=("SPY", "XLK"))
    large = make_store(tmp_path / "large", symbols=("SPY", "XLK", "TECL", "AAPL", "ZZZQ"))
    for rel in ("bars/SPY.parquet", "bars/XLK.parquet"):
        assert (small / rel).read_bytes() == (large / rel).read_bytes()


@pytest.mark.parametrize(
    ("fund", "base", "multiple"),
    [("TQQQ", "QQQ", 3), ("SQQQ", "QQQ", -3), ("QLD", "QQQ", 2), ("PSQ", "QQQ", -1),
     ("SOXL", "SOXX", 3), ("SOXS", "SOXX", -3), ("TECL", "XLK", 3), ("UPRO", "SPY", 3),
     ("SPXS", "SPY", -3), ("TMF", "TLT", 3), ("TMV", "TLT", -3), ("UGL", "GLD", 2),
     ("YINN", "FXI", 3), ("EDZ", "EEM", -3), ("LABU", "XBI", 3), ("SDOW", "DIA", -3),
     ("UVXY", "VIXY", 1.5), ("SVIX", "VIXY", -1)],
)
def test_leveraged_funds_are_daily_multiples(market: SyntheticMarket, fund: str, base: str, multiple: float) -> None:
    np.testing.assert_allclose(_returns(market, fund), multiple * _returns(market, base), rtol=1e-9, atol=1e-12)


def test_volatility_products_move_against_the_market(market: SyntheticMarket) -> None:
    spy, uvxy, svxy = (_returns(market, s) for s in ("SPY", "UVXY", "SVXY"))
    down = spy < -0.01
    assert down.sum() > 30
    assert (uvxy[down] > 0).mean() > 0.85
    assert (svxy[down] < 0).mean() > 0.85
    assert spy.corr(uvxy) < -0.6


def test_bonds_follow_rates_and_bills_barely_move(market: SyntheticMarket) -> None:
    rates = pd.Series(market.factor("rates"), index=market.sessions).iloc[1:]
    assert _returns(market, "TLT").corr(rates) < -0.9
    assert _returns(market, "TLT").std() > 3 * _returns(market, "IEF").std() / 2
    bil = _returns(market, "BIL")
    assert bil.std() < 0.0005 and bil.mean() > 0


def test_sectors_and_stocks_are_correlated_with_the_market(market: SyntheticMarket) -> None:
    spy = _returns(market, "SPY")
    for symbol in ("QQQ", "XLK", "XLF", "IWM", "NVDA", "JPMX"):
        assert spy.corr(_returns(market, symbol)) > 0.3, symbol
    assert spy.corr(_returns(market, "BTAL")) < -0.5


def test_unknown_ticker_gets_a_plausible_default(market: SyntheticMarket) -> None:
    spec = spec_for("ZZZQ")
    assert spec == default_spec("ZZZQ") and spec.kind == "equity"
    bars = market.bars("ZZZQ")
    assert len(bars) == len(SESSIONS) and (bars["close"] > 0).all()


@pytest.mark.parametrize("symbol", ["SPY", "TQQQ", "SQQQ", "UVXY", "BIL", "ZZZQ", "GDXD"])
def test_bars_are_consistent_and_plausible(market: SyntheticMarket, symbol: str) -> None:
    bars = market.bars(symbol)
    body_low = bars[["open", "close"]].min(axis=1)
    body_high = bars[["open", "close"]].max(axis=1)
    assert (bars["low"] <= body_low).all() and (bars["high"] >= body_high).all()
    assert (bars["low"] > 0).all()
    assert ((bars["vwap"] >= bars["low"]) & (bars["vwap"] <= bars["high"])).all()
    for column in ("volume", "trade_count"):
        assert (bars[column] >= 1).all() and (bars[column] == bars[column].round()).all()
    assert (bars["trade_count"] <= bars["volume"]).all()
    # A daily bar is stamped at midnight New York.
    local = bars["timestamp"].dt.tz_convert("America/New_York")
    assert (local.dt.hour == 0).all()


def test_each_regime_segment_delivers_its_total(market: SyntheticMarket) -> None:
    mkt = pd.Series(market.factor("mkt"), index=market.sessions)
    for seg in regimes.MARKET:
        inside = mkt[seg.start:seg.end]
        full = len(calendar.sessions_index(seg.start, seg.end))
        if len(inside) == full:  # segments wholly inside the range
            assert np.expm1(inside.sum()) == pytest.approx(seg.total, rel=1e-9, abs=1e-12)


def test_regimes_are_in_the_range(market: SyntheticMarket) -> None:
    qqq = pd.Series(market.closes("QQQ"), index=market.sessions)
    drawdown = qqq / qqq.cummax() - 1
    trough = drawdown.idxmin()
    assert drawdown.min() < -0.20
    assert qqq[trough:].max() > 1.25 * qqq[trough]  # a V-shaped recovery follows
    vix = pd.Series(market.vix(), index=market.sessions)
    assert vix.max() > 35 and vix.min() < 14  # spikes and calm
    tlt = pd.Series(market.closes("TLT"), index=market.sessions)
    assert (tlt / tlt.rolling(63, min_periods=1).max() - 1).min() < -0.08  # a rate shock


def test_schedule_data_is_recorded_with_a_digest() -> None:
    data = regimes.schedule_data()
    assert len(data["sha256"]) == 64
    assert any(seg["kind"] == "crash" for seg in data["market"])
    starts = [pd.Timestamp(s.start) for s in regimes.MARKET]
    assert starts == sorted(starts)
