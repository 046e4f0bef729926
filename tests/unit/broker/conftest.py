"""The simulated Alpaca broker under test: a few symbols with hand-made daily bars on real
NYSE sessions, a Simulation with one handler, and the broker mounted on it.

Handlers use the unmodified alpaca-py clients; tests read the broker's state and
quote model directly to check what the handler saw."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from sim import Simulation
from tests.unit.sim.conftest import fn, make_stack
from workflows.alchemiser.broker import Broker, BrokerConfig
from workflows.dsl.testing import InMemoryBars
from workflows.marketdata import calendar

# symbol -> (open, high, low, close) every session
DAILY = {"SPY": (100.0, 102.0, 99.0, 101.0),  # up day: the path visits the low first
         "DOWN": (50.0, 51.0, 48.0, 49.0),  # down day: the high first
         "BRK.B": (500.0, 505.0, 495.0, 500.0),
         "PENNY": (0.50, 0.52, 0.49, 0.51)}


def bars() -> InMemoryBars:
    index = calendar.sessions_index("2025-11-03", "2026-03-31")
    frames = {}
    for symbol, (o, h, low, c) in DAILY.items():
        n = len(index)
        frames[symbol] = pd.DataFrame({"open": np.full(n, o), "high": np.full(n, h), "low": np.full(n, low),
                                       "close": np.full(n, c), "volume": np.full(n, 1_000_000.0)},
                                      index=pd.DatetimeIndex(index, name="date"))
    return InMemoryBars(frames)


class Harness:
    """One simulation whose functions are the given handlers (named after them), with the broker
    mounted; ``invoke`` calls the first handler unless told which."""

    def __init__(self, handlers, config: BrokerConfig, **options) -> None:
        handlers = handlers if isinstance(handlers, (list, tuple)) else [handlers]
        self.default = handlers[0].__name__
        stack = make_stack(functions=[fn(f.__name__, f, timeout_s=900) for f in handlers])
        self.sim = Simulation(stack, **options).start()
        self.broker = Broker(config, bars()).mount(self.sim)

    def invoke(self, payload: dict | None = None, function: str | None = None):
        out = self.sim.client("lambda").invoke(FunctionName=function or self.default,
                                               Payload=json.dumps(payload or {}).encode())
        doc = json.loads(out["Payload"].read())
        assert not (isinstance(doc, dict) and "errorType" in doc), doc
        return doc

    def run_until(self, when: str) -> None:
        self.sim.run(until=datetime.fromisoformat(when))

    def http_calls(self, **attrs) -> list[dict]:
        return self.sim.trace.where("http.call", **attrs)


@pytest.fixture
def harness():
    """harness(handler(s), config=None, epoch=..., seed=..., faults=...) -> a started Harness."""
    made = []

    def _make(handlers, config: BrokerConfig | None = None, *, epoch: str = "2026-01-12T10:00", **options):
        h = Harness(handlers, config or BrokerConfig(), epoch=epoch, tz="America/New_York", **options)
        made.append(h)
        return h

    yield _make
    for h in made:
        h.sim.close()
