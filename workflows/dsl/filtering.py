"""``(filter condition [selection] portfolio)`` (section 4.2, ``filter_assets``).

**Asset mode** (the portfolio value is anything but a list of fragments):
every ticker in the value is a candidate (a fragment contributes its tickers,
weights discarded), scored by the condition rewritten for that ticker
(``(rsi {:window 10})`` → ``(rsi "SYM" {:window 10})``); the survivors get
equal weights 1/n.

**Portfolio mode** (a non-empty list whose items, single-element lists
unwrapped, are all fragments): each fragment is scored by the weight-averaged
metric of the tickers it holds *today*; ``max-drawdown`` scores are negated
so that select-top prefers the smallest drawdown. One survivor keeps its
weights; several get an equal share each.

Known limitation, reproduced on purpose (documented in the real
``_score_portfolio``, 2026-01-11): Composer scores a group that contains a
decision tree by the metric of the group's *historical return stream*
(re-running the tree for every day of the window). The real engine at
22594d65a — and therefore this one — scores it by today's selected holdings
only, so filters over such groups can pick differently from Composer.

Other rules kept: ties keep DSL order (stable sort, also with reverse=True for
select-top); candidates whose scoring fails are dropped silently, except when
a ticker has no market data at all (or a window is not positive: the real
``MarketDataError``), which fails the whole strategy; a negative
n keeps every candidate; ``current-price`` is not rewritten per candidate, so
``(filter (current-price) ...)`` drops every candidate.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from workflows.dsl.errors import DslEvaluationError, MarketDataError
from workflows.dsl.indicator_ops import DEFAULT_WINDOWS
from workflows.dsl.nodes import Atom, ListNode, Node, Symbol, to_source
from workflows.dsl.trace import FilterCandidate, FilterDecision
from workflows.dsl.values import (
    ONE,
    ZERO,
    Fragment,
    Weights,
    add_scaled,
    as_decimal,
    as_float,
    collect_symbols,
    portfolio_items,
)

if TYPE_CHECKING:
    from workflows.dsl.evaluator import Evaluator

# Indicators that create_indicator_with_symbol rewrites (22594d65a).
RECOGNIZED_INDICATORS = frozenset(DEFAULT_WINDOWS)

Order = Literal["top", "bottom"]


def with_symbol(condition: Node, symbol: str) -> Node:
    """``create_indicator_with_symbol``: ``(ind {params})`` → ``(ind "SYM" {params})``.

    Only the condition's *second* element is kept as parameters (a condition
    that already names a ticker therefore passes that ticker as "params");
    without one, the indicator's default window is used. Unrecognized forms
    come back unchanged.
    """
    if not isinstance(condition, ListNode) or not condition.children:
        return condition
    head = condition.head
    if head is None or head not in RECOGNIZED_INDICATORS:
        return condition
    if len(condition.children) > 1:
        params = condition.children[1]
    else:
        default = Atom(Decimal(DEFAULT_WINDOWS[head]), condition.line, condition.column)
        params = ListNode(
            (Symbol(":window", condition.line, condition.column), default),
            "map", condition.line, condition.column,
        )
    children = (condition.children[0], Atom(symbol, condition.line, condition.column), params)
    return ListNode(children, "list", condition.line, condition.column)


def op_filter(ev: Evaluator, args: tuple[Node, ...], node: ListNode) -> Fragment:
    if len(args) not in (2, 3):
        raise DslEvaluationError("filter requires 2 or 3 arguments: condition, [selection], portfolio")
    condition = args[0]
    selection = args[1] if len(args) == 3 else None
    portfolio_node = args[-1]
    value = ev.eval(portfolio_node)
    order, limit = _parse_selection(ev, selection)
    record = _Recorder(ev, node, condition, order, limit)
    fragments = portfolio_items(value)
    if fragments is not None:
        labels = _labels(fragments, portfolio_node)
        return _select_portfolios(ev, condition, fragments, labels, order, limit, record)
    return _select_symbols(ev, condition, collect_symbols(value), order, limit, record)


def _parse_selection(ev: Evaluator, selection: Node | None) -> tuple[Order, int | None]:
    if selection is None:
        return "top", None
    order: Order = "top"
    if isinstance(selection, ListNode) and selection.head == "select-bottom":
        order = "bottom"
    value = ev.eval(selection)
    try:
        if isinstance(value, (int, float)):
            return order, int(value)
        return order, int(as_decimal(value))
    except (ValueError, TypeError, OverflowError):
        return order, None


def _score(ev: Evaluator, condition: Node, symbol: str) -> float | None:
    """The condition's value for one ticker, or None when it cannot be scored."""
    try:
        return as_float(ev.eval(with_symbol(condition, symbol)))
    except MarketDataError:
        raise  # missing data fails the whole strategy in the real engine, not just the candidate
    except (DslEvaluationError, ValueError, TypeError):
        return None  # the real filter drops candidates whose scoring raises (reference §4.2 filter)


def _rank(scored: list[tuple[int, float]], order: Order, limit: int | None) -> list[int]:
    """Indices of the survivors, best first; ties keep DSL order."""
    ranked = sorted(scored, key=lambda item: item[1], reverse=order == "top")
    if limit is not None and limit >= 0:
        ranked = ranked[:limit]
    return [index for index, _ in ranked]


def _select_symbols(
    ev: Evaluator, condition: Node, symbols: list[str], order: Order, limit: int | None,
    record: _Recorder,
) -> Fragment:
    scores = [_score(ev, condition, symbol) for symbol in symbols]
    scored = [(i, s) for i, s in enumerate(scores) if s is not None]
    survivors = _rank(scored, order, limit)
    selected = [symbols[i] for i in survivors]
    candidates = [
        FilterCandidate(id=symbol, symbols=[symbol], score=score)
        for symbol, score in zip(symbols, scores, strict=True)
    ]
    record("asset", candidates, selected)
    if not selected:
        return Fragment({})
    share = ONE / Decimal(len(selected))
    # dict.fromkeys as built: a ticker listed twice is one key worth 1/n.
    return Fragment(dict.fromkeys(selected, share))


def _score_portfolio(ev: Evaluator, condition: Node, fragment: Fragment) -> float | None:
    if not fragment.weights:
        return None
    explicit_symbol = isinstance(condition, ListNode) and len(condition.children) >= 3
    head = condition.head if isinstance(condition, ListNode) else None
    invert = head == "max-drawdown" and not explicit_symbol
    weighted_sum, weight_total = ZERO, ZERO
    for symbol, weight in fragment.weights.items():
        score = _score(ev, condition, symbol)
        if score is None:
            continue
        weighted_sum += weight * Decimal(str(-score if invert else score))
        weight_total += weight
    if weight_total > ZERO:
        return float(weighted_sum / weight_total)
    return None


def _select_portfolios(
    ev: Evaluator, condition: Node, fragments: list[Fragment], labels: list[str],
    order: Order, limit: int | None, record: _Recorder,
) -> Fragment:
    scores = [_score_portfolio(ev, condition, fragment) for fragment in fragments]
    scored = [(i, s) for i, s in enumerate(scores) if s is not None]
    survivors = _rank(scored, order, limit)
    candidates = [
        FilterCandidate(id=label, symbols=list(fragment.weights), score=score)
        for label, fragment, score in zip(labels, fragments, scores, strict=True)
    ]
    record("portfolio", candidates, [labels[i] for i in survivors])
    if not survivors:
        return Fragment({})
    if len(survivors) == 1:
        return Fragment(dict(fragments[survivors[0]].weights))
    share = ONE / Decimal(len(survivors))
    merged: Weights = {}
    for index in survivors:
        add_scaled(merged, fragments[index].weights, share)
    return Fragment(merged)


def _labels(fragments: list[Fragment], portfolio_node: Node) -> list[str]:
    """Trace labels: the fragment's group name, else the name of the i-th
    ``(group "name" ...)`` form in the source vector, else ``#i``."""
    children = portfolio_node.children if isinstance(portfolio_node, ListNode) else ()
    labels = []
    for index, fragment in enumerate(fragments):
        label = fragment.group_name
        if label is None and len(children) == len(fragments):
            label = _group_name(children[index])
        labels.append(label if label is not None else f"#{index}")
    return labels


def _group_name(node: Node) -> str | None:
    if isinstance(node, ListNode) and node.head == "group" and len(node.children) > 1:
        name = node.children[1]
        if isinstance(name, Atom) and isinstance(name.value, str):
            return name.value
    return None


class _Recorder:
    """Appends this filter's decision to the evaluator's trace."""

    def __init__(
        self, ev: Evaluator, node: ListNode, condition: Node, order: Order, limit: int | None
    ) -> None:
        self.ev, self.node, self.condition, self.order, self.limit = ev, node, condition, order, limit

    def __call__(
        self, mode: Literal["asset", "portfolio"], candidates: list[FilterCandidate],
        survivors: list[str],
    ) -> None:
        self.ev.trace.append(
            FilterDecision(
                file=self.ev.file, line=self.node.line, column=self.node.column,
                condition=to_source(self.condition), mode=mode, order=self.order,
                limit=self.limit, candidates=candidates, survivors=survivors,
            )
        )


FILTER_OPERATORS = {"filter": op_filter}
