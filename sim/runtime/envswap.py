"""Setting a handler's environment variables around every switch into it, cheaply.

``os.environ.update(env)`` and the restore after it encode every name and value
and go through ``MutableMapping``'s generic methods: about 80 us for a Lambda
function's twenty-odd variables, paid twice per switch, and a simulated day
switches into handlers hundreds of times. This does what ``os._Environ``'s own
``__setitem__`` and ``__delitem__`` do (``putenv``/``unsetenv``, then its
``_data`` dict, in the same order), with each environment's encoded pairs
computed once. Where ``os.environ`` is not CPython's ``_Environ`` it falls
back to the public API.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

_environ = os.environ
_FAST = (type(_environ) is os._Environ and isinstance(getattr(_environ, "_data", None), dict)
         and callable(getattr(_environ, "encodekey", None)) and callable(getattr(_environ, "encodevalue", None))
         and hasattr(os, "unsetenv"))
_encoded: dict[tuple, list[tuple[bytes, bytes]]] = {}
_MISSING = object()


def swap_in(env: Mapping[str, str]) -> Callable[[], None]:
    """Set ``env`` in the process environment; returns the function that puts the previous values back."""
    if not _FAST:
        return _swap_in_public(env)
    key = tuple(env.items())
    pairs = _encoded.get(key)
    if pairs is None:
        pairs = [(_environ.encodekey(k), _environ.encodevalue(v)) for k, v in env.items()]  # TypeError as before
        if len(_encoded) > 1024:
            _encoded.clear()
        _encoded[key] = pairs
    data, putenv = _environ._data, os.putenv
    saved = [(name, data.get(name)) for name, _ in pairs]
    for name, value in pairs:
        putenv(name, value)
        data[name] = value

    def restore() -> None:
        unsetenv = os.unsetenv
        for name, value in saved:
            if value is None:
                if name in data:  # os.environ.pop(key, None): only a variable that is there
                    unsetenv(name)
                    del data[name]
            else:
                putenv(name, value)
                data[name] = value

    return restore


def _swap_in_public(env: Mapping[str, str]) -> Callable[[], None]:
    saved = {k: _environ.get(k, _MISSING) for k in env}
    _environ.update(env)

    def restore() -> None:
        for key, value in saved.items():
            if value is _MISSING:
                _environ.pop(key, None)
            else:
                _environ[key] = value

    return restore
