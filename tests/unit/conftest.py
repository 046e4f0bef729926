"""Fixtures every unit test folder shares."""

from __future__ import annotations

import pytest

from sim import Simulation


@pytest.fixture
def simulate():
    """simulate(stack, **options) -> a started Simulation, closed after the test."""
    started = []

    def _make(stack, **options):
        sim = Simulation(stack, **options).start()
        started.append(sim)
        return sim

    yield _make
    for sim in started:
        sim.close()
