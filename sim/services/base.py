"""What every service model shares: the kernel facilities it is given, the
router it delivers through, and the shape of a result.

Services never import one another. A delivery from one service to another
(an EventBridge target, a Lambda destination, a schedule firing) goes through
``Kernel.router``, which the simulation implements.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Generator, Protocol

import simpy

from sim.clock import Clock
from sim.faults import Injector
from sim.ledger import Ledger
from sim.streams import Streams
from sim.trace import Trace

SimProcess = Generator[simpy.Event, Any, Any]


@dataclass(frozen=True)
class Target:
    """A resolved delivery target: kind is lambda | sqs | events | states."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


class Router(Protocol):
    def resolve(self, ref: str) -> Target: ...

    def send(self, target: Target, payload: Any, origin: str, **options: Any) -> SimProcess:
        """Deliver ``payload`` to ``target``; returns a short result or raises AwsError."""
        ...


@dataclass
class Kernel:
    clock: Clock
    streams: Streams
    trace: Trace
    ledger: Ledger
    faults: Injector
    router: Router
    account_id: str
    region: str
    sim_name: str

    def latency(self, name: str, median_s: float = 0.01, sigma: float = 0.3) -> float:
        """A seeded lognormal latency draw for ``name``."""
        import math

        return median_s * math.exp(self.streams.rng(f"latency.{name}").gauss(0.0, sigma))

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

    def uuid(self, stream: str) -> str:
        return self.streams.uuid(stream)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
