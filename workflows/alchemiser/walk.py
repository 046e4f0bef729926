"""Walk-the-book order placement (reference §3.4 step 6), over alpaca-py's TradingClient.

Urgency is always MEDIUM in the real system, so every order walks the book:
limit orders at ``bid + r x spread`` (BUY) or ``ask - r x spread`` (SELL) for
r = 0.75, 0.85, 0.95, each rounded to the cent (at least $0.01), 10 s per step;
what is left unfilled is cancelled and re-placed at the next step; after the
last step, a market order with a 30 s wait. One quote serves all the steps.
A rejected step ends the walk. Waits are ``time.sleep`` (virtual under
shadowsim). The real executor learns fills from the order-update WebSocket
(polling only as a fallback), making ~1-2 REST calls per order; here the
order is polled at 1, 3, 7 s, ... (doubling gaps, cut at the step's limit),
so a fill is seen a little late but the REST budget (Alpaca: 200
calls/minute) is not spent on polling.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from alpaca.trading.enums import OrderSide, OrderStatus, TimeInForce
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest

WALK_RATIOS = (Decimal("0.75"), Decimal("0.85"), Decimal("0.95"))  # 0.50/0.75/0.95 only after 2026-01-15
STEP_WAIT_S = 10.0
MARKET_WAIT_S = 30.0
FIRST_POLL_S = 1.0
CENT = Decimal("0.01")
TERMINAL = {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED,
            OrderStatus.DONE_FOR_DAY, OrderStatus.REPLACED, OrderStatus.SUSPENDED, OrderStatus.STOPPED}


def step_price(side: str, bid: Decimal, ask: Decimal, ratio: Decimal) -> Decimal:
    spread = ask - bid
    raw = bid + ratio * spread if side == "BUY" else ask - ratio * spread
    return max(raw.quantize(CENT, rounding=ROUND_HALF_UP), CENT)


def step_prices(side: str, bid: Decimal, ask: Decimal) -> list[Decimal]:
    return [step_price(side, bid, ask, r) for r in WALK_RATIOS]


@dataclass
class WalkResult:
    success: bool
    order_id: str | None = None
    filled_qty: Decimal = Decimal("0")
    avg_price: Decimal | None = None
    order_type: str = "limit"
    error: str | None = None
    filled_at: str | None = None
    fills: list[tuple[Decimal, Decimal]] = field(default_factory=list)  # (qty, price) per order

    def add_fill(self, order: Any) -> None:
        qty = Decimal(str(order.filled_qty or 0))
        if qty > 0:
            price = Decimal(str(order.filled_avg_price or 0))
            self.fills.append((qty, price))
            self.filled_qty += qty
            self.filled_at = order.filled_at.isoformat() if order.filled_at else self.filled_at


class BookWalker:
    def __init__(self, trading: Any, order_id_factory: Callable[[], str], *,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.trading = trading
        self.new_client_order_id = order_id_factory
        # time.sleep is looked up when called: under shadowsim it is the virtual-clock sleep.
        self.sleep = sleep or (lambda seconds: time.sleep(seconds))

    def walk(self, symbol: str, side: str, qty: Decimal, bid: Decimal, ask: Decimal) -> WalkResult:
        result = WalkResult(success=False)
        for price in step_prices(side, bid, ask):
            remaining = qty - result.filled_qty
            order = self._submit(result, LimitOrderRequest(
                symbol=symbol, qty=float(remaining), side=_side(side), time_in_force=TimeInForce.DAY,
                limit_price=float(price), client_order_id=self.new_client_order_id()))
            if order is None:
                return result
            final = self._settle(order, STEP_WAIT_S)
            result.add_fill(final)
            if final.status == OrderStatus.REJECTED:
                result.error = f"Limit order rejected for {symbol} at {price}"
                return result
            if final.status == OrderStatus.FILLED or result.filled_qty >= qty:
                return self._done(result, final, "limit", bid, ask)
        return self._market(result, symbol, side, qty, bid, ask)

    def _market(self, result: WalkResult, symbol: str, side: str, qty: Decimal, bid: Decimal,
                ask: Decimal) -> WalkResult:
        order = self._submit(result, MarketOrderRequest(
            symbol=symbol, qty=float(qty - result.filled_qty), side=_side(side), time_in_force=TimeInForce.DAY,
            client_order_id=self.new_client_order_id()))
        if order is None:
            return result
        final = self._settle(order, MARKET_WAIT_S)
        result.add_fill(final)
        if final.status == OrderStatus.FILLED:
            return self._done(result, final, "market", bid, ask)
        result.order_id = str(final.id)
        result.error = f"Market order for {symbol} not filled within {MARKET_WAIT_S:.0f}s (status {final.status.value})"
        return result

    def _submit(self, result: WalkResult, request: Any) -> Any:
        try:
            return self.trading.submit_order(request)
        except Exception as exc:  # an API refusal is a rejected step
            result.error = f"Order rejected for {request.symbol}: {exc}"
            return None

    def _settle(self, order: Any, wait_s: float) -> Any:
        """Wait up to ``wait_s`` for a terminal status; cancel what is still working and re-read it."""
        waited, gap = 0.0, FIRST_POLL_S
        while order.status not in TERMINAL and waited < wait_s:
            step = min(gap, wait_s - waited)
            self.sleep(step)
            waited, gap = waited + step, gap * 2
            order = self.trading.get_order_by_id(order.id)
        if order.status in TERMINAL:
            return order
        try:
            self.trading.cancel_order_by_id(order.id)
        except Exception as exc:  # already filled or cancelled in between: the re-read tells
            print(f"cancel of {order.id} failed: {exc}")
        return self.trading.get_order_by_id(order.id)

    @staticmethod
    def _done(result: WalkResult, final: Any, order_type: str, bid: Decimal, ask: Decimal) -> WalkResult:
        result.success, result.order_id, result.order_type = True, str(final.id), order_type
        filled = sum((q for q, _ in result.fills), Decimal("0"))
        paid = sum((q * p for q, p in result.fills if p > 0), Decimal("0"))
        # Missing fill price: quote mid, then the first limit price, then $0.01.
        fallback = (bid + ask) / 2 if bid > 0 and ask > 0 else step_price("BUY", bid, ask, WALK_RATIOS[0])
        result.avg_price = paid / filled if filled and paid else (fallback if fallback > 0 else CENT)
        return result


def _side(side: str) -> OrderSide:
    return OrderSide.BUY if side == "BUY" else OrderSide.SELL
