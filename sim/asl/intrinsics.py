"""Intrinsic functions (``States.Format(...)`` etc.) of JSONPath states: parser and evaluator.

Public API: ``is_intrinsic(s)``, ``parse(expr)`` (cached; raises ``IntrinsicSyntaxError``,
usable for definition checks) and ``evaluate(expr, doc, env, field)``.

Arguments: ``'string'`` literals (escapes ``\\'`` ``\\{`` ``\\}`` ``\\\\``; an escaped brace
is never a ``States.Format`` placeholder), numbers, ``true``/``false``/``null``, paths
(``$.x``, ``$$.x``, ``$var.x``) and nested calls.  Non-integers where an integer is
wanted are rounded as Java's ``Math.round`` does (half up), as AWS documents.

Every failure is States.Runtime (AWS reports intrinsic errors under that name, not
States.IntrinsicFailure), located, with the cause
    The function '<expr as written>' had the following error: <detail>
A path argument that matches nothing gives AWS's detail (observed on AWS by others):
    The JsonPath argument for the field '$.x' could not be found in the input '<doc>'
(a ``$$.x`` argument is shown as ``$.x``; an index past an array's end is a miss here).
The other details (wrong types, arity, limits) are our own wording: not verified.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import uuid
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable

from sim.asl.errors import StatesError, StatesErrorName, to_json
from sim.asl.paths import PathNotFound, PathSyntaxError, json_equal, resolve, validate

_CALL = re.compile(r"\s*States\.([A-Za-z0-9]+)\s*\(")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_WORD = re.compile(r"(true|false|null)(?![A-Za-z0-9_$.])")
_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
_MAX_TEXT = 10_000  # Base64Encode/Base64Decode/Hash input limit (characters), per the AWS docs
_MAX_RANGE = 1000  # ArrayRange result limit, per the AWS docs


class IntrinsicSyntaxError(ValueError):
    """The text is not a well-formed intrinsic function call."""


class _Fail(Exception):
    """Internal: the detail text of a failed call."""


def is_intrinsic(s: Any) -> bool:
    """True if ``s`` looks like an intrinsic call (``States.Name(``...)."""
    return type(s) is str and _CALL.match(s) is not None


# ---------------------------------------------------------------- parsing
# AST: ("call", name, args) | ("lit", value) | ("str", value, holes) | ("path", text)
# ``holes`` are the offsets in ``value`` of unescaped "{}" (States.Format placeholders).

@lru_cache(maxsize=2048)
def parse(expr: str) -> tuple:
    node, i = _parse_call(expr, 0)
    if expr[i:].strip():
        raise IntrinsicSyntaxError(f"Unexpected text after the call: {expr[i:]!r}")
    return node


def _parse_call(s: str, i: int) -> tuple[tuple, int]:
    m = _CALL.match(s, i)
    if m is None or m.group(1) not in _FUNCTIONS:
        raise IntrinsicSyntaxError(f"Unknown or malformed intrinsic function at {i}: {s[i:i + 40]!r}")
    i, args = _skip(s, m.end()), []
    if s.startswith(")", i):
        return ("call", m.group(1), ()), i + 1
    while True:
        arg, i = _parse_arg(s, _skip(s, i))
        args.append(arg)
        i = _skip(s, i)
        if s.startswith(")", i):
            return ("call", m.group(1), tuple(args)), i + 1
        if not s.startswith(",", i):
            raise IntrinsicSyntaxError(f"Expected ',' or ')' at {i} in {s!r}")
        i += 1


def _skip(s: str, i: int) -> int:
    while i < len(s) and s[i].isspace():
        i += 1
    return i


def _parse_arg(s: str, i: int) -> tuple[tuple, int]:
    if s.startswith("'", i):
        return _parse_string(s, i + 1)
    if s.startswith("States.", i):
        return _parse_call(s, i)
    if s.startswith("$", i):
        return _parse_path(s, i)
    for pattern, convert in ((_NUMBER, _number), (_WORD, lambda w: {"true": True, "false": False}.get(w))):
        m = pattern.match(s, i)
        if m:
            return ("lit", convert(m.group(0))), m.end()
    raise IntrinsicSyntaxError(f"Bad argument at {i} in {s!r}")


def _number(text: str) -> int | float:
    return float(text) if any(c in text for c in ".eE") else int(text)


def _parse_string(s: str, i: int) -> tuple[tuple, int]:
    out: list[str] = []
    holes: list[int] = []
    while i < len(s):
        c = s[i]
        if c == "'":
            return ("str", "".join(out), tuple(holes)), i + 1
        if c == "\\":
            if i + 1 >= len(s):
                break
            nxt = s[i + 1]
            out.append(nxt if nxt in "'{}\\" else c + nxt)  # unknown escapes stay as written
            i += 2
            continue
        if c == "{" and s.startswith("{}", i):
            holes.append(len(out))
        out.append(c)
        i += 1
    raise IntrinsicSyntaxError(f"Unterminated string literal in {s!r}")


def _parse_path(s: str, i: int) -> tuple[tuple, int]:
    """A path runs to the next top-level ',' / ')' / space (brackets and quotes nest)."""
    j, depth, quote = i, 0, None
    while j < len(s):
        c = s[j]
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"" and depth:
            quote = c
        elif c in "[(":
            depth += 1
        elif c in "])" and depth:
            depth -= 1
        elif c in ",)" or c.isspace():
            break
        j += 1
    try:
        validate(s[i:j])
    except PathSyntaxError as exc:
        raise IntrinsicSyntaxError(str(exc)) from None
    return ("path", s[i:j]), j


# ---------------------------------------------------------------- evaluation

def evaluate(expr: str, doc: Any, env: Any, field: str = "") -> Any:
    """Evaluate an intrinsic call; ``field`` (the ``key.$``) is kept for symmetry with
    paths.resolve: AWS names the whole expression, not the field, in these errors."""
    try:
        return _eval(parse(expr), doc, env, field)
    except (_Fail, IntrinsicSyntaxError) as exc:
        raise StatesError(StatesErrorName.RUNTIME,
                          f"The function '{expr}' had the following error: {exc}", located=True) from None


def _eval(node: tuple, doc: Any, env: Any, field: str) -> Any:
    kind = node[0]
    if kind == "path":
        return _path_arg(node[1], doc, env, field)
    if kind != "call":
        return node[1]
    name, args = node[1], node[2]
    if name == "Format" and args and args[0][0] == "str":
        values = [_eval(a, doc, env, field) for a in args[1:]]
        return _format(args[0][1], args[0][2], values)
    handler, arities = _FUNCTIONS[name]
    if len(args) not in arities:
        raise _Fail(f"States.{name} takes {_arity_text(arities)} but {len(args)} were given")
    return handler(env, *[_eval(a, doc, env, field) for a in args])


def _path_arg(path: str, doc: Any, env: Any, field: str) -> Any:
    try:
        return resolve(path, doc, env, field, strict=True)
    except PathNotFound as miss:
        if miss.detail.startswith("Filter:"):  # AWS lets Jayway's own message through here
            raise _Fail(miss.detail) from None
        shown = "$" + path[2:] if path.startswith("$$") else path
        raise _Fail(f"The JsonPath argument for the field '{shown}' could not be found "
                    f"in the input '{to_json(doc)}'") from None


def _arity_text(arities: range) -> str:
    if arities.stop > 100:
        return f"at least {arities.start} argument(s)"
    counts = " or ".join(str(n) for n in arities)
    return f"{counts} argument(s)"


# ---------------------------------------------------------------- argument checks

def _is_num(v: Any) -> bool:
    return type(v) is int or type(v) is float


def _want(ok: bool, name: str, what: str, value: Any) -> None:
    if not ok:
        raise _Fail(f"States.{name}: expected {what} but got {to_json(value)}")


def _array(name: str, v: Any) -> list:
    _want(type(v) is list, name, "an array", v)
    return v


def _text(name: str, v: Any, limit: int | None = None) -> str:
    _want(type(v) is str, name, "a string", v)
    if limit is not None and len(v) > limit:
        raise _Fail(f"States.{name}: the input string is longer than {limit} characters")
    return v


def _rounded(name: str, v: Any) -> int:
    """Java's Math.round (half up), which AWS applies to non-integer arguments."""
    _want(_is_num(v) and math.isfinite(v), name, "a number", v)
    return v if type(v) is int else math.floor(v + 0.5)


# ---------------------------------------------------------------- the functions

def _format(template: str, holes: tuple | None, values: list) -> str:
    if holes is None:
        holes = tuple(m.start() for m in re.finditer(r"\{\}", template))
    if len(holes) != len(values):
        raise _Fail(f"States.Format: the template has {len(holes)} placeholder(s) "
                    f"but {len(values)} argument(s) were given")
    parts, start = [], 0
    for hole, value in zip(holes, values):
        parts += [template[start:hole], _java_text(value)]
        start = hole + 2
    return "".join(parts) + template[start:]


def _java_text(value: Any) -> str:
    """How AWS's Java runtime prints a value inside States.Format (Map/List toString)."""
    if type(value) is str:
        return value
    if value is None or type(value) is bool:
        return to_json(value)
    if type(value) is float:
        return _java_double(value)
    if type(value) is list:
        return "[" + ", ".join(_java_text(v) for v in value) + "]"
    if type(value) is dict:
        return "{" + ", ".join(f"{k}={_java_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def _java_double(x: float) -> str:
    """Java's Double.toString: plain in [1e-3, 1e7), else ``d.dddE<n>``; always a fraction."""
    if x == 0 or 1e-3 <= abs(x) < 1e7:
        return repr(x)  # Python's shortest repr matches Java's digits in this range
    if not math.isfinite(x):
        return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")
    _, digits, exponent = Decimal(repr(abs(x))).as_tuple()
    power = len(digits) + exponent - 1
    text = "".join(map(str, digits)).rstrip("0") or "0"
    return f"{'-' if x < 0 else ''}{text[0]}.{text[1:] or '0'}E{power}"


def _string_to_json(env: Any, s: Any) -> Any:
    text = _text("StringToJson", s)
    if not text.strip():
        return None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        raise _Fail(f"States.StringToJson: the string is not valid JSON: {text}") from None


def _reject_constant(name: str) -> None:
    raise ValueError(name)  # Jackson, like JSON itself, has no NaN / Infinity


def _array_partition(env: Any, arr: Any, size: Any) -> list:
    arr, size = _array("ArrayPartition", arr), _rounded("ArrayPartition", size)
    if size <= 0:
        raise _Fail(f"States.ArrayPartition: the chunk size must be a positive integer, got {size}")
    return [arr[i:i + size] for i in range(0, len(arr), size)]


def _array_range(env: Any, start: Any, end: Any, step: Any) -> list:
    start, end, step = (_rounded("ArrayRange", v) for v in (start, end, step))
    if step == 0:
        raise _Fail("States.ArrayRange: the step must not be zero")
    count = max(0, (end - start) // step + 1)
    if count > _MAX_RANGE:
        raise _Fail(f"States.ArrayRange: the result would have {count} items, more than {_MAX_RANGE}")
    return [start + k * step for k in range(count)]


def _array_get_item(env: Any, arr: Any, index: Any) -> Any:
    arr = _array("ArrayGetItem", arr)
    _want(type(index) is int or (type(index) is float and index.is_integer()), "ArrayGetItem", "an integer index", index)
    if not 0 <= index < len(arr):
        raise _Fail(f"States.ArrayGetItem: index {int(index)} is out of bounds for an array of length {len(arr)}")
    return arr[int(index)]


def _canonical(v: Any) -> Any:
    """A hashable key with json_equal's notion of equality (bool is not a number)."""
    if type(v) is dict:
        return ("o", frozenset((k, _canonical(x)) for k, x in v.items()))
    if type(v) is list:
        return ("a", tuple(_canonical(x) for x in v))
    return ("b" if type(v) is bool else "v", v)


def _array_unique(env: Any, arr: Any) -> list:
    seen, out = set(), []
    for item in _array("ArrayUnique", arr):
        key = _canonical(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _base64_decode(env: Any, s: Any) -> str:
    text = _text("Base64Decode", s, _MAX_TEXT)
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _Fail(f"States.Base64Decode: the input is not valid Base64: {text}") from None


def _hash(env: Any, data: Any, algorithm: Any) -> str:
    text = _text("Hash", data, _MAX_TEXT)
    _want(algorithm in _HASHES, "Hash", "one of " + ", ".join(_HASHES), algorithm)
    return hashlib.new(_HASHES[algorithm], text.encode("utf-8")).hexdigest()


def _json_merge(env: Any, a: Any, b: Any, deep: Any) -> dict:
    _want(type(a) is dict, "JsonMerge", "a JSON object", a)
    _want(type(b) is dict, "JsonMerge", "a JSON object", b)
    _want(type(deep) is bool, "JsonMerge", "a boolean", deep)
    if deep:
        raise _Fail("States.JsonMerge: only shallow merging is supported; the third argument must be false")
    return {**a, **b}


def _math_random(env: Any, start: Any, end: Any, seed: Any = None) -> int:
    lo, hi = _rounded("MathRandom", start), _rounded("MathRandom", end)
    if lo >= hi:
        raise _Fail(f"States.MathRandom: the start ({lo}) must be less than the end ({hi})")
    if seed is None:
        return env.rng.randrange(lo, hi)
    return lo + _java_next_int(_rounded("MathRandom", seed), hi - lo)


def _java_next_int(seed: int, bound: int) -> int:
    """java.util.Random(seed).nextInt(bound): a seeded MathRandom repeats like AWS's Java."""
    mask, mult = (1 << 48) - 1, 0x5DEECE66D
    state = (seed ^ mult) & mask
    while True:
        state = (state * mult + 0xB) & mask
        bits = state >> 17  # next(31)
        if bound & (bound - 1) == 0:
            return (bound * bits) >> 31
        value = bits % bound
        if bits - value + (bound - 1) < 2**31:
            return value


def _math_add(env: Any, a: Any, b: Any) -> int:
    total = _rounded("MathAdd", a) + _rounded("MathAdd", b)
    for v in (_rounded("MathAdd", a), _rounded("MathAdd", b), total):
        if not -2**31 <= v < 2**31:
            raise _Fail(f"States.MathAdd: {v} is outside the integer range -2147483648..2147483647")
    return total


def _string_split(env: Any, s: Any, delimiters: Any) -> list:
    text, delims = _text("StringSplit", s), _text("StringSplit", delimiters)
    if not delims:
        return [text] if text else []
    return [part for part in re.split("[" + re.escape(delims) + "]", text) if part]


_ANY = range(0, 1 << 20)
_FUNCTIONS: dict[str, tuple[Callable[..., Any], range]] = {
    "Format": (lambda env, template, *values: _format(_text("Format", template), None, list(values)), range(1, 1 << 20)),
    "StringToJson": (_string_to_json, range(1, 2)),
    "JsonToString": (lambda env, v: to_json(v), range(1, 2)),
    "Array": (lambda env, *values: list(values), _ANY),
    "ArrayPartition": (_array_partition, range(2, 3)),
    "ArrayContains": (lambda env, arr, v: any(json_equal(x, v) for x in _array("ArrayContains", arr)), range(2, 3)),
    "ArrayRange": (_array_range, range(3, 4)),
    "ArrayGetItem": (_array_get_item, range(2, 3)),
    "ArrayLength": (lambda env, arr: len(_array("ArrayLength", arr)), range(1, 2)),
    "ArrayUnique": (_array_unique, range(1, 2)),
    "Base64Encode": (lambda env, s: base64.b64encode(_text("Base64Encode", s, _MAX_TEXT).encode()).decode(), range(1, 2)),
    "Base64Decode": (_base64_decode, range(1, 2)),
    "Hash": (_hash, range(2, 3)),
    "JsonMerge": (_json_merge, range(3, 4)),
    "MathRandom": (_math_random, range(2, 4)),
    "MathAdd": (_math_add, range(2, 3)),
    "StringSplit": (_string_split, range(2, 3)),
    "UUID": (lambda env: str(uuid.UUID(int=env.rng.getrandbits(128), version=4)), range(0, 1)),
}
