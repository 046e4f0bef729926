"""sim.asl.intrinsics: the parser, every States.* function, and the error wording."""

from __future__ import annotations

import hashlib
import random
import uuid

import pytest

from sim.asl import intrinsics
from sim.asl.env import Env, Variables
from sim.asl.errors import StatesError, StatesErrorName
from sim.asl.intrinsics import IntrinsicSyntaxError

DOC = {"name": "Arnav", "template": "Hello, my name is {}.", "arr": [1, 2, 3, 4, 5, 6, 7, 8, 9],
       "obj": {"Arg1": 1, "Arg2": []}, "n": None, "f": 1.1, "s": "input data"}


def env(seed: int = 0, variables: dict | None = None) -> Env:
    ctx = {"StateMachine": {"Name": "test-state-machine"}, "Execution": {"Input": {"csv": "a,b"}}}
    return Env(context=ctx, variables=Variables(values=dict(variables or {})), rng=random.Random(seed))


def ev(expr: str, doc=DOC, e: Env | None = None):
    return intrinsics.evaluate(expr, doc, e or env(), "FunctionResult.$")


def failure(expr: str, doc=DOC, e: Env | None = None) -> StatesError:
    with pytest.raises(StatesError) as exc:
        ev(expr, doc, e)
    err = exc.value
    assert err.error == StatesErrorName.RUNTIME and err.located
    assert err.cause.startswith(f"The function '{expr}' had the following error: ")
    return err


# ---------------------------------------------------------------- parsing

@pytest.mark.parametrize("text, expected", [
    ("States.Format('x')", True), ("  States.UUID()", True), ("States.Nope", False),
    ("$.a", False), ("States", False), (42, False), (None, False),
])
def test_is_intrinsic(text, expected):
    assert intrinsics.is_intrinsic(text) is expected


def test_parse_builds_a_nested_call_tree_and_is_cached():
    expr = "States.Array('a', 1, -2.5, true, false, null, $.x, $$.y, $v.z, States.UUID())"
    tree = intrinsics.parse(expr)
    assert tree[0:2] == ("call", "Array")
    assert [a[0] for a in tree[2]] == ["str", "lit", "lit", "lit", "lit", "lit", "path", "path", "path", "call"]
    assert [a[1] for a in tree[2][1:6]] == [1, -2.5, True, False, None]
    assert [a[1] for a in tree[2][6:9]] == ["$.x", "$$.y", "$v.z"]
    assert intrinsics.parse(expr) is tree


@pytest.mark.parametrize("expr", [
    "States.Nope(1)", "States.Array(", "States.Array('open)", "States.Array(1 2)",
    "States.Array(1) trailing", "States.Array(bogus)", "States.Array($.a[)", "States.Format('x\\",
])
def test_parse_errors(expr):
    with pytest.raises(IntrinsicSyntaxError):
        intrinsics.parse(expr)


def test_syntax_errors_at_runtime_are_states_runtime():
    failure("States.Nope(1)")


def test_string_escapes():
    assert ev(r"States.Format('it\'s \\ here')") == "it's \\ here"
    assert ev(r"States.Format('\{\} stays, {} fills', 1)") == "{} stays, 1 fills"
    assert ev(r"States.Array('\{}')") == ["{}"]


def test_paths_with_spaces_commas_and_parentheses_in_brackets():
    doc = {"a b": 1, "c,d": 2, "e)": 3}
    assert ev("States.Array($['a b'], $['c,d'], $['e)'])", doc) == [1, 2, 3]


# ---------------------------------------------------------------- States.Format

@pytest.mark.parametrize("value, text", [
    ("", ""), (" ", " "), ("HelloWorld", "HelloWorld"), (None, "null"), (1, "1"), (1.1, "1.1"),
    (1.0, "1.0"), (True, "true"), ("{\"Arg1\": 1}", "{\"Arg1\": 1}"),
    ({"Arg1": 1, "Arg2": []}, "{Arg1=1, Arg2=[]}"), ([1, "a", None, {"k": "v"}], "[1, a, null, {k=v}]"),
    (1e21, "1.0E21"), (1.5e-5, "1.5E-5"), (12345678.5, "1.23456785E7"),
])
def test_format_prints_values_as_java_does(value, text):
    assert ev("States.Format('v={}.', $.v)", {"v": value}) == f"v={text}."


def test_format_with_template_from_a_path_and_from_a_variable():
    assert ev("States.Format($.template, $.name)") == "Hello, my name is Arnav."
    assert ev("States.Format($t, $.name)", e=env(variables={"t": "It's {}!"})) == "It's Arnav!"


def test_format_placeholder_count_must_match():
    assert "placeholder" in failure("States.Format('{} and {}', $.name)").cause
    assert "placeholder" in failure("States.Format('{}', 1, 2)").cause


def test_format_template_must_be_a_string():
    failure("States.Format($.arr, 1)")


# ---------------------------------------------------------------- JSON

@pytest.mark.parametrize("text, value", [
    ("", None), ("  ", None), ("-0", 0), ("1", 1), ("1.1", 1.1), ("[1, 2, \"HelloWorld\"]", [1, 2, "HelloWorld"]),
    ("{\"a\": {\"b\": null}}", {"a": {"b": None}}), ("true", True), ("\"s\"", "s"),
])
def test_string_to_json(text, value):
    assert ev("States.StringToJson($.t)", {"t": text}) == value


@pytest.mark.parametrize("text", ["{bad", "NaN", "[1,", "1 2"])
def test_string_to_json_rejects_invalid_json(text):
    failure("States.StringToJson($.t)", {"t": text})


def test_string_to_json_needs_a_string():
    failure("States.StringToJson($.arr)")


@pytest.mark.parametrize("value, text", [
    (None, "null"), (1.1, "1.1"), (True, "true"), ("HelloWorld", "\"HelloWorld\""),
    ([1, 2, "HelloWorld"], "[1,2,\"HelloWorld\"]"), ({"Arg1": 1, "Arg2": []}, "{\"Arg1\":1,\"Arg2\":[]}"),
])
def test_json_to_string(value, text):
    assert ev("States.JsonToString($.v)", {"v": value}) == text


def test_json_merge_is_shallow_and_right_biased():
    doc = {"a": {"a": {"a1": 1}, "b": 2, "d": 3}, "b": {"a": {"a3": 1}, "c": 3, "d": 4}}
    assert ev("States.JsonMerge($.a, $.b, false)", doc) == {"a": {"a3": 1}, "b": 2, "c": 3, "d": 4}
    assert doc["a"] == {"a": {"a1": 1}, "b": 2, "d": 3}


def test_json_merge_refuses_deep_mode_and_non_objects():
    assert "shallow" in failure("States.JsonMerge($.obj, $.obj, true)").cause
    failure("States.JsonMerge($.arr, $.obj, false)")
    failure("States.JsonMerge($.obj, $.obj, 'false')")


def test_json_merge_of_a_parsed_literal_and_the_execution_input():
    e = env()
    e.context["Execution"]["Input"] = {"input_field": {"constant_input_field": "constant_value"}}
    expr = "States.JsonMerge(States.StringToJson('{\"constant_in_literal\": \"false\"}'), $$.Execution.Input.input_field, false)"
    assert ev(expr, {}, e) == {"constant_in_literal": "false", "constant_input_field": "constant_value"}


# ---------------------------------------------------------------- arrays

def test_array():
    assert ev("States.Array()") == []
    assert ev("States.Array($.name, 1, $.obj)") == ["Arnav", 1, {"Arg1": 1, "Arg2": []}]


@pytest.mark.parametrize("arr, size, chunks", [
    ([], 1, []), ([0, 1, 2, 3], 3, [[0, 1, 2], [3]]), ([0, 1], 5, [[0, 1]]), ([0, 1, 2, 3], 1.6, [[0, 1], [2, 3]]),
])
def test_array_partition(arr, size, chunks):
    assert ev("States.ArrayPartition($.a, $.s)", {"a": arr, "s": size}) == chunks


@pytest.mark.parametrize("size", [0, -1, 0.4, "2"])
def test_array_partition_needs_a_positive_chunk_size(size):
    failure("States.ArrayPartition($.arr, $.s)", {"arr": [1], "s": size})


@pytest.mark.parametrize("arr, value, found", [
    ([], None, False), ([[1, 2, 3], 2], [1, 2, 3], True), ([{"1": 2, "2": []}], {"1": 2, "2": []}, True),
    ([True, False], False, True), ([1], True, False), ([1.0], 1, True), ([None], None, True),
])
def test_array_contains(arr, value, found):
    assert ev("States.ArrayContains($.a, $.v)", {"a": arr, "v": value}) is found


@pytest.mark.parametrize("args, result", [
    ("0, 10, 3", [0, 3, 6, 9]), ("1, 9, 9", [1]), ("1, 9, 2", [1, 3, 5, 7, 9]), ("9, 1, -4", [9, 5, 1]),
    ("1, 0, 1", []), ("0.6, 2.4, 1", [1, 2]), ("0, 999, 1", list(range(1000))),
])
def test_array_range(args, result):
    assert ev(f"States.ArrayRange({args})") == result


def test_array_range_limits():
    assert "1000" in failure("States.ArrayRange(0, 1000, 1)").cause
    failure("States.ArrayRange(0, 10, 0)")
    failure("States.ArrayRange('0', 10, 1)")


def test_array_get_item_and_length():
    assert ev("States.ArrayGetItem($.arr, 5)") == 6
    assert ev("States.ArrayLength($.arr)") == 9
    assert ev("States.ArrayLength(States.Array())") == 0


@pytest.mark.parametrize("index", ["9", "-1", "1.5", "'1'"])
def test_array_get_item_rejects_bad_indexes(index):
    failure(f"States.ArrayGetItem($.arr, {index})")


def test_array_length_needs_an_array():
    failure("States.ArrayLength($.name)")


def test_array_unique_keeps_first_occurrences_and_distinguishes_booleans():
    doc = {"a": [1, 2, 2, 3, 1.0, True, "1", None, None, {"k": [1]}, {"k": [1]}]}
    assert ev("States.ArrayUnique($.a)", doc) == [1, 2, 3, True, "1", None, {"k": [1]}]


# ---------------------------------------------------------------- encoding and hashing

def test_base64_round_trip():
    assert ev("States.Base64Encode('Data to encode')") == "RGF0YSB0byBlbmNvZGU="
    assert ev("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')") == "Data to encode"
    assert ev("States.Base64Decode('')") == ""
    assert ev("States.Base64Decode(States.Base64Encode('héllo ✓'))") == "héllo ✓"


def test_base64_errors_and_limits():
    failure("States.Base64Decode('not base64!')")
    failure("States.Base64Encode($.arr)")
    failure("States.Base64Encode($.big)", {"big": "x" * 10_001})
    assert ev("States.Base64Encode($.big)", {"big": "x" * 10_000})


@pytest.mark.parametrize("algorithm, expected", [
    ("MD5", "812f45842bc6d66ee14572ce20db8e86"),
    ("SHA-1", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
    ("SHA-256", "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"),
    ("SHA-384", hashlib.sha384(b"input data").hexdigest()),
])
def test_hash(algorithm, expected):
    assert ev("States.Hash($.s, $.alg)", {"s": "input data", "alg": algorithm}) == expected


def test_hash_rejects_unknown_algorithms_and_non_strings():
    failure("States.Hash($.s, 'SHA-2')")
    failure("States.Hash($.arr, 'MD5')")


# ---------------------------------------------------------------- math

@pytest.mark.parametrize("a, b, total", [
    (-9, 3, -6), (1.49, 1.5, 3), (-1.5, 0, -1), (-1.51, 0, -2), (0.5, 0, 1), (2.5, 0, 3),
    (-0.5, 0.5, 1), (-2.5, 0, -2), (-3.5, 0, -3), (-1.49, -1.5, -2), (1.49, -1.49, 0),
])
def test_math_add_rounds_each_argument_half_up(a, b, total):
    result = ev("States.MathAdd($.a, $.b)", {"a": a, "b": b})
    assert result == total and type(result) is int


def test_math_add_limits_and_types():
    failure("States.MathAdd(2147483647, 1)")
    failure("States.MathAdd(-2147483649, 0)")
    failure("States.MathAdd('1', 1)")
    failure("States.MathAdd(true, 1)")
    failure("States.MathAdd(1)")


def test_math_random_uses_the_env_stream_and_stays_in_range():
    values = [ev("States.MathRandom(12.5, 44.51)", e=env(seed)) for seed in range(50)]
    assert all(type(v) is int and 13 <= v < 45 for v in values)
    assert len(set(values)) > 5
    assert ev("States.MathRandom(0, 999)", e=env(7)) == ev("States.MathRandom(0, 999)", e=env(7))


def test_math_random_with_a_seed_repeats_like_java_util_random():
    # java.util.Random(42).nextInt(10) == 0 and .nextInt(100) == 30 (Java's documented LCG)
    assert ev("States.MathRandom(0, 10, 42)", e=env(1)) == 0
    assert ev("States.MathRandom(5, 105, 42)", e=env(2)) == 35


def test_math_random_needs_start_below_end():
    failure("States.MathRandom(5, 5)")


# ---------------------------------------------------------------- strings and UUID

@pytest.mark.parametrize("text, delims, parts", [
    (" ", ",", [" "]), (" , ", ",", [" ", " "]), ("1,2,3,4,5", ",", ["1", "2", "3", "4", "5"]),
    ("This.is+a,test=string", ".+,=", ["This", "is", "a", "test", "string"]),
    ("split on T and \nnew line", "T\n", ["split on ", " and ", "new line"]), (",,a,,", ",", ["a"]), ("", ",", []),
])
def test_string_split(text, delims, parts):
    assert ev("States.StringSplit($.t, $.d)", {"t": text, "d": delims}) == parts


def test_nested_calls_over_the_context_object():
    expr = ("States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), "
            "States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))")
    assert ev(expr) == "machine"


def test_uuid_is_a_v4_from_the_env_stream():
    first, again, other = ev("States.UUID()", e=env(3)), ev("States.UUID()", e=env(3)), ev("States.UUID()", e=env(4))
    parsed = uuid.UUID(first)
    assert parsed.version == 4 and str(parsed) == first
    assert first == again and first != other


def test_arity_is_checked():
    assert "argument" in failure("States.UUID(1)").cause
    failure("States.ArrayLength()")
    failure("States.JsonMerge($.obj, $.obj)")


# ---------------------------------------------------------------- path arguments

def test_missing_path_argument_names_the_whole_expression_and_the_argument():
    err = failure("States.Format('{} {}', $.name, $.a.b)", {"name": 1})
    assert err.cause == ("The function 'States.Format('{} {}', $.name, $.a.b)' had the following error: "
                         "The JsonPath argument for the field '$.a.b' could not be found in the input '{\"name\":1}'")


def test_index_past_the_end_is_a_miss_in_an_argument():
    err = failure("States.Format('{}', $.items[5])", {"items": [1, 2]})
    assert err.cause.endswith("The JsonPath argument for the field '$.items[5]' could not be found in the input "
                              "'{\"items\":[1,2]}'")


def test_indexing_a_non_array_lets_the_jayway_message_through():
    err = failure("States.Format('{}', $.other[0])", {"other": 1})
    assert err.cause.endswith("had the following error: Filter: [0] can only be applied to arrays. "
                              "Current context is: 1")


def test_missing_context_argument_is_shown_rerooted_against_the_state_input():
    err = failure("States.Format('{}', $$.Nope.Deep)", {"other": 1})
    assert err.cause.endswith("The JsonPath argument for the field '$.Nope.Deep' could not be found in the input "
                              "'{\"other\":1}'")


def test_null_argument_is_not_missing():
    assert ev("States.Format('{}', $.n)") == "null"


def test_variables_as_arguments():
    e = env(variables={"x": 2, "y": {"z": 3}})
    assert ev("States.MathAdd($x, $y.z)", e=e) == 5
    failure("States.MathAdd($nope, 1)", e=e)
