"""Environment variables the real template sets (reference §1.1), read where handlers need them.

Handlers read their configuration from ``os.environ`` exactly as in AWS; the
stacks in ``stacks/`` set the same names. Resource names follow
``alchemiser-{stage}-<x>`` (template.yaml).
"""

from __future__ import annotations

import os


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ValueError(f"environment variable {name} is required")
    return value


def stage() -> str:
    return env("APP__STAGE", "dev")


def bus_name() -> str:
    return env("EVENT_BUS_NAME", f"alchemiser-{stage()}-events")


def deployment_pct() -> str:
    return env("ALPACA__EQUITY_DEPLOYMENT_PCT", "1.0")
