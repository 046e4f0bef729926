"""Ticker universes of strategy files (section 4.7).

A file's *assets* are the tickers it can allocate to: the first argument of
every ``(asset "SYM" ...)``. Its *indicator-only* tickers are those read by an
indicator (``(rsi "SPY" ...)``) that never appear as an asset in the same file.
Over the 12 real files this gives 198 distinct tickers: 165 tradable somewhere,
33 only ever indicator inputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from workflows.dsl.indicator_ops import INDICATOR_KINDS
from workflows.dsl.nodes import Atom, ListNode, Node, walk
from workflows.dsl.parser import parse_file


@dataclass(frozen=True)
class Universe:
    """Sorted, de-duplicated tickers of one file or a set of files."""

    assets: tuple[str, ...]
    indicator_only: tuple[str, ...]

    @property
    def tickers(self) -> tuple[str, ...]:
        return tuple(sorted({*self.assets, *self.indicator_only}))

    def __len__(self) -> int:
        return len(self.tickers)


def universe_of(tree: Node) -> Universe:
    assets: set[str] = set()
    inputs: set[str] = set()
    for node in walk(tree):
        if not isinstance(node, ListNode) or len(node.children) < 2:
            continue
        first = node.children[1]
        if not (isinstance(first, Atom) and isinstance(first.value, str)):
            continue
        if node.head == "asset":
            assets.add(first.value)
        elif node.head in INDICATOR_KINDS:
            inputs.add(first.value)
    return Universe(tuple(sorted(assets)), tuple(sorted(inputs - assets)))


def tickers_in(path: str | Path) -> Universe:
    """The universe of one strategy file."""
    return universe_of(parse_file(path))


def tickers_in_files(paths: Iterable[str | Path]) -> Universe:
    """The union over several files: a ticker is tradable if it is an asset
    in any file, indicator-only if it is only ever an indicator input."""
    assets: set[str] = set()
    everything: set[str] = set()
    for path in paths:
        universe = tickers_in(path)
        assets.update(universe.assets)
        everything.update(universe.tickers)
    return Universe(tuple(sorted(assets)), tuple(sorted(everything - assets)))
