"""The real system's portfolio schemas (reference §2.5): Decimal weights, strings on the wire.

* ``ConsolidatedPortfolio`` (``shared/schemas/consolidated_portfolio.py``): what a
  worker publishes as a partial (``is_partial=True``: no sum checks) and what the
  aggregator publishes merged (non-partial: total in [0.99, 1.01], each symbol's
  contributions sum to its target within 0.01, strategy_count ==
  len(source_strategies)).
* ``StrategyAllocation`` (``shared/schemas/strategy_allocation.py``): one
  strategy's normalized weights (non-empty, each in [0, 1], sum in [0.99, 1.01]).

``to_json_dict`` is ``model_dump(mode="json")``: Decimals become strings
(e.g. "0.0375"), datetimes ISO text, exactly as the real publisher sends them.
``from_json_dict`` reads such a dict back with Decimal weights.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ALLOCATION_TOLERANCE = Decimal("0.01")
SCHEMA_VERSION = "1.0.0"
ZERO, ONE = Decimal(0), Decimal(1)


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{what}: {value!r} is not a number")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"{what}: {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{what}: {value!r} is not a finite number")
    return number


def unit_weights(weights: dict[Any, Any], *, upper: bool, what: str) -> dict[str, Decimal]:
    """Symbols (stripped, optionally upper-cased; duplicates rejected) -> Decimal weights in [0, 1]."""
    out: dict[str, Decimal] = {}
    for raw_symbol, raw_weight in weights.items():
        symbol = str(raw_symbol).strip()
        symbol = symbol.upper() if upper else symbol
        if not symbol:
            raise ValueError(f"{what}: empty symbol")
        if symbol in out:
            raise ValueError(f"{what}: duplicate symbol {symbol}")
        weight = _decimal(raw_weight, f"{what}[{symbol}]")
        if not ZERO <= weight <= ONE:
            raise ValueError(f"{what}[{symbol}]: weight {weight} is outside [0, 1]")
        out[symbol] = weight
    return out


def check_total(weights: dict[str, Decimal], what: str, tolerance: Decimal = ALLOCATION_TOLERANCE) -> Decimal:
    total = sum(weights.values(), ZERO)
    if not ONE - tolerance <= total <= ONE + tolerance:
        raise ValueError(f"{what} sum to {total}, outside [{ONE - tolerance}, {ONE + tolerance}]")
    return total


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class ConsolidatedPortfolio(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    target_allocations: dict[str, Decimal]
    strategy_contributions: dict[str, dict[str, Decimal]] = Field(default_factory=dict)
    correlation_id: str = Field(min_length=1, max_length=100)
    timestamp: datetime
    strategy_count: int = Field(ge=1)
    source_strategies: list[str] = Field(default_factory=list)
    schema_version: str = SCHEMA_VERSION
    constraints: dict[str, Any] | None = None
    is_partial: bool = False

    @field_validator("target_allocations", mode="before")
    @classmethod
    def _targets(cls, value: Any) -> dict[str, Decimal]:
        if not isinstance(value, dict) or not value:
            raise ValueError("target_allocations must be a non-empty mapping of symbol to weight")
        return unit_weights(value, upper=True, what="target_allocations")

    @field_validator("strategy_contributions", mode="before")
    @classmethod
    def _contributions(cls, value: Any) -> dict[str, dict[str, Decimal]]:
        if not isinstance(value, dict):
            raise ValueError("strategy_contributions must be a mapping of strategy to weights")
        return {str(k): unit_weights(v, upper=True, what=f"strategy_contributions[{k}]") for k, v in value.items()}

    @field_validator("timestamp")
    @classmethod
    def _tz(cls, value: datetime) -> datetime:
        return _aware(value)

    @model_validator(mode="after")
    def _consistent(self) -> "ConsolidatedPortfolio":
        if self.is_partial:  # a worker's slice: its weights sum to the file's allocation, not to 1
            return self
        check_total(self.target_allocations, "target_allocations")
        if self.strategy_count != len(self.source_strategies):
            raise ValueError(f"strategy_count {self.strategy_count} != {len(self.source_strategies)} source strategies")
        if self.strategy_contributions:
            for symbol, target in self.target_allocations.items():
                contributed = sum((c.get(symbol, ZERO) for c in self.strategy_contributions.values()), ZERO)
                if abs(contributed - target) > ALLOCATION_TOLERANCE:
                    raise ValueError(f"{symbol}: contributions sum to {contributed}, target is {target}")
        return self

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> "ConsolidatedPortfolio":
        """Weights arrive as decimal strings; the validators turn them back into Decimals."""
        return cls.model_validate(data)


class StrategyAllocation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    target_weights: dict[str, Decimal]
    portfolio_value: Decimal | None = Field(default=None, ge=0)
    correlation_id: str = Field(min_length=1, max_length=100)
    as_of: datetime | None = None
    constraints: dict[str, Any] | None = None

    @field_validator("target_weights", mode="before")
    @classmethod
    def _weights(cls, value: Any) -> dict[str, Decimal]:
        if not isinstance(value, dict) or not value:
            raise ValueError("target_weights must be a non-empty mapping of symbol to weight")
        weights = unit_weights(value, upper=False, what="target_weights")
        check_total(weights, "target_weights")
        return weights

    @field_validator("as_of")
    @classmethod
    def _tz(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _aware(value)
