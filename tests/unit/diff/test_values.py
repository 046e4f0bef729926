"""Flattening documents and reading values: numbers, numeric strings, times."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sim.diff import flatten
from sim.diff.values import as_decimal, as_seconds, canonical, canonical_text, measure


def test_flatten_gives_dotted_paths_and_keeps_lists_and_scalars_as_leaves():
    doc = {"result": {"sum": "1.0", "weights": {"A": "0.29", "B": 0.71}}, "signal": {"count": 13},
           "emails": ["subj a"], "timing": {"ready_at": "15:45:34.688"}, "empty": {}, "none": None}
    assert flatten(doc) == {
        "empty": {}, "emails": ["subj a"], "none": None, "result.sum": "1.0", "result.weights.A": "0.29",
        "result.weights.B": 0.71, "signal.count": 13, "timing.ready_at": "15:45:34.688"}


def test_flatten_keeps_keys_with_dots_as_they_are():
    assert flatten({"ver.sion": {"a.b": 1}}) == {"ver.sion.a.b": 1}


def test_flatten_refuses_a_path_that_occurs_twice():
    with pytest.raises(ValueError, match="'a.b' occurs twice"):
        flatten({"a": {"b": 1}, "a.b": 2})


def test_flatten_does_not_walk_into_dicts_inside_lists():
    assert flatten({"rows": [{"x": 1}]}) == {"rows": [{"x": 1}]}


@pytest.mark.parametrize("value, expected", [
    (1, Decimal(1)), (0.29, Decimal("0.29")), ("0.2900", Decimal("0.2900")), (Decimal("1e-3"), Decimal("0.001")),
    (" -2.5 ", Decimal("-2.5")), ("1E+2", Decimal(100)), (".5", Decimal("0.5")),
])
def test_numbers_and_numeric_strings_are_numbers(value, expected):
    assert as_decimal(value) == expected


@pytest.mark.parametrize("value", [True, False, None, "abc", "1,000", "NaN", "Infinity", float("nan"),
                                   float("inf"), "15:45:34", [1], {"a": 1}, ""])
def test_other_values_are_not_numbers(value):
    assert as_decimal(value) is None


def test_times_of_day_are_seconds_since_midnight():
    assert as_seconds("15:45:34.688") == Decimal("56734.688")
    assert as_seconds("09:00:00") == Decimal(32400)
    assert as_seconds("9:00:01") == Decimal(32401)


def test_iso_datetimes_are_seconds_since_the_epoch_and_naive_ones_are_utc():
    assert as_seconds("1970-01-01T00:01:00Z") == Decimal(60)
    assert as_seconds("1970-01-01T00:01:00") == Decimal(60)
    assert as_seconds("1970-01-01 00:00:01.5+00:00") == Decimal("1.5")
    assert as_seconds("2026-01-14T15:45:00-05:00") - as_seconds("2026-01-14T20:44:58Z") == 2


@pytest.mark.parametrize("value", ["2026-01-14", "15:45", "noon", "25", 25, "2026-13-40T00:00:00"])
def test_other_values_are_not_times(value):
    assert as_seconds(value) is None


def test_measure_needs_two_values_of_one_sort():
    assert measure("0.29", 0.2) == (Decimal("0.29"), Decimal("0.2"))
    assert measure("15:45:36", "15:45:34.5") == (Decimal(56736), Decimal("56734.5"))
    assert measure(56734, "15:45:34") is None
    assert measure("a", "b") is None


def test_canonical_forms_make_equal_numbers_equal_and_keep_strings_apart():
    assert canonical("0.29") == canonical(0.29) == canonical(Decimal("0.2900")) == {"$n": "0.29"}
    assert canonical(0) == canonical("-0.0") == canonical("0E-4")
    assert canonical(100) == canonical("1e2")
    assert canonical(True) is True and canonical(True) != canonical(1)
    assert canonical(["1.0", {"b": "2"}]) == [{"$n": "1"}, {"b": {"$n": "2"}}]
    assert canonical("15:45:34.688") == "15:45:34.688"
    assert canonical_text({"b": 1, "a": "x"}) == '{"a":"x","b":{"$n":"1"}}'
