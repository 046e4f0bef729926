"""The project's example strategies, and the package's import boundary."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from dsl_helpers import FIXTURE_STRATEGIES, REPO

from workflows.dsl.cache import IndicatorCache
from workflows.dsl.evaluator import OPERATORS, evaluate
from workflows.dsl.indicator_ops import INDICATOR_KINDS
from workflows.dsl.nodes import ListNode, walk
from workflows.dsl.parser import parse_file
from workflows.dsl.testing import synthetic_bars
from workflows.dsl.universe import tickers_in_files

FILES = sorted(FIXTURE_STRATEGIES.glob("*.clj"))
NEVER_IN_FIXTURES = {"ma", "volatility"}  # registered but always fail


def test_fixtures_use_every_operator_and_indicator():
    used = {
        node.head
        for path in FILES
        for node in walk(parse_file(path))
        if isinstance(node, ListNode) and node.kind != "map"
    }
    assert set(OPERATORS) - NEVER_IN_FIXTURES <= used
    assert set(INDICATOR_KINDS) <= used


@pytest.mark.parametrize("as_of", [date(2024, 3, 1), date(2024, 9, 3)])
def test_fixtures_evaluate(as_of):
    source = synthetic_bars(tickers_in_files(FILES).tickers, "2021-06-01", "2024-12-31", seed=11)
    cache = IndicatorCache(source)
    for path in FILES:
        result = evaluate(parse_file(path), cache, as_of, file=path.name)
        assert sum(result.weights.values()) == 1


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_dsl_package_imports_neither_simpy_nor_sim():
    for path in sorted((REPO / "workflows" / "dsl").glob("*.py")):
        for name in _imports(path):
            root = name.split(".")[0]
            assert root not in ("simpy", "sim"), f"{path.name} imports {name}"


def test_modules_stay_small():
    for path in sorted((REPO / "workflows" / "dsl").glob("*.py")):
        assert len(path.read_text().splitlines()) < 420, path.name
