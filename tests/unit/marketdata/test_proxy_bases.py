"""Proxy bases from real index series in PyPI packages (arch), when installed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workflows.marketdata import build, calendar, proxy
from workflows.marketdata.store import BarStore

SESSIONS = calendar.sessions_index("2025-06-02", "2026-01-30")
needs_arch = pytest.mark.skipif("SPY" not in proxy.available(), reason="the optional package `arch` is not installed")


@needs_arch
def test_proxy_keeps_the_real_daily_returns() -> None:
    bars, info = proxy.proxy_bars("SPY", SESSIONS, "2008-01-02")
    index, _ = proxy.load_index(proxy.SOURCES["SPY"])
    real = index.loc["2008-01-02":, "close"].iloc[: len(SESSIONS)]
    np.testing.assert_allclose(np.diff(np.log(bars["close"])), np.diff(np.log(real.to_numpy())), atol=1e-12)
    assert bars["close"].iloc[-1] == pytest.approx(690.0)
    assert info.package == "arch" and info.version and len(info.sha256) == 64
    assert "^GSPC" in info.method and "relabelled" in info.method


@needs_arch
def test_build_with_proxy_labels_what_is_real(tmp_path: Path) -> None:
    build.build(tmp_path, seed=3, symbols=("SPY", "QQQ", "TQQQ", "XLK", "UVXY"),
                start="2025-06-02", end="2026-01-30", proxy_kind="arch", proxy_window_start="2008-01-02")
    store = BarStore.open(tmp_path)
    kinds = {s: store.provenance(s) for s in store.symbols()}
    assert kinds == {"QQQ": "proxy", "SPY": "proxy", "TQQQ": "proxy", "UVXY": "synthetic", "XLK": "synthetic"}
    assert store.entry("QQQ").source.package == "arch"
    assert "Nasdaq Composite" in store.entry("QQQ").source.method
    assert "daily multiple of proxy QQQ" in store.entry("TQQQ").source.method
    spy = store.daily_bars("SPY")["close"].pct_change().dropna()
    uvxy = store.daily_bars("UVXY")["close"].pct_change().dropna()
    assert spy.corr(uvxy) < -0.5  # the synthetic VIX follows the real market path


def test_without_arch_the_proxy_build_refuses_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(proxy, "available", lambda: {})
    with pytest.raises(SystemExit, match="`arch` is not installed"):
        build.build(tmp_path, symbols=("SPY",), start="2025-06-02", end="2026-01-30", proxy_kind="arch")
