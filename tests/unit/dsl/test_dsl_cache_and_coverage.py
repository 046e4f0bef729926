"""IndicatorCache counters and sharing; if-branch coverage."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from workflows.dsl.cache import IndicatorCache
from workflows.dsl.coverage import branch_coverage, contradicts, infeasible_branches, untaken_branches
from workflows.dsl.errors import MarketDataMissingError
from workflows.dsl.parser import parse, parse_file
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


def _cond(text: str):
    return parse(text, "c.clj")


def test_contradicts_finds_conditions_no_day_can_meet():
    over79, over81 = _cond('(> (rsi "X" {:window 10}) 79)'), _cond('(> (rsi "X" {:window 10}) 81)')
    flipped = _cond('(< 81 (rsi "X" {:window 10}))')  # the number on the left
    at_least_80, at_most_80 = _cond('(>= (rsi "X" {:window 10}) 80)'), _cond('(<= (rsi "X" {:window 10}) 80)')
    trend = _cond('(> (current-price "X") (moving-average-price "X" {:window 200}))')
    assert contradicts([(over79, False), (over81, True)])  # <= 79 and > 81
    assert contradicts([(over79, False), (flipped, True)])
    assert not contradicts([(over79, True), (over81, False)])  # (79, 81]
    assert not contradicts([(at_least_80, True), (at_most_80, True)])  # exactly 80
    assert contradicts([(at_least_80, False), (at_most_80, False)])
    assert contradicts([(trend, True), (over79, True), (trend, False)])  # the same test both ways
    assert not contradicts([(_cond('(> (rsi "Y" {:window 10}) 81)'), True), (over79, False)])
    leveraged = _cond('(> (rsi "X3" {:window 10}) 80)')
    assert not contradicts([(leveraged, False), (over81, True)])
    assert contradicts([(leveraged, False), (over81, True)], aliases={"X3": "X"})


def test_infeasible_branches_are_counted_and_reported(tmp_path):
    path = _write(tmp_path, "dead.clj", """
        (if (> (rsi "X" {:window 10}) 79)
          (asset "A")
          (if (> (rsi "X" {:window 10}) 81) (asset "B") (asset "C")))""")
    assert infeasible_branches(parse_file(path)) == {((4, 11), "then")}
    report = branch_coverage([path], [RUN], IndicatorCache(SOURCE))
    (only,) = report.files
    assert only.infeasible == report.infeasible == 1
    assert only.branch_coverage == only.branches_taken / 4
    assert only.feasible_coverage == only.branches_taken / 3


def test_untaken_branches_show_the_values_and_what_blocks_the_path(tmp_path):
    # X closes rise 1..60 on weekdays up to 2024-06-28.
    path = _write(tmp_path, "paths.clj", """
        (if (> (current-price "X") 30)
          (if (> (current-price "X") 1000) (asset "A") (asset "B"))
          (if (< (current-price "X") 50) (asset "C") (asset "D")))""")
    days = [d.date() for d in pd.bdate_range("2024-05-21", "2024-05-31")]  # sees X from 31 to 39
    rows = {(r.line, r.column): r for r in untaken_branches([path], days, IndicatorCache(SOURCE))[str(path)]}
    assert set(rows) == {(2, 9), (3, 11), (4, 11)}
    never = rows[3, 11]  # reached every day, 1000 never crossed
    assert never.missing == ("then",) and never.reached == len(days) and never.closest_day == (None,)
    assert never.sides == (('(current-price "X")', 31.0, 39.0),)
    assert rows[2, 9].missing == ("else",) and rows[2, 9].closest_day == (None,)
    assert "then: threshold never crossed" in never.describe()
    blocked = rows[4, 11]  # under the outer else, never reached; its condition holds alone
    assert blocked.reached == 0 and blocked.missing == ("then", "else") and blocked.true_days == len(days)
    assert blocked.closest_day[0] == days[0] and blocked.blockers[0] == (
        '2:9 needs else (> (current-price "X") 30)',)
    assert blocked.closest_day[1] is None  # X < 50 on every day
    assert blocked.infeasible == (False, True)  # X <= 30 (outer else) and X >= 50: never
    assert "then: closest 2024-05-21, blocked by 2:9 needs else" in blocked.describe()
    assert "else: infeasible" in blocked.describe()
