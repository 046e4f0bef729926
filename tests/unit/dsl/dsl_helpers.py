"""Shared helpers for the DSL tests (a uniquely named module, not conftest,
so it cannot clash with other test folders' helpers)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from workflows.dsl.cache import IndicatorCache
from workflows.dsl.evaluator import StrategyResult, evaluate
from workflows.dsl.parser import parse
from workflows.dsl.testing import InMemoryBars
from workflows.dsl.values import decimal_str
from workflows.dsl.window import DEFAULT_POLICY, LiveBarPolicy

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO / ".." / "shared"
REAL_STRATEGIES = SHARED / "alchemiser" / "strategies"
FIXTURE_STRATEGIES = REPO / "fixtures" / "strategies"

# Bars built by InMemoryBars.from_closes end on this Friday; a run on the
# following Monday sees all of them (closes through T-1).
LAST_BAR = "2024-06-28"
RUN_DAY = date(2024, 7, 1)


def real_strategy_files() -> list[Path]:
    if not REAL_STRATEGIES.is_dir():
        pytest.skip("../shared/alchemiser/strategies is not available on this machine")
    files = sorted(REAL_STRATEGIES.glob("*.clj"))
    if len(files) != 12:
        pytest.skip(f"expected the 12 real strategy files, found {len(files)}")
    return files


def bars(**closes: list[float]) -> InMemoryBars:
    return InMemoryBars.from_closes(closes, end=LAST_BAR)


def run(
    text: str,
    source: InMemoryBars,
    as_of: date = RUN_DAY,
    policy: LiveBarPolicy = DEFAULT_POLICY,
    file: str = "test.clj",
) -> StrategyResult:
    return evaluate(parse(text, file), IndicatorCache(source), as_of, policy, file)


def weights(result: StrategyResult) -> dict[str, str]:
    """Weights as plain decimal strings, for readable exact assertions."""
    return {symbol: decimal_str(weight) for symbol, weight in result.weights.items()}
