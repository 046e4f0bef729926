"""HTTP services mounted into a simulation: a handler's ``requests`` calls served in-process.

    sim.mount_http("api.example.com", app)      # app(HttpRequest) -> HttpResponse

While a handler of that simulation runs, a ``requests`` request whose host is
mounted never reaches the network: the simulation serves it with ``app``.
Hosts that are not mounted go on to the network as usual, where the socket
guard (``netguard``) refuses anything that is not loopback.

Each mounted request is a scheduling point, like a boto3 call:

1. The handler's greenlet hands an :class:`HttpCall` to the simulator.
2. The simulator consults the fault plan at ``api_call`` with
   ``service="http:<host>"``, ``operation=<METHOD>`` and ``path=<URL path>``
   (a fault rule's ``path`` is a glob). ``throttle`` answers 429, ``raise_error``
   answers ``status`` with the body ``{"code": code, "message": message}``
   (the app is not called), ``latency`` adds seconds.
3. It charges a seeded latency on the clock (lognormal around the mount's
   median, 50 ms unless given; stream ``latency.http.<host>``). Other handlers
   may run meanwhile.
4. Back in the handler's greenlet, inside the handler's scope, the app builds
   the response: ``datetime.now()`` in the app is the virtual instant at which
   the response is produced (after the latency), and the app's work is atomic
   (only one greenlet runs at a time).
5. The call is traced: ``http.call`` with host, method, path and status.

Interception point: ``requests.Session.get_adapter`` is wrapped once per
process (:func:`install`), and returns :class:`MountAdapter` for mounted hosts.
Wrapping ``HTTPAdapter.send`` instead would not hold: moto's in-process mock
patches ``HTTPAdapter.send`` (through ``responses``) while it is active, and its
pass-through calls the ``send`` it captured when moto was imported, skipping any
later wrapper. An adapter chosen by the session is never an ``HTTPAdapter``, so
nothing patched there can bypass it. The rest of ``Session.send`` (hooks,
redirects) runs as usual. No retries happen here: client libraries retry on
their own (their sleeps are virtual).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from http.client import responses as REASONS
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from sim.errors import ConfigError
from sim.runtime.calls import PROCEED, SandboxDied
from sim.runtime.greenlets import ask_simulator, current_owner

DEFAULT_MEDIAN_LATENCY_S = 0.05


@dataclass(frozen=True)
class HttpRequest:
    """One request as a mounted app sees it."""

    method: str  # upper case: GET, POST, ...
    url: str
    host: str  # lower case, without port
    path: str  # "/v2/orders"
    query: dict[str, str] = field(default_factory=dict)  # a repeated key keeps its last value
    headers: Mapping[str, str] = field(default_factory=CaseInsensitiveDict)  # case-insensitive
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class HttpResponse:
    """What a mounted app answers."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> HttpResponse:
    """An ``application/json`` response (compact, keys in the order given)."""
    body = json.dumps(data, separators=(",", ":")).encode()
    return HttpResponse(status, {"Content-Type": "application/json", **(headers or {})}, body)


App = Callable[[HttpRequest], HttpResponse]


@dataclass
class HttpCall:
    """What a handler's greenlet asks of the simulator: one request to a mounted host."""

    request: HttpRequest


@dataclass(frozen=True)
class Mount:
    host: str
    app: App
    median_latency_s: float


class HttpFront:
    """A simulation's mounted hosts, and how their requests are served on its clock."""

    def __init__(self, kernel: Any) -> None:
        self.k = kernel
        self.mounts: dict[str, Mount] = {}
        self.calls = 0

    def mount(self, host: str, app: App, median_latency_s: float | None = None) -> None:
        name = (host or "").strip().lower()
        if not name or any(c in name for c in "/:@ "):
            raise ConfigError(f"mount_http: {host!r} is not a host name; give the bare host, "
                              f"e.g. 'api.example.com' (no scheme, port or path)")
        if not callable(app):
            raise ConfigError(f"mount_http({host!r}): the app must be a callable app(HttpRequest) -> HttpResponse")
        if name in self.mounts:
            raise ConfigError(f"mount_http: {name!r} is already mounted on this simulation")
        latency = DEFAULT_MEDIAN_LATENCY_S if median_latency_s is None else float(median_latency_s)
        if latency < 0:
            raise ConfigError(f"mount_http({host!r}): median_latency_s must be >= 0")
        self.mounts[name] = Mount(name, app, latency)

    def serve(self, inv: Any, call: HttpCall):
        """SimProcess: faults, then latency. Returns an HttpResponse (a fault) or PROCEED."""
        k, clock, req = self.k, self.k.clock, call.request
        mount = self.mounts[req.host]
        self.calls += 1
        faults = k.faults.check("api_call", clock.now_s, function=inv.function, service=f"http:{req.host}",
                                operation=req.method, path=req.path, attempt=0)
        if any(a.kind == "kill" for a in faults):
            raise SandboxDied(f"{req.method} {req.host}{req.path}")
        latency = k.latency(f"http.{req.host}", mount.median_latency_s)
        latency += sum(a.seconds for a in faults if a.kind == "latency")
        yield clock.timeout(latency)
        return fault_response(faults) or PROCEED

    def respond(self, inv: Any, call: HttpCall, reply: Any) -> HttpResponse:
        """In the handler's greenlet, after ``serve``: run the app unless a fault answered; trace."""
        req, caller = call.request, f"lambda:{inv.function}"
        if reply is PROCEED:
            try:
                reply = self.mounts[req.host].app(req)
            except Exception as exc:
                self.k.trace.add(self.k.clock.now_s, "http.app_error", caller, host=req.host, method=req.method,
                                 path=req.path, error=f"{type(exc).__name__}: {exc}")
                raise
            if not isinstance(reply, HttpResponse):
                raise TypeError(f"the app mounted at {req.host!r} returned {type(reply).__name__}, "
                                f"not an HttpResponse")
        self.k.trace.add(self.k.clock.now_s, "http.call", caller, host=req.host, method=req.method,
                         path=req.path, status=reply.status)
        return reply


def fault_response(faults: list) -> HttpResponse | None:
    for action in faults:
        if action.kind == "throttle":
            return _error_body(429, action.code or "429", action.message or "Too Many Requests")
        if action.kind == "raise_error":
            return _error_body(action.status, action.code, action.message or f"injected {action.code}")
    return None


def _error_body(status: int, code: str, message: str) -> HttpResponse:
    return json_response({"code": int(code) if str(code).isdigit() else code, "message": message}, status)


# -- the requests side -------------------------------------------------------------------

def to_http_request(prepared: requests.PreparedRequest) -> HttpRequest:
    parts = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, (bytes, bytearray)):
        body = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in body)  # a streamed body
    return HttpRequest(method=(prepared.method or "GET").upper(), url=prepared.url, host=(parts.hostname or ""),
                       path=parts.path or "/", query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                       headers=CaseInsensitiveDict(prepared.headers or {}), body=bytes(body))


def to_requests_response(reply: HttpResponse, prepared: requests.PreparedRequest,
                         adapter: BaseAdapter) -> requests.Response:
    resp = requests.Response()
    resp.status_code = reply.status
    resp.reason = REASONS.get(reply.status, "")
    resp.headers = CaseInsensitiveDict(reply.headers)
    resp.encoding = get_encoding_from_headers(resp.headers)
    resp._content = reply.body  # the whole body is in memory: nothing to stream
    resp._content_consumed = True
    resp.raw = io.BytesIO(reply.body)
    resp.url = prepared.url
    resp.request = prepared
    resp.connection = adapter
    return resp


class MountAdapter(BaseAdapter):
    """Serves a request to a mounted host through the handler's simulation."""

    def __init__(self, owner: Any) -> None:
        super().__init__()
        self.owner = owner  # the running invocation

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        call = HttpCall(to_http_request(request))
        reply = ask_simulator(call)
        response = self.owner.sim.http.respond(self.owner, call, reply)
        return to_requests_response(response, request, self)

    def close(self) -> None:
        pass


_real_get_adapter = requests.Session.get_adapter


def _get_adapter(self: requests.Session, url: str) -> BaseAdapter:
    owner = current_owner()
    if owner is not None:
        front = getattr(owner.sim, "http", None)
        if front is not None and front.mounts:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and (parts.hostname or "") in front.mounts:
                return MountAdapter(owner)
    return _real_get_adapter(self, url)


def install() -> None:
    """Idempotent: route requests to mounted hosts through the running handler's simulation."""
    if requests.Session.get_adapter is not _get_adapter:
        requests.Session.get_adapter = _get_adapter
