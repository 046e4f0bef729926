"""The rebalance plan and the per-trade SQS message (reference §2.5, §3.1, §3.2).

``RebalancePlan`` is what the Portfolio Lambda's planner builds and what
RebalancePlanned carries; ``TradeMessage`` is the body of one message on the
execution FIFO queue (and, in the B.2 Step Functions variant, one Map item).
On the wire every Decimal is a string and every datetime ISO text, because
the real models are dumped with ``model_dump(mode="json")``.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0.0"
SELL_SEQUENCE_BASE = 1000  # sequence_number = base + priority: SELLs sort before BUYs
BUY_SEQUENCE_BASE = 2000

Action = Literal["BUY", "SELL", "HOLD"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RebalancePlanItem(_Frozen):
    symbol: str
    current_weight: Decimal
    target_weight: Decimal
    weight_diff: Decimal
    target_value: Decimal
    current_value: Decimal
    trade_amount: Decimal  # signed dollars: > 0 BUY, < 0 SELL, 0 HOLD
    action: Action
    priority: int = Field(ge=1, le=5)
    strategy_id: str | None = None


class RebalancePlan(_Frozen):
    plan_id: str
    correlation_id: str
    causation_id: str
    timestamp: datetime
    items: list[RebalancePlanItem]
    total_portfolio_value: Decimal
    total_trade_value: Decimal
    max_drift_tolerance: Decimal = Decimal("0.05")  # informational only: no drift band is applied
    execution_urgency: str = "NORMAL"
    strategy_id: str | None = None
    estimated_duration_minutes: int | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    schema_version: str = SCHEMA_VERSION

    @property
    def trades(self) -> list[RebalancePlanItem]:
        return [item for item in self.items if item.action != "HOLD"]

    def summary(self) -> list[dict[str, Any]]:
        """``rebalance_plan_summary`` as the run and the email carry it (weights in percent)."""
        return [{"symbol": i.symbol, "action": i.action, "current_weight_pct": _plain(i.current_weight * 100),
                 "target_weight_pct": _plain(i.target_weight * 100), "trade_amount": _plain(i.trade_amount)}
                for i in self.trades]


def _plain(value: Decimal) -> str:
    """Fixed-point text without exponent or trailing zeros ("25", "-500", "0")."""
    return format(value.normalize(), "f") if value else "0"


class TradeMessage(_Frozen):
    run_id: str
    trade_id: str
    plan_id: str
    correlation_id: str
    causation_id: str
    strategy_id: str | None = None
    symbol: str
    action: Literal["BUY", "SELL"]
    trade_amount: Decimal
    current_weight: Decimal
    target_weight: Decimal
    target_value: Decimal
    current_value: Decimal
    priority: int = Field(ge=1, le=5)
    phase: Literal["BUY", "SELL"]
    sequence_number: int
    is_complete_exit: bool = False
    is_full_liquidation: bool = False
    # Portfolio leaves these four None; Execution computes shares from a fresh quote.
    shares: Decimal | None = None
    estimated_price: Decimal | None = None
    current_position: Decimal | None = None
    target_position: Decimal | None = None
    total_portfolio_value: Decimal
    total_run_trades: int
    run_timestamp: datetime
    metadata: dict[str, Any] = Field(default_factory=dict)
    schema_version: str = SCHEMA_VERSION

    def to_sqs_message_body(self) -> str:
        return json.dumps(self.model_dump(mode="json"))

    @classmethod
    def from_sqs_message_body(cls, body: str) -> "TradeMessage":
        return cls.model_validate_json(body)


def decompose(plan: RebalancePlan, *, run_id: str, trade_ids: list[str], run_timestamp: datetime) -> list[TradeMessage]:
    """One TradeMessage per BUY/SELL item of ``plan`` (HOLDs are not traded).

    ``trade_ids`` must hold one id per trade, in plan order (SELLs first)."""
    trades = plan.trades
    if len(trade_ids) != len(trades):
        raise ValueError(f"{len(trades)} trades need as many trade ids, got {len(trade_ids)}")
    return [_message(plan, item, run_id, trade_id, len(trades), run_timestamp)
            for item, trade_id in zip(trades, trade_ids)]


def _message(plan: RebalancePlan, item: RebalancePlanItem, run_id: str, trade_id: str, total: int,
             run_timestamp: datetime) -> TradeMessage:
    base = SELL_SEQUENCE_BASE if item.action == "SELL" else BUY_SEQUENCE_BASE
    full_exit = item.target_weight == 0
    return TradeMessage(
        run_id=run_id, trade_id=trade_id, plan_id=plan.plan_id, correlation_id=plan.correlation_id,
        causation_id=plan.causation_id, strategy_id=plan.strategy_id, symbol=item.symbol, action=item.action,
        trade_amount=item.trade_amount, current_weight=item.current_weight, target_weight=item.target_weight,
        target_value=item.target_value, current_value=item.current_value, priority=item.priority,
        phase=item.action, sequence_number=base + item.priority,
        is_complete_exit=item.action == "SELL" and full_exit and item.current_weight > 0,
        is_full_liquidation=full_exit, total_portfolio_value=plan.total_portfolio_value,
        total_run_trades=total, run_timestamp=run_timestamp, metadata=dict(plan.metadata))
