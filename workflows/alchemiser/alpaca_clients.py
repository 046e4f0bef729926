"""alpaca-py clients from the Lambda environment, as the real handlers build them.

``ALPACA__KEY`` / ``ALPACA__SECRET`` / ``ALPACA__ENDPOINT`` (reference §1):
paper vs live is chosen from the endpoint; the data client is always the
same market-data API. Under shadowsim the simulated broker answers these
clients' HTTP calls (and a socket to a real Alpaca host is refused).
"""

from __future__ import annotations

import os
from decimal import Decimal

from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockLatestQuoteRequest
from alpaca.trading.client import TradingClient

from workflows.alchemiser.planner import mid_price


def _credentials() -> tuple[str, str]:
    return os.environ.get("ALPACA__KEY", ""), os.environ.get("ALPACA__SECRET", "")


def is_paper() -> bool:
    return "paper" in os.environ.get("ALPACA__ENDPOINT", "https://paper-api.alpaca.markets/v2")


def trading_client() -> TradingClient:
    key, secret = _credentials()
    return TradingClient(key, secret, paper=is_paper())


def data_client() -> StockHistoricalDataClient:
    key, secret = _credentials()
    return StockHistoricalDataClient(key, secret)


def latest_quotes(data: StockHistoricalDataClient, symbols: list[str]) -> dict[str, tuple[Decimal, Decimal]]:
    """symbol -> (bid, ask) of the latest quote, for every symbol the API answers."""
    if not symbols:
        return {}
    quotes = data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=symbols))
    return {s: (Decimal(str(q.bid_price)), Decimal(str(q.ask_price))) for s, q in quotes.items()}


def latest_mids(data: StockHistoricalDataClient, symbols: list[str]) -> dict[str, Decimal]:
    """symbol -> mid of the latest quote; symbols with no usable quote are left out."""
    mids = {s: mid_price(bid, ask) for s, (bid, ask) in latest_quotes(data, symbols).items()}
    return {s: m for s, m in mids.items() if m is not None}
