"""The strategy DSL engine: parse and evaluate Composer-style ``.clj`` files
exactly as the real Alchemiser did at commit 22594d65a (reference §4).

Typical use::

    cache = IndicatorCache(source)              # share across strategies and dates
    result = evaluate_file(path, cache, as_of)  # StrategyResult: weights, trace

See ``README.md`` in this folder for semantics, limitations and deviations.
This package imports neither simpy nor ``sim``.
"""

from workflows.dsl.cache import CacheStats, IndicatorCache
from workflows.dsl.coverage import CoverageReport, CoverageTracker, branch_coverage
from workflows.dsl.data import BarSource, UnknownSymbolError
from workflows.dsl.errors import (
    DslError,
    DslEvaluationError,
    DslSyntaxError,
    MarketDataError,
    MarketDataMissingError,
)
from workflows.dsl.evaluator import Evaluator, StrategyResult, evaluate, evaluate_file
from workflows.dsl.parser import parse, parse_file
from workflows.dsl.universe import Universe, tickers_in, tickers_in_files
from workflows.dsl.window import DEFAULT_POLICY, LiveBarPolicy

__all__ = [
    "DEFAULT_POLICY",
    "BarSource",
    "CacheStats",
    "CoverageReport",
    "CoverageTracker",
    "DslError",
    "DslEvaluationError",
    "DslSyntaxError",
    "Evaluator",
    "IndicatorCache",
    "LiveBarPolicy",
    "MarketDataError",
    "MarketDataMissingError",
    "StrategyResult",
    "UnknownSymbolError",
    "Universe",
    "branch_coverage",
    "evaluate",
    "evaluate_file",
    "parse",
    "parse_file",
    "tickers_in",
    "tickers_in_files",
]
