"""JSONPath as Step Functions evaluates it (AWS runs Jayway JsonPath over Jackson nodes).

Public API (nothing mutates its inputs; results may share sub-trees with them):
``get(path, doc, field, strict=False)``, ``resolve(path, doc, env, field, strict=False)``
(``$$...`` -> Context object, ``$name...`` -> variable, ``$...`` -> doc),
``apply_input_path``, ``apply_output_path``, ``set_result_path``, ``parse`` / ``validate``
(cached; raise ``PathSyntaxError``, for definition checks) and ``json_equal``.

A definite path (``.key``, ``['key']``, ``[i]``) gives the value; an indefinite one
(``*``, ``[a:b]``, ``[i,j]``, ``[?(...)]``, ``..``) gives a list, ``[]`` when nothing
matches; ``.length()`` gives a number.  As with Jackson, an index past the end of an
array reads as ``null``; ``strict=True`` (intrinsic arguments) makes that a miss.

A miss raises ``PathNotFound``: a ``StatesError`` (States.Runtime, located) whose
``cause`` is AWS's wording for InputPath, payload-template keys (field ``'key.$'``),
ErrorPath, CausePath, ...:
    The JSONPath '$.x' specified for the field 'F' could not be found in the input '<doc>'
``exc.invalid_path()`` is the wording AWS uses for OutputPath, TimeoutSecondsPath and
HeartbeatSecondsPath (``apply_output_path`` applies it itself):
    Invalid path '$.x' : No results for path: $['x']
``exc.path / field / doc / detail`` let the engine word other fields (SecondsPath...).
For ``$$`` paths the input shown is the Context object; for ``$var`` paths (wording
not verified against AWS) it is ``doc``; an undefined variable is a miss as well.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable

from sim.asl.errors import StatesError, StatesErrorName, to_json

KEY, INDEX, KEYS, INDEXES, WILD, SLICE, SCAN, FILTER = range(8)
_JACKSON = "com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider"
_INT = re.compile(r"-?\d+")
_QUOTED = re.compile(r"""'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(,)|(\s+)""")


class PathSyntaxError(ValueError):
    """The string is not a JSONPath this module can evaluate (a definition error)."""


class PathNotFound(StatesError):
    """A path matched nothing; ``detail`` is Jayway's own message for the miss."""

    def __init__(self, path: str, field: str, doc: Any, detail: str) -> None:
        self.path, self.field, self.doc, self.detail = path, field, doc, detail
        cause = (f"The JSONPath '{path}' specified for the field '{field}' "
                 f"could not be found in the input '{to_json(doc)}'")
        super().__init__(StatesErrorName.RUNTIME, cause, located=True)

    def invalid_path(self) -> StatesError:
        """The same miss in the OutputPath / TimeoutSecondsPath wording."""
        return StatesError(StatesErrorName.RUNTIME, f"Invalid path '{self.path}' : {self.detail}", located=True)


class Parsed:
    """A compiled path: its tokens plus flags that select the evaluation route."""

    __slots__ = ("text", "tokens", "definite", "keys", "length")

    def __init__(self, text: str, tokens: tuple, length: bool) -> None:
        self.text, self.tokens, self.length = text, tokens, length
        self.definite = all(t[0] in (KEY, INDEX) or (t[0] == KEYS and t is tokens[-1]) for t in tokens)
        # all-key paths ($.a.b, by far the most common) get a tight dict-walking loop in get()
        self.keys = None if length or any(t[0] != KEY for t in tokens) else tuple(t[1] for t in tokens)


# ---------------------------------------------------------------- parsing

@lru_cache(maxsize=4096)
def parse(path: str) -> Parsed:
    """Compile a ``$``-rooted (or, inside filters, ``@``-rooted) path."""
    if not path or path[0] not in "$@":
        raise PathSyntaxError(f"A JSONPath must start with '$': {path!r}")
    tokens: list = []
    i, n, length = 1, len(path), False
    while i < n:
        if path.startswith(".length()", i) and i + 9 == n:
            length, i = True, n
        elif path.startswith("..", i):  # recursive descent: ..name, ..*, ..[...]
            tokens.append((SCAN, None))
            if path.startswith("[", i + 2):
                i = _parse_bracket(path, i + 2, tokens)
            elif path.startswith("*", i + 2):
                i += 3
            else:
                i = _parse_dot(path, i + 2, tokens)
                tokens[-2:] = [(SCAN, tokens[-1][1])]
        elif path[i] == ".":
            i = _parse_dot(path, i + 1, tokens)
        elif path[i] == "[":
            i = _parse_bracket(path, i, tokens)
        else:
            raise PathSyntaxError(f"Unexpected {path[i]!r} at {i} in {path!r}")
    return Parsed(path, tuple(tokens), length)


def _parse_dot(path: str, i: int, tokens: list) -> int:
    if path.startswith("*", i):
        tokens.append((WILD,))
        return i + 1
    j = i
    while j < len(path) and path[j] not in ".[":
        j += 1
    if j == i:
        raise PathSyntaxError(f"Empty property name at {i} in {path!r}")
    tokens.append((KEY, path[i:j]))
    return j


def _parse_bracket(path: str, i: int, tokens: list) -> int:
    is_filter = path.startswith("[?(", i)
    end = _closing(path, i + 3 if is_filter else i + 1, ")]" if is_filter else "]")
    if is_filter:
        tokens.append((FILTER, _compile_filter(path[i + 3:end])))
        return end + 2
    tokens.append(_bracket_token(path[i + 1:end].strip(), path))
    return end + 1


def _closing(path: str, i: int, closer: str) -> int:
    """Index of ``closer`` at nesting depth 0, skipping quoted text."""
    depth, quote = 0, None
    while i < len(path):
        c = path[i]
        if quote:
            i += c == "\\"
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif depth == 0 and path.startswith(closer, i):
            return i
        else:
            depth += (c in "([") - (c in ")]")
        i += 1
    raise PathSyntaxError(f"Unclosed bracket in {path!r}")


def _bracket_token(inner: str, path: str) -> tuple:
    if inner == "*":
        return (WILD,)
    if inner[:1] in "'\"":
        names = [re.sub(r"\\(.)", r"\1", m[0] or m[1]) for m in _QUOTED.findall(inner) if not (m[2] or m[3])]
        if _QUOTED.sub("", inner).strip():
            raise PathSyntaxError(f"Bad property list [{inner}] in {path!r}")
        return (KEY, names[0]) if len(names) == 1 else (KEYS, tuple(names))
    if ":" in inner:
        parts = [p.strip() for p in inner.split(":")]
        if len(parts) > 3 or not all(p == "" or _INT.fullmatch(p) for p in parts):
            raise PathSyntaxError(f"Bad slice [{inner}] in {path!r}")
        return (SLICE, slice(*[int(p) if p else None for p in parts]))
    items = [p.strip() for p in inner.split(",")]
    if not all(_INT.fullmatch(p) for p in items):
        raise PathSyntaxError(f"Bad subscript [{inner}] in {path!r}")
    return (INDEX, int(items[0])) if len(items) == 1 else (INDEXES, tuple(int(p) for p in items))


# ---------------------------------------------------------------- filters [?(...)]

_FTOKEN = re.compile(r"""\s*(?:(&&|\|\||==|!=|<=|>=|=~|<|>|!|\(|\))"""
                     r"""|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(/(?:[^/\\]|\\.)*/[a-z]*)"""
                     r"""|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|(true|false|null)\b"""
                     r"""|([@$](?:\['[^']*'\]|[^\s=!<>&|()])*(?:\(\))?))""")
_UNDEF = object()
_ORDER = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
Pred = Callable[[Any, Any], bool]


def _compile_filter(text: str) -> Pred:
    """Compile a filter body into ``pred(element, root)``.  As in Jayway, a comparison
    with a missing or differently typed operand is false (so ``!=`` is true)."""
    tokens, pos, text = [], 0, text.rstrip()
    while pos < len(text):
        m = _FTOKEN.match(text, pos)
        if m is None:
            raise PathSyntaxError(f"Bad filter expression {text!r}")
        tokens.append((m.lastindex, m.group(m.lastindex)))
        pos = m.end()
    pred, end = _f_binary(tokens, 0, "||")
    if end != len(tokens):
        raise PathSyntaxError(f"Bad filter expression {text!r}")
    return pred


def _f_binary(tokens: list, i: int, op: str) -> tuple[Pred, int]:
    """``||`` binds looser than ``&&``; both short-circuit."""
    sub = _f_unary if op == "&&" else (lambda t, j: _f_binary(t, j, "&&"))
    first, i = sub(tokens, i)
    parts = [first]
    while i < len(tokens) and tokens[i] == (1, op):
        part, i = sub(tokens, i + 1)
        parts.append(part)
    if len(parts) == 1:
        return first, i
    combine = any if op == "||" else all
    return (lambda x, r: combine(p(x, r) for p in parts)), i


def _f_unary(tokens: list, i: int) -> tuple[Pred, int]:
    if i < len(tokens) and tokens[i] == (1, "!"):
        inner, i = _f_unary(tokens, i + 1)
        return (lambda x, r: not inner(x, r)), i
    if i < len(tokens) and tokens[i] == (1, "("):
        inner, i = _f_binary(tokens, i + 1, "||")
        if i >= len(tokens) or tokens[i] != (1, ")"):
            raise PathSyntaxError("Unbalanced parentheses in filter")
        return inner, i + 1
    left, i = _f_operand(tokens, i)
    if i < len(tokens) and tokens[i][0] == 1 and tokens[i][1] not in ("&&", "||", ")"):
        op = tokens[i][1]
        right, i = _f_operand(tokens, i + 1)
        return (lambda x, r: _compare(op, left(x, r), right(x, r))), i
    return (lambda x, r: left(x, r) is not _UNDEF), i  # a bare path tests existence


def _f_operand(tokens: list, i: int) -> tuple[Callable[[Any, Any], Any], int]:
    kind, text = tokens[i] if i < len(tokens) else (0, "")
    if kind == 6:
        parsed = parse(text)
        return (lambda x, r: _operand(parsed, x, r)), i + 1
    if kind == 2:
        value: Any = re.sub(r"\\(.)", r"\1", text[1:-1])
    elif kind == 3:
        body, flags = text[1:].rsplit("/", 1)
        value = re.compile(body, re.IGNORECASE if "i" in flags else 0)
    elif kind == 4:
        value = float(text) if any(c in text for c in ".eE") else int(text)
    elif kind == 5:
        value = {"true": True, "false": False, "null": None}[text]
    else:
        raise PathSyntaxError(f"Unexpected {text!r} in filter")
    return (lambda x, r: value), i + 1


def _operand(parsed: Parsed, element: Any, root: Any) -> Any:
    try:
        return evaluate(parsed, root if parsed.text[0] == "$" else element, True, root)
    except _Miss:
        return _UNDEF


def _compare(op: str, a: Any, b: Any) -> bool:
    if op in ("==", "!="):
        return json_equal(a, b) == (op == "==")
    if op == "=~":
        return type(a) is str and isinstance(b, re.Pattern) and b.search(a) is not None
    if (_is_num(a) and _is_num(b)) or (type(a) is str and type(b) is str):
        return _ORDER[op](a, b)
    return False


def _is_num(v: Any) -> bool:
    return type(v) is int or type(v) is float


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: numbers by value (1 == 1.0) but a boolean never equals a number."""
    if _is_num(a) and _is_num(b):
        return a == b
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return a == b


# ---------------------------------------------------------------- evaluation

class _Miss(Exception):
    """Internal: a definite path found nothing; the message is Jayway's wording."""


def get(path: str, doc: Any, field: str, strict: bool = False) -> Any:
    """Evaluate ``path`` against ``doc``; a miss raises ``PathNotFound``."""
    parsed = parse(path)
    if parsed.keys is not None:
        cur = doc
        try:
            for k in parsed.keys:
                cur = cur[k]
            return cur
        except (KeyError, TypeError, IndexError):
            pass  # the general route below words the miss
    try:
        return evaluate(parsed, doc, strict)
    except _Miss as miss:
        raise PathNotFound(path, field, doc, str(miss)) from None


def evaluate(parsed: Parsed, doc: Any, strict: bool = False, root: Any = None) -> Any:
    """Evaluate a compiled path (``root`` serves ``$`` inside filters); may raise ``_Miss``."""
    if parsed.definite:
        value = _definite(parsed.tokens, doc, strict)
    else:
        value = _indefinite(parsed.tokens, doc, doc if root is None else root)
    if not parsed.length:
        return value
    if type(value) in (list, dict, str):
        return len(value)
    raise _Miss(f"Function length() can not be applied to {to_json(value)}")


def _definite(tokens: tuple, doc: Any, strict: bool) -> Any:
    cur, last = doc, len(tokens) - 1
    for pos, tok in enumerate(tokens):
        if tok[0] == INDEX:
            cur = _index(cur, tok[1], tokens, pos, strict)
        elif type(cur) is not dict:
            raise _Miss(f"Expected to find an object with property {_norm(tokens[pos:pos + 1])[1:]} in path "
                        f"{_norm(tokens[:pos])} but found '{_java_class(cur)}'. This is not a json "
                        f"object according to the JsonProvider: '{_JACKSON}'.")
        elif tok[0] == KEYS:  # only as the leaf: Jayway merges the present properties
            cur = {k: cur[k] for k in tok[1] if k in cur}
        elif tok[1] in cur:
            cur = cur[tok[1]]
        elif pos == last:
            raise _Miss(f"No results for path: {_norm(tokens)}")
        else:
            raise _Miss(f"Missing property in path {_norm(tokens[:pos + 1])}")
    return cur


def _index(cur: Any, index: int, tokens: tuple, pos: int, strict: bool) -> Any:
    if type(cur) is not list:
        if cur is None:
            raise _Miss(f"The path {_norm(tokens[:pos])} is null")
        raise _Miss(f"Filter: [{index}] can only be applied to arrays. Current context is: {to_json(cur)}")
    if -len(cur) <= index < len(cur):
        return cur[index]
    if strict:
        raise _Miss(f"No results for path: {_norm(tokens)}")
    return None  # Jackson's ArrayNode.get answers null past the end, and Jayway keeps it


def _indefinite(tokens: tuple, doc: Any, root: Any) -> list:
    nodes = [doc]
    for tok in tokens:
        kind, out = tok[0], []
        for node in nodes:
            if kind == KEY or kind == KEYS:
                if type(node) is dict:
                    out.extend(node[k] for k in ((tok[1],) if kind == KEY else tok[1]) if k in node)
            elif kind == INDEX or kind == INDEXES:
                if type(node) is list:
                    out.extend(node[i] for i in ((tok[1],) if kind == INDEX else tok[1]) if -len(node) <= i < len(node))
            elif kind == WILD:
                out.extend(node.values() if type(node) is dict else node if type(node) is list else ())
            elif kind == SLICE:
                out.extend(node[tok[1]] if type(node) is list else ())
            elif kind == SCAN:
                _scan(node, tok[1], out)
            else:  # FILTER: an array keeps its matching elements; an object is tested itself
                out.extend(x for x in (node if type(node) is list else [node]) if tok[1](x, root))
        nodes = out
    return nodes


def _scan(node: Any, name: str | None, out: list) -> None:
    """Recursive descent in document order: ``..name``, or every descendant for ``..*``."""
    children = node.values() if type(node) is dict else node if type(node) is list else ()
    if name is not None and type(node) is dict and name in node:
        out.append(node[name])
    for child in children:
        if name is None:
            out.append(child)
        _scan(child, name, out)


def _norm(tokens: tuple) -> str:
    """Jayway's normalised spelling of a path, as its messages print it."""
    spell = {KEY: lambda t: f"['{t[1]}']", INDEX: lambda t: f"[{t[1]}]",
             KEYS: lambda t: "[" + ", ".join(f"'{k}'" for k in t[1]) + "]"}
    return "$" + "".join(spell.get(t[0], lambda t: "[*]")(t) for t in tokens)


def _java_class(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is int:
        name = "IntNode" if -2**31 <= value < 2**31 else "LongNode"
    else:
        name = {bool: "BooleanNode", float: "DoubleNode", str: "TextNode", list: "ArrayNode"}.get(type(value), "ObjectNode")
    return "com.fasterxml.jackson.databind.node." + name


# ---------------------------------------------------------------- dispatch and I/O paths

@lru_cache(maxsize=4096)
def _route(path: str) -> tuple[str, str, str]:
    """Split a path into (target: doc/ctx/var, variable name, ``$``-rooted remainder)."""
    if path.startswith("$$"):
        target, name, rest = "ctx", "", "$" + path[2:]
    elif len(path) > 1 and path[0] == "$" and path[1] not in ".[":
        m = re.match(r"\$([^.\[]+)", path)
        target, name, rest = "var", m.group(1), "$" + path[m.end():]
    else:
        target, name, rest = "doc", "", path
    parse(rest)  # syntax errors surface here, once
    return target, name, rest


def validate(path: str) -> None:
    """Raise ``PathSyntaxError`` unless ``path`` is a usable ``$`` / ``$$`` / ``$var`` path."""
    _route(path)


def resolve(path: str, doc: Any, env: Any, field: str, strict: bool = False) -> Any:
    """Evaluate a path that may address the Context object (``$$``) or a variable (``$x``)."""
    target, name, rest = _route(path)
    if target == "doc":
        return get(path, doc, field, strict)
    if target == "ctx":
        base, shown = env.context, env.context
    else:
        try:
            base, shown = env.variables[name], doc
        except KeyError:
            raise PathNotFound(path, field, doc, f"No results for path: {path}") from None
    try:
        return evaluate(parse(rest), base, strict)
    except _Miss as miss:
        raise PathNotFound(path, field, shown, str(miss)) from None


def apply_input_path(path: str | None, doc: Any, env: Any) -> Any:
    """InputPath (an absent field means "$"); JSON null gives ``{}``."""
    if path is None:
        return {}
    return doc if path == "$" else resolve(path, doc, env, "InputPath")


def apply_output_path(path: str | None, doc: Any, env: Any = None) -> Any:
    """OutputPath (may read variables); JSON null gives ``{}``; a miss is worded "Invalid path"."""
    if path is None:
        return {}
    if path == "$":
        return doc
    try:
        return resolve(path, doc, env, "OutputPath")
    except PathNotFound as miss:
        raise miss.invalid_path() from None


def set_result_path(path: str | None, raw_input: Any, result: Any) -> Any:
    """ResultPath: ``"$"`` replaces the input, None keeps it, ``$.a.b`` copies the input
    along the path (creating missing objects) and puts the result there.  A step into
    a non-object (or past an array's end) raises States.ResultPathMatchFailure, not
    located; AWS's exact cause text for it is not verified."""
    if path is None:
        return raw_input
    if path == "$":
        return result
    tokens = parse(path).tokens
    if not tokens or any(t[0] not in (KEY, INDEX) for t in tokens):
        raise PathSyntaxError(f"ResultPath must be a reference path: {path!r}")
    return _put(raw_input, tokens, 0, result, raw_input)


def _put(node: Any, tokens: tuple, pos: int, result: Any, raw: Any) -> Any:
    kind, step = tokens[pos]
    last = pos == len(tokens) - 1
    if kind == KEY and type(node) is dict:
        new = dict(node)
        new[step] = result if last else _put(node.get(step, {}), tokens, pos + 1, result, raw)
        return new
    if kind == INDEX and type(node) is list and -len(node) <= step < len(node):
        new = list(node)
        new[step] = result if last else _put(node[step], tokens, pos + 1, result, raw)
        return new
    raise StatesError(StatesErrorName.RESULT_PATH_MATCH_FAILURE,
                      f"Unable to apply step \"{step}\" to input {to_json(raw)}")
