"""The virtual clock: one SimPy environment mapped onto a calendar epoch.

``env.now`` counts float seconds from the run's epoch. ``datetime`` appears only
at the edges (``now()``, ``at()``), so nothing inside the kernel reads wall
time. Timers are either *work* (a retry backoff, a delivery latency: the run is
not over while one is pending) or *daemon* (a recurring schedule tick, a TTL
sweep: they happen if the run is still going, but never keep it alive).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import simpy

from sim.errors import ConfigError


class Clock:
    def __init__(self, epoch: datetime, tz: str = "UTC") -> None:
        if epoch.tzinfo is None:
            try:
                epoch = epoch.replace(tzinfo=ZoneInfo(tz))
            except Exception as exc:  # ZoneInfoNotFoundError and friends
                raise ConfigError(f"unknown time zone {tz!r}: use an IANA name such as America/New_York") from exc
        self.epoch = epoch.astimezone(timezone.utc)
        self.tz = ZoneInfo(tz)
        self.env = simpy.Environment()
        self._pending_work = 0
        self._iso_at, self._iso_text = -1.0, ""

    # -- reading time -----------------------------------------------------
    @property
    def now_s(self) -> float:
        return self.env.now

    def now(self) -> datetime:
        """The current virtual instant, UTC-aware."""
        return self.epoch + timedelta(seconds=self.env.now)

    def local_now(self) -> datetime:
        return self.now().astimezone(self.tz)

    def to_datetime(self, t_s: float) -> datetime:
        return self.epoch + timedelta(seconds=t_s)

    def seconds_until(self, when: datetime) -> float:
        """Seconds from now to ``when`` (negative if it is in the past)."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.tz)
        return (when - self.now()).total_seconds()

    def iso(self, t_s: float | None = None) -> str:
        if t_s is None:
            t_s = self.env.now
        if t_s == self._iso_at:  # many events share an instant; format it once
            return self._iso_text
        t = self.to_datetime(t_s)
        self._iso_at, self._iso_text = t_s, t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
        return self._iso_text

    # -- waiting ----------------------------------------------------------
    def timeout(self, delay_s: float, value=None, daemon: bool = False) -> simpy.Timeout:
        """A timer; work timers keep ``run()`` going until they fire."""
        if delay_s < 0:
            delay_s = 0.0
        ev = self.env.timeout(delay_s, value)
        if not daemon:
            self._pending_work += 1
            ev.callbacks.append(self._work_done)
        return ev

    def _work_done(self, _event) -> None:
        self._pending_work -= 1

    def cancel(self, timer: simpy.Timeout) -> None:
        """Stop counting a work timer that is no longer awaited (it still fires, harmlessly)."""
        if not timer.processed and self._work_done in timer.callbacks:
            timer.callbacks.remove(self._work_done)
            self._pending_work -= 1

    @property
    def quiescent(self) -> bool:
        """True when only daemon timers remain in the future."""
        return self._pending_work == 0 and self.env.peek() > self.env.now

    def process(self, generator) -> simpy.Process:
        return self.env.process(generator)

    def event(self) -> simpy.Event:
        return self.env.event()
