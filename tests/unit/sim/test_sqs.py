"""SQS on the virtual clock: visibility, redrive, FIFO groups and dedup, retention, event source mappings."""

from __future__ import annotations

import json
import time

import pytest

from tests.unit.sim.conftest import fn, make_stack, starts


def queues(*specs):
    return make_stack(queues=list(specs))


def test_visibility_timeout_hides_then_redelivers_with_receive_count(simulate):
    sim = simulate(queues({"name": "q", "visibility_timeout_s": 30}))
    sqs = sim.client("sqs")
    sqs.send_message(QueueUrl="q", MessageBody="hello")
    first = sqs.receive_message(QueueUrl="q")["Messages"][0]
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    sim.advance(29)
    assert "Messages" not in sqs.receive_message(QueueUrl="q")
    sim.advance(2)
    again = sqs.receive_message(QueueUrl="q")["Messages"][0]
    assert again["MessageId"] == first["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    assert again["ReceiptHandle"] != first["ReceiptHandle"]


def test_change_message_visibility(simulate):
    sim = simulate(queues({"name": "q", "visibility_timeout_s": 300}))
    sqs = sim.client("sqs")
    sqs.send_message(QueueUrl="q", MessageBody="x")
    handle = sqs.receive_message(QueueUrl="q")["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl="q", ReceiptHandle=handle, VisibilityTimeout=5)
    sim.advance(6)
    assert sqs.receive_message(QueueUrl="q")["Messages"][0]["Body"] == "x"


def test_redrive_to_dead_letter_queue_after_max_receive_count(simulate):
    sim = simulate(queues({"name": "q", "visibility_timeout_s": 10,
                           "redrive": {"dead_letter_queue": "dlq", "max_receive_count": 3}}, {"name": "dlq"}))
    sqs = sim.client("sqs")
    msg_id = sqs.send_message(QueueUrl="q", MessageBody="poison")["MessageId"]
    for _ in range(3):
        assert sqs.receive_message(QueueUrl="q")["Messages"][0]["MessageId"] == msg_id
        sim.advance(11)
    assert "Messages" not in sqs.receive_message(QueueUrl="q")  # the 4th receive moves it instead
    dead = sqs.receive_message(QueueUrl="dlq")["Messages"][0]
    assert dead["MessageId"] == msg_id
    entry = sim.ledger.get(msg_id)
    assert entry.status == "dlq" and entry.reason == "dlq"
    steps = [h[1] for h in entry.history]
    assert steps[:steps.index("redriven")].count("received") == 3


def test_fifo_group_order_and_one_in_flight_per_group(simulate):
    sim = simulate(queues({"name": "q.fifo", "visibility_timeout_s": 30, "content_based_deduplication": True}))
    sqs = sim.client("sqs")
    for body, group in (("a1", "A"), ("a2", "A"), ("b1", "B"), ("a3", "A")):
        sqs.send_message(QueueUrl="q.fifo", MessageBody=body, MessageGroupId=group)
    first = sqs.receive_message(QueueUrl="q.fifo", MaxNumberOfMessages=1)["Messages"]
    assert [m["Body"] for m in first] == ["a1"]
    # group A is blocked while a1 is in flight; B is free
    second = sqs.receive_message(QueueUrl="q.fifo", MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in second] == ["b1"]
    sqs.delete_message(QueueUrl="q.fifo", ReceiptHandle=first[0]["ReceiptHandle"])
    rest = sqs.receive_message(QueueUrl="q.fifo", MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in rest] == ["a2", "a3"]
    assert rest[0]["Attributes"]["SequenceNumber"] < rest[1]["Attributes"]["SequenceNumber"]


def test_fifo_deduplication_window_is_five_minutes(simulate):
    sim = simulate(queues({"name": "q.fifo"}))
    sqs = sim.client("sqs")
    one = sqs.send_message(QueueUrl="q.fifo", MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1")
    dup = sqs.send_message(QueueUrl="q.fifo", MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1")
    assert dup["MessageId"] == one["MessageId"]
    sim.advance(301)
    later = sqs.send_message(QueueUrl="q.fifo", MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1")
    assert later["MessageId"] != one["MessageId"]
    got = sqs.receive_message(QueueUrl="q.fifo", MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 2
    assert len(sim.trace.of_kind("sqs.deduplicated")) == 1


def test_fifo_requires_group_and_dedup_id(simulate):
    sim = simulate(queues({"name": "q.fifo"}))
    sqs = sim.client("sqs")
    with pytest.raises(sqs.exceptions.ClientError, match="MessageGroupId"):
        sqs.send_message(QueueUrl="q.fifo", MessageBody="x")
    with pytest.raises(sqs.exceptions.ClientError, match="ContentBasedDeduplication"):
        sqs.send_message(QueueUrl="q.fifo", MessageBody="x", MessageGroupId="g")


def test_unknown_queue_raises_queue_does_not_exist(simulate):
    sim = simulate(queues({"name": "q"}))
    sqs = sim.client("sqs")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl="nope", MessageBody="x")


def test_retention_expires_messages(simulate):
    sim = simulate(queues({"name": "q", "retention_s": 60}))
    sqs = sim.client("sqs")
    msg_id = sqs.send_message(QueueUrl="q", MessageBody="x")["MessageId"]
    sim.advance(61)
    assert "Messages" not in sqs.receive_message(QueueUrl="q")
    assert sim.ledger.get(msg_id).status == "expired"


def test_long_polling_waits_on_the_clock(simulate):
    sim = simulate(queues({"name": "q", "delay_s": 5}))
    sqs = sim.client("sqs")
    sqs.send_message(QueueUrl="q", MessageBody="later")
    t0 = sim.clock.now_s
    got = sqs.receive_message(QueueUrl="q", WaitTimeSeconds=20)["Messages"]
    assert got[0]["Body"] == "later"
    assert 5 <= sim.clock.now_s - t0 < 6


# -- event source mappings -----------------------------------------------------------

def consume(event, context):
    failures = []
    for record in event["Records"]:
        body = json.loads(record["body"])
        time.sleep(1)
        if body.get("fail"):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def always_fail(event, context):
    raise RuntimeError("cannot process")


def test_esm_partial_batch_failure_keeps_only_reported_items(simulate):
    stack = make_stack(functions=[fn("c", consume, timeout_s=60)],
                       queues=[{"name": "q", "visibility_timeout_s": 60,
                                "redrive": {"dead_letter_queue": "dlq", "max_receive_count": 2}}, {"name": "dlq"}],
                       event_source_mappings=[{"queue": "q", "function": "c", "batch_size": 10,
                                               "report_batch_item_failures": True}])
    sim = simulate(stack)
    sqs = sim.client("sqs")
    sqs.send_message_batch(QueueUrl="q", Entries=[
        {"Id": str(i), "MessageBody": json.dumps({"i": i, "fail": i == 2})} for i in range(4)])
    result = sim.run()
    statuses = sorted(e.status for e in result.ledger.entries.values())
    assert statuses == ["deleted", "deleted", "deleted", "dlq"]
    # the failed item was retried once after its visibility timeout, then dead-lettered
    assert len(starts(result, "c")) == 2


def test_esm_function_error_returns_batch_after_visibility_timeout_then_dlq(simulate):
    stack = make_stack(functions=[fn("c", always_fail)],
                       queues=[{"name": "q", "visibility_timeout_s": 100,
                                "redrive": {"dead_letter_queue": "dlq", "max_receive_count": 3}}, {"name": "dlq"}],
                       event_source_mappings=[{"queue": "q", "function": "c", "batch_size": 1}])
    sim = simulate(stack)
    msg_id = sim.client("sqs").send_message(QueueUrl="q", MessageBody="x")["MessageId"]
    result = sim.run()
    t = starts(result, "c")
    assert len(t) == 3
    assert t[1] - t[0] == pytest.approx(100, abs=0.5) and t[2] - t[1] == pytest.approx(100, abs=0.5)
    assert result.ledger.get(msg_id).status == "dlq"


def slow_consume(event, context):
    time.sleep(10)
    return None


def test_esm_concurrency_bounded_by_reserved_concurrency(simulate):
    stack = make_stack(functions=[fn("c", slow_consume, timeout_s=60, reserved_concurrency=3)],
                       queues=[{"name": "q", "visibility_timeout_s": 120}],
                       event_source_mappings=[{"queue": "q", "function": "c", "batch_size": 1}])
    sim = simulate(stack)
    sqs = sim.client("sqs")
    for i in range(9):
        sqs.send_message(QueueUrl="q", MessageBody=str(i))
    result = sim.run()
    # 9 messages, 3 at a time, 10 s each -> three waves
    events = sorted([(r["t"], 1) for r in result.trace.where("invoke.start", "c")] +
                    [(r["t"], -1) for r in result.trace.where("invoke.end", "c")], key=lambda x: (x[0], x[1]))
    level = peak = 0
    for _, d in events:
        level += d
        peak = max(peak, level)
    assert peak == 3
    assert len(starts(result, "c")) == 9
    assert {e.status for e in result.ledger.entries.values()} == {"deleted"}


def fifo_consume(event, context):
    time.sleep(5)
    return None


def test_esm_fifo_never_two_in_flight_per_group(simulate):
    stack = make_stack(functions=[fn("c", fifo_consume, timeout_s=60)],
                       queues=[{"name": "q.fifo", "content_based_deduplication": True}],
                       event_source_mappings=[{"queue": "q.fifo", "function": "c", "batch_size": 1}])
    sim = simulate(stack)
    sqs = sim.client("sqs")
    for i in range(3):
        for g in ("A", "B"):
            sqs.send_message(QueueUrl="q.fifo", MessageBody=f"{g}{i}", MessageGroupId=g)
    result = sim.run()
    received = {r["message_id"]: r["t"] for r in result.trace.of_kind("sqs.received")}
    deleted = {r["message_id"]: r["t"] for r in result.trace.of_kind("sqs.deleted")}
    group_of = {r["message_id"]: r["group_id"] for r in result.trace.of_kind("sqs.sent")}
    for group in ("A", "B"):
        ids = sorted((m for m in received if group_of[m] == group), key=received.get)
        assert len(ids) == 3
        for prev, nxt in zip(ids, ids[1:]):
            assert received[nxt] >= deleted[prev]  # never two of one group in flight
    # two groups in parallel, three waves of 5 s each
    assert max(deleted.values()) == pytest.approx(15, abs=1)
