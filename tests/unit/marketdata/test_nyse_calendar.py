"""The NYSE calendar: sessions, holidays, early closes, neighbours."""

from __future__ import annotations

from datetime import date, time

import pytest

from workflows.marketdata import calendar


def test_mlk_day_2026_is_not_a_session() -> None:
    assert not calendar.is_session("2026-01-19")
    assert date(2026, 1, 19) in calendar.holidays("2026-01-01", "2026-01-31")
    assert calendar.next_session("2026-01-16") == date(2026, 1, 20)
    assert calendar.previous_session("2026-01-20") == date(2026, 1, 16)


def test_holidays_include_adhoc_closures() -> None:
    found = calendar.holidays("2025-01-01", "2025-12-31")
    assert date(2025, 1, 9) in found  # national day of mourning
    assert date(2025, 12, 25) in found and date(2025, 7, 4) in found
    assert all(d.weekday() < 5 for d in found)


def test_day_after_thanksgiving_closes_at_one() -> None:
    assert calendar.close_time("2025-11-28") == time(13, 0)
    assert calendar.close_time("2025-11-26") == time(16, 0)
    early = calendar.early_closes("2025-01-01", "2025-12-31")
    assert early == {date(2025, 7, 3): time(13, 0), date(2025, 11, 28): time(13, 0), date(2025, 12, 24): time(13, 0)}


def test_sessions_between_dates() -> None:
    sessions = calendar.sessions("2026-01-05", "2026-01-23")
    assert len(sessions) == 14  # three weeks less MLK day
    assert sessions[0] == date(2026, 1, 5) and sessions[-1] == date(2026, 1, 23)
    assert len(calendar.sessions("2024-01-01", "2024-12-31")) == 252


def test_weekends_and_neighbours() -> None:
    assert not calendar.is_session("2026-01-10")
    assert calendar.next_session("2026-01-10") == date(2026, 1, 12)
    assert calendar.previous_session("2026-01-10") == date(2026, 1, 9)
    assert calendar.next_session("2026-01-08") == date(2026, 1, 9)  # strictly after


def test_close_time_of_a_non_session_is_an_error() -> None:
    with pytest.raises(ValueError, match="not an NYSE session"):
        calendar.close_time("2026-01-19")
