"""ConsolidatedPortfolio and StrategyAllocation: the real validation rules, Decimal strings on the wire."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from workflows.alchemiser.schemas import ConsolidatedPortfolio, StrategyAllocation

NOW = datetime(2026, 1, 12, 20, 45, tzinfo=timezone.utc)


def portfolio(targets, **kw) -> ConsolidatedPortfolio:
    fields = {"target_allocations": targets, "correlation_id": "c-1", "timestamp": NOW, "strategy_count": 1,
              "source_strategies": ["a.clj"], **kw}
    return ConsolidatedPortfolio(**fields)


def test_a_partial_skips_the_sum_rule_but_not_the_weight_range():
    partial = portfolio({"spy": "0.3"}, is_partial=True)
    assert partial.target_allocations == {"SPY": Decimal("0.3")}  # upper-cased, Decimal
    with pytest.raises(ValidationError, match="outside"):
        portfolio({"SPY": "1.2"}, is_partial=True)
    with pytest.raises(ValidationError, match="outside"):
        portfolio({"SPY": "-0.1"}, is_partial=True)


@pytest.mark.parametrize("total, ok", [("0.99", True), ("1.01", True), ("0.989", False), ("1.0101", False)])
def test_a_merged_portfolio_must_sum_to_one_within_a_hundredth(total, ok):
    targets = {"SPY": Decimal(total) - Decimal("0.5"), "TLT": Decimal("0.5")}
    if ok:
        assert sum(portfolio(targets).target_allocations.values()) == Decimal(total)
    else:
        with pytest.raises(ValidationError, match="sum to"):
            portfolio(targets)


def test_empty_duplicate_and_inconsistent_portfolios_are_rejected():
    with pytest.raises(ValidationError, match="non-empty"):
        portfolio({})
    with pytest.raises(ValidationError, match="duplicate symbol SPY"):
        portfolio({"SPY": "0.5", "spy": "0.5"})
    with pytest.raises(ValidationError, match="strategy_count"):
        portfolio({"SPY": "1"}, strategy_count=2)
    with pytest.raises(ValidationError, match="contributions sum"):
        portfolio({"SPY": "0.5", "TLT": "0.5"}, strategy_contributions={"a": {"SPY": "0.5", "TLT": "0.4"}})
    with pytest.raises(ValidationError):
        portfolio({"SPY": "1"}, correlation_id="x" * 101)


def test_weights_travel_as_decimal_strings_and_come_back_exactly():
    weight = Decimal("0.02499999999999999999999999999")  # an unrounded 28-digit product
    cp = portfolio({"SPY": weight, "TLT": Decimal("0.975")},
                   strategy_contributions={"a": {"spy": weight, "TLT": Decimal("0.975")}})
    wire = json.loads(json.dumps(cp.to_json_dict()))
    assert wire["target_allocations"] == {"SPY": "0.02499999999999999999999999999",
                                          "TLT": "0.975"}
    assert wire["strategy_contributions"] == {"a": wire["target_allocations"]}
    assert wire["is_partial"] is False and wire["schema_version"] == "1.0.0" and wire["constraints"] is None
    back = ConsolidatedPortfolio.from_json_dict(wire)
    assert back == cp and back.target_allocations["SPY"] == weight


def test_strategy_allocation_rules():
    alloc = StrategyAllocation(target_weights={"SPY": Decimal("0.5"), "TLT": Decimal("0.5")}, correlation_id="c")
    assert alloc.target_weights["SPY"] == Decimal("0.5")
    for bad, message in (({}, "non-empty"), ({"SPY": "0.9"}, "sum to"), ({"SPY": "1.5", "TLT": "-0.5"}, "outside"),
                         ({"SPY": True}, "not a number")):
        with pytest.raises(ValidationError, match=message):
            StrategyAllocation(target_weights=bad, correlation_id="c")
    with pytest.raises(ValidationError):
        StrategyAllocation(target_weights={"SPY": 1}, correlation_id="c", portfolio_value=Decimal(-1))
