"""The 12 real strategy files on the bundled market data, every NYSE session of
the last 250 in the fixture range, one shared IndicatorCache.

Every evaluation must succeed with weights that sum to exactly Decimal(1), are
all positive and name only the file's tradable tickers; re-evaluating a few
dates with a fresh store and cache gives identical weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from dsl_helpers import REPO, real_strategy_files

from workflows.dsl.cache import IndicatorCache
from workflows.dsl.errors import DslError
from workflows.dsl.evaluator import evaluate
from workflows.dsl.nodes import Node
from workflows.dsl.parser import parse_file
from workflows.dsl.universe import tickers_in
from workflows.dsl.values import Weights
from workflows.marketdata import calendar
from workflows.marketdata.store import BarStore

FIXTURES = REPO / "fixtures" / "market"
SESSIONS = 250


@dataclass(frozen=True)
class Run:
    store: BarStore
    trees: dict[str, Node]
    tradable: dict[str, frozenset[str]]
    days: list[date]
    weights: dict[tuple[str, date], Weights]
    failures: list[str]


def _last_sessions(store: BarStore, count: int) -> list[date]:
    """The last ``count`` NYSE sessions of the fixture range."""
    first = min(store.entry(s).first for s in store.symbols())
    last = max(store.entry(s).last for s in store.symbols())
    return calendar.sessions(first, last)[-count:]


@pytest.fixture(scope="module")
def run() -> Run:
    files = real_strategy_files()  # skips with a reason when ../shared is absent
    store = BarStore.open(FIXTURES)
    trees = {path.stem: parse_file(path) for path in files}
    tradable = {path.stem: frozenset(tickers_in(path).assets) for path in files}
    days = _last_sessions(store, SESSIONS)
    cache = IndicatorCache(store)  # one cache for every file and date
    weights: dict[tuple[str, date], Weights] = {}
    failures: list[str] = []
    for day in days:
        for name, tree in trees.items():
            try:
                weights[name, day] = evaluate(tree, cache, day, file=f"{name}.clj").weights
            except DslError as error:  # collected, so one report names every failure
                failures.append(f"{name} {day}: {error}")
    return Run(store, trees, tradable, days, weights, failures)


def test_the_days_are_the_last_250_nyse_sessions_of_the_fixtures(run: Run) -> None:
    assert len(run.days) == SESSIONS == len(set(run.days))
    assert all(calendar.is_session(day) for day in run.days)
    assert run.days == sorted(run.days)
    spy = run.store.daily_bars("SPY")
    assert run.days[-1] == spy.index[-1].date()
    assert calendar.next_session(run.days[0]) == run.days[1]


def test_every_file_evaluates_on_every_day(run: Run) -> None:
    assert run.failures == []
    assert len(run.weights) == len(run.trees) * SESSIONS == 12 * SESSIONS


def test_weights_sum_to_exactly_one_are_positive_and_tradable(run: Run) -> None:
    for (name, day), weights in run.weights.items():
        where = f"{name} {day}"
        assert weights, where
        assert sum(weights.values()) == Decimal(1), where
        assert all(weight > 0 for weight in weights.values()), where
        assert set(weights) <= run.tradable[name], f"{where}: {sorted(set(weights) - run.tradable[name])}"


def test_the_data_moves_every_strategy(run: Run) -> None:
    # Not one frozen answer: each file holds more than one portfolio over the days.
    for name in run.trees:
        portfolios = {tuple(run.weights[name, day].items()) for day in run.days}
        assert len(portfolios) > 1, name


@pytest.mark.parametrize("position", [0, 1, SESSIONS // 2, SESSIONS - 1])
def test_a_fresh_store_and_cache_give_identical_weights(run: Run, position: int) -> None:
    day = run.days[position]
    cache = IndicatorCache(BarStore.open(FIXTURES))
    for name, tree in run.trees.items():
        assert evaluate(tree, cache, day, file=f"{name}.clj").weights == run.weights[name, day], name
