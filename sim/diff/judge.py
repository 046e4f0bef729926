"""Judging one observable's two values under its rule: a status, a delta, a magnitude and
one line of detail. compare() and noise_between() both judge through here, so a
difference counts as noise exactly when it would count as a difference.

Magnitude says how far a difference is from its tolerance, so rows sort biggest first:
delta / tolerance for absolute and relative rules (<= 1 within, > 1 beyond), and
UNBOUNDED for a difference no tolerance can measure (a missing value, an exact or set
mismatch, non-numbers under a numeric rule, any difference under a zero tolerance, or a
difference no rule judges). Equal, ignored and order-only set rows have magnitude 0.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sim.diff.rules import Rule
from sim.diff.values import as_json, canonical, canonical_text, fmt, measure, show

#: The magnitude of a difference that no tolerance measures: finite, so it sorts and
#: serialises, and far above any delta / tolerance a real rule produces.
UNBOUNDED = 1e9


class _Absent:
    """The path is not in that document at all (None means it is there, as null)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


@dataclass(frozen=True)
class Verdict:
    status: str
    delta: float | None
    magnitude: float
    detail: str


EQUAL = Verdict("equal", None, 0.0, "")


def judge(a: Any, b: Any, rule: Rule | None, names: tuple[str, str] = ("baseline", "candidate")) -> Verdict:
    """The verdict on values ``a`` (from names[0]) and ``b`` (from names[1])."""
    a_gone, b_gone = a is ABSENT or a is None, b is ABSENT or b is None
    if a_gone and b_gone:
        return EQUAL  # absent and null both mean "no value"
    if not a_gone and not b_gone and canonical(a) == canonical(b):
        return EQUAL
    if a_gone or b_gone:
        return _unmeasurable(rule, _missing_detail(a, b, names))
    if rule is None:
        return _unjudged(a, b)
    if rule.kind == "ignore":
        return Verdict("ignored", None, 0.0, f"ignored: {rule.why}" if rule.why else "ignored")
    if rule.kind == "exact":
        return Verdict("diverge", None, UNBOUNDED, f"{show(a)} != {show(b)} (exact)")
    if rule.kind == "set":
        return _as_multisets(a, b)
    return _measured(a, b, rule)


def _missing_detail(a: Any, b: Any, names: tuple[str, str]) -> str:
    if a is ABSENT:
        return f"only in {names[1]}"
    if b is ABSENT:
        return f"only in {names[0]}"
    return f"missing in {names[0]}" if a is None else f"missing in {names[1]}"


def _unmeasurable(rule: Rule | None, detail: str) -> Verdict:
    if rule is None:
        return Verdict("unjudged", None, UNBOUNDED, detail)
    if rule.kind == "ignore":
        return Verdict("ignored", None, 0.0, detail)
    return Verdict("diverge", None, UNBOUNDED, detail)


def _unjudged(a: Any, b: Any) -> Verdict:
    pair = measure(a, b)
    if pair is None:
        return Verdict("unjudged", None, UNBOUNDED, f"{show(a)} != {show(b)}")
    delta = abs(pair[0] - pair[1])
    return Verdict("unjudged", float(delta), UNBOUNDED, f"|{show(a)} - {show(b)}| = {fmt(delta)}")


def _measured(a: Any, b: Any, rule: Rule) -> Verdict:
    pair = measure(a, b)
    if pair is None:
        return Verdict("diverge", None, UNBOUNDED, f"not numbers: {show(a)} vs {show(b)} ({rule.kind})")
    x, y = pair
    delta, tolerance = abs(x - y), Decimal(repr(rule.value))
    limit = tolerance if rule.kind == "absolute" else tolerance * max(abs(x), abs(y))
    within = delta <= limit
    if limit > 0:
        magnitude = float(delta / limit)
    else:
        magnitude = 0.0 if delta == 0 else UNBOUNDED
    bound = fmt(tolerance) if rule.kind == "absolute" else \
        f"{fmt(tolerance)} x max(|{show(a)}|, |{show(b)}|) = {fmt(limit)}"
    detail = f"|{show(a)} - {show(b)}| = {fmt(delta)} {'<=' if within else '>'} {bound} ({rule.kind})"
    return Verdict("within" if within else "diverge", float(delta), magnitude, detail)


def _as_multisets(a: Any, b: Any) -> Verdict:
    if not isinstance(a, (list, tuple)) or not isinstance(b, (list, tuple)):
        return Verdict("diverge", None, UNBOUNDED, f"not lists: {show(a)} vs {show(b)} (set)")
    before, after = Counter(map(canonical_text, a)), Counter(map(canonical_text, b))
    if before == after:
        return Verdict("within", None, 0.0, "same elements in another order (set)")
    originals = {canonical_text(v): v for v in list(b) + list(a)}
    added, removed = _listing(after - before, originals), _listing(before - after, originals)
    return Verdict("diverge", None, UNBOUNDED, f"added: [{added}]; removed: [{removed}]")


def _listing(counts: Counter, originals: dict[str, Any]) -> str:
    """Elements (each as often as it occurs) in a stable order, as readable JSON."""
    items = [as_json(originals[key]) for key in sorted(counts) for _ in range(counts[key])]
    return ", ".join(items)
