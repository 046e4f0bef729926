"""The Alchemiser's events, as the real system defines and publishes them.

Source: ../shared/reference/alchemiser-system.md §1.2 (sources, detail-types,
the publisher) and §2.5 (fields). Every event is a frozen pydantic model; on
the wire (EventBridge ``Detail``) it is ``model_dump(mode="json")``, so
Decimals travel as strings and datetimes as ISO text, as in the real
publisher. ``publish`` sends one PutEvents entry per event and raises when
the entry fails (the real publisher raises RuntimeError on FailedEntryCount).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = "1.0.0"  # CONTRACT_VERSION


class BaseEvent(BaseModel):
    """Fields every event carries (strict, frozen, as the real BaseEvent)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str] = ""
    source_suffix: ClassVar[str] = ""  # source = "alchemiser." + suffix

    correlation_id: str = Field(min_length=1)
    causation_id: str = Field(min_length=1)
    event_id: str = Field(min_length=1)
    timestamp: datetime
    source_module: str
    source_component: str | None = None
    metadata: dict[str, Any] | None = None
    schema_version: str = SCHEMA_VERSION

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

    @property
    def source(self) -> str:
        return "alchemiser." + self.source_suffix

    @property
    def detail_type(self) -> str:
        return self.event_type

    def detail(self) -> dict[str, Any]:
        return {"event_type": self.event_type, **self.model_dump(mode="json")}


class PartialSignalGenerated(BaseEvent):
    event_type: ClassVar[str] = "PartialSignalGenerated"
    source_suffix: ClassVar[str] = "strategy"

    session_id: str
    dsl_file: str
    allocation: Decimal
    strategy_number: int
    total_strategies: int
    signals_data: dict[str, Any]
    consolidated_portfolio: dict[str, Any]
    signal_count: int
    data_freshness: dict[str, Any] = Field(default_factory=dict)


class SignalGenerated(BaseEvent):
    event_type: ClassVar[str] = "SignalGenerated"
    source_suffix: ClassVar[str] = "strategy"  # published by the aggregator, under the strategy source

    signals_data: dict[str, Any]
    consolidated_portfolio: dict[str, Any]
    signal_count: int
    data_freshness: dict[str, Any] = Field(default_factory=dict)


class RebalancePlanned(BaseEvent):
    event_type: ClassVar[str] = "RebalancePlanned"
    source_suffix: ClassVar[str] = "portfolio"

    rebalance_plan: dict[str, Any]
    allocation_comparison: dict[str, Any]
    trades_required: bool
    data_freshness: dict[str, Any] = Field(default_factory=dict)


class TradeExecuted(BaseEvent):
    event_type: ClassVar[str] = "TradeExecuted"
    source_suffix: ClassVar[str] = "execution"

    execution_data: dict[str, Any]
    success: bool
    orders_placed: int
    orders_succeeded: int
    failure_reason: str | None = None
    failed_symbols: list[str] = Field(default_factory=list)


class AllTradesCompleted(BaseEvent):
    event_type: ClassVar[str] = "AllTradesCompleted"
    source_suffix: ClassVar[str] = "trade_aggregator"

    run_id: str
    plan_id: str
    total_trades: int
    succeeded_trades: int
    failed_trades: int
    skipped_trades: int = 0
    aggregated_execution_data: dict[str, Any] = Field(default_factory=dict)
    capital_deployed_pct: Decimal | None = Field(default=None, ge=0, le=100)
    failed_symbols: list[str] = Field(default_factory=list)
    non_fractionable_skipped_symbols: list[str] = Field(default_factory=list)
    started_at: str | None = None
    completed_at: str | None = None
    portfolio_snapshot: dict[str, Any] = Field(default_factory=dict)
    data_freshness: dict[str, Any] = Field(default_factory=dict)
    pnl_metrics: dict[str, Any] = Field(default_factory=dict)
    strategies_evaluated: int = 0
    rebalance_plan_summary: list[dict[str, Any]] = Field(default_factory=list)


# WorkflowFailed's source comes from source_module: module.split("_")[0] (§1.2).
WORKFLOW_FAILED_SOURCES = {"coordinator": "coordinator", "aggregator": "aggregator", "strategy": "strategy",
                           "portfolio": "portfolio", "execution": "execution", "trade": "trade", "data": "data"}


class WorkflowFailed(BaseEvent):
    event_type: ClassVar[str] = "WorkflowFailed"

    workflow_type: str
    failure_reason: str
    failure_step: str
    error_details: dict[str, Any] = Field(default_factory=dict)

    @property
    def source(self) -> str:
        head = self.source_module.split(".")[0].split("_")[0]
        return "alchemiser." + WORKFLOW_FAILED_SOURCES.get(head, head)


class ScheduleCreated(BaseEvent):
    event_type: ClassVar[str] = "ScheduleCreated"
    source_suffix: ClassVar[str] = "coordinator"

    status: Literal["scheduled", "early_close", "skipped_holiday"]
    date: str
    execution_time: str | None = None
    market_close_time: str | None = None
    is_early_close: bool = False
    schedule_name: str | None = None
    skip_reason: str | None = None


class DataLakeUpdateCompleted(BaseEvent):
    event_type: ClassVar[str] = "DataLakeUpdateCompleted"
    source_suffix: ClassVar[str] = "data"

    success: bool
    status_code: int
    total_symbols: int
    symbols_updated: list[str] = Field(default_factory=list)
    failed_symbols: list[str] = Field(default_factory=list)
    symbols_updated_count: int = 0
    symbols_failed_count: int = 0
    total_bars_fetched: int = 0  # always 0 in the real system
    data_source: str = "alpaca_api"
    symbols_adjusted: list[str] = Field(default_factory=list)
    adjustment_count: int = 0
    adjusted_dates_by_symbol: dict[str, list[str]] = Field(default_factory=dict)
    start_time_utc: str | None = None
    end_time_utc: str | None = None
    duration_seconds: float | None = None
    error_message: str | None = None
    error_details: dict[str, Any] | None = None


EVENT_TYPES: dict[str, type[BaseEvent]] = {cls.event_type: cls for cls in (
    PartialSignalGenerated, SignalGenerated, RebalancePlanned, TradeExecuted, AllTradesCompleted, WorkflowFailed,
    ScheduleCreated, DataLakeUpdateCompleted)}


def entry(event: BaseEvent, bus: str) -> dict[str, Any]:
    """The PutEvents entry the real publisher builds for ``event``."""
    return {"Source": event.source, "DetailType": event.detail_type, "Detail": json.dumps(event.detail()),
            "EventBusName": bus}


def publish(events_client: Any, event: BaseEvent, bus: str) -> str:
    """Publish one event; returns its EventBridge event id (raises on a failed entry, as the real one does)."""
    response = events_client.put_events(Entries=[entry(event, bus)])
    if response.get("FailedEntryCount"):
        failed = response["Entries"][0]
        raise RuntimeError(f"Failed to publish {event.event_type}: {failed.get('ErrorCode')} "
                           f"{failed.get('ErrorMessage')}")
    return response["Entries"][0].get("EventId", "")


def from_detail(detail_type: str, detail: dict[str, Any]) -> BaseEvent:
    """Rebuild an event from an EventBridge detail (as handlers receive it)."""
    cls = EVENT_TYPES.get(detail_type)
    if cls is None:
        raise ValueError(f"Unknown event type {detail_type!r}")
    return cls.model_validate({k: v for k, v in detail.items() if k != "event_type"})
