"""A run's timeline: the simulator's trace records folded into spans on swimlanes.

    spans(result.trace.records, tz="America/New_York", epoch_iso="2026-01-14T08:55:00-05:00")

Each span is one thing that took (virtual) time or happened at an instant:

* a Lambda invocation, ``invoke.start`` to ``invoke.end`` paired by (function,
  request id, attempt), on lane ``lambda:<function>``;
* a state machine execution, ``states.start``/``states.started`` to ``states.ended``,
  paired by (machine, execution name), on lane ``states:<machine>``;
* an SQS message, ``sqs.sent`` to ``sqs.deleted`` (or its last ``sqs.received``,
  ``sqs.dead-lettered``, ``sqs.expired``), paired by (queue, message id), on lane
  ``sqs:<queue>``;
* an EventBridge ``events.put`` and a Scheduler ``schedule.fired``/``schedule.failed``,
  as instants (end == start) on ``events:<bus>`` and ``schedule:<name>``.

Records of the actor "control" (the harness setting the world up) are skipped. A span
whose end never came (the run stopped first) ends at the trace's last instant with the
status "running" (Lambda, executions) or "in-flight" (messages never received).

The time axis that draws several runs on one clock, with long idle gaps folded, is
``Axis`` below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sim.report.common import Clock, duration

Span = dict[str, Any]


class _Folder:
    """Open spans by key while the records are read; finished spans with their order."""

    def __init__(self) -> None:
        self.open: dict[tuple, Span] = {}
        self.done: list[tuple[float, int, Span]] = []
        self.seq = 0

    def add(self, span: Span) -> Span:
        self.seq += 1
        self.done.append((span["start"], self.seq, span))
        return span

    def start(self, key: tuple, span: Span) -> None:
        self.open[key] = self.add(span)

    def end(self, key: tuple, t: float, status: str) -> Span | None:
        span = self.open.pop(key, None)
        if span is not None:
            span["end"], span["status"] = max(t, span["start"]), status
        return span


def _span(lane: str, kind: str, label: str, start: float, status: str, end: float | None = None) -> Span:
    return {"lane": lane, "kind": kind, "label": label, "start": start,
            "end": start if end is None else end, "status": status}


# -- one handler per record kind -------------------------------------------------------------
def _invoke_start(f: _Folder, r: dict, t: float) -> None:
    fn, attempt = r["actor"], r.get("attempt") or 0
    label = fn if not attempt else f"{fn} (retry {attempt})"
    f.start(("lambda", fn, r.get("request_id"), attempt), _span(f"lambda:{fn}", "lambda", label, t, "running"))


def _invoke_end(f: _Folder, r: dict, t: float) -> None:
    fn, attempt = r["actor"], r.get("attempt") or 0
    status = str(r.get("status") or "succeeded").lower()
    span = f.end(("lambda", fn, r.get("request_id"), attempt), t, status)
    if span is None:  # its start was before the trace began: draw what the end tells us
        start = t - float(r.get("duration_s") or 0.0)
        span = f.add(_span(f"lambda:{fn}", "lambda", fn, start, status, t))
    if r.get("error_type"):
        span["label"] += f" {r['error_type']}"


def _states_start(f: _Folder, r: dict, t: float) -> None:
    key = ("states", r["actor"], r.get("execution"))
    if key not in f.open:  # states.start then states.started: one span from the first
        f.start(key, _span(f"states:{r['actor']}", "state_machine", str(r.get("execution")), t, "running"))


def _states_ended(f: _Folder, r: dict, t: float) -> None:
    status = str(r.get("status") or "succeeded").lower()
    if f.end(("states", r["actor"], r.get("execution")), t, status) is None:
        f.add(_span(f"states:{r['actor']}", "state_machine", str(r.get("execution")), t, status))


def _sqs_sent(f: _Folder, r: dict, t: float) -> None:
    queue, mid = r["actor"], r.get("message_id")
    label = r.get("group_id") or (str(mid)[:8] if mid else "message")
    span = _span(f"sqs:{queue}", "queue", label, t, "in-flight")
    if mid is None:  # nothing to pair with: the send is all we know
        f.add(dict(span, status="sent"))
    else:
        f.start(("sqs", queue, mid), span)


def _sqs_received(f: _Folder, r: dict, t: float) -> None:
    span = f.open.get(("sqs", r["actor"], r.get("message_id")))
    if span is not None:  # stays open until deleted; ends here if it never is
        span["end"], span["status"] = t, "received"


def _sqs_closer(status: str) -> Callable[[_Folder, dict, float], None]:
    def close(f: _Folder, r: dict, t: float) -> None:
        f.end(("sqs", r["actor"], r.get("message_id")), t, status)
    return close


def _events_put(f: _Folder, r: dict, t: float) -> None:
    label = r.get("detail_type") or r.get("source") or "event"
    status = "unmatched" if r.get("rules") == [] else "put"
    f.add(_span(f"events:{r['actor']}", "event", str(label), t, status))


def _schedule(status: str) -> Callable[[_Folder, dict, float], None]:
    def fire(f: _Folder, r: dict, t: float) -> None:
        target = str(r.get("target") or r["actor"]).rsplit(":", 1)[-1]
        f.add(_span(f"schedule:{r['actor']}", "schedule", target, t, status))
    return fire


_HANDLERS: dict[str, Callable[[_Folder, dict, float], None]] = {
    "invoke.start": _invoke_start, "invoke.end": _invoke_end,
    "states.start": _states_start, "states.started": _states_start, "states.ended": _states_ended,
    "sqs.sent": _sqs_sent, "sqs.received": _sqs_received, "sqs.deleted": _sqs_closer("deleted"),
    "sqs.dead-lettered": _sqs_closer("dead-lettered"), "sqs.expired": _sqs_closer("expired"),
    "events.put": _events_put,
    "schedule.fired": _schedule("fired"), "schedule.failed": _schedule("failed"),
}


def spans(records: list[dict], *, tz: str | None, epoch_iso: str | None) -> list[Span]:
    """The run's spans, by start time (trace order within an instant). Each has lane, kind,
    label, start, end (virtual seconds since the run's epoch; end == start for instants),
    status and title (hover text with HH:MM:SS in ``tz``)."""
    kept = [r for r in records if r.get("actor") != "control"]
    folder = _Folder()
    for r in kept:
        handler = _HANDLERS.get(r.get("kind", ""))
        if handler is not None:
            handler(folder, r, float(r["t"]))
    last = max((float(r["t"]) for r in kept), default=0.0)
    for span in folder.open.values():  # never ended: it runs to the end of the trace
        if span["status"] == "running" or span["status"] == "in-flight":
            span["end"] = max(span["end"], last)
    clock = Clock(epoch_iso, tz)
    out = []
    for _start, _seq, span in sorted(folder.done, key=lambda item: (item[0], item[1])):
        span["start"], span["end"] = round(span["start"], 6), round(span["end"], 6)
        span["title"] = title(span, clock)
        out.append(span)
    return out


def title(span: Span, clock: Clock) -> str:
    """Hover text: "label: 15:45:38 → 15:45:42 (4.00 s), succeeded"."""
    start, end = span["start"], span["end"]
    if end == start:
        return f"{span['label']}: {clock.hms(start)}, {span['status']}"
    return f"{span['label']}: {clock.hms(start)} → {clock.hms(end)} ({duration(end - start)}), {span['status']}"


# -- one axis for several runs -------------------------------------------------------------
@dataclass(frozen=True)
class Segment:
    """A stretch of activity drawn at its own scale; the idle time between segments is
    folded into a fixed-width gap (a day of a scheduled pipeline is hours of quiet and minutes of work)."""

    t0: float
    t1: float
    x0: float
    x1: float

    def x(self, t: float) -> float:
        if self.t1 == self.t0:
            return (self.x0 + self.x1) / 2
        return self.x0 + (t - self.t0) * (self.x1 - self.x0) / (self.t1 - self.t0)


class Axis:
    """Maps shared virtual seconds to x between ``x0`` and ``x1``.

    Intervals closer than ``fold_s`` (at least 60 s, or a quarter of the active time) are
    one segment; each segment gets ``min_px`` plus a share of the rest in proportion to its
    duration; each fold is ``gap_px`` wide."""

    def __init__(self, intervals: list[tuple[float, float]], x0: float, x1: float, *,
                 gap_px: float = 34.0, min_px: float = 90.0) -> None:
        clusters = _clusters(sorted(intervals) or [(0.0, 1.0)])
        n = len(clusters)
        spare = max(0.0, (x1 - x0) - gap_px * (n - 1) - min_px * n)
        total = sum(b - a for a, b in clusters) or 1.0
        self.segments: list[Segment] = []
        x = x0
        for a, b in clusters:
            width = min_px + spare * (b - a) / total
            self.segments.append(Segment(a, b, round(x, 2), round(x + width, 2)))
            x += width + gap_px
        self.gaps = [(left, right) for left, right in zip(self.segments, self.segments[1:])]

    def x(self, t: float) -> float:
        for i, seg in enumerate(self.segments):
            if t < seg.t0:  # before the first segment, or inside the fold before this one
                return seg.x0 if i == 0 else round((self.segments[i - 1].x1 + seg.x0) / 2, 2)
            if t <= seg.t1:
                return round(seg.x(t), 2)
        return self.segments[-1].x1

    def ticks(self, min_px: float = 78.0) -> list[float]:
        """Round instants inside each segment, at least ``min_px`` apart."""
        out: list[float] = []
        for seg in self.segments:
            span = max(seg.t1 - seg.t0, 1e-9)
            px_per_s = (seg.x1 - seg.x0) / span
            step = next((s for s in _STEPS if s * px_per_s >= min_px), _STEPS[-1])
            t = -(-seg.t0 // step) * step
            found = False
            while t <= seg.t1 + 1e-9:
                out.append(t)
                found, t = True, t + step
            if not found:
                out.append(seg.t0)
        return out


_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def _clusters(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    active = sum(max(0.0, b - a) for a, b in intervals)
    fold_s = max(60.0, active / 4)
    merged: list[list[float]] = []
    for a, b in intervals:
        if merged and a - merged[-1][1] <= fold_s:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    # a little air on both sides so instants at a segment's edge are not on its border
    return [(a - max(0.5, (b - a) * 0.02), b + max(0.5, (b - a) * 0.02)) for a, b in merged]
