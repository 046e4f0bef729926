"""BrokerConfig: what the simulated Alpaca broker is told (a small pydantic model).

Defaults describe a fresh paper account: $100,000 cash, no positions, a cash
(1x) account, every asset fractionable, Alpaca's 200 requests/minute limit on
each API. See README.md for what each knob models and why it has its default.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Holding(_Model):
    """A position the account starts with."""

    qty: float = Field(gt=0)
    avg_entry_price: float = Field(gt=0)


class OrderRule(_Model):
    """Which submitted orders a rule applies to: every field given must match."""

    symbol: str | None = None
    side: Literal["buy", "sell"] | None = None
    type: Literal["market", "limit"] | None = None
    nth: list[int] | None = None  # 1-based: only these occurrences among the orders that match

    @field_validator("nth", mode="before")
    @classmethod
    def _nth(cls, v):
        return [v] if isinstance(v, int) else v

    def matches(self, symbol: str, side: str, order_type: str) -> bool:
        return ((self.symbol is None or self.symbol == symbol) and (self.side is None or self.side == side)
                and (self.type is None or self.type == order_type))


class Rejection(OrderRule):
    """Reject matching orders.

    ``how="status"``: the order is created with status ``rejected`` (as when Alpaca
    rejects after accepting). ``how="http"``: POST /v2/orders answers 403
    ``{"code": 40310000, "message": ...}`` and no order exists.
    """

    how: Literal["status", "http"] = "status"
    message: str = "order rejected by the simulated broker"


class PartialFill(OrderRule):
    """Matching orders execute only ``fraction`` of their quantity (whole shares for
    non-fractionable assets, at least one); the rest stays open as
    ``partially_filled`` and never executes, until it is cancelled or the day ends."""

    fraction: float = Field(0.5, gt=0.0, lt=1.0)


class BrokerConfig(_Model):
    seed: int = 0  # the quote model's seed (spreads, jitter, intraday path)
    starting_cash: float = Field(100_000.0, ge=0)
    positions: dict[str, Holding] = Field(default_factory=dict)  # held when the account opens
    opened_on: date | None = None  # first day of portfolio history (default: the first day served)
    multiplier: Literal[1, 2, 4] = 1  # 1: cash account (buying power = cash); 2/4: margin
    non_fractionable: list[str] = Field(default_factory=list)  # every other asset is fractionable
    exchange: str = "ARCA"  # the listing exchange every asset reports
    spread_bps: float = Field(5.0, gt=0)  # median quoted spread, in basis points of the mark
    spread_bps_by_symbol: dict[str, float] = Field(default_factory=dict)
    jitter_bps: float = Field(2.0, ge=0)  # per-quote noise of the mark (std dev, bps)
    quote_interval_s: float = Field(1.0, gt=0)  # a quote holds this long; limit orders are checked per quote
    execution_delay_s: float = Field(0.05, ge=0)  # from acceptance until an order can execute
    closed_market: Literal["queue", "reject"] = "queue"  # day orders submitted while closed
    trading_requests_per_minute: int = Field(200, ge=1)  # per API key, paper-api / api
    data_requests_per_minute: int = Field(200, ge=1)  # per API key, data API (Basic plan)
    api_keys: dict[str, str] = Field(default_factory=dict)  # key id -> secret; empty: any pair works
    account_number: str = "PA3SIMULATED"
    rejections: list[Rejection] = Field(default_factory=list)
    partial_fills: list[PartialFill] = Field(default_factory=list)

    def spread_for(self, symbol: str) -> float:
        return self.spread_bps_by_symbol.get(symbol, self.spread_bps)

    def fractionable(self, symbol: str) -> bool:
        return symbol not in self.non_fractionable
