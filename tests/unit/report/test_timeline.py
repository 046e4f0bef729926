"""Spans from trace records: pairing, instants, unfinished work, lanes, hover text, and the
folded time axis."""

from __future__ import annotations

import json

from sim.report import spans
from sim.report.timeline import Axis
from tests.unit.report.conftest import DATA, EPOCH, TZ


def rec(t, kind, actor, **attrs):
    return {"t": t, "kind": kind, "actor": actor, **attrs}


RECORDS = [
    rec(0, "api.call", "control", service="s3", operation="PutObject"),
    rec(0, "invoke.start", "control", request_id="c-1", attempt=0),
    rec(300.0, "schedule.fired", "daily", target="arn:aws:lambda:us-east-1:1:function:intake", fire=1),
    rec(300.0, "invoke.start", "intake", request_id="r-1", attempt=0, mode="Event"),
    rec(300.5, "events.put", "bus", event_id="e-1", detail_type="OrderPlaced", rules=["route"]),
    rec(300.6, "events.put", "bus", event_id="e-2", detail_type="Orphan", rules=[]),
    rec(301.0, "sqs.sent", "orders.fifo", message_id="m-1", group_id="g1"),
    rec(301.0, "sqs.sent", "orders.fifo", message_id="m-2", group_id="g2"),
    rec(301.0, "sqs.sent", "orders.fifo", message_id="m-3", group_id="g3"),
    rec(301.2, "invoke.end", "intake", request_id="r-1", attempt=0, status="succeeded", error_type=None),
    rec(301.5, "sqs.received", "orders.fifo", message_id="m-1", receive_count=1),
    rec(301.5, "sqs.received", "orders.fifo", message_id="m-2", receive_count=1),
    rec(302.0, "invoke.start", "worker", request_id="r-2", attempt=0),
    rec(303.0, "invoke.end", "worker", request_id="r-2", attempt=0, status="failed", error_type="ValueError"),
    rec(304.0, "sqs.deleted", "orders.fifo", message_id="m-1"),
    rec(360.0, "invoke.start", "worker", request_id="r-2", attempt=1),
    rec(362.0, "invoke.end", "worker", request_id="r-2", attempt=1, status="succeeded"),
    rec(400.0, "states.start", "flow", execution="ex-1", origin="test"),
    rec(400.0, "states.started", "flow", execution="ex-1"),
    rec(410.0, "invoke.start", "slow", request_id="r-3", attempt=0),  # never ends
    rec(430.0, "states.ended", "flow", execution="ex-1", status="FAILED"),
    rec(450.0, "log", "worker", line="done"),
]


def by_label(out, label):
    return [s for s in out if s["label"] == label]


def test_invocations_pair_by_function_request_and_attempt():
    out = spans(RECORDS, tz=TZ, epoch_iso=EPOCH)
    (intake,) = [s for s in out if s["lane"] == "lambda:intake"]
    assert (intake["start"], intake["end"], intake["status"], intake["kind"]) == (300.0, 301.2, "succeeded", "lambda")
    worker = [s for s in out if s["lane"] == "lambda:worker"]
    assert [(s["start"], s["end"], s["status"]) for s in worker] == [(302.0, 303.0, "failed"), (360.0, 362.0, "succeeded")]
    assert worker[0]["label"] == "worker ValueError" and worker[1]["label"] == "worker (retry 1)"


def test_an_unmatched_start_runs_to_the_end_of_the_trace():
    out = spans(RECORDS, tz=TZ, epoch_iso=EPOCH)
    (slow,) = [s for s in out if s["lane"] == "lambda:slow"]
    assert slow["status"] == "running"
    assert (slow["start"], slow["end"]) == (410.0, 450.0)


def test_control_records_are_skipped():
    out = spans(RECORDS, tz=TZ, epoch_iso=EPOCH)
    assert not [s for s in out if "control" in s["lane"]]


def test_executions_pair_start_and_end_once():
    out = spans(RECORDS, tz=TZ, epoch_iso=EPOCH)
    (flow,) = [s for s in out if s["lane"] == "states:flow"]
    assert (flow["kind"], flow["label"], flow["start"], flow["end"], flow["status"]) == \
        ("state_machine", "ex-1", 400.0, 430.0, "failed")


def test_messages_go_from_sent_to_deleted_or_last_received():
    out = spans(RECORDS, tz=TZ, epoch_iso=EPOCH)
    queue = {s["label"]: s for s in out if s["lane"] == "sqs:orders.fifo"}
    assert (queue["g1"]["end"], queue["g1"]["status"]) == (304.0, "deleted")
    assert (queue["g2"]["end"], queue["g2"]["status"]) == (301.5, "received")
    assert (queue["g3"]["end"], queue["g3"]["status"]) == (450.0, "in-flight")
    assert {s["kind"] for s in queue.values()} == {"queue"}


def test_events_and_schedules_are_instants():
    out = spans(RECORDS, tz=TZ, epoch_iso=EPOCH)
    (fired,) = [s for s in out if s["kind"] == "schedule"]
    assert (fired["lane"], fired["label"], fired["start"], fired["end"], fired["status"]) == \
        ("schedule:daily", "intake", 300.0, 300.0, "fired")
    events = [s for s in out if s["kind"] == "event"]
    assert [(s["lane"], s["label"], s["status"], s["start"] == s["end"]) for s in events] == \
        [("events:bus", "OrderPlaced", "put", True), ("events:bus", "Orphan", "unmatched", True)]


def test_spans_are_ordered_by_start_and_titled_in_the_run_zone():
    out = spans(RECORDS, tz=TZ, epoch_iso=EPOCH)
    assert [s["start"] for s in out] == sorted(s["start"] for s in out)
    (intake,) = [s for s in out if s["lane"] == "lambda:intake"]
    # epoch 08:55 New York + 300 s = 09:00:00
    assert intake["title"] == "intake: 09:00:00 → 09:00:01 (1.2 s), succeeded"
    (fired,) = [s for s in out if s["kind"] == "schedule"]
    assert fired["title"] == "intake: 09:00:00, fired"
    utc = spans(RECORDS, tz="UTC", epoch_iso=EPOCH)
    assert [s["title"] for s in utc if s["kind"] == "schedule"] == ["intake: 14:00:00, fired"]


def test_an_end_without_its_start_is_drawn_from_its_duration():
    out = spans([rec(10.0, "invoke.end", "f", request_id="x", attempt=0, status="timeout", duration_s=3.0)],
                tz=TZ, epoch_iso=EPOCH)
    assert [(s["start"], s["end"], s["status"]) for s in out] == [(7.0, 10.0, "timeout")]


def test_a_real_day_gives_every_lane_kind():
    data = json.loads(DATA.read_text())
    out = spans(data["runs"]["stepfunctions"]["records"], tz=TZ, epoch_iso=EPOCH)
    kinds = {s["kind"] for s in out}
    assert kinds == {"lambda", "state_machine", "schedule", "event"}
    assert all(s["end"] >= s["start"] for s in out)
    assert not [s for s in out if s["status"] in ("running", "in-flight")]
    legacy = spans(data["runs"]["legacy"]["records"], tz=TZ, epoch_iso=EPOCH)
    assert {s["kind"] for s in legacy} == {"lambda", "queue", "schedule", "event"}
    assert json.loads(json.dumps(out)) == out  # plain JSON


def test_the_axis_folds_idle_hours_and_keeps_order():
    axis = Axis([(300.0, 302.0), (24600.0, 24660.0)], 100.0, 1000.0)
    assert len(axis.segments) == 2 and len(axis.gaps) == 1
    xs = [axis.x(t) for t in (300.0, 301.0, 302.0, 24600.0, 24630.0, 24660.0)]
    assert xs == sorted(xs) and 100.0 <= xs[0] and xs[-1] <= 1000.0
    assert axis.x(12000.0) < axis.x(24600.0)  # inside the fold: between the segments
    assert axis.segments[1].x1 - axis.segments[1].x0 > axis.segments[0].x1 - axis.segments[0].x0
    ticks = axis.ticks()
    assert ticks == sorted(ticks) and len(ticks) >= 3
