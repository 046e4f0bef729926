"""Evaluate a parsed strategy for one as-of date (section 4.1, ``dsl_evaluator.py``).

Evaluation rules: atoms → their value; bare symbols → their name; a map →
dict (leading ``:`` stripped from keys); a list whose first element is a
symbol → operator dispatch (unknown operator → :class:`DslEvaluationError`);
any other list (e.g. a vector) → Python list of evaluated children; an empty
list or map → ``[]``. The final result (fragment, dict or single ticker) must
be non-empty and is normalized to sum to exactly 1.

All weight arithmetic runs in a local 28-digit Decimal context (the real
engine relies on Python's default context, which is the same 28 digits).
"""

from __future__ import annotations

import decimal
import sys
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from workflows.dsl.cache import IndicatorCache
from workflows.dsl.errors import DslEvaluationError
from workflows.dsl.filtering import FILTER_OPERATORS
from workflows.dsl.indicator_ops import INDICATOR_KINDS, INDICATOR_OPERATORS
from workflows.dsl.nodes import Atom, ListNode, Node, Symbol
from workflows.dsl.operators import STRUCTURAL_OPERATORS
from workflows.dsl.parser import parse_file
from workflows.dsl.trace import IndicatorRead, TraceEntry, trace_to_json
from workflows.dsl.values import ONE, ZERO, Fragment, Weights, normalize_by_scale
from workflows.dsl.window import DEFAULT_POLICY, LiveBarPolicy

OPERATORS = {**STRUCTURAL_OPERATORS, **FILTER_OPERATORS, **INDICATOR_OPERATORS}

DECIMAL_CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)

# The real worker raises the limit to 10000 for deep trees; one DSL level
# costs a few Python frames and files may nest 300 deep.
RECURSION_LIMIT = 10000


class Evaluator:
    """Walks one strategy tree for one as-of date, recording a decision trace."""

    def __init__(
        self,
        cache: IndicatorCache,
        as_of: date,
        policy: LiveBarPolicy = DEFAULT_POLICY,
        file: str = "<string>",
    ) -> None:
        self.cache = cache
        self.as_of = as_of
        self.policy = policy
        self.file = file
        self.trace: list[TraceEntry] = []
        self._reads: list[list[IndicatorRead]] = []

    def eval(self, node: Node) -> object:
        if isinstance(node, Atom):
            return node.value
        if isinstance(node, Symbol):
            return node.name
        if not node.children:
            return []
        if node.kind == "map":
            return self._eval_map(node)
        head = node.head
        if head is not None:
            return self._call(head, node)
        return [self.eval(child) for child in node.children]

    def _call(self, head: str, node: ListNode) -> object:
        try:
            operator = OPERATORS.get(head)
            if operator is None:
                raise DslEvaluationError(f"unknown operator '{head}'")
            return operator(self, node.children[1:], node)
        except DslEvaluationError as error:
            error.locate(head, self.file, node.line, node.column)
            raise

    def _eval_map(self, node: ListNode) -> dict[str, object]:
        if len(node.children) % 2:
            raise DslEvaluationError(
                "map literal needs key/value pairs", "{...}", self.file, node.line, node.column
            )
        result: dict[str, object] = {}
        for key_node, value_node in zip(node.children[::2], node.children[1::2], strict=True):
            key = key_node.name if isinstance(key_node, Symbol) else str(self.eval(key_node))
            value = self.eval(value_node)
            if not isinstance(value, (str, int, float, Decimal)):
                value = str(value)
            result[key[1:] if key.startswith(":") else key] = value
        return result

    def eval_recording_reads(self, node: Node) -> tuple[object, list[IndicatorRead]]:
        """Evaluate ``node`` and return the indicator values it read."""
        reads: list[IndicatorRead] = []
        self._reads.append(reads)
        try:
            return self.eval(node), reads
        finally:
            self._reads.pop()

    def indicator(self, name: str, symbol: str, window: int | None) -> float:
        """Value of DSL indicator ``name`` for ``symbol`` on this run's date."""
        kind = INDICATOR_KINDS[name]
        ticker = symbol.strip().upper()
        if not ticker.replace(".", "").replace("-", "").replace("/", "").replace(":", "").isalnum():
            raise DslEvaluationError(f"Invalid symbol format: {symbol}")
        value = self.cache.value(ticker, kind, window or 0, self.as_of, self.policy)
        if self._reads:
            self._reads[-1].append(
                IndicatorRead(indicator=name, symbol=ticker, window=window, value=value)
            )
        return value


@dataclass(frozen=True)
class StrategyResult:
    """Normalized target weights of one strategy on one date, plus its trace."""

    file: str
    as_of: date
    weights: Weights  # sorted by ticker; sums to exactly Decimal 1
    trace: list[TraceEntry] = field(default_factory=list)

    @property
    def signal_count(self) -> int:
        """How many tickers the worker would publish (weights > 0)."""
        return sum(1 for weight in self.weights.values() if weight > ZERO)

    def scaled(self, allocation: Decimal | str | float) -> Weights:
        """Weights × the file's allocation, zeros dropped (worker step 3)."""
        factor = Decimal(str(allocation))
        with decimal.localcontext(DECIMAL_CONTEXT):
            scaled = {s: w * factor for s, w in self.weights.items()}
        return {s: w for s, w in scaled.items() if w > ZERO}

    def trace_json(self) -> list[dict]:
        return trace_to_json(self.trace)


def evaluate(
    tree: Node,
    cache: IndicatorCache,
    as_of: date,
    policy: LiveBarPolicy = DEFAULT_POLICY,
    file: str = "<string>",
    evaluator: Evaluator | None = None,
) -> StrategyResult:
    """Evaluate a parsed strategy. Pass ``evaluator`` to keep its partial
    trace when evaluation fails (coverage does)."""
    ev = evaluator or Evaluator(cache, as_of, policy, file)
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)
    with decimal.localcontext(DECIMAL_CONTEXT):
        result = ev.eval(tree)
        weights = final_weights(result)
    return StrategyResult(file, as_of, weights, ev.trace)


def evaluate_file(
    path: str | Path,
    cache: IndicatorCache,
    as_of: date,
    policy: LiveBarPolicy = DEFAULT_POLICY,
) -> StrategyResult:
    return evaluate(parse_file(path), cache, as_of, policy, str(path))


def final_weights(result: object) -> Weights:
    """Top-level result → weights sorted by ticker, summing to exactly 1."""
    if isinstance(result, Fragment):
        if not result.weights:
            raise DslEvaluationError(
                "DSL evaluation produced empty PortfolioFragment; every branch must allocate"
            )
        weights = normalize_by_scale(result.weights)
    elif isinstance(result, dict) and result:
        # The real engine takes a top-level map as weights unnormalized; we
        # normalize it like a fragment so the sum rule holds for every result.
        weights = normalize_by_scale({str(k): _map_weight(v) for k, v in result.items()})
    elif isinstance(result, str):
        weights = {result: Decimal("1.0")}
    elif isinstance(result, dict):
        raise DslEvaluationError("DSL evaluation produced empty weights dictionary")
    else:
        raise DslEvaluationError(
            f"Evaluation produced invalid type for allocation: {type(result).__name__}. "
            "Expected a weighted portfolio, a map or a single asset."
        )
    return exact_unit_sum(dict(sorted(weights.items())))


def _map_weight(value: object) -> Decimal:
    try:
        return Decimal(str(value))
    except decimal.InvalidOperation as error:
        raise DslEvaluationError(f"map weight {value!r} is not a number") from error


def exact_unit_sum(weights: Weights) -> Weights:
    """Make ``sum(weights.values()) == 1`` exactly.

    Scaling by 1/sum leaves a residue of a few units in the 28th digit (three
    thirds sum to 0.9999999999999999999999999999). The largest weight (the
    first one on ties) absorbs it; every other weight is the real engine's.
    """
    total = sum(weights.values(), ZERO)
    if total <= ZERO:
        raise DslEvaluationError(f"allocation weights sum to {total}, not a positive number")
    for _ in range(8):
        total = sum(weights.values(), ZERO)
        if total == ONE:
            return weights
        largest = max(weights, key=weights.__getitem__)
        weights[largest] += ONE - total
    raise DslEvaluationError(f"could not make weights sum to exactly 1 (sum {total})")
