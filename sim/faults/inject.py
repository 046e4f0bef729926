"""Deciding, at each injection point, which fault rules fire.

A pure function of the plan, the occurrence counts and the ``faults`` random
stream, so the same run fires the same faults. Every fired rule is traced.
"""

from __future__ import annotations

import random
from fnmatch import fnmatchcase
from typing import Any, Callable

from sim.faults.plan import FaultAction, FaultPlan, FaultRule, parse_range


class Injector:
    def __init__(self, plan: FaultPlan, rng: random.Random, record: Callable[..., Any]) -> None:
        self.plan = plan
        self._rng = rng
        self._record = record  # record(rule_name, point, **attrs)
        self._seen = [0] * len(plan.rules)
        self._fired = [0] * len(plan.rules)

    def check(self, point: str, now_s: float, **attrs: Any) -> list[FaultAction]:
        if not self.plan.rules:
            return []
        actions = []
        for i, rule in enumerate(self.plan.rules):
            if rule.match.point != point or not _matches(rule, now_s, attrs):
                continue
            self._seen[i] += 1
            if not self._fires(i, rule):
                continue
            self._fired[i] += 1
            self._record(rule.name, point, action=rule.action.kind, **attrs)
            actions.append(rule.action)
        return actions

    def _fires(self, i: int, rule: FaultRule) -> bool:
        m = rule.match
        if m.nth is not None and self._seen[i] not in m.nth:
            return False
        if m.max_fires is not None and self._fired[i] >= m.max_fires:
            return False
        if m.probability < 1.0 and self._rng.random() >= m.probability:
            return False
        return True

    def fired_counts(self) -> dict[str, int]:
        return {r.name: n for r, n in zip(self.plan.rules, self._fired)}


def _matches(rule: FaultRule, now_s: float, attrs: dict[str, Any]) -> bool:
    m = rule.match
    for key in ("function", "service", "operation", "channel", "resource"):
        want = getattr(m, key)
        if want is not None and attrs.get(key) != want:
            return False
    if m.path is not None and ("path" not in attrs or not fnmatchcase(str(attrs["path"]), m.path)):
        return False  # only HTTP calls carry a path: a rule with a path never matches a boto3 call
    if m.attempt is not None:
        lo, hi = parse_range(m.attempt)
        if not lo <= int(attrs.get("attempt", 0)) <= hi:
            return False
    if m.window_s is not None and not m.window_s[0] <= now_s <= m.window_s[1]:
        return False
    return True


def first(actions: list[FaultAction], *kinds: str) -> FaultAction | None:
    for a in actions:
        if a.kind in kinds:
            return a
    return None
