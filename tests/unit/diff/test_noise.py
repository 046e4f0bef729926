"""noise_between(): what differs between seeds of one variant, beyond what the rules allow."""

from __future__ import annotations

import pytest

from sim.diff import Rule, RuleSet, compare, noise_between

RULES = RuleSet(name="r", rules=[Rule(match="timing.*", kind="absolute", value=1),
                                 Rule(match="emails", kind="set"),
                                 Rule(match="debug.*", kind="ignore")])

RUNS = [
    {"timing": {"ready_at": "15:45:34.2", "start": "09:00:00"}, "count": 13, "emails": ["a", "b"],
     "debug": {"pid": 1}, "name": "x"},
    {"timing": {"ready_at": "15:45:36", "start": "09:00:00.5"}, "count": 13, "emails": ["b", "a"],
     "debug": {"pid": 2}, "name": "y"},
    {"timing": {"ready_at": "15:45:35", "start": "09:00:00"}, "count": 14, "emails": ["a", "b"],
     "debug": {"pid": 3}},
]


def test_paths_that_differ_beyond_their_rules_are_noise_with_their_spread():
    assert noise_between(RUNS, RULES) == {
        "count": "differs across seeds 0,1,2: 13 .. 14",
        "name": "differs across seeds 0,1,2: x | y | missing",
        "timing.ready_at": "differs across seeds 0,1,2: 15:45:34.2 .. 15:45:36",
    }


def test_paths_within_tolerance_ignored_or_reordered_sets_are_not_noise():
    noise = noise_between(RUNS, RULES)
    assert not {"timing.start", "emails", "debug.pid"} & set(noise)


def test_labels_name_the_seeds_and_must_match_the_runs():
    noise = noise_between(RUNS[:2], RULES, labels=[7, 42])
    assert noise["timing.ready_at"] == "differs across seeds 7,42: 15:45:34.2 .. 15:45:36"
    with pytest.raises(ValueError, match="3 runs but 2 labels"):
        noise_between(RUNS, RULES, labels=["a", "b"])


def test_one_run_or_none_has_no_noise():
    assert noise_between(RUNS[:1], RULES) == {}
    assert noise_between([], RULES) == {}


def test_the_result_is_sorted_by_path():
    noise = noise_between([{"b": 1, "a": 1}, {"b": 2, "a": 2}], RuleSet(name="none"))
    assert list(noise) == ["a", "b"]


def test_many_distinct_values_are_cut_to_three():
    noise = noise_between([{"v": s} for s in "abcde"], RuleSet(name="none"))
    assert noise["v"] == "differs across seeds 0,1,2,3,4: a | b | c (+2 more)"


def test_noise_turns_a_between_variant_difference_into_noise():
    noise = noise_between(RUNS, RULES)
    result = compare(RUNS[0], {**RUNS[0], "timing": {"ready_at": "15:45:37", "start": "09:00:00"}}, RULES,
                     noise=noise)
    (row,) = [r for r in result.rows if r.observable == "timing.ready_at"]
    assert row.status == "noise" and result.verdict == "agree"
