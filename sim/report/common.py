"""What every renderer of a shadow report shares: the status vocabulary, the order of
the variants, the roll-ups, and how numbers, rules and virtual instants are written.

The report is plain JSON (docs/reports.md); nothing here reads the wall clock, so the
same report always renders to the same bytes.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable
from zoneinfo import ZoneInfo

SCHEMA = "shadowsim/shadow-report@1"

# Row statuses, worst first: a divergence fails the comparison; an unjudged difference needs
# a human (no rule covers it); noise and tolerated differences are explained; ignored and
# equal rows need no attention.
STATUSES = ("diverge", "unjudged", "noise", "within", "ignored", "equal")
# Statuses that count as "differing" in roll-ups (ignored rows are differences someone
# decided not to look at; they are shown, not counted).
DIFFERING = ("diverge", "unjudged", "noise", "within")
VERDICTS = ("agree", "diverge", "error", "pass", "finding", "fail")
ABSENT = "—"  # a value one variant does not have


def severity(status: str | None) -> int:
    """Position in STATUSES (0 = worst); an unknown status ranks with "unjudged"."""
    try:
        return STATUSES.index(status or "")
    except ValueError:
        return STATUSES.index("unjudged")


def worst(statuses: Iterable[str]) -> str | None:
    ranked = sorted(statuses, key=severity)
    return ranked[0] if ranked else None


def by_severity(rows: list[dict]) -> list[dict]:
    """Rows worst status first; the producer's order (biggest differences first) is kept
    within a status, because sorted() is stable."""
    return sorted(rows, key=lambda r: severity(r.get("status")))


def not_equal(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r.get("status") != "equal"]


# -- the variants -------------------------------------------------------------------------
def variants(report: dict) -> list[str]:
    """The baseline first, then the other runs in the report's order, then any variant a
    comparison names that has no run (a run that errored before producing one)."""
    names: list[str] = []
    baseline = report.get("baseline")
    if baseline:
        names.append(baseline)
    for name in (report.get("runs") or {}):
        if name not in names:
            names.append(name)
    for comp in report.get("comparisons") or []:
        for name in (comp.get("baseline"), comp.get("candidate")):
            if name and name not in names:
                names.append(name)
    return names


def headline_keys(report: dict) -> list[str]:
    """Every headline key of every run, in first-seen order (the producer's order)."""
    keys: list[str] = []
    for name in variants(report):
        for key in ((report.get("runs") or {}).get(name) or {}).get("headline") or {}:
            if key not in keys:
                keys.append(key)
    return keys


# -- roll-ups -------------------------------------------------------------------------------
def rollup(rows: list[dict], prefix: str) -> list[dict]:
    """Rows under ``prefix`` grouped by the next path component, sorted by key:
    {key, worst, observables, differing, diverging}."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        path = str(row.get("observable", ""))
        if not path.startswith(prefix) or len(path) == len(prefix):
            continue
        key = path[len(prefix):].split(".", 1)[0]
        groups.setdefault(key, []).append(row)
    out = []
    for key in sorted(groups):
        statuses = [r.get("status", "") for r in groups[key]]
        out.append({"key": key, "worst": worst(statuses), "observables": len(statuses),
                    "differing": sum(s in DIFFERING for s in statuses),
                    "diverging": statuses.count("diverge")})
    return out


def rule_uses(report: dict) -> dict[str, int]:
    """How many rows each rule judged, keyed by rule_key (over every comparison)."""
    uses: dict[str, int] = {}
    for comp in report.get("comparisons") or []:
        for row in comp.get("rows") or []:
            if row.get("rule"):
                key = rule_key(row["rule"])
                uses[key] = uses.get(key, 0) + 1
    return uses


def rule_key(rule: dict) -> str:
    return json.dumps([rule.get("match"), rule.get("kind"), rule.get("value")], default=str)


# -- text -------------------------------------------------------------------------------------
def rule_text(rule: dict | None, *, why: bool = True) -> str:
    """"absolute 1e-06 (why)", "exact (why)" or "no rule"."""
    if not rule:
        return "no rule"
    text = str(rule.get("kind") or "rule")
    if rule.get("value") is not None:
        text += f" {number(rule['value'])}"
    if why and rule.get("why"):
        text += f" ({rule['why']})"
    return text


def number(value: Any) -> str:
    """A number the short way Python writes it (1e-09, 0.29, 120); anything else as text."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return text(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:g}" if abs(value) < 1e-4 or abs(value) >= 1e6 else repr(round(value, 10))


def text(value: Any) -> str:
    """A cell: None is absent, strings stay, anything else is compact JSON (sorted keys)."""
    if value is None:
        return ABSENT
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str, separators=(", ", ": "))


def plain(value: Any) -> str:
    """A price without exponent: 1.66667e-05 -> 0.0000166667 (how AWS writes prices)."""
    try:
        return format(Decimal(repr(float(value))), "f")
    except (TypeError, ValueError, InvalidOperation):
        return text(value)


def money(value: Any) -> str:
    if value is None:
        return ABSENT
    try:
        x = float(value)
    except (TypeError, ValueError):
        return text(value)
    if x == 0:
        return "$0.00"
    if abs(x) >= 1:
        return f"${x:,.2f}"
    if abs(x) >= 0.01:
        return f"${x:.4f}"
    return f"${plain(float(f'{x:.3g}'))}"


def quantity(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return text(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) >= 0.0001 else f"{value:.3g}"


def duration(seconds: float) -> str:
    """2.5 s, 4m 12s, 6h 44m."""
    if seconds < 60:
        return f"{seconds:.3g} s" if seconds < 10 else f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


# -- virtual instants ---------------------------------------------------------------------
class Clock:
    """Virtual seconds since a run's epoch, written as wall-clock text in the run's zone."""

    def __init__(self, epoch_iso: str | None, tz: str | None) -> None:
        self.zone = ZoneInfo(tz) if tz else None
        self.epoch = parse_instant(epoch_iso, self.zone)

    def at(self, seconds: float) -> datetime | None:
        if self.epoch is None:
            return None
        moment = self.epoch + timedelta(seconds=float(seconds))
        return moment.astimezone(self.zone) if self.zone is not None else moment

    def hms(self, seconds: float) -> str:
        """HH:MM:SS in the run's zone; "+123.4s" when the run has no epoch."""
        moment = self.at(seconds)
        return moment.strftime("%H:%M:%S") if moment is not None else f"+{float(seconds):.1f}s"

    def offset_from(self, other: "Clock") -> float:
        """Seconds from ``other``'s epoch to this one's (0 when either is unknown)."""
        if self.epoch is None or other.epoch is None:
            return 0.0
        return (self.epoch - other.epoch).total_seconds()


def parse_instant(value: Any, zone: ZoneInfo | None = None) -> datetime | None:
    """An ISO instant (or datetime); a naive one is read in ``zone`` (else UTC)."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or ZoneInfo("UTC"))
    return moment
