"""The rebalance planner (reference §3.1, §10 items 14-15), pure: no broker, no AWS.

Given an account snapshot (positions by ``qty_available``, latest-quote mid
prices, cash) and the consolidated target weights, it produces the
RebalancePlan the real ``RebalancePlanCalculator.build_plan`` produces:

* deployable = total value x min(deployment pct, 1.5); target = w x deployable;
  trade = target - current; held symbols that are not targeted are sold out;
* a capital check (cash mode: buys may exceed cash + sells by at most $0.01)
  that aborts the whole run;
* priority bands by |trade| ($10k / $1k / $100 / $50), SELL before BUY before
  HOLD, then micro-trade suppression at $5 (1 % of value under $1 000).
  There is no drift band: any |trade| >= $5 trades, every day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Mapping

from workflows.alchemiser.trades import RebalancePlan, RebalancePlanItem

MIN_TRADE_AMOUNT_USD = Decimal("5")
SMALL_ACCOUNT_USD = Decimal("1000")  # below this the threshold is 1 % of the portfolio value
SMALL_ACCOUNT_PCT = Decimal("0.01")
CAPITAL_TOLERANCE_USD = Decimal("0.01")
MAX_EQUITY_DEPLOYMENT_PCT = Decimal("1.5")  # margin_safety.max_equity_deployment_pct
MAX_WEIGHT_SUM = Decimal("1.01")
PRIORITY_BANDS = ((Decimal("10000"), 1), (Decimal("1000"), 2), (Decimal("100"), 3), (Decimal("50"), 4))
ACTION_ORDER = {"SELL": 0, "BUY": 1, "HOLD": 2}
CENT = Decimal("0.01")
ZERO = Decimal("0")


class PortfolioError(Exception):
    """A plan that must not be executed; the Portfolio Lambda aborts the run with WorkflowFailed."""


@dataclass(frozen=True)
class Snapshot:
    positions: Mapping[str, Decimal]  # symbol -> qty_available
    prices: Mapping[str, Decimal]  # symbol -> mid of the latest quote
    cash: Decimal
    buying_power: Decimal | None = None  # used only in leverage mode (deployment pct > 1)
    equity: Decimal | None = None

    def value_of(self, symbol: str) -> Decimal:
        qty = self.positions.get(symbol, ZERO)
        if qty == 0:
            return ZERO
        if symbol not in self.prices:
            raise PortfolioError(f"No price for held position {symbol}")
        return qty * self.prices[symbol]

    @property
    def total_value(self) -> Decimal:
        return sum((self.value_of(s) for s in self.positions), ZERO) + self.cash


@dataclass(frozen=True)
class PlanRequest:
    target_weights: Mapping[str, Decimal]
    correlation_id: str
    causation_id: str
    timestamp: datetime
    deployment_pct: Decimal = Decimal("1.0")
    contributions: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)  # strategy -> symbol -> w


def mid_price(bid: float | Decimal | None, ask: float | Decimal | None) -> Decimal | None:
    """(bid + ask) / 2, or None for an unusable quote (a side <= 0 or a crossed book)."""
    if bid is None or ask is None:
        return None
    bid, ask = Decimal(str(bid)), Decimal(str(ask))
    if bid <= 0 or ask <= 0 or ask < bid:
        return None
    return (bid + ask) / 2


def effective_deployment_pct(configured: Decimal) -> Decimal:
    return min(configured, MAX_EQUITY_DEPLOYMENT_PCT)


def min_trade_threshold(portfolio_value: Decimal) -> Decimal:
    if portfolio_value >= SMALL_ACCOUNT_USD:
        return MIN_TRADE_AMOUNT_USD
    return (portfolio_value * SMALL_ACCOUNT_PCT).quantize(CENT, rounding=ROUND_HALF_UP)


def priority_for(amount: Decimal) -> int:
    size = abs(amount)
    for floor, priority in PRIORITY_BANDS:
        if size >= floor:
            return priority
    return 5


def build_plan(snapshot: Snapshot, request: PlanRequest) -> RebalancePlan:
    weights = {s.upper(): Decimal(w) for s, w in request.target_weights.items()}
    if sum(weights.values(), ZERO) > MAX_WEIGHT_SUM:
        raise PortfolioError(f"Target weights sum to {sum(weights.values())}, above {MAX_WEIGHT_SUM}")
    pct = effective_deployment_pct(request.deployment_pct)
    total = snapshot.total_value
    deployable = total * pct
    # Sorted symbols: held symbols outside the target get weight 0, i.e. a full exit.
    symbols = sorted(set(weights) | {s for s, q in snapshot.positions.items() if q != 0})
    rows = [(s, snapshot.value_of(s), weights.get(s, ZERO) * deployable) for s in symbols]
    _check_capital(rows, snapshot, pct)
    items = _items(rows, request.contributions)
    items.sort(key=lambda i: (ACTION_ORDER[i.action], i.priority))  # stable: symbol order within a band
    items = _suppress_micro_trades(items, min_trade_threshold(total))
    if not items:
        items = [_hold("CASH")]  # the real planner never returns an empty plan
    return RebalancePlan(
        plan_id=f"portfolio_v2_{request.correlation_id}_{int(request.timestamp.timestamp())}",
        correlation_id=request.correlation_id, causation_id=request.causation_id, timestamp=request.timestamp,
        items=items, total_portfolio_value=total,
        total_trade_value=sum((abs(i.trade_amount) for i in items if i.action != "HOLD"), ZERO),
        strategy_id=_only_strategy(request.contributions),
        metadata={"deployable_capital": str(deployable), "effective_deployment_pct": str(pct),
                  "strategy_attribution": attribution(request.contributions)})


def _check_capital(rows: list[tuple[str, Decimal, Decimal]], snapshot: Snapshot, pct: Decimal) -> None:
    buys = sum((t - c for _, c, t in rows if t > c), ZERO)
    sells = sum((c - t for _, c, t in rows if t < c), ZERO)
    if pct > 1 and snapshot.buying_power is not None:  # leverage mode checks buying power instead of cash
        if buys - sells > snapshot.buying_power:
            raise PortfolioError(f"Net buys {buys - sells} exceed buying power {snapshot.buying_power}")
        return
    shortfall = buys - (snapshot.cash + sells)
    if shortfall > CAPITAL_TOLERANCE_USD:
        raise PortfolioError(f"Insufficient capital: buys {buys} exceed cash {snapshot.cash} + sells {sells} "
                             f"by {shortfall}")


def _items(rows: list[tuple[str, Decimal, Decimal]],
           contributions: Mapping[str, Mapping[str, Decimal]]) -> list[RebalancePlanItem]:
    # Weights are relative to W = max(sum of current values, sum of target values); cash is excluded.
    scale = max(sum((c for _, c, _ in rows), ZERO), sum((t for _, _, t in rows), ZERO))
    items = []
    for symbol, current, target in rows:
        amount = target - current
        cw = current / scale if scale else ZERO
        tw = target / scale if scale else ZERO
        items.append(RebalancePlanItem(
            symbol=symbol, current_weight=cw, target_weight=tw, weight_diff=tw - cw, target_value=target,
            current_value=current, trade_amount=amount,
            action="BUY" if amount > 0 else "SELL" if amount < 0 else "HOLD", priority=priority_for(amount),
            strategy_id=_top_contributor(symbol, contributions)))
    return items


def _suppress_micro_trades(items: list[RebalancePlanItem], threshold: Decimal) -> list[RebalancePlanItem]:
    return [i.model_copy(update={"action": "HOLD", "trade_amount": ZERO})
            if i.action != "HOLD" and abs(i.trade_amount) < threshold else i for i in items]


def _hold(symbol: str) -> RebalancePlanItem:
    return RebalancePlanItem(symbol=symbol, current_weight=ZERO, target_weight=ZERO, weight_diff=ZERO,
                             target_value=ZERO, current_value=ZERO, trade_amount=ZERO, action="HOLD", priority=5)


def _top_contributor(symbol: str, contributions: Mapping[str, Mapping[str, Decimal]]) -> str | None:
    best = [(Decimal(w.get(symbol, 0)), name) for name, w in contributions.items() if Decimal(w.get(symbol, 0)) > 0]
    return max(best)[1] if best else None


def _only_strategy(contributions: Mapping[str, Mapping[str, Decimal]]) -> str | None:
    return next(iter(contributions)) if len(contributions) == 1 else None


def attribution(contributions: Mapping[str, Mapping[str, Decimal]]) -> dict[str, dict[str, str]]:
    """symbol -> {strategy: share of that symbol's weight}, shares summing to 1 (strings, as on the wire)."""
    per_symbol: dict[str, dict[str, Decimal]] = {}
    for name, weights in contributions.items():
        for symbol, weight in weights.items():
            if Decimal(weight) > 0:
                per_symbol.setdefault(symbol.upper(), {})[name] = Decimal(weight)
    return {s: {n: str(w / sum(ws.values())) for n, w in ws.items()} for s, ws in sorted(per_symbol.items())}
