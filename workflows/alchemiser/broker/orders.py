"""Orders: acceptance checks, the lifecycle, and execution against the quote model.

Lifecycle (Alpaca's statuses):
* accepted as ``new`` while the market is open, ``accepted`` while it is closed
  (a day order submitted after the close is queued for the next session, as
  Alpaca does; ``closed_market="reject"`` refuses it instead);
* an order can execute from ``submitted_at + execution_delay_s`` (queued orders:
  from the session open); it is checked at that instant and at every quote
  bucket after it, in session time only, whoever polls and whenever;
* a market order executes at the first such instant, buys at the ask, sells at
  the bid; a limit order executes at the first instant its quote is marketable
  (buy: ask <= limit, sell: bid >= limit), at that quote (price improvement
  included);
* ``filled`` at once in full, unless a PartialFill rule applies
  (``partially_filled``, the rest never executes);
* a day order still open at its session's close is ``expired`` (expired_at = the
  close); ``canceled`` on DELETE; ``rejected`` by a Rejection rule.
Executions are found lazily: every trading request first catches the book up to
its own instant, and fills are applied to the account in time order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from workflows.alchemiser.broker.account import QTY_DP, Account, Fill
from workflows.alchemiser.broker.config import BrokerConfig, OrderRule
from workflows.alchemiser.broker.market import Market, current_or_next, session_at
from workflows.alchemiser.broker.wire import (UNPROCESSABLE, forbidden, not_found, num, qty as fmt_qty, stable_uuid,
                                              unprocessable)

OPEN = ("new", "accepted", "partially_filled")


@dataclass
class Ticket:
    """A validated order request."""

    symbol: str
    side: str  # buy | sell
    type: str  # market | limit
    time_in_force: str  # day | gtc
    qty: float | None = None
    notional: float | None = None
    limit_price: float | None = None
    client_order_id: str | None = None


@dataclass
class Order:
    seq: int
    id: str
    client_order_id: str
    asset_id: str
    symbol: str
    side: str
    type: str
    time_in_force: str
    qty: float | None
    notional: float | None
    limit_price: float | None
    status: str
    created_at: datetime
    eligible_at: datetime
    expires_at: datetime | None
    reserve_price: float  # the price buying power and held quantity are reckoned at
    partial: float | None = None
    updated_at: datetime | None = None
    filled_qty: float = 0.0
    filled_value: float = 0.0
    filled_at: datetime | None = None
    expired_at: datetime | None = None
    canceled_at: datetime | None = None
    failed_at: datetime | None = None
    checked_until: datetime | None = None
    halted: bool = False  # a partial fill's rest: never executes
    fills: list[Fill] = field(default_factory=list)

    @property
    def submitted_at(self) -> datetime:
        return self.created_at

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def filled_avg_price(self) -> float | None:
        return self.filled_value / self.filled_qty if self.filled_qty else None

    def remaining_qty(self) -> float:
        """Shares still to execute (a notional order: at its reserve price)."""
        if self.qty is not None:
            return max(self.qty - self.filled_qty, 0.0)
        return 0.0 if self.filled_qty else self.notional / self.reserve_price

    def remaining_cost(self) -> float:
        if self.notional is not None:
            return 0.0 if self.filled_qty else self.notional
        return self.remaining_qty() * self.reserve_price


class OrderBook:
    def __init__(self, config: BrokerConfig, market: Market, account: Account) -> None:
        self.config, self.market, self.account = config, market, account
        self.orders: dict[str, Order] = {}
        self.by_client_id: dict[str, str] = {}
        self._rule_seen: dict[str, int] = {}

    # -- questions -------------------------------------------------------------------------
    def open_orders(self) -> list[Order]:
        return [o for o in self.orders.values() if o.is_open]

    def held_for_sells(self, symbol: str) -> float:
        return round(sum(o.remaining_qty() for o in self.open_orders() if o.symbol == symbol and o.side == "sell"),
                     QTY_DP)

    def reserved_for_buys(self) -> float:
        return sum(o.remaining_cost() for o in self.open_orders() if o.side == "buy")

    def buying_power(self, now: datetime) -> float:
        equity = self.account.equity(self.market, now)
        long_value = self.account.long_market_value(self.market, now)
        return round(max(self.config.multiplier * equity - long_value - self.reserved_for_buys(), 0.0), 2)

    def get(self, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None:
            raise not_found(f"order not found for {order_id}")
        return order

    # -- submission --------------------------------------------------------------------------
    def submit(self, t: Ticket, now: datetime) -> Order:
        self._check_shape(t)
        if session_at(now) is None and self.config.closed_market == "reject":
            raise forbidden("market is closed (the simulated broker refuses orders outside market hours)")
        rejection = self._first_rule("rejection", self.config.rejections, t)
        if rejection is not None and rejection.how == "http":
            raise forbidden(rejection.message)
        quote = self.market.quote(t.symbol, now)
        if quote is None:
            raise forbidden(f"no market data for {t.symbol} at {now.isoformat()} in the simulated broker's bars")
        reserve = t.limit_price if t.type == "limit" else (quote.ask if t.side == "buy" else quote.bid)
        if rejection is None:
            self._check_funds(t, reserve, now)
        order = self._create(t, reserve, now)
        if rejection is not None:
            order.status, order.failed_at = "rejected", now
        else:
            partial = self._first_rule("partial", self.config.partial_fills, t)
            order.partial = partial.fraction if partial is not None else None
        return order

    def _check_shape(self, t: Ticket) -> None:
        if not self.market.known(t.symbol):
            raise unprocessable(f'asset "{t.symbol}" not found', UNPROCESSABLE)
        if t.qty is not None and t.qty <= 0:
            raise unprocessable("qty must be > 0")
        if t.notional is not None and t.notional < 1:
            raise unprocessable("cost basis must be >= 1")
        fractional = t.notional is not None or abs(t.qty - round(t.qty)) > 1e-9
        if fractional and not self.config.fractionable(t.symbol):
            raise unprocessable("requested asset is not fractionable")
        if fractional and t.time_in_force != "day":
            raise unprocessable("fractional orders must be DAY orders")
        if t.notional is not None and t.type != "market":
            raise unprocessable("notional orders must be market orders")
        if t.limit_price is not None and not sub_penny_ok(t.limit_price):
            raise unprocessable(f"invalid limit_price {t.limit_price}. sub-penny increment does not fulfill "
                                f"minimum pricing criteria", UNPROCESSABLE)
        if t.client_order_id is not None and t.client_order_id in self.by_client_id:
            raise unprocessable("client_order_id must be unique")

    def _check_funds(self, t: Ticket, reserve: float, now: datetime) -> None:
        if t.side == "buy":
            cost = t.notional if t.notional is not None else t.qty * reserve
            power = self.buying_power(now)
            if cost > power + 1e-9:
                raise forbidden("insufficient buying power", buying_power=num(power), cost_basis=num(cost))
            return
        pos = self.account.positions.get(t.symbol)
        held = self.held_for_sells(t.symbol)
        available = round((pos.qty if pos else 0.0) - held, QTY_DP)
        wanted = t.qty if t.qty is not None else t.notional / reserve
        if wanted > available + 1e-9:
            raise forbidden(f"insufficient qty available for order (requested: {fmt_qty(wanted)}, "
                            f"available: {fmt_qty(available)})", available=fmt_qty(available),
                            existing_qty=fmt_qty(pos.qty if pos else 0.0), held_for_orders=fmt_qty(held),
                            symbol=t.symbol)

    def _first_rule(self, kind: str, rules: list[OrderRule], t: Ticket):
        """The first rule that applies to this order; every matching rule counts the order."""
        found = None
        for i, rule in enumerate(rules):
            if not rule.matches(t.symbol, t.side, t.type):
                continue
            key = f"{kind}.{i}"
            self._rule_seen[key] = self._rule_seen.get(key, 0) + 1
            if found is None and (rule.nth is None or self._rule_seen[key] in rule.nth):
                found = rule
        return found

    def _create(self, t: Ticket, reserve: float, now: datetime) -> Order:
        seq = len(self.orders) + 1
        session = current_or_next(now)
        eligible = max(now + timedelta(seconds=self.config.execution_delay_s), session.open)
        order = Order(
            seq=seq, id=stable_uuid(self.config.seed, "order", seq),
            client_order_id=t.client_order_id or stable_uuid(self.config.seed, "client_order_id", seq),
            asset_id=stable_uuid("asset", t.symbol), symbol=t.symbol, side=t.side, type=t.type,
            time_in_force=t.time_in_force, qty=t.qty, notional=t.notional, limit_price=t.limit_price,
            status="new" if session_at(now) is not None else "accepted", created_at=now, updated_at=now,
            eligible_at=eligible, expires_at=session.close if t.time_in_force == "day" else None,
            reserve_price=reserve)
        self.orders[order.id] = order
        self.by_client_id[order.client_order_id] = order.id
        return order

    # -- cancellation ----------------------------------------------------------------------------
    def cancel(self, order_id: str, now: datetime) -> Order:
        order = self.get(order_id)
        if not order.is_open:
            raise unprocessable(f'order is already in "{order.status}" state', UNPROCESSABLE)
        order.status, order.canceled_at, order.updated_at = "canceled", now, now
        return order

    # -- execution -------------------------------------------------------------------------------
    def advance(self, now: datetime) -> None:
        """Execute and expire what the book holds, up to ``now``."""
        fills = []
        for order in self.open_orders():
            if order.status == "accepted" and order.eligible_at <= now:
                order.status, order.updated_at = "new", order.eligible_at  # routed at the open
            fill = self._execute(order, now)
            if fill is not None:
                fills.append((fill.t, order.seq, fill))
        for _, _, fill in sorted(fills, key=lambda f: (f[0], f[1])):
            self.account.apply(fill)
        for order in self.open_orders():
            if order.expires_at is not None and now >= order.expires_at:
                order.status, order.expired_at, order.updated_at = "expired", order.expires_at, order.expires_at

    def _execute(self, order: Order, now: datetime) -> Fill | None:
        if order.halted:
            return None
        start = max(order.eligible_at, order.checked_until or order.eligible_at)
        end = now if order.expires_at is None else min(now, order.expires_at)
        order.checked_until = max(end, order.checked_until or end)
        if start > end:
            return None
        for t in self.market.instants(start, end):
            quote = self.market.quote(order.symbol, t)
            if quote is None:
                continue
            px = quote.ask if order.side == "buy" else quote.bid
            if order.type == "limit" and (px > order.limit_price if order.side == "buy" else px < order.limit_price):
                continue
            return self._fill(order, t, px)
        return None

    def _fill(self, order: Order, t: datetime, px: float) -> Fill | None:
        if order.qty is not None:
            shares = order.qty - order.filled_qty
        else:
            shares = math.floor(order.notional / px * 10 ** QTY_DP) / 10 ** QTY_DP
        if order.partial is not None:
            shares = self._partial_shares(order, shares)
            order.halted = True
        shares = round(shares, QTY_DP)
        if shares <= 0:
            return None
        order.filled_qty = round(order.filled_qty + shares, QTY_DP)
        order.filled_value += shares * px
        order.updated_at = t
        complete = order.qty is None and not order.halted or order.qty is not None and order.filled_qty >= order.qty
        order.status = "filled" if complete else "partially_filled"
        order.filled_at = t if complete else None
        fill = Fill(t, order.symbol, shares if order.side == "buy" else -shares, px, order.id)
        order.fills.append(fill)
        return fill

    def _partial_shares(self, order: Order, shares: float) -> float:
        part = shares * order.partial
        if self.config.fractionable(order.symbol):
            return part
        return float(max(math.floor(part), 1)) if shares >= 2 else shares


def sub_penny_ok(limit: float) -> bool:
    """Limit prices: whole cents at $1.00 and above, $0.0001 below (Rule 612)."""
    step = 0.01 if limit >= 1.0 else 0.0001
    return limit > 0 and abs(limit / step - round(limit / step)) < 1e-6
