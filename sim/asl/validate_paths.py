"""Static checks of JSONPath paths and intrinsic calls, shared by validate and lint.

Syntax is decided by the engine's own parsers (``sim.asl.paths.parse`` and
``sim.asl.intrinsics.parse``), so a definition the validator accepts is one the
engine can run; on top of them this module knows the ASL restrictions the
parsers do not enforce:

* a *Reference Path* (ResultPath, ItemsPath, SecondsPath, ...) addresses one
  node: only ``.name``, ``['name']`` and ``[n]`` steps (ASL spec, "Reference Paths");
* ResultPath is rooted at ``$`` (never ``$$`` or a variable);
* intrinsic function names and fixed arities (AWS "Intrinsic functions" page).

Each ``check_*`` returns ``None`` when the value is fine, else a short reason.
"""

from __future__ import annotations

import re
from typing import Any

from sim.asl import intrinsics, paths

DOC, CTX, VAR = "doc", "ctx", "var"
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CALL_NAMES = re.compile(r"States\.([A-Za-z0-9_]*)\s*\(")

#: name -> (min, max) arguments; max None = variadic (docs: "Intrinsic functions for JSONPath").
ARITY: dict[str, tuple[int, int | None]] = {
    "Format": (1, None), "StringToJson": (1, 1), "JsonToString": (1, 1), "Array": (0, None),
    "ArrayPartition": (2, 2), "ArrayContains": (2, 2), "ArrayRange": (3, 3), "ArrayGetItem": (2, 2),
    "ArrayLength": (1, 1), "ArrayUnique": (1, 1), "Base64Encode": (1, 1), "Base64Decode": (1, 1),
    "Hash": (2, 2), "JsonMerge": (3, 3), "MathRandom": (2, 3), "MathAdd": (2, 2),
    "StringSplit": (2, 2), "UUID": (0, 0),
}


def is_jsonata(value: Any) -> bool:
    """A JSONata expression string: ``{% ... %}`` exactly (surrounding spaces make it a literal)."""
    return type(value) is str and value.startswith("{%") and value.endswith("%}") and len(value) >= 4


def opens_jsonata(value: Any) -> bool:
    """Starts like a JSONata expression but does not end like one."""
    return type(value) is str and value.startswith("{%") and not is_jsonata(value)


def split_root(path: str) -> tuple[str, str, str]:
    """(root kind, variable name, ``$``-rooted remainder) of a path starting with ``$``."""
    if path.startswith("$$"):
        return CTX, "", "$" + path[2:]
    if len(path) > 1 and path[1] not in ".[":
        m = re.match(r"\$([^.\[]+)", path)
        return VAR, m.group(1), "$" + path[m.end():]
    return DOC, "", path


def check_path(value: Any, reference: bool = False, roots: tuple[str, ...] = (DOC, CTX, VAR)) -> str | None:
    """Why ``value`` is not a usable path (``None`` if it is)."""
    if type(value) is not str:
        return "a path must be a string"
    if not value.startswith("$"):
        return "a path must start with '$'"
    kind, name, rest = split_root(value)
    if kind not in roots:
        return {CTX: "the Context object ($$) cannot be used here",
                VAR: "a variable cannot be used here"}[kind]
    if kind == VAR and not _VAR_NAME.fullmatch(name):
        return f"'{name}' is not a valid variable name"
    try:
        parsed = paths.parse(rest)
    except paths.PathSyntaxError as exc:
        return str(exc)
    if reference and (parsed.length or any(t[0] not in (paths.KEY, paths.INDEX) for t in parsed.tokens)):
        return "it is not a Reference Path (only .name, ['name'] and [index] steps address a single node)"
    if reference and any(t[0] == paths.INDEX and t[1] < 0 for t in parsed.tokens):
        return "it is not a Reference Path (negative index)"
    return None


def check_intrinsic(value: str) -> str | None:
    """Why ``value`` is not a valid intrinsic function call (``None`` if it is)."""
    try:
        tree = intrinsics.parse(value)
    except (intrinsics.IntrinsicSyntaxError, paths.PathSyntaxError) as exc:
        unknown = [n for n in _CALL_NAMES.findall(value) if n not in ARITY]
        return f"'States.{unknown[0]}' is not an intrinsic function" if unknown else str(exc)
    return _check_arity(tree)


def _check_arity(node: tuple) -> str | None:
    if node[0] != "call":
        return None
    name, args = node[1], node[2]
    low, high = ARITY.get(name, (0, None))
    if len(args) < low or (high is not None and len(args) > high):
        want = f"exactly {low}" if low == high else (f"at least {low}" if high is None else f"{low} to {high}")
        return f"States.{name} takes {want} argument(s), got {len(args)}"
    for arg in args:
        reason = _check_arity(arg)
        if reason:
            return reason
    return None


def check_dollar_value(value: Any) -> str | None:
    """Why the value of a ``key.$`` entry is neither a path nor an intrinsic call."""
    if type(value) is not str:
        return "the value must be a string"
    if value.startswith("$"):
        return check_path(value)
    if value.lstrip().startswith("States."):
        return check_intrinsic(value)
    return "the value is neither a JSONPath nor an intrinsic function call"


def intrinsic_path_args(value: str) -> list[str]:
    """The path arguments of an intrinsic call, in order (nested calls included)."""
    try:
        tree = intrinsics.parse(value)
    except (ValueError, KeyError):
        return []
    out: list[str] = []
    _collect_paths(tree, out)
    return out


def _collect_paths(node: tuple, out: list[str]) -> None:
    if node[0] == "path":
        out.append(node[1])
    elif node[0] == "call":
        for arg in node[2]:
            _collect_paths(arg, out)


def definite_steps(path: str) -> tuple | None:
    """The steps of a ``$``-rooted definite path as (("key", name) | ("index", n), ...);
    ``None`` for Context/variable paths and for paths that may select several nodes."""
    if type(path) is not str or not path.startswith("$"):
        return None
    kind, _, rest = split_root(path)
    if kind != DOC:
        return None
    try:
        parsed = paths.parse(rest)
    except paths.PathSyntaxError:
        return None
    if parsed.length or any(t[0] not in (paths.KEY, paths.INDEX) for t in parsed.tokens):
        return None
    return tuple(("key" if t[0] == paths.KEY else "index", t[1]) for t in parsed.tokens)
