"""Payload templates of JSONPath states: Parameters, ItemSelector, ResultSelector and
Assign (JSONata's ``Arguments`` is not handled here).

``render(template, doc, env, field_prefix="")``: objects and arrays are rebuilt (never
shared with the definition), other values are literals, and a key ``name.$`` becomes
``name`` with the value of its string: a path (``$...``), a context path (``$$...``),
a variable path (``$var...``) or an intrinsic call (``States.Format(...)``).  A path
that matches nothing fails as paths.PathNotFound with the key as the field, e.g.
    The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be
    found in the input '{"int-literal":0}'
(``field_prefix`` is put in front of the key there; AWS uses the bare key).

``render_assign(assign, doc, env)``: the same rules; for Assign the caller passes as
``doc`` what ``$`` means there (the state's result, or its effective input when there
is none).  It does not touch ``env.variables``: every value is computed against the
variables as they were before the state assigns (the caller assigns afterwards).
"""

from __future__ import annotations

from typing import Any

from sim.asl import intrinsics
from sim.asl.paths import PathSyntaxError, resolve


def render(template: Any, doc: Any, env: Any, field_prefix: str = "") -> Any:
    """Evaluate a payload template against ``doc`` (and ``env`` for ``$$`` / ``$var``)."""
    kind = type(template)
    if kind is dict:
        out = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = evaluate_value(value, doc, env, field_prefix + key)
            else:
                out[key] = render(value, doc, env, field_prefix)
        return out
    if kind is list:
        return [render(item, doc, env, field_prefix) for item in template]
    return template


def evaluate_value(expr: Any, doc: Any, env: Any, field: str) -> Any:
    """The value of one ``key.$`` entry: a path or an intrinsic call."""
    if type(expr) is str:
        if expr.startswith("$"):
            return resolve(expr, doc, env, field)
        if intrinsics.is_intrinsic(expr):
            return intrinsics.evaluate(expr, doc, env, field)
    # the definition check should have refused this; say which field is wrong
    raise PathSyntaxError(f"The value for the field '{field}' must be a JSONPath or an intrinsic function call")


def render_assign(assign: dict, doc: Any, env: Any) -> dict:
    """The variables an Assign block (JSONPath flavour) sets, as a new dict."""
    return render(assign, doc, env)
