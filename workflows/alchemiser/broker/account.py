"""The account: cash, long positions and the ledger of fills they came from.

Cash moves by the fill's notional rounded to the cent (no fees: Alpaca charges
no commission on US equities; regulatory fees are not modelled). A position's
cost basis grows by what buys paid and shrinks pro rata on sells. Equity at any
instant is replayed from the ledger, so portfolio history needs no timers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from workflows.alchemiser.broker.config import BrokerConfig
from workflows.alchemiser.broker.market import Market

QTY_DP = 9  # Alpaca accepts up to 9 decimal places of quantity


@dataclass(frozen=True)
class Fill:
    t: datetime
    symbol: str
    qty: float  # signed: + bought, - sold
    price: float
    order_id: str

    @property
    def cash(self) -> float:
        """What the fill did to cash."""
        return round(abs(self.qty) * self.price, 2) * (-1 if self.qty > 0 else 1)


@dataclass
class Position:
    qty: float
    cost_basis: float

    @property
    def avg_entry_price(self) -> float:
        return self.cost_basis / self.qty if self.qty else 0.0


class Account:
    def __init__(self, config: BrokerConfig) -> None:
        self.starting_cash = config.starting_cash
        self.cash = config.starting_cash
        self.opened_on: date | None = config.opened_on
        self.initial = {s: h.qty for s, h in sorted(config.positions.items())}
        self.positions: dict[str, Position] = {
            s: Position(h.qty, round(h.qty * h.avg_entry_price, 2)) for s, h in sorted(config.positions.items())}
        self.fills: list[Fill] = []

    def open_on(self, day: date) -> None:
        """The first day served, unless the config named the opening day."""
        if self.opened_on is None:
            self.opened_on = day

    def apply(self, fill: Fill) -> None:
        self.cash = round(self.cash + fill.cash, 2)
        pos = self.positions.get(fill.symbol)
        if fill.qty > 0:
            pos = pos or self.positions.setdefault(fill.symbol, Position(0.0, 0.0))
            pos.qty = round(pos.qty + fill.qty, QTY_DP)
            pos.cost_basis = round(pos.cost_basis - fill.cash, 2)
        else:
            share = -fill.qty / pos.qty
            pos.cost_basis = round(pos.cost_basis * (1 - share), 2)
            pos.qty = round(pos.qty + fill.qty, QTY_DP)
            if pos.qty <= 0:
                del self.positions[fill.symbol]
        self.fills.append(fill)

    # -- valuation -----------------------------------------------------------------------
    def long_market_value(self, market: Market, t: datetime) -> float:
        return round(sum(qty * price_or(market, s, t, pos.avg_entry_price)
                         for s, pos in self.positions.items() for qty in [pos.qty]), 2)

    def equity(self, market: Market, t: datetime) -> float:
        return round(self.cash + self.long_market_value(market, t), 2)

    def equity_series(self, market: Market, instants: list[datetime]) -> list[float]:
        """Equity at each instant (ascending), replaying the ledger once."""
        cash, held, out, i = self.starting_cash, dict(self.initial), [], 0
        for t in instants:
            while i < len(self.fills) and self.fills[i].t <= t:
                f = self.fills[i]
                cash = round(cash + f.cash, 2)
                held[f.symbol] = round(held.get(f.symbol, 0.0) + f.qty, QTY_DP)
                i += 1
            value = sum(q * price_or(market, s, t, 0.0) for s, q in held.items() if q > 0)
            out.append(round(cash + value, 2))
        return out


def price_or(market: Market, symbol: str, t: datetime, fallback: float) -> float:
    price = market.price(symbol, t)
    return fallback if price is None else price
