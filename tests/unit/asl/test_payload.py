"""sim.asl.payload: Parameters / ItemSelector / ResultSelector / Assign templates."""

from __future__ import annotations

import random

import pytest

from sim.asl import payload
from sim.asl.env import Env, Variables
from sim.asl.errors import StatesError
from sim.asl.paths import PathNotFound, PathSyntaxError

DOC = {"input_value": "v", "n": 3, "arr": [1, 2], "obj": {"k": "x"}}


def env(variables: dict | None = None) -> Env:
    ctx = {"Execution": {"Id": "arn:exec"}, "Map": {"Item": {"Value": "Pikachu", "Index": 1}}}
    return Env(context=ctx, variables=Variables(values=dict(variables or {})), rng=random.Random(0))


def test_literals_pass_through_and_dollar_keys_are_evaluated():
    template = {
        "lit": "$.not_a_path", "num": 1, "none": None, "flag": True,
        "path.$": "$.input_value", "root.$": "$", "ctx.$": "$$.Execution.Id", "var.$": "$x",
        "fn.$": "States.Format('n={}', $.n)",
    }
    out = payload.render(template, DOC, env({"x": [9]}))
    assert out == {"lit": "$.not_a_path", "num": 1, "none": None, "flag": True, "path": "v", "root": DOC,
                   "ctx": "arn:exec", "var": [9], "fn": "n=3"}


def test_nested_objects_and_arrays_recurse():
    template = {"outer": {"inner.$": "$.n", "list": [{"deep.$": "$.obj.k"}, "plain", ["$.x"]]}}
    assert payload.render(template, DOC, env()) == {"outer": {"inner": 3, "list": [{"deep": "x"}, "plain", ["$.x"]]}}


def test_rendered_containers_are_new_objects():
    template = {"l": [1, {"a": 1}], "o": {"b": 2}}
    out = payload.render(template, DOC, env())
    assert out == template
    out["l"][1]["a"] = 99
    out["o"]["b"] = 99
    assert template == {"l": [1, {"a": 1}], "o": {"b": 2}}


def test_non_object_templates():
    assert payload.render([{"a.$": "$.n"}], DOC, env()) == [{"a": 3}]
    assert payload.render("$.n", DOC, env()) == "$.n"
    assert payload.render(None, DOC, env()) is None


def test_map_item_selector_style_template():
    template = {"AnnouncePokemon.$": "States.Format($t, $$.Map.Item.Value)", "index.$": "$$.Map.Item.Index"}
    assert payload.render(template, {}, env({"t": "It's {}!"})) == {"AnnouncePokemon": "It's Pikachu!", "index": 1}


def test_missing_path_uses_the_key_as_the_field():
    with pytest.raises(PathNotFound) as exc:
        payload.render({"value.$": "$.no_such_jsonpath"}, {"int-literal": 0}, env())
    assert exc.value.cause == ("The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' "
                               "could not be found in the input '{\"int-literal\":0}'")


def test_missing_path_in_a_nested_object_names_the_inner_key():
    with pytest.raises(PathNotFound) as exc:
        payload.render({"outer": {"inner.$": "$.nope"}}, {}, env())
    assert exc.value.field == "inner.$"


def test_field_prefix_is_prepended_to_the_key():
    with pytest.raises(PathNotFound) as exc:
        payload.render({"v.$": "$.nope"}, {}, env(), field_prefix="Parameters/")
    assert exc.value.field == "Parameters/v.$"


def test_intrinsic_errors_propagate_as_states_runtime():
    with pytest.raises(StatesError) as exc:
        payload.render({"v.$": "States.ArrayLength($.n)"}, DOC, env())
    assert exc.value.error == "States.Runtime"
    assert exc.value.cause.startswith("The function 'States.ArrayLength($.n)' had the following error: ")


@pytest.mark.parametrize("value", ["not a path", 5, ["$.n"], "States."])
def test_a_dollar_key_must_hold_a_path_or_an_intrinsic(value):
    with pytest.raises(PathSyntaxError):
        payload.render({"v.$": value}, DOC, env())


def test_render_assign_reads_the_old_variables_and_leaves_env_alone():
    e = env({"x": 1})
    values = payload.render_assign({"x.$": "States.MathAdd($x, 1)", "y.$": "$x", "z": "lit", "r.$": "$.n"}, DOC, e)
    assert values == {"x": 2, "y": 1, "z": "lit", "r": 3}
    assert dict(e.variables) == {"x": 1}
