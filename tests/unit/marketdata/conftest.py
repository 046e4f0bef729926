"""Fixtures of the market data tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from marketdata_helpers import make_store


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    return make_store(tmp_path / "store")
