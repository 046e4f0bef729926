"""Merging workers' partial signals into one portfolio (reference §2.3, ``portfolio_merger.py``).

Shared by the legacy aggregator (partials read back from the session table) and
the Step Functions aggregator (partials returned by the Map state). A partial is
a dict with ``dsl_file``, ``consolidated_portfolio``, ``signals_data``,
``signal_count`` and ``data_freshness``.

Weights are already scaled by the file allocation in the worker, so merging is
a per-symbol **Decimal sum: no rounding, no renormalization**. The total must
lie in [1 - tol, 1 + tol] (tol = ALLOCATION_TOLERANCE, 0.01), else
AggregationError.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from workflows.alchemiser.schemas import ConsolidatedPortfolio

ZERO = Decimal(0)
# keys of a dumped ConsolidatedPortfolio that are not symbols (for the legacy flat format)
_METADATA_KEYS = frozenset({"target_allocations", "strategy_contributions", "correlation_id", "timestamp",
                            "strategy_count", "source_strategies", "schema_version", "constraints", "is_partial"})


class AggregationError(Exception):
    """The partials cannot be merged (the name is the Step Functions Catch's ErrorEquals)."""


def strategy_id(dsl_file: str) -> str:
    return Path(dsl_file).stem


def _targets(portfolio: dict[str, Any]) -> dict[str, Any]:
    """target_allocations, or the dict itself in the legacy flat format."""
    if "target_allocations" in portfolio:
        return portfolio["target_allocations"]
    return {k: v for k, v in portfolio.items() if k not in _METADATA_KEYS}


def merge_portfolios(partials: list[dict[str, Any]], tolerance: Decimal) -> tuple[dict[str, Decimal], dict[str, dict[str, Decimal]]]:
    """(target_allocations, strategy_contributions) summed over the partials, checked against 1 +- tol."""
    targets: dict[str, Decimal] = {}
    contributions: dict[str, dict[str, Decimal]] = {}
    for partial in partials:
        portfolio = partial.get("consolidated_portfolio") or {}
        for symbol, weight in _targets(portfolio).items():
            key = str(symbol).upper()
            targets[key] = targets.get(key, ZERO) + Decimal(str(weight))
        for strategy, weights in (portfolio.get("strategy_contributions") or {}).items():
            merged = contributions.setdefault(strategy, {})
            for symbol, weight in weights.items():
                key = str(symbol).upper()
                merged[key] = merged.get(key, ZERO) + Decimal(str(weight))
    total = sum(targets.values(), ZERO)
    if not Decimal(1) - tolerance <= total <= Decimal(1) + tolerance:
        raise AggregationError(f"Total allocation {total} is outside [{1 - tolerance}, {1 + tolerance}] "
                               f"after merging {len(partials)} partial signals")
    return dict(sorted(targets.items())), contributions


def consolidate(partials: list[dict[str, Any]], correlation_id: str, tolerance: Decimal,
                timestamp: datetime) -> ConsolidatedPortfolio:
    """The merged, non-partial ConsolidatedPortfolio (its validators re-check the merge)."""
    if not partials:
        raise AggregationError("No partial signals to aggregate")
    targets, contributions = merge_portfolios(partials, tolerance)
    sources = [p["dsl_file"] for p in partials]
    try:
        return ConsolidatedPortfolio(target_allocations=targets, strategy_contributions=contributions,
                                     correlation_id=correlation_id, timestamp=timestamp,
                                     strategy_count=len(sources), source_strategies=sources, is_partial=False)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise AggregationError(f"Merged portfolio is invalid: {exc}") from exc


def merge_signals_data(partials: list[dict[str, Any]]) -> dict[str, dict[str, bool]]:
    """The lightweight form the real aggregator publishes (keeps the event small)."""
    return {strategy_id(p["dsl_file"]): {"aggregated": True} for p in partials}


def aggregate_data_freshness(partials: list[dict[str, Any]]) -> dict[str, Any]:
    """Worst case over the partials: oldest timestamp, largest age, FAIL if any FAIL."""
    if not partials:
        return {"latest_timestamp": "N/A", "age_days": 0, "gate_status": "UNKNOWN"}
    freshness = [p.get("data_freshness") or {} for p in partials]
    stamps = [f["latest_timestamp"] for f in freshness if f.get("latest_timestamp")]
    ages = [int(f["age_days"]) for f in freshness if f.get("age_days") is not None]
    return {"latest_timestamp": min(stamps) if stamps else "N/A", "age_days": max(ages) if ages else 0,
            "gate_status": "FAIL" if any(f.get("gate_status") == "FAIL" for f in freshness) else "PASS"}


def total_signal_count(partials: list[dict[str, Any]]) -> int:
    return sum(int(p.get("signal_count", 0)) for p in partials)


def signal_generated(partials: list[dict[str, Any]], correlation_id: str, causation_id: str, event_id: str,
                     now: datetime, tolerance: Decimal, component: str, metadata: dict[str, Any]) -> Any:
    """The SignalGenerated both aggregators build from the partial signals (only the
    component and metadata differ between the legacy and the Step Functions one)."""
    from workflows.alchemiser.events import SignalGenerated

    portfolio = consolidate(partials, correlation_id, tolerance, now)
    return SignalGenerated(
        correlation_id=correlation_id, causation_id=causation_id, event_id=event_id, timestamp=now,
        source_module="aggregator_v2", source_component=component,
        metadata={"strategies_aggregated": len(partials), **metadata},
        signals_data=merge_signals_data(partials), consolidated_portfolio=portfolio.to_json_dict(),
        signal_count=total_signal_count(partials), data_freshness=aggregate_data_freshness(partials))
