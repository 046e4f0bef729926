"""sim.asl.paths: JSONPath evaluation, the context/variable dispatch, and the
InputPath / OutputPath / ResultPath rules, with the error wording AWS uses."""

from __future__ import annotations

import random

import pytest

from sim.asl import paths
from sim.asl.env import Env, Variables
from sim.asl.errors import StatesError, StatesErrorName
from sim.asl.paths import PathNotFound, PathSyntaxError

DOC = {
    "a": {"b": {"c": 1}},
    "list": [10, 20, 30, 40],
    "items": [{"x": 1, "n": "a"}, {"x": 5, "n": "b"}, {"y": 2}],
    "dash-key": "dash",
    "null": None,
    "num": 7,
}


def env(variables: dict | None = None) -> Env:
    ctx = {"Execution": {"Id": "arn:exec", "Input": {"k": 1}}, "State": {"Name": "S"}}
    return Env(context=ctx, variables=Variables(values=dict(variables or {})), rng=random.Random(1))


# ---------------------------------------------------------------- definite paths

@pytest.mark.parametrize("path, expected", [
    ("$", DOC),
    ("$.a.b.c", 1),
    ("$.a['b'][\"c\"]", 1),
    ("$['dash-key']", "dash"),
    ("$.dash-key", "dash"),
    ("$.list[0]", 10),
    ("$.list[-1]", 40),
    ("$.items[1].n", "b"),
    ("$.null", None),
])
def test_definite_paths_return_the_value(path, expected):
    assert paths.get(path, DOC, "f") == expected


def test_index_past_the_end_reads_as_null_like_jackson():
    assert paths.get("$.list[9]", DOC, "f") is None


def test_strict_mode_makes_an_index_past_the_end_a_miss():
    with pytest.raises(PathNotFound) as exc:
        paths.get("$.list[9]", DOC, "f", strict=True)
    assert exc.value.detail == "No results for path: $['list'][9]"


def test_multi_property_leaf_merges_present_properties():
    assert paths.get("$['num','dash-key','absent']", DOC, "f") == {"num": 7, "dash-key": "dash"}


def test_length_function():
    assert paths.get("$.list.length()", DOC, "f") == 4
    assert paths.get("$.items[*].x.length()", DOC, "f") == 2


# ---------------------------------------------------------------- indefinite paths

@pytest.mark.parametrize("path, expected", [
    ("$.list[*]", [10, 20, 30, 40]),
    ("$.list[1:3]", [20, 30]),
    ("$.list[:1]", [10]),
    ("$.list[2:]", [30, 40]),
    ("$.list[-2:]", [30, 40]),
    ("$.list[0,2]", [10, 30]),
    ("$.items[*].x", [1, 5]),
    ("$.a.*", [{"c": 1}]),
    ("$..c", [1]),
    ("$..x", [1, 5]),
])
def test_indefinite_paths_return_lists(path, expected):
    assert paths.get(path, DOC, "f") == expected


@pytest.mark.parametrize("doc, path", [({}, "$.item.items[*]"), ({}, "$.items[1:5].v"), (DOC, "$.items[:1].nope"),
                                       (DOC, "$..nothing"), (DOC, "$.items[?(@.z)]")])
def test_indefinite_path_matching_nothing_is_an_empty_list(doc, path):
    assert paths.get(path, doc, "f") == []


@pytest.mark.parametrize("path, expected", [
    ("$.items[?(@.x > 1)]", [{"x": 5, "n": "b"}]),
    ("$.items[?(@.x >= 1 && @.n == 'a')].n", ["a"]),
    ("$.items[?(@.x < 2 || @.y)]", [{"x": 1, "n": "a"}, {"y": 2}]),
    ("$.items[?(!@.x)]", [{"y": 2}]),
    ("$.items[?(@.n != 'a')].n", ["b"]),
    ("$.items[?(@.n =~ /B/i)].x", [5]),
    ("$.items[?((@.x == 1 || @.x == 5) && !(@.n == 'b'))].n", ["a"]),
])
def test_filters(path, expected):
    assert paths.get(path, DOC, "f") == expected


def test_filter_comparison_with_root_path_and_type_mismatch():
    doc = {"limit": 3, "v": [1, 5, "9", True]}
    assert paths.get("$.v[?(@ > $.limit)]", doc, "f") == [5]  # "9" and true never compare to numbers


def test_filter_equality_keeps_booleans_apart_from_numbers():
    doc = {"v": [{"f": True}, {"f": 1}]}
    assert paths.get("$.v[?(@.f == true)]", doc, "f") == [{"f": True}]


# ---------------------------------------------------------------- misses and their wording

def test_missing_path_raises_runtime_error_with_field_and_input():
    with pytest.raises(PathNotFound) as exc:
        paths.get("$.no_such_jsonpath", {"int-literal": 0}, "value.$")
    err = exc.value
    assert isinstance(err, StatesError) and err.error == StatesErrorName.RUNTIME and err.located
    assert err.cause == ("The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' "
                         "could not be found in the input '{\"int-literal\":0}'")


def test_invalid_path_wording_for_output_path_style_fields():
    with pytest.raises(PathNotFound) as exc:
        paths.get("$.NoSuchOutputPath", {"int-literal": 0}, "OutputPath")
    assert exc.value.invalid_path().cause == \
        "Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']"


@pytest.mark.parametrize("path, detail", [
    ("$.nope.x", "Missing property in path $['nope']"),
    ("$.a.b.nope", "No results for path: $['a']['b']['nope']"),
    ("$.num[0]", "Filter: [0] can only be applied to arrays. Current context is: 7"),
    ("$.null[0]", "The path $['null'] is null"),
    ("$.list.x", "Expected to find an object with property ['x'] in path $['list'] but found "
                 "'com.fasterxml.jackson.databind.node.ArrayNode'. This is not a json object according "
                 "to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider'."),
])
def test_miss_details_follow_jayway(path, detail):
    with pytest.raises(PathNotFound) as exc:
        paths.get(path, DOC, "f")
    assert exc.value.detail == detail


@pytest.mark.parametrize("path", ["a.b", "$.a[", "$.a[x]", "$.a[?(@.x >)]", "$.a[?(@.x - 2)]", "$.a.", "$.a[1:2:3:4]"])
def test_syntax_errors(path):
    with pytest.raises(PathSyntaxError):
        paths.parse(path)


def test_parse_is_cached():
    assert paths.parse("$.cached.path") is paths.parse("$.cached.path")


# ---------------------------------------------------------------- context and variables

def test_resolve_context_paths():
    e = env()
    assert paths.resolve("$$.Execution.Id", DOC, e, "f") == "arn:exec"
    assert paths.resolve("$$", DOC, e, "f") is e.context


def test_missing_context_path_shows_the_context_object():
    e = env()
    with pytest.raises(PathNotFound) as exc:
        paths.resolve("$$.Nope", DOC, e, "ctx.$")
    assert exc.value.cause.startswith("The JSONPath '$$.Nope' specified for the field 'ctx.$' could not be found "
                                      "in the input '{\"Execution\":")


def test_resolve_variables():
    e = env({"x": {"a": [1, 2]}, "n": 42})
    assert paths.resolve("$n", DOC, e, "f") == 42
    assert paths.resolve("$x.a", DOC, e, "f") == [1, 2]
    assert paths.resolve("$x.a[1]", DOC, e, "f") == 2
    assert paths.resolve("$x['a'][0]", DOC, e, "f") == 1


def test_variables_see_parent_scopes():
    outer = Variables(values={"x": 1})
    e = Env(context={}, variables=outer.child({"y": 2}))
    assert (paths.resolve("$x", DOC, e, "f"), paths.resolve("$y", DOC, e, "f")) == (1, 2)


@pytest.mark.parametrize("path", ["$noSuchVar", "$x.noSuchMember"])
def test_undefined_variable_or_member_is_a_miss(path):
    with pytest.raises(PathNotFound) as exc:
        paths.resolve(path, {"in": 1}, env({"x": {}}), "f")
    assert exc.value.cause == f"The JSONPath '{path}' specified for the field 'f' could not be found in the input '{{\"in\":1}}'"


# ---------------------------------------------------------------- InputPath / OutputPath

def test_input_path():
    e = env({"answer": 42})
    assert paths.apply_input_path("$", DOC, e) is DOC
    assert paths.apply_input_path(None, DOC, e) == {}
    assert paths.apply_input_path("$answer", DOC, e) == 42
    assert paths.apply_input_path("$$.Execution.Input", DOC, e) == {"k": 1}


def test_input_path_miss_uses_the_jsonpath_wording():
    with pytest.raises(PathNotFound) as exc:
        paths.apply_input_path("$.x", {}, env())
    assert exc.value.cause == "The JSONPath '$.x' specified for the field 'InputPath' could not be found in the input '{}'"


def test_output_path():
    assert paths.apply_output_path(None, DOC) == {}
    assert paths.apply_output_path("$", DOC) is DOC
    assert paths.apply_output_path("$.a.b", DOC) == {"c": 1}
    assert paths.apply_output_path("$answer", DOC, env({"answer": 42})) == 42


def test_output_path_miss_uses_the_invalid_path_wording():
    with pytest.raises(StatesError) as exc:
        paths.apply_output_path("$.NoSuchOutputPath", {"int-literal": 0}, env())
    assert exc.value.error == "States.Runtime" and exc.value.located
    assert exc.value.cause == "Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']"


# ---------------------------------------------------------------- ResultPath

def test_result_path_dollar_replaces_and_null_discards():
    assert paths.set_result_path("$", {"in": 1}, {"r": 2}) == {"r": 2}
    assert paths.set_result_path(None, {"in": 1}, {"r": 2}) == {"in": 1}


def test_result_path_creates_intermediate_objects_without_mutating_input():
    raw = {"in": 1, "deep": {"keep": True}}
    out = paths.set_result_path("$.deep.new.leaf", raw, 5)
    assert out == {"in": 1, "deep": {"keep": True, "new": {"leaf": 5}}}
    assert raw == {"in": 1, "deep": {"keep": True}}


def test_result_path_overwrites_existing_key_and_sets_array_elements():
    assert paths.set_result_path("$.in", {"in": 1}, 2) == {"in": 2}
    raw = {"l": [0, {"a": 1}]}
    assert paths.set_result_path("$.l[1].b", raw, 3) == {"l": [0, {"a": 1, "b": 3}]}
    assert raw == {"l": [0, {"a": 1}]}


@pytest.mark.parametrize("raw, path", [(5, "$.error"), ({"a": "text"}, "$.a.b"), ({"l": [1]}, "$.l[3]")])
def test_result_path_through_a_non_object_fails(raw, path):
    with pytest.raises(StatesError) as exc:
        paths.set_result_path(path, raw, {"r": 1})
    assert exc.value.error == StatesErrorName.RESULT_PATH_MATCH_FAILURE
    assert not exc.value.located


def test_result_path_must_be_a_reference_path():
    with pytest.raises(PathSyntaxError):
        paths.set_result_path("$.a[*]", {}, 1)


# ---------------------------------------------------------------- equality helper

def test_json_equal():
    assert paths.json_equal(1, 1.0)
    assert not paths.json_equal(True, 1)
    assert paths.json_equal({"a": [1, {"b": None}]}, {"a": [1.0, {"b": None}]})
    assert not paths.json_equal({"a": 1}, {"a": 1, "b": 2})
    assert not paths.json_equal([1, 2], [2, 1])


@pytest.mark.parametrize("path", ["$", "$$", "$.a", "$$.Execution.Id", "$var", "$var.a[0]", "$['a b']"])
def test_validate_accepts_doc_context_and_variable_paths(path):
    paths.validate(path)


@pytest.mark.parametrize("path", ["", "a", "$.a[", "$$.a[x]", "$var.[", "$var..", "$.a[?(@.x >)]"])
def test_validate_rejects_malformed_paths(path):
    with pytest.raises(PathSyntaxError):
        paths.validate(path)
