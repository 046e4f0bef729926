"""The broker as one HTTP app: routing by host and path, authentication, the
per-key rate limit, and the catch-up of the order book before each trading call.

The current time is ``datetime.now(timezone.utc)``: mounted on a simulation,
the app runs inside the calling handler's scope, where that is virtual time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sim.runtime.http import HttpRequest, HttpResponse, json_response
from workflows.alchemiser.broker.account import Account
from workflows.alchemiser.broker.config import BrokerConfig
from workflows.alchemiser.broker.data_api import DataApi
from workflows.alchemiser.broker.market import Market, ny_date
from workflows.alchemiser.broker.orders import OrderBook
from workflows.alchemiser.broker.trading_api import TradingApi
from workflows.alchemiser.broker.wire import NOT_FOUND, RATE_LIMITED, UNAUTHORIZED, ApiError

PAPER_HOST = "paper-api.alpaca.markets"
LIVE_HOST = "api.alpaca.markets"
DATA_HOST = "data.alpaca.markets"
WINDOW = timedelta(minutes=1)


@dataclass
class _Window:
    start: datetime
    count: int = 0


class RateLimiter:
    """Alpaca's per-minute request limit, per API and key: a window opens with the first
    request after the previous one ended and admits ``limit`` requests; the rest get 429.
    Every answer carries X-Ratelimit-Limit / -Remaining / -Reset (epoch seconds)."""

    def __init__(self, limits: dict[str, int]) -> None:
        self.limits = limits
        self.windows: dict[tuple[str, str], _Window] = {}

    def admit(self, api: str, key: str, now: datetime) -> dict[str, str]:
        limit = self.limits[api]
        window = self.windows.get((api, key))
        if window is None or now >= window.start + WINDOW:
            window = self.windows[(api, key)] = _Window(now)
        reset = str(math.ceil((window.start + WINDOW).timestamp()))
        if window.count >= limit:
            headers = {"X-Ratelimit-Limit": str(limit), "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset}
            raise ApiError(429, RATE_LIMITED, "rate limit exceeded", headers=headers)
        window.count += 1
        return {"X-Ratelimit-Limit": str(limit), "X-Ratelimit-Remaining": str(limit - window.count),
                "X-Ratelimit-Reset": reset}


class Broker:
    """A simulated Alpaca: ``Broker(config, bars).app`` answers trading and data requests."""

    def __init__(self, config: BrokerConfig | None = None, bars: Any = None, *,
                 now: Callable[[], datetime] | None = None) -> None:
        if bars is None:
            raise ValueError("Broker needs a bar source (a BarStore, or any object with daily_bars(symbol))")
        self.config = config or BrokerConfig()
        self.market = Market(bars, self.config.seed, self.config)
        self.account = Account(self.config)
        self.book = OrderBook(self.config, self.market, self.account)
        self.limiter = RateLimiter({"trading": self.config.trading_requests_per_minute,
                                    "data": self.config.data_requests_per_minute})
        self.trading = TradingApi(self)
        self.data = DataApi(self)
        self.now = now or (lambda: datetime.now(timezone.utc))
        self.requests = 0

    def app(self, request: HttpRequest) -> HttpResponse:
        """The callable to mount on both hosts (it routes by host)."""
        self.requests += 1
        api, name = (self.data, "data") if request.host == DATA_HOST else (self.trading, "trading")
        now = self.now()
        headers: dict[str, str] = {}
        try:
            key = self._authenticate(request)
            headers = self.limiter.admit(name, key, now)
            handler, params = _route(api, request)
            self.account.open_on(ny_date(now))
            if name == "trading":
                self.book.advance(now)
            status, payload = handler(request, now, **params)
        except ApiError as exc:
            exc.headers = {**headers, **exc.headers}
            return exc.response()
        if payload is None:
            return HttpResponse(status, headers, b"")
        return json_response(payload, status, headers)

    __call__ = app

    def catch_up(self, now: datetime) -> None:
        """Execute and expire orders up to ``now``, as the next trading request would (for
        code that reads the broker's state directly, e.g. at the end of a run)."""
        self.account.open_on(ny_date(now))
        self.book.advance(now)

    def mount(self, sim: Any, *, live: bool = False, median_latency_s: float | None = None) -> "Broker":
        """Serve the trading host (paper, or live with ``live=True``) and the market data host
        of ``sim``'s handlers with this broker: ``sim.mount_http`` for each."""
        sim.mount_http(LIVE_HOST if live else PAPER_HOST, self.app, median_latency_s=median_latency_s)
        sim.mount_http(DATA_HOST, self.app, median_latency_s=median_latency_s)
        return self

    def _authenticate(self, request: HttpRequest) -> str:
        key = request.headers.get("APCA-API-KEY-ID", "")
        secret = request.headers.get("APCA-API-SECRET-KEY", "")
        keys = self.config.api_keys
        if not key or not secret or (keys and keys.get(key) != secret):
            raise ApiError(401, UNAUTHORIZED, "request is not authorized")
        return key


def _route(api: Any, request: HttpRequest) -> tuple[Callable, dict[str, str]]:
    for method, pattern, handler in api.routes:
        m = pattern.match(request.path)
        if m and method == request.method:
            return handler, m.groupdict()
    raise ApiError(404, NOT_FOUND, f"{request.method} {request.path} is not an endpoint of the simulated broker")
