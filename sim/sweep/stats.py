"""Distributions of measured values, the same on every machine.

Percentiles are nearest-rank (the smallest value with at least p% of the values at or
below it): always a value that was measured, never an interpolation, so P99 of ten
runs is honestly the worst of them and no float arithmetic can differ between runs.
"""

from __future__ import annotations

import math
from typing import Iterable, Optional


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    rank = math.ceil(p / 100 * len(sorted_values))
    return sorted_values[rank - 1]


def distribution(values: Iterable[Optional[float]]) -> dict:
    """n, missing (None: the thing never happened), min, P50, P95, P99, max."""
    values = list(values)
    present = sorted(v for v in values if v is not None)
    out: dict = {"n": len(present), "missing": len(values) - len(present)}
    if present:
        out.update({"min": present[0], "p50": percentile(present, 50), "p95": percentile(present, 95),
                    "p99": percentile(present, 99), "max": present[-1]})
    return out


__all__ = ["distribution", "percentile"]
