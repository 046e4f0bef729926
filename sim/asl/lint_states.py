"""What one state does to the shape of its input (the transfer functions of ``lint``).

``step_state(cx)`` returns the outgoing edges of one state for one known input
shape (``cx.fact``), after checking every path the state reads.  A read of a
field that is certainly missing is reported (``cx.missing``) and, since a
failed path is States.Runtime (which no Retry or Catch handles), the state has
no outgoing edge for that input.  The order of JSONPath processing is AWS's:
InputPath, Parameters, the task, ResultSelector, ResultPath (into the *raw*
input), OutputPath; a Catch without ResultPath replaces the input with the
error output ``{Error, Cause}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.asl.lint_shapes import (ABSENT, ERROR_OUTPUT, INPUT, PRESENT, Arr, Obj, Scalar, Shape, Unknown, _elem,
                                 describe, literal, lookup, obj, put, refine_absent, refine_present)
from sim.asl.validate_fields import escape
from sim.asl.validate_paths import definite_steps, intrinsic_path_args, is_jsonata

JSONATA = "JSONata"
#: read fields of the effective input and how AWS words a miss of each
_PATH_FIELDS = {"ItemsPath": "field", "SecondsPath": "seconds", "TimestampPath": "timestamp",
                "TimeoutSecondsPath": "invalid", "HeartbeatSecondsPath": "invalid", "MaxConcurrencyPath": "field",
                "ToleratedFailurePercentagePath": "field", "ToleratedFailureCountPath": "field"}
_CAUSES = {
    "field": "The JSONPath '{path}' specified for the field '{field}' could not be found in the input",
    "invalid": "Invalid path '{path}' : No results for path",
    "seconds": "The SecondsPath parameter does not reference an input value: {path}",
    "timestamp": "The TimestampPath parameter does not reference an input value: {path}",
    "choice": "Invalid path '{path}': The choice state's condition path references an invalid value.",
    "intrinsic": "The function '{field}' had the following error: The JsonPath argument for the field "
                 "'{path}' could not be found in the input",
}


@dataclass(frozen=True)
class Read:
    pointer: str
    field: str  # the field as AWS names it in the error ("correlation_id.$", "InputPath", ...)
    value: str  # a path or an intrinsic call
    style: str


@dataclass(frozen=True)
class Edge:
    target: str
    shape: Shape
    label: str
    note: str | None = None  # how this edge replaced the whole input, if it did


def step_state(cx: Any) -> list[Edge]:
    """The edges leaving ``cx.state`` for the input ``cx.fact.shape``."""
    if cx.ql == JSONATA:
        return _jsonata_state(cx)
    return _jsonpath_state(cx)


# ---------------------------------------------------------------- JSONPath states

def _jsonpath_state(cx: Any) -> list[Edge]:
    s, raw = cx.state, cx.fact.shape
    eff = _input_path(cx, raw)
    if eff is None:
        return []
    reads = _reads(s, cx.ptr)
    if not check_reads(cx, reads, eff):
        return []
    if s.get("InputPath", "$") == "$":
        raw = eff = _refined(eff, reads)
    kind = s.get("Type")
    if kind == "Fail":
        return []
    if kind == "Choice":
        return choice_edges(cx, eff)
    if kind in ("Wait", "Succeed"):
        note = f"InputPath '{s['InputPath']}' of '{cx.name}' kept {describe(eff)}" if "InputPath" in s else None
        return _leave(cx, eff, note)
    result, note = _result(cx, kind, eff)
    if result is None:  # a Map's ItemSelector misses: the Map fails before any iteration runs
        return []
    catches = _catch_edges(cx, raw)  # task errors: independent of what happens to a result
    result = _result_selector(cx, result)
    if result is None:
        return catches
    after, note = _result_path(cx, raw, result, note)
    return _leave(cx, after, note) + catches


def _input_path(cx: Any, raw: Shape) -> Shape | None:
    path = cx.state.get("InputPath", "$")
    if path is None:
        return Obj()
    if path == "$":
        return raw
    read = Read(f"{cx.ptr}/InputPath", "InputPath", path, "field")
    if not check_reads(cx, [read], raw):
        return None
    steps = definite_steps(path)
    return lookup(raw, steps)[1] if steps is not None else Unknown()


def _reads(s: dict, ptr: str) -> list[Read]:
    out: list[Read] = []
    if s.get("Type") != "Map":  # a Map's selector runs per item: checked in _result when items are known
        template_reads(s.get("Parameters"), f"{ptr}/Parameters", out)
    if isinstance(s.get("ItemReader"), dict):  # then ItemsPath applies to the data read, not to the input
        template_reads(s["ItemReader"].get("Parameters"), f"{ptr}/ItemReader/Parameters", out)
    for f, style in _PATH_FIELDS.items():
        if type(s.get(f)) is str and not (f == "ItemsPath" and "ItemReader" in s):
            out.append(Read(f"{ptr}/{f}", f, s[f], style))
    if s.get("Type") == "Fail":
        for f in ("ErrorPath", "CausePath"):
            if type(s.get(f)) is str:
                out.append(Read(f"{ptr}/{f}", f, s[f], "field"))
    return out


def template_reads(tpl: Any, ptr: str, out: list[Read]) -> None:
    """Every ``key.$`` of a payload template (nested objects and arrays included)."""
    if isinstance(tpl, list):
        for i, item in enumerate(tpl):
            template_reads(item, f"{ptr}/{i}", out)
    elif isinstance(tpl, dict):
        for key, value in tpl.items():
            p = f"{ptr}/{escape(key)}"
            if key.endswith(".$") and type(value) is str:
                out.append(Read(p, key, value, "field"))
            else:
                template_reads(value, p, out)


def _paths_of(read: Read) -> list[tuple[str, str]]:
    """(path, style) pairs a read evaluates: the path itself or an intrinsic's path arguments."""
    if read.value.startswith("$"):
        return [(read.value, read.style)]
    return [(p, "intrinsic") for p in intrinsic_path_args(read.value)]


def check_reads(cx: Any, reads: list[Read], doc: Shape) -> bool:
    """Report every read that certainly misses; True when none does."""
    ok = True
    for read in reads:
        for path, style in _paths_of(read):
            steps = definite_steps(path)
            if steps is not None and lookup(doc, steps)[0] == ABSENT:
                field = read.value if style == "intrinsic" else read.field
                cx.missing(read.pointer, path, _CAUSES[style].format(path=path, field=field), doc)
                ok = False
    return ok


def _refined(doc: Shape, reads: list[Read]) -> Shape:
    """A read that succeeded proves its path exists."""
    for read in reads:
        for path, _ in _paths_of(read):
            steps = definite_steps(path)
            if steps:
                doc = refine_present(doc, steps)
    return doc


def template_shape(tpl: Any, doc: Shape, item: Shape | None = None) -> Shape:
    """The value a JSONPath payload template builds from ``doc`` (``$$.Map.Item.Value`` = ``item``)."""
    if isinstance(tpl, list):
        return Arr(tuple(template_shape(v, doc, item) for v in tpl))
    if not isinstance(tpl, dict):
        return literal(tpl)
    out = {}
    for key, value in tpl.items():
        if key.endswith(".$"):
            out[key[:-2]] = _value_shape(value, doc, item)
        else:
            out[key] = template_shape(value, doc, item)
    return obj(out)


def _value_shape(value: Any, doc: Shape, item: Shape | None) -> Shape:
    if item is not None and value == "$$.Map.Item.Value":
        return item
    if value == "$$.Map.Item.Index":
        return Scalar("number")
    steps = definite_steps(value) if type(value) is str else None
    if steps is None:
        return Unknown()
    status, shape = lookup(doc, steps)
    return shape if status != ABSENT else Unknown()


def _result(cx: Any, kind: str, eff: Shape) -> tuple[Shape | None, str | None]:
    s = cx.state
    if kind == "Pass":
        if "Result" in s:
            shape = literal(s["Result"])
            return shape, f"Pass state '{cx.name}' replaced its input with its Result {describe(shape)}"
        if "Parameters" in s:
            shape = template_shape(s["Parameters"], eff)
            return shape, f"Parameters of '{cx.name}' rebuilt the input as {describe(shape)}"
        return eff, None
    if kind == "Map":
        elem, some = _items(cx, eff)
        key = "ItemSelector" if "ItemSelector" in s else "Parameters"
        item = elem
        if key in s:
            reads: list[Read] = []
            template_reads(s[key], f"{cx.ptr}/{key}", reads)
            if some and not check_reads(cx, reads, eff):
                return None, None
            item = template_shape(s[key], eff, elem)
        return Arr(None, cx.sub_processor(item)), f"the output of Map '{cx.name}' is an array"
    if kind == "Parallel":
        branch_input = template_shape(s["Parameters"], eff) if "Parameters" in s else eff
        return Arr(cx.sub_branches(branch_input)), f"the output of Parallel '{cx.name}' is an array of its branches"
    return Unknown(), None  # Task: the result of a resource is not known


def _items(cx: Any, eff: Shape) -> tuple[Shape, bool]:
    """(shape of one item, whether the array is known to have an item)."""
    steps = definite_steps(cx.state.get("ItemsPath", "$"))
    if "ItemReader" in cx.state or steps is None:
        return Unknown(), False
    items = lookup(eff, steps)[1]
    if isinstance(items, Arr):
        return _elem(items), bool(items.items)
    return Unknown(items.origin if isinstance(items, Unknown) else "unknown"), False


def _result_selector(cx: Any, result: Shape) -> Shape | None:
    tpl = cx.state.get("ResultSelector")
    if tpl is None:
        return result
    reads: list[Read] = []
    template_reads(tpl, f"{cx.ptr}/ResultSelector", reads)
    if not check_reads(cx, reads, result):
        return None
    return template_shape(tpl, result)


def _result_path(cx: Any, raw: Shape, result: Shape, note: str | None) -> tuple[Shape, str | None]:
    path = cx.state.get("ResultPath", "$")
    if path is None:
        return raw, None
    steps = definite_steps(path)
    if steps is None:
        return Unknown(), None
    return put(raw, steps, result), (note if not steps else None)


def _output(cx: Any, value: Shape, note: str | None) -> tuple[Shape, str | None] | None:
    """OutputPath (None when it certainly misses: reported)."""
    path = cx.state.get("OutputPath", "$")
    if path is None:
        return Obj(), f"OutputPath null of '{cx.name}' made the output {{}}"
    if path == "$":
        return value, note
    if not check_reads(cx, [Read(f"{cx.ptr}/OutputPath", "OutputPath", path, "invalid")], value):
        return None
    steps = definite_steps(path)
    value = lookup(value, steps)[1] if steps is not None else Unknown()
    return value, f"OutputPath '{path}' of '{cx.name}' kept only {describe(value)}"


def _leave(cx: Any, value: Shape, note: str | None) -> list[Edge]:
    """OutputPath, then the Next edge (or the machine's output for an End state)."""
    s, res = cx.state, _output(cx, value, note)
    if res is None:
        return []
    if type(s.get("Next")) is str:
        return [Edge(s["Next"], res[0], f"{cx.name} → {s['Next']}", res[1])]
    if s.get("End") is True or s.get("Type") == "Succeed":
        cx.output(res[0])
    return []


def _catch_edges(cx: Any, raw: Shape) -> list[Edge]:
    edges = []
    for i, c in enumerate(cx.state.get("Catch") or []):
        if not isinstance(c, dict) or type(c.get("Next")) is not str:
            continue
        names = ", ".join(c.get("ErrorEquals") or [])
        label = f"{cx.name} → {c['Next']} via Catch #{i} [{names}]"
        if cx.ql == JSONATA:
            shape = jsonata_shape(c["Output"]) if "Output" in c else ERROR_OUTPUT
            note = None if "Output" in c else f"Catch #{i} of '{cx.name}' has no Output: its output is the error output"
        elif "ResultPath" not in c or c["ResultPath"] == "$":
            shape = ERROR_OUTPUT
            note = (f"Catch #{i} of '{cx.name}' has no ResultPath, so the error output {describe(ERROR_OUTPUT)} "
                    f"replaced the state's input")
            label += " (no ResultPath)" if "ResultPath" not in c else " (ResultPath $)"
        elif c["ResultPath"] is None:
            shape, note = raw, None
        else:
            steps = definite_steps(c["ResultPath"])
            shape, note = (put(raw, steps, ERROR_OUTPUT) if steps else Unknown()), None
        edges.append(Edge(c["Next"], shape, label, note))
    return edges


# ---------------------------------------------------------------- Choice (JSONPath)

def choice_edges(cx: Any, eff: Shape) -> list[Edge]:
    """Rules are tried in order; each edge knows what the rules before it proved."""
    edges, cur = [], eff
    for i, rule in enumerate(cx.state.get("Choices") or []):
        verdict = _verdict(cx, i, rule, cur)
        if verdict == "fail":
            return edges
        cx.choice_verdict(i, rule, verdict, cur)
        if verdict != "no" and type(rule.get("Next")) is str:
            edges += _leave_choice(cx, _refine(rule, cur, matched=True), rule["Next"], f"Choices #{i}")
        if verdict == "yes":
            return edges
        cur = _refine(rule, cur, matched=False)
    if type(cx.state.get("Default")) is str:
        edges += _leave_choice(cx, cur, cx.state["Default"], "Default")
    return edges


def _leave_choice(cx: Any, value: Shape, target: str, how: str) -> list[Edge]:
    res = _output(cx, value, None)
    return [] if res is None else [Edge(target, res[0], f"{cx.name} → {target} via {how}", res[1])]


def _verdict(cx: Any, i: int, rule: Any, cur: Shape) -> str:
    """"yes" / "no" (certain), "unknown", "input" (IsPresent on a field only the execution
    input could hold) or "fail" (a compared path is missing: States.Runtime, reported)."""
    if not isinstance(rule, dict) or type(rule.get("Variable")) is not str:
        return "unknown"
    var, ptr = rule["Variable"], f"{cx.ptr}/Choices/{i}"
    steps = definite_steps(var)
    ops = [k for k in rule if k not in ("Variable", "Next", "Comment", "Assign")]
    if steps is None or len(ops) != 1:
        return "unknown"
    status = lookup(cur, steps)[0]
    if ops[0] == "IsPresent":
        want = rule["IsPresent"] is True
        if status in (PRESENT, ABSENT):
            return "yes" if (status == PRESENT) == want else "no"
        return "input" if (want and status == INPUT and cx.written(steps)) else "unknown"
    reads = [Read(f"{ptr}/Variable", "Variable", var, "choice")]
    if ops[0].endswith("Path") and type(rule[ops[0]]) is str:
        reads.append(Read(f"{ptr}/{ops[0]}", ops[0], rule[ops[0]], "choice"))
    return "unknown" if check_reads(cx, reads, cur) else "fail"


def _refine(rule: Any, cur: Shape, matched: bool) -> Shape:
    if not isinstance(rule, dict) or type(rule.get("Variable")) is not str:
        return cur
    steps = definite_steps(rule["Variable"])
    if not steps:
        return cur
    if "IsPresent" in rule and (rule["IsPresent"] is True) != matched:
        return refine_absent(cur, steps)
    return refine_present(cur, steps)


# ---------------------------------------------------------------- JSONata states

def jsonata_shape(value: Any) -> Shape:
    """What an Output / Arguments template builds: expressions are unknown, the rest literal."""
    if is_jsonata(value):
        return Unknown()
    if isinstance(value, dict):
        return obj({k: jsonata_shape(v) for k, v in value.items()})
    if isinstance(value, list):
        return Arr(tuple(jsonata_shape(v) for v in value))
    return literal(value)


def _jsonata_state(cx: Any) -> list[Edge]:
    s, raw = cx.state, cx.fact.shape
    kind = s.get("Type")
    if kind == "Fail":
        return []
    if kind == "Choice":
        return _jsonata_choice(cx, raw)
    result = {"Task": Unknown(), "Pass": raw, "Wait": raw, "Succeed": raw}.get(kind)
    if kind == "Map":
        items = s.get("Items")
        elem = _elem(jsonata_shape(items)) if isinstance(items, list) else Unknown()
        item = jsonata_shape(s["ItemSelector"]) if "ItemSelector" in s else elem
        result = Arr(None, cx.sub_processor(item))
    elif kind == "Parallel":
        result = Arr(cx.sub_branches(jsonata_shape(s["Arguments"]) if "Arguments" in s else raw))
    out = jsonata_shape(s["Output"]) if "Output" in s else result
    note = f"Output of '{cx.name}' built {describe(out)}" if "Output" in s else None
    edges = [] if kind == "Succeed" else _catch_edges(cx, raw)
    return _leave(cx, out, note) + edges


def _jsonata_choice(cx: Any, raw: Shape) -> list[Edge]:
    out = jsonata_shape(cx.state["Output"]) if "Output" in cx.state else raw
    edges = []
    for i, rule in enumerate(cx.state.get("Choices") or []):
        if isinstance(rule, dict) and type(rule.get("Next")) is str:
            shape = jsonata_shape(rule["Output"]) if "Output" in rule else out
            edges.append(Edge(rule["Next"], shape, f"{cx.name} → {rule['Next']} via Choices #{i}"))
            cx.choice_verdict(i, rule, "unknown", raw)
    if type(cx.state.get("Default")) is str:
        edges.append(Edge(cx.state["Default"], out, f"{cx.name} → {cx.state['Default']} via Default"))
    return edges
