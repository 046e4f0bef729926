"""Choice rules of JSONPath Choice states: every operator family, the Path forms,
And/Or/Not, missing paths, and the error AWS raises for them."""

from __future__ import annotations

import pytest

from sim.asl import choice
from sim.asl.env import Env, Variables
from sim.asl.errors import AslDefinitionError, StatesError


def env(**variables) -> Env:
    return Env(context={"Execution": {"Input": {"input-value": 0}, "Name": "run-1"}},
               variables=Variables(values=dict(variables)))


def holds(op: str, value, operand, doc_extra: dict | None = None) -> bool:
    """One data test on {"v": value} with a literal operand (or a path into the doc)."""
    doc = {"v": value, **(doc_extra or {})}
    return choice.evaluate({"Variable": "$.v", op: operand}, doc, env())


# ------------------------------------------------------------------ strings

@pytest.mark.parametrize("op, value, operand, want", [
    ("StringEquals", "Hello", "Hello", True),
    ("StringEquals", " ", "     ", False),
    ("StringEquals", "hello", "Hello", False),  # no case folding
    ("StringLessThan", "A", "AB", True),
    ("StringLessThan", "", "", False),
    ("StringGreaterThan", "AB", "A", True),
    ("StringGreaterThan", "A", "A ", False),
    ("StringLessThanEquals", "", "", True),
    ("StringLessThanEquals", "AB", "A", False),
    ("StringGreaterThanEquals", "A", "A", True),
    ("StringGreaterThanEquals", "A", "AB", False),
    # a value of another type is never equal, less or greater
    ("StringEquals", 1, "1", False),
    ("StringEquals", None, "null", False),
    ("StringEquals", ["a"], "a", False),
    ("StringLessThan", 0, "1", False),
])
def test_string_comparisons(op, value, operand, want):
    assert holds(op, value, operand) is want


def test_string_order_is_javas_utf16_order_not_code_points():
    # U+10000 is a surrogate pair (D800 DC00) in UTF-16, so Java orders it before U+FFFF
    assert holds("StringLessThan", "\U00010000", "\uffff") is True
    assert holds("StringGreaterThan", "\uffff", "\U00010000") is True
    assert holds("StringLessThan", "é", "ê") is True  # non-ASCII, same plane: plain order


@pytest.mark.parametrize("op, value, other, want", [
    ("StringEqualsPath", "Hello", "Hello", True),
    ("StringEqualsPath", "Hello", 5, False),
    ("StringLessThanPath", "A", "AB", True),
    ("StringGreaterThanPath", "AB", "ABC", False),
    ("StringLessThanEqualsPath", "A", "A", True),
    ("StringGreaterThanEqualsPath", "", "", True),
])
def test_string_path_forms_compare_with_another_value_of_the_input(op, value, other, want):
    assert holds(op, value, "$.other", {"other": other}) is want


@pytest.mark.parametrize("value, pattern, want", [
    ("log-17.txt", "log-*.txt", True),
    ("log-.txt", "log-*.txt", True),
    ("log-17.csv", "log-*.txt", False),
    ("foobar.zebra", "foo*.*", True),
    ("anything\nat all", "*", True),
    ("a*b", "a\\*b", True),  # \* is a literal star
    ("axxb", "a\\*b", False),
    ("a\\b", "a\\\\b", True),  # \\ is a literal backslash
    ("a.c", "a?c", False),  # only * is special
    ("abc", "a.c", False),
    (17, "*", False),  # not a string
])
def test_string_matches(value, pattern, want):
    assert holds("StringMatches", value, pattern) is want


def test_string_matches_with_an_open_escape_fails_the_state():
    with pytest.raises(StatesError) as err:
        holds("StringMatches", "x", "x\\")
    assert err.value.error == "States.Runtime"


# ------------------------------------------------------------------ numbers

@pytest.mark.parametrize("op, value, operand, want", [
    ("NumericEquals", 1, 1.0, True),
    ("NumericEquals", 0.0, 0, True),
    ("NumericEquals", 2.22, 2.22, True),
    ("NumericEquals", 1.1, 1, False),
    ("NumericEquals", True, 1, False),  # a boolean is not a number
    ("NumericEquals", False, 0.0, False),
    ("NumericEquals", "1", 1, False),
    ("NumericEquals", None, 0, False),
    ("NumericEquals", [1], 1, False),
    ("NumericEquals", {}, 0, False),
    ("NumericLessThan", 0, 1, True),
    ("NumericLessThan", 1, 1, False),
    ("NumericGreaterThan", 1, 0, True),
    ("NumericGreaterThan", 0.0, 0, False),
    ("NumericLessThanEquals", 0.0, 0, True),
    ("NumericLessThanEquals", 2, 1.5, False),
    ("NumericGreaterThanEquals", 1, 1, True),
    ("NumericGreaterThanEquals", -3, 0, False),
])
def test_numeric_comparisons(op, value, operand, want):
    assert holds(op, value, operand) is want


@pytest.mark.parametrize("op, value, other, want", [
    ("NumericEqualsPath", 0, 0.0, True),
    ("NumericEqualsPath", 1, "1", False),  # the operand path's value must be a number too
    ("NumericEqualsPath", 1, True, False),
    ("NumericLessThanPath", 0, 1, True),
    ("NumericGreaterThanPath", 1, 1, False),
    ("NumericLessThanEqualsPath", 1, 1, True),
    ("NumericGreaterThanEqualsPath", 0.0, 0, True),
])
def test_numeric_path_forms(op, value, other, want):
    assert holds(op, value, "$.other", {"other": other}) is want


# ------------------------------------------------------------------ booleans

@pytest.mark.parametrize("value, operand, want", [
    (True, True, True), (False, False, True), (False, True, False),
    (1, True, False), (0, False, False), ("true", True, False), (None, False, False),
])
def test_boolean_equals(value, operand, want):
    assert holds("BooleanEquals", value, operand) is want


@pytest.mark.parametrize("value, other, want", [
    (False, False, True), (True, False, False), (1.1, True, False), (True, "true", False),
])
def test_boolean_equals_path(value, other, want):
    assert holds("BooleanEqualsPath", value, "$.other", {"other": other}) is want


# ------------------------------------------------------------------ timestamps

T0, T1 = "2012-10-09T19:00:55Z", "2012-10-09T19:00:56Z"


@pytest.mark.parametrize("op, value, operand, want", [
    ("TimestampEquals", T0, T0, True),
    ("TimestampEquals", T0, T1, False),
    ("TimestampEquals", "2012-10-09T20:00:55+01:00", T0, True),  # same instant, other offset
    ("TimestampEquals", "2012-10-09T19:00:55.000Z", T0, True),
    ("TimestampLessThan", "2012-10-09T19:00:55.5Z", T1, True),
    ("TimestampGreaterThan", "2012-10-09T19:00:55.000000001Z", T0, True),
    ("TimestampGreaterThan", T1, T0, True),
    ("TimestampLessThan", T1, T0, False),
    ("TimestampLessThanEquals", T0, T0, True),
    ("TimestampGreaterThanEquals", T0, T1, False),
    # not RFC 3339 as AWS requires it: no offset, a space, a bare date, lowercase t, Feb 30
    ("TimestampEquals", "2012-10-09T19:00:55", T0, False),
    ("TimestampEquals", "2012-10-09 19:00:55Z", T0, False),
    ("TimestampEquals", "2012-10-09", T0, False),
    ("TimestampEquals", "2012-10-09t19:00:55Z", T0, False),
    ("TimestampLessThan", "2012-02-30T00:00:00Z", T0, False),
    ("TimestampEquals", 0, T0, False),
    ("TimestampEquals", None, T0, False),
])
def test_timestamp_comparisons(op, value, operand, want):
    assert holds(op, value, operand) is want


@pytest.mark.parametrize("op, value, other, want", [
    ("TimestampEqualsPath", T0, T0, True),
    ("TimestampEqualsPath", T1, T0, False),
    ("TimestampGreaterThanPath", T0, T1, False),
    ("TimestampGreaterThanEqualsPath", T1, T0, True),
    ("TimestampLessThanPath", T0, T1, True),
    ("TimestampLessThanEqualsPath", T1, T0, False),
    ("TimestampEqualsPath", T0, "not a time", False),
])
def test_timestamp_path_forms(op, value, other, want):
    assert holds(op, value, "$.other", {"other": other}) is want


# ------------------------------------------------------------------ type tests

@pytest.mark.parametrize("op, value, want", [
    ("IsNull", None, True), ("IsNull", 0, False), ("IsNull", "", False), ("IsNull", [], False),
    ("IsNumeric", 0, True), ("IsNumeric", 1.1, True), ("IsNumeric", True, False), ("IsNumeric", "1", False),
    ("IsString", "", True), ("IsString", "2012-10-09T19:00:55Z", True), ("IsString", [""], False),
    ("IsString", None, False),
    ("IsBoolean", False, True), ("IsBoolean", 0, False), ("IsBoolean", "true", False),
    ("IsTimestamp", T0, True), ("IsTimestamp", "2012-10-09T19:00:55+01:00", True),
    ("IsTimestamp", "2012-10-09T19:00:55", False), ("IsTimestamp", "2023-02-24", False),
    ("IsTimestamp", 1349809255, False),
])
def test_type_tests_with_true_and_false(op, value, want):
    assert holds(op, value, True) is want
    assert holds(op, value, False) is (not want)


def test_is_present_is_the_one_operator_that_accepts_a_missing_path():
    doc = {"present": None}
    assert choice.evaluate({"Variable": "$.present", "IsPresent": True}, doc, env()) is True
    assert choice.evaluate({"Variable": "$.present", "IsPresent": False}, doc, env()) is False
    assert choice.evaluate({"Variable": "$.absent", "IsPresent": True}, doc, env()) is False
    assert choice.evaluate({"Variable": "$.absent", "IsPresent": False}, doc, env()) is True
    assert choice.evaluate({"Variable": "$.present.deeper", "IsPresent": False}, doc, env()) is True


# ------------------------------------------------------------------ missing paths: AWS's error

MISSING = "Invalid path '{}': The choice state's condition path references an invalid value."


@pytest.mark.parametrize("rule", [
    {"Variable": "$.absent", "StringEquals": "x"},
    {"Variable": "$.absent", "NumericEquals": 0},
    {"Variable": "$.absent", "IsNull": True},  # IsNull does not test presence
    {"Variable": "$.absent", "IsString": False},
    {"Variable": "$.absent", "StringMatches": "*"},
    {"Variable": "$.absent", "BooleanEqualsPath": "$.flag"},
])
def test_a_missing_variable_fails_the_state_with_aws_wording(rule):
    with pytest.raises(StatesError) as err:
        choice.evaluate(rule, {"flag": True}, env())
    assert err.value.error == "States.Runtime"
    assert err.value.cause == MISSING.format("$.absent")
    assert err.value.located  # the engine prefixes the state's name and event id


def test_a_missing_operand_path_fails_the_state_naming_that_path():
    with pytest.raises(StatesError) as err:
        choice.evaluate({"Variable": "$.v", "NumericEqualsPath": "$.nowhere"}, {"v": 1}, env())
    assert err.value.cause == MISSING.format("$.nowhere")


# ------------------------------------------------------------------ And / Or / Not

def test_boolean_expressions_nest():
    rule = {"And": [
        {"Variable": "$.value", "NumericGreaterThanEquals": 20},
        {"Or": [{"Variable": "$.value", "NumericLessThan": 30},
                {"Not": {"Variable": "$.type", "StringEquals": "Private"}}]},
    ]}
    assert choice.evaluate(rule, {"value": 22, "type": "Private"}, env()) is True
    assert choice.evaluate(rule, {"value": 35, "type": "Private"}, env()) is False
    assert choice.evaluate(rule, {"value": 35, "type": "Public"}, env()) is True
    assert choice.evaluate(rule, {"value": 5, "type": "Public"}, env()) is False


def test_and_or_stop_at_the_deciding_rule_so_a_guarded_missing_path_is_no_error():
    guarded = {"And": [{"Variable": "$.maybe", "IsPresent": True},
                       {"Variable": "$.maybe", "StringEquals": "foo"}]}
    assert choice.evaluate(guarded, {}, env()) is False
    either = {"Or": [{"Variable": "$.maybe", "IsPresent": False},
                     {"Variable": "$.maybe", "StringEquals": "foo"}]}
    assert choice.evaluate(either, {}, env()) is True
    with pytest.raises(StatesError):  # unguarded, the same test is an error
        choice.evaluate({"Or": either["Or"][::-1]}, {}, env())


def test_a_singleton_and_is_its_one_rule():
    rule = {"And": [{"Variable": "$.type", "StringEquals": "Public"}]}
    assert choice.evaluate(rule, {"type": "Public"}, env()) is True
    assert choice.evaluate(rule, {"type": "Private"}, env()) is False


# ------------------------------------------------------------------ context object and variables

def test_variable_may_read_the_context_object_and_variables():
    e = env(guess="the_answer", answer="the_answer", other="x")
    assert choice.evaluate({"Variable": "$$.Execution.Input.input-value", "NumericLessThanEquals": 0},
                           {}, e) is True
    assert choice.evaluate({"Variable": "$guess", "StringEqualsPath": "$answer"}, {}, e) is True
    assert choice.evaluate({"Variable": "$other", "StringEqualsPath": "$answer"}, {}, e) is False
    assert choice.evaluate({"Variable": "$undefined", "IsPresent": False}, {}, e) is True


# ------------------------------------------------------------------ choose / match / compile

CHOICES = [
    {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
    {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
    {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
             {"Variable": "$.value", "NumericLessThan": 30}],
     "Assign": {"range": "twenties"}, "Next": "ValueInTwenties"},
]


@pytest.mark.parametrize("doc, want", [
    ({"type": "Private", "value": 22}, "ValueInTwenties"),
    ({"type": "Private", "value": 0}, "ValueIsZero"),
    ({"type": "Public", "value": 0}, "Public"),  # the first matching rule wins
    ({"type": "Private", "value": 50}, None),  # no rule: the engine takes Default
])
def test_choose_returns_the_next_of_the_first_rule_that_holds(doc, want):
    assert choice.choose(CHOICES, doc, env()) == want


def test_match_returns_the_rule_so_the_engine_can_run_its_assign():
    rule = choice.match(CHOICES, {"type": "Private", "value": 22}, env())
    assert rule is CHOICES[2] and rule["Assign"] == {"range": "twenties"}


def test_a_compiled_matcher_is_reusable_across_inputs():
    first_match = choice.compile_choices(CHOICES)
    assert first_match({"type": "Private", "value": 0}, env())["Next"] == "ValueIsZero"
    assert first_match({"type": "Public", "value": 0}, env())["Next"] == "Public"
    assert first_match({"type": "Private", "value": 99}, env()) is None


@pytest.mark.parametrize("rule", [
    {"Variable": "$.v", "StringEquals": "a", "NumericEquals": 1},  # two operators
    {"Variable": "$.v"},  # none
    {"Variable": "$.v", "StringContains": "a"},  # not an operator
    {"Variable": "$.v", "BooleanLessThan": True},  # booleans only compare for equality
    {"And": []},
    {"Next": "X"},
])
def test_malformed_rules_are_definition_errors(rule):
    with pytest.raises(AslDefinitionError):
        choice.compile_rule(rule)
