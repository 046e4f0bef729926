"""The JSONata layer: expressions, templates, AWS's added functions and AWS's error wording
(causes as recorded by AWS in the conformance corpus, before the engine's location prefix)."""

from __future__ import annotations

import hashlib
import random
import re
from datetime import datetime, timedelta, timezone

import pytest

from sim.asl import jsonata_ as J
from sim.asl.env import Env, Variables
from sim.asl.errors import StatesError

CONTEXT = {"Execution": {"Id": "arn:exec", "StartTime": "2024-05-01T10:00:00.000Z"},
           "State": {"Name": "S", "EnteredTime": "2024-05-01T10:00:05.250Z"}}


def make_env(seed: int = 7, **variables) -> Env:
    return Env(context=CONTEXT, variables=Variables(values=dict(variables)), rng=random.Random(seed))


def ev(expr: str, states: dict | None = None, env: Env | None = None, field: str = "Output", **kw):
    states = {"input": {}, "context": CONTEXT} if states is None else states
    return J.evaluate(expr, states, env or make_env(), field, **kw)


def cause_of(expr: str, field: str = "Output", **kw) -> str:
    with pytest.raises(J.QueryEvaluationError) as info:
        ev(expr, field=field, **kw)
    return info.value.cause


# ------------------------------------------------------------------ is_expression

@pytest.mark.parametrize("value", ["{% 1 %}", "{%1%}", "{% $states.input %}", "{%\n$x\n%}"])
def test_is_expression_accepts_delimited_strings(value):
    assert J.is_expression(value)


@pytest.mark.parametrize("value", [" {% states.input %} ", "{% 1 %} ", " {% 1 %}", "$states.input", "{% 1",
                                   "1 %}", "{%}", "", None, 3, ["{% 1 %}"], {"a": "{% 1 %}"}])
def test_is_expression_rejects_everything_else(value):
    assert not J.is_expression(value)


def test_expression_text_strips_delimiters_and_whitespace():
    assert J.expression_text("{%   $fn := function($x){$x}  %}") == "$fn := function($x){$x}"
    assert J.expression_text("plain") == "plain"


# ------------------------------------------------------------------ $states and variables

def test_states_bindings_are_visible():
    states = {"input": {"a": [1, 2, 3]}, "context": CONTEXT, "result": {"r": "x"},
              "errorOutput": {"Error": "E", "Cause": "C"}}
    assert ev("{% $sum($states.input.a) %}", states) == 6
    assert ev("{% $states.context.State.Name %}", states) == "S"
    assert ev("{% $states.result.r %}", states) == "x"
    assert ev("{% $states.errorOutput.Error & ':' & $states.errorOutput.Cause %}", states) == "E:C"


def test_evaluate_accepts_the_bare_expression_too():
    assert ev("1 + 2") == 3


def test_variables_are_bound_by_name():
    env = make_env(var_input_value="string literal", var_constant_1=1)
    states = {"input": {"input_values": [1, 2, 3]}, "context": CONTEXT}
    assert ev("{% $sum($states.input.input_values) + $var_constant_1 %}", states, env) == 7
    assert ev("{% $var_input_value %}", states, env) == "string literal"


def test_variables_of_outer_scopes_are_visible():
    outer = Variables(values={"x": 2})
    env = Env(context=CONTEXT, variables=outer.child({"y": 3}), rng=random.Random(0))
    assert ev("{% $x * $y %}", env=env) == 6


def test_json_null_is_a_value_not_undefined():
    env = make_env(nothing=None, arr=[1, None, 2])
    states = {"input": {"a": None, "o": {"k": None}}, "context": CONTEXT}
    assert ev("{% $nothing %}", states, env) is None
    assert ev("{% $states.input.a %}", states, env) is None
    assert ev("{% $type($nothing) %}", states, env) == "null"
    assert ev("{% $arr.$type($) %}", states, env) == ["number", "null", "number"]
    assert ev("{% $map($arr, function($v){$v}) %}", states, env) == [1, None, 2]
    assert ev("{% $states.input ~> |$|{'z': 1}| %}", states, env) == {"a": None, "o": {"k": None}, "z": 1}


def test_result_is_a_fresh_copy_of_the_input():
    states = {"input": {"a": {"b": [1]}}, "context": CONTEXT}
    out = ev("{% $states.input.a %}", states)
    out["b"].append(2)
    assert states["input"] == {"a": {"b": [1]}}


# ------------------------------------------------------------------ undefined and errors

def test_undefined_variable_error_wording_and_location():
    with pytest.raises(J.QueryEvaluationError) as info:
        ev("{% $doesNotExist %}", field="Assign/result")
    err = info.value
    assert isinstance(err, StatesError)
    assert err.error == "States.QueryEvaluationError" and err.located and err.location == "Assign/result"
    assert err.cause == ("The JSONata expression '$doesNotExist' specified for the field 'Assign/result' "
                         "returned nothing (undefined).")


def test_missing_path_is_undefined():
    assert cause_of("{% $states.input.missing %}").endswith("returned nothing (undefined).")


def test_function_result_is_unsupported():
    assert cause_of("{% $fn := function($x){$x} %}", field="Items") == (
        "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' "
        "returned an unsupported result type.")
    assert cause_of("{% {'f': function($x){$x}} %}").endswith("returned an unsupported result type.")


@pytest.mark.parametrize("expr, tail", [
    ("$randomSeeded(1)", "T1006: Attempted to invoke a non-function"),
    ("$eval('1+1')", "T1006: Attempted to invoke a non-function"),
    ("$abs('x')", 'T0410: Argument 1 of function "abs" does not match function signature'),
    ("$sum(['a'])", 'T0412: Argument 1 of function "sum" must be an array of "numbers"'),
    ("1 + 'a'", 'T2002: The right side of the "+" operator must evaluate to a number'),
    ("$number('abc')", 'D3030: Unable to cast value to a number: "abc"'),
    ("1/0", "D1001: Number out of range: null"),
    ("'a' < 1", 'T2009: The values "a" and 1 either side of operator "<" must be of the same data type'),
    ("1 +", "S0207: Unexpected end of expression"),
])
def test_jsonata_errors_use_aws_wording(expr, tail):
    assert cause_of("{% " + expr + " %}", field="Output/FunctionResult") == (
        f"The JSONata expression '{expr}' specified for the field 'Output/FunctionResult' "
        f"threw an error during evaluation. {tail}")


def test_syntax_error_helper_for_validation():
    assert J.syntax_error("{% 1 + %}") == "Unexpected end of expression"
    assert J.syntax_error("{% $states.input %}") is None


# ------------------------------------------------------------------ render

def test_render_evaluates_expressions_and_keeps_literals():
    template = {"constant_null": None, "constant_float": 0.1, "constant_bool": True,
                "constant_not_jsonata": " {% states.input %} ", "constant_varpath": "$no.such.var.path",
                "constant_lst": [None, 0, [], {"constant": 0}, "$states.input"],
                "expr": "{% $states.input.v %}", "nested": [{"key": "{% true %}"}]}
    states = {"input": {"v": 5}, "context": CONTEXT}
    out = J.render(template, states, make_env(), "Arguments")
    assert out == {**template, "expr": 5, "nested": [{"key": True}]}


def test_render_non_dict_templates():
    states = {"input": {"x": 1}, "context": CONTEXT}
    assert J.render("{% $states.input %}", states, make_env(), "Output") == {"x": 1}
    assert J.render([], states, make_env(), "Output") == []
    assert J.render(0.1, states, make_env(), "Output") == 0.1
    assert J.render(True, states, make_env(), "Condition") is True


def test_render_field_path_names_the_key():
    with pytest.raises(J.QueryEvaluationError) as info:
        J.render({"result": "{% $doesNotExist %}"}, {"input": {}}, make_env(), "Output")
    assert info.value.location == "Output/result"
    assert info.value.cause == ("The JSONata expression '$doesNotExist' specified for the field "
                                "'Output/result' returned nothing (undefined).")


def test_render_field_path_through_arrays_and_objects():
    with pytest.raises(J.QueryEvaluationError) as info:
        J.render({"a": [1, {"b": "{% $nope %}"}]}, {"input": {}}, make_env(), "Arguments")
    assert info.value.location == "Arguments/a[1]/b"


# ------------------------------------------------------------------ types and numbers

@pytest.mark.parametrize("expr, kind, shown", [
    ("true", "boolean", "true"), ("null", "null", "null"), ("1", "number", "1"),
    ("'string'", "string", '"string"'), ("{'foo': 'bar'}", "object", '{"foo":"bar"}'),
])
def test_expect_type_wording(expr, kind, shown):
    value = ev("{% " + expr + " %}")
    with pytest.raises(J.QueryEvaluationError) as info:
        J.expect_type(value, "{% " + expr + " %}", "Items", "array")
    assert info.value.cause == (f"The JSONata expression '{expr}' specified for the field 'Items' returned an "
                                f"unexpected result type. Expected 'array', but was '{kind}' for value: {shown}")


def test_expect_type_passes_matching_values():
    assert J.expect_type([1], "$x", "Items", "array") == [1]
    assert J.expect_type(3, "$x", "MaxConcurrency", "integer") == 3
    with pytest.raises(J.QueryEvaluationError):
        J.expect_type(1.5, "$x", "MaxConcurrency", "integer")
    with pytest.raises(J.QueryEvaluationError):
        J.expect_type(True, "$x", "MaxConcurrency", "number")


def test_json_type_names():
    assert [J.json_type(v) for v in (None, True, 1, 1.5, "s", [], {})] == [
        "null", "boolean", "number", "number", "string", "array", "object"]


def test_integral_numbers_print_like_javascript():
    states = {"input": {"f": 3.0}, "context": CONTEXT}
    for expr in ("{% $states.input.f %}", "{% 3.0 %}", "{% 6 / 2 %}", "{% $parse('-0') %}"):
        value = ev(expr, states)
        assert type(value) is int
    assert ev("{% 1 / 2 %}") == 0.5
    assert ev("{% $string(3.0) %}") == "3"
    assert ev("{% 1e300 %}") == 1e300 and isinstance(ev("{% 1e300 %}"), float)


# ------------------------------------------------------------------ AWS's added functions

@pytest.mark.parametrize("array, size, expected", [
    ([0], 1, [[0]]), ([0], 5, [[0]]), ([0, 1, 2], 1, [[0], [1], [2]]), ([0, 1, 2, 3], 3, [[0, 1, 2], [3]]),
    ([0, 1, 2, 3], 4, [[0, 1, 2, 3]]), ([1, 2, 3, 4, 5, 6, 7, 8, 9], 3, [[1, 2, 3], [4, 5, 6], [7, 8, 9]]),
])
def test_partition(array, size, expected):
    states = {"input": {"fst": array, "snd": size}, "context": CONTEXT}
    assert ev("{% $partition($states.input.fst, $states.input.snd) %}", states) == expected


def test_partition_rejects_bad_chunk_size():
    assert "chunk size" in cause_of("{% $partition([1, 2], 0) %}")


@pytest.mark.parametrize("args, expected", [
    ("0, 9, 3", [0, 3, 6, 9]), ("0, 10, 3", [0, 3, 6, 9]), ("1, 9, 2", [1, 3, 5, 7, 9]),
    ("0, 10, 2", [0, 2, 4, 6, 8, 10]), ("5, 1, -2", [5, 3, 1]),
    ("1, 9, 9", 1),  # a one-value range collapses to the value, as AWS answers
])
def test_range(args, expected):
    assert ev("{% $range(" + args + ") %}") == expected


def test_range_errors():
    assert cause_of("{% $range(5, 1, 1) %}").endswith("returned nothing (undefined).")
    assert "step" in cause_of("{% $range(1, 5, 0) %}")
    assert "at most 1000" in cause_of("{% $range(0, 5000, 1) %}")


@pytest.mark.parametrize("algorithm, name", [("MD5", "md5"), ("SHA-1", "sha1"), ("SHA-256", "sha256"),
                                             ("SHA-384", "sha384"), ("SHA-512", "sha512")])
def test_hash(algorithm, name):
    assert ev("{% $hash('input data', '" + algorithm + "') %}") == hashlib.new(name, b"input data").hexdigest()


def test_hash_rejects_unknown_algorithm():
    assert 'The hash algorithm "SHA-3" is not supported' in cause_of("{% $hash('x', 'SHA-3') %}")


@pytest.mark.parametrize("text, expected", [
    ("-0", 0), ("1", 1), ("1.1", 1.1), ("true", True), ('"HelloWorld"', "HelloWorld"),
    ('[1, 2, "HelloWorld"]', [1, 2, "HelloWorld"]), ('{"Arg1": 1, "Arg2": []}', {"Arg1": 1, "Arg2": []}),
    ('{"a": [null]}', {"a": [None]}),
])
def test_parse(text, expected):
    assert ev("{% $parse($states.input.s) %}", {"input": {"s": text}, "context": CONTEXT}) == expected


def test_parse_rejects_invalid_json():
    assert "not valid JSON" in cause_of("{% $parse('{oops') %}")


def test_random_draws_from_the_execution_rng():
    assert ev("{% $random() %}", env=make_env(seed=3)) == random.Random(3).random()
    expected = random.Random(3)
    env = make_env(seed=3)
    assert [ev("{% $random() %}", env=env), ev("{% $random() %}", env=env)] == [expected.random(), expected.random()]
    assert ev("{% [$random(), $random()] %}", env=make_env(seed=3)) == first_two(3)


def first_two(seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.random(), rng.random()]


def test_random_with_seed_is_repeatable_and_leaves_the_rng_alone():
    env = make_env(seed=1)
    before = env.rng.getstate()
    assert ev("{% $random(42) %}", env=env) == ev("{% $random(42) %}", env=env)
    assert ev("{% $random(42) %}", env=env) != ev("{% $random(43) %}", env=env)
    assert env.rng.getstate() == before


def test_uuid_is_v4_and_seeded():
    one, two = ev("{% $uuid() %}", env=make_env(seed=5)), ev("{% $uuid() %}", env=make_env(seed=5))
    assert one == two
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", one)
    env = make_env(seed=5)
    assert ev("{% $uuid() %}", env=env) != ev("{% $uuid() %}", env=env)


def test_shuffle_uses_the_execution_rng():
    expr = "{% $shuffle([1, 2, 3, 4, 5, 6, 7, 8]) %}"
    assert ev(expr, env=make_env(seed=9)) == ev(expr, env=make_env(seed=9))
    assert sorted(ev(expr, env=make_env(seed=9))) == [1, 2, 3, 4, 5, 6, 7, 8]


# ------------------------------------------------------------------ virtual time

def test_now_and_millis_read_the_given_time():
    now = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
    assert ev("{% $now() %}", now=now) == "2030-01-02T03:04:05.678Z"
    assert ev("{% $millis() %}", now=now) == int(now.timestamp() * 1000)
    assert ev("{% $now('[Y0001]-[M01]') %}", now=now) == "2030-01"
    later = now + timedelta(hours=1)
    assert ev("{% $millis() %}", now=later) - ev("{% $millis() %}", now=now) == 3_600_000


def test_now_defaults_to_the_state_entered_time():
    assert ev("{% $now() %}") == "2024-05-01T10:00:05.250Z"


def test_now_without_any_time_fails():
    env = Env(context={}, variables=Variables(), rng=random.Random(0))
    assert "No current time" in cause_of("{% $now() %}", env=env, states={"input": {}})


# ------------------------------------------------------------------ caching

def test_compiled_expressions_are_cached_and_stay_independent():
    expr = "{% $map($states.input.xs, function($v){$v * $k}) %}"
    states = {"input": {"xs": [1, 2]}, "context": CONTEXT}
    before = J._compile.cache_info().hits
    assert ev(expr, states, make_env(k=10)) == [10, 20]
    ev("{% $filter([1, 2, 3], function($v){$v > 1}) %}")  # another program becomes the library's current one
    assert ev(expr, states, make_env(k=3)) == [3, 6]
    assert J._compile.cache_info().hits > before
