"""EventBridge event patterns: validation and matching, pure and deterministic.

Sources (cited by short name below):

* [syntax] Event pattern syntax, eb-create-pattern.html / eb-event-patterns.md: fields
  AND, values in a list OR, event fields absent from the pattern are ignored, strings
  match exactly, numbers by their string representation (300 != 300.0).
* [arrays] eb-event-patterns-arrays.md: an event array matches if any element does.
* [nulls] eb-event-patterns-null-values.md: null and "" are distinct values.
* [operators] eb-create-pattern-operators.html and the older
  eb-event-patterns-content-based-filtering.md: every operator used here.
* [quota] eb-quota.html: "Event pattern size ... 2,048 ... Maximum event pattern size,
  in characters", adjustable; PutRule's EventPattern is at most 4096 characters.
* [ruler] aws/event-ruler, the open-source matcher behind EventBridge: error wording
  (JsonRuleCompiler, WildcardParser, CIDR), "$or" rules, array-consistent matching
  (ACFinder) and the order in which "exists": false is checked. Used only where the
  AWS docs say nothing; each such place is marked "undocumented".

Patterns are JSON objects; an event is the whole envelope (source, detail-type,
account, region, time, resources, detail, ...), matched as one JSON object.
"""

from __future__ import annotations

import ipaddress
import json
import operator
import re
from decimal import Decimal
from functools import lru_cache
from itertools import count
from typing import Any

from sim.errors import InvalidEventPatternException, ValidationException

# [quota]: default quota; an adjustable quota can raise it up to the API maximum.
DEFAULT_MAX_PATTERN_LENGTH = 2048
# PutRule API: "EventPattern ... Maximum length of 4096".
API_MAX_PATTERN_LENGTH = 4096
# [operators] numeric matching: "between -1.0e9 and +1.0e9 inclusive ... six digits to
# the right of the decimal point".
NUMERIC_LIMIT = Decimal("1e9")
NUMERIC_DECIMALS = 6
REASON = "Event pattern is not valid. Reason: "
OR_KEY = "$or"
STRING_OPS = ("prefix", "suffix", "equals-ignore-case", "wildcard")
# [ruler] Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP: names refused as field
# names inside a "$or" branch.
RESERVED_IN_OR = frozenset(
    "exactly equals-ignore-case prefix suffix anything-but exists wildcard numeric cidr html"
    " = < <= > >= regex not-wildcard not-equals-ignore-case date-after date-on-or-after"
    " date-before date-on-or-before in-date-range ip-address-in-range ip-address-not-in-range"
    .split())
_COMPARE = {"=": operator.eq, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}
NUMERIC_OPS = tuple(_COMPARE)


def _bad(reason: str) -> InvalidEventPatternException:
    return InvalidEventPatternException(REASON + reason)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# --------------------------------------------------------------------------- validate


def validate_pattern(pattern: dict | str, max_length: int = DEFAULT_MAX_PATTERN_LENGTH) -> dict:
    """Parse and validate ``pattern`` as PutRule does; return it as a dict.

    Raises ``InvalidEventPatternException`` with AWS's "Event pattern is not valid.
    Reason: ..." wording (without Jackson's "at [Source: ...]" location suffix).
    """
    try:
        text = pattern if isinstance(pattern, str) else json.dumps(pattern, separators=(",", ":"))
    except (TypeError, ValueError):
        raise _bad("Invalid JSON") from None
    if len(text) > API_MAX_PATTERN_LENGTH:  # the API's own constraint, in its usual wording
        raise ValidationException("1 validation error detected: Value at 'eventPattern' failed "
                                  "to satisfy constraint: Member must have length less than or "
                                  f"equal to {API_MAX_PATTERN_LENGTH}")
    if len(text) > max_length:  # undocumented wording: AWS names only the quota ([quota])
        raise _bad(f"Event pattern is longer than {max_length} characters")
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except ValueError:
            raise _bad("Invalid JSON") from None  # Jackson's own text is not reproduced
    if not isinstance(pattern, dict):
        raise _bad("Filter is not an object")
    _check_object(pattern, in_or=False)
    return pattern


def _require(ok: Any, reason: str) -> None:
    if not ok:
        raise _bad(reason)


def _check_object(obj: dict, in_or: bool) -> None:
    _require(obj, "Empty objects are not allowed")  # so `{}` is not a valid rule
    for key, value in obj.items():
        if key == OR_KEY:
            _check_or(value)
            continue
        _require(not (in_or and key in RESERVED_IN_OR),
                 f"{key} is Ruler reserved fieldName which cannot be used inside $or.")
        _require(isinstance(value, (dict, list)), f'"{key}" must be an object or an array')
        if isinstance(value, dict):
            _check_object(value, in_or)
            continue
        _require(value, "Empty arrays are not allowed")
        for v in value:
            _require(not isinstance(v, list), "Match value must be String, number, true, false, or null")
            if isinstance(v, dict):
                _check_expression(v)


def _check_or(value: Any) -> None:
    _require(isinstance(value, list), "It must be an Array followed with $or.")
    for branch in value:
        _require(isinstance(branch, dict), "Only JSON object is allowed in array of $or relationship.")
        _check_object(branch, in_or=True)
    _require(len(value) >= 2, "There must have at least 2 Objects in $or relationship.")


def _check_expression(expr: dict) -> None:
    _require(expr, "Match expression name not found")
    op, arg = next(iter(expr.items()))
    # "exactly" ([ruler]) is refused too: AWS does not document it.
    _require(op in _CHECKERS, f"Unrecognized match type {op}")
    _CHECKERS[op](op, arg)
    if len(expr) > 1:
        raise _bad("Too many elements in numeric expression" if op in ("numeric", "anything-but")
                   else "Only one key allowed in match expression")


def _check_string_op(op: str, arg: Any) -> None:
    extra = False
    if op in ("prefix", "suffix") and isinstance(arg, dict):
        # {"prefix": {"equals-ignore-case": "x"}} and the suffix form [operators]
        _require(arg, f"{op.capitalize()} expression name not found")
        extra, (op_inner, arg) = len(arg) > 1, next(iter(arg.items()))
        _require(op_inner == "equals-ignore-case", f"Unsupported {op} pattern: {op_inner}")
        op = op_inner
    _require(isinstance(arg, str), f"{op} match pattern must be a string")
    _require(not extra, "Only one key allowed in match expression")
    if op == "wildcard":
        _parse_wildcard(arg)


def _check_exists(op: str, arg: Any) -> None:
    _require(isinstance(arg, bool), "exists match pattern must be either true or false.")


def _check_cidr(op: str, arg: Any) -> None:
    _require(isinstance(arg, str), "prefix match pattern must be a string")  # [ruler]'s, sic
    _parse_cidr(arg)


def _check_anything_but(op: str, arg: Any) -> None:
    if isinstance(arg, dict):
        return _check_anything_but_op(arg)
    values = arg if isinstance(arg, list) else [arg]
    _require(isinstance(arg, (list, str)) or _is_number(arg),
             "Value of anything-but must be an array or single string/number value.")
    _require(all(isinstance(v, str) or _is_number(v) for v in values),
             "Inside anything but list, start|null|boolean is not supported.")
    _require(len({isinstance(v, str) for v in values}) == 1,  # also refuses an empty list
             "Inside anything but list, either all values are number or string, "
             "mixed type is not supported")
    for v in values:
        _check_number_limits(v)


def _check_anything_but_op(arg: dict) -> None:
    _require(arg, "Anything-But expression name not found")
    inner, value = next(iter(arg.items()))
    _require(inner in STRING_OPS, f"Unsupported anything-but pattern: {inner}")
    _require(isinstance(value, (list, str)) or _is_number(value),
             "Value of anything-but must be an array or single string/number value.")
    for v in value if isinstance(value, list) else [value]:
        _require(isinstance(v, str), _ANYTHING_BUT_TYPE_ERRORS.get(
            inner, "prefix/suffix match pattern must be a string"))
        _require(v or inner not in ("prefix", "suffix"), "Null prefix/suffix not allowed")
        if inner == "wildcard":
            _parse_wildcard(v)
    _require(len(arg) == 1, "Too many elements in numeric expression")  # [ruler]'s, sic


_ANYTHING_BUT_TYPE_ERRORS = {
    "equals-ignore-case": "Inside anything-but/equals-ignore-case list, "
                          "number|start|null|boolean is not supported.",
    "wildcard": "wildcard match pattern must be a string",
}


def _check_numeric(op: str, arg: Any) -> None:
    """[operators] numeric: one comparison, or a ">"/">=" bottom with a "<"/"<=" top."""
    _require(isinstance(arg, list), "Value of numeric must be an array.")
    first = arg[0] if arg else "]"
    _require(arg and isinstance(first, str), f"Invalid member in numeric match: {_text(first)}")
    _require(first in NUMERIC_OPS, f"Unrecognized numeric range operator: {first}")
    bottom = _numeric_operand(first, arg[1:2])
    if len(arg) == 2:
        return
    _require(first in (">", ">="), "Too many elements in numeric expression")
    second = arg[2]
    _require(isinstance(second, str), f"Bad value in numeric range: {_text(second)}")
    _require(second in ("<", "<="), f"Bad numeric range operator: {second}")
    top = _numeric_operand(second, arg[3:4])
    _require(len(arg) == 4, "Too many terms in numeric range expression")
    _require(bottom < top, "Bottom must be less than top")


def _text(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v)


def _numeric_operand(op: str, rest: list) -> Decimal:
    _require(rest and _is_number(rest[0]), f"Value of {'equals' if op == '=' else op} must be numeric")
    return _check_number_limits(rest[0])


def _check_number_limits(v: Any) -> Decimal:
    if not _is_number(v):
        return Decimal(0)
    d = Decimal(repr(v))
    _require(abs(d) <= NUMERIC_LIMIT, "Value must be between -1.0E9 and 1.0E9, inclusive")
    _require(-d.normalize().as_tuple().exponent <= NUMERIC_DECIMALS,
             "Only values upto 6 decimals are supported")
    return d


_CHECKERS = {
    "prefix": _check_string_op, "suffix": _check_string_op,
    "equals-ignore-case": _check_string_op, "wildcard": _check_string_op,
    "exists": _check_exists, "cidr": _check_cidr,
    "anything-but": _check_anything_but, "numeric": _check_numeric,
}


@lru_cache(maxsize=1024)
def _parse_wildcard(text: str) -> re.Pattern:
    """Compile a wildcard: "*" is any run of characters, "\\*" and "\\\\" are literals.
    Error positions count UTF-8 bytes of the quoted JSON value, as [ruler] does."""
    out, i = [], 0
    while i < len(text):
        ch, nxt, pos = text[i], text[i + 1:i + 2], len(text[:i].encode()) + 1
        _require(ch != "*" or nxt != "*", f"Consecutive wildcard characters at pos {pos}")
        _require(ch != "\\" or nxt in ("*", "\\"), f"Invalid escape character at pos {pos}")
        i += 1 + (ch == "\\")
        out.append(".*" if ch == "*" else re.escape(nxt if ch == "\\" else ch))
    return re.compile("".join(out), re.DOTALL)


@lru_cache(maxsize=1024)
def _parse_cidr(text: str) -> tuple[int, int, int]:
    """(version, low, high). Like [ruler], the range starts at the address as written."""
    parts = text.split("/")
    _require(len(parts) == 2, "Malformed CIDR, one '/' required")
    _require(re.fullmatch(r"[+-]?[0-9]+", parts[1]), "Malformed CIDR, mask bits must be an integer")
    bits = int(parts[1])
    _require(bits >= 0, "Malformed CIDR, mask bits must not be negative")
    try:
        ip = ipaddress.ip_address(parts[0])
    except ValueError:
        looks_like_ip = re.fullmatch(r"[0-9]+(\.[0-9]+){3}|[0-9a-fA-F:]*:[0-9a-fA-F:]*", parts[0])
        raise _bad(f"{'Invalid' if looks_like_ip else 'Nonstandard'} IP address: {parts[0]}") from None
    width = ip.max_prefixlen  # [ruler]: "IPv4 mask bits must be < 32" (< 128 for IPv6)
    _require(bits < width, f"IPv{ip.version} mask bits must be < {width}")
    return ip.version, int(ip), int(ip) | ((1 << (width - bits)) - 1)


# ----------------------------------------------------------------------------- match


def matches(pattern: dict, event: dict) -> bool:
    """Whether a validated ``pattern`` matches ``event`` (the whole envelope)."""
    fields = _flatten(event)
    # Undocumented: [ruler] walks a rule's fields in sorted dotted-name order and judges
    # "exists": false against the fields consistent with the array elements chosen so
    # far; we keep that order so our answers agree with it.
    return any(_search(rule, sorted(rule, key=".".join), 0, {}, fields)
               for rule in _expand(pattern, (), [{}]))


def _is_or(value: Any) -> bool:
    return isinstance(value, list) and len(value) >= 2 and all(isinstance(b, dict) for b in value)


def _expand(obj: dict, path: tuple, rules: list[dict]) -> list[dict]:
    """Flatten a pattern into sub-rules {leaf path: values}, one per "$or" branch choice."""
    for key, value in obj.items():
        if key == OR_KEY and _is_or(value):
            rules = [r for branch in value for r in _expand(branch, path, rules)]
        elif isinstance(value, dict):
            rules = _expand(value, path + (key,), rules)
        else:
            rules = [{**r, path + (key,): value} for r in rules]
    return rules


def _flatten(event: Any) -> dict[tuple, list[tuple[Any, dict]]]:
    """Leaf path -> [(value, array membership)]. Arrays are crushed out [arrays]; each
    element remembers which element of which array it came from, so one match cannot
    mix fields from different elements of the same array ([ruler] ACFinder). Objects
    and empty arrays are not leaves ("exists" works on leaf nodes only [operators])."""
    out: dict[tuple, list] = {}
    ids = count()

    def walk(node: Any, path: tuple, member: dict) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, path + (key,), member)
        elif isinstance(node, list):
            array_id = next(ids)
            for index, element in enumerate(node):
                walk(element, path, {**member, array_id: index})
        else:
            out.setdefault(path, []).append((node, member))

    walk(event, (), {})
    return out


def _consistent(a: dict, b: dict) -> bool:
    return all(a[k] == v for k, v in b.items() if k in a)


def _search(rule: dict, keys: list, i: int, member: dict, fields: dict) -> bool:
    if i == len(keys):
        return True
    found = [(v, m) for v, m in fields.get(keys[i], ()) if _consistent(member, m)]
    for cond in rule[keys[i]]:
        if cond == {"exists": False}:
            if not found and _search(rule, keys, i + 1, member, fields):
                return True
            continue
        for value, m in found:
            if _value_matches(cond, value) and _search(rule, keys, i + 1, {**member, **m}, fields):
                return True
    return False


def _value_matches(cond: Any, value: Any) -> bool:
    if not isinstance(cond, dict):
        return _equal(cond, value)
    op, arg = next(iter(cond.items()))
    if op == "anything-but":
        return _anything_but(arg, value)
    if op == "exists":
        return arg  # a leaf is present (exists: false is handled by the caller)
    if op == "numeric":
        return _numeric(arg, value)
    if op == "cidr":
        return _in_cidr(arg, value)
    return isinstance(value, str) and _string_op(op, arg, value)


def _equal(expected: Any, value: Any) -> bool:
    """[syntax]: exact and case-sensitive, numbers by their string representation;
    [nulls]: null and "" are different values (so are true and 1)."""
    if _is_number(expected) or _is_number(value):
        return _is_number(expected) and _is_number(value) and repr(expected) == repr(value)
    return type(expected) is type(value) and expected == value


def _string_op(op: str, arg: Any, value: str) -> bool:
    if isinstance(arg, dict):  # prefix/suffix with {"equals-ignore-case": ...}
        arg, value = arg["equals-ignore-case"].lower(), value.lower()
    if op == "prefix":
        return value.startswith(arg)
    if op == "suffix":
        return value.endswith(arg)
    if op == "equals-ignore-case":
        return value.lower() == arg.lower()
    return _parse_wildcard(arg).fullmatch(value) is not None


def _anything_but(arg: Any, value: Any) -> bool:
    if isinstance(arg, dict):
        op, inner = next(iter(arg.items()))
        # Undocumented: a non-string leaf has no prefix/suffix/case to exclude, so it
        # passes (as in [ruler], which compares the quoted JSON text).
        if not isinstance(value, str):
            return True
        inner = inner if isinstance(inner, list) else [inner]
        return not any(_string_op(op, v, value) for v in inner)
    excluded = arg if isinstance(arg, list) else [arg]
    # Undocumented: excluded numbers compare numerically ([ruler] ComparableNumber).
    return not any(_same_number(x, value) if _is_number(x) else _equal(x, value) for x in excluded)


def _same_number(a: Any, b: Any) -> bool:
    return _is_number(b) and Decimal(repr(a)) == Decimal(repr(b))


def _numeric(terms: list, value: Any) -> bool:
    if not _is_number(value):
        return False  # [operators]: "Numeric matching works with values that are JSON numbers"
    v = Decimal(repr(value))
    if not v.is_finite() or abs(v) > NUMERIC_LIMIT:
        return False  # outside the documented range nothing matches numerically
    pairs = zip(terms[::2], terms[1::2])
    return all(_COMPARE[op](v, Decimal(repr(bound))) for op, bound in pairs)


def _in_cidr(arg: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return False
    version, low, high = _parse_cidr(arg)
    return ip.version == version and low <= int(ip) <= high
