"""Reading the ``*_proxy`` environment variables without decoding the whole environment.

``urllib.request.getproxies_environment`` walks ``os.environ`` twice, decoding
every name and value, to find the few variables that end in ``_proxy``.
``requests`` calls it two or three times per HTTP request (the broker calls of
every handler) and botocore once per client, so a simulated day spent about 5%
of its time there. This does the same walk over the environment's encoded
pairs (``os.environ._data``, in the same order) and decodes only the names
whose last six bytes are ``_proxy`` in any case: for a UTF-8 (surrogateescape)
name that is exactly the set of names whose lowercased last six characters
are ``_proxy``, since no character outside ASCII lowercases to one of those
letters (``tests/unit/sim/test_proxyenv.py`` checks every code point). The
selected pairs then go through the standard library's own two passes, so
the result is the same dict. Where ``os.environ`` is not CPython's
``_Environ`` nothing is patched.
"""

from __future__ import annotations

import os
import urllib.request

from sim.runtime.patching import Patches

_patches = Patches()
_original = urllib.request.getproxies_environment
_SUFFIX = b"_proxy"


def getproxies_environment() -> dict[str, str]:
    """``urllib.request.getproxies_environment``, walking only the candidate variables."""
    environ = os.environ
    data = environ._data
    decodekey, decodevalue = environ.decodekey, environ.decodevalue
    found = [(decodekey(k), decodevalue(v)) for k, v in data.items() if k[-6:].lower() == _SUFFIX]
    proxies = {}
    # the standard library's two passes over the candidates, in the environment's order
    for name, value in found:
        name = name.lower()
        if value and name[-6:] == "_proxy":
            proxies[name[:-6]] = value
    if "REQUEST_METHOD" in environ:
        proxies.pop("http", None)
    for name, value in found:
        if name[-6:] == "_proxy":
            name = name.lower()
            if value:
                proxies[name[:-6]] = value
            else:
                proxies.pop(name[:-6], None)
    return proxies


def _usable() -> bool:
    environ = os.environ
    return (type(environ) is os._Environ and isinstance(getattr(environ, "_data", None), dict)
            and callable(getattr(environ, "decodekey", None)) and callable(getattr(environ, "decodevalue", None)))


def install() -> None:
    """Idempotent: rebind every module-level name that holds the standard library's function."""
    if _patches.active or not _usable():
        return
    import botocore.utils
    import requests.compat
    import requests.utils

    for module in (urllib.request, requests.compat, requests.utils, botocore.utils):
        for name in ("getproxies", "getproxies_environment"):
            if vars(module).get(name) is _original:
                _patches.set(module, name, getproxies_environment)


def uninstall() -> None:
    """Put the standard library's function back (the equivalence tests compare both)."""
    _patches.undo()
