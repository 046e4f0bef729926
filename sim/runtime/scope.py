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
from typing import Iterator, Mapping
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
