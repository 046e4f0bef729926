"""What the trade aggregator computes from a finished run (reference §3.6 steps 4-5), pure.

Outcome classification: a FAILED trade whose error says "rounds to zero" is a
non-fractionable skip (still counted in failed_trades by Execution); every
other FAILED trade is a failed symbol. The notification email turns this into
SUCCESS / PARTIAL_SUCCESS / FAILURE.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable

ROUNDS_TO_ZERO = "rounds to zero"
TOP_POSITIONS = 5
ZERO = Decimal("0")


def summarize_trades(trades: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(trades, key=lambda t: (int(t.get("sequence_number", 0)), t.get("symbol", "")))
    failed = [t for t in ordered if t.get("status") == "FAILED"]
    non_fractionable = [t["symbol"] for t in failed if ROUNDS_TO_ZERO in str(t.get("error_message") or "")]
    failed_symbols = [t["symbol"] for t in failed if t["symbol"] not in non_fractionable]
    total = len(ordered)
    return {
        "orders_executed": [{"symbol": t["symbol"], "action": t["action"], "status": t.get("status"),
                             "order_id": t.get("order_id"), "trade_amount": str(t.get("trade_amount"))}
                            for t in ordered],
        "execution_summary": {"total_trades": total, "succeeded": total - len(failed), "failed": len(failed),
                              "total_value": str(sum((abs(Decimal(str(t.get("trade_amount", 0)))) for t in ordered),
                                                     ZERO)),
                              "symbols_evaluated": total, "eligible_signals": total, "blocked_by_risk": len(failed)},
        "failed_symbols": failed_symbols,
        "non_fractionable_skipped_symbols": non_fractionable,
    }


def portfolio_snapshot(account: Any, positions: Iterable[Any]) -> dict[str, Any]:
    """Equity, cash, exposures and top positions from alpaca-py's TradeAccount and Positions."""
    equity = _d(account.equity)
    long_value, short_value = _d(account.long_market_value), abs(_d(account.short_market_value))
    held = sorted(((p.symbol, _d(p.market_value)) for p in positions), key=lambda p: (-abs(p[1]), p[0]))
    return {
        "equity": str(equity), "cash": str(_d(account.cash)),
        "gross_exposure": str(_ratio(long_value + short_value, equity)),
        "net_exposure": str(_ratio(long_value - short_value, equity)),
        "capital_deployed_pct": str(capital_deployed_pct(long_value, equity)),
        "top_positions": [{"symbol": s, "market_value": str(v), "weight_pct": str(_pct(v, equity))}
                          for s, v in held[:TOP_POSITIONS]],
    }


def capital_deployed_pct(long_market_value: Decimal, equity: Decimal) -> Decimal:
    return _pct(long_market_value, equity)


def pnl_metrics(history: Any) -> dict[str, Any]:
    """Period P&L from a PortfolioHistory (first to last equity point)."""
    equity = [Decimal(str(e)) for e in (history.equity or []) if e is not None]
    if len(equity) < 2 or equity[0] == 0:
        return {}
    change = equity[-1] - equity[0]
    return {"pnl": str(change), "pnl_pct": str(_pct(change, equity[0])), "start_equity": str(equity[0]),
            "end_equity": str(equity[-1])}


def run_json(run: dict[str, Any], name: str, default: Any) -> Any:
    text = run.get(name)
    return json.loads(text) if isinstance(text, str) and text else default


def _d(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else ZERO


def _ratio(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) if whole else ZERO


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if whole else ZERO
