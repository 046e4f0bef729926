"""A simulated Alpaca (trading + market data) that the unmodified alpaca-py clients talk to.

    from workflows.alchemiser.broker import Broker, BrokerConfig
    from workflows.marketdata import BarStore

    broker = Broker(BrokerConfig(starting_cash=50_000), BarStore.open("fixtures/market"))
    broker.mount(sim)        # paper-api.alpaca.markets and data.alpaca.markets on that simulation

Inside any handler of ``sim``, ``TradingClient(key, secret, paper=True)`` and
``StockHistoricalDataClient(key, secret)`` are then served by ``broker.app``,
in-process, on the virtual clock. See README.md for the model and its sources.
This package never imports simpy or the simulator's clock or services: it only
calls ``mount_http`` on the Simulation it is given.
"""

from __future__ import annotations

from typing import Any

from workflows.alchemiser.broker.app import DATA_HOST, LIVE_HOST, PAPER_HOST, Broker
from workflows.alchemiser.broker.config import BrokerConfig, Holding, PartialFill, Rejection


def mount(sim: Any, broker: Broker, *, live: bool = False, median_latency_s: float | None = None) -> Broker:
    """``sim.mount_http`` for the trading host and ``data.alpaca.markets``, both served by ``broker.app``."""
    return broker.mount(sim, live=live, median_latency_s=median_latency_s)


__all__ = ["DATA_HOST", "LIVE_HOST", "PAPER_HOST", "Broker", "BrokerConfig", "Holding", "PartialFill",
           "Rejection", "mount"]
