"""Every structural operator of section 4.2 with hand-computed weights."""

from __future__ import annotations

from decimal import Decimal

import pytest
from dsl_helpers import bars, run, weights

from workflows.dsl.errors import DslEvaluationError
from workflows.dsl.trace import IfDecision, IndicatorRead
from workflows.dsl.values import decimal_str

FLAT = [10.0] * 30
DATA = bars(A=FLAT, B=FLAT, C=FLAT, D=FLAT, SPY=[1, 2, 3, 2, 3])


def w(text: str) -> dict[str, str]:
    return weights(run(text, DATA))


# ---------- if, with the RSI threshold pinned by hand ----------

RSI_SWITCH = """
(defsymphony "rsi switch" {:asset-class "EQUITIES"}
  (weight-equal
    [(if (> (rsi "SPY" {:window 2}) {threshold})
       [(asset "A" nil)]
       [(asset "B" nil)])]))
"""


def test_if_on_rsi_threshold_takes_the_hand_computed_branch():
    # RSI(2) of 1,2,3,2,3 is 100 - 100/(1 + 0.6875/0.25) = 73.33...
    above = run(RSI_SWITCH.replace("{threshold}", "73"), DATA)
    below = run(RSI_SWITCH.replace("{threshold}", "73.34"), DATA)
    assert weights(above) == {"A": "1"} and weights(below) == {"B": "1"}
    decision = above.trace[0]
    assert isinstance(decision, IfDecision)
    assert decision.condition == '(> (rsi "SPY" {:window 2}) 73)'
    assert decision.branch == "then" and decision.result is True
    assert (decision.file, decision.line, decision.column) == ("test.clj", 4, 6)
    assert decision.reads == [
        IndicatorRead(indicator="rsi", symbol="SPY", window=2, value=100 - 100 / (1 + 0.6875 / 0.25))
    ]
    assert below.trace[0].branch == "else"


def test_if_false_without_else_fails():
    with pytest.raises(DslEvaluationError) as info:
        w('(weight-equal [(if (> 1 2) [(asset "A")])])')
    assert str(info.value).startswith("test.clj:1:16: in (if ...): if-condition evaluated to false")
    assert "add an else clause" in str(info.value)
    assert w('(weight-equal [(if (> 2 1) [(asset "A")])])') == {"A": "1"}


def test_if_uses_python_truthiness_and_needs_two_args():
    assert w('(if 0 (asset "A") (asset "B"))') == {"B": "1"}
    assert w('(if "" (asset "A") (asset "B"))') == {"B": "1"}
    assert w('(if "false" (asset "A") (asset "B"))') == {"A": "1"}  # a non-empty string
    with pytest.raises(DslEvaluationError, match="if requires at least 2 arguments"):
        w("(if (> 1 0))")


# ---------- comparisons ----------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("(> 2 1)", "A"), ("(> 1 1)", "B"), ("(< 1 2)", "A"), ("(>= 1 1)", "A"),
        ("(<= 2 1)", "B"), ('(> "5" 3)', "A"), ('(> "abc" -1)', "A"),  # non-numbers count as 0
        ("(= 1 1.0)", "A"), ('(= "x" "x")', "A"), ('(= "1" 1)', "B"), ("(= 0.1 0.10)", "A"),
    ],
)
def test_comparisons(condition: str, expected: str):
    assert w(f'(if {condition} (asset "A") (asset "B"))') == {expected: "1"}


def test_comparison_needs_exactly_two_args():
    with pytest.raises(DslEvaluationError, match="> requires exactly 2 arguments"):
        w('(if (> 1 2 3) (asset "A") (asset "B"))')


# ---------- defsymphony, asset, group ----------


def test_defsymphony_ignores_name_and_config_and_needs_three_args():
    assert w('(defsymphony "n" {:rebalance-threshold 0.05} (asset "A" "Name Inc"))') == {"A": "1"}
    with pytest.raises(DslEvaluationError, match="defsymphony requires at least 3 arguments"):
        w('(defsymphony "n" (asset "A"))')


def test_asset_needs_a_string():
    with pytest.raises(DslEvaluationError, match="Asset symbol must be string, got Decimal"):
        w("(asset 5)")


def test_group_passes_its_last_result_through_unweighted():
    assert w('(weight-equal [(group "g" [(asset "A")] [(asset "B") (asset "C")])])') == {
        "B": "0.5", "C": "0.5"
    }
    with pytest.raises(DslEvaluationError, match="group requires at least 2 arguments"):
        w('(group "only a name")')


# ---------- weight-equal ----------


def test_weight_equal_flattens_lists_into_children():
    # the if returns a two-asset vector: two children, plus D → thirds
    result = run('(weight-equal [(if (> 1 0) [(asset "A") (asset "B")] [(asset "C")])] (asset "D"))', DATA)
    assert weights(result) == {
        "A": "0.3333333333333333333333333334",  # the largest weight absorbs the 1e-28 residue
        "B": "0.3333333333333333333333333333",
        "D": "0.3333333333333333333333333333",
    }
    assert sum(result.weights.values()) == Decimal(1)


def test_weight_equal_keeps_fragments_atomic():
    # [[A]] is one child; the inner weight-equal is one child worth 1/2
    assert w('(weight-equal [[(asset "A")]] (weight-equal [(asset "A") (asset "B")]))') == {
        "A": "0.75", "B": "0.25"
    }


def test_weight_equal_normalizes_each_child():
    assert w('(weight-equal [(weight-specified 0.5 (asset "A") 0.3 (asset "B")) (asset "C")])') == {
        "A": "0.3125", "B": "0.1875", "C": "0.5"
    }


def test_weight_equal_needs_assets():
    with pytest.raises(DslEvaluationError, match="weight-equal requires at least one asset"):
        w("(weight-equal)")
    with pytest.raises(DslEvaluationError, match="received no assets"):
        w("(weight-equal [1 2])")


# ---------- weight-specified ----------


def test_weight_specified_nesting_multiplies_without_renormalizing():
    text = """
    (weight-specified
      0.25 (group "Dancer" [(weight-specified 0.5713 (asset "A") 0.4287 (asset "B"))])
      0.75 (weight-equal [(asset "C") (asset "D")]))
    """
    assert w(text) == {"A": "0.142825", "B": "0.107175", "C": "0.375", "D": "0.375"}


def test_weight_specified_top_level_is_normalized_at_the_end():
    assert w('(weight-specified 0.5 (asset "A") 0.3 (asset "B"))') == {"A": "0.625", "B": "0.375"}


def test_weight_specified_list_operand_splits_equally():
    assert w('(weight-specified 1 [(asset "A") [(asset "B") (asset "C")]])') == {
        "A": "0.5", "B": "0.25", "C": "0.25"
    }


def test_weight_specified_errors():
    with pytest.raises(DslEvaluationError, match="pairs of weight and asset"):
        w('(weight-specified 0.5 (asset "A") 0.5)')
    with pytest.raises(DslEvaluationError, match="Expected asset symbol or fragment, got Decimal"):
        w("(weight-specified 0.5 7)")


# ---------- selection helpers, maps, top-level results ----------


def test_select_top_truncates_to_int():
    assert w('(filter (rsi {:window 2}) (select-top 1.9) [(asset "A") (asset "B")])') == {"A": "1"}


def test_maps_and_their_quirks():
    with pytest.raises(DslEvaluationError) as info:
        w('(rsi "SPY" {:window})')
    assert str(info.value) == "test.clj:1:12: in {...}: map literal needs key/value pairs"
    # an empty map evaluates to [] (not a dict), as in the real evaluator
    with pytest.raises(DslEvaluationError, match="Parameters must be dict, got list"):
        w('(if (> (stdev-return "SPY" {}) 0) (asset "A") (asset "B"))')


def test_top_level_results():
    assert w('(asset "A")') == {"A": "1"}
    with pytest.raises(DslEvaluationError, match="invalid type for allocation: list"):
        w('[(asset "A")]')
    with pytest.raises(DslEvaluationError, match="empty PortfolioFragment"):
        w('(filter (current-price) [(asset "A")])')


def test_scaled_weights_and_signal_count():
    result = run('(weight-specified 1 (asset "A") 0 (asset "B") 1 (asset "C"))', DATA)
    assert result.signal_count == 2
    assert {s: decimal_str(v) for s, v in result.scaled("0.075").items()} == {"A": "0.0375", "C": "0.0375"}


def test_deep_nesting_evaluates_without_recursion_errors():
    depth = 290
    text = '(group "g" ' * depth + '(asset "A")' + ")" * depth
    assert w(text) == {"A": "1"}
