"""Executing one trade (reference §3.4 steps 1-8, §10 items 20-23), shared by the SQS
consumer (``handlers/execution.py``) and the B.2 Map entry point (``handlers/execution_sf.py``).

Order of work, as in the real SingleTradeHandler: skip a trade already
COMPLETED/FAILED (redelivery) -> mark it RUNNING -> market clock (closed: a
"skipped" success; clock errors count as open) -> BUY only: the equity circuit
breaker -> shares from a fresh mid (or the held qty for a full exit),
non-fractionable assets rounded down -> walk the book (SELL up to 3 attempts
5 s apart, BUY once) -> count the trade -> SELL->BUY transition (SQS path
only) -> TradeExecuted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any, Callable

from workflows.alchemiser import phases
from workflows.alchemiser.alpaca_clients import latest_quotes
from workflows.alchemiser.common import log, now_utc
from workflows.alchemiser.events import TradeExecuted, WorkflowFailed, publish
from workflows.alchemiser.ids import IdSource
from workflows.alchemiser.planner import mid_price
from workflows.alchemiser.runs import BreakerDecision, ExecutionRunService
from workflows.alchemiser.trades import TradeMessage
from workflows.alchemiser.walk import BookWalker, WalkResult

SHARE_QUANTUM = Decimal("0.000001")  # shares are quantized to 6 dp
SELL_ATTEMPTS = 3  # max_sell_retries 2 + the first attempt
SELL_RETRY_DELAY_S = 5.0
MARKET_CLOSED = "Market closed - order placement skipped"
SOURCE_MODULE = phases.SOURCE_MODULE


@dataclass
class Outcome:
    success: bool
    skipped: bool = False
    error: str | None = None
    order_id: str | None = None
    shares: Decimal = Decimal("0")
    price: Decimal | None = None
    order_type: str | None = None
    filled_at: str | None = None


@dataclass
class TradeResult:
    trade_id: str
    symbol: str
    action: str
    success: bool
    skipped: bool = False
    duplicate: bool = False
    order_id: str | None = None
    error_message: str | None = None
    phase_transition: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def retryable_failure(self) -> bool:
        """What the SQS consumer reports in batchItemFailures: neither success nor skipped."""
        return not (self.success or self.skipped)

    def as_dict(self) -> dict[str, Any]:
        return {"trade_id": self.trade_id, "symbol": self.symbol, "action": self.action, "success": self.success,
                "skipped": self.skipped, "duplicate": self.duplicate, "order_id": self.order_id,
                "error_message": self.error_message, "phase_transition": self.phase_transition, **self.details}


@dataclass
class Wiring:
    runs: ExecutionRunService
    trading: Any  # alpaca TradingClient
    data: Any  # alpaca StockHistoricalDataClient
    events: Any  # boto3 events client
    bus: str
    ids: IdSource
    release_buys: Callable[[str], Any] | None = None  # None: the caller runs the phases (Step Functions)
    ledger: Any = None  # the TradeLedgerTable (boto3 Table), when configured
    # Looked up at call time: under shadowsim ``time.sleep`` is replaced by a virtual sleep.
    sleep: Callable[[float], None] = lambda seconds: time.sleep(seconds)  # noqa: E731


class TradeExecutor:
    def __init__(self, wiring: Wiring) -> None:
        self.w = wiring

    def execute(self, msg: TradeMessage) -> TradeResult:
        existing = self.w.runs.get_trade(msg.run_id, msg.trade_id)
        if existing and existing.get("status") in ("COMPLETED", "FAILED"):
            return self._duplicate(msg)
        self.w.runs.mark_trade_started(msg.run_id, msg.trade_id)
        try:
            outcome, breaker = self._run(msg)
        except Exception as exc:  # domain and unexpected errors alike fail the trade, not the invocation
            log("Trade execution failed", trade_id=msg.trade_id, symbol=msg.symbol, error=str(exc))
            outcome, breaker = Outcome(success=False, error=f"{type(exc).__name__}: {exc}"), None
        if outcome.success and outcome.order_id and self.w.ledger is not None:
            record_fill(self.w.ledger, msg, outcome)
        return self._finish(msg, outcome, breaker)

    def _run(self, msg: TradeMessage) -> tuple[Outcome, BreakerDecision | None]:
        """The outcome, and the breaker decision when the equity circuit breaker blocked a BUY."""
        if not self._market_open():
            return Outcome(success=True, skipped=True, error=MARKET_CLOSED), None
        if msg.action == "BUY":
            decision = self.w.runs.check_equity_circuit_breaker(msg.run_id, msg.trade_amount)
            if not decision.allowed:
                return Outcome(success=False, error=f"Equity circuit breaker: {decision.reason}"), decision
        return self._place(msg), None

    # -- broker --------------------------------------------------------------------------
    def _market_open(self) -> bool:
        try:
            return bool(self.w.trading.get_clock().is_open)
        except Exception as exc:  # the real handler treats a clock error as OPEN
            log("Market clock unavailable; assuming open", error=str(exc))
            return True

    def _place(self, msg: TradeMessage) -> Outcome:
        shares = self._shares(msg)
        if not self._fractionable(msg.symbol):
            whole = shares.to_integral_value(rounding=ROUND_DOWN)
            if whole == 0:
                return Outcome(success=False, error=f"{msg.symbol}: {shares} shares rounds to zero "
                                                    "(non-fractionable asset)")
            shares = whole
        attempts = SELL_ATTEMPTS if msg.action == "SELL" else 1
        filled, result = Decimal("0"), None
        for attempt in range(attempts):
            if attempt:
                self.w.sleep(SELL_RETRY_DELAY_S)
            result = self._attempt(msg, shares - filled)
            filled += result.filled_qty
            if result.success:
                return Outcome(success=True, order_id=result.order_id, shares=filled, price=result.avg_price,
                               order_type=result.order_type, filled_at=result.filled_at)
        return Outcome(success=False, error=result.error, order_id=result.order_id, shares=filled)

    def _attempt(self, msg: TradeMessage, qty: Decimal) -> WalkResult:
        bid, ask = latest_quotes(self.w.data, [msg.symbol]).get(msg.symbol, (Decimal(0), Decimal(0)))
        if mid_price(bid, ask) is None:
            return WalkResult(success=False, error=f"No valid quote for {msg.symbol}")
        walker = BookWalker(self.w.trading, lambda: self._client_order_id(msg), sleep=self.w.sleep)
        return walker.walk(msg.symbol, msg.action, qty, bid, ask)

    def _shares(self, msg: TradeMessage) -> Decimal:
        if msg.action == "SELL" and msg.is_full_liquidation:
            return Decimal(str(self.w.trading.get_open_position(msg.symbol).qty))
        price = msg.estimated_price or self._mid(msg.symbol)
        return (abs(msg.trade_amount) / price).quantize(SHARE_QUANTUM)

    def _mid(self, symbol: str) -> Decimal:
        bid, ask = latest_quotes(self.w.data, [symbol]).get(symbol, (None, None))
        mid = mid_price(bid, ask)
        if mid is None:
            raise ValueError(f"No valid quote for {symbol}")
        return mid

    def _fractionable(self, symbol: str) -> bool:
        return bool(self.w.trading.get_asset(symbol).fractionable)

    def _client_order_id(self, msg: TradeMessage) -> str:
        stamp = now_utc().strftime("%Y%m%dT%H%M%S")
        return f"{msg.strategy_id or 'alch'}-{msg.symbol}-{stamp}-{self.w.ids.hex8('order')}"[:48]

    # -- bookkeeping ---------------------------------------------------------------------
    def _finish(self, msg: TradeMessage, outcome: Outcome, breaker: BreakerDecision | None) -> TradeResult:
        data = {"shares": str(outcome.shares), "price": str(outcome.price) if outcome.price else None,
                "trade_amount": str(msg.trade_amount), "order_type": outcome.order_type,
                "filled_at": outcome.filled_at}
        progress = self.w.runs.mark_trade_completed(
            msg.run_id, msg.trade_id, phase=msg.phase, amount=msg.trade_amount, success=outcome.success,
            skipped=outcome.skipped, order_id=outcome.order_id, error_message=outcome.error, execution_data=data)
        if progress is None:  # a concurrent copy of this message counted it first
            return self._duplicate(msg)
        if breaker is not None:
            self._trip_breaker(msg, breaker)
        transition = None
        if self.w.release_buys is not None and phases.due(progress):
            transition = phases.open_buy_phase(
                self.w.runs, msg.run_id, progress, correlation_id=msg.correlation_id,
                release=lambda: self.w.release_buys(msg.run_id), events=self.w.events, bus=self.w.bus,
                event_id=f"workflow-failed-{self.w.ids.uuid('guard')}")
        publish(self.w.events, self._trade_executed(msg, outcome), self.w.bus)
        return TradeResult(msg.trade_id, msg.symbol, msg.action, outcome.success, outcome.skipped,
                           order_id=outcome.order_id, error_message=outcome.error, phase_transition=transition,
                           details={"trade_amount": str(msg.trade_amount), "shares": str(outcome.shares)})

    def _trip_breaker(self, msg: TradeMessage, decision: BreakerDecision) -> None:
        self.w.runs.mark_run_failed(msg.run_id, "EQUITY_CIRCUIT_BREAKER")
        publish(self.w.events, WorkflowFailed(
            correlation_id=msg.correlation_id, causation_id=msg.trade_id,
            event_id=f"workflow-failed-{self.w.ids.uuid('breaker')}", timestamp=now_utc(),
            source_module=SOURCE_MODULE, source_component="SingleTradeHandler", workflow_type="TradingExecution",
            failure_reason=f"Equity circuit breaker blocked BUY {msg.symbol} ${decision.proposed}: "
                           f"cumulative ${decision.cumulative} + proposed exceeds limit ${decision.limit}",
            failure_step="EQUITY_CIRCUIT_BREAKER",
            error_details={"run_id": msg.run_id, "trade_id": msg.trade_id, "symbol": msg.symbol,
                           "proposed_value": str(decision.proposed), "cumulative_value": str(decision.cumulative),
                           "limit": str(decision.limit), "overage": str(decision.overage),
                           "reason": decision.reason}), self.w.bus)

    def _trade_executed(self, msg: TradeMessage, outcome: Outcome) -> TradeExecuted:
        return TradeExecuted(
            correlation_id=msg.correlation_id, causation_id=msg.trade_id,
            event_id=f"trade-executed-{self.w.ids.uuid('trade-executed')}", timestamp=now_utc(),
            source_module=SOURCE_MODULE, source_component="SingleTradeHandler",
            execution_data={"plan_id": msg.plan_id, "trade_id": msg.trade_id, "symbol": msg.symbol,
                            "action": msg.action, "order_id": outcome.order_id,
                            "shares_executed": str(outcome.shares),
                            "price": str(outcome.price) if outcome.price is not None else None,
                            "executed_at": now_utc().isoformat(), "success": outcome.success,
                            "skipped": outcome.skipped, "error_message": outcome.error},
            success=outcome.success, orders_placed=0 if outcome.skipped else 1,
            orders_succeeded=1 if outcome.success and not outcome.skipped else 0,
            metadata={"execution_mode": "per_trade", "run_id": msg.run_id, "trade_id": msg.trade_id,
                      "sequence_number": msg.sequence_number, "phase": msg.phase},
            failure_reason=None if outcome.success else outcome.error,
            failed_symbols=[] if outcome.success else [msg.symbol])

    @staticmethod
    def _duplicate(msg: TradeMessage) -> TradeResult:
        log("Duplicate trade skipped", trade_id=msg.trade_id, symbol=msg.symbol)
        return TradeResult(msg.trade_id, msg.symbol, msg.action, success=True, skipped=True, duplicate=True,
                           error_message="duplicate_trade")


def record_fill(ledger: Any, msg: TradeMessage, outcome: Outcome) -> None:
    """Write the fill to the trade ledger (``TRADE#{order_id}`` / ``METADATA``); a failure is only logged."""
    stamp = outcome.filled_at or now_utc().isoformat()
    sort_key = f"TRADE#{stamp}#{outcome.order_id}"
    try:
        ledger.put_item(Item={
            "PK": f"TRADE#{outcome.order_id}", "SK": "METADATA", "GSI1PK": f"CORR#{msg.correlation_id}",
            "GSI1SK": sort_key, "GSI2PK": f"SYMBOL#{msg.symbol}", "GSI2SK": sort_key, "order_id": outcome.order_id,
            "symbol": msg.symbol, "direction": msg.action, "filled_qty": str(outcome.shares),
            "fill_price": str(outcome.price), "fill_timestamp": stamp, "correlation_id": msg.correlation_id,
            "run_id": msg.run_id, "trade_id": msg.trade_id, "strategy_id": msg.strategy_id,
            "order_type": outcome.order_type})
    except Exception as exc:
        log("Trade ledger write failed", order_id=outcome.order_id, error=str(exc))
