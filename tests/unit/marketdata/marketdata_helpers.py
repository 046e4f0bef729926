"""Helpers of the market data tests: small synthetic stores, built fast."""

from __future__ import annotations

from pathlib import Path

from workflows.marketdata import build

SMALL_SYMBOLS = ("SPY", "QQQ", "TQQQ", "SQQQ", "UVXY", "TLT", "BIL")


def make_store(root: Path, seed: int = 7, symbols=SMALL_SYMBOLS, start="2025-10-01", end="2026-01-30") -> Path:
    build.build(root, seed=seed, symbols=symbols, start=start, end=end)
    return root
