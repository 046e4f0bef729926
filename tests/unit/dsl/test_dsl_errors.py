"""Evaluation error messages: each names the form, file, line and column."""

from __future__ import annotations

import pytest
from dsl_helpers import bars, run

from workflows.dsl.errors import DslEvaluationError, DslSyntaxError, MarketDataMissingError

DATA = bars(SPY=[float(x) for x in range(1, 40)], OLD=[1.0, 2.0])


def error_of(text: str) -> DslEvaluationError:
    with pytest.raises(DslEvaluationError) as info:
        run(text, DATA, file="strat.clj")
    return info.value


def test_unknown_operator():
    error = error_of('(defsymphony "x" {}\n  (weight-equal [(frobnicate "SPY")]))')
    assert str(error) == "strat.clj:2:18: in (frobnicate ...): unknown operator 'frobnicate'"
    assert (error.form, error.file, error.line, error.column) == ("frobnicate", "strat.clj", 2, 18)


def test_missing_ticker():
    error = error_of('(if (> (rsi "NOPE" {:window 10}) 50)\n (asset "SPY") (asset "BIL"))')
    assert isinstance(error, MarketDataMissingError) and error.symbol == "NOPE"
    assert str(error) == "strat.clj:1:8: in (rsi ...): no market data for symbol 'NOPE'"


def test_ticker_without_bars_in_the_window():
    from datetime import date

    with pytest.raises(MarketDataMissingError, match="no bars for 'OLD' in the window before 2030-01-02"):
        run('(if (> (rsi "OLD") 50) (asset "SPY") (asset "OLD"))', DATA, as_of=date(2030, 1, 2))


def test_if_false_without_else():
    error = error_of('(weight-equal\n [(if (< (rsi "SPY" {:window 5}) 0) [(asset "SPY")])])')
    assert str(error).startswith("strat.clj:2:3: in (if ...): if-condition evaluated to false")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ('(moving-average-price "SPY")', "moving-average-price requires symbol and parameters"),
        ("(rsi 5)", "RSI symbol must be string, got Decimal"),
        ('(stdev-return "SPY" 5)', "Parameters must be dict, got Decimal"),
        ("(current-price)", "current-price requires symbol argument"),
        ('(moving-average-price "SPY" {:window 100})',
         "Insufficient data for SPY: need 100 bars, have 39 bars"),
        ('(rsi "SPY" {:window 0})', "RSI window must be positive, got 0"),
        ('(ma "SPY" 10)', "ma is not implemented in DSL evaluator"),
        ('(volatility "SPY" 10)', "volatility is not implemented in DSL evaluator"),
        ('(rsi "S P Y")', "Invalid symbol format: S P Y"),
    ],
)
def test_indicator_argument_errors(form: str, message: str):
    error = error_of(f'(if (> {form} 0) (asset "SPY") (asset "BIL"))')
    assert message in str(error)
    assert str(error).startswith("strat.clj:1:8: in (")


def test_errors_survive_being_rebuilt_from_args():
    error = error_of("(nope)")
    rebuilt = type(error)(*error.args)
    assert str(rebuilt) == str(error)
    with pytest.raises(DslSyntaxError) as info:
        run("(a", DATA)
    assert str(type(info.value)(*info.value.args)) == str(info.value)
