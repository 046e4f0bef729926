"""Reading observable values: flattening documents, canonical forms for equality, and
numbers (including times of day and ISO-8601 datetimes, as seconds) for tolerances.

Numbers are compared as ``Decimal`` so that "0.29", "0.2900", 0.29 and Decimal("0.29")
are one value and a difference prints as 0.09, not 0.08999999999999997.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

NUMERIC = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
TIME_OF_DAY = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})(\.\d{1,9})?")
# a date and a time of day; fromisoformat does the rest (offset, 'Z', fraction)
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def flatten(doc: dict, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to leaves: nested dicts are walked, lists and scalars are leaves.

    Keys are used as they are, so a key that itself contains a dot ("a.b") gives the
    same path as nesting {"a": {"b": ...}}; if one document holds both, the paths
    collide and ValueError says where. An empty dict is a leaf ({}), so it still
    shows up as a value. Keys are visited sorted at each level, whatever the input order.
    """
    out: dict[str, Any] = {}
    for key in sorted(doc, key=str):
        path = f"{prefix}.{key}" if prefix else str(key)
        value = doc[key]
        leaves = flatten(value, path) if isinstance(value, dict) and value else {path: value}
        for leaf, leaf_value in leaves.items():
            if leaf in out:
                raise ValueError(f"observable path {leaf!r} occurs twice (a key with a dot and a nested key "
                                 f"give the same path); rename one of them")
            out[leaf] = leaf_value
    return out


def as_decimal(value: Any) -> Decimal | None:
    """A finite number from an int, float, Decimal or numeric string; None otherwise."""
    if isinstance(value, bool):
        return None  # True is not 1 in an observable
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # shortest repr: 0.29 stays 0.29
    elif isinstance(value, str) and NUMERIC.fullmatch(value.strip()):
        number = Decimal(value.strip())
    else:
        return None
    return number if number.is_finite() else None


def as_seconds(value: Any) -> Decimal | None:
    """Seconds since midnight for "HH:MM:SS(.ffffff)", seconds since the epoch for an
    ISO-8601 datetime (a naive one is taken as UTC); None for anything else."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = TIME_OF_DAY.fullmatch(text)
    if match:
        hours, minutes, seconds, fraction = match.groups()
        return Decimal(hours) * 3600 + Decimal(minutes) * 60 + Decimal(seconds) + Decimal(fraction or "0")
    if DATETIME.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        span = moment - EPOCH
        return Decimal(span.days * 86400 + span.seconds) + Decimal(span.microseconds) / Decimal(10**6)
    return None


def measure(a: Any, b: Any) -> tuple[Decimal, Decimal] | None:
    """Both values as numbers of the same sort (plain numbers, or both times), else None.

    A number against a time is not measured: 56734 and "15:45:34" are not comparable."""
    numbers = as_decimal(a), as_decimal(b)
    if numbers[0] is not None and numbers[1] is not None:
        return numbers[0], numbers[1]
    seconds = as_seconds(a), as_seconds(b)
    if seconds[0] is not None and seconds[1] is not None:
        return seconds[0], seconds[1]
    return None


def canonical(value: Any) -> Any:
    """A form in which equal observables are equal: numbers (and numeric strings) become
    {"$n": normalised digits}, lists and dicts are canonicalised element by element.
    Time strings stay strings (equal only when spelled alike)."""
    number = as_decimal(value)
    if number is not None:
        number = Decimal(0) if number == 0 else number.normalize()  # no "-0", no "0E-4"
        return {"$n": str(number)}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    return jsonable(value)


def canonical_text(value: Any) -> str:
    """canonical(value) as one JSON string (keys sorted): a hashable key for multisets."""
    return json.dumps(canonical(value), sort_keys=True, separators=(",", ":"))


def jsonable(value: Any) -> Any:
    """The value as plain JSON: Decimal keeps its digits as a string, dates become ISO text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


def as_json(value: Any) -> str:
    """A value as readable one-line JSON (strings quoted)."""
    return json.dumps(jsonable(value), sort_keys=True, separators=(", ", ": "))


def show(value: Any) -> str:
    """A value for one line of text: strings bare, everything else as compact JSON."""
    return value if isinstance(value, str) else as_json(value)


def fmt(number: float | Decimal) -> str:
    """A number for text: up to 6 significant digits (0.09, 1e-06, 1.312)."""
    return f"{float(number):.6g}"
