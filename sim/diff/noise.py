"""Diffy's noise model: run ONE variant under several seeds; whatever differs between those
runs beyond what the rules allow is noise, not a difference between variants.

A path is noisy when any two runs' values would judge as "diverge" or "unjudged" (a
difference the rules do not allow, or one no rule speaks about). The explanation names
the seeds and the spread: "differs across seeds 0,1,2: 15:45:34 .. 15:45:36" for numbers
and times, the distinct values otherwise.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from sim.diff.judge import ABSENT, judge
from sim.diff.rules import RuleSet
from sim.diff.values import as_decimal, as_seconds, canonical_text, flatten, show

SHOWN_VALUES = 3  # distinct values an explanation lists


def noise_between(runs: list[dict], rules: RuleSet, labels: list[str] | None = None) -> dict[str, str]:
    """path -> explanation for every path that differs between runs of one variant, sorted by path."""
    labels = [str(i) for i in range(len(runs))] if labels is None else [str(x) for x in labels]
    if len(labels) != len(runs):
        raise ValueError(f"noise_between: {len(runs)} runs but {len(labels)} labels; give one label per run")
    flat = [flatten(run) for run in runs]
    paths = sorted(set().union(*flat)) if flat else []
    out = {}
    for path in paths:
        values = [f.get(path, ABSENT) for f in flat]
        if _noisy(values, rules.rule_for(path)):
            out[path] = f"differs across seeds {','.join(labels)}: {_spread(values)}"
    return out


def _noisy(values: list[Any], rule) -> bool:
    return any(judge(a, b, rule).status in ("diverge", "unjudged") for a, b in combinations(values, 2))


def _spread(values: list[Any]) -> str:
    """'low .. high' when every run has a number (or every run a time), else the distinct values."""
    for key in (as_decimal, as_seconds):
        keyed = [(key(v), i) for i, v in enumerate(values) if v is not ABSENT]
        if len(keyed) == len(values) and all(k is not None for k, _ in keyed):
            low, high = min(keyed), max(keyed)
            return f"{show(values[low[1]])} .. {show(values[high[1]])}"
    distinct: dict[str, str] = {}
    for v in values:
        label = "missing" if v is ABSENT or v is None else show(v)
        distinct.setdefault("~" if v is ABSENT or v is None else canonical_text(v), label)
    shown = list(distinct.values())
    more = f" (+{len(shown) - SHOWN_VALUES} more)" if len(shown) > SHOWN_VALUES else ""
    return " | ".join(shown[:SHOWN_VALUES]) + more
