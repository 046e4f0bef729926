"""compare(): one row per observable, a status per kind of rule, sorting, summary, JSON."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from sim.diff import UNBOUNDED, Rule, RuleSet, compare


def rules(*items: Rule, name: str = "test") -> RuleSet:
    return RuleSet(name=name, rules=list(items))


def one(baseline, candidate, rule: Rule | None = None, **kw):
    """The row of observable 'v' when comparing {'v': baseline} with {'v': candidate}."""
    docs = [{} if value is MISSING else {"v": value} for value in (baseline, candidate)]
    result = compare(docs[0], docs[1], rules(rule) if rule else rules(), **kw)
    (row,) = [r for r in result.rows if r.observable == "v"]
    return row


MISSING = object()
ABS = Rule(match="v", kind="absolute", value=1e-6)


# -- equal --------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [
    ("0.29", 0.29), ("0.29", "0.2900"), (Decimal("0.29"), "0.29"), (13, 13.0), ("1e2", 100), ("x", "x"),
    (["a", "1.0"], ["a", 1]), ({}, {}), (None, None), (True, True),
])
def test_canonically_equal_values_are_equal(a, b):
    row = one(a, b, Rule(match="v", kind="exact"))
    assert (row.status, row.delta, row.magnitude, row.detail) == ("equal", None, 0.0, "")


def test_null_and_absent_both_mean_no_value():
    assert one(None, MISSING).status == "equal"


def test_booleans_are_not_numbers():
    assert one(True, 1, Rule(match="v", kind="exact")).status == "diverge"


# -- missing values -------------------------------------------------------------------

def test_a_path_only_in_the_baseline():
    row = one(1, MISSING, ABS, baseline_name="legacy", candidate_name="sfn")
    assert (row.status, row.baseline, row.candidate, row.magnitude, row.detail) == \
        ("diverge", 1, None, UNBOUNDED, "only in legacy")


def test_a_path_only_in_the_candidate():
    row = one(MISSING, [1], Rule(match="v", kind="set"), baseline_name="legacy", candidate_name="sfn")
    assert (row.status, row.detail) == ("diverge", "only in sfn")


def test_a_null_value_is_missing_in_that_side():
    assert one(None, "0.3", ABS, baseline_name="legacy").detail == "missing in legacy"
    assert one("0.3", None, ABS, candidate_name="sfn").detail == "missing in sfn"


def test_missing_values_without_a_rule_are_unjudged_and_under_ignore_are_ignored():
    assert (one(1, MISSING).status, one(1, MISSING).detail) == ("unjudged", "only in baseline")
    assert one(1, MISSING, Rule(match="v", kind="ignore")).status == "ignored"


# -- each kind --------------------------------------------------------------------------

def test_no_rule_leaves_a_difference_unjudged_with_its_delta():
    row = one(13, 14)
    assert (row.status, row.delta, row.magnitude, row.detail) == ("unjudged", 1.0, UNBOUNDED,
                                                                  "|13 - 14| = 1")
    assert one("a", "b").detail == "a != b"


def test_ignore():
    row = one(1, 2, Rule(match="v", kind="ignore", why="clock noise"))
    assert (row.status, row.detail, row.magnitude) == ("ignored", "ignored: clock noise", 0.0)


def test_exact():
    row = one("a", "b", Rule(match="v", kind="exact"))
    assert (row.status, row.detail, row.magnitude) == ("diverge", "a != b (exact)", UNBOUNDED)


def test_absolute_beyond_tolerance():
    row = one("0.29", "0.2", ABS)
    assert (row.status, row.delta, row.detail) == ("diverge", 0.09, "|0.29 - 0.2| = 0.09 > 1e-06 (absolute)")
    assert row.magnitude == pytest.approx(90000)


def test_absolute_within_tolerance_and_at_its_edge():
    row = one(1.0, "1.5", Rule(match="v", kind="absolute", value=0.5))
    assert (row.status, row.delta, row.magnitude, row.detail) == ("within", 0.5, 1.0, "|1.0 - 1.5| = 0.5 <= 0.5 (absolute)")


def test_a_zero_tolerance_makes_any_difference_unbounded():
    row = one(1, 2, Rule(match="v", kind="absolute", value=0))
    assert (row.status, row.magnitude) == ("diverge", UNBOUNDED)


def test_relative():
    rule = Rule(match="v", kind="relative", value=0.01)
    within = one(100, "100.5", rule)
    assert (within.status, within.delta, within.detail) == (
        "within", 0.5, "|100 - 100.5| = 0.5 <= 0.01 x max(|100|, |100.5|) = 1.005 (relative)")
    assert within.magnitude == pytest.approx(0.5 / 1.005)
    beyond = one(100, 102, rule)
    assert (beyond.status, beyond.magnitude) == ("diverge", 2.0 / 1.02)
    assert beyond.detail == "|100 - 102| = 2 > 0.01 x max(|100|, |102|) = 1.02 (relative)"


def test_numeric_rules_on_non_numbers_diverge_with_a_clear_detail():
    row = one("abc", "abd", ABS)
    assert (row.status, row.delta, row.magnitude, row.detail) == ("diverge", None, UNBOUNDED,
                                                                  "not numbers: abc vs abd (absolute)")
    assert one(5, "15:45:34", ABS).detail == "not numbers: 5 vs 15:45:34 (absolute)"


def test_times_of_day_are_measured_in_seconds():
    rule = Rule(match="v", kind="absolute", value=2)
    row = one("15:45:34.688", "15:45:36", rule)
    assert (row.status, row.delta, row.detail) == ("within", 1.312, "|15:45:34.688 - 15:45:36| = 1.312 <= 2 (absolute)")
    assert one("15:45:34", "15:45:37", rule).status == "diverge"


def test_iso_datetimes_are_measured_in_seconds_across_offsets():
    row = one("2026-01-14T15:45:00-05:00", "2026-01-14T20:45:03Z", Rule(match="v", kind="absolute", value=2))
    assert (row.status, row.delta) == ("diverge", 3.0)


def test_set_with_the_same_elements_in_another_order_is_within():
    row = one(["b", "a", "a"], ["a", "b", "a"], Rule(match="v", kind="set"))
    assert (row.status, row.magnitude, row.detail) == ("within", 0.0, "same elements in another order (set)")


def test_set_lists_added_and_removed_elements_as_multisets():
    row = one(["subj a", "subj b", "subj b", {"n": 1}], ["subj b", "subj c", {"n": "1.0"}],
              Rule(match="v", kind="set"))
    assert (row.status, row.magnitude) == ("diverge", UNBOUNDED)
    assert row.detail == 'added: ["subj c"]; removed: ["subj a", "subj b"]'


def test_set_on_non_lists_diverges():
    assert one("a", ["a"], Rule(match="v", kind="set")).detail == 'not lists: a vs ["a"] (set)'


def test_lists_without_a_set_rule_compare_in_order():
    assert one(["a", "b"], ["b", "a"], Rule(match="v", kind="exact")).status == "diverge"


# -- noise ------------------------------------------------------------------------------

def test_a_diverge_on_a_noisy_path_is_noise_and_keeps_the_explanation():
    row = one("15:45:34", "15:45:39", Rule(match="v", kind="absolute", value=1),
              noise={"v": "differs across seeds 0,1: 15:45:34 .. 15:45:38"})
    assert row.status == "noise"
    assert row.detail == ("|15:45:34 - 15:45:39| = 5 > 1 (absolute); "
                          "noise: differs across seeds 0,1: 15:45:34 .. 15:45:38")


def test_noise_leaves_unjudged_rows_unjudged_but_explains_them():
    row = one(1, 2, noise={"v": "differs across seeds 0,1: 1 .. 3"})
    assert (row.status, row.detail) == ("unjudged", "|1 - 2| = 1; noise: differs across seeds 0,1: 1 .. 3")


def test_noise_does_not_touch_within_or_equal_rows():
    assert one(1, 1, noise={"v": "x"}).status == "equal"
    assert one(1, 1.5, Rule(match="v", kind="absolute", value=1), noise={"v": "x"}).detail == \
        "|1 - 1.5| = 0.5 <= 1 (absolute)"


# -- the whole comparison ----------------------------------------------------------------

BASE = {"result": {"sum": "1.0", "weights": {"A": "0.29", "B": "0.71", "C": "0.1"}}, "signal": {"count": 13},
        "emails": ["subj a", "subj b"], "timing": {"ready_at": "15:45:34.688", "start": "09:00:00"},
        "debug": {"host": "a"}}
CAND = {"result": {"sum": "1.0000", "weights": {"A": "0.2", "B": "0.71", "C": "0.3"}}, "signal": {"count": 14},
        "emails": ["subj b", "subj a"], "timing": {"ready_at": "15:45:36.000", "start": "09:00:09"},
        "debug": {"host": "b"}, "extra": 1}
RULES = rules(Rule(match="result.weights.*", kind="absolute", value=1e-6),
              Rule(match="result.*", kind="exact"),
              Rule(match="emails", kind="set"),
              Rule(match="timing.start", kind="absolute", value=5),
              Rule(match="timing.*", kind="absolute", value=2),
              Rule(match="debug.*", kind="ignore"), name="contract")


def test_rows_sort_by_status_then_biggest_magnitude_then_path():
    result = compare(BASE, CAND, RULES, baseline_name="legacy", candidate_name="sfn",
                     noise={"timing.start": "differs across seeds 0,1: 09:00:00 .. 09:00:08"})
    assert [(r.status, r.observable) for r in result.rows] == [
        ("diverge", "result.weights.C"),     # 0.2 / 1e-6
        ("diverge", "result.weights.A"),     # 0.09 / 1e-6
        ("noise", "timing.start"),
        ("within", "timing.ready_at"),
        ("within", "emails"),
        ("unjudged", "extra"),
        ("unjudged", "signal.count"),
        ("ignored", "debug.host"),
        ("equal", "result.sum"),
        ("equal", "result.weights.B"),
    ]
    assert result.verdict == "diverge"
    assert result.counts == {"diverge": 2, "noise": 1, "within": 2, "unjudged": 2, "ignored": 1, "equal": 2}
    assert [r.observable for r in result.diverged()] == ["result.weights.C", "result.weights.A"]
    assert result.rules == "contract" and result.baseline_name == "legacy" and result.candidate_name == "sfn"


def test_the_summary_names_at_most_three_observables():
    result = compare(BASE, CAND, RULES, baseline_name="legacy", candidate_name="sfn")
    assert result.summary() == ("diverge: 3 of 10 observables beyond tolerance (result.weights.C: 0.1 vs 0.3, "
                                "absolute 1e-06; result.weights.A: 0.29 vs 0.2, absolute 1e-06; timing.start: "
                                "09:00:00 vs 09:00:09, absolute 5)")
    many = compare({"a": 1, "b": 1, "c": 1, "d": 1, "e": 2}, {"a": 2, "b": 2, "c": 2, "e": 2},
                   rules(Rule(match="*", kind="exact")))
    # equal magnitudes (UNBOUNDED): by path, so the missing 'd' is the one left out
    assert many.summary() == ("diverge: 4 of 5 observables beyond tolerance (a: 1 vs 2, exact; b: 1 vs 2, exact; "
                              "c: 1 vs 2, exact; and 1 more)")


def test_an_agreeing_summary_counts_what_is_not_equal():
    result = compare({"a": 1, "b": "x", "t": "09:00:00"}, {"a": 1, "b": "y", "t": "09:00:01"},
                     rules(Rule(match="t", kind="absolute", value=2)))
    assert result.verdict == "agree"
    assert result.summary() == "agree: 0 of 3 observables beyond tolerance (1 within, 1 unjudged)"
    assert compare({"a": 1}, {"a": 1}, rules()).summary() == "agree: 0 of 1 observables beyond tolerance"


def test_to_dict_is_plain_json_and_byte_stable():
    base = dict(BASE, money=Decimal("1.50"))
    cand = dict(CAND, money=Decimal("1.5"))
    first = compare(base, cand, RULES, baseline_name="legacy", candidate_name="sfn").to_dict()
    text = json.dumps(first, sort_keys=True)
    again = json.dumps(compare(dict(reversed(list(base.items()))), cand, RULES, baseline_name="legacy",
                               candidate_name="sfn").to_dict(), sort_keys=True)
    assert text == again
    assert list(first) == ["baseline", "candidate", "rules", "verdict", "counts", "rows"]
    (money,) = [r for r in first["rows"] if r["observable"] == "money"]
    assert money == {"observable": "money", "baseline": "1.50", "candidate": "1.5", "status": "equal",
                     "rule": None, "delta": None, "magnitude": 0.0, "detail": ""}
    (a,) = [r for r in first["rows"] if r["observable"] == "result.weights.A"]
    assert a["rule"] == {"match": "result.weights.*", "kind": "absolute", "value": 1e-06, "why": ""}
    assert json.loads(text)["verdict"] == "diverge"


def test_empty_documents_agree():
    result = compare({}, {}, rules())
    assert (result.verdict, result.rows, result.summary()) == ("agree", (), "agree: 0 of 0 observables beyond tolerance")
