"""The committed fixture store: complete, long enough, regimes present, reproducible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pytest

from workflows.marketdata import build, calendar
from workflows.marketdata.store import BarStore

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "fixtures" / "market"
REAL_STRATEGIES = REPO.parent / "shared" / "alchemiser" / "strategies"
PROJECT_STRATEGIES = REPO / "fixtures" / "strategies"


@pytest.fixture(scope="module")
def store() -> BarStore:
    return BarStore.open(FIXTURES)  # verifies every file's sha256


def test_covers_every_ticker_of_the_twelve_real_files(store: BarStore) -> None:
    if not REAL_STRATEGIES.is_dir():
        pytest.skip(f"{REAL_STRATEGIES} is absent (shared/ is not beside the repo)")
    files = sorted(REAL_STRATEGIES.glob("*.clj"))
    assert len(files) == 12
    tickers = build.strategy_tickers([REAL_STRATEGIES])
    assert len(tickers) == 198
    assert sorted(set(tickers) - set(store.symbols())) == []


def test_covers_the_project_example_strategies(store: BarStore) -> None:
    missing = set(build.strategy_tickers([PROJECT_STRATEGIES])) - set(store.symbols())
    assert not missing, f"rebuild with `python -m workflows.marketdata.build`: missing {sorted(missing)}"


def test_long_enough_and_on_nyse_sessions(store: BarStore) -> None:
    for symbol in store.symbols():
        entry = store.entry(symbol)
        assert entry.rows >= 600 and str(entry.last) >= "2026-01-30", symbol
    spy = store.daily_bars("SPY")
    assert list(spy.index) == list(calendar.sessions_index(spy.index[0], spy.index[-1]))
    assert pd.Timestamp("2026-01-19") not in spy.index


def test_every_file_says_what_it_is(store: BarStore) -> None:
    for symbol in store.symbols():
        entry = store.entry(symbol)
        assert entry.provenance in ("synthetic", "proxy", "real") and entry.label
        if entry.provenance == "synthetic":
            assert entry.generator.seed == store.manifest.generators[entry.generator.name]["seed"]


def test_regimes_are_present(store: BarStore) -> None:
    qqq = store.daily_bars("QQQ")["close"]
    drawdown = qqq / qqq.cummax() - 1
    trough = drawdown.idxmin()
    assert drawdown.min() < -0.20 and qqq[trough:].max() > 1.25 * qqq[trough]
    uvxy = store.daily_bars("UVXY")["close"]
    spikes = (uvxy / uvxy.rolling(10).min() - 1) > 0.5  # +50 % within two weeks
    assert spikes.sum() >= 3
    tlt = store.daily_bars("TLT")["close"]
    assert (tlt / tlt.rolling(63, min_periods=1).max() - 1).min() < -0.08


def test_size_is_modest() -> None:
    total = sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file())
    assert total < 8_000_000


def test_rebuilding_with_the_recorded_seed_gives_the_same_bytes(store: BarStore, tmp_path: Path) -> None:
    data = store.manifest.generators["shadowsim-synth"]
    libraries = data["libraries"]
    here = {"numpy": np.__version__, "pandas": pd.__version__, "pyarrow": pyarrow.__version__}
    if libraries != here:
        pytest.skip(f"fixtures were built with {libraries}, this is {here}: bytes may differ")
    sessions = data["sessions"]
    build.build(tmp_path, data["seed"], store.symbols(), sessions["first"], sessions["last"])
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file():
            rel = path.relative_to(FIXTURES)
            assert (tmp_path / rel).read_bytes() == path.read_bytes(), rel


# The ~540 sessions the strategies are evaluated on (branch coverage window).
WINDOW = 540


def _below_average(store: BarStore, symbol: str, window: int) -> float:
    closes = store.daily_bars(symbol)["close"]
    return float((closes < closes.rolling(window).mean()).iloc[-WINDOW:].mean())


def test_switches_of_the_real_strategies_go_both_ways(store: BarStore) -> None:
    # rains_* branch on SHV vs its 50-day and EEM vs its 200-day average first;
    # most files on SPY vs its 200-day average.
    assert 0.3 < _below_average(store, "SHV", 50) < 0.7
    assert 0.3 < _below_average(store, "EEM", 200) < 0.7
    assert 0.25 < _below_average(store, "SPY", 200) < 0.6


def test_volatility_led_shocks_are_present(store: BarStore) -> None:
    # UVXY up 30 % in a week while SPY lost less than 3 %: a VIX-led shock.
    uvxy = store.daily_bars("UVXY")["close"].pct_change(5)
    spy = store.daily_bars("SPY")["close"].pct_change(5)
    assert ((uvxy > 0.30) & (spy > -0.03)).iloc[-WINDOW:].sum() >= 5


def test_prices_stay_plausible(store: BarStore) -> None:
    for symbol in store.symbols():
        assert (store.daily_bars(symbol)["close"] > 0).all(), symbol
    for symbol in ("SPY", "QQQ", "IWM", "EEM", "TLT", "IEF", "XLF", "XLU"):
        assert store.daily_bars(symbol)["close"].pct_change().abs().max() < 0.10, symbol
    for symbol in ("SHV", "BIL"):
        assert store.daily_bars(symbol)["close"].pct_change().abs().max() < 0.005, symbol
