"""The NYSE trading calendar (exchange_calendars "XNYS"), offline.

Dates in and out are ``datetime.date``; close times are ``datetime.time`` in
America/New_York. The calendar is built once for a fixed window (1990..2035):
exchange_calendars' default window is relative to today, which would make
results depend on the wall clock.
"""

from __future__ import annotations

from datetime import date, datetime, time
import warnings
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd

NEW_YORK = "America/New_York"
WINDOW_START = "1990-01-02"
WINDOW_END = "2035-12-31"
REGULAR_CLOSE = time(16, 0)


@lru_cache(maxsize=1)
def _xnys() -> xcals.ExchangeCalendar:
    with warnings.catch_warnings():
        # exchange_calendars 4.13 trips a pandas 3.1 deprecation inside its own
        # constructor; nothing we can act on, so keep it out of our output.
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        return xcals.get_calendar("XNYS", start=WINDOW_START, end=WINDOW_END)


def _day(value: date | datetime | str) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(NEW_YORK).tz_localize(None)
    day = stamp.normalize()
    if not (pd.Timestamp(WINDOW_START) <= day <= pd.Timestamp(WINDOW_END)):
        raise ValueError(f"{day.date()} is outside the calendar window {WINDOW_START}..{WINDOW_END}")
    return day


def _all_sessions() -> pd.DatetimeIndex:
    return _xnys().sessions


def sessions(start: date | str, end: date | str) -> list[date]:
    """NYSE sessions from start to end, both inclusive."""
    return [d.date() for d in sessions_index(start, end)]


def sessions_index(start: date | str, end: date | str) -> pd.DatetimeIndex:
    """Like ``sessions`` but as a tz-naive DatetimeIndex (the DSL's index type)."""
    all_sessions = _all_sessions()
    lo, hi = _day(start), _day(end)
    return all_sessions[(all_sessions >= lo) & (all_sessions <= hi)]


# The calendar is fixed, so these answers are pure functions of the day asked about (a date, a
# datetime, a string: all immutable); the broker and the handlers ask about the same few days
# hundreds of times a simulated day. Errors are not kept (lru_cache never keeps a raise).
@lru_cache(maxsize=4096)
def is_session(day: date | str) -> bool:
    return _day(day) in _all_sessions()


@lru_cache(maxsize=4096)
def next_session(day: date | str) -> date:
    """The first session strictly after ``day`` (which need not be a session)."""
    all_sessions = _all_sessions()
    pos = all_sessions.searchsorted(_day(day), side="right")
    return all_sessions[pos].date()


@lru_cache(maxsize=4096)
def previous_session(day: date | str) -> date:
    """The last session strictly before ``day`` (which need not be a session)."""
    all_sessions = _all_sessions()
    pos = all_sessions.searchsorted(_day(day), side="left")
    if pos == 0:
        raise ValueError(f"no session before {day} in the calendar window")
    return all_sessions[pos - 1].date()


def holidays(start: date | str, end: date | str) -> list[date]:
    """Weekdays in [start, end] on which the exchange is closed.

    This includes ad-hoc closures (e.g. the 2025-01-09 national day of mourning),
    not only the regular holiday rules.
    """
    weekdays = pd.bdate_range(_day(start), _day(end))
    return [d.date() for d in weekdays.difference(sessions_index(start, end))]


@lru_cache(maxsize=4096)
def close_time(day: date | str) -> time:
    """The session's close, New York wall time (16:00, or 13:00 on an early close)."""
    stamp = _day(day)
    if stamp not in _all_sessions():
        raise ValueError(f"{stamp.date()} is not an NYSE session")
    return _xnys().session_close(stamp).tz_convert(NEW_YORK).time()


def early_closes(start: date | str, end: date | str) -> dict[date, time]:
    """Sessions in [start, end] that close before 16:00 New York, with their close."""
    lo, hi = _day(start), _day(end)
    candidates = _xnys().early_closes
    picked = candidates[(candidates >= lo) & (candidates <= hi)]
    return {stamp.date(): close_time(stamp) for stamp in picked if close_time(stamp) < REGULAR_CLOSE}
