"""Choice rules of a JSONPath Choice state, compiled once into predicates.

A rule is either a Boolean expression (And / Or / Not) or a data test: a
``Variable`` path, one comparison operator and its operand (a literal, or a
path when the operator name ends in ``Path``). Semantics follow the ASL spec
and what AWS was recorded doing:

* a comparison whose values are not both of the operator's type is false
  (NumericEquals on a string, BooleanEquals on 0, ...), never an error;
* ``IsPresent`` is the only operator that tolerates a Variable path that
  selects nothing; every other operator fails the state with States.Runtime
  "Invalid path '<path>': The choice state's condition path references an
  invalid value." (AWS's wording);
* String ordering is Java's ``String.compareTo`` (UTF-16 code units), as the
  AWS docs state; Numeric compares int and float by value; Timestamps are
  RFC 3339 with an uppercase T and Z (fractional seconds and +hh:mm offsets
  allowed) and compare as instants.

Compile once (``compile_rule`` / ``compile_choices``) and keep the result
with the state; ``evaluate`` / ``match`` / ``choose`` compile on each call
for one-off use.
"""

from __future__ import annotations

import operator
import re
from datetime import date
from typing import Any, Callable

from sim.asl import paths
from sim.asl.env import Env
from sim.asl.errors import AslDefinitionError, StatesError, runtime_error

Predicate = Callable[[Any, Env], bool]
Matcher = Callable[[Any, Env], "dict | None"]

_MISSING = object()  # a path that selects nothing (distinct from JSON null)
_WRONG_TYPE = object()  # a value the operator's type does not cover

# keys a Choice rule may carry besides its test (they belong to the state, not the test)
_NOT_TESTS = frozenset({"Next", "Variable", "Comment", "Assign", "Output"})

_ORDER = {"Equals": operator.eq, "LessThan": operator.lt, "GreaterThan": operator.gt,
          "LessThanEquals": operator.le, "GreaterThanEquals": operator.ge}


# ---------------------------------------------------------------- path lookup

def _lookup(path: str, doc: Any, env: Env) -> Any:
    """The value ``path`` selects ($ -> doc, $$ -> context, $name -> variable), or _MISSING.

    The one place paths are read, so the JSONPath dialect is sim.asl.paths'; a
    path that selects nothing is data here, not an error (IsPresent needs it),
    and the other operators word the miss AWS's Choice way, not paths' way."""
    try:
        return paths.resolve(path, doc, env, "Variable")
    except paths.PathNotFound:
        return _MISSING


def _missing_path(path: str) -> StatesError:
    return runtime_error(f"Invalid path '{path}': The choice state's condition path references an invalid value.")


def _read(path: str, doc: Any, env: Env) -> Any:
    value = _lookup(path, doc, env)
    if value is _MISSING:
        raise _missing_path(path)
    return value


# ---------------------------------------------------------------- value types

def _is_number(v: Any) -> bool:
    # bool is an int subclass in Python, but true is not a JSON number
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _as_string(v: Any) -> Any:
    return v if isinstance(v, str) else _WRONG_TYPE


def _as_number(v: Any) -> Any:
    return v if _is_number(v) else _WRONG_TYPE


def _as_boolean(v: Any) -> Any:
    return v if isinstance(v, bool) else _WRONG_TYPE


# an RFC 3339 date-time; [0-9], not \d, which also matches non-ASCII digits
_TIMESTAMP = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
                        r"(?:\.([0-9]+))?(Z|[+-]([0-9]{2}):([0-9]{2}))")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _as_timestamp(v: Any) -> Any:
    """(UTC seconds since the epoch, nanoseconds) for an RFC 3339 string, else _WRONG_TYPE."""
    m = _TIMESTAMP.fullmatch(v) if isinstance(v, str) else None
    if m is None:
        return _WRONG_TYPE
    y, mo, d, h, mi, s = (int(g) for g in m.group(1, 2, 3, 4, 5, 6))
    try:
        days = date(y, mo, d).toordinal() - _EPOCH_ORDINAL
    except ValueError:  # 2023-02-30 and the like
        return _WRONG_TYPE
    if h > 23 or mi > 59 or s > 59:
        return _WRONG_TYPE
    offset = 0
    if m.group(8) != "Z":
        oh, om = int(m.group(9)), int(m.group(10))
        if oh > 23 or om > 59:
            return _WRONG_TYPE
        offset = (oh * 60 + om) * 60 * (1 if m.group(8)[0] == "+" else -1)
    nanos = int((m.group(7) or "0")[:9].ljust(9, "0"))
    return (days * 86400 + h * 3600 + mi * 60 + s - offset, nanos)


def _java_order(a: str, b: str) -> tuple[Any, Any]:
    """Operands that Python orders as Java's compareTo does (by UTF-16 code unit).

    Code-point and UTF-16 order differ only when a character above U+FFFF meets
    one in U+E000..U+FFFF; ASCII strings, the common case, need no encoding."""
    if a.isascii() and b.isascii():
        return a, b
    return a.encode("utf-16-be", "surrogatepass"), b.encode("utf-16-be", "surrogatepass")


def _string_ordering(compare: Callable[[Any, Any], bool]) -> Callable[[str, str], bool]:
    if compare is operator.eq:
        return compare
    return lambda a, b: compare(*_java_order(a, b))


_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": _is_number,
    "IsString": lambda v: isinstance(v, str),
    "IsBoolean": lambda v: isinstance(v, bool),
    "IsTimestamp": lambda v: _as_timestamp(v) is not _WRONG_TYPE,
}

# operator family -> how a value is read as that type
_FAMILIES: dict[str, Callable[[Any], Any]] = {
    "String": _as_string, "Numeric": _as_number, "Timestamp": _as_timestamp, "Boolean": _as_boolean,
}


def _split_operator(name: str) -> tuple[Callable[[Any], Any], Callable[[Any, Any], bool], bool] | None:
    """(coerce, compare, operand is a path) for a comparison operator name, or None."""
    is_path = name.endswith("Path")
    base = name[:-4] if is_path else name
    for family, coerce in _FAMILIES.items():
        if base.startswith(family):
            compare = _ORDER.get(base[len(family):])
            if compare is None or (family == "Boolean" and compare is not operator.eq):
                return None
            if family == "String":
                compare = _string_ordering(compare)
            return coerce, compare, is_path
    return None


# ---------------------------------------------------------------- StringMatches

def _wildcard(pattern: str) -> re.Pattern[str] | None:
    """The regex for a StringMatches pattern: * is any run of characters, \\* and
    \\\\ are a literal * and \\; None for a pattern that ends in an open escape."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 == len(pattern):
                return None
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _string_matches(var: str, pattern: Any) -> Predicate:
    regex = _wildcard(pattern) if isinstance(pattern, str) else None

    def test(doc: Any, env: Env) -> bool:
        value = _read(var, doc, env)
        if regex is None:
            raise runtime_error(f"The StringMatches pattern {pattern!r} ends in an open escape '\\'.")
        return isinstance(value, str) and regex.fullmatch(value) is not None
    return test


# ---------------------------------------------------------------- compilation

def _data_test(rule: dict, pointer: str) -> Predicate:
    var = rule["Variable"]
    ops = [k for k in rule if k not in _NOT_TESTS]
    if len(ops) != 1:
        raise AslDefinitionError([(pointer, f"a Choice rule needs exactly one comparison operator, found {ops}")])
    name, operand = ops[0], rule[ops[0]]
    if name == "IsPresent":
        return lambda doc, env: (_lookup(var, doc, env) is not _MISSING) == operand
    if name in _TYPE_TESTS:
        is_type = _TYPE_TESTS[name]
        return lambda doc, env: is_type(_read(var, doc, env)) == operand
    if name == "StringMatches":
        return _string_matches(var, operand)
    parts = _split_operator(name)
    if parts is None:
        raise AslDefinitionError([(pointer, f"unknown Choice operator {name!r}")])
    coerce, compare, is_path = parts
    if is_path:
        return _path_comparison(var, operand, coerce, compare)
    return _literal_comparison(var, coerce(operand), coerce, compare)


def _literal_comparison(var: str, right: Any, coerce: Callable[[Any], Any],
                        compare: Callable[[Any, Any], bool]) -> Predicate:
    # the literal is read as its type once, here, not per execution
    def test(doc: Any, env: Env) -> bool:
        left = coerce(_read(var, doc, env))
        return left is not _WRONG_TYPE and right is not _WRONG_TYPE and compare(left, right)
    return test


def _path_comparison(var: str, operand_path: str, coerce: Callable[[Any], Any],
                     compare: Callable[[Any, Any], bool]) -> Predicate:
    def test(doc: Any, env: Env) -> bool:
        left = coerce(_read(var, doc, env))
        right = coerce(_read(operand_path, doc, env))
        return left is not _WRONG_TYPE and right is not _WRONG_TYPE and compare(left, right)
    return test


def compile_rule(rule: dict, pointer: str = "") -> Predicate:
    """A predicate ``(doc, env) -> bool`` for one Choice rule (top-level or nested).

    ``doc`` is the state's effective input (after InputPath); ``env`` supplies
    ``$$`` and ``$var``. Raises AslDefinitionError for a rule that is neither a
    Boolean expression nor a data test with exactly one known operator."""
    if not isinstance(rule, dict):
        raise AslDefinitionError([(pointer, "a Choice rule must be an object")])
    if "And" in rule or "Or" in rule:
        key = "And" if "And" in rule else "Or"
        subs = rule[key]
        if not isinstance(subs, list) or not subs:
            raise AslDefinitionError([(f"{pointer}/{key}", f"{key} must be a non-empty array of Choice rules")])
        preds = [compile_rule(r, f"{pointer}/{key}/{i}") for i, r in enumerate(subs)]
        # all()/any() stop at the first deciding rule, as the spec requires, so a
        # later rule's missing path is not an error once the answer is known
        if key == "And":
            return lambda doc, env: all(p(doc, env) for p in preds)
        return lambda doc, env: any(p(doc, env) for p in preds)
    if "Not" in rule:
        inner = compile_rule(rule["Not"], f"{pointer}/Not")
        return lambda doc, env: not inner(doc, env)
    if "Variable" in rule:
        return _data_test(rule, pointer)
    raise AslDefinitionError([(pointer, "a Choice rule needs And, Or, Not or a Variable")])


def compile_choices(choices: list[dict], pointer: str = "/Choices") -> Matcher:
    """A matcher ``(doc, env) -> rule | None``: the first top-level rule that holds.

    It returns the rule itself, not just its Next, because the engine also needs
    the rule's Assign (and, in JSONata, Output) when that rule is taken."""
    compiled = [(compile_rule(r, f"{pointer}/{i}"), r) for i, r in enumerate(choices)]

    def first_match(doc: Any, env: Env) -> dict | None:
        for pred, rule in compiled:
            if pred(doc, env):
                return rule
        return None
    return first_match


def evaluate(rule: dict, doc: Any, env: Env) -> bool:
    """Whether one Choice rule holds for ``doc`` (compiles it each call)."""
    return compile_rule(rule)(doc, env)


def match(choices: list[dict], doc: Any, env: Env) -> dict | None:
    """The first Choice rule that holds, or None."""
    return compile_choices(choices)(doc, env)


def no_match_cause(state_name: str) -> str:
    """Cause of States.NoChoiceMatched (no rule held and no Default).

    NOT verified against AWS: no recorded case or public source gave its text."""
    return f"No Choice rule matched the input of state '{state_name}' and it has no Default."


def choose(choices: list[dict], doc: Any, env: Env) -> str | None:
    """The Next of the first Choice rule that holds, or None (then Default applies)."""
    rule = match(choices, doc, env)
    return None if rule is None else rule.get("Next")
