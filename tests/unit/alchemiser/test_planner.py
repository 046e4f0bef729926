"""The rebalance planner (reference §3.1; §10 items 14 and 15), as a pure function."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal as D

import pytest

from workflows.alchemiser.planner import (PlanRequest, PortfolioError, Snapshot, build_plan, mid_price,
                                          min_trade_threshold, priority_for)

NOW = datetime(2026, 1, 12, 20, 45, tzinfo=timezone.utc)


def request(weights: dict[str, str], pct: str = "1.0", **kw) -> PlanRequest:
    return PlanRequest(target_weights={s: D(w) for s, w in weights.items()}, correlation_id="corr-1",
                       causation_id="signal-1", timestamp=NOW, deployment_pct=D(pct), **kw)


def snap(positions: dict[str, str], prices: dict[str, str], cash: str, **kw) -> Snapshot:
    return Snapshot(positions={s: D(q) for s, q in positions.items()}, prices={s: D(p) for s, p in prices.items()},
                    cash=D(cash), **kw)


def by_symbol(plan):
    return {i.symbol: i for i in plan.items}


# -- item 14: prices, value, deployable, targets ---------------------------------------------------

def test_mid_price_is_the_quote_midpoint_and_refuses_unusable_quotes():
    assert mid_price(99.5, 100.5) == D("100.0")
    assert mid_price(0, 100) is None and mid_price(100, 0) is None  # a side <= 0
    assert mid_price(101, 100) is None  # crossed book (ask < bid)
    assert mid_price(None, 100) is None


def test_portfolio_value_is_positions_at_mid_plus_cash():
    s = snap({"SPY": "10", "TLT": "4"}, {"SPY": "500", "TLT": "90"}, "1000")
    assert s.total_value == D("10") * 500 + 4 * 90 + 1000


def test_target_is_weight_times_deployable_and_trade_is_target_minus_current():
    plan = build_plan(snap({"SPY": "10"}, {"SPY": "500", "TLT": "100"}, "5000"), request({"SPY": "0.6", "TLT": "0.4"}))
    items = by_symbol(plan)  # value 10 000
    assert items["SPY"].target_value == D("6000.0") and items["SPY"].current_value == D("5000")
    assert items["SPY"].trade_amount == D("1000.0") and items["SPY"].action == "BUY"
    assert items["TLT"].trade_amount == D("4000.0") and items["TLT"].current_value == 0
    assert plan.total_portfolio_value == D("10000")


def test_deployable_uses_the_deployment_pct():
    plan = build_plan(snap({}, {"SPY": "100"}, "10000"), request({"SPY": "1.0"}, pct="0.5"))
    assert by_symbol(plan)["SPY"].target_value == D("5000.00")


def test_deployment_pct_is_capped_at_150_percent():
    s = snap({}, {"SPY": "100"}, "10000", buying_power=D("20000"))
    plan = build_plan(s, request({"SPY": "1.0"}, pct="2.0"))
    assert by_symbol(plan)["SPY"].target_value == D("15000.0")
    assert plan.metadata["effective_deployment_pct"] == "1.5"


def test_held_symbols_outside_the_target_are_fully_exited():
    plan = build_plan(snap({"UVXY": "20", "SPY": "5"}, {"UVXY": "25", "SPY": "100"}, "0"), request({"SPY": "1"}))
    uvxy = by_symbol(plan)["UVXY"]
    assert uvxy.action == "SELL" and uvxy.trade_amount == D("-500") and uvxy.target_weight == 0


def test_a_held_position_without_a_price_aborts_the_plan():
    with pytest.raises(PortfolioError, match="No price for held position UVXY"):
        build_plan(snap({"UVXY": "20"}, {"SPY": "100"}, "0"), request({"SPY": "1"}))


def test_capital_check_allows_a_one_cent_shortfall_and_no_more():
    # Weights above 1 make buys exceed cash + sells by exactly value x (sum - 1).
    ok = build_plan(snap({}, {"SPY": "100"}, "100"), request({"SPY": "1.0001"}))  # short by $0.01
    assert by_symbol(ok)["SPY"].trade_amount == D("100.0100")
    with pytest.raises(PortfolioError, match="Insufficient capital"):
        build_plan(snap({}, {"SPY": "100"}, "100"), request({"SPY": "1.0002"}))  # short by $0.02


def test_weights_above_101_percent_are_rejected():
    with pytest.raises(PortfolioError, match="above 1.01"):
        build_plan(snap({}, {"SPY": "100"}, "1000"), request({"SPY": "0.6", "TLT": "0.42"}))


def test_item_weights_are_relative_to_the_larger_of_current_and_target_totals():
    plan = build_plan(snap({"SPY": "10"}, {"SPY": "100", "TLT": "50"}, "1000"), request({"TLT": "1"}))
    items = by_symbol(plan)  # current total 1000, target total 2000 -> W = 2000
    assert items["SPY"].current_weight == D("0.5") and items["TLT"].target_weight == 1


# -- item 15: micro-trade suppression, no drift band, priority bands, SELL before BUY ---------------

def test_trades_under_five_dollars_become_holds_and_five_dollars_trades():
    s = snap({"SPY": "10", "TLT": "10"}, {"SPY": "100", "TLT": "100"}, "0")  # value 2000
    plan = build_plan(s, request({"SPY": "0.5025", "TLT": "0.4975"}))  # +/- $5.00 exactly
    assert [(i.symbol, i.action, i.trade_amount) for i in plan.items] == [
        ("TLT", "SELL", D("-5.0000")), ("SPY", "BUY", D("5.0000"))]
    held = build_plan(s, request({"SPY": "0.502", "TLT": "0.498"}))  # +/- $4.00
    assert {(i.action, i.trade_amount) for i in held.items} == {("HOLD", 0)}


def test_there_is_no_drift_band_a_quarter_percent_drift_trades():
    s = snap({"SPY": "20", "TLT": "20"}, {"SPY": "100", "TLT": "100"}, "0")
    plan = build_plan(s, request({"SPY": "0.5025", "TLT": "0.4975"}))  # 0.25 % drift, $10
    assert [i.action for i in plan.items] == ["SELL", "BUY"]


def test_small_accounts_suppress_below_one_percent_of_value():
    assert min_trade_threshold(D("800")) == D("8.00")
    assert min_trade_threshold(D("999.99")) == D("10.00")  # 9.9999 rounded half-up to cents
    assert min_trade_threshold(D("1000")) == D("5")
    s = snap({"SPY": "4", "TLT": "4"}, {"SPY": "100", "TLT": "100"}, "0")  # value 800 -> $8.00
    assert {i.action for i in build_plan(s, request({"SPY": "0.5099", "TLT": "0.4901"})).items} == {"HOLD"}
    assert {i.action for i in build_plan(s, request({"SPY": "0.51", "TLT": "0.49"})).items} == {"SELL", "BUY"}


@pytest.mark.parametrize("amount,priority", [("10000", 1), ("-10000", 1), ("9999.99", 2), ("1000", 2), ("999", 3),
                                             ("100", 3), ("99.99", 4), ("50", 4), ("49.99", 5), ("5", 5)])
def test_priority_bands(amount, priority):
    assert priority_for(D(amount)) == priority


def test_sells_come_before_buys_then_by_priority_then_symbol():
    s = snap({"AAA": "100", "BBB": "1", "CCC": "10"}, {"AAA": "100", "BBB": "100", "CCC": "100", "DDD": "100"}, "0")
    plan = build_plan(s, request({"BBB": "0.6", "DDD": "0.4"}))  # value 11 100
    assert [(i.symbol, i.action, i.priority) for i in plan.items] == [
        ("AAA", "SELL", 1), ("CCC", "SELL", 2), ("BBB", "BUY", 2), ("DDD", "BUY", 2)]
    assert plan.total_trade_value == D("10000") + 1000 + D("6560.0") + D("4440.0")


def test_plan_identity_and_strategy_attribution():
    contributions = {"nuclear": {"SPY": D("0.3")}, "gold": {"SPY": D("0.1"), "GLD": D("0.6")}}
    plan = build_plan(snap({}, {"SPY": "100", "GLD": "100"}, "1000"),
                      request({"SPY": "0.4", "GLD": "0.6"}, contributions=contributions))
    assert plan.plan_id == f"portfolio_v2_corr-1_{int(NOW.timestamp())}"
    assert plan.strategy_id is None  # more than one contributing strategy
    assert by_symbol(plan)["SPY"].strategy_id == "nuclear"  # the highest-weight contributor
    assert plan.metadata["strategy_attribution"]["SPY"] == {"nuclear": "0.75", "gold": "0.25"}
    assert plan.max_drift_tolerance == D("0.05") and plan.execution_urgency == "NORMAL"
