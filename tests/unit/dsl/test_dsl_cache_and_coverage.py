"""IndicatorCache counters and sharing; if-branch coverage."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from workflows.dsl.cache import IndicatorCache
from workflows.dsl.coverage import branch_coverage
from workflows.dsl.errors import MarketDataMissingError
from workflows.dsl.testing import InMemoryBars
from workflows.dsl.window import LiveBarPolicy


class CountingSource:
    def __init__(self, inner: InMemoryBars) -> None:
        self.inner, self.calls = inner, 0

    def daily_bars(self, symbol: str) -> pd.DataFrame:
        self.calls += 1
        return self.inner.daily_bars(symbol)


SOURCE = InMemoryBars.from_closes({"X": [float(i) for i in range(1, 61)]}, end="2024-06-28")
RUN = date(2024, 7, 1)


def test_values_are_computed_once_per_key_and_bars_loaded_once():
    source = CountingSource(SOURCE)
    cache = IndicatorCache(source)
    first = cache.value("X", "rsi", 10, RUN)
    assert cache.value("X", "rsi", 10, RUN) == first
    cache.value("X", "rsi", 10, RUN, LiveBarPolicy.AS_BUILT_22594D65A)  # another policy: a miss
    cache.value("X", "rsi", 10, RUN - timedelta(days=1))  # another date: a miss
    cache.value("X", "moving_average", 5, RUN)
    stats = cache.stats()
    assert (stats.hits, stats.misses, source.calls) == (1, 4, 1)
    assert stats.hit_rate == pytest.approx(0.2)


def test_failures_are_cached_and_reraised_fresh():
    source = CountingSource(SOURCE)
    cache = IndicatorCache(source)
    for _ in range(2):
        with pytest.raises(MarketDataMissingError, match="no market data for symbol 'NOPE'"):
            cache.value("NOPE", "rsi", 10, RUN)
    assert (cache.hits, cache.misses, source.calls) == (1, 1, 1)


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_branch_coverage_per_file_and_overall(tmp_path):
    # X closes rise 1..60 on weekdays to 2024-06-28; current-price crosses 20
    rising = _write(tmp_path, "rising.clj", """
        (weight-equal
          [(if (> (current-price "X") 20)
            [(asset "A")]
            [(if (> (current-price "X") 1000) [(asset "B")] [(asset "C")])])])""")
    fixed = _write(tmp_path, "fixed.clj", """
        (if (> 1 0) (asset "A") (if (> 1 0) (asset "B") (asset "C")))""")
    days = [d.date() for d in pd.bdate_range("2024-04-22", "2024-05-10")]
    report = branch_coverage([rising, fixed], days, IndicatorCache(SOURCE))
    by_name = {f.file: f for f in report.files}
    r, f = by_name[str(rising)], by_name[str(fixed)]
    assert (r.ifs, r.both, r.then_only, r.else_only, r.never) == (2, 1, 0, 1, 0)
    assert (f.ifs, f.both, f.then_only, f.else_only, f.never) == (2, 0, 1, 0, 1)
    assert r.branch_coverage == 0.75 and f.branch_coverage == 0.25
    assert report.branch_coverage == 0.5 and report.branches_taken == 4
    assert f.never_taken == ("2:33 (> 1 0)",)
    assert r.evaluations == len(days) and r.errors == 0


def test_coverage_counts_failures_but_keeps_their_partial_trace(tmp_path):
    path = _write(tmp_path, "fails.clj", '(if (> 1 0) [(rsi "NOPE")] [(asset "A")])')
    report = branch_coverage([path], [RUN], IndicatorCache(SOURCE))
    (only,) = report.files
    assert only.errors == 1 and only.then_only == 1
