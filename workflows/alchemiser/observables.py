"""What a shadow comparison compares: the observables of one trading day, as plain JSON.

    doc = observe(run_day(DayOptions(variant="legacy", day=date(2026, 1, 14))))

Everything is read back from what the system itself left behind (the events on
its bus, the emails SES accepted, the broker's account, the trace), never from
the variant's internals, so two variants built differently are observed the same
way. The schema (documented in docs/reports.md, "observables") is stable:

* ``outcome``: TRADED, NO_TRADES, FAILED, SIGNAL_ONLY, NO_SIGNAL or HOLIDAY.
* ``signal``: how many SignalGenerated were published, the strategy count, the
  ``signal_count`` field of the first one (None when the event lacks it) and its
  data-freshness gate status (PASS / FAIL).
* ``strategies.<name>``: that strategy's contribution to the consolidated portfolio
  (``weights.<SYMBOL>``) and its ``signal_count`` (symbols it asks for).
* ``allocation``: the consolidated ``weights.<SYMBOL>``, their ``sum`` and ``symbols``.
* ``trades.<SYMBOL> <ACTION>``: ``status`` (filled / failed), ``shares``, ``notional``.
* ``positions.<SYMBOL>``: shares held at the end of the day; ``cash``.
* ``events.<detail-type>``: how many of each were put on the bus; ``emails``: subjects.
* ``timing``: signal ready / trades complete / failed at (HH:MM:SS.mmm New York),
  and ``end_to_end_s`` from the trading run's start to its terminal event.
* ``work``: the measured AWS usage (Lambda requests and GB-seconds, state
  transitions, DynamoDB reads and writes, EventBridge events, SQS requests...) and
  ``cost_per_day_usd`` priced with the list prices in sim/data/aws-prices.yaml.

Decimals are kept as strings (their exact value); floats are rounded so that the
document is the same bytes for the same run.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sim.cost import price, usage_from_trace

TERMINAL = ("SignalGenerated", "WorkflowFailed", "AllTradesCompleted")
# Every detail-type the system puts on its bus, counted even when absent, so a diff reads "1 vs 0".
EVENT_TYPES = ("ScheduleCreated", "PartialSignalGenerated", "SignalGenerated", "RebalancePlanned", "TradeExecuted",
               "AllTradesCompleted", "WorkflowFailed")


def observe(run: Any) -> dict[str, Any]:
    """The observables of a finished ``DayRun``."""
    detail = run.signal() or {}
    portfolio = detail.get("consolidated_portfolio") or {}
    usage = work(run)
    return {
        "outcome": run.outcome(),
        "signal": {"published": len(run.of_type("SignalGenerated")),
                   "strategies": portfolio.get("strategy_count"),
                   "signal_count": detail.get("signal_count"),
                   "data_gate": (detail.get("data_freshness") or {}).get("gate_status")},
        "strategies": _strategies(portfolio.get("strategy_contributions") or {}),
        "allocation": _allocation(portfolio.get("target_allocations") or {}),
        "trades": _trades(run),
        "positions": {symbol: _number(qty) for symbol, qty in run.positions.items()},
        "cash": round(float(run.cash), 2),
        "events": _event_counts(run),
        "emails": sorted(e["subject"] for e in run.emails),
        "timing": _timing(run),
        "work": usage,
    }


def _strategies(contributions: dict[str, dict]) -> dict[str, Any]:
    return {name: {"signal_count": len(weights), "weights": dict(sorted(weights.items()))}
            for name, weights in sorted(contributions.items())}


def _allocation(weights: dict[str, str]) -> dict[str, Any]:
    total = sum((Decimal(str(w)) for w in weights.values()), Decimal(0))
    return {"sum": str(total), "symbols": len(weights), "weights": dict(sorted(weights.items()))}


def _trades(run: Any) -> dict[str, dict]:
    """Keyed by 'SYMBOL ACTION' so a diff names the symbol; a repeat gets ' #2'."""
    out: dict[str, dict] = {}
    for _t, event in run.of_type("TradeExecuted"):
        data = event["detail"].get("execution_data") or {}
        key = f"{data.get('symbol')} {data.get('action')}"
        n = 2
        while key in out:
            key, n = f"{data.get('symbol')} {data.get('action')} #{n}", n + 1
        shares, px = data.get("shares_executed"), data.get("price")
        notional = None if shares is None or px is None else round(float(shares) * float(px), 2)
        out[key] = {"status": "filled" if event["detail"].get("success") else "failed",
                    "shares": _number(shares), "notional": notional}
    return dict(sorted(out.items()))


def _event_counts(run: Any) -> dict[str, int]:
    counts = {name: 0 for name in EVENT_TYPES}
    for _t, event in run.events:
        counts[event["detail-type"]] = counts.get(event["detail-type"], 0) + 1
    return dict(sorted(counts.items()))


def _timing(run: Any) -> dict[str, Any]:
    first = {name: next((t for t, _e in run.of_type(name)), None) for name in TERMINAL}
    start = run.trading_started_at()
    ends = [t for t in (first["AllTradesCompleted"], first["WorkflowFailed"]) if t is not None]
    end = min(ends) if ends else first["SignalGenerated"]
    return {"signal_ready_at": run.at(first["SignalGenerated"], millis=True),
            "trades_complete_at": run.at(first["AllTradesCompleted"], millis=True),
            "failed_at": run.at(first["WorkflowFailed"], millis=True),
            "end_to_end_s": None if start is None or end is None else round(end - start, 3)}


def work(run: Any) -> dict[str, Any]:
    """Measured AWS usage of the day and its price per day (AWS list prices, no free tier)."""
    usage = usage_from_trace(run.result.trace.records, state_transitions=run.state_transitions)
    out: dict[str, Any] = {key: _round(value) for key, value in sorted(usage.items())}
    out["cost_per_day_usd"] = _round(price(usage)["total_per_day"], 8)
    return out


def cost_table(run: Any) -> dict[str, Any]:
    return price(usage_from_trace(run.result.trace.records, state_transitions=run.state_transitions))


def _number(value: Any) -> Any:
    if value is None:
        return None
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else round(as_float, 6)


def _round(value: float, digits: int = 6) -> float | int:
    return int(value) if float(value).is_integer() else round(float(value), digits)


__all__ = ["TERMINAL", "cost_table", "observe", "work"]
