"""filter (asset and portfolio modes, ties, drops) and weight-inverse-volatility."""

from __future__ import annotations

from decimal import Decimal

import pytest
from dsl_helpers import bars, run, weights

from workflows.dsl.errors import DslEvaluationError, MarketDataMissingError
from workflows.dsl.trace import FilterCandidate, FilterDecision

# cumulative-return {:window 2}: A 10 %, B 20 %, C -10 %, D 10 % (ties with A)
RETURNS = bars(A=[100, 100, 110], B=[100, 100, 120], C=[100, 100, 90], D=[100, 100, 110],
               E=[100, 101])


def f(text: str, data=RETURNS) -> dict[str, str]:
    return weights(run(text, data))


ABC = '[(asset "A") (asset "B") (asset "C")]'


def test_select_top_and_bottom():
    assert f(f"(filter (cumulative-return {{:window 2}}) (select-top 2) {ABC})") == {"A": "0.5", "B": "0.5"}
    assert f(f"(filter (cumulative-return {{:window 2}}) (select-bottom 1) {ABC})") == {"C": "1"}


def test_ties_keep_dsl_order_for_top_and_bottom():
    cond = "(cumulative-return {:window 2})"
    assert f(f'(filter {cond} (select-top 1) [(asset "D") (asset "A")])') == {"D": "1"}
    assert f(f'(filter {cond} (select-top 1) [(asset "A") (asset "D")])') == {"A": "1"}
    assert f(f'(filter {cond} (select-bottom 1) [(asset "D") (asset "A")])') == {"D": "1"}
    assert f(f'(filter {cond} (select-bottom 1) [(asset "A") (asset "D")])') == {"A": "1"}


def test_without_selection_or_with_negative_n_all_survive_equally():
    expected = {"A": "0.3333333333333333333333333334", "B": "0.3333333333333333333333333333",
                "C": "0.3333333333333333333333333333"}
    assert f(f"(filter (cumulative-return {{:window 2}}) {ABC})") == expected
    assert f(f"(filter (cumulative-return {{:window 2}}) (select-top -1) {ABC})") == expected


def test_trace_records_scores_and_survivors():
    result = run(f"(filter (cumulative-return {{:window 2}}) (select-top 2) {ABC})", RETURNS)
    (decision,) = result.trace
    assert isinstance(decision, FilterDecision)
    assert (decision.mode, decision.order, decision.limit) == ("asset", "top", 2)
    assert decision.condition == "(cumulative-return {:window 2})"
    assert [c.id for c in decision.candidates] == ["A", "B", "C"]
    assert [c.score for c in decision.candidates] == pytest.approx([10.0, 20.0, -10.0])
    assert decision.survivors == ["B", "A"]


def test_failing_candidates_are_dropped_silently():
    # E has exactly 2 closes: moving-average-return(2) is NaN there → dropped
    result = run('(filter (moving-average-return {:window 2}) (select-top 1) [(asset "E") (asset "C")])',
                 RETURNS)
    assert weights(result) == {"C": "1"}
    assert result.trace[0].candidates[0] == FilterCandidate(id="E", symbols=["E"], score=None)
    # current-price is not rewritten per candidate: every candidate fails
    assert f('(weight-equal [(filter (current-price) [(asset "A") (asset "B")]) (asset "C")])') == {"C": "1"}


def test_condition_naming_its_own_ticker_drops_everyone():
    # create_indicator_with_symbol keeps only the 2nd element as params: "A" is not a map
    text = ('(weight-equal [(filter (cumulative-return "A" {:window 2}) [(asset "A") (asset "B")])'
            ' (asset "C")])')
    assert f(text) == {"C": "1"}


def test_a_ticker_without_data_fails_the_whole_strategy():
    with pytest.raises(MarketDataMissingError) as info:
        f('(filter (rsi {:window 2}) (select-top 1) [(asset "A") (asset "NOPE")])')
    assert str(info.value) == "test.clj:1:9: in (rsi ...): no market data for symbol 'NOPE'"


# max-drawdown {:window 3}: A 10, B 30, C 5
DRAWDOWNS = bars(A=[100, 90, 95], B=[100, 70, 100], C=[100, 95, 99])
G1 = '(group "g1" [(weight-equal [(asset "A") (asset "B")])])'
G2 = '(group "g2" [(weight-equal [(asset "C")])])'


def test_portfolio_mode_negates_drawdown_so_top_is_the_smallest():
    assert f(f"(filter (max-drawdown {{:window 3}}) (select-top 1) [{G1} {G2}])", DRAWDOWNS) == {"C": "1"}
    assert f(f"(filter (max-drawdown {{:window 3}}) (select-bottom 1) [{G1} {G2}])", DRAWDOWNS) == {
        "A": "0.5", "B": "0.5"
    }
    result = run(f"(filter (max-drawdown {{:window 3}}) [{G1} {G2}])", DRAWDOWNS)
    assert weights(result) == {"A": "0.25", "B": "0.25", "C": "0.5"}
    decision = result.trace[0]
    assert decision.mode == "portfolio" and decision.survivors == ["g2", "g1"]
    assert [(c.id, c.symbols) for c in decision.candidates] == [("g1", ["A", "B"]), ("g2", ["C"])]
    assert [c.score for c in decision.candidates] == pytest.approx([-20.0, -5.0])


def test_asset_mode_does_not_negate_drawdown():
    # a mixed list is asset mode: fragments contribute their tickers
    text = ('(filter (max-drawdown {:window 3}) (select-top 1)'
            ' [(asset "A") (weight-equal [(asset "B") (asset "C")])])')
    assert f(text, DRAWDOWNS) == {"B": "1"}


def test_groups_with_decision_trees_are_scored_by_todays_holdings_only():
    # Known limitation (see filtering.py): the tree's group scores as C alone.
    tree = '(group "tree" [(weight-equal [(if (> 1 0) [(asset "C")] [(asset "B")])])])'
    result = run(f"(filter (max-drawdown {{:window 3}}) (select-top 1) [{G1} {tree}])", DRAWDOWNS)
    assert weights(result) == {"C": "1"}
    assert result.trace[-1].candidates[1].score == pytest.approx(-5.0)


# ---------- weight-inverse-volatility ----------


def alternating(step: float, n: int = 12) -> list[float]:
    closes = [100.0]
    for i in range(n - 1):
        closes.append(closes[-1] * (1 + (step if i % 2 == 0 else -step)))
    return closes


# stdev-return(4): A and C ≈ 1.1547 (±1 %), B and D twice that (±2 %); F is flat (stdev 0)
VOLS = bars(A=alternating(0.01), B=alternating(0.02), C=alternating(0.01), D=alternating(0.02),
            F=[50.0] * 12)
ROOT2 = 2 ** 0.25  # (1/σ)^0.25 ratio between a σ and a 2σ asset


def test_inverse_volatility_flat_mode_uses_fourth_root():
    result = run('(weight-inverse-volatility 4 [(asset "A") (asset "B")])', VOLS)
    assert float(result.weights["A"]) == pytest.approx(ROOT2 / (1 + ROOT2), rel=1e-9)
    assert float(result.weights["B"]) == pytest.approx(1 / (1 + ROOT2), rel=1e-9)
    assert sum(result.weights.values()) == Decimal(1)


def test_inverse_volatility_grouped_mode_keeps_internal_weights():
    text = """(weight-inverse-volatility 4
                 [(group "calm" [(weight-equal [(asset "A") (asset "C")])])
                  (group "wild" [(weight-equal [(asset "B") (asset "D")])])])"""
    result = run(text, VOLS)
    calm = ROOT2 / (1 + ROOT2)
    assert float(result.weights["A"]) == pytest.approx(calm / 2, rel=1e-9)
    assert result.weights["A"] == result.weights["C"] and result.weights["B"] == result.weights["D"]
    # group vol is the weight-averaged vol of its holdings: 1.5σ vs σ
    mixed = run('(weight-inverse-volatility 4 [(weight-equal [(asset "A") (asset "B")])'
                ' (weight-equal [(asset "C")])])', VOLS)
    share = (1 / 1.5) ** 0.25 / ((1 / 1.5) ** 0.25 + 1)
    assert float(mixed.weights["A"]) == pytest.approx(share / 2, rel=1e-9)


def test_inverse_volatility_over_one_filter_keeps_its_equal_weights():
    text = ('(weight-inverse-volatility 4 [(filter (rsi {:window 2}) (select-top 2)'
            ' [(asset "A") (asset "B") (asset "C")])])')
    assert len(set(run(text, VOLS).weights.values())) == 1


def test_inverse_volatility_drops_zero_vol_and_fails_when_none_is_valid():
    assert f('(weight-inverse-volatility 4 [(asset "F") (asset "A")])', VOLS) == {"A": "1"}
    with pytest.raises(DslEvaluationError, match="could not compute valid weights for assets"):
        f('(weight-inverse-volatility 4 [(asset "F")])', VOLS)
    with pytest.raises(DslEvaluationError, match="requires window and assets"):
        f("(weight-inverse-volatility)", VOLS)


def test_a_non_positive_window_fails_the_whole_strategy_even_inside_filter():
    # the real indicators raise MarketDataError, which filter does not catch
    from workflows.dsl.errors import MarketDataError

    with pytest.raises(MarketDataError, match="RSI window must be positive, got 0"):
        f(f"(filter (rsi {{:window 0}}) (select-top 1) {ABC})")
