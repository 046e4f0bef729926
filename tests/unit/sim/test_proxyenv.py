"""Reading the proxy variables from the encoded environment gives the standard library's answer
(sim/runtime/proxyenv.py)."""

from __future__ import annotations

import sys
import urllib.request

import pytest
import requests.utils

from sim.runtime import proxyenv

ORIGINAL = proxyenv._original

CASES = [
    {},
    {"HTTP_PROXY": "http://upper:1", "http_proxy": "http://lower:2"},
    {"HTTPS_PROXY": "http://p:3", "https_proxy": ""},  # an empty lowercase one removes the uppercase one
    {"NO_PROXY": "localhost,.example.com", "Http_Proxy": "http://mixed:4"},
    {"REQUEST_METHOD": "GET", "HTTP_PROXY": "http://cgi:5"},  # CVE-2016-1000110: dropped under CGI
    {"REQUEST_METHOD": "GET", "http_proxy": "http://cgi-lower:6"},
    {"ÄÖ_PROXY": "http://unicode:7", "İ_proxy": "http://dotted:8", "X_PROXYZ": "no", "_PROXY": "http://bare:9"},
    {"ALL_PROXY": "socks5://s:10", "all_proxy": "", "FTP_PROXY": ""},
]


def _environ_with(monkeypatch, env: dict[str, str]) -> None:
    for name in list(__import__("os").environ):
        if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("env", CASES)
def test_the_proxies_are_the_standard_librarys(monkeypatch, env):
    _environ_with(monkeypatch, env)
    assert proxyenv.getproxies_environment() == ORIGINAL()
    assert list(proxyenv.getproxies_environment().items()) == list(ORIGINAL().items())


@pytest.mark.parametrize("env", CASES)
def test_requests_sees_the_same_proxies_and_bypasses(monkeypatch, env):
    _environ_with(monkeypatch, env)
    proxyenv.install()
    fast = [requests.utils.get_environ_proxies(u) for u in ("http://a.example.com/x", "https://localhost:1/")]
    fast.append(urllib.request.proxy_bypass_environment("a.example.com"))
    proxyenv.uninstall()
    try:
        plain = [requests.utils.get_environ_proxies(u) for u in ("http://a.example.com/x", "https://localhost:1/")]
        plain.append(urllib.request.proxy_bypass_environment("a.example.com"))
    finally:
        proxyenv.install()
    assert fast == plain


def test_no_character_outside_ascii_lowercases_into_the_suffix():
    # why filtering the encoded names on their last six bytes finds exactly the names the standard
    # library finds: only ASCII characters lowercase into "_proxy", and they are one byte each
    suffix = set("_proxy")
    offenders = [c for c in map(chr, range(0x80, sys.maxunicode + 1))
                 if not 0xD800 <= ord(c) <= 0xDFFF and suffix & set(c.lower())]
    assert offenders == []
