"""EventBridge Scheduler / EventBridge rule schedule expressions, pure and deterministic.

Sources (cited by short name below):

* [rules] EventBridge User Guide, "Creating a rule that runs on a schedule"
  (eb-create-rule-schedule.md): cron field table (values and allowed wildcards),
  wrap-around ranges ("0/30 20-2"), '#' only alone, rate singular/plural rule.
* [types] EventBridge Scheduler User Guide, "Schedule types" (schedule-types.html):
  at(yyyy-mm-ddThh:mm:ss) in the schedule's time zone; rate-based schedules start at
  StartDate, or immediately when there is none; 60-second precision.
* [dst] AWS re:Post knowledge center, eventbridge-scheduler-adjust-dst (AWS official):
  spring forward -> an invocation on a non-existent local time is skipped; fall back ->
  the schedule runs only once; rate days are 24-hour durations.
* [api] CreateSchedule StartDate: "EventBridge Scheduler ignores StartDate for one-time
  schedules".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sim.errors import ValidationException

UTC = dt_timezone.utc
# [rules] cron table: Year 1970-2199.
MIN_YEAR, MAX_YEAR = 1970, 2199
MONTHS = {n: i for i, n in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)}
# [rules] Day-of-week 1-7 or SUN-SAT: 1 is Sunday.
DAYS = {n: i for i, n in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}  # [dst]: a day is 24 hours


@dataclass(frozen=True)
class Field:
    """One cron field as in the [rules] table: range, names, allowed wildcards."""
    name: str
    lo: int
    hi: int
    names: dict
    wildcards: str


MINUTE = Field("minutes", 0, 59, {}, ",-*/")
HOUR = Field("hours", 0, 23, {}, ",-*/")
DOM = Field("day-of-month", 1, 31, {}, ",-*?/LW")
MONTH = Field("month", 1, 12, MONTHS, ",-*/")
DOW = Field("day-of-week", 1, 7, DAYS, ",-*?L#")
YEAR = Field("year", MIN_YEAR, MAX_YEAR, {}, ",-*/")


def _invalid(detail: str, parameter: str = "ScheduleExpression") -> ValidationException:
    # "Parameter ScheduleExpression is not valid." is PutRule's wording; the detail
    # after the colon (naming the bad field) is ours.
    return ValidationException(f"Parameter {parameter} is not valid: {detail}")


@dataclass(frozen=True)
class Cron:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: tuple[int, ...]
    years: frozenset[int]
    dom: tuple  # ("?",) | ("set", frozenset) | ("L",) | ("LW",) | ("W", n)
    dow: tuple  # ("?",) | ("set", frozenset) | ("L", n) | ("#", n, k)

    def days_in(self, year: int, month: int) -> list[int]:
        """Matching days of one month, ascending."""
        last = calendar.monthrange(year, month)[1]
        if self.dom[0] == "?":
            return _dow_days(self.dow, year, month, last)
        return _dom_days(self.dom, year, month, last)


def _weekday(year: int, month: int, day: int) -> int:
    """AWS day-of-week number, 1 = Sunday ... 7 = Saturday."""
    return (date(year, month, day).weekday() + 1) % 7 + 1


def _dom_days(spec: tuple, year: int, month: int, last: int) -> list[int]:
    if spec[0] == "set":
        return sorted(d for d in spec[1] if d <= last)
    if spec[0] == "L":
        return [last]
    if spec[0] == "LW":
        return [_nearest_weekday(year, month, last, last)]
    n = spec[1]  # "nW": undocumented beyond "the weekday closest to" day n; we use
    # Quartz's rule: never cross into another month, no fire if day n does not exist.
    return [_nearest_weekday(year, month, n, last)] if n <= last else []


def _nearest_weekday(year: int, month: int, day: int, last: int) -> int:
    wd = _weekday(year, month, day)
    if wd == 7:  # Saturday -> Friday, or Monday when Friday is in the previous month
        return day - 1 if day > 1 else day + 2
    if wd == 1:  # Sunday -> Monday, or Friday when Monday is in the next month
        return day + 1 if day < last else day - 2
    return day


def _dow_days(spec: tuple, year: int, month: int, last: int) -> list[int]:
    days = [d for d in range(1, last + 1)]
    if spec[0] == "set":
        return [d for d in days if _weekday(year, month, d) in spec[1]]
    same = [d for d in days if _weekday(year, month, d) == spec[1]]
    if spec[0] == "L":  # "5L": the last Thursday
        return same[-1:]
    k = spec[2]  # "6#3": the third Friday, none in months without one
    return same[k - 1:k]


# ---------------------------------------------------------------------------- parse


def parse_schedule_expression(expr: str, timezone: str = "UTC") -> "ScheduleExpression":
    """Parse at(...), rate(...) or cron(...); raise ValidationException naming the field."""
    zone = _zone(timezone)
    text = (expr or "").strip()
    for kind, parser in (("at", _parse_at), ("rate", _parse_rate), ("cron", _parse_cron)):
        if text.startswith(kind + "(") and text.endswith(")"):
            body = text[len(kind) + 1:-1].strip()
            return ScheduleExpression(kind, text, timezone, zone, *parser(body, zone))
    raise _invalid(f"{expr!r} is not an at(...), rate(...) or cron(...) expression")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _invalid(f"unknown time zone {name!r}", "ScheduleExpressionTimezone") from None


def _parse_at(body: str, zone: ZoneInfo) -> tuple:
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})", body)
    if not m:
        raise _invalid(f"at({body}) must be at(yyyy-mm-ddThh:mm:ss)")
    try:
        local = datetime(*(int(g) for g in m.groups()))
    except ValueError as exc:
        raise _invalid(f"at({body}) is not a real date and time: {exc}") from None
    # Undocumented: a local time in a DST gap keeps the pre-transition offset (so
    # 02:30 on spring-forward day fires at 03:30 new time, never skipped); in an
    # overlap the first occurrence is used. A one-time schedule must fire once.
    return local.replace(tzinfo=zone).astimezone(UTC), None, None


def _parse_rate(body: str, zone: ZoneInfo) -> tuple:
    m = re.fullmatch(r"(\d+)\s+([a-z]+)", body)
    if not m:
        raise _invalid(f"rate({body}) must be rate(value unit)")
    value, unit = int(m.group(1)), m.group(2)
    if value < 1:
        raise _invalid(f"rate value {value} must be a positive number")
    base = unit[:-1] if unit.endswith("s") else unit
    if base not in RATE_UNITS:
        raise _invalid(f"rate unit {unit!r} must be minute(s), hour(s) or day(s)")
    if (value == 1) != (unit == base):  # [rules]: rate(1 hours) and rate(5 hour) are invalid
        raise _invalid(f"rate unit {unit!r} must be {'singular' if value == 1 else 'plural'} "
                       f"for value {value}")
    return None, timedelta(seconds=value * RATE_UNITS[base]), None


def _parse_cron(body: str, zone: ZoneInfo) -> tuple:
    parts = body.split()
    if len(parts) != 6:
        raise _invalid(f"cron needs six fields (minutes hours day-of-month month "
                       f"day-of-week year), got {len(parts)}")
    mi, ho, dm, mo, dw, ye = parts
    if (dm == "?") == (dw == "?"):  # [rules] Limitations
        raise _invalid("exactly one of day-of-month and day-of-week must be '?'"
                       f" (got {dm!r} and {dw!r})")
    cron = Cron(
        minutes=tuple(sorted(_values(mi, MINUTE))),
        hours=tuple(sorted(_values(ho, HOUR))),
        months=tuple(sorted(_values(mo, MONTH))),
        years=frozenset(_values(ye, YEAR)),
        dom=_parse_dom(dm),
        dow=_parse_dow(dw),
    )
    return None, None, cron


def _parse_dom(text: str) -> tuple:
    text = text.upper()
    _check_chars(text, DOM)
    if text in ("?", "L", "LW"):
        return (text,)
    if text.endswith("W"):
        n = _number(text[:-1], DOM)
        return ("W", n)
    if "L" in text or "W" in text:
        raise _invalid(f"day-of-month {text!r}: L and W cannot be combined with other values")
    return ("set", frozenset(_values(text, DOM)))


def _parse_dow(text: str) -> tuple:
    text = text.upper()
    _check_chars(text, DOW)
    if text == "?":
        return ("?",)
    if text == "L":  # [rules]: L is the last day of the week, Saturday
        return ("set", frozenset({7}))
    if "#" in text:  # [rules]: only one expression with '#'
        day, _, nth = text.partition("#")
        if "," in text or "-" in text or not nth.isdigit() or not 1 <= int(nth) <= 5:
            raise _invalid(f"day-of-week {text!r} must be a single day#n with n from 1 to 5")
        return ("#", _number(day, DOW), int(nth))
    if "L" in text:  # no day name contains an L
        if text.endswith("L") and not re.search(r"[,*-]", text):
            return ("L", _number(text[:-1], DOW))
        raise _invalid(f"day-of-week {text!r}: L cannot be combined with other values")
    return ("set", frozenset(_values(text, DOW)))


def _check_chars(text: str, field: Field) -> None:
    for ch in set(re.sub(r"[A-Z0-9]", "", text.upper())):
        if ch not in field.wildcards:
            raise _invalid(f"{field.name} {text!r}: '{ch}' is not allowed in this field")


def _values(text: str, field: Field) -> set[int]:
    _check_chars(text, field)
    if "?" in text:
        raise _invalid(f"{field.name} {text!r}: '?' must stand alone")
    out: set[int] = set()
    for item in text.split(","):
        out.update(_item(item, field))
    return out


def _item(item: str, field: Field) -> list[int]:
    base, slash, step_text = item.partition("/")
    step = _number(step_text, field, lo=1, hi=10**6) if slash else 1
    if base == "*":
        start, end = field.lo, field.hi
    elif "-" in base:
        a, _, b = base.partition("-")
        start, end = _number(a, field), _number(b, field)
    else:
        start = _number(base, field)
        end = field.hi if slash else start  # "1/10": from 1 to the end, every 10th
    return _span(start, end, step, field, item)


def _span(start: int, end: int, step: int, field: Field, item: str) -> list[int]:
    if start <= end:
        return list(range(start, end + 1, step))
    if field is YEAR:
        raise _invalid(f"year range {item!r} runs backwards")
    # [rules] example "0/30 20-2": a range may wrap past the field's maximum.
    seq = list(range(start, field.hi + 1)) + list(range(field.lo, end + 1))
    return seq[::step]


def _number(text: str, field: Field, lo: int | None = None, hi: int | None = None) -> int:
    lo = field.lo if lo is None else lo
    hi = field.hi if hi is None else hi
    upper = text.upper()
    if upper in field.names:  # names are accepted in any case (undocumented)
        return field.names[upper]
    if not text.isdigit():
        raise _invalid(f"{field.name} value {text!r} is not a number"
                       + (" or name" if field.names else ""))
    value = int(text)
    if not lo <= value <= hi:
        raise _invalid(f"{field.name} value {value} is out of range {lo}-{hi}")
    return value


# -------------------------------------------------------------------------- evaluate


@dataclass(frozen=True)
class ScheduleExpression:
    kind: str  # "at" | "rate" | "cron"
    expression: str
    timezone: str
    zone: ZoneInfo
    at: datetime | None  # UTC instant of a one-time schedule
    period: timedelta | None  # rate period
    cron: Cron | None

    def next_fire(self, after: datetime, start: datetime | None = None,
                  end: datetime | None = None) -> datetime | None:
        """The first fire time strictly after ``after`` (UTC-aware in and out), or None.

        ``start``/``end`` are the schedule's StartDate/EndDate (inclusive). For rate,
        ``start`` is the anchor: fires are start + k*period, k >= 0, so the first fire
        is at StartDate, or at the creation time passed as ``start`` ([types]: without
        StartDate it "starts invoking the target immediately"). With no ``start``,
        ``after`` is taken as the anchor, already fired. ``at`` ignores both ([api]).
        """
        after, start, end = (_utc(x) for x in (after, start, end))
        if self.kind == "at":
            return self.at if self.at > after else None
        if self.kind == "rate":
            fire = _next_rate(self.period, after, start or after)
        else:
            floor = after if start is None else max(after, start - timedelta(microseconds=1))
            fire = _next_cron(self.cron, self.zone, floor)
        return fire if fire is not None and (end is None or fire <= end) else None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"{value!r} is naive; next_fire takes timezone-aware datetimes")
    return value.astimezone(UTC)


def _next_rate(period: timedelta, after: datetime, anchor: datetime) -> datetime:
    if anchor > after:
        return anchor
    k = (after - anchor) // period + 1
    return anchor + k * period


def _next_cron(cron: Cron, zone: ZoneInfo, after: datetime) -> datetime | None:
    """Walk months, then days, hours and minutes in local wall time (no minute scans)."""
    begin = after.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    for year in range(max(begin.year, MIN_YEAR), MAX_YEAR + 1):
        if year not in cron.years:
            continue
        for month in cron.months:
            if (year, month) < (begin.year, begin.month):
                continue
            fire = _first_in_month(cron, zone, after, begin, year, month)
            if fire is not None:
                return fire
    return None


def _first_in_month(cron: Cron, zone: ZoneInfo, after: datetime, begin: datetime,
                    year: int, month: int) -> datetime | None:
    for day in cron.days_in(year, month):
        if date(year, month, day) < begin.date():
            continue
        first_day = date(year, month, day) == begin.date()
        for hour in cron.hours:
            if first_day and hour < begin.hour:
                continue
            for minute in cron.minutes:
                local = datetime(year, month, day, hour, minute)
                if local < begin:
                    continue
                fire = _to_utc(local, zone)
                if fire is not None and fire > after:
                    return fire
    return None


def _to_utc(local: datetime, zone: ZoneInfo) -> datetime | None:
    """[dst]: a wall time that does not exist (spring forward) is skipped; one that
    occurs twice (fall back) fires once, at its first occurrence (fold=0)."""
    fire = local.replace(tzinfo=zone).astimezone(UTC)
    if fire.astimezone(zone).replace(tzinfo=None) != local:
        return None
    return fire
