"""The SELL -> BUY transition and its $500 guard (reference §3.5, §10 item 19).

Evaluated after every completed trade (success, failure or market-closed
skip), from the counters the trade's atomic ADD returned: only while the run
is in the SELL phase, once every SELL is counted and if there are BUYs.

* Guard: failed SELL dollars (planned, not filled) above $500.00 block the BUY
  phase for good: the run becomes FAILED and WorkflowFailed
  "SELL_PHASE_GUARD" is published. Failures up to $500 only log a warning.
* Otherwise the conditional SELL_PHASE -> BUY_PHASE update has exactly one
  winner, and only the winner releases the waiting BUYs.

The legacy path releases BUYs by enqueueing them (``dispatch``); the B.2 Step
Functions variant runs them in its BUY Map, so it only marks them PENDING.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from workflows.alchemiser.common import log, now_utc
from workflows.alchemiser.events import WorkflowFailed, publish
from workflows.alchemiser.runs import ExecutionRunService, Progress

SELL_FAILURE_THRESHOLD_USD = Decimal("500.00")  # ExecutionConfig.sell_failure_threshold_usd
SOURCE_MODULE = "execution_v2.handlers"


def due(progress: Progress) -> bool:
    """Whether this trade's completion is the moment to evaluate the transition."""
    return progress.current_phase == "SELL" and progress.sell_phase_complete and progress.buy_total > 0


def open_buy_phase(runs: ExecutionRunService, run_id: str, progress: Progress, *, correlation_id: str,
                   release: Callable[[], Any], events: Any, bus: str, event_id: str) -> str:
    """Guard, transition, release. Returns "blocked", "released" or "lost" (another invocation won)."""
    failed = progress.sell_failed_amount
    if failed > SELL_FAILURE_THRESHOLD_USD:
        # Conditional, so a duplicate evaluation cannot publish a second WorkflowFailed.
        if runs.mark_run_failed(run_id, "SELL_PHASE_GUARD: BUY phase blocked", only_in_sell_phase=True):
            publish(events, guard_event(run_id, progress, correlation_id, event_id), bus)
        return "blocked"
    if failed > 0:
        log("SELL failures below the guard threshold; BUY phase proceeds", run_id=run_id,
            sell_failed_amount=str(failed), threshold=str(SELL_FAILURE_THRESHOLD_USD))
    if not runs.transition_to_buy_phase(run_id):
        return "lost"
    release()
    return "released"


def guard_event(run_id: str, progress: Progress, correlation_id: str, event_id: str) -> WorkflowFailed:
    failed = progress.sell_failed_amount
    return WorkflowFailed(
        correlation_id=correlation_id, causation_id=run_id, event_id=event_id, timestamp=now_utc(),
        source_module=SOURCE_MODULE, source_component="SingleTradeHandler", workflow_type="TradingExecution",
        failure_reason=f"SELL phase failures ${failed} exceed the ${SELL_FAILURE_THRESHOLD_USD} threshold; "
                       "BUY phase blocked",
        failure_step="SELL_PHASE_GUARD",
        error_details={"run_id": run_id, "sell_failed_amount": str(failed),
                       "sell_succeeded_amount": str(progress.sell_succeeded_amount),
                       "failure_threshold": str(SELL_FAILURE_THRESHOLD_USD),
                       "buy_trades_blocked": progress.buy_total, "guard_action": "BUY_PHASE_BLOCKED"})
