"""JSONata query language for the ASL interpreter (QueryLanguage "JSONata").

``"{% <expression> %}"`` is evaluated with ``$states`` and the variables in scope bound,
plus Step Functions' ``$partition``, ``$range``, ``$hash``, ``$random([seed])``, ``$uuid``,
``$parse`` (``$eval`` is not available). ``$now()``/``$millis()`` read the virtual clock;
``$random()``/``$uuid()``/``$shuffle()`` draw from the execution's seeded ``env.rng``.
Failures raise :class:`QueryEvaluationError` with AWS's causes; ``location`` is the field.

The evaluator is ``jsonata-python``; this adapter works around its quirks: JSON null is bound
as its null marker (a bare None is *undefined* to it; nulls in arrays were dropped), its error
messages get jsonata-js's wording back ("function", not "Object"; JSON-quoted inserts), its
per-thread "current instance" is pointed at the cached expression before each run, and its
wall-clock ``$now``/``$millis``, global-random ``$random``/``$shuffle`` and crashing
``$number`` are replaced.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import uuid
from dataclasses import dataclass, field as dc_field
from datetime import datetime
from functools import lru_cache, partial
from typing import Any, Callable

from jsonata import Jsonata
from jsonata.functions import Functions
from jsonata.jexception import JException
from jsonata.utils import Utils

from sim.asl.env import Env
from sim.asl.errors import StatesError, StatesErrorName, to_json

_NULL = Utils.NULL_VALUE
_SAFE_INT = 2**53
_NAME = re.compile(r"\$(\w+)")
_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$")
_PLACEHOLDER = re.compile(r"\{\{\{(\w+)\}\}\}|\{\{(\w+)\}\}")
_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
_RANGE_LIMIT = 1000
_ARRAY_OF = {"a": "arrays", "b": "booleans", "f": "functions", "n": "numbers", "o": "objects", "s": "strings"}


class QueryEvaluationError(StatesError):
    """States.QueryEvaluationError about one JSONata field; ``location`` is that field."""

    def __init__(self, cause: str, location: str) -> None:
        super().__init__(StatesErrorName.QUERY_EVALUATION_ERROR, cause, located=True)
        self.location = location


class _FunctionError(Exception):
    """An error raised by one of the functions Step Functions adds."""


class _Unsupported(Exception):
    """A result JSON cannot represent (a function, a regex)."""


def is_expression(value: Any) -> bool:
    """A string that is exactly ``{% ... %}``: no whitespace before ``{%`` or after ``%}``."""
    return isinstance(value, str) and len(value) >= 4 and value.startswith("{%") and value.endswith("%}")


def expression_text(value: str) -> str:
    """The expression inside ``{% ... %}`` (trimmed), as AWS quotes it in causes; other text unchanged."""
    return value[2:-2].strip() if is_expression(value) else value


@dataclass(frozen=True)
class _Compiled:
    program: Jsonata | None
    names: frozenset[str]
    error: Exception | None


@lru_cache(maxsize=2048)
def _compile(text: str) -> _Compiled:
    names = frozenset(_NAME.findall(text))
    try:
        program = Jsonata(text)
    except Exception as err:  # noqa: BLE001 - a parse failure is the expression's error
        return _Compiled(None, names, err)
    program.set_output_convert_nulls(False)
    program.set_validate_input(False)
    return _Compiled(program, names, None)


def syntax_error(expr: str) -> str | None:
    """The parser's message (no error code, as AWS words definition errors) if the expression
    does not parse, else None; for validating definitions."""
    err = _compile(expression_text(expr)).error
    if err is None:
        return None
    return jsonata_message(err) if isinstance(err, JException) else str(err)


def _fail(expr: str, field: str, tail: str) -> QueryEvaluationError:
    text = expression_text(expr)
    return QueryEvaluationError(f"The JSONata expression '{text}' specified for the field '{field}' {tail}", field)


def undefined_error(expr: str, field: str) -> QueryEvaluationError:
    return _fail(expr, field, "returned nothing (undefined).")


def unsupported_error(expr: str, field: str) -> QueryEvaluationError:
    return _fail(expr, field, "returned an unsupported result type.")


def type_error(value: Any, expr: str, field: str, expected: str) -> QueryEvaluationError:
    return _fail(expr, field, f"returned an unexpected result type. Expected '{expected}', "
                              f"but was '{json_type(value)}' for value: {to_json(value)}")


def _js_string(value: Any) -> str:
    """A message insert as jsonata-js writes ``{{x}}`` (JSON.stringify)."""
    if value is None:
        return "undefined"
    if isinstance(value, float) and not math.isfinite(value):
        return "null"  # JSON.stringify(Infinity)
    try:
        return json.dumps(to_plain(value), separators=(",", ":"), ensure_ascii=False)
    except (_Unsupported, TypeError, ValueError):
        return str(value)


def jsonata_message(err: JException) -> str:
    """The message of a JSONata error as jsonata-js (and so AWS) words it."""
    template = JException.error_codes.get(err.error)
    if template is None:
        return str(err)
    template = re.sub(r"\bObject\b", "function", template)
    extra = getattr(err, "extra", None)
    if err.error == "T0412":  # the library passes the signature letter where jsonata-js names the type
        extra = _ARRAY_OF.get(extra, extra)
    inserts = iter((err.current, err.expected, extra))

    def insert(match: re.Match[str]) -> str:
        value = next(inserts, None)
        return str(value) if match.group(1) else _js_string(value)

    return _PLACEHOLDER.sub(insert, template)


def _evaluation_error(exc: BaseException, expr: str, field: str) -> QueryEvaluationError:
    if isinstance(exc, JException):
        return _fail(expr, field, f"threw an error during evaluation. {exc.error}: {jsonata_message(exc)}")
    if isinstance(exc, RecursionError):
        return _evaluation_error(JException("D1011", -1), expr, field)
    if isinstance(exc, ZeroDivisionError):  # the library divides in Python; JavaScript gets Infinity
        return _evaluation_error(JException("D1001", -1, math.inf), expr, field)
    if isinstance(exc, _FunctionError):
        return _fail(expr, field, f"threw an error during evaluation. {exc}")
    return _fail(expr, field, f"threw an internal error during evaluation. ({type(exc).__name__}: {exc})")


def json_type(value: Any) -> str:
    """The JSON type name AWS uses in messages: null, boolean, number, string, array, object."""
    if value is None or value is _NULL:
        return "null"
    for kind, name in ((bool, "boolean"), ((int, float), "number"), (str, "string"), (list, "array"), (dict, "object")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _number(value: int | float) -> int | float:
    """Numbers as JavaScript holds them: integral values without a fraction (3, not 3.0; -0 is 0),
    doubles beyond 2**53 (1e300, not its 301 digits)."""
    if abs(value) >= _SAFE_INT:
        return float(value)
    return int(value) if isinstance(value, float) and value.is_integer() else value


def to_plain(value: Any) -> Any:
    """A JSONata result as plain JSON (fresh containers); raises _Unsupported for functions."""
    if value is _NULL or value is None:
        return None
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, dict):  # a None inside a result came from JSON text the library parsed: null
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    raise _Unsupported(type(value).__name__)


def _to_jsonata(value: Any) -> Any:
    """Plain JSON as the library reads it: JSON null becomes its null marker (copies containers)."""
    if value is None:
        return _NULL
    if isinstance(value, dict):
        return {k: _to_jsonata(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_jsonata(v) for v in value]
    return value


@dataclass
class _Scope:
    """What one render/evaluate call binds; converted values are made once per call."""

    states: dict[str, Any]
    env: Env
    now: datetime | None
    _cache: dict[str, Any] = dc_field(default_factory=dict)

    def lookup(self, name: str) -> Any:
        if name not in self._cache:
            raw = self.states if name == "states" else self.env.variables[name]
            self._cache[name] = _to_jsonata(raw)
        return self._cache[name]

    def millis(self) -> int:
        now = self.now or _context_time(self.env.context)
        if now is None:
            raise _FunctionError("No current time is known for $now()/$millis()")
        return math.floor(now.timestamp() * 1000)


def _context_time(context: dict[str, Any]) -> datetime | None:
    """State.EnteredTime (else Execution.StartTime) of the Context object, if it parses."""
    for section, key in (("State", "EnteredTime"), ("Execution", "StartTime")):
        stamp = (context.get(section) or {}).get(key)
        if isinstance(stamp, str) and _ISO.match(stamp):
            return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return None


def _bindings(compiled: _Compiled, scope: _Scope) -> dict[str, Any]:
    bindings: dict[str, Any] = {}
    for name in compiled.names:
        if name in _FUNCTIONS:
            make, signature = _FUNCTIONS[name]
            bindings[name] = Jsonata.JFunction(_Native(make(scope)), signature)
        elif name == "eval":
            bindings[name] = None  # not available on AWS: "Attempted to invoke a non-function"
        elif name == "states" or name in scope.env.variables:
            bindings[name] = scope.lookup(name)
    return bindings


def _run(text: str, scope: _Scope, field: str) -> Any:
    compiled = _compile(text)
    if compiled.error is not None:
        raise _evaluation_error(compiled.error, text, field)
    program = compiled.program
    Jsonata.CURRENT.jsonata = program  # the library evaluates on its per-thread "current" instance
    try:
        result = program.evaluate(None, _bindings(compiled, scope))
    except QueryEvaluationError:
        raise
    except Exception as exc:  # every failure of an expression is a QueryEvaluationError
        raise _evaluation_error(exc, text, field) from exc
    if result is None:
        raise undefined_error(text, field)
    try:
        return to_plain(result)
    except _Unsupported:
        raise unsupported_error(text, field) from None


def evaluate(expr: str, states: dict[str, Any], env: Env, field: str, now: datetime | None = None) -> Any:
    """Evaluate one expression (``{% ... %}`` or its inner text) to a plain JSON value.

    ``states`` is bound as ``$states``; ``now`` (aware) is the virtual time for ``$now()``
    (default: the Context object's State.EnteredTime). Raises QueryEvaluationError.
    """
    return _run(expression_text(expr), _Scope(states, env, now), field)


def render(template: Any, states: dict[str, Any], env: Env, field: str, now: datetime | None = None) -> Any:
    """Evaluate a JSONata template (Arguments, Output, Assign, Items, Condition, ...): strings that
    are expressions are evaluated, objects and arrays recurse (``Output/key``, ``Output[0]``),
    anything else is a literal. An expression returning nothing fails the field (AWS drops no key)."""
    return _render(template, _Scope(states, env, now), field)


def _render(template: Any, scope: _Scope, field: str) -> Any:
    if isinstance(template, str):
        return _run(expression_text(template), scope, field) if is_expression(template) else template
    if isinstance(template, dict):
        return {key: _render(value, scope, f"{field}/{key}") for key, value in template.items()}
    if isinstance(template, list):
        return [_render(value, scope, f"{field}[{i}]") for i, value in enumerate(template)]
    return template


def expect_type(value: Any, expr: str, field: str, expected: str) -> Any:
    """Check an evaluated field's JSON type (``array``, ``object``, ``string``, ``number``,
    ``integer``, ``boolean``, ``null``); returns the value or raises AWS's unexpected-type error."""
    actual = json_type(value)
    ok = actual == expected or (expected == "integer" and actual == "number" and float(value).is_integer())
    if not ok:
        raise type_error(value, expr, field, expected)
    return value


class _Native(Jsonata.JFunctionCallable):
    def __init__(self, impl: Callable[..., Any]) -> None:
        self.impl = impl

    def call(self, input: Any, args: Any) -> Any:  # noqa: A002 - the library's name
        result = self.impl(*(args or []))
        return Utils.convert_number(result) if Utils.is_numeric(result) else result


def _integer(value: Any, what: str) -> int:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not float(value).is_integer():
        raise _FunctionError(f"The {what} must be an integer, but was: {_js_string(value)}")
    return int(value)


def _partition(array: list[Any] | None, size: Any = None) -> list[Any] | None:
    size = _integer(size, "chunk size of $partition")
    if size <= 0:
        raise _FunctionError(f"The chunk size of $partition must be positive, but was: {size}")
    return None if array is None else [list(array[i:i + size]) for i in range(0, len(array), size)]


def _range(start: Any, end: Any = None, step: Any = None) -> Any:
    start, end = _integer(start, "start of $range"), _integer(end, "end of $range")
    step = _integer(step, "step of $range")
    if step == 0:
        raise _FunctionError("The step of $range must not be 0")
    values = list(range(start, end + (1 if step > 0 else -1), step))
    if len(values) > _RANGE_LIMIT:
        raise _FunctionError(f"$range would create {len(values)} values; at most {_RANGE_LIMIT} are allowed")
    return Utils.create_sequence_from_iter(values)  # a sequence: one value collapses to it, as on AWS


def _hash(data: str | None, algorithm: str | None = None) -> str | None:
    if data is None:
        return None
    name = _HASHES.get(algorithm or "")
    if name is None:
        raise _FunctionError(f"The hash algorithm {_js_string(algorithm)} is not supported; "
                             f"use one of {', '.join(_HASHES)}")
    return hashlib.new(name, data.encode("utf-8")).hexdigest()


def _parse(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return _to_jsonata(json.loads(text))
    except ValueError as exc:
        raise _FunctionError(f"The argument of $parse is not valid JSON: {_js_string(text)}") from exc


def _to_number(arg: Any = None) -> Any:
    try:
        return Functions.number(arg)
    except ValueError:  # the library lets float() fail; jsonata-js reports D3030
        raise JException("D3030", -1, arg) from None


def _draw(rng: random.Random, seed: Any = None) -> float:
    return rng.random() if seed is None else random.Random(_integer(seed, "seed of $random")).random()


def _shuffle(rng: random.Random, array: list[Any] | None) -> list[Any] | None:
    items = None if array is None else list(array)
    if items:
        rng.shuffle(items)
    return items


def _uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _now(scope: _Scope, picture: str | None = None, timezone: str | None = None) -> str | None:
    return Functions.datetime_from_millis(scope.millis(), picture, timezone)


# name -> (implementation for this call's scope, JSONata signature); bound only where referenced
_FUNCTIONS: dict[str, tuple[Callable[[_Scope], Callable[..., Any]], str]] = {
    "partition": (lambda scope: _partition, "<an:a>"),
    "range": (lambda scope: _range, "<nnn:a<n>>"),
    "hash": (lambda scope: _hash, "<s-s:s>"),
    "parse": (lambda scope: _parse, "<s-:x>"),
    "number": (lambda scope: _to_number, "<(nsb)-:n>"),
    "random": (lambda scope: partial(_draw, scope.env.rng), "<n?:n>"),
    "shuffle": (lambda scope: partial(_shuffle, scope.env.rng), "<a:a>"),
    "uuid": (lambda scope: partial(_uuid4, scope.env.rng), "<:s>"),
    "now": (lambda scope: partial(_now, scope), "<s?s?:s>"),
    "millis": (lambda scope: scope.millis, "<:n>"),
}

__all__ = ["QueryEvaluationError", "evaluate", "expect_type", "expression_text", "is_expression",
           "json_type", "jsonata_message", "render", "syntax_error", "to_plain", "type_error",
           "undefined_error", "unsupported_error"]
