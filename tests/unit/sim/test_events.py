"""EventBridge on the virtual clock: PutEvents validation, routing, target retries and DLQs."""

from __future__ import annotations

import json

import pytest

from tests.unit.sim.conftest import fn, make_stack, starts

RECEIVED: list = []


def sink(event, context):
    RECEIVED.append(event)
    return None


def stack_with(**extra):
    return make_stack(functions=[fn("sink", sink)], buses=["bus"],
                      rules=[{"name": "r", "bus": "bus",
                              "event_pattern": {"source": ["app"], "detail": {"amount": [{"numeric": [">", 100]}]}},
                              "targets": [{"arn": "function:sink", **extra.pop("target", {})}]}],
                      **extra)


def entry(detail, **kw):
    return {"Source": "app", "DetailType": "T", "EventBusName": "bus", "Detail": json.dumps(detail), **kw}


def test_put_events_routes_matching_events_to_targets(simulate):
    RECEIVED.clear()
    sim = simulate(stack_with())
    out = sim.client("events").put_events(Entries=[entry({"amount": 150}), entry({"amount": 50})])
    assert out["FailedEntryCount"] == 0 and all("EventId" in e for e in out["Entries"])
    result = sim.run()
    assert [e["detail"]["amount"] for e in RECEIVED] == [150]
    assert RECEIVED[0]["source"] == "app" and RECEIVED[0]["detail-type"] == "T"
    assert RECEIVED[0]["account"] == sim.kernel.account_id
    assert result.ledger.summary()["by_status"] == {"delivered": 2, "dropped": 1}
    dropped = [e for e in result.ledger.entries.values() if e.status == "dropped"][0]
    assert "no rule" in dropped.reason


def test_put_events_entry_errors_in_aws_shape(simulate):
    sim = simulate(stack_with())
    out = sim.client("events").put_events(Entries=[
        {"Source": "app", "DetailType": "T", "Detail": "{not json", "EventBusName": "bus"},
        {"Source": "app", "DetailType": "T", "EventBusName": "bus", "Detail": "{}"} | {"Source": ""},
        entry({"big": "x" * (256 * 1024)}),
        entry({"amount": 1}, EventBusName="missing"),
        entry({"amount": 1}),
    ])
    assert out["FailedEntryCount"] == 4
    codes = [e.get("ErrorCode") for e in out["Entries"]]
    assert codes == ["MalformedDetail", "InvalidArgument", "InvalidArgument", "ResourceNotFoundException", None]
    assert out["Entries"][0]["ErrorMessage"] == "Detail is malformed."


def test_put_events_more_than_ten_entries_is_a_validation_error(simulate):
    sim = simulate(stack_with())
    ev = sim.client("events")
    with pytest.raises(ev.exceptions.ClientError, match="ValidationException"):
        ev.put_events(Entries=[entry({"amount": 1})] * 11)


def test_sqs_target_with_input_path(simulate):
    stack = make_stack(queues=[{"name": "q"}],
                       rules=[{"name": "r", "event_pattern": {"source": ["app"]},
                               "targets": [{"arn": "queue:q", "input_path": "$.detail"}]}])
    sim = simulate(stack)
    sim.client("events").put_events(Entries=[{"Source": "app", "DetailType": "T", "Detail": '{"k": 1}'}])
    sim.run()
    body = sim.client("sqs").receive_message(QueueUrl="q")["Messages"][0]["Body"]
    assert json.loads(body) == {"k": 1}


def test_failed_delivery_is_retried_then_sent_to_the_target_dlq(simulate):
    from sim.faults import FaultPlan

    plan = FaultPlan.model_validate({"name": "eb-target-down", "rules": [
        {"name": "target-fails", "match": {"point": "delivery", "channel": "events", "resource": "function:sink"},
         "action": {"kind": "raise_error", "code": "ThrottlingException"}}]})
    stack = stack_with(queues=[{"name": "dlq"}],
                       target={"dead_letter_queue": "dlq",
                               "retry_policy": {"maximum_retry_attempts": 3, "maximum_event_age_s": 3600}})
    sim = simulate(stack, faults=plan)
    sim.client("events").put_events(Entries=[entry({"amount": 500})])
    result = sim.run()
    assert len(result.trace.of_kind("events.retry")) == 3
    retries = [r["delay_s"] for r in result.trace.of_kind("events.retry")]
    assert retries == sorted(retries)  # backoff grows
    msg = sim.client("sqs").receive_message(QueueUrl="dlq", MessageAttributeNames=["All"])["Messages"][0]
    assert json.loads(msg["Body"])["detail"] == {"amount": 500}
    assert msg["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "ThrottlingException"
    assert msg["MessageAttributes"]["RULE_ARN"]["StringValue"].endswith(":rule/bus/r")
    delivery = [e for e in result.ledger.entries.values() if e.kind == "eventbridge-delivery"][0]
    assert delivery.status == "dlq"
    assert starts(result, "sink") == []


def test_delivery_faults_duplicate_and_drop(simulate):
    from sim.faults import FaultPlan

    RECEIVED.clear()
    plan = FaultPlan.model_validate({"rules": [
        {"name": "dup", "match": {"point": "delivery", "channel": "events", "resource": "r", "nth": 1},
         "action": {"kind": "duplicate"}},
        {"name": "drop", "match": {"point": "delivery", "channel": "events", "resource": "r", "nth": 2},
         "action": {"kind": "drop"}}]})
    sim = simulate(stack_with(), faults=plan)
    ev = sim.client("events")
    ev.put_events(Entries=[entry({"amount": 101})])
    ev.put_events(Entries=[entry({"amount": 102})])
    result = sim.run()
    assert [e["detail"]["amount"] for e in RECEIVED] == [101, 101]  # the first twice, the second never
    dropped = [e for e in result.ledger.entries.values() if e.status == "dropped"]
    assert len(dropped) == 1 and "fault" in dropped[0].reason
    assert result.faults_fired == {"dup": 1, "drop": 1}


def test_test_event_pattern_api_answers(simulate):
    sim = simulate(stack_with())
    ev = sim.client("events")
    event = {"id": "1", "source": "app", "detail-type": "T", "account": "1", "time": "2026-01-12T00:00:00Z",
             "region": "us-east-1", "resources": [], "detail": {"amount": 150}}
    assert ev.test_event_pattern(EventPattern=json.dumps({"detail": {"amount": [{"numeric": [">", 100]}]}}),
                                 Event=json.dumps(event))["Result"] is True
