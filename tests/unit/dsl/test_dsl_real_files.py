"""The 12 real strategy files (read from ../shared, never copied)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from dsl_helpers import SHARED, real_strategy_files

from workflows.dsl.cache import IndicatorCache
from workflows.dsl.evaluator import evaluate
from workflows.dsl.nodes import ListNode, walk
from workflows.dsl.parser import parse_file
from workflows.dsl.testing import synthetic_bars
from workflows.dsl.universe import tickers_in, tickers_in_files

# Section 4.7: (lines, depth, ifs, filters, tradable, indicator-only)
TABLE = {
    "blatant_tech": (223, 31, 19, 9, 15, 1),
    "defence": (26, 9, 0, 1, 12, 0),
    "gold": (81, 22, 11, 0, 3, 1),
    "nuclear": (376, 68, 36, 1, 13, 7),
    "pals_spell": (1013, 98, 64, 9, 44, 14),
    "rains_concise_em": (5232, 35, 194, 316, 11, 17),
    "rains_em_dancer": (4836, 38, 234, 218, 13, 15),
    "simons_full_kmlm": (273, 98, 23, 4, 9, 12),
    "sisyphus_lowvol": (4049, 195, 317, 34, 59, 21),
    "tqqq_ftlt": (78, 30, 11, 2, 6, 1),
    "tqqq_ftlt_1": (325, 39, 20, 11, 44, 2),
    "tqqq_ftlt_2": (324, 61, 22, 6, 26, 11),
}


def _depth(tree) -> int:
    """Lists enclosing the deepest list (the table counts the outer form as 0)."""
    best, stack = 0, [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ListNode):
            best = max(best, depth)
            stack.extend((child, depth + 1) for child in node.children)
    return best


@pytest.fixture(scope="module")
def files():
    return real_strategy_files()


def test_all_twelve_parse_and_match_the_section_4_7_table(files):
    for path in files:
        lines, depth, ifs, filters, tradable, indicator_only = TABLE[path.stem]
        tree = parse_file(path)
        heads = [n.head for n in walk(tree) if isinstance(n, ListNode) and n.kind != "map"]
        assert len(path.read_text().splitlines()) == lines, path.stem
        assert _depth(tree) == depth, path.stem
        assert (heads.count("if"), heads.count("filter")) == (ifs, filters), path.stem
        universe = tickers_in(path)
        assert (len(universe.assets), len(universe.indicator_only)) == (tradable, indicator_only)


def test_universe_counts_over_all_files(files):
    universe = tickers_in_files(files)
    assert (len(universe), len(universe.assets), len(universe.indicator_only)) == (198, 165, 33)
    assert tickers_in(files[0]).indicator_only == ("GDX",)  # blatant_tech
    assert "SPY" in universe.assets and "VOX" in universe.indicator_only


@pytest.fixture(scope="module")
def synthetic(files):
    return synthetic_bars(tickers_in_files(files).tickers, "2021-01-04", "2024-12-31", seed=7)


@pytest.mark.parametrize("as_of", [date(2023, 6, 1), date(2024, 1, 2), date(2024, 6, 14), date(2024, 12, 2)])
def test_every_real_file_evaluates_to_weights_summing_to_exactly_one(files, synthetic, as_of):
    cache = IndicatorCache(synthetic)
    allocations = json.loads((SHARED / "alchemiser/config/strategy.prod.json").read_text())["allocations"]
    total_scaled = Decimal(0)
    for path in files:
        result = evaluate(parse_file(path), cache, as_of, file=path.name)
        assert sum(result.weights.values()) == Decimal(1), path.stem
        assert all(weight > 0 for weight in result.weights.values()), path.stem
        assert set(result.weights) <= set(tickers_in(path).assets), path.stem
        assert list(result.weights) == sorted(result.weights)
        total_scaled += sum(result.scaled(allocations[path.name]).values())
    assert total_scaled == pytest.approx(Decimal(1), abs=Decimal("1e-20"))
    assert cache.stats().hits > 0


def test_evaluation_is_deterministic(files, synthetic):
    path = next(p for p in files if p.stem == "sisyphus_lowvol")
    tree = parse_file(path)
    first = evaluate(tree, IndicatorCache(synthetic), date(2024, 3, 4))
    second = evaluate(tree, IndicatorCache(synthetic), date(2024, 3, 4))
    assert first.weights == second.weights and first.trace_json() == second.trace_json()
