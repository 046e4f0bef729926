"""Where a profiled run's time goes, by area: a cProfile's own time (tottime) grouped by file path.

Each function's own time goes to the area its file belongs to. Time spent in
code that belongs to no area (the standard library, builtins, pandas and
numpy, which several areas call) goes to its callers' areas, in the shares in
which they called it (cProfile records the time per caller), up the call
chain until an area is reached. cProfile roughly doubles the cost of small
Python functions, so the shares are the figure to read, not the milliseconds.
"""

from __future__ import annotations

import cProfile
import pstats
from typing import Callable

# (area, path fragments), first match wins. Files in none of them are attributed to their callers.
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("DSL evaluation", ("/workflows/dsl/",)),
    ("ASL engine", ("/sim/asl/", "/sim/services/stepfunctions/")),
    ("emulator calls (moto+botocore)", ("/moto/", "/botocore/", "/boto3/", "/s3transfer/", "/werkzeug/",
                                        "/xmltodict", "/responses/", "/jmespath/", "/sim/motofast.py",
                                        "/sim/motodirect.py", "/sim/runtime/botofast.py", "/sim/emulator.py")),
    ("kernel (simpy + sim/)", ("/simpy/", "/sim/", "/greenlet/", "/time_machine/")),
    ("other (handlers, broker, market data)", ("/workflows/", "/alpaca/", "/requests/", "/urllib3/",
                                               "/pydantic", "/benchmarks/")),
)
UNATTRIBUTED = "other (unattributed)"


def area_of(path: str) -> str | None:
    for name, fragments in AREAS:
        if any(f in path for f in fragments):
            return name
    return None


def breakdown(stats: pstats.Stats) -> dict[str, float]:
    """Seconds of own time per area."""
    raw = stats.stats  # {func: (cc, nc, tt, ct, {caller: (cc, nc, tt, ct)})}
    shares: dict[tuple, dict[str, float]] = {}

    def share(func: tuple, visiting: frozenset) -> dict[str, float]:
        if func in shares:
            return shares[func]
        area = area_of(func[0])
        if area is not None:
            out = {area: 1.0}
        else:
            callers = {c: v[2] for c, v in (raw[func][4] if func in raw else {}).items() if c not in visiting}
            total = sum(callers.values())
            if total <= 0:
                out = {UNATTRIBUTED: 1.0}
            else:
                out = {}
                for caller, weight in callers.items():
                    for name, part in share(caller, visiting | {func}).items():
                        out[name] = out.get(name, 0.0) + part * weight / total
        shares[func] = out
        return out

    seconds: dict[str, float] = {}
    for func, (_cc, _nc, tottime, _ct, _callers) in raw.items():
        for name, part in share(func, frozenset()).items():
            seconds[name] = seconds.get(name, 0.0) + tottime * part
    return seconds


def profile_breakdown(fn: Callable[[], object]) -> dict[str, float]:
    prof = cProfile.Profile()
    prof.runcall(fn)
    return breakdown(pstats.Stats(prof))


def render(seconds: dict[str, float]) -> list[str]:
    total = sum(seconds.values()) or 1.0
    names = [name for name, _ in AREAS] + [UNATTRIBUTED]
    return [f"  {name:<40}{seconds.get(name, 0.0) * 1000:8.0f} ms {seconds.get(name, 0.0) / total:6.1%}"
            for name in names if seconds.get(name)]
