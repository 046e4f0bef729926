"""Structural operators: control flow, comparisons, selection, weighting.

Each follows section 4.2 (``operators/*.py@22594d65a``) exactly; ``filter``
lives in :mod:`workflows.dsl.filtering` and the indicators in
:mod:`workflows.dsl.indicator_ops`. An operator receives the evaluator, its
unevaluated argument nodes and its own node, and evaluates what it needs
(``if`` evaluates only the chosen branch).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from workflows.dsl.errors import DslEvaluationError
from workflows.dsl.nodes import ListNode, Node, to_source
from workflows.dsl.trace import IfDecision
from workflows.dsl.values import (
    ONE,
    ZERO,
    Fragment,
    Weights,
    add_scaled,
    as_decimal,
    collect_symbols,
    flatten_children,
    unit_weights,
    unwrap_single,
)

if TYPE_CHECKING:
    from workflows.dsl.evaluator import Evaluator

Args = tuple[Node, ...]

# (1/vol)^0.25: the exponent 22594d65a used to match Composer's weights.
DAMPENING_EXPONENT = Decimal("0.25")


# ---------- control flow ----------


def op_defsymphony(ev: Evaluator, args: Args, node: ListNode) -> object:
    """Needs ≥ 3 args; the name and config map are ignored, only the body runs."""
    if len(args) < 3:
        raise DslEvaluationError("defsymphony requires at least 3 arguments")
    return ev.eval(args[2])


def op_if(ev: Evaluator, args: Args, node: ListNode) -> object:
    """Python truthiness of the condition; only the chosen branch is evaluated.

    A false condition without an else branch is an error (the real engine
    refuses to treat it as "hold"). The decision is traced before the branch
    runs, so the trace reads parent-first.
    """
    if len(args) < 2:
        raise DslEvaluationError("if requires at least 2 arguments")
    condition, then_branch = args[0], args[1]
    else_branch = args[2] if len(args) > 2 else None
    result, reads = ev.eval_recording_reads(condition)
    taken = bool(result)
    if not taken and else_branch is None:
        raise DslEvaluationError(
            "if-condition evaluated to false but no else branch provided. DSL strategies "
            "must always produce an allocation - add an else clause to handle the false case."
        )
    ev.trace.append(
        IfDecision(
            file=ev.file, line=node.line, column=node.column,
            condition=to_source(condition), reads=reads, result=taken,
            branch="then" if taken else "else",
        )
    )
    return ev.eval(then_branch if taken else else_branch)


# ---------- comparisons ----------


def _binary(symbol: str, compare):
    def operator(ev: Evaluator, args: Args, node: ListNode) -> bool:
        if len(args) != 2:
            raise DslEvaluationError(f"{symbol} requires exactly 2 arguments")
        left = as_decimal(ev.eval(args[0]))
        right = as_decimal(ev.eval(args[1]))
        return compare(left, right)

    return operator


def _numeric(value: object) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    return None


def op_equal(ev: Evaluator, args: Args, node: ListNode) -> bool:
    """Numbers compare as Decimal, strings as strings, anything mixed is False."""
    if len(args) != 2:
        raise DslEvaluationError("= requires exactly 2 arguments")
    left, right = ev.eval(args[0]), ev.eval(args[1])
    left_num, right_num = _numeric(left), _numeric(right)
    if left_num is not None and right_num is not None:
        return left_num == right_num
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    return False


# ---------- selection ----------


def _selector(name: str):
    def operator(ev: Evaluator, args: Args, node: ListNode) -> int:
        """``int(n)``, truncated; negative values are allowed (the real engine logs them)."""
        if not args:
            raise DslEvaluationError(f"{name} requires 1 argument")
        return int(as_decimal(ev.eval(args[0])))

    return operator


# ---------- assets and groups ----------


def op_asset(ev: Evaluator, args: Args, node: ListNode) -> str:
    """``(asset SYM [name])`` → the ticker string; the name is ignored."""
    if not args:
        raise DslEvaluationError("asset requires at least 1 argument")
    symbol = ev.eval(args[0])
    if not isinstance(symbol, str):
        raise DslEvaluationError(f"Asset symbol must be string, got {type(symbol).__name__}")
    return symbol


def op_group(ev: Evaluator, args: Args, node: ListNode) -> object:
    """Evaluates its body in order and returns the last result unchanged.

    No weighting. The name is attached only when the result is itself a
    fragment; a vector body (the usual ``(group "x" [(weight-equal ...)])``)
    returns a list and carries no name (22594d65a; HEAD later unwraps it).
    """
    if len(args) < 2:
        raise DslEvaluationError("group requires at least 2 arguments")
    name = ev.eval(args[0])
    last: object = None
    for expr in args[1:]:
        last = ev.eval(expr)
    if isinstance(last, Fragment):
        return Fragment(last.weights, group_name=name if isinstance(name, str) else str(name))
    return last


# ---------- weighting ----------


def op_weight_equal(ev: Evaluator, args: Args, node: ListNode) -> Fragment:
    """Equal share per child; lists are flattened into separate children,
    fragments are atomic (internal weights kept), empty children skipped."""
    if not args:
        raise DslEvaluationError("weight-equal requires at least one asset argument")
    children: list[Weights] = []
    for arg in args:
        for child in flatten_children(ev.eval(arg)):
            if not child:
                continue
            total = sum(child.values(), ZERO)
            if total > ZERO:
                child = {symbol: weight / total for symbol, weight in child.items()}
            children.append(child)
    if not children:
        raise DslEvaluationError("weight-equal received no assets after evaluation")
    share = ONE / Decimal(len(children))
    merged: Weights = {}
    for child in children:
        add_scaled(merged, child, share)
    return Fragment(merged)


def _as_weight(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    return as_decimal(value)


def op_weight_specified(ev: Evaluator, args: Args, node: ListNode) -> Fragment:
    """``w1 a1 w2 a2 ...``: each operand normalized as a unit, scaled by its
    weight, summed; **not** renormalized here."""
    if len(args) < 2 or len(args) % 2:
        raise DslEvaluationError("weight-specified requires pairs of weight and asset arguments")
    merged: Weights = {}
    for index in range(0, len(args), 2):
        weight = _as_weight(ev.eval(args[index]))
        value = ev.eval(args[index + 1])
        unit = unit_weights(value)
        if not unit:
            raise DslEvaluationError(
                f"Expected asset symbol or fragment, got {type(value).__name__}"
            )
        add_scaled(merged, unit, weight)
    return Fragment(merged)


def op_weight_inverse_volatility(ev: Evaluator, args: Args, node: ListNode) -> Fragment:
    """Weights ∝ (1 / stdev-return(window))^0.25.

    Grouped mode when every argument (single-element lists unwrapped) is a
    fragment: each group's vol is the weight-averaged vol of its holdings and
    its internal weights are kept. Flat mode otherwise, per ticker. Tickers
    whose vol is ≤ 0 (e.g. too little data → 0) are dropped; no valid vol →
    error. In flat mode a repeated ticker counts twice in the total (as built).
    """
    if not args:
        raise DslEvaluationError("weight-inverse-volatility requires window and assets")
    window_value = ev.eval(args[0])
    if isinstance(window_value, (int, float)) and not isinstance(window_value, bool):
        window = int(window_value)
    else:
        window = int(float(as_decimal(window_value)))
    values = [ev.eval(arg) for arg in args[1:]]
    groups = _grouped_fragments(values)
    if groups:
        weights = _inverse_vol_grouped(ev, groups, window)
        if not weights:
            raise DslEvaluationError(
                f"weight-inverse-volatility could not compute valid weights for {len(groups)} groups"
            )
        return Fragment(weights)
    symbols = [symbol for value in values for symbol in collect_symbols(value)]
    if not symbols:
        raise DslEvaluationError("weight-inverse-volatility received no assets")
    weights = _inverse_vol_flat(ev, symbols, window)
    if not weights:
        raise DslEvaluationError(
            f"weight-inverse-volatility could not compute valid weights for assets: {symbols}"
        )
    return Fragment(weights)


def _grouped_fragments(values: list[object]) -> list[Fragment]:
    fragments: list[Fragment] = []
    for value in values:
        value = unwrap_single(value)
        if isinstance(value, Fragment):
            fragments.append(value)
        elif isinstance(value, list):
            for item in value:
                item = unwrap_single(item)
                if not isinstance(item, Fragment):
                    return []
                fragments.append(item)
        else:
            return []
    return fragments


def _volatility(ev: Evaluator, symbol: str, window: int) -> float | None:
    vol = ev.indicator("stdev-return", symbol, window)
    return vol if vol > 0 else None


def _damped_inverse(vol: float) -> Decimal:
    return (ONE / Decimal(str(vol))) ** DAMPENING_EXPONENT


def _inverse_vol_grouped(ev: Evaluator, groups: list[Fragment], window: int) -> Weights:
    scored: list[tuple[Fragment, Decimal]] = []
    total = ZERO
    for group in groups:
        weighted_sum, weight_total = ZERO, ZERO
        for symbol, weight in group.weights.items():
            vol = _volatility(ev, symbol, window)
            if vol is not None:
                weighted_sum += weight * Decimal(str(vol))
                weight_total += weight
        if weight_total <= ZERO:
            continue
        group_vol = float(weighted_sum / weight_total)
        if group_vol > 0:
            inverse = _damped_inverse(group_vol)
            scored.append((group, inverse))
            total += inverse
    if not scored or total < Decimal("1e-10"):
        return {}
    merged: Weights = {}
    for group, inverse in scored:
        add_scaled(merged, group.weights, inverse / total)
    return merged


def _inverse_vol_flat(ev: Evaluator, symbols: list[str], window: int) -> Weights:
    inverses: Weights = {}
    total = ZERO
    for symbol in symbols:
        vol = _volatility(ev, symbol, window)
        if vol is not None:
            inverses[symbol] = _damped_inverse(vol)
            total += inverses[symbol]
    if not inverses or total < Decimal("1e-10"):
        return {}
    return {symbol: inverse / total for symbol, inverse in inverses.items()}


STRUCTURAL_OPERATORS = {
    "defsymphony": op_defsymphony,
    "if": op_if,
    ">": _binary(">", lambda a, b: a > b),
    "<": _binary("<", lambda a, b: a < b),
    ">=": _binary(">=", lambda a, b: a >= b),
    "<=": _binary("<=", lambda a, b: a <= b),
    "=": op_equal,
    "select-top": _selector("select-top"),
    "select-bottom": _selector("select-bottom"),
    "asset": op_asset,
    "group": op_group,
    "weight-equal": op_weight_equal,
    "weight-specified": op_weight_specified,
    "weight-inverse-volatility": op_weight_inverse_volatility,
}
