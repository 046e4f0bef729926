"""Signal Aggregator for the Step Functions variant (seed B.1 ``AggregateSignals``, Phase 2.4).

Input: ``{"partial_signals": [worker results...], "correlation_id", "execution_id"}``;
each worker result is what the Step Functions-mode worker returns. The merge is
the legacy one (``merging``): Decimal sums per symbol, no renormalization, total
within 1 +- ALLOCATION_TOLERANCE. No session table: the Map state already
collected every result, so there is no counter and no duplicate problem.

Returns the SignalGenerated detail (the seed's PublishSignalGenerated reads
``signals_data``, ``consolidated_portfolio`` and ``data_freshness`` from it; the
other fields let a state machine publish the full event). Raises
``AggregationError`` when the input is unusable (an empty or failed result, a
total outside the tolerance): the seed's Catch matches that name.
Env: ALLOCATION_TOLERANCE (0.01).
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

from workflows.alchemiser.common import log, new_uuid, now_utc
from workflows.alchemiser.merging import AggregationError, signal_generated


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    partials = event.get("partial_signals")
    correlation_id = event.get("correlation_id") or ""
    execution_id = event.get("execution_id") or correlation_id
    _check(partials, correlation_id)
    tolerance = Decimal(os.environ.get("ALLOCATION_TOLERANCE", "0.01"))
    signal = signal_generated(partials, correlation_id, execution_id,
                              f"signal-generated-{new_uuid(context, 'signal-generated')}", now_utc(), tolerance,
                              "SignalAggregatorSF", {"execution_id": execution_id,
                                                     "aggregation_mode": "step_functions"})
    log("Signals aggregated", correlation_id=correlation_id, strategies=len(partials))
    return signal.detail()


def _check(partials: Any, correlation_id: str) -> None:
    if not correlation_id:
        raise AggregationError("correlation_id is required")
    if not isinstance(partials, list) or not partials:
        raise AggregationError("partial_signals must be a non-empty list of worker results")
    failed = [p.get("dsl_file", f"#{i}") if isinstance(p, dict) else f"#{i}"
              for i, p in enumerate(partials) if not isinstance(p, dict) or p.get("success") is False
              or "consolidated_portfolio" not in p]
    if failed:
        raise AggregationError(f"strategies without a usable result: {', '.join(map(str, failed))}")
