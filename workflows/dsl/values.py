"""Runtime values of the DSL and the weight arithmetic shared by operators.

A value is one of: ``Decimal`` (numbers), ``str`` (strings, symbols, asset
tickers), ``bool`` (comparisons), ``float`` (indicator results), ``dict``
(maps), ``list`` (vectors and other non-call lists) or :class:`Fragment`
(a weighted portfolio, the real ``PortfolioFragment``).

All weight arithmetic is ``Decimal`` in a 28-digit context with no rounding
to fixed places (the evaluator installs the context). Dicts keep insertion
order, so results never depend on hashing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

ONE = Decimal("1")
ZERO = Decimal("0")

Weights = dict[str, Decimal]


@dataclass(frozen=True)
class Fragment:
    """A weighted portfolio. ``group_name`` is set by ``group`` (metadata only)."""

    weights: Weights = field(default_factory=dict)
    group_name: str | None = None

    def normalized(self) -> Weights:
        """``PortfolioFragment.normalize_weights``: scale by ``1 / sum``.

        The real code multiplies by ``total_weight / sum`` (total_weight = 1)
        rather than dividing each weight; the last digit can differ, so we do
        the same. A zero sum returns the weights unchanged.
        """
        return normalize_by_scale(self.weights)


def normalize_by_scale(weights: Weights) -> Weights:
    if not weights:
        return dict(weights)
    total = sum(weights.values(), ZERO)
    if total == ZERO:
        return dict(weights)
    scale = ONE / total
    return {symbol: weight * scale for symbol, weight in weights.items()}


def as_decimal(value: object) -> Decimal:
    """``DslContext.as_decimal``: Decimal as is; bool → 1/0; numbers and
    numeric strings parsed; anything else → 0."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return ONE if value else ZERO
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return ZERO
    return ZERO


def as_float(value: object) -> float:
    """How filter scores become floats: numbers directly, else via as_decimal."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return float(as_decimal(value))


def unwrap_single(value: object) -> object:
    """Strip ``[x]`` wrappers (a vector around one form is a syntax artefact)."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def flatten_children(value: object) -> list[Weights]:
    """``_flatten_to_weight_dicts``: the children ``weight-equal`` sees.

    A fragment or a ticker is one child; a list contributes each of its items
    as a separate child, nested lists flattened recursively (so ``[[x]]`` is one
    child and a vector branch with two assets is two). Other values are ignored.
    """
    if isinstance(value, Fragment):
        return [value.normalized()]
    if isinstance(value, str):
        return [{value: Decimal("1.0")}]
    if not isinstance(value, list):
        return []
    children: list[Weights] = []
    for item in value:
        if isinstance(item, Fragment):
            children.append(item.normalized())
        elif isinstance(item, str):
            children.append({item: Decimal("1.0")})
        elif isinstance(item, list):
            children.extend(flatten_children(item))
    return children


def unit_weights(value: object) -> Weights:
    """``_normalize_fragment_weights``: one ``weight-specified`` operand as a unit.

    A ticker → weight 1; a fragment → its normalized weights; a list → each
    item (single-element lists unwrapped; nested lists recursively, kept as one
    item) gets an equal share 1/k. Other values are ignored.
    """
    if isinstance(value, str):
        return {value: Decimal("1.0")}
    if isinstance(value, Fragment):
        return value.normalized()
    if not isinstance(value, list):
        return {}
    items: list[Weights] = []
    for item in value:
        item = unwrap_single(item)
        if isinstance(item, Fragment):
            items.append(item.normalized())  # kept even when empty, as the real code does
        elif isinstance(item, str):
            items.append({item: Decimal("1.0")})
        elif isinstance(item, list):
            nested = unit_weights(item)
            if nested:
                items.append(nested)
    if not items:
        return {}
    share = ONE / Decimal(len(items))
    merged: Weights = {}
    for weights in items:
        for symbol, weight in weights.items():
            merged[symbol] = merged.get(symbol, ZERO) + weight * share
    return merged


def collect_symbols(value: object) -> list[str]:
    """``collect_assets_from_value``: every ticker in a value, in order, with
    repeats (a fragment contributes its keys, weights discarded)."""
    if isinstance(value, Fragment):
        return list(value.weights)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [symbol for item in value for symbol in collect_symbols(item)]
    return []


def portfolio_items(value: object) -> list[Fragment] | None:
    """The fragments of a portfolio-mode ``filter`` operand, or None.

    Portfolio mode: a non-empty list whose items are all fragments after
    unwrapping single-element lists (``(group ...)`` returns ``[fragment]``).
    """
    if not isinstance(value, list) or not value:
        return None
    items = [unwrap_single(item) for item in value]
    if all(isinstance(item, Fragment) for item in items):
        return items  # type: ignore[return-value]
    return None


def add_scaled(target: Weights, weights: Weights, factor: Decimal) -> None:
    """target[s] += w × factor for each symbol, in order."""
    for symbol, weight in weights.items():
        target[symbol] = target.get(symbol, ZERO) + weight * factor


def decimal_str(value: Decimal) -> str:
    """Plain notation, no exponent, no trailing zeros (0.50 → "0.5")."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text
