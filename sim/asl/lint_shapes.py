"""Abstract JSON values for the data-flow lint: what is *known* about a state's input.

A shape is conservative: it claims a field is absent only when that is certain.

* ``Unknown(origin)``: any JSON value.  ``origin="input"`` marks the execution
  input (a field of it is there exactly when the caller sent it); any other
  unknown value (a Lambda result, ...) has ``origin="unknown"``.
* ``Obj(keys, open, gone)``: a JSON object; ``keys`` are (name, shape, certain)
  triples (``certain=False``: may be missing); ``open`` is ``None`` when no other
  key can exist, else the origin of the keys we do not know; ``gone`` are keys
  known to be missing from an open object (learnt from a Choice ``IsPresent``).
* ``Arr(items, elem)``: a JSON array, with its exact elements when known.
* ``Scalar(type)``: a string, number, boolean or null.

``lookup(shape, steps)`` answers PRESENT, INPUT (present iff the execution input
had it), MAYBE or ABSENT for a definite path; ``put`` is ResultPath; ``join``
merges two shapes (used only to widen); ``refine_*`` record what a successful
read or a Choice rule proved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

PRESENT, INPUT, MAYBE, ABSENT = "present", "input", "maybe", "absent"
_RANK = {PRESENT: 0, INPUT: 1, MAYBE: 2}
MAX_DEPTH = 6


@dataclass(frozen=True)
class Unknown:
    origin: str = "unknown"


@dataclass(frozen=True)
class Scalar:
    type: str


@dataclass(frozen=True)
class Obj:
    keys: tuple = ()  # sorted ((name, shape, certain), ...)
    open: str | None = None
    gone: frozenset = field(default_factory=frozenset)

    def entry(self, name: str) -> tuple | None:
        for k, shape, certain in self.keys:
            if k == name:
                return shape, certain
        return None

    def with_key(self, name: str, shape: "Shape", certain: bool = True) -> "Obj":
        keys = tuple(sorted([e for e in self.keys if e[0] != name] + [(name, shape, certain)], key=lambda e: e[0]))
        return Obj(keys, self.open, self.gone - {name})

    def without(self, name: str) -> "Obj":
        keys = tuple(e for e in self.keys if e[0] != name)
        return Obj(keys, self.open, self.gone | {name} if self.open else self.gone)


@dataclass(frozen=True)
class Arr:
    items: tuple | None = None
    elem: Any = Unknown()


Shape = Union[Unknown, Scalar, Obj, Arr]
ERROR_OUTPUT = Obj((("Cause", Scalar("string"), False), ("Error", Scalar("string"), True)))


def obj(mapping: dict, open: str | None = None) -> Obj:
    return Obj(tuple(sorted((k, v, True) for k, v in mapping.items())), open)


def literal(value: Any) -> Shape:
    """The shape of a JSON literal (a Pass Result, a constant in a template)."""
    if isinstance(value, dict):
        return obj({k: literal(v) for k, v in value.items()})
    if isinstance(value, list):
        return Arr(tuple(literal(v) for v in value))
    if value is None:
        return Scalar("null")
    return Scalar({bool: "boolean", str: "string"}.get(type(value), "number"))


# ---------------------------------------------------------------- reading

def step(shape: Shape, st: tuple) -> tuple[str, Shape]:
    """(status, child) for one path step ("key", name) or ("index", n)."""
    kind, arg = st
    if isinstance(shape, Unknown):
        return (INPUT if shape.origin == "input" else MAYBE), Unknown(shape.origin)
    if isinstance(shape, Obj):
        if kind != "key":
            return ABSENT, Unknown()
        found = shape.entry(arg)
        if found:
            return (PRESENT if found[1] else MAYBE), found[0]
        if arg in shape.gone or shape.open is None:
            return ABSENT, Unknown()
        return (INPUT if shape.open == "input" else MAYBE), Unknown(shape.open)
    if isinstance(shape, Arr):
        if kind != "index":
            return ABSENT, Unknown()
        if shape.items is not None and 0 <= arg < len(shape.items):
            return PRESENT, shape.items[arg]
        return MAYBE, shape.elem if shape.items is None else Unknown()  # Jackson reads past the end as null
    return ABSENT, Unknown()


def lookup(shape: Shape, steps: tuple) -> tuple[str, Shape]:
    status, cur = PRESENT, shape
    for st in steps:
        s, cur = step(cur, st)
        if s == ABSENT:
            return ABSENT, Unknown()
        status = s if _RANK[s] > _RANK[status] else status
    return status, cur


# ---------------------------------------------------------------- writing (ResultPath)

def put(shape: Shape, steps: tuple, value: Shape) -> Shape:
    """The raw input with ``value`` stored at ``steps`` (missing objects are created)."""
    if not steps:
        return value
    if isinstance(shape, Unknown):
        shape = Obj((), shape.origin)
    kind, name = steps[0]
    if kind != "key" or not isinstance(shape, Obj):
        return Unknown()  # a step into a non-object fails (States.ResultPathMatchFailure)
    status, child = step(shape, steps[0])
    if status == ABSENT:
        child = Obj()
    return truncate(shape.with_key(name, put(child, steps[1:], value)))


# ---------------------------------------------------------------- refining

def refine_present(shape: Shape, steps: tuple) -> Shape:
    """``shape`` knowing that the path exists (a read of it succeeded)."""
    if not steps or steps[0][0] != "key":
        return shape
    if isinstance(shape, Unknown):
        shape = Obj((), shape.origin)
    if not isinstance(shape, Obj):
        return shape
    status, child = step(shape, steps[0])
    if status == ABSENT:
        return shape
    return shape.with_key(steps[0][1], refine_present(child, steps[1:]), True)


def refine_absent(shape: Shape, steps: tuple) -> Shape:
    """``shape`` knowing that the path does not exist (only provable one level at a time)."""
    if not steps or steps[0][0] != "key":
        return shape
    name = steps[0][1]
    if isinstance(shape, Unknown):
        shape = Obj((), shape.origin)
    if not isinstance(shape, Obj):
        return shape
    status, child = step(shape, steps[0])
    if len(steps) == 1:
        return shape if status in (PRESENT, ABSENT) else shape.without(name)
    if status == PRESENT:
        return shape.with_key(name, refine_absent(child, steps[1:]), True)
    return shape


# ---------------------------------------------------------------- merging

def _origin(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return "input" if a == b == "input" else "unknown"


def _origin_of(s: Shape) -> str | None:
    return s.origin if isinstance(s, Unknown) else (s.open if isinstance(s, Obj) else None)


def join(a: Shape, b: Shape) -> Shape:
    if a == b:
        return a
    if isinstance(a, Obj) and isinstance(b, Obj):
        return _join_obj(a, b)
    if isinstance(a, Arr) and isinstance(b, Arr):
        if a.items is not None and b.items is not None and len(a.items) == len(b.items):
            return Arr(tuple(join(x, y) for x, y in zip(a.items, b.items)))
        return Arr(None, join(_elem(a), _elem(b)))
    origin = _origin(_origin_of(a), _origin_of(b))
    return Unknown("input" if origin == "input" and isinstance(a, (Unknown, Obj)) and isinstance(b, (Unknown, Obj))
                   else "unknown")


def _elem(a: Arr) -> Shape:
    if a.items is None:
        return a.elem
    out = None
    for item in a.items:
        out = item if out is None else join(out, item)
    return out if out is not None else Unknown()


def _join_obj(a: Obj, b: Obj) -> Obj:
    names = sorted({k for k, _, _ in a.keys} | {k for k, _, _ in b.keys})
    keys = []
    for name in names:
        ea, eb = a.entry(name), b.entry(name)
        if ea and eb:
            keys.append((name, join(ea[0], eb[0]), ea[1] and eb[1]))
        else:
            (shape, _), other = (ea, b) if ea else (eb, a)
            absent_there = other.open is None or name in other.gone
            keys.append((name, shape if absent_there else join(shape, Unknown(other.open)), False))
    gone = frozenset(k for k in a.gone | b.gone
                     if step(a, ("key", k))[0] == ABSENT and step(b, ("key", k))[0] == ABSENT)
    return Obj(tuple(keys), _origin(a.open, b.open) if (a.open or b.open) else None, gone)


def truncate(shape: Shape, depth: int = MAX_DEPTH) -> Shape:
    """Forget structure below ``depth`` (keeps loops from growing shapes forever)."""
    if depth <= 0 and isinstance(shape, (Obj, Arr)):
        return Unknown(_origin_of(shape) or "unknown")
    if isinstance(shape, Obj):
        return Obj(tuple((k, truncate(s, depth - 1), c) for k, s, c in shape.keys), shape.open, shape.gone)
    if isinstance(shape, Arr) and shape.items is not None:
        return Arr(tuple(truncate(s, depth - 1) for s in shape.items))
    return shape


# ---------------------------------------------------------------- text

def describe(shape: Shape, depth: int = 2) -> str:
    """A short human form: ``{Error, Cause?}``, ``{a, b, ...}``, ``[2 items]``, ``unknown``."""
    if isinstance(shape, Unknown):
        return "the execution input" if shape.origin == "input" else "unknown"
    if isinstance(shape, Scalar):
        return f"a {shape.type}"
    if isinstance(shape, Arr):
        return "an array" if shape.items is None else f"an array of {len(shape.items)}"
    parts = []
    for name, sub, certain in sorted(shape.keys, key=lambda e: (e[0] != "Error", e[0])):
        inner = f": {describe(sub, depth - 1)}" if depth > 1 and isinstance(sub, Obj) else ""
        parts.append(f"{name}{'' if certain else '?'}{inner}")
    if shape.open:
        parts.append("..." if shape.open != "input" else "...execution input fields")
    return "{" + ", ".join(parts) + "}"
