"""Schedule expressions: at(), rate(), cron() in a time zone, across DST changes.

Doc short names (see sim/services/scheduler/expressions.py): [rules] EventBridge
"rule that runs on a schedule", [types] Scheduler "Schedule types", [dst] AWS re:Post
"adjust my EventBridge schedule for daylight saving", [api] CreateSchedule StartDate.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from sim.errors import ValidationException
from sim.services.scheduler.expressions import parse_schedule_expression

UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def fires(expr, after: datetime, n: int, tz: str = "UTC", **kw) -> list[datetime]:
    """The next ``n`` fire times after ``after``."""
    schedule = parse_schedule_expression(expr, tz)
    out = []
    for _ in range(n):
        after = schedule.next_fire(after, **kw)
        if after is None:
            break
        out.append(after)
    return out


# ---------------------------------------------------------------------------- cron


def test_weekday_9am_new_york_across_spring_dst_change():
    # 2024-03-10 (a Sunday) is when New York moves from EST (UTC-5) to EDT (UTC-4).
    got = fires("cron(0 9 ? * MON-FRI *)", utc(2024, 3, 7), 6, "America/New_York")
    assert got == [
        utc(2024, 3, 7, 14), utc(2024, 3, 8, 14),  # Thu, Fri: 09:00 EST = 14:00 UTC
        utc(2024, 3, 11, 13), utc(2024, 3, 12, 13),  # weekend skipped; 09:00 EDT = 13:00 UTC
        utc(2024, 3, 13, 13), utc(2024, 3, 14, 13),
    ]


def test_weekday_9am_new_york_across_autumn_dst_change():
    got = fires("cron(0 9 ? * MON-FRI *)", utc(2024, 11, 1, 12), 3, "America/New_York")
    assert got == [utc(2024, 11, 1, 13), utc(2024, 11, 4, 14), utc(2024, 11, 5, 14)]


def test_dst_gap_skips_nonexistent_time():
    # [dst]: "your schedule invocation gets skipped if the cron expression falls on a
    # non-existent date and time" -- 02:30 does not exist on 2024-03-10 in New York.
    got = fires("cron(30 2 * * ? *)", utc(2024, 3, 9), 2, "America/New_York")
    assert got == [utc(2024, 3, 9, 7, 30), utc(2024, 3, 11, 6, 30)]


def test_dst_overlap_fires_once_at_first_occurrence():
    # [dst]: "When the time shifts back in the Fall, your schedule runs only once".
    got = fires("cron(30 1 * * ? *)", utc(2024, 11, 2, 12), 2, "America/New_York")
    assert got == [utc(2024, 11, 3, 5, 30), utc(2024, 11, 4, 6, 30)]  # 01:30 EDT, then EST
    every_half_hour = fires("cron(0/30 * * * ? *)", utc(2024, 11, 3, 5, 0), 4, "America/New_York")
    assert every_half_hour == [utc(2024, 11, 3, 5, 30), utc(2024, 11, 3, 7, 0),
                               utc(2024, 11, 3, 7, 30), utc(2024, 11, 3, 8, 0)]


def test_next_fire_is_strictly_after():
    schedule = parse_schedule_expression("cron(0 12 * * ? *)")
    assert schedule.next_fire(utc(2024, 1, 1, 12)) == utc(2024, 1, 2, 12)
    assert schedule.next_fire(utc(2024, 1, 1, 11, 59, 59)) == utc(2024, 1, 1, 12)


def test_lists_ranges_increments_and_wrapping_ranges():
    assert fires("cron(5,35 14 * * ? *)", utc(2024, 1, 1), 3) == [
        utc(2024, 1, 1, 14, 5), utc(2024, 1, 1, 14, 35), utc(2024, 1, 2, 14, 5)]
    assert fires("cron(1/10 0 * * ? *)", utc(2024, 1, 1), 3) == [
        utc(2024, 1, 1, 0, 1), utc(2024, 1, 1, 0, 11), utc(2024, 1, 1, 0, 21)]
    # [rules] example: "0/30 20-2 ? * MON-FRI *" runs 22:00 through 02:00 the next day.
    got = fires("cron(0 22-1 ? * MON-FRI *)", utc(2023, 12, 31, 23), 4)  # Mon 2024-01-01
    assert got == [utc(2024, 1, 1, 0), utc(2024, 1, 1, 1), utc(2024, 1, 1, 22),
                   utc(2024, 1, 1, 23)]
    assert fires("cron(0 0 ? * FRI-MON *)", utc(2024, 1, 3), 4) == [  # Wed start
        utc(2024, 1, 5), utc(2024, 1, 6), utc(2024, 1, 7), utc(2024, 1, 8)]


def test_month_names_and_numbers():
    assert fires("cron(0 0 1 JAN,JUL ? *)", utc(2024, 2, 1), 2) == [utc(2024, 7, 1), utc(2025, 1, 1)]
    assert fires("cron(0 0 1 */6 ? *)", utc(2024, 2, 1), 2) == [utc(2024, 7, 1), utc(2025, 1, 1)]


def test_day_of_week_numbers_are_sun_1_to_sat_7():
    assert fires("cron(0 0 ? * 1 *)", utc(2024, 1, 1), 1) == [utc(2024, 1, 7)]  # Sunday
    assert fires("cron(0 0 ? * 7 *)", utc(2024, 1, 1), 1) == [utc(2024, 1, 6)]  # Saturday


def test_last_day_of_month_L():
    assert fires("cron(0 12 L * ? *)", utc(2024, 1, 31, 13), 3) == [
        utc(2024, 2, 29, 12), utc(2024, 3, 31, 12), utc(2024, 4, 30, 12)]


def test_last_weekday_of_month_5L_and_L_in_day_of_week():
    # [rules] example: 10:15 on the last Friday of each month, 2019 to 2022.
    got = fires("cron(15 10 ? * 6L 2019-2022)", utc(2019, 1, 1), 3)
    assert got == [utc(2019, 1, 25, 10, 15), utc(2019, 2, 22, 10, 15), utc(2019, 3, 29, 10, 15)]
    assert fires("cron(0 0 ? * 5L *)", utc(2024, 2, 1), 1) == [utc(2024, 2, 29)]  # Thursday
    assert fires("cron(0 0 ? * L *)", utc(2024, 1, 1), 1) == [utc(2024, 1, 6)]  # Saturday


def test_nearest_weekday_W():
    # 2024-06-15 is a Saturday -> Friday the 14th; 2024-09-15 is a Sunday -> Monday 16th.
    assert fires("cron(0 12 15W * ? *)", utc(2024, 6, 1), 1) == [utc(2024, 6, 14, 12)]
    assert fires("cron(0 12 15W * ? *)", utc(2024, 9, 1), 1) == [utc(2024, 9, 16, 12)]
    # 2024-06-01 is a Saturday: the nearest weekday in June is Monday the 3rd.
    assert fires("cron(0 12 1W * ? *)", utc(2024, 5, 31), 1) == [utc(2024, 6, 3, 12)]
    # 2024-03-31 is a Sunday: Monday would be April, so Friday the 29th.
    assert fires("cron(0 12 31W * ? *)", utc(2024, 3, 1), 1) == [utc(2024, 3, 29, 12)]
    assert fires("cron(0 12 LW * ? *)", utc(2024, 3, 1), 1) == [utc(2024, 3, 29, 12)]


def test_nth_weekday_hash():
    # [rules]: "3#2 would be the second Tuesday of the month"; 6#3 the third Friday.
    assert fires("cron(0 0 ? * 3#2 *)", utc(2024, 1, 1), 1) == [utc(2024, 1, 9)]
    assert fires("cron(0 0 ? * FRI#3 *)", utc(2024, 1, 1), 2) == [utc(2024, 1, 19), utc(2024, 2, 16)]
    # A fifth Monday exists only in some months.
    assert fires("cron(0 0 ? * 2#5 *)", utc(2024, 1, 1), 2) == [utc(2024, 1, 29), utc(2024, 4, 29)]


def test_years_field_and_end_of_schedule():
    assert fires("cron(0 0 1 1 ? 2026,2028)", utc(2024, 1, 1), 3) == [utc(2026, 1, 1), utc(2028, 1, 1)]
    assert fires("cron(0 0 1 1 ? 2020-2022)", utc(2024, 1, 1), 1) == []
    assert parse_schedule_expression("cron(0 0 * * ? *)").next_fire(utc(2199, 12, 31, 1)) is None


def test_never_matching_day_returns_none_quickly():
    schedule = parse_schedule_expression("cron(0 0 30 2 ? *)")
    began = time.perf_counter()
    assert schedule.next_fire(utc(2024, 1, 1)) is None
    assert time.perf_counter() - began < 1.0  # months are skipped, not minutes scanned


def test_leap_day_far_ahead_is_found_fast():
    schedule = parse_schedule_expression("cron(0 0 29 2 ? 2100-2199)")
    began = time.perf_counter()
    assert schedule.next_fire(utc(2024, 1, 1)) == utc(2104, 2, 29)  # 2100 is not a leap year
    assert time.perf_counter() - began < 1.0


def test_cron_start_and_end_dates():
    schedule = parse_schedule_expression("cron(0 * * * ? *)")
    assert schedule.next_fire(utc(2024, 1, 1), start=utc(2024, 1, 1, 5)) == utc(2024, 1, 1, 5)
    assert schedule.next_fire(utc(2024, 1, 1), end=utc(2024, 1, 1, 0, 30)) is None


# ---------------------------------------------------------------------------- rate


def test_rate_5_minutes_from_start():
    start = utc(2024, 1, 1, 10, 2, 30)
    got = fires("rate(5 minutes)", start - timedelta(microseconds=1), 3, start=start)
    assert got == [start, start + timedelta(minutes=5), start + timedelta(minutes=10)]
    assert parse_schedule_expression("rate(5 minutes)").next_fire(
        utc(2024, 1, 1, 10, 9), start=start) == utc(2024, 1, 1, 10, 12, 30)


def test_rate_without_start_anchors_on_after():
    assert parse_schedule_expression("rate(1 hour)").next_fire(utc(2024, 1, 1, 3, 7)) == \
        utc(2024, 1, 1, 4, 7)


def test_rate_days_are_24_hours_across_dst():
    # [dst]: "days represents a 24-hour duration on the clock".
    start = utc(2024, 3, 9, 14)  # 09:00 EST
    fire = parse_schedule_expression("rate(1 day)", "America/New_York").next_fire(start, start=start)
    assert fire == utc(2024, 3, 10, 14)  # 10:00 EDT: wall-clock time moved, duration did not


def test_rate_respects_end():
    schedule = parse_schedule_expression("rate(2 hours)")
    start = utc(2024, 1, 1)
    assert schedule.next_fire(utc(2024, 1, 1, 3), start=start, end=utc(2024, 1, 1, 4)) == \
        utc(2024, 1, 1, 4)
    assert schedule.next_fire(utc(2024, 1, 1, 4), start=start, end=utc(2024, 1, 1, 5)) is None


# ------------------------------------------------------------------------------ at


def test_at_in_a_time_zone_fires_once():
    schedule = parse_schedule_expression("at(2024-07-01T09:30:00)", "Europe/Paris")
    assert schedule.at == utc(2024, 7, 1, 7, 30)  # CEST is UTC+2
    assert schedule.next_fire(utc(2024, 1, 1)) == utc(2024, 7, 1, 7, 30)
    assert schedule.next_fire(utc(2024, 7, 1, 7, 30)) is None
    # [api]: "EventBridge Scheduler ignores StartDate for one-time schedules".
    assert schedule.next_fire(utc(2024, 1, 1), start=utc(2025, 1, 1)) == utc(2024, 7, 1, 7, 30)


def test_at_default_zone_is_utc_and_dst_edge_times():
    assert parse_schedule_expression("at(2024-01-01T00:00:00)").at == utc(2024, 1, 1)
    gap = parse_schedule_expression("at(2024-03-10T02:30:00)", "America/New_York")
    assert gap.at == utc(2024, 3, 10, 7, 30)  # kept, read with the pre-change offset
    overlap = parse_schedule_expression("at(2024-11-03T01:30:00)", "America/New_York")
    assert overlap.at == utc(2024, 11, 3, 5, 30)  # first occurrence (EDT)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        parse_schedule_expression("rate(1 minute)").next_fire(datetime(2024, 1, 1))


# ---------------------------------------------------------------------- validation


@pytest.mark.parametrize("expr,message", [
    ("every 5 minutes", "is not an at(...), rate(...) or cron(...) expression"),
    ("rate(5 minute)", "rate unit 'minute' must be plural for value 5"),
    ("rate(1 hours)", "rate unit 'hours' must be singular for value 1"),
    ("rate(0 minutes)", "rate value 0 must be a positive number"),
    ("rate(5 weeks)", "rate unit 'weeks' must be minute(s), hour(s) or day(s)"),
    ("rate(five minutes)", "rate(five minutes) must be rate(value unit)"),
    ("at(2024-02-30T00:00:00)", "at(2024-02-30T00:00:00) is not a real date and time"),
    ("at(2024-01-01 00:00:00)", "must be at(yyyy-mm-ddThh:mm:ss)"),
    ("cron(0 9 * * *)", "cron needs six fields"),
    ("cron(0 9 * * MON *)", "exactly one of day-of-month and day-of-week must be '?'"),
    ("cron(0 9 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
    ("cron(60 9 * * ? *)", "minutes value 60 is out of range 0-59"),
    ("cron(0 24 * * ? *)", "hours value 24 is out of range 0-23"),
    ("cron(0 9 32 * ? *)", "day-of-month value 32 is out of range 1-31"),
    ("cron(0 9 * 13 ? *)", "month value 13 is out of range 1-12"),
    ("cron(0 9 * FOO ? *)", "month value 'FOO' is not a number or name"),
    ("cron(0 9 ? * 8 *)", "day-of-week value 8 is out of range 1-7"),
    ("cron(0 9 ? * 0 *)", "day-of-week value 0 is out of range 1-7"),
    ("cron(0 9 * * ? 1969)", "year value 1969 is out of range 1970-2199"),
    ("cron(0 9 * * ? 2030-2025)", "year range '2030-2025' runs backwards"),
    ("cron(0 9 ? * MON/2 *)", "day-of-week 'MON/2': '/' is not allowed in this field"),
    ("cron(0 L 1 * ? *)", "hours value 'L' is not a number"),
    ("cron(0 9 ? * 2-L *)", "day-of-week '2-L': L cannot be combined with other values"),
    ("cron(0 9 ? * 3#1,6#3 *)", "day-of-week '3#1,6#3' must be a single day#n"),
    ("cron(0 9 ? * 6#6 *)", "day-of-week '6#6' must be a single day#n with n from 1 to 5"),
    ("cron(0 9 L,15 * ? *)", "day-of-month 'L,15': L and W cannot be combined"),
    ("cron(0/0 9 * * ? *)", "minutes value 0 is out of range 1-1000000"),
    ("cron(0 9 * 5 ? *)", None),  # valid control case
])
def test_invalid_expressions(expr, message):
    if message is None:
        parse_schedule_expression(expr)
        return
    with pytest.raises(ValidationException) as info:
        parse_schedule_expression(expr)
    assert info.value.message.startswith("Parameter ScheduleExpression is not valid: ")
    assert message in info.value.message
    assert info.value.code == "ValidationException"


def test_unknown_time_zone_names_the_timezone_field():
    with pytest.raises(ValidationException) as info:
        parse_schedule_expression("rate(1 minute)", "Mars/Olympus_Mons")
    assert info.value.message == ("Parameter ScheduleExpressionTimezone is not valid: "
                                  "unknown time zone 'Mars/Olympus_Mons'")
