"""A local fake of Alpaca's market data API, for driving alpaca-py end to end.

Serves ``GET /v2/stocks/bars`` (alpaca-py 0.44 always uses this multi-symbol
route) in the documented JSON shape::

    {"bars": {"SPY": [{"t": "2024-01-02T05:00:00Z", "o": .., "h": .., "l": ..,
              "c": .., "v": .., "n": .., "vw": ..}, ...]},
     "next_page_token": "..." | null}

* Bars are ordered by symbol, then time, and cut into pages of ``page_size``
  bars (or the request's ``limit`` if smaller); ``page_token`` resumes.
* Auth: the APCA-API-KEY-ID / APCA-API-SECRET-KEY headers must match, else 401.
* ``fail_next`` queues HTTP statuses (429, 500, ...) for the next requests.
* Every request is kept in ``requests`` (path and query; never the headers'
  secret values) for assertions.

Runs on 127.0.0.1 with a free port in a daemon thread; stdlib only.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pandas as pd

ERRORS = {
    401: (40110000, "request is not authorized"),
    429: (42910000, "rate limit exceeded"),
    500: (50010000, "internal server error"),
}


def alpaca_bars(frame: pd.DataFrame) -> list[dict]:
    """Store-shaped bars -> Alpaca's raw JSON bar objects."""
    out = []
    for row in frame.itertuples(index=False):
        out.append(
            {
                "t": pd.Timestamp(row.timestamp).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
                "o": row.open, "h": row.high, "l": row.low, "c": row.close,
                "v": int(row.volume), "n": int(row.trade_count), "vw": row.vwap,
            }
        )
    return out


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(token: str | None) -> int:
    return int(base64.urlsafe_b64decode(token.encode()).decode().split(":")[1]) if token else 0


class FakeAlpaca:
    def __init__(self, bars: dict[str, list[dict]], page_size: int = 3,
                 key_id: str = "test-key", secret: str = "test-secret") -> None:
        self.bars = bars
        self.page_size = page_size
        self.key_id, self.secret = key_id, secret
        self.fail_next: list[int] = []
        self.requests: list[dict] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeAlpaca:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # A short poll interval only makes shutdown() return promptly.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # -- the API -------------------------------------------------------------

    def respond(self, path: str, query: dict[str, str], headers) -> tuple[int, dict]:
        self.requests.append({"path": path, "query": query})
        if self.fail_next:
            return self._error(self.fail_next.pop(0))
        if headers.get("APCA-API-KEY-ID") != self.key_id or headers.get("APCA-API-SECRET-KEY") != self.secret:
            return self._error(401)
        if path != "/v2/stocks/bars":
            return 404, {"code": 40410000, "message": "endpoint not found"}
        return 200, self._page(query)

    def _error(self, status: int) -> tuple[int, dict]:
        code, message = ERRORS.get(status, (status * 100000, "error"))
        return status, {"code": code, "message": message}

    def _page(self, query: dict[str, str]) -> dict:
        start = pd.Timestamp(query["start"]) if "start" in query else None
        end = pd.Timestamp(query["end"]) if "end" in query else None
        flat = []
        for symbol in sorted(query.get("symbols", "").split(",")):
            for bar in self.bars.get(symbol, []):
                t = pd.Timestamp(bar["t"])
                if (start is None or t >= start) and (end is None or t <= end):
                    flat.append((symbol, bar))
        size = min(self.page_size, int(query.get("limit", self.page_size)))
        offset = _offset(query.get("page_token"))
        page = flat[offset: offset + size]
        grouped: dict[str, list[dict]] = {}
        for symbol, bar in page:
            grouped.setdefault(symbol, []).append(bar)
        more = offset + size < len(flat)
        return {"bars": grouped, "next_page_token": _token(offset + size) if more else None}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                status, body = fake.respond(parts.path, query, self.headers)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:  # keep test output clean
                pass

        return Handler
