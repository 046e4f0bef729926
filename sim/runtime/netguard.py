"""No handler reaches outside the machine.

Calls through boto3 are interposed (modelled, or sent to a loopback emulator),
but handler code can also open sockets of its own: a broker SDK, an HTTP
client. While a handler runs, ``socket.connect`` accepts only loopback and
local (AF_UNIX) addresses, and ``socket.getaddrinfo`` resolves only loopback
names and addresses (a DNS query is a packet too); anything else raises
``SafetyError`` before a packet is sent. Outside handlers nothing changes.
"""

from __future__ import annotations

import ipaddress
import socket

from sim.errors import SafetyError
from sim.runtime.greenlets import current_owner

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_local(sock: socket.socket, address) -> bool:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return True
    return _is_local_host(address[0] if isinstance(address, tuple) else address)


def _is_local_host(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host is None or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False  # an unresolved host name: refuse rather than look it up


def _check(sock: socket.socket, address) -> None:
    owner = current_owner()
    if owner is not None and not _is_local(sock, address):
        raise SafetyError(f"function {owner.function!r} tried to connect to {address!r}; handlers may only "
                          f"reach loopback addresses (point SDKs at a local fake, e.g. http://127.0.0.1:PORT)")


def _getaddrinfo(host, *args, **kwargs):
    owner = current_owner()
    if owner is not None and not _is_local_host(host):
        raise SafetyError(f"function {owner.function!r} tried to resolve {host!r}; handlers may only "
                          f"reach loopback addresses (point SDKs at a local fake, or mount an HTTP service "
                          f"on the simulation with Simulation.mount_http)")
    return _real_getaddrinfo(host, *args, **kwargs)


def _connect(self, address):
    _check(self, address)
    return _real_connect(self, address)


def _connect_ex(self, address):
    _check(self, address)
    return _real_connect_ex(self, address)


def install() -> None:
    if socket.socket.connect is not _connect:
        socket.socket.connect = _connect
        socket.socket.connect_ex = _connect_ex
    if socket.getaddrinfo is not _getaddrinfo:
        socket.getaddrinfo = _getaddrinfo
