"""What a handler sees while it runs: its environment variables and virtual time.

Entered around every switch into a handler greenlet and left when it switches
back, so two simulations interleaved in one process each show their own clock
and environment, and the harness itself always runs on real time.

* Time: ``time_machine`` pins ``datetime.now()``, ``time.time()`` and friends to
  the simulation's instant, in UTC as in Lambda. ``time.monotonic()`` and
  ``time.perf_counter()`` are not pinned (documented in the README).
* Environment: the function's variables, the Lambda runtime's reserved ones,
  fake credentials and the region; the previous values are restored on exit.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Callable, Iterator, Mapping
from zoneinfo import ZoneInfo

import time_machine

from sim.runtime import envswap

UTC = ZoneInfo("UTC")
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
}


@contextmanager
def handler_scope(now: datetime, env: Mapping[str, str]) -> Iterator[None]:
    restore_env = envswap.swap_in(env)  # os.environ.update(env), restored on exit
    traveller = time_machine.travel(now.astimezone(UTC), tick=False)
    traveller.start()
    try:
        yield
    finally:
        traveller.stop()
        restore_env()


class HandlerScope:
    """``handler_scope`` for one function, made once and entered around every switch into its
    handlers: the instant is read from ``now()`` at each entry. The same steps in the same order
    as the generator-based context manager, without building one (and its environment) per switch.
    ``scope()`` returns the object itself, so it serves where a factory of context managers did."""

    __slots__ = ("_now", "_env", "_active")

    def __init__(self, now: Callable[[], datetime], env: Mapping[str, str]) -> None:
        self._now = now
        self._env = env
        self._active: list[tuple] = []  # (traveller, restore_env) per entry not yet left

    def __call__(self) -> "HandlerScope":
        return self

    def __enter__(self) -> None:
        restore_env = envswap.swap_in(self._env)  # os.environ.update(env), restored on exit
        traveller = time_machine.travel(self._now().astimezone(UTC), tick=False)
        traveller.start()
        self._active.append((traveller, restore_env))

    def __exit__(self, *exc: object) -> bool:
        traveller, restore_env = self._active.pop()
        try:
            traveller.stop()
        finally:
            restore_env()
        return False
